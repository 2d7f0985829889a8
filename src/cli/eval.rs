//! `polyact eval`: train and test errors of a fit report's coefficients, and the residual figure.

use std::path::PathBuf;

use anyhow::{Context, Result};

use polyact::model::Problem;

/// Arguments of `polyact eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Problem file (with optional test_inputs/test_outputs).
    pub problem: PathBuf,
    /// Fit report (JSON from `polyact fit --json`); its `coefficients` are evaluated.
    pub report: PathBuf,
    /// Draw the residual figure (the paper's Figure 1) to this path, as PNG and SVG (same basename).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `polyact eval`.
pub fn run(args: &Args) -> Result<()> {
    use polyact::experiments::evaluate::{evaluate, read_report, residuals};
    let problem = Problem::load(&args.problem)?;
    let (coefficients, fitted_loss) = read_report(&args.report)?;
    let mut eval = evaluate(&problem, &coefficients).with_context(|| {
        format!(
            "{} does not fit {}",
            args.report.display(),
            args.problem.display()
        )
    })?;
    eval.fitted_loss = fitted_loss;
    if args.json {
        println!("{}", eval.to_json());
    } else {
        println!("{eval}");
    }
    if let Some(path) = &args.plot {
        let r = residuals(&problem.network, &problem.data, &coefficients);
        let test = problem
            .test
            .as_ref()
            .map(|t| residuals(&problem.network, t, &coefficients));
        let join = |v: &[usize], sep: &str| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(sep)
        };
        let name = args
            .problem
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut errors = format!(
            "widths {}, degrees {}, N = {}, training MSE {:.3e}",
            join(&problem.network.widths(), "-"),
            join(problem.network.degrees(), ","),
            problem.data.len(),
            eval.train.mse
        );
        if let Some(t) = &eval.test {
            errors.push_str(&format!(
                ", {} test samples, test MSE {:.3e}",
                t.samples, t.mse
            ));
        }
        let (png, svg) = polyact::experiments::plot::residual_figure(
            &polyact::experiments::plot::ResidualFigure {
                residuals: &r,
                test_residuals: test.as_deref(),
                title: vec![format!("Residuals of {name}"), errors],
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
