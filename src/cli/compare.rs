//! `polyact compare`: the global method and local training side by side.

use std::path::PathBuf;

use anyhow::Result;

use super::options::{BallOptions, HierarchyOptions, LocalOptions, LossOption, fit_settings};
use polyact::model::Problem;

/// Arguments of `polyact compare`.
#[derive(clap::Args)]
pub struct Args {
    /// Problem file.
    pub problem: PathBuf,
    /// Draw the histogram of the local runs' final losses (PNG and SVG) with the global value and the
    /// lower bound marked.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub loss: LossOption,
    #[command(flatten)]
    pub local: LocalOptions,
    #[command(flatten)]
    pub hierarchy: HierarchyOptions,
    #[command(flatten)]
    pub ball: BallOptions,
}

/// Run `polyact compare`.
pub fn run(args: &Args) -> Result<()> {
    let p = Problem::load(&args.problem)?;
    let mut progress = polyact::progress::TerminalProgress::new(args.hierarchy.quiet);
    let c = polyact::train::baseline::compare_monitored(
        &p,
        &fit_settings(&args.hierarchy, &args.ball, args.loss.loss)?,
        args.local.optimizer,
        args.local.starts,
        args.local.seed,
        &mut |e| progress.handle(e),
    )?;
    if let Some(path) = &args.plot {
        let (png, svg) = polyact::experiments::plot::loss_histogram(
            &c.local_losses,
            c.global.loss,
            c.global.lower_bound,
            &format!(
                "{} local runs ({:?}) vs the global method",
                c.local.runs.len(),
                args.local.optimizer
            ),
            path,
        )?;
        eprintln!("wrote {} and {}", png.display(), svg.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        println!("{c}");
    }
    Ok(())
}
