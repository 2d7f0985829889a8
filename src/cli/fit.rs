//! `polyact fit`: the global fit of a problem file (or of merged statistics), or the local method.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::options::{
    BallOptions, HierarchyOptions, LocalOptions, LossOption, ReportOptions, fit_settings,
    write_certificate,
};
use polyact::fit::{FitSettings, fit, fit_statistics};
use polyact::model::stats::SufficientStatistics;
use polyact::model::{Network, Problem};
use polyact::relax::events::Event;
use polyact::relax::hierarchy::StopRule;
use polyact::report::{FitReport, OrderSummary, order_header, order_line};

/// Arguments of `polyact fit`.
#[derive(clap::Args)]
pub struct Args {
    /// Problem file (weights, degrees, inputs, outputs).
    pub problem: PathBuf,
    /// Fit from statistics files written by `polyact reduce` (shards are merged: sums and counts add)
    /// instead of the problem's data. The problem file then only supplies the network (and the true
    /// coefficients, if any): its own data are ignored. The shards' loss must equal --loss.
    #[arg(long, num_args = 1.., value_name = "STATS.json")]
    pub stats: Vec<PathBuf>,
    /// Fitting method: global (Moment-SOS hierarchy) or local (from --starts random starts).
    #[arg(long, value_enum, default_value_t = Method::Global)]
    pub method: Method,
    #[command(flatten)]
    pub loss: LossOption,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub local: LocalOptions,
}

/// The options of a global fit (fit, example).
#[derive(clap::Args, Clone)]
pub struct GlobalArgs {
    #[command(flatten)]
    pub hierarchy: HierarchyOptions,
    #[command(flatten)]
    pub ball: BallOptions,
    #[command(flatten)]
    pub report: ReportOptions,
    /// Write the first relaxation (order --order, default k0) in SDPA sparse format to this file.
    #[arg(long, value_name = "FILE.dat-s")]
    pub export_sdpa: Option<PathBuf>,
}

/// Global or local fitting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Moment-SOS hierarchy with certificates.
    Global,
    /// Local optimization from random starts (no certificate).
    Local,
}

/// Run `polyact fit`.
pub fn run(args: &Args) -> Result<()> {
    let loss = args.loss.loss;
    if !args.stats.is_empty() {
        return run_stats(args);
    }
    let problem = Problem::load(&args.problem)?;
    match args.method {
        Method::Global => run_global(&FitData::Problem(&problem), &args.global, loss).map(|_| ()),
        Method::Local => run_local(&problem, &args.global.report, &args.local, loss),
    }
}

/// What `fit` works on: a problem with its data, or a network with merged statistics.
pub enum FitData<'a> {
    Problem(&'a Problem),
    Stats {
        network: &'a Network,
        truth: Option<&'a [Vec<f64>]>,
        stats: &'a SufficientStatistics,
    },
}

fn run_stats(args: &Args) -> Result<()> {
    let loss = args.loss.loss;
    if args.method == Method::Local {
        anyhow::bail!("--stats works with the global method only (local training needs the data)");
    }
    let (network, truth) = Problem::load_network(&args.problem)?;
    let merged = SufficientStatistics::load_merged(&args.stats)?;
    merged.check_network(&network).with_context(|| {
        format!(
            "{} does not belong to {}",
            args.stats[0].display(),
            args.problem.display()
        )
    })?;
    if merged.loss() != loss {
        anyhow::bail!(
            "the statistics are for the {} loss but --loss is {} (pass --loss {})",
            merged.loss(),
            loss,
            merged.loss()
        );
    }
    let data = FitData::Stats {
        network: &network,
        truth: truth.as_deref(),
        stats: &merged,
    };
    run_global(&data, &args.global, loss).map(|_| ())
}

/// Write the first relaxation `fit` solves (same POP, order --order or k0) as an SDPA file.
fn export_sdpa(data: &FitData, settings: &FitSettings, path: &Path) -> Result<()> {
    let npop = match data {
        FitData::Problem(problem) => {
            let stats = SufficientStatistics::from_problem(problem, settings.loss)?;
            polyact::fit::fit_pop(&problem.network, &stats, settings.radius)?
        }
        FitData::Stats { network, stats, .. } => {
            polyact::fit::fit_pop(network, stats, settings.radius)?
        }
    };
    let pop = match settings.radius {
        Some(r) => npop.pop.with_ball(r),
        None => npop.pop,
    };
    let order = settings
        .hierarchy
        .min_order
        .unwrap_or_else(|| pop.min_order());
    let max_bytes = settings.hierarchy.sdp.max_memory_bytes;
    let relaxation = polyact::relax::moment::MomentRelaxation::new(&pop, order, max_bytes)?;
    std::fs::write(path, relaxation.to_sdpa()).map_err(|source| polyact::Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(())
}

fn run_local(
    problem: &Problem,
    report: &ReportOptions,
    local: &LocalOptions,
    loss: polyact::model::Loss,
) -> Result<()> {
    let rep =
        polyact::train::baseline::train(problem, loss, local.optimizer, local.starts, local.seed)?;
    if let Some(path) = &report.output {
        std::fs::write(path, serde_json::to_string_pretty(&rep)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if report.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
        return Ok(());
    }
    let mut losses: Vec<f64> = rep.runs.iter().map(|r| r.loss).collect();
    losses.sort_by(f64::total_cmp);
    let best = &rep.runs[rep.best];
    println!(
        "method        local ({:?}), {} starts, seed {}",
        local.optimizer,
        rep.runs.len(),
        local.seed
    );
    println!(
        "loss          {:.6e}   (best run; no certificate: a local method cannot prove optimality)",
        best.loss
    );
    println!(
        "final losses  min {:.4e}  median {:.4e}  max {:.4e}",
        losses[0],
        losses[losses.len() / 2],
        losses[losses.len() - 1]
    );
    println!("coefficients  (c_l0, c_l1, … per hidden layer)");
    for (l, c) in best.coefficients.iter().enumerate() {
        let cs: Vec<String> = c.iter().map(|v| format!("{v:+.8}")).collect();
        println!("  layer {}     {}", l + 1, cs.join("  "));
    }
    if let Some(e) = problem.coefficient_error(&best.coefficients) {
        println!("‖c_true − c‖  {e:.3e}");
    }
    println!("total {:.3} s", rep.seconds);
    Ok(())
}

/// The global fit of `data`: the live hierarchy table (unless --json), then the report.
pub fn run_global(
    data: &FitData,
    opts: &GlobalArgs,
    loss: polyact::model::Loss,
) -> Result<FitReport> {
    let settings = fit_settings(&opts.hierarchy, &opts.ball, loss)?;
    if let Some(path) = &opts.export_sdpa {
        export_sdpa(data, &settings, path)?;
    }
    let show = !opts.report.json;
    // The table's header comes with the first order's line: an input error found before any solve prints
    // nothing on stdout.
    let mut printed = false;
    let flat_rule = matches!(settings.hierarchy.stop, StopRule::Flat);
    let mut progress = polyact::progress::TerminalProgress::new(opts.hierarchy.quiet);
    let mut on_order = |e: &Event| {
        progress.handle(e);
        if let (Event::OrderDone(o), true) = (e, show) {
            if !std::mem::replace(&mut printed, true) {
                println!("  {}", order_header());
            }
            let summary = OrderSummary::from(*o);
            let why = if flat_rule && summary.certified && !summary.flat {
                "  (certified by the gap; --stop flat asks for a flat order)"
            } else {
                ""
            };
            println!("  {}{why}", order_line(&summary));
        }
    };
    let report = match data {
        FitData::Problem(problem) => fit(problem, &settings, &mut on_order)?,
        FitData::Stats {
            network,
            truth,
            stats,
        } => fit_statistics(network, *truth, stats, &settings, &mut on_order)?,
    };
    if let Some(path) = &opts.report.certificate {
        write_certificate(report.certificate.as_ref(), path)?;
    }
    if let Some(path) = &opts.report.output {
        std::fs::write(path, report.to_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if opts.report.json {
        println!("{}", report.to_json());
    } else if printed {
        // The hierarchy table was printed line by line above.
        println!("\n{report:#}");
    } else {
        println!("{report}");
    }
    Ok(report)
}
