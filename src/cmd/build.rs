//! `kindling build`: compile the fleet's hosts and publish `build/<host>.ign`
//! for every host that compiled, each all or nothing (a failed host keeps
//! its previous output; the exit status says it failed); `--diff` first
//! prints what changes per host.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::common::{Texts, fleet_options, print, report, summary};
use crate::cli::BuildArgs;
use crate::diff::diff_configs;
use crate::fleet;
use crate::mask;

pub fn run(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let out = if args.out.is_relative() {
        args.fleet.fleet.join(&args.out)
    } else {
        args.out.clone()
    };
    let mut options = fleet_options(&args.fleet, args.hosts.clone(), args.ignition_version)?;
    options.out = Some(out.clone());
    let build = fleet::compile(&options);
    report(
        &build.diagnostics,
        Texts::ByFile(&build.texts),
        args.fleet.raw_errors,
    );
    // Errors confined to some hosts fail those hosts only: the others are
    // published. Anything else (the fleet did not load, --strict) writes
    // nothing.
    if build.failed() && (build.fleet_failed || build.outputs.is_empty()) {
        bail!("build failed, nothing written: {}", summary(&build));
    }
    if args.strict && build.diagnostics.has_warnings() {
        bail!("build produced warnings and --strict was specified; nothing written");
    }
    if args.diff {
        print(build_diff(&out, &build.outputs).as_bytes())?;
    }
    let failed: BTreeSet<String> = build.failed_hosts.keys().cloned().collect();
    let others = if args.hosts.is_empty() {
        fleet::Others::KeepOnly(&failed)
    } else {
        fleet::Others::KeepAll
    };
    fleet::write(&args.fleet.fleet, &out, &build.outputs, others)?;
    if build.failed() {
        bail!(
            "build failed for {} host(s), the other {} published to {} (a failed host keeps its previous output, if it had one):\n{}",
            failed.len(),
            build.outputs.len(),
            out.display(),
            failed_hosts(&build)
        );
    }
    eprintln!("{} → {}", summary(&build), out.display());
    Ok(ExitCode::SUCCESS)
}

/// One line per failed host: its name and first error.
pub fn failed_hosts(build: &fleet::Build) -> String {
    build
        .failed_hosts
        .iter()
        .map(|(host, reason)| format!("  {host}: {reason}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What `build --diff` prints: per host, the change against the config
/// already in `out`.
fn build_diff(out: &Path, outputs: &[fleet::HostOutput]) -> String {
    let mut text = String::new();
    for output in outputs {
        let path = out.join(format!("{}.ign", output.name));
        let Ok(bytes) = std::fs::read(&path) else {
            text.push_str(&format!("## {}: new ({})\n", output.name, path.display()));
            continue;
        };
        match crate::source::parse_ignition(&bytes, &path.display().to_string()) {
            Ok((old, _)) => {
                let (old, new) = mask::hide_pair(old, output.config.clone(), &output.secrets);
                let diff = diff_configs(&old, &new);
                if diff.is_empty() {
                    text.push_str(&format!("## {}: unchanged\n", output.name));
                } else {
                    text.push_str(&format!("## {}\n{diff}", output.name));
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                }
            }
            Err(error) => text.push_str(&format!(
                "## {}: replacing an unreadable config: {error}\n",
                output.name
            )),
        }
    }
    text
}
