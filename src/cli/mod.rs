//! `polyact`: the command-line interface, a thin layer over the library. One module per subcommand, each with
//! its own `Args` and `run`; the option groups several subcommands share are in [`options`].

mod compare;
mod eval;
mod example;
mod fit;
mod generate;
mod options;
mod pop;
mod reduce;
mod reproduce;
mod sdp;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Fit(fit::Args),
    /// Write the sufficient statistics of a data shard for a loss (merge shards with `fit --stats`).
    ///
    /// Distributed recipe: run `polyact reduce` on every shard (any engine: a job array, Spark, Ray …), copy
    /// the small statistics files to one machine and run `polyact fit PROBLEM.json --stats a.json b.json …`.
    Reduce(reduce::Args),
    /// Write a synthetic problem (random weights and coefficients, data with Gaussian noise).
    Generate(generate::Args),
    /// Solve a general polynomial optimization problem given in a POP file (see README).
    Pop(pop::Args),
    /// Global (Moment-SOS) and local training side by side on the same problem and loss.
    Compare(compare::Args),
    /// Check an SOS certificate written by `--certificate` against its problem, independently of the solver.
    Verify(verify::Args),
    /// Solve the paper's Example 3.4 and print each order's result.
    Example(example::Args),
    /// Reproduce one of the paper's Tables 1–5 on synthetic problems (see docs/RESULTS.md).
    Reproduce(reproduce::Args),
    /// Train and test MSE/RMSE and the loss of a fit report's coefficients; optionally the residual figure.
    Eval(eval::Args),
    /// Solve an SDP in SDPA sparse format (.dat-s) and check the solution independently.
    Sdp(sdp::Args),
}

/// Parse the command line, run the subcommand, print an error as one `error: …` line (exit 1).
pub fn main() -> ExitCode {
    // Exit quietly when the reader of stdout goes away (`polyact … | head`) instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Fit(args) => fit::run(args),
        Command::Reduce(args) => reduce::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Pop(args) => pop::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Example(args) => example::run(args),
        Command::Reproduce(args) => reproduce::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Sdp(args) => sdp::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
