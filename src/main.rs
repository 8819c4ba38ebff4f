//! The `kindling` binary: parse arguments, pick the allocator, run the
//! command ([`kindling::cmd`]).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use kindling::cli::Cli;
use kindling::cmd;

/// mimalloc: fleet builds make millions of small allocations on every
/// core and take about a third less CPU with it than with glibc's malloc
/// (`cargo bench --bench fleet`; figures in benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A TAB of the dynamic completion script: print candidates and exit.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(kindling::cli::COMPLETE_ENV)
        .complete();
    let cli = Cli::parse_from(cmd::normalize_args(std::env::args_os()));
    cmd::run(cli)
}
