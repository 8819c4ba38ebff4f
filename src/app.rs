//! The binary's edge: turns parsed arguments into stage calls, prints
//! findings, writes outputs. The only place that uses `anyhow`.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::butane::{self, files_dir::FilesDir};
use crate::cli::{ButaneArgs, Cli, Command};
use crate::diag::Diagnostics;
use crate::ignition::spec::Spec;
use crate::write::{Visibility, write_atomic};

/// When the binary is installed (or linked) as `butane`, behave as
/// `kindling butane`, so it drops into scripts that call `butane`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let invoked_as_butane = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .is_some_and(|name| name == "butane");
    if invoked_as_butane {
        args.insert(1, OsString::from("butane"));
    }
    args
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Butane(args) => run_butane(&args),
    }
}

/// Prints findings to stderr: annotated with source lines, or one per line.
fn report(diagnostics: &Diagnostics, source: &str, raw: bool) {
    let mut stderr = io::stderr().lock();
    for diagnostic in diagnostics {
        let text = if raw {
            diagnostic.raw()
        } else {
            diagnostic.pretty(Some(source))
        };
        // A closed stderr is no reason to fail the build.
        let _ = writeln!(stderr, "{}", text.trim_end());
        if !raw {
            let _ = writeln!(stderr);
        }
    }
}

fn read_input(input: Option<&Path>) -> anyhow::Result<(Vec<u8>, String)> {
    match input {
        None => read_stdin(),
        Some(path) if path == Path::new("-") => read_stdin(),
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok((bytes, path.display().to_string()))
        }
    }
}

fn read_stdin() -> anyhow::Result<(Vec<u8>, String)> {
    let mut bytes = Vec::new();
    io::stdin()
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    Ok((bytes, "<stdin>".to_owned()))
}

/// The input as text, or an error naming where the first invalid byte is.
fn decode_text(bytes: Vec<u8>, name: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let prefix = bytes.get(..valid).unwrap_or_default();
        let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
        let column = prefix.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        anyhow::anyhow!(
            "{name}:{line}:{column}: error: the file is not UTF-8 text (invalid byte 0x{:02x}); a Butane config must be YAML text",
            bytes.get(valid).copied().unwrap_or_default()
        )
    })
}

fn run_butane(args: &ButaneArgs) -> anyhow::Result<ExitCode> {
    let target = match &args.ignition_version {
        Some(text) => Some(Spec::parse(text).with_context(|| {
            format!(
                "unknown Ignition spec version {text}; use one of {}",
                Spec::ALL.map(Spec::as_str).join(", ")
            )
        })?),
        None => None,
    };
    let files_dir = match &args.files_dir {
        Some(dir) => Some(
            FilesDir::open(dir).with_context(|| format!("opening files directory {}", dir.display()))?,
        ),
        None => None,
    };
    let (bytes, name) = read_input(args.input.as_deref())?;
    let source = decode_text(bytes, &name)?;
    let options = butane::Options { files_dir, target };
    let outcome = butane::compile(&source, &name, &options);
    report(&outcome.diagnostics, &source, args.raw_errors);
    let Some(config) = outcome.config else {
        bail!("Error translating config: the config has errors (see above)");
    };
    if args.strict && outcome.diagnostics.has_warnings() {
        bail!("Config produced warnings and --strict was specified");
    }
    if args.check {
        return Ok(ExitCode::SUCCESS);
    }
    let json = butane::to_json(&config, args.pretty);
    match &args.output {
        Some(path) => write_atomic(path, &json, Visibility::Public)?,
        None => {
            let mut stdout = io::stdout().lock();
            if let Err(error) = stdout.write_all(&json).and_then(|()| stdout.flush()) {
                // A reader that went away (`| head`) is not a failure.
                if error.kind() != io::ErrorKind::BrokenPipe {
                    return Err(error).context("writing standard output");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
