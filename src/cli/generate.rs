//! `polyact generate`: a synthetic problem file.

use std::path::PathBuf;

use anyhow::Result;

use polyact::model::synthetic::{SyntheticSpec, generate};

/// Arguments of `polyact generate`.
#[derive(clap::Args)]
pub struct Args {
    /// Activation degrees d_1,…,d_D.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_negative_numbers = true
    )]
    pub degrees: Vec<usize>,
    /// Widths m_0,…,m_{D+1}.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_negative_numbers = true
    )]
    pub widths: Vec<usize>,
    /// Number of training samples.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    pub samples: usize,
    /// Number of held-out test samples.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub test_samples: usize,
    /// Noise level σ: y = f(x; c) + σ·N(0, I).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub noise: f64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
    /// Draw biases b_1..b_{D+1} too (entries N(0, 1/4)); without this flag every bias is zero.
    #[arg(long)]
    pub biases: bool,
    /// Output file.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Run `polyact generate`.
pub fn run(args: &Args) -> Result<()> {
    let problem = generate(&SyntheticSpec {
        degrees: args.degrees.clone(),
        widths: args.widths.clone(),
        samples: args.samples,
        test_samples: args.test_samples,
        noise: args.noise,
        seed: args.seed,
        biases: args.biases,
    })?;
    problem.save(&args.output)?;
    Ok(())
}
