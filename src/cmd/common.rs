//! What several commands share: writing to stdout (a reader that went away
//! is not a failure), printing findings, opening a files directory, loading
//! a config through [`crate::source`] with its findings printed, the fleet
//! compiler's options, `--out`, the hosts a command names, and new files
//! written all or nothing ([`Created`]).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, anyhow, bail};

use crate::butane::files_dir::FilesDir;
use crate::cli::{ColorWhen, FleetArgs};
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

/// Whether annotated findings are colored, decided once from `--color`.
static COLOR: OnceLock<bool> = OnceLock::new();

/// Decides from `--color` whether findings are colored: `auto` colors when
/// stderr is a terminal and `NO_COLOR` is unset or empty (no-color.org).
pub fn set_color(when: ColorWhen) {
    let color = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    };
    // Set once per process by `cmd::run`; a second call changes nothing.
    let _ = COLOR.set(color);
}

/// How `report` prints each finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Annotated with the source lines, colored as `--color` says.
    Pretty,
    /// One line: file:line:col, code, path, message and help.
    Raw,
    /// One line exactly as `butane --raw-errors` prints it.
    ButaneRaw,
}

impl Style {
    /// `Raw` when `--raw-errors` was given, else `Pretty`.
    pub fn raw_if(raw: bool) -> Self {
        if raw { Style::Raw } else { Style::Pretty }
    }
}

/// Prints findings to stderr: annotated with their source lines, or one
/// per line when `raw`.
pub fn report(diagnostics: &Diagnostics, texts: Texts<'_>, raw: bool) {
    report_styled(diagnostics, texts, Style::raw_if(raw));
}

/// Prints findings to stderr in `style`.
pub fn report_styled(diagnostics: &Diagnostics, texts: Texts<'_>, style: Style) {
    let color = COLOR.get().copied().unwrap_or(false);
    let mut stderr = io::stderr().lock();
    for diagnostic in diagnostics {
        let raw = style != Style::Pretty;
        let text = match style {
            Style::Raw => diagnostic.raw(),
            Style::ButaneRaw => diagnostic.butane_raw(),
            Style::Pretty => diagnostic.pretty_styled(texts.of(diagnostic), color),
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

/// The age identity given by the environment (`KINDLING_AGE_IDENTITY`),
/// used when `--identity` is not.
pub fn identity_env() -> Option<String> {
    std::env::var("KINDLING_AGE_IDENTITY").ok()
}

/// The time certificates are checked against: `--now`, else
/// `SOURCE_DATE_EPOCH` (reproducible builds' convention), else the clock.
pub fn build_time(now: Option<i64>) -> anyhow::Result<Option<i64>> {
    if now.is_some() {
        return Ok(now);
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse::<i64>().map(Some).map_err(|_| {
            anyhow::anyhow!("SOURCE_DATE_EPOCH={text} is not a number of seconds since 1970")
        }),
        Err(_) => Ok(None),
    }
}

/// The fleet compiler's options; the age identity comes from `--identity`
/// or `KINDLING_AGE_IDENTITY` (findings about how it is kept come out of
/// [`fleet::compile`] with the build's).
/// Compiles the fleet and reports its findings (annotated, or raw lines
/// with `--raw-errors`) on stderr, as every command that builds does.
pub fn compile_reported(options: &fleet::Options, args: &FleetArgs) -> fleet::Build {
    let build = fleet::compile(options);
    report(
        &build.diagnostics,
        Texts::ByFile(&build.texts),
        args.raw_errors,
    );
    build
}

pub fn fleet_options(
    args: &FleetArgs,
    hosts: Vec<String>,
    target: Option<Spec>,
) -> anyhow::Result<fleet::Options> {
    let identities = Identities::load(args.identity.as_deref(), identity_env().as_deref())
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.help()))?;
    Ok(fleet::Options {
        root: args.fleet.clone(),
        hosts,
        target,
        identities,
        now: build_time(args.now)?,
        out: None,
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
        target: None,
        identity: None,
        identity_env: identity_env(),
    })
}

/// Loads `source` ([`ConfigSource::load`]), printing the findings: its
/// warnings, or the errors that made a Butane config fail. Findings about
/// other files (a fleet host's services) print raw, as do all with `raw`.
pub fn load_reported(
    source: &ConfigSource,
    options: &LoadOptions,
    raw: bool,
) -> Result<Loaded, SourceError> {
    match source.load(options) {
        Ok(loaded) => {
            let text = String::from_utf8_lossy(source.bytes());
            let foreign = loaded
                .diagnostics
                .iter()
                .any(|d| d.file.as_deref() != Some(source.name.as_str()));
            report(&loaded.diagnostics, Texts::One(&text), raw || foreign);
            Ok(loaded)
        }
        Err(error) => {
            if let SourceError::Butane {
                source_text,
                diagnostics,
                ..
            } = &error
            {
                report(diagnostics, Texts::One(source_text), raw);
            }
            Err(error)
        }
    }
}

/// Reads and loads one input (Ignition, Butane or a fleet host manifest),
/// printing its findings; `None`/`-` is standard input.
pub fn load_config(input: Option<&Path>, options: &LoadOptions) -> anyhow::Result<Loaded> {
    let source = ConfigSource::read(input)?;
    match load_reported(&source, options, false) {
        Ok(loaded) => Ok(loaded),
        Err(SourceError::Butane { name, .. }) => {
            bail!("{name}: the Butane config has errors (see above)")
        }
        Err(error) => Err(error.into()),
    }
}

/// Writes `bytes` to a new file (never over an existing one) with `mode`.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(bytes).and_then(|()| file.sync_all())
}

/// What was created so far (`init`, `import`), removed again unless the
/// command completes.
#[derive(Default)]
pub struct Created {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Set once everything is written: the files stay.
    pub done: bool,
}

impl Created {
    pub fn dir(&mut self, dir: &Path, mode: u32) -> anyhow::Result<()> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(path) = at.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            missing.push(path.to_path_buf());
            at = path.parent();
        }
        for path in missing.into_iter().rev() {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
            builder
                .create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            self.dirs.push(path);
        }
        Ok(())
    }

    pub fn file(&mut self, path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            self.dir(parent, 0o755)?;
        }
        create_new(path, bytes, mode).map_err(|error| {
            if error.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!("{} appeared meanwhile; nothing was written", path.display())
            } else {
                anyhow!(
                    "cannot write {}: {error}; nothing was written",
                    path.display()
                )
            }
        })?;
        self.files.push(path.to_path_buf());
        Ok(())
    }

    /// A new symbolic link at `path` to `target`.
    #[cfg(unix)]
    pub fn symlink(&mut self, path: &Path, target: &Path) -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            self.dir(parent, 0o755)?;
        }
        std::os::unix::fs::symlink(target, path)
            .with_context(|| format!("cannot link {}; nothing was written", path.display()))?;
        self.files.push(path.to_path_buf());
        Ok(())
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Where `--out` points: a relative path is taken from the fleet's
/// directory, not the working directory.
pub fn out_dir(fleet: &FleetArgs, out: &Path) -> PathBuf {
    if out.is_relative() {
        fleet.fleet.join(out)
    } else {
        out.to_path_buf()
    }
}

/// The fleet compiled with its findings reported, for a command that
/// writes media from it: a failed build writes nothing.
pub fn compile_for_media(
    options: &fleet::Options,
    args: &FleetArgs,
) -> anyhow::Result<fleet::Build> {
    let build = compile_reported(options, args);
    if build.failed() {
        bail!("nothing written: {}", summary(&build));
    }
    Ok(build)
}

/// The compiled output of `host`, named on the command line.
pub fn host_output<'b>(
    build: &'b fleet::Build,
    host: &str,
    args: &FleetArgs,
) -> anyhow::Result<&'b fleet::HostOutput> {
    build
        .outputs
        .iter()
        .find(|o| o.name == host)
        .ok_or_else(|| {
            anyhow!(
                "no host {host} in the fleet at {}; nothing written",
                args.fleet.display()
            )
        })
}

/// Leaves a finished build's memory to the process's exit: handing a
/// 1,000-host build back block by block costs ~25 ms on one thread after
/// the work is done (`cargo bench --bench fleet`). Call last, in a command
/// the process ends with.
pub fn leave_to_exit(build: fleet::Build) {
    std::mem::forget(build);
}

/// The selected hosts' plans (their `os:` and `install:`), read from the
/// fleet a build just compiled (its findings were reported with the
/// build's), leaving out the output directory `out`.
pub fn host_plans(
    args: &FleetArgs,
    hosts: &[String],
    out: &Path,
) -> BTreeMap<String, fleet::resolve::HostPlan> {
    let exclusions = fleet::exclusions(&args.fleet, Some(out), args.identity.as_deref());
    let (inventory, _) = fleet::load::load(&args.fleet, exclusions);
    fleet::fleetwide::plan_hosts(&inventory, hosts).0
}
