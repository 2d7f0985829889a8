//! `polyact reduce`: the sufficient statistics of a data shard.

use std::path::PathBuf;

use anyhow::Result;

use polyact::model::Loss;
use polyact::model::Problem;
use polyact::model::stats::SufficientStatistics;

/// Arguments of `polyact reduce`.
#[derive(clap::Args)]
pub struct Args {
    /// Problem file: supplies the network, and the data unless --inputs/--outputs are given.
    pub problem: PathBuf,
    /// Inputs of the shard (CSV or NPY, one sample per row), read in batches (memory independent of the
    /// number of rows); requires --outputs.
    #[arg(long, requires = "outputs")]
    pub inputs: Option<PathBuf>,
    /// Outputs of the shard (CSV or NPY, one sample per row); requires --inputs.
    #[arg(long, requires = "inputs")]
    pub outputs: Option<PathBuf>,
    /// The training loss the statistics are for.
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    pub loss: Loss,
    /// Output file (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Run `polyact reduce`.
pub fn run(args: &Args) -> Result<()> {
    let stats = match (&args.inputs, &args.outputs) {
        (Some(xi), Some(yo)) => {
            let (network, _) = Problem::load_network(&args.problem)?;
            SufficientStatistics::from_files(&network, xi, yo, args.loss)?
        }
        (None, None) => {
            SufficientStatistics::from_problem(&Problem::load(&args.problem)?, args.loss)?
        }
        _ => anyhow::bail!("--inputs and --outputs go together"),
    };
    stats.save(&args.output)?;
    eprintln!(
        "wrote {} ({} loss, N = {}, support of {} monomials)",
        args.output.display(),
        stats.loss(),
        stats.count,
        stats.support
    );
    Ok(())
}
