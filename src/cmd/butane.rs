//! `kindling butane` (or the binary invoked as `butane`): translate one
//! Butane config to Ignition, with `butane`'s flags.

use std::process::ExitCode;

use anyhow::bail;

use super::common::{Texts, open_files_dir, print, report};
use crate::butane::{self, JsonStyle};
use crate::cli::ButaneArgs;
use crate::source::{butane_text, read_input};
use crate::write::{Visibility, write_atomic};

pub fn run(args: &ButaneArgs) -> anyhow::Result<ExitCode> {
    let files_dir = open_files_dir(args.files_dir.as_deref())?;
    let (bytes, name) = read_input(args.input.as_deref())?;
    let source = butane_text(&bytes, &name)?;
    let style = if args.pretty {
        JsonStyle::Pretty
    } else {
        JsonStyle::Compact
    };
    let options = butane::Options {
        files_dir,
        target: args.ignition_version,
        json: (!args.check).then_some(style),
    };
    let outcome = butane::compile(source, &name, &options);
    report(&outcome.diagnostics, Texts::One(source), args.raw_errors);
    let Some(config) = outcome.config else {
        bail!("Error translating config: the config has errors (see above)");
    };
    if args.strict && outcome.diagnostics.has_warnings() {
        bail!("Config produced warnings and --strict was specified");
    }
    if args.check {
        return Ok(ExitCode::SUCCESS);
    }
    let json = outcome
        .json
        .unwrap_or_else(|| butane::to_json(&config, style));
    match &args.output {
        Some(path) => write_atomic(path, &json, Visibility::Public)?,
        None => print(&json)?,
    }
    Ok(ExitCode::SUCCESS)
}
