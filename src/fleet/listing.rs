//! Human-readable views of a fleet: what a host gets (`kindling render`)
//! and which hosts run what (`kindling hosts`). Secrets are always masked.

use std::fmt::Write as _;

use super::HostOutput;
use super::load::{HostSource, Inventory};
use super::resolve::{HostPlan, ServiceBody};
use crate::dataurl;
use crate::ignition::model::{NodeOwner, Resource};

fn owner(user: &NodeOwner, group: &NodeOwner) -> String {
    let side = |o: &NodeOwner| match (&o.name, o.id) {
        (Some(name), _) => name.clone(),
        (None, Some(id)) => id.to_string(),
        (None, None) => "root".to_owned(),
    };
    format!("{}:{}", side(user), side(group))
}

fn mode(mode: Option<i64>, default: &str) -> String {
    mode.map_or_else(|| default.to_owned(), |m| format!("{m:04o}"))
}

fn contents(resource: &Resource) -> Result<Vec<u8>, String> {
    match resource.source.as_deref() {
        None => Ok(Vec::new()),
        Some(source) if source.starts_with("data:") => {
            // The fleet's own output: no cap beyond the size its author chose.
            dataurl::decode_resource(source, resource.compression.as_deref(), usize::MAX)
                .map_err(|e| e.to_string())
        }
        Some(source) => Err(format!("fetched at boot from {source}")),
    }
}

/// What `host` gets, as text; with `service`, only the files that service
/// adds.
pub fn host_listing(output: &HostOutput, service: Option<&str>) -> String {
    let config = &output.config;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# host {} (Ignition {})",
        output.name, config.ignition.version
    );
    let wanted = |path: &str| match service {
        None => true,
        Some(service) => output.file_services.get(path).is_some_and(|s| s == service),
    };
    if service.is_none() {
        if !config.passwd.groups.is_empty() || !config.passwd.users.is_empty() {
            let _ = writeln!(out, "\n## users and groups");
        }
        for group in &config.passwd.groups {
            let gid = group.gid.map_or_else(String::new, |g| format!(" gid={g}"));
            let _ = writeln!(out, "group {}{gid}", group.name);
        }
        for user in &config.passwd.users {
            let uid = user.uid.map_or_else(String::new, |u| format!(" uid={u}"));
            let group = user
                .primary_group
                .as_ref()
                .map_or_else(String::new, |g| format!(" group={g}"));
            let groups = if user.groups.is_empty() {
                String::new()
            } else {
                format!(" groups={}", user.groups.join(","))
            };
            let keys = if user.ssh_authorized_keys.is_empty() {
                String::new()
            } else {
                format!(" ssh_keys={}", user.ssh_authorized_keys.len())
            };
            let _ = writeln!(out, "user {}{uid}{group}{groups}{keys}", user.name);
        }
    }
    let directories: Vec<_> = config
        .storage
        .directories
        .iter()
        .filter(|d| wanted(&d.path) || service.is_none())
        .collect();
    if !directories.is_empty() && service.is_none() {
        let _ = writeln!(out, "\n## directories");
        for directory in directories {
            let _ = writeln!(
                out,
                "{} {} {}",
                directory.path,
                mode(directory.mode, "0755"),
                owner(&directory.user, &directory.group)
            );
        }
    }
    let _ = writeln!(out, "\n## files");
    for file in config.storage.files.iter().filter(|f| wanted(&f.path)) {
        let header = format!(
            "{} {} {}",
            file.path,
            mode(file.mode, "0644"),
            owner(&file.user, &file.group)
        );
        if output.secrets.is_file(&file.path) {
            let size = contents(&file.contents).map_or(0, |b| b.len());
            let _ = writeln!(out, "### {header} — secret, {size} bytes (not shown)");
            continue;
        }
        match contents(&file.contents) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let _ = writeln!(out, "### {header}");
                    out.push_str(&text);
                    if !text.ends_with('\n') {
                        out.push_str("\n(no newline at end of file)\n");
                    }
                }
                Err(error) => {
                    let _ = writeln!(
                        out,
                        "### {header} — binary, {} bytes",
                        error.as_bytes().len()
                    );
                }
            },
            Err(reason) => {
                let _ = writeln!(out, "### {header} — {reason}");
            }
        }
    }
    if service.is_none() {
        if !config.storage.links.is_empty() {
            let _ = writeln!(out, "\n## links");
        }
        for link in &config.storage.links {
            let _ = writeln!(
                out,
                "{} -> {}",
                link.path,
                link.target.as_deref().unwrap_or("")
            );
        }
        if !config.systemd.units.is_empty() {
            let _ = writeln!(out, "\n## units");
        }
        for unit in &config.systemd.units {
            let state = match (unit.enabled, unit.mask) {
                (_, Some(true)) => "masked",
                (Some(true), _) => "enabled",
                (Some(false), _) => "disabled",
                _ => "as installed",
            };
            let _ = writeln!(out, "### {} ({state})", unit.name);
            if let Some(text) = &unit.contents {
                out.push_str(text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
            for dropin in &unit.dropins {
                let _ = writeln!(out, "#### drop-in {}", dropin.name);
                out.push_str(dropin.contents.as_deref().unwrap_or(""));
            }
        }
    }
    out
}

/// One line per host: its kind, Ignition spec and OS (for manifests) and
/// services.
pub fn hosts(
    inventory: &Inventory,
    plans: &std::collections::BTreeMap<String, HostPlan>,
) -> Vec<HostSummary> {
    inventory
        .hosts
        .iter()
        .map(|(name, source)| {
            let (kind, file) = match source {
                HostSource::Manifest { file, .. } => ("manifest", *file),
                HostSource::Butane { file } => ("butane", *file),
            };
            let (ignition, os, services) = match plans.get(name) {
                Some(HostPlan::Manifest(plan)) => (
                    Some(plan.version.spec().as_str().to_owned()),
                    Some(plan.os.0.to_string()),
                    plan.services
                        .iter()
                        .map(|s| match &s.body {
                            ServiceBody::Definition(_) => s.name.clone(),
                            ServiceBody::Quadlets(files) => files
                                .iter()
                                .map(|q| q.name.clone())
                                .collect::<Vec<_>>()
                                .join(" "),
                        })
                        .collect(),
                ),
                _ => (None, None, Vec::new()),
            };
            let install = plans
                .get(name)
                .and_then(HostPlan::install)
                .map(|plan| InstallSummary {
                    device: plan.device.clone(),
                    macs: plan.macs.clone(),
                });
            let ports = match plans.get(name) {
                Some(HostPlan::Manifest(plan)) => plan.ports.clone(),
                _ => Vec::new(),
            };
            HostSummary {
                ports,
                name: name.clone(),
                kind: kind.to_owned(),
                file: inventory.sources.name(file),
                ignition,
                os,
                install,
                services,
                cert_expiry: None,
            }
        })
        .collect()
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct HostSummary {
    pub name: String,
    pub kind: String,
    pub file: String,
    pub ignition: Option<String>,
    /// What a manifest host runs (`fcos`, `ucore:stable`, ...); a plain
    /// Butane host says nothing about it.
    pub os: Option<String>,
    /// Where the host installs, if anything says so.
    pub install: Option<InstallSummary>,
    pub services: Vec<String>,
    /// The named ports of the host's services and their host ports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<super::ports::Picked>,
    /// The host's certificate that expires first (set by `kindling hosts`
    /// from a compile; `None` when the host has none or did not compile).
    pub cert_expiry: Option<super::certs::Expiry>,
}

/// What `kindling hosts` shows of a host's `install:`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InstallSummary {
    pub device: Option<String>,
    pub macs: Vec<String>,
}
