//! What several commands share: writing to stdout (a reader that went away
//! is not a failure), printing findings, reading an input, opening a files
//! directory, and the fleet compiler's options.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};

use crate::butane::files_dir::FilesDir;
use crate::cli::FleetArgs;
use crate::diag::{Diagnostic, Diagnostics};
use crate::fleet::{self, secrets::Identities};
use crate::ignition::spec::Spec;
use crate::source::{ConfigSource, LoadOptions, Loaded, SourceError};

/// Writes `bytes` to stdout; a reader that went away (`| head`) is fine.
pub fn print(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout.write_all(bytes).and_then(|()| stdout.flush())
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(error).context("writing standard output");
    }
    Ok(())
}

/// The text that findings are annotated with.
#[derive(Clone, Copy)]
pub enum Texts<'a> {
    /// Every finding is about this one document.
    One(&'a str),
    /// The text of each file a finding names (a fleet build's files).
    ByFile(&'a BTreeMap<String, String>),
}

impl<'a> Texts<'a> {
    fn of(self, diagnostic: &Diagnostic) -> Option<&'a str> {
        match self {
            Texts::One(text) => Some(text),
            Texts::ByFile(texts) => diagnostic
                .file
                .as_ref()
                .and_then(|file| texts.get(file))
                .map(String::as_str),
        }
    }
}

/// Prints findings to stderr: annotated with their source lines, or one
/// per line when `raw`.
pub fn report(diagnostics: &Diagnostics, texts: Texts<'_>, raw: bool) {
    let mut stderr = io::stderr().lock();
    for diagnostic in diagnostics {
        let text = if raw {
            diagnostic.raw()
        } else {
            diagnostic.pretty(texts.of(diagnostic))
        };
        // A closed stderr is no reason to fail the command.
        let _ = writeln!(stderr, "{}", text.trim_end());
        if !raw {
            let _ = writeln!(stderr);
        }
    }
}

/// `N host(s) compiled, E error(s), W warning(s)`.
pub fn summary(build: &fleet::Build) -> String {
    let errors = build.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = build.diagnostics.len() - errors;
    format!(
        "{} host(s) compiled, {errors} error(s), {warnings} warning(s)",
        build.outputs.len()
    )
}

/// The fleet compiler's options; the age identity comes from `--identity`
/// or `KINDLING_AGE_IDENTITY`.
pub fn fleet_options(
    args: &FleetArgs,
    hosts: Vec<String>,
    target: Option<Spec>,
) -> anyhow::Result<fleet::Options> {
    let env = std::env::var("KINDLING_AGE_IDENTITY").ok();
    let identities = Identities::load(args.identity.as_deref(), env.as_deref())
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.help()))?;
    Ok(fleet::Options {
        root: args.fleet.clone(),
        hosts,
        target,
        identities,
    })
}

/// Opens `-d DIR`, the directory Butane `local` paths are read from.
pub fn open_files_dir(dir: Option<&Path>) -> anyhow::Result<Option<FilesDir>> {
    dir.map(|dir| {
        FilesDir::open(dir).with_context(|| format!("opening files directory {}", dir.display()))
    })
    .transpose()
}

/// What loading an input needs: `-d DIR`, and the age identity of a fleet
/// host's secrets from `KINDLING_AGE_IDENTITY`.
pub fn load_options(files_dir: Option<&Path>) -> anyhow::Result<LoadOptions> {
    Ok(LoadOptions {
        files_dir: open_files_dir(files_dir)?,
        identity: None,
        identity_env: std::env::var("KINDLING_AGE_IDENTITY").ok(),
    })
}

/// Reads and loads one input (Ignition, Butane or a fleet host manifest),
/// printing Butane findings; `None`/`-` is standard input.
pub fn load_config(input: Option<&Path>, options: &LoadOptions) -> anyhow::Result<Loaded> {
    let (bytes, name) = read_input(input)?;
    let path = input.filter(|p| *p != Path::new("-"));
    let source = ConfigSource::new(name, path, bytes);
    match source.load(options) {
        Ok(loaded) => {
            let text = String::from_utf8_lossy(source.bytes());
            // Findings about other files (a fleet host's services) print raw.
            let foreign = loaded
                .diagnostics
                .iter()
                .any(|d| d.file.as_deref() != Some(source.name.as_str()));
            report(&loaded.diagnostics, Texts::One(&text), foreign);
            Ok(loaded)
        }
        Err(SourceError::Butane {
            name,
            source_text,
            diagnostics,
        }) => {
            report(&diagnostics, Texts::One(&source_text), false);
            bail!("{name}: the Butane config has errors (see above)")
        }
        Err(error) => Err(error.into()),
    }
}

/// The bytes of `input` and its display name; `None`/`-` is standard input.
pub fn read_input(input: Option<&Path>) -> anyhow::Result<(Vec<u8>, String)> {
    match input {
        Some(path) if path != Path::new("-") => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok((bytes, path.display().to_string()))
        }
        _ => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")?;
            Ok((bytes, "<stdin>".to_owned()))
        }
    }
}

/// The input as text, or an error naming where the first invalid byte is.
pub fn decode_text(bytes: Vec<u8>, name: &str) -> anyhow::Result<String> {
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
