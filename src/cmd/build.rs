//! `kindling build`: compile the fleet's hosts and write `build/<host>.ign`
//! all or nothing (a failing host is named with its first error, and
//! nothing is written); `--diff` first prints what changes per host.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::common::{Texts, fleet_options, leave_to_exit, out_dir, print, report, summary};
use crate::cli::BuildArgs;
use crate::diag::Severity;
use crate::diff::diff_configs;
use crate::fleet;
use crate::mask;
use crate::write::{Visibility, write_atomic};

pub fn run(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let out = out_dir(&args.fleet, &args.out);
    let mut options = fleet_options(&args.fleet, args.hosts.clone(), args.ignition_version)?;
    options.out = Some(out.clone());
    let mut build = fleet::compile(&options);
    // With --locked, a change to ports.lock fails the build instead.
    if args.locked {
        build
            .diagnostics
            .extend(build.port_lock.findings(Severity::Error));
    }
    report(
        &build.diagnostics,
        Texts::ByFile(&build.texts),
        args.fleet.raw_errors,
    );
    // All or nothing (issue 17 §3): a host that fails keeps the whole build
    // from being published; the report names each failing host, so one
    // broken service shows as the hosts that use it.
    if build.failed() {
        let mut message = format!("build failed, nothing written: {}", summary(&build));
        if !build.failed_hosts.is_empty() {
            message.push_str(&format!("\nfailed host(s):\n{}", failed_hosts(&build)));
        }
        bail!(message);
    }
    if args.strict && build.diagnostics.has_warnings() {
        bail!("build produced warnings and --strict was specified; nothing written");
    }
    if args.diff {
        print(build_diff(&out, &build.outputs).as_bytes())?;
    }
    if build.port_lock.changed() {
        let path = args.fleet.fleet.join(fleet::ports::LOCK_FILE);
        let text = fleet::ports::lock_text(&build.port_lock.picks);
        write_atomic(&path, text.as_bytes(), Visibility::Public)?;
    }
    fleet::write(
        &args.fleet.fleet,
        &out,
        &build.outputs,
        args.hosts.is_empty(),
    )?;
    eprintln!("{} → {}", summary(&build), out.display());
    leave_to_exit(build);
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
