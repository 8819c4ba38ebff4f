//! `kindling diff OLD NEW`: compare two configs by what they do. Exit
//! status 0 when equivalent, 1 when they differ (errors are 2, see
//! [`super::run`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::common::{load_config, load_options, print};
use crate::cli::{DiffArgs, Format};
use crate::diff::diff_configs;
use crate::mask;

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    if args.old == Path::new("-") && args.new == Path::new("-") {
        bail!("only one side of the diff can be standard input");
    }
    let options = load_options(args.files_dir.as_deref())?;
    let old = load_config(Some(&args.old), &options)?;
    let new = load_config(Some(&args.new), &options)?;
    // A fleet host knows which files are secrets: hide them on both sides.
    let mut secrets = old.secrets;
    secrets.extend(new.secrets);
    let (old, new) = mask::hide_pair(old.config, new.config, &secrets);
    let diff = diff_configs(&old, &new);
    if !args.quiet {
        let output = match args.format {
            Format::Text => diff.to_string(),
            Format::Json => {
                let mut json =
                    serde_json::to_string_pretty(&diff).context("serializing the diff")?;
                json.push('\n');
                json
            }
        };
        print(output.as_bytes())?;
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
