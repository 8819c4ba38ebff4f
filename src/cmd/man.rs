//! `kindling man`: print the man page (roff), or write one page per command
//! into a directory.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use super::common::print;
use crate::cli::{Cli, ManArgs};

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("rendering the man page")?;
            print(&page)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
