//! `polyact`: the command-line interface, a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use polyact::fit::{DEFAULT_RADIUS, FitSettings, fit, fit_statistics};
use polyact::model::Loss;
use polyact::model::stats::SufficientStatistics;
use polyact::model::{Network, Problem, example_3_4};
use polyact::relax::events::Event;
use polyact::relax::hierarchy::{HierarchySettings, StopRule};
use polyact::report::{FitReport, OrderSummary, order_header, order_line};
use polyact::sdp::SdpSettings;

/// Learn polynomial activation coefficients globally, with a certificate, by the Moment-SOS hierarchy.
#[derive(Parser)]
#[command(name = "polyact", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit the activation coefficients of the network in PROBLEM.json.
    Fit {
        /// Problem file (weights, degrees, inputs, outputs).
        problem: PathBuf,
        /// Fit from statistics files written by `polyact reduce` (shards are merged: sums and counts add)
        /// instead of the problem's data. The problem file then only supplies the network (and the true
        /// coefficients, if any): its own data are ignored. The shards' loss must equal --loss.
        #[arg(long, num_args = 1.., value_name = "STATS.json")]
        stats: Vec<PathBuf>,
        #[command(flatten)]
        opts: FitOptions,
    },
    /// Write the sufficient statistics of a data shard for a loss (merge shards with `fit --stats`).
    ///
    /// Distributed recipe: run `polyact reduce` on every shard (any engine: a job array, Spark, Ray …), copy
    /// the small statistics files to one machine and run `polyact fit PROBLEM.json --stats a.json b.json …`.
    Reduce {
        /// Problem file: supplies the network, and the data unless --inputs/--outputs are given.
        problem: PathBuf,
        /// Inputs of the shard (CSV or NPY, one sample per row), read in batches (memory independent of the
        /// number of rows); requires --outputs.
        #[arg(long, requires = "outputs")]
        inputs: Option<PathBuf>,
        /// Outputs of the shard (CSV or NPY, one sample per row); requires --inputs.
        #[arg(long, requires = "inputs")]
        outputs: Option<PathBuf>,
        /// The training loss the statistics are for.
        #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
        loss: Loss,
        /// Output file (JSON).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write a synthetic problem (random weights and coefficients, data with Gaussian noise).
    Generate {
        /// Activation degrees d_1,…,d_D.
        #[arg(long, value_delimiter = ',', required = true)]
        degrees: Vec<usize>,
        /// Widths m_0,…,m_{D+1}.
        #[arg(long, value_delimiter = ',', required = true)]
        widths: Vec<usize>,
        /// Number of training samples.
        #[arg(long, default_value_t = 50)]
        samples: usize,
        /// Number of held-out test samples.
        #[arg(long, default_value_t = 0)]
        test_samples: usize,
        /// Noise level σ: y = f(x; c) + σ·N(0, I).
        #[arg(long, default_value_t = 0.01)]
        noise: f64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Solve a general polynomial optimization problem given in a POP file (see README).
    Pop {
        /// POP file (objective, inequalities, equalities as polynomials).
        problem: PathBuf,
        #[command(flatten)]
        opts: FitOptions,
    },
    /// Global (Moment-SOS) and local training side by side on the same problem and loss.
    Compare {
        /// Problem file.
        problem: PathBuf,
        /// Draw the histogram of the local runs' final losses (PNG and SVG) with the global value and the
        /// lower bound marked.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
        #[command(flatten)]
        opts: FitOptions,
    },
    /// Check an SOS certificate written by `--certificate` against its problem, independently of the solver.
    Verify {
        /// The problem file (POP file or network problem file).
        problem: PathBuf,
        /// The certificate file.
        certificate: PathBuf,
        /// Print the verification as JSON.
        #[arg(long)]
        json: bool,
        /// Tolerance on residual coefficients (relative to 1 + |γ|) and on Gram eigenvalues (relative).
        #[arg(long, default_value_t = polyact::fit::CERTIFICATE_TOLERANCE)]
        tolerance: f64,
    },
    /// Solve the paper's Example 3.4 and print each order's result.
    Example {
        /// Write the example's problem file here (to use it with `fit`, `compare`, `verify` …) and exit.
        #[arg(long, value_name = "PROBLEM.json")]
        save: Option<PathBuf>,
        #[command(flatten)]
        opts: FitOptions,
    },
    /// Reproduce one of the paper's Tables 1–5 on synthetic problems (see docs/RESULTS.md).
    Reproduce(ReproduceArgs),
    /// Train and test MSE/RMSE and the loss of a fit report's coefficients; optionally the residual figure.
    Eval(EvalArgs),
    /// Solve an SDP in SDPA sparse format (.dat-s) and check the solution independently.
    Sdp {
        /// The SDPA sparse file.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Print the interior-point iterations.
        #[arg(long)]
        verbose: bool,
        /// Solve as a general SDP even when the file records the moment relaxation it was written from
        /// (by `polyact fit --export-sdpa`), whose structure is otherwise used.
        #[arg(long)]
        general: bool,
        /// Centrality correctors per iteration (0 = plain Mehrotra predictor–corrector).
        #[arg(long, default_value_t = SdpSettings::default().centrality_correctors)]
        correctors: usize,
        /// Use centrality correctors only for SDPs with at least this many variables (below, an iteration is
        /// cheap and the correctors cost more than the iterations they save).
        #[arg(long, default_value_t = SdpSettings::default().centrality_min_vars)]
        correctors_min_vars: usize,
        /// Stopping tolerance on the relative gap and infeasibilities (relative to 1 + |objective| and 1 + ‖data‖).
        #[arg(long, default_value_t = SdpSettings::default().tolerance)]
        tolerance: f64,
        /// Start at the standard point X = ξI, Y = ηI even when the file records a moment relaxation (whose
        /// solve otherwise starts at the moments of a Gaussian measure, as `polyact fit` does, and falls back
        /// to the standard start if that stalls).
        #[arg(long)]
        standard_start: bool,
        /// Let rayon's idle workers sleep between the parallel parts of an iteration, instead of keeping one
        /// busy-waiting for work during the solve (slower: waking a worker takes ~100 µs; see
        /// docs/BENCHMARKS.md).
        #[arg(long)]
        no_busy_wait: bool,
    },
}

#[derive(Args, Clone)]
struct FitOptions {
    /// First relaxation order (default: the minimal order k0 = ⌈deg/2⌉).
    #[arg(long)]
    order: Option<usize>,
    /// Last relaxation order (default: first order + 2).
    #[arg(long)]
    max_order: Option<usize>,
    /// Radius R of the ball constraint R² − ‖z‖² ≥ 0 (fit: default 5; pop: the file's "radius", else none).
    #[arg(long, allow_negative_numbers = true)]
    radius: Option<f64>,
    /// Drop the ball constraint (the paper's unbounded formulation; may be ill-posed at order ≥ 3).
    #[arg(long)]
    no_ball: bool,
    /// The training loss.
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    loss: Loss,
    /// Skip the low-rank step (a second solve of the relaxation with a small trace penalty, run when the first
    /// point is neither flat nor closed by its candidate).
    #[arg(long)]
    no_low_rank: bool,
    /// Solve the low-rank step's SDP from scratch instead of from the first solve's iterate near its optimum
    /// (the same constraints; the warm start takes a quarter of the iterations).
    #[arg(long)]
    low_rank_cold_start: bool,
    /// Start the SDP solver at its standard point X = ξI, Y = ηI instead of the moments of a Gaussian measure.
    #[arg(long)]
    standard_start: bool,
    /// Skip the local refinement (polish) of candidates.
    #[arg(long)]
    no_polish: bool,
    /// Fitting method: global (Moment-SOS hierarchy) or local (from --starts random starts).
    #[arg(long, value_enum, default_value_t = Method::Global)]
    method: Method,
    /// Local method: number of random starts.
    #[arg(long, default_value_t = 20)]
    starts: usize,
    /// Local method: optimizer (lm = trust-region SLP on the epigraph, adam = Adam on the subgradient).
    #[arg(long, value_enum, default_value_t = polyact::train::baseline::Optimizer::Lm)]
    optimizer: polyact::train::baseline::Optimizer,
    /// Local method: seed of the starts.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// When to stop raising the order: at the first certified order (flat or gap), or only at flat
    /// truncation (the paper's rule; default for `example`).
    #[arg(long, value_enum)]
    stop: Option<Stop>,
    /// Retries with a 4× larger radius when the ball is active at the answer.
    #[arg(long, default_value_t = 2)]
    ball_retries: usize,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to this file.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Write the SOS certificate of the lower bound to this file (check it with `polyact verify`).
    #[arg(long, value_name = "CERT.json")]
    certificate: Option<PathBuf>,
    /// Print the interior-point iterations.
    #[arg(long)]
    verbose: bool,
    /// Memory limit for one relaxation, in GB.
    #[arg(long, default_value_t = 16.0)]
    max_memory_gb: f64,
    /// Write the first relaxation (order --order, default k0) in SDPA sparse format to this file.
    #[arg(long, value_name = "FILE.dat-s")]
    export_sdpa: Option<PathBuf>,
    /// No progress on stderr (shown only when stderr is a terminal: each order's size and predicted time,
    /// then the interior-point iterations).
    #[arg(long, short)]
    quiet: bool,
    /// Wall-clock limit of the hierarchy, in seconds: an order predicted to take longer than the time left is
    /// not started, a solve that runs past it stops, and the fit ends with the best answer so far (exit code
    /// 0; the status and notes say what the next order would cost).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
          default_value_t = polyact::relax::hierarchy::DEFAULT_TIME_LIMIT)]
    time_limit: f64,
}

/// Global or local fitting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// Moment-SOS hierarchy with certificates.
    Global,
    /// Local optimization from random starts (no certificate).
    Local,
}

/// Stop rule on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Stop {
    /// At the first order certified by flat truncation or by the gap.
    Certified,
    /// At the first flat order.
    Flat,
}

impl FitOptions {
    fn settings(&self) -> Result<FitSettings> {
        if self.max_memory_gb.is_nan() || self.max_memory_gb <= 0.0 {
            anyhow::bail!("--max-memory-gb must be positive");
        }
        if self.time_limit.is_nan() || self.time_limit < 0.0 {
            anyhow::bail!("--time-limit must be a nonnegative number of seconds");
        }
        Ok(FitSettings {
            loss: self.loss,
            radius: (!self.no_ball).then_some(self.radius.unwrap_or(DEFAULT_RADIUS)),
            hierarchy: HierarchySettings {
                min_order: self.order,
                max_order: self.max_order,
                low_rank_step: !self.no_low_rank,
                low_rank_warm_start: !self.low_rank_cold_start,
                gaussian_start: !self.standard_start,
                sdp: SdpSettings {
                    verbose: self.verbose,
                    max_memory_bytes: (self.max_memory_gb * 1e9) as usize,
                    ..SdpSettings::default()
                },
                polish: (!self.no_polish).then(Default::default),
                stop: match self.stop {
                    Some(Stop::Flat) => StopRule::Flat,
                    Some(Stop::Certified) | None => StopRule::Certified,
                },
                time_limit: Some(self.time_limit),
                ..HierarchySettings::default()
            },
            ball_retries: self.ball_retries,
        })
    }
}

/// `polyact sdp`: a file written by `--export-sdpa` is rebuilt as its moment relaxation (checked to reproduce
/// every number of the file) so the structured Schur-complement kernels apply; any other file is solved as a
/// general SDP.
fn solve_sdpa_file(
    path: &std::path::Path,
    settings: &SdpSettings,
    general: bool,
    gaussian_start: bool,
) -> Result<polyact::sdp::sdpa::SdpReport> {
    use polyact::sdp::sdpa;
    let text = polyact::error::read_text(path)?;
    let name = path.display().to_string();
    let rebuilt = if general {
        None
    } else {
        polyact::relax::moment::MomentRelaxation::from_sdpa(&text, settings.max_memory_bytes)
    };
    let (problem, structure) = match &rebuilt {
        Some(r) => (
            r.sdp().clone(),
            format!(
                "moment relaxation of order {} in {} variables (from the file's {} comment){}",
                r.order(),
                r.pop().nvars(),
                polyact::relax::moment::SDPA_RELAXATION_TAG,
                if gaussian_start {
                    ", started at the moments of a Gaussian measure"
                } else {
                    ""
                }
            ),
        ),
        None => (
            sdpa::parse(&text, &name)?,
            sdpa::GENERAL_STRUCTURE.to_string(),
        ),
    };
    let solution = match &rebuilt {
        Some(r) => {
            polyact::relax::hierarchy::solve_moment_sdp(r, &problem, settings, gaussian_start)?
        }
        None => polyact::sdp::solve(&problem, settings)?,
    };
    Ok(sdpa::SdpReport::new(&name, &structure, &problem, &solution))
}

/// What `fit` works on: a problem with its data, or a network with merged statistics.
enum FitData<'a> {
    Problem(&'a Problem),
    Stats {
        network: &'a Network,
        truth: Option<&'a [Vec<f64>]>,
        stats: &'a SufficientStatistics,
    },
}

/// Write the first relaxation `fit` solves (same POP, order --order or k0) as an SDPA file.
fn export_sdpa(data: &FitData, settings: &FitSettings, path: &std::path::Path) -> Result<()> {
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

fn run_local(problem: &Problem, opts: &FitOptions) -> Result<()> {
    let rep = polyact::train::baseline::train(
        problem,
        opts.loss,
        opts.optimizer,
        opts.starts,
        opts.seed,
    )?;
    if let Some(path) = &opts.output {
        std::fs::write(path, serde_json::to_string_pretty(&rep)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
        return Ok(());
    }
    let mut losses: Vec<f64> = rep.runs.iter().map(|r| r.loss).collect();
    losses.sort_by(f64::total_cmp);
    let best = &rep.runs[rep.best];
    println!(
        "method        local ({:?}), {} starts, seed {}",
        opts.optimizer,
        rep.runs.len(),
        opts.seed
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

fn run_fit(data: &FitData, opts: &FitOptions, live: bool) -> Result<FitReport> {
    let settings = opts.settings()?;
    if let Some(path) = &opts.export_sdpa {
        export_sdpa(data, &settings, path)?;
    }
    let show = live && !opts.json;
    if show {
        println!("  {}", order_header());
    }
    let mut progress = polyact::progress::TerminalProgress::new(opts.quiet);
    let mut on_order = |e: &Event| {
        progress.handle(e);
        if let (Event::OrderDone(o), true) = (e, show) {
            println!("  {}", order_line(&OrderSummary::from(*o)));
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
    if let Some(path) = &opts.certificate {
        write_certificate(report.certificate.as_ref(), path)?;
    }
    if let Some(path) = &opts.output {
        std::fs::write(path, report.to_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if opts.json {
        println!("{}", report.to_json());
    } else {
        if show {
            println!();
        }
        println!("{report}");
    }
    Ok(report)
}

#[derive(Args)]
struct ReproduceArgs {
    /// The paper's table: 1 (2,2), 2 (2,3), 3 (1,1,1), 4 (2,1,1), 5 (3,2) with test MSE/RMSE.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    table: u8,
    /// Repetitions (seeds) per row; rows then show mean ± std.
    #[arg(long, default_value_t = 1)]
    seeds: usize,
    /// Seed of the first repetition (repetition r uses seed + r, as `polyact generate --seed`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Noise level σ.
    #[arg(long, default_value_t = polyact::experiments::PAPER_NOISE, allow_negative_numbers = true)]
    noise: f64,
    /// Highest relaxation order (lsq on degrees (2,3) needs 4: its minimal order).
    #[arg(long, default_value_t = polyact::experiments::PAPER_MAX_ORDER)]
    max_order: usize,
    /// The training loss (the paper's is mean-inf).
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    loss: Loss,
    /// Sizes NxM (samples x width), comma-separated (default: the paper's 50x20,100x25,150x30,200x35,250x40).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Vec<(usize, usize)>,
    /// Radius R of the ball constraint.
    #[arg(long, default_value_t = DEFAULT_RADIUS, allow_negative_numbers = true)]
    radius: f64,
    /// Print JSON (configuration, every run, summaries, the paper's numbers).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV (one line per run).
    #[arg(long)]
    csv: bool,
    /// Also write the full JSON (configuration, every run, summaries) to this file, whatever is printed.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_size(s: &str) -> std::result::Result<(usize, usize), String> {
    let (n, m) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected NxM (samples x width), got \"{s}\""))?;
    let n: usize = n.trim().parse().map_err(|e| format!("N in \"{s}\": {e}"))?;
    let m: usize = m.trim().parse().map_err(|e| format!("M in \"{s}\": {e}"))?;
    if n == 0 || m == 0 {
        return Err(format!("sizes must be positive, got \"{s}\""));
    }
    Ok((n, m))
}

fn run_reproduce(args: &ReproduceArgs) -> Result<()> {
    use polyact::experiments::{Progress, Table, format_table, run_table, to_csv, to_json};
    use std::io::IsTerminal;
    if !(args.noise.is_finite() && args.noise >= 0.0) {
        anyhow::bail!("--noise must be a nonnegative number");
    }
    if args.seeds == 0 {
        anyhow::bail!("--seeds must be at least 1");
    }
    if !(args.radius.is_finite() && args.radius > 0.0) {
        anyhow::bail!("--radius must be a positive number");
    }
    let mut table = Table::paper(args.table as usize)?;
    table.seeds = args.seeds;
    table.first_seed = args.seed;
    table.noise = args.noise;
    table.max_order = args.max_order;
    table.loss = args.loss;
    table.radius = Some(args.radius);
    if !args.sizes.is_empty() {
        table.sizes = args.sizes.clone();
    }
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(table.instances() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} fits  {msg}",
            )
            .expect("valid template"),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(250));
        b
    };
    let rows = run_table(&table, &mut |p| match p {
        Progress::Started { spec, .. } => bar.set_message(format!(
            "N = {}, m = {}, seed {}",
            spec.samples, spec.widths[0], spec.seed
        )),
        Progress::Finished { run, .. } => {
            // On a terminal the line goes above the bar; otherwise (a log file) plainly to stderr.
            let log = |line: String| match (args.quiet, std::io::stderr().is_terminal()) {
                (true, _) => {}
                (false, true) => bar.println(line),
                (false, false) => eprintln!("{line}"),
            };
            log(format!(
                "N = {:>3}, m = {:>2}, seed {:>3}: AbsErr {:.2e}, {:.2} s, {}",
                run.samples,
                run.width,
                run.seed,
                run.abs_err,
                run.seconds,
                run.status_label()
            ));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let rows = rows?;
    let text = if args.json {
        to_json(&table, &rows)
    } else if args.csv {
        to_csv(&table, &rows)
    } else {
        format_table(&table, &rows)
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    if let Some(path) = &args.output {
        std::fs::write(path, to_json(&table, &rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[derive(Args)]
struct EvalArgs {
    /// Problem file (with optional test_inputs/test_outputs).
    problem: PathBuf,
    /// Fit report (JSON from `polyact fit --json`); its `coefficients` are evaluated.
    report: PathBuf,
    /// Draw the residual figure (the paper's Figure 1) to this path, as PNG and SVG (same basename).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn run_eval(args: &EvalArgs) -> Result<()> {
    use polyact::experiments::evaluate::{evaluate, read_report_coefficients, residuals};
    let problem = Problem::load(&args.problem)?;
    let coefficients = read_report_coefficients(&args.report)?;
    let eval = evaluate(&problem, &coefficients).with_context(|| {
        format!(
            "{} does not fit {}",
            args.report.display(),
            args.problem.display()
        )
    })?;
    if args.json {
        println!("{}", eval.to_json());
    } else {
        println!("{eval}");
    }
    if let Some(path) = &args.plot {
        let r = residuals(&problem.network, &problem.data, &coefficients);
        let join = |v: &[usize], sep: &str| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(sep)
        };
        let title = format!(
            "Training residuals of {} (widths {}, degrees {}, N = {}), MSE {:.3e}",
            args.problem
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            join(&problem.network.widths(), "-"),
            join(problem.network.degrees(), ","),
            problem.data.len(),
            eval.train.mse
        );
        let (png, svg) = polyact::experiments::plot::residual_figure(
            &polyact::experiments::plot::ResidualFigure {
                residuals: &r,
                title,
            },
            path,
        )?;
        let msg = format!("figure written to {} and {}", png.display(), svg.display());
        if args.json {
            eprintln!("{msg}");
        } else {
            println!("{msg}");
        }
    }
    Ok(())
}

fn run_fit_stats(problem: &Path, stats: &[PathBuf], opts: &FitOptions) -> Result<()> {
    if opts.method == Method::Local {
        anyhow::bail!("--stats works with the global method only (local training needs the data)");
    }
    let (network, truth) = Problem::load_network(problem)?;
    let merged = SufficientStatistics::load_merged(stats)?;
    merged.check_network(&network).with_context(|| {
        format!(
            "{} does not belong to {}",
            stats[0].display(),
            problem.display()
        )
    })?;
    if merged.loss() != opts.loss {
        anyhow::bail!(
            "the statistics are for the {} loss but --loss is {} (pass --loss {})",
            merged.loss(),
            opts.loss,
            merged.loss()
        );
    }
    let data = FitData::Stats {
        network: &network,
        truth: truth.as_deref(),
        stats: &merged,
    };
    run_fit(&data, opts, true).map(|_| ())
}

fn run_reduce(
    problem: &Path,
    inputs: Option<&Path>,
    outputs: Option<&Path>,
    loss: Loss,
    output: &Path,
) -> Result<()> {
    let stats = match (inputs, outputs) {
        (Some(xi), Some(yo)) => {
            let (network, _) = Problem::load_network(problem)?;
            SufficientStatistics::from_files(&network, xi, yo, loss)?
        }
        (None, None) => SufficientStatistics::from_problem(&Problem::load(problem)?, loss)?,
        _ => anyhow::bail!("--inputs and --outputs go together"),
    };
    stats.save(output)?;
    eprintln!(
        "wrote {} ({} loss, N = {}, support of {} monomials)",
        output.display(),
        stats.loss(),
        stats.count,
        stats.support
    );
    Ok(())
}

fn write_certificate(
    cert: Option<&polyact::relax::certificate::Certificate>,
    path: &Path,
) -> Result<()> {
    let cert = cert.context("no relaxation was solved, so there is no certificate to write")?;
    std::fs::write(path, cert.to_json()).with_context(|| format!("cannot write {}", path.display()))
}

fn run_pop(path: &Path, radius: Option<f64>, opts: &FitOptions) -> Result<()> {
    let mut problem = polyact::pop::file::load_pop(path)?;
    if let Some(r) = radius {
        if r.is_nan() || r <= 0.0 {
            anyhow::bail!("--radius must be positive, got {r}");
        }
        if problem.radius.is_some() {
            problem.pop.inequalities.pop();
        }
        problem.pop = problem.pop.with_ball(r);
    }
    let settings = opts.settings()?.hierarchy;
    let show = !opts.json;
    if show {
        println!("  {}", order_header());
    }
    let mut progress = polyact::progress::TerminalProgress::new(opts.quiet);
    let mut on_order = |e: &Event| {
        progress.handle(e);
        if let (Event::OrderDone(o), true) = (e, show) {
            println!("  {}", order_line(&OrderSummary::from(*o)));
        }
    };
    let (report, cert) = polyact::fit::solve_pop(&problem.pop, &settings, &mut on_order)?;
    if let Some(p) = &opts.certificate {
        write_certificate(cert.as_ref(), p)?;
    }
    if let Some(p) = &opts.output {
        std::fs::write(p, report.to_json())
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if opts.json {
        println!("{}", report.to_json());
    } else {
        println!("\n{report}");
    }
    Ok(())
}

fn run_verify(problem: &Path, cert: &Path, json: bool, tol: f64) -> Result<()> {
    let v = polyact::relax::certificate::verify_files(problem, cert, tol)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("claimed bound     {:.9e}", v.claimed_bound);
        println!("max residual      {:.3e}", v.max_residual);
        let worst = v
            .min_eigenvalues
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        println!(
            "min eigenvalue    {worst:.3e} (relative, over {} Gram matrices)",
            v.min_eigenvalues.len()
        );
        match (v.radius, v.certified_lower_bound) {
            (Some(r), Some(b)) => println!(
                "certified bound   {b:.9e} (on the feasible set within the ball of radius {r})"
            ),
            _ => println!(
                "certified bound   - (no ball constraint: only the residual above is stated)"
            ),
        }
    }
    if v.accepted() {
        if !json {
            println!("certificate accepted");
        }
        Ok(())
    } else {
        anyhow::bail!("certificate rejected: {}", v.problems.join("; "))
    }
}

fn main() -> ExitCode {
    // Exit quietly when the reader of stdout goes away (`polyact … | head`) instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Fit {
            problem,
            stats,
            opts,
        } if !stats.is_empty() => run_fit_stats(problem, stats, opts),
        Command::Fit { problem, opts, .. } => Problem::load(problem)
            .map_err(anyhow::Error::from)
            .and_then(|p| match opts.method {
                Method::Global => run_fit(&FitData::Problem(&p), opts, true).map(|_| ()),
                Method::Local => run_local(&p, opts),
            }),
        Command::Reduce {
            problem,
            inputs,
            outputs,
            loss,
            output,
        } => run_reduce(
            problem,
            inputs.as_deref(),
            outputs.as_deref(),
            *loss,
            output,
        ),
        Command::Generate {
            degrees,
            widths,
            samples,
            test_samples,
            noise,
            seed,
            output,
        } => polyact::model::synthetic::generate(&polyact::model::synthetic::SyntheticSpec {
            degrees: degrees.clone(),
            widths: widths.clone(),
            samples: *samples,
            test_samples: *test_samples,
            noise: *noise,
            seed: *seed,
        })
        .and_then(|p| p.save(output))
        .map_err(anyhow::Error::from),
        Command::Pop { problem, opts } => run_pop(problem, opts.radius, opts),
        Command::Verify {
            problem,
            certificate,
            json,
            tolerance,
        } => run_verify(problem, certificate, *json, *tolerance),
        Command::Compare {
            problem,
            plot,
            opts,
        } => (|| -> Result<()> {
            let p = Problem::load(problem)?;
            let mut progress = polyact::progress::TerminalProgress::new(opts.quiet);
            let c = polyact::train::baseline::compare_monitored(
                &p,
                &opts.settings()?,
                opts.optimizer,
                opts.starts,
                opts.seed,
                &mut |e| progress.handle(e),
            )?;
            if let Some(path) = plot {
                let (png, svg) = polyact::experiments::plot::loss_histogram(
                    &c.local_losses,
                    c.global.loss,
                    c.global.lower_bound,
                    &format!(
                        "{} local runs ({:?}) vs the global method",
                        c.local.runs.len(),
                        opts.optimizer
                    ),
                    path,
                )?;
                eprintln!("wrote {} and {}", png.display(), svg.display());
            }
            if opts.json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!("{c}");
            }
            Ok(())
        })(),
        Command::Example {
            save: Some(path), ..
        } => example_3_4().save(path).map_err(anyhow::Error::from),
        Command::Example { save: None, opts } => {
            if !opts.json {
                println!(
                    "Example 3.4 (Zhang, Nie, Tang 2026): widths 4-4-4-4, degrees (2, 1), N = 2.\n\
                     Expected: order 1 not flat; order 2 flat with (c11, c12, c20, c21) = (1, -2, 1, -1), θ = 0.\n"
                );
            }
            let mut opts = opts.clone();
            opts.stop.get_or_insert(Stop::Flat);
            run_fit(&FitData::Problem(&example_3_4()), &opts, true).map(|_| ())
        }
        Command::Sdp {
            file,
            json,
            verbose,
            correctors,
            correctors_min_vars,
            general,
            tolerance,
            standard_start,
            no_busy_wait,
        } => {
            let settings = SdpSettings {
                verbose: *verbose,
                centrality_correctors: *correctors,
                centrality_min_vars: *correctors_min_vars,
                tolerance: *tolerance,
                busy_wait: !*no_busy_wait,
                ..SdpSettings::default()
            };
            if !(tolerance.is_finite() && *tolerance > 0.0 && *tolerance < 1.0) {
                Err(anyhow::anyhow!(
                    "--tolerance must be a number in (0, 1), got {tolerance}"
                ))
            } else {
                solve_sdpa_file(file, &settings, *general, !*standard_start).map(|r| {
                    if *json {
                        println!("{}", r.to_json());
                    } else {
                        println!("{r}");
                    }
                })
            }
        }
        Command::Reproduce(args) => run_reproduce(args),
        Command::Eval(args) => run_eval(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
