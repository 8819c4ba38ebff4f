//! `kindling check`: compile and validate the fleet's hosts, write nothing;
//! report as annotated text or as JSON.

use std::process::ExitCode;

use super::common::{Texts, fleet_options, leave_to_exit, print, report, summary};
use crate::cli::{CheckArgs, ReportFormat};
use crate::diag::{Diagnostics, Severity};
use crate::fleet;

/// The JSON form of the report.
#[derive(serde::Serialize)]
struct Report<'a> {
    ok: bool,
    hosts: Vec<&'a str>,
    /// Hosts that failed → their first error.
    failed_hosts: &'a std::collections::BTreeMap<String, String>,
    diagnostics: &'a Diagnostics,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let options = fleet_options(&args.fleet, args.hosts.clone(), args.ignition_version)?;
    let mut build = fleet::compile(&options);
    // check writes nothing: what build would change in ports.lock is a
    // finding.
    let severity = if args.locked {
        Severity::Error
    } else {
        Severity::Warning
    };
    build.diagnostics.extend(build.port_lock.findings(severity));
    let failed = build.failed() || (args.strict && build.diagnostics.has_warnings());
    match args.format {
        ReportFormat::Human => {
            report(
                &build.diagnostics,
                Texts::ByFile(&build.texts),
                args.fleet.raw_errors,
            );
            eprintln!("{}", summary(&build));
            if !build.failed_hosts.is_empty() {
                eprintln!("failed host(s):\n{}", super::build::failed_hosts(&build));
            }
        }
        ReportFormat::Json => {
            let report = Report {
                ok: !failed,
                hosts: build.outputs.iter().map(|o| o.name.as_str()).collect(),
                failed_hosts: &build.failed_hosts,
                diagnostics: &build.diagnostics,
            };
            let mut json = serde_json::to_string_pretty(&report)?;
            json.push('\n');
            print(json.as_bytes())?;
        }
    }
    leave_to_exit(build);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
