//! `polyact reproduce`: one of the paper's tables on synthetic problems.

use std::path::PathBuf;

use anyhow::{Context, Result};

use polyact::fit::DEFAULT_RADIUS;
use polyact::model::Loss;

/// Arguments of `polyact reproduce`.
#[derive(clap::Args)]
pub struct Args {
    /// The paper's table: 1 (2,2), 2 (2,3), 3 (1,1,1), 4 (2,1,1), 5 (3,2) with test MSE/RMSE.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub table: u8,
    /// Repetitions (seeds) per row; rows then show mean ± std.
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Seed of the first repetition (repetition r uses seed + r, as `polyact generate --seed`).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Noise level σ.
    #[arg(long, default_value_t = polyact::experiments::PAPER_NOISE, allow_negative_numbers = true)]
    pub noise: f64,
    /// Highest relaxation order (lsq on degrees (2,3) needs 4: its minimal order).
    #[arg(long, default_value_t = polyact::experiments::PAPER_MAX_ORDER)]
    pub max_order: usize,
    /// The training loss (the paper's is mean-inf).
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    pub loss: Loss,
    /// Sizes NxM (samples x width), comma-separated (default: the paper's 50x20,100x25,150x30,200x35,250x40).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    pub sizes: Vec<(usize, usize)>,
    /// Radius R of the ball constraint.
    #[arg(long, default_value_t = DEFAULT_RADIUS, allow_negative_numbers = true)]
    pub radius: f64,
    /// Print JSON (configuration, every run, summaries, the paper's numbers).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one line per run).
    #[arg(long)]
    pub csv: bool,
    /// Also write the full JSON (configuration, every run, summaries) to this file, whatever is printed.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
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

/// Run `polyact reproduce`.
pub fn run(args: &Args) -> Result<()> {
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
