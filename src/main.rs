//! The `kindling` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use kindling::app;
use kindling::cli::{Cli, Command};

mod allocator;

#[global_allocator]
static ALLOCATOR: allocator::Switching = allocator::Switching;

fn main() -> ExitCode {
    let cli = Cli::parse_from(app::normalize_args(std::env::args_os()));
    // `kindling butane` on one file is over before mimalloc would repay
    // its start-up; every other command is given mimalloc.
    if !matches!(cli.command, Command::Butane(_)) {
        allocator::use_mimalloc();
    }
    match app::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kindling: {error:#}");
            ExitCode::FAILURE
        }
    }
}
