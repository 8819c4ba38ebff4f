//! `kindling hosts`: list the fleet's hosts and their services, as a table
//! or as JSON.

use std::process::ExitCode;

use super::common::print;
use crate::cli::{HostsArgs, ReportFormat};
use crate::fleet;

pub fn run(args: &HostsArgs) -> anyhow::Result<ExitCode> {
    let (inventory, mut diagnostics) = fleet::load::load(&args.fleet);
    let (plans, findings) = fleet::resolve::resolve(&inventory, &[]);
    diagnostics.extend(findings);
    for diagnostic in &diagnostics {
        eprintln!("{}", diagnostic.raw());
    }
    let hosts = fleet::listing::hosts(&inventory, &plans);
    let mut out = String::new();
    match args.format {
        ReportFormat::Json => {
            out = serde_json::to_string_pretty(&hosts)?;
            out.push('\n');
        }
        ReportFormat::Human => {
            for host in hosts {
                let ignition = host.ignition.unwrap_or_else(|| "-".to_owned());
                out.push_str(&format!(
                    "{:<16} {:<8} {:<18} {:<7} {}\n",
                    host.name,
                    host.kind,
                    host.file,
                    ignition,
                    host.services.join(" ")
                ));
            }
        }
    }
    print(out.as_bytes())?;
    Ok(if diagnostics.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
