//! `polyact sdp`: an SDP in SDPA sparse format, solved and checked independently.

use std::path::PathBuf;

use anyhow::Result;

use polyact::sdp::SdpSettings;

/// Arguments of `polyact sdp`.
#[derive(clap::Args)]
pub struct Args {
    /// The SDPA sparse file.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the interior-point iterations.
    #[arg(long)]
    pub verbose: bool,
    /// Solve as a general SDP even when the file records the moment relaxation it was written from
    /// (by `polyact fit --export-sdpa`), whose structure is otherwise used.
    #[arg(long)]
    pub general: bool,
    /// Centrality correctors per iteration (0 = plain Mehrotra predictor–corrector).
    #[arg(long, default_value_t = SdpSettings::default().centrality_correctors)]
    pub correctors: usize,
    /// Use centrality correctors only for SDPs with at least this many variables (below, an iteration is
    /// cheap and the correctors cost more than the iterations they save).
    #[arg(long, default_value_t = SdpSettings::default().centrality_min_vars)]
    pub correctors_min_vars: usize,
    /// Stopping tolerance on the relative gap and infeasibilities (relative to 1 + |objective| and 1 + ‖data‖).
    #[arg(long, default_value_t = SdpSettings::default().tolerance, allow_negative_numbers = true)]
    pub tolerance: f64,
    /// Start at the standard point X = ξI, Y = ηI even when the file records a moment relaxation (whose
    /// solve otherwise starts at the moments of a Gaussian measure, as `polyact fit` does, and falls back
    /// to the standard start if that stalls).
    #[arg(long)]
    pub standard_start: bool,
    /// Let rayon's idle workers sleep between the parallel parts of an iteration, instead of keeping one
    /// busy-waiting for work during the solve (slower: waking a worker takes ~100 µs; see
    /// docs/BENCHMARKS.md).
    #[arg(long)]
    pub no_busy_wait: bool,
}

/// Run `polyact sdp`.
pub fn run(args: &Args) -> Result<()> {
    let tolerance = args.tolerance;
    if !(tolerance.is_finite() && tolerance > 0.0 && tolerance < 1.0) {
        anyhow::bail!("--tolerance must be a number in (0, 1), got {tolerance}");
    }
    let settings = SdpSettings {
        verbose: args.verbose,
        centrality_correctors: args.correctors,
        centrality_min_vars: args.correctors_min_vars,
        tolerance,
        busy_wait: !args.no_busy_wait,
        ..SdpSettings::default()
    };
    let r = solve_sdpa_file(&args.file, &settings, args.general, !args.standard_start)?;
    if args.json {
        println!("{}", r.to_json());
    } else {
        println!("{r}");
    }
    Ok(())
}

/// `polyact sdp`: the library's [`polyact::fit::solve_sdpa`] on the file's text.
fn solve_sdpa_file(
    path: &std::path::Path,
    settings: &SdpSettings,
    general: bool,
    gaussian_start: bool,
) -> Result<polyact::sdp::sdpa::SdpReport> {
    let text = polyact::error::read_text(path)?;
    let name = path.display().to_string();
    let (report, _) =
        polyact::fit::solve_sdpa(&text, &name, settings, general, gaussian_start, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })?;
    Ok(report)
}
