//! The `kindling` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use kindling::app;
use kindling::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse_from(app::normalize_args(std::env::args_os()));
    match app::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kindling: {error:#}");
            ExitCode::FAILURE
        }
    }
}
