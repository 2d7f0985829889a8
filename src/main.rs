//! `polyact`: the command-line interface (see [`cli`]).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
