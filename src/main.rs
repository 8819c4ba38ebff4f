//! The `kindling` binary: parse arguments, pick the allocator, run the
//! command ([`kindling::cmd`]).

use std::process::ExitCode;

use clap::Parser;
use kindling::cli::{Cli, Command};
use kindling::cmd;

mod allocator;

#[global_allocator]
static ALLOCATOR: allocator::Switching = allocator::Switching;

fn main() -> ExitCode {
    let cli = Cli::parse_from(cmd::normalize_args(std::env::args_os()));
    // `kindling butane` on one file is over before mimalloc would repay
    // its start-up; every other command is given mimalloc.
    if !matches!(cli.command, Command::Butane(_)) {
        allocator::use_mimalloc();
    }
    cmd::run(cli)
}
