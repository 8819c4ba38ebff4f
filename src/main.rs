//! The `kindling` binary: parse arguments, pick the allocator, run the
//! command ([`kindling::cmd`]).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use kindling::cli::Cli;
use kindling::cmd;

/// With the `mimalloc` feature (the default): fleet builds make millions of
/// small allocations on every core and take ~20% less CPU with mimalloc;
/// without it (`--no-default-features`) the system allocator, whose set-up
/// costs a short `kindling butane` run ~0.15 ms less (`cargo bench --bench
/// fleet` and `--bench butane`; benches/README.md, "Allocator").
#[cfg(feature = "mimalloc")]
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
