//! `polyact example`: the paper's Example 3.4.

use std::path::PathBuf;

use anyhow::Result;

use super::fit::{FitData, GlobalArgs, run_global};
use super::options::{LossOption, Stop};
use polyact::model::example_3_4;

/// Arguments of `polyact example`.
#[derive(clap::Args)]
pub struct Args {
    /// Write the example's problem file here (to use it with `fit`, `compare`, `verify` …) and exit.
    #[arg(long, value_name = "PROBLEM.json")]
    pub save: Option<PathBuf>,
    #[command(flatten)]
    pub loss: LossOption,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Run `polyact example`.
pub fn run(args: &Args) -> Result<()> {
    if let Some(path) = &args.save {
        example_3_4().save(path)?;
        return Ok(());
    }
    if !args.global.report.json {
        println!(
            "Example 3.4 (Zhang, Nie, Tang 2026): widths 4-4-4-4, degrees (2, 1), N = 2.\n\
             Expected: order 1 not flat; order 2 flat with (c11, c12, c20, c21) = (1, -2, 1, -1), θ = 0.\n"
        );
    }
    let mut opts = args.global.clone();
    opts.hierarchy.stop.get_or_insert(Stop::Flat);
    run_global(&FitData::Problem(&example_3_4()), &opts, args.loss.loss).map(|_| ())
}
