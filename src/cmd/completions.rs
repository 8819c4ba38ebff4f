//! `kindling completions SHELL [--dynamic]`: print a shell completion
//! script. The static one is generated from the CLI definition; the
//! dynamic one asks the binary at each TAB (`KINDLING_COMPLETE` set, see
//! `main.rs`), which also offers the fleet's host and service names.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::CommandFactory;
use clap_complete::Shell;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use super::common::print;
use crate::cli::{COMPLETE_ENV, Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    if args.dynamic {
        let completer: &dyn EnvCompleter = match args.shell {
            Shell::Bash => &Bash,
            Shell::Zsh => &Zsh,
            Shell::Fish => &Fish,
            Shell::Elvish => &Elvish,
            Shell::PowerShell => &Powershell,
            other => bail!("no dynamic completion for {other}"),
        };
        completer
            .write_registration(
                COMPLETE_ENV,
                "kindling",
                "kindling",
                "kindling",
                &mut script,
            )
            .context("writing the completion script")?;
    } else {
        clap_complete::generate(args.shell, &mut Cli::command(), "kindling", &mut script);
    }
    print(&script)?;
    Ok(ExitCode::SUCCESS)
}
