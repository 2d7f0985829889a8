//! `polyact`: the command-line interface, a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use polyact::fit::{DEFAULT_RADIUS, FitSettings, fit};
use polyact::hierarchy::{HierarchySettings, OrderResult};
use polyact::network::{Problem, example_3_4};
use polyact::pop::loss::Loss;
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
        #[command(flatten)]
        opts: FitOptions,
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
    /// Solve the paper's Example 3.4 and print each order's result.
    Example {
        #[command(flatten)]
        opts: FitOptions,
    },
}

#[derive(Args)]
struct FitOptions {
    /// First relaxation order (default: the minimal order k0 = ⌈deg/2⌉).
    #[arg(long)]
    order: Option<usize>,
    /// Last relaxation order (default: first order + 2).
    #[arg(long)]
    max_order: Option<usize>,
    /// Radius R of the ball constraint R² − ‖(c, θ)‖² ≥ 0.
    #[arg(long, default_value_t = DEFAULT_RADIUS, allow_negative_numbers = true)]
    radius: f64,
    /// Drop the ball constraint (the paper's unbounded formulation; may be ill-posed at order ≥ 3).
    #[arg(long)]
    no_ball: bool,
    /// The training loss.
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    loss: Loss,
    /// Skip the low-rank (trace-minimization) step.
    #[arg(long)]
    no_low_rank: bool,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to this file.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print the interior-point iterations.
    #[arg(long)]
    verbose: bool,
    /// Memory limit for one relaxation, in GB.
    #[arg(long, default_value_t = 16.0)]
    max_memory_gb: f64,
}

impl FitOptions {
    fn settings(&self) -> Result<FitSettings> {
        if self.max_memory_gb.is_nan() || self.max_memory_gb <= 0.0 {
            anyhow::bail!("--max-memory-gb must be positive");
        }
        Ok(FitSettings {
            loss: self.loss,
            radius: (!self.no_ball).then_some(self.radius),
            hierarchy: HierarchySettings {
                min_order: self.order,
                max_order: self.max_order,
                low_rank_step: !self.no_low_rank,
                sdp: SdpSettings {
                    verbose: self.verbose,
                    max_memory_bytes: (self.max_memory_gb * 1e9) as usize,
                    ..SdpSettings::default()
                },
                ..HierarchySettings::default()
            },
        })
    }
}

fn run_fit(problem: &Problem, opts: &FitOptions, live: bool) -> Result<FitReport> {
    let settings = opts.settings()?;
    let show = live && !opts.json;
    if show {
        println!("  {}", order_header());
    }
    let mut on_order = |o: &OrderResult| {
        if show {
            println!("  {}", order_line(&OrderSummary::from(o)));
        }
    };
    let report = fit(problem, &settings, &mut on_order)?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Fit { problem, opts } => Problem::load(problem)
            .map_err(anyhow::Error::from)
            .and_then(|p| run_fit(&p, opts, true).map(|_| ())),
        Command::Generate {
            degrees,
            widths,
            samples,
            test_samples,
            noise,
            seed,
            output,
        } => polyact::synthetic::generate(&polyact::synthetic::SyntheticSpec {
            degrees: degrees.clone(),
            widths: widths.clone(),
            samples: *samples,
            test_samples: *test_samples,
            noise: *noise,
            seed: *seed,
        })
        .and_then(|p| p.save(output))
        .map_err(anyhow::Error::from),
        Command::Example { opts } => {
            if !opts.json {
                println!(
                    "Example 3.4 (Zhang, Nie, Tang 2026): widths 4-4-4-4, degrees (2, 1), N = 2.\n\
                     Expected: order 1 not flat; order 2 flat with (c11, c12, c20, c21) = (1, -2, 1, -1), θ = 0.\n"
                );
            }
            run_fit(&example_3_4(), opts, true).map(|_| ())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
