//! `kindling completions SHELL`: print a shell completion script.

use std::process::ExitCode;

use clap::CommandFactory;

use super::common::print;
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "kindling", &mut script);
    print(&script)?;
    Ok(ExitCode::SUCCESS)
}
