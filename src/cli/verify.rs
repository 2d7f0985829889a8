//! `polyact verify`: an SOS certificate checked against its problem, independently of the solver.

use std::path::PathBuf;

use anyhow::Result;

/// Arguments of `polyact verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The problem file (POP file or network problem file).
    pub problem: PathBuf,
    /// The certificate file.
    pub certificate: PathBuf,
    /// Print the verification as JSON.
    #[arg(long)]
    pub json: bool,
    /// Tolerance on residual coefficients (relative to 1 + |γ|) and on Gram eigenvalues (relative).
    #[arg(long, default_value_t = polyact::fit::CERTIFICATE_TOLERANCE, allow_negative_numbers = true)]
    pub tolerance: f64,
}

/// Run `polyact verify`.
pub fn run(args: &Args) -> Result<()> {
    let json = args.json;
    let v = polyact::relax::certificate::verify_files(
        &args.problem,
        &args.certificate,
        args.tolerance,
    )?;
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
