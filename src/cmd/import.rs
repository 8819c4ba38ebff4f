//! `kindling import --butane DIR [-d DIR] [--fleet OUT]`: converts a Butane
//! layout ([`crate::import`]), builds the new fleet in a scratch directory
//! and compares every host with its original, then writes the fleet to
//! OUT (never over anything) and reports host by host.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::common::{Created, print};
use crate::butane::files_dir::FilesDir;
use crate::cli::ImportArgs;
use crate::confine::{Exclusions, FleetRoot};
use crate::import::verify::{self, Verdict};
use crate::import::{self, Conversion, OutFile};

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let out = &args.fleet;
    if fs::symlink_metadata(out.join("fleet.yaml")).is_ok() {
        bail!(
            "{} already holds a fleet (fleet.yaml); import into a new directory",
            out.display()
        );
    }
    let root = FleetRoot::open(&args.butane, Exclusions::none().output_dir(out))
        .with_context(|| format!("opening {}", args.butane.display()))?;
    let files_from = args.files_dir.as_deref().unwrap_or(&args.butane);
    let files_dir = FilesDir::open(files_from)
        .with_context(|| format!("opening files directory {}", files_from.display()))?;
    let layout = import::scan(&root)?;
    let options = import::Options {
        auto_update_timer: args.auto_update_timer,
    };
    let conversion = import::convert(layout, &files_dir, options);
    let mut existing: Vec<String> = conversion
        .files
        .keys()
        .filter(|path| fs::symlink_metadata(out.join(path)).is_ok())
        .cloned()
        .collect();
    if !existing.is_empty() {
        existing.truncate(5);
        bail!(
            "{} already has {}; nothing was written (import into a new directory)",
            out.display(),
            existing.join(", ")
        );
    }
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let mut scratch_files = Created::default();
    write_fleet(scratch.path(), &conversion, &mut scratch_files)?;
    // The scratch directory goes as a whole.
    scratch_files.done = true;
    let verdicts = verify::verify(scratch.path(), &conversion.hosts);
    let mut created = Created::default();
    write_fleet(out, &conversion, &mut created)?;
    created.done = true;
    print(report(args, &conversion, &verdicts).as_bytes())?;
    let all_equal = conversion.skipped.is_empty() && verdicts.values().all(Verdict::is_equal);
    Ok(if all_equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn write_fleet(dir: &Path, conversion: &Conversion, created: &mut Created) -> anyhow::Result<()> {
    created.dir(dir, 0o755)?;
    for (path, file) in &conversion.files {
        let target = dir.join(path);
        match file {
            OutFile::Bytes { bytes, executable } => {
                created.file(&target, bytes, if *executable { 0o755 } else { 0o644 })?;
            }
            OutFile::Directory => created.dir(&target, 0o755)?,
            #[cfg(unix)]
            OutFile::Symlink(link) => created.symlink(&target, Path::new(link))?,
            #[cfg(not(unix))]
            OutFile::Symlink(_) => bail!("{path} is a symbolic link: import it on Unix"),
        }
    }
    Ok(())
}

fn report(
    args: &ImportArgs,
    conversion: &Conversion,
    verdicts: &BTreeMap<String, Verdict>,
) -> String {
    let count = |wanted: fn(&Verdict) -> bool| verdicts.values().filter(|v| wanted(v)).count();
    let mut text = format!(
        "kindling import: {} host(s) from {} into {}: {} identical, {} semantically equal, {} different, {} not converted\n",
        conversion.hosts.len(),
        args.butane.display(),
        args.fleet.display(),
        count(|v| matches!(v, Verdict::Identical)),
        count(|v| matches!(v, Verdict::Equal)),
        count(|v| matches!(v, Verdict::Differs(_) | Verdict::Failed(_))),
        conversion.skipped.len(),
    );
    for host in &conversion.hosts {
        let verdict = match verdicts.get(&host.name) {
            Some(Verdict::Identical) => "identical".to_owned(),
            Some(Verdict::Equal) => "semantically equal".to_owned(),
            Some(Verdict::Differs(_)) => "DIFFERENT".to_owned(),
            Some(Verdict::Failed(error)) => format!("DOES NOT BUILD: {error}"),
            None => "not compared".to_owned(),
        };
        let _ = writeln!(
            text,
            "\nhosts/{}.yaml (from {}): {verdict}",
            host.name, host.source
        );
        if !host.services.is_empty() {
            let _ = writeln!(text, "  services: {}", host.services.join(", "));
        }
        if host.adds_timer {
            let _ = writeln!(
                text,
                "  and podman-auto-update.timer enabled, which the original lacks (--auto-update-timer)"
            );
        }
        if !host.includes.is_empty() {
            let _ = writeln!(text, "  include: {}", host.includes.join(", "));
        }
        let _ = writeln!(
            text,
            "  {} entr{} moved to shared snippets, {} left in butane:",
            host.shared,
            if host.shared == 1 { "y" } else { "ies" },
            host.remaining
        );
        for kept in &host.kept {
            let _ = writeln!(text, "  kept in butane: {kept}");
        }
        if let Some(Verdict::Differs(diff)) = verdicts.get(&host.name) {
            for line in diff.to_string().lines() {
                let _ = writeln!(text, "    {line}");
            }
        }
    }
    for (part, snippet) in &conversion.parts {
        let _ = writeln!(text, "\n{part} (merged by other files): {snippet}");
    }
    for skipped in &conversion.skipped {
        let _ = writeln!(
            text,
            "\n{}: NOT CONVERTED (copied to unconverted/{}): {}",
            skipped.source, skipped.source, skipped.reason
        );
    }
    text
}
