//! `polyact pop`: a general polynomial optimization problem from a POP file.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::options::{HierarchyOptions, ReportOptions, write_certificate};
use polyact::relax::events::Event;
use polyact::report::{OrderSummary, order_header, order_line};

/// Arguments of `polyact pop`.
#[derive(clap::Args)]
pub struct Args {
    /// POP file (objective, inequalities, equalities as polynomials).
    pub problem: PathBuf,
    /// Radius R of a ball constraint R² − ‖z‖² ≥ 0 (replaces the file's "radius"; default: the file's, else
    /// none).
    #[arg(long, allow_negative_numbers = true)]
    pub radius: Option<f64>,
    #[command(flatten)]
    pub hierarchy: HierarchyOptions,
    #[command(flatten)]
    pub report: ReportOptions,
}

/// Run `polyact pop`.
pub fn run(args: &Args) -> Result<()> {
    let mut problem = polyact::pop::file::load_pop(&args.problem)?;
    if let Some(r) = args.radius {
        if r.is_nan() || r <= 0.0 {
            anyhow::bail!("--radius must be positive, got {r}");
        }
        if problem.radius.is_some() {
            problem.pop.inequalities.pop();
        }
        problem.pop = problem.pop.with_ball(r);
    }
    let settings = args.hierarchy.settings()?;
    let opts = &args.report;
    let show = !opts.json;
    // The table's header comes with the first order's line: an input error found before any solve prints
    // nothing on stdout.
    let mut printed = false;
    let mut progress = polyact::progress::TerminalProgress::new(args.hierarchy.quiet);
    let mut on_order = |e: &Event| {
        progress.handle(e);
        if let (Event::OrderDone(o), true) = (e, show) {
            if !std::mem::replace(&mut printed, true) {
                println!("  {}", order_header());
            }
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
    } else if printed {
        // The hierarchy table was printed line by line above.
        println!("\n{report:#}");
    } else {
        println!("{report}");
    }
    Ok(())
}
