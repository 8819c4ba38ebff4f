//! Duplicate list entries (`config/validate/validate.go` `ValidateDups`).
//!
//! Every struct's list fields are checked in field order; lists that share a
//! key space (files/directories/links by path, the two kernel-argument
//! lists) share one set of seen keys, and the later occurrence is reported
//! at `<list>.<index>`. Structs are visited in Ignition's traversal order
//! (a struct's own lists before those of the structs inside it).
//! Exempt lists: file `append`, filesystem `options` and `mountOptions`,
//! LUKS `options`, RAID `options`.

use std::collections::{HashMap, HashSet};

use super::rules::{Report, RuleError};
use crate::diag::DocPath;
use crate::ignition::model::{Config, Resource};
use crate::ignition::spec::Spec;

/// The seen keys of one struct's lists.
#[derive(Default)]
struct Scope {
    seen: HashMap<&'static str, HashSet<String>>,
}

impl Scope {
    /// Checks one list field: `space` is the key space it shares.
    fn list<'k>(
        &mut self,
        report: &mut Report,
        at: &DocPath,
        field: &'static str,
        space: &'static str,
        keys: impl IntoIterator<Item = &'k str>,
    ) {
        let seen = self.seen.entry(space).or_default();
        for (index, key) in keys.into_iter().enumerate() {
            if !seen.insert(key.to_owned()) {
                report.error(at.key(field).index(index), RuleError::Duplicate);
            }
        }
    }
}

/// Checks one list that shares its key space with no other.
fn list<'k>(
    report: &mut Report,
    at: &DocPath,
    field: &'static str,
    keys: impl IntoIterator<Item = &'k str>,
) {
    Scope::default().list(report, at, field, field, keys);
}

fn source_key(resource: &Resource) -> &str {
    resource.source.as_deref().unwrap_or("")
}

fn resource(resource: &Resource, at: &DocPath, report: &mut Report) {
    if report.since(Spec::V3_1) {
        let names = resource.http_headers.iter().map(|h| h.name.as_str());
        list(report, at, "httpHeaders", names);
    }
}

fn partition_key(number: i64, label: Option<&str>) -> String {
    match (number, label) {
        (0, Some(label)) => format!("label:{label}"),
        (0, None) => String::new(),
        (number, _) => format!("number:{number}"),
    }
}

pub(crate) fn check(config: &Config, report: &mut Report) {
    let ignition = DocPath::root().key("ignition");
    let merge = &config.ignition.config.merge;
    let config_at = ignition.key("config");
    list(report, &config_at, "merge", merge.iter().map(source_key));
    for (index, entry) in merge.iter().enumerate() {
        resource(entry, &config_at.key("merge").index(index), report);
    }
    resource(
        &config.ignition.config.replace,
        &config_at.key("replace"),
        report,
    );
    if report.since(Spec::V3_1) {
        let no_proxy = config.ignition.proxy.no_proxy.iter().map(String::as_str);
        list(report, &ignition.key("proxy"), "noProxy", no_proxy);
    }
    let tls_at = ignition.key("security").key("tls");
    let cas = &config.ignition.security.tls.certificate_authorities;
    list(
        report,
        &tls_at,
        "certificateAuthorities",
        cas.iter().map(source_key),
    );
    for (index, ca) in cas.iter().enumerate() {
        resource(
            ca,
            &tls_at.key("certificateAuthorities").index(index),
            report,
        );
    }

    if report.since(Spec::V3_3) {
        let at = DocPath::root().key("kernelArguments");
        let args = &config.kernel_arguments;
        let mut scope = Scope::default();
        let present = args.should_exist.iter().map(String::as_str);
        scope.list(report, &at, "shouldExist", "KernelArgument", present);
        let absent = args.should_not_exist.iter().map(String::as_str);
        scope.list(report, &at, "shouldNotExist", "KernelArgument", absent);
    }

    let passwd = DocPath::root().key("passwd");
    let groups = config.passwd.groups.iter().map(|g| g.name.as_str());
    list(report, &passwd, "groups", groups);
    let users = config.passwd.users.iter().map(|u| u.name.as_str());
    list(report, &passwd, "users", users);
    for (index, user) in config.passwd.users.iter().enumerate() {
        let at = passwd.key("users").index(index);
        list(
            report,
            &at,
            "groups",
            user.groups.iter().map(String::as_str),
        );
        let keys = user.ssh_authorized_keys.iter().map(String::as_str);
        list(report, &at, "sshAuthorizedKeys", keys);
    }

    storage(config, report);

    let systemd = DocPath::root().key("systemd");
    let units = &config.systemd.units;
    list(
        report,
        &systemd,
        "units",
        units.iter().map(|u| u.name.as_str()),
    );
    for (index, unit) in units.iter().enumerate() {
        let at = systemd.key("units").index(index);
        list(
            report,
            &at,
            "dropins",
            unit.dropins.iter().map(|d| d.name.as_str()),
        );
    }
}

fn storage(config: &Config, report: &mut Report) {
    let at = DocPath::root().key("storage");
    let storage = &config.storage;
    let mut scope = Scope::default();
    let directories = storage.directories.iter().map(|d| d.path.as_str());
    scope.list(report, &at, "directories", "Node", directories);
    scope.list(
        report,
        &at,
        "disks",
        "disks",
        storage.disks.iter().map(|d| d.device.as_str()),
    );
    scope.list(
        report,
        &at,
        "files",
        "Node",
        storage.files.iter().map(|f| f.path.as_str()),
    );
    let filesystems = storage.filesystems.iter().map(|f| f.device.as_str());
    scope.list(report, &at, "filesystems", "filesystems", filesystems);
    scope.list(
        report,
        &at,
        "links",
        "Node",
        storage.links.iter().map(|l| l.path.as_str()),
    );
    if report.since(Spec::V3_2) {
        scope.list(
            report,
            &at,
            "luks",
            "luks",
            storage.luks.iter().map(|l| l.name.as_str()),
        );
    }
    scope.list(
        report,
        &at,
        "raid",
        "raid",
        storage.raid.iter().map(|r| r.name.as_str()),
    );

    for (index, disk) in storage.disks.iter().enumerate() {
        let keys: Vec<String> = disk
            .partitions
            .iter()
            .map(|p| partition_key(p.number, p.label.as_deref()))
            .collect();
        list(
            report,
            &at.key("disks").index(index),
            "partitions",
            keys.iter().map(String::as_str),
        );
    }
    for (index, file) in storage.files.iter().enumerate() {
        let file_at = at.key("files").index(index);
        for (append_index, append) in file.append.iter().enumerate() {
            resource(append, &file_at.key("append").index(append_index), report);
        }
        resource(&file.contents, &file_at.key("contents"), report);
    }
    if report.since(Spec::V3_2) {
        for (index, luks) in storage.luks.iter().enumerate() {
            let luks_at = at.key("luks").index(index);
            if report.since(Spec::V3_4) {
                let options = luks.open_options.iter().map(String::as_str);
                list(report, &luks_at, "openOptions", options);
            }
            let tang = luks.clevis.tang.iter().map(|t| t.url.as_str());
            list(report, &luks_at.key("clevis"), "tang", tang);
            resource(&luks.key_file, &luks_at.key("keyFile"), report);
        }
    }
    for (index, raid) in storage.raid.iter().enumerate() {
        let devices = raid.devices.iter().map(String::as_str);
        list(report, &at.key("raid").index(index), "devices", devices);
    }
}
