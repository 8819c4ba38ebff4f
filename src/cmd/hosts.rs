//! `kindling hosts`: list the fleet's hosts and their services, as a table
//! or as JSON, with each host's earliest certificate expiry (from a
//! compile; hosts that do not compile show none), and the host ports of
//! their services' named ports.

use std::process::ExitCode;

use super::common::{Texts, fleet_options, print, report};
use crate::cli::{HostsArgs, ReportFormat};
use crate::fleet;

pub fn run(args: &HostsArgs) -> anyhow::Result<ExitCode> {
    let options = fleet_options(&args.fleet, Vec::new(), None)?;
    let exclusions = fleet::exclusions(&options.root, None, options.identities.file());
    let (inventory, load_findings) = fleet::load::load(&options.root, exclusions);
    let (plans, findings) = fleet::fleetwide::plan_hosts(&inventory, &[]);
    let mut diagnostics = options.identities.diagnostics().clone();
    diagnostics.extend(load_findings);
    diagnostics.extend(findings);
    report(
        &diagnostics,
        Texts::ByFile(&inventory.texts()),
        args.fleet.raw_errors,
    );
    let mut hosts = fleet::listing::hosts(&inventory, &plans);
    if !diagnostics.has_errors() {
        let build = fleet::compile(&options);
        for host in &mut hosts {
            host.cert_expiry = build.cert_expiry.get(&host.name).cloned();
        }
    }
    let mut out = String::new();
    match args.format {
        ReportFormat::Json => {
            out = serde_json::to_string_pretty(&hosts)?;
            out.push('\n');
        }
        ReportFormat::Human => {
            for host in hosts {
                let ignition = host.ignition.unwrap_or_else(|| "-".to_owned());
                // The date part of the RFC 3339 time.
                let expiry = host.cert_expiry.map_or_else(
                    || "-".to_owned(),
                    |e| e.not_after[..10.min(e.not_after.len())].to_owned(),
                );
                let os = host.os.unwrap_or_else(|| "-".to_owned());
                out.push_str(&format!(
                    "{:<16} {:<8} {:<18} {:<7} {:<10} {:<14} {}\n",
                    host.name,
                    host.kind,
                    host.file,
                    ignition,
                    expiry,
                    os,
                    host.services.join(" ")
                ));
                for port in &host.ports {
                    let how = if port.picked { "picked" } else { "fixed" };
                    out.push_str(&format!(
                        "  port {}/{} {}/{} ({how})\n",
                        port.service, port.name, port.port, port.protocol
                    ));
                }
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
