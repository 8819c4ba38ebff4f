//! The validate stage: Ignition's own semantic rules and the official JSON
//! Schemas, applied to a typed [`Config`] for a given [`Spec`].
//!
//! [`semantic`] follows current coreos/ignition `main` (Ignition 2.26): the
//! `Validate()` methods of `config/v3_X/types` in the order Ignition walks
//! the config (each struct's own rules, then those of the structs inside it,
//! in Go field order), then `ValidateDups`. Paths are JSON paths into the
//! output and match Ignition's report paths; messages are Ignition's.
//!
//! Pure functions: nothing here prints or touches the filesystem.

mod dups;
mod luks;
mod mode;
mod paths;
mod proof;
mod resources;
mod rules;
mod schema;
mod storage;
mod subset;
mod systemd;
mod unitfile;
mod unsafe_values;

#[cfg(test)]
mod tests;

pub use mode::mode_looks_decimal;
pub use schema::schema;
pub use unitfile::{UnitOption, UnitSummary, parse_unit_contents};
pub use unsafe_values::check as unsafe_values;

use crate::diag::{Diagnostic, DocPath};
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;
use rules::Report;

/// Ignition's own semantic rules for `spec`, in Ignition's order (per-struct
/// rules in traversal order, then duplicates). Paths are JSON paths into the
/// output (`$.storage.files.0.path`); severities are Ignition's.
pub fn semantic(config: &Config, spec: Spec) -> Vec<Diagnostic> {
    let mut report = Report::new(spec);
    paths::systemd_conflicts(config, &mut report);
    resources::ignition(&config.ignition, &mut report);

    let storage = &config.storage;
    let at = DocPath::root().key("storage");
    paths::storage_nodes(storage, &at, &mut report);
    storage::filesystems_vs_disks(storage, &at, &mut report);
    for (index, directory) in storage.directories.iter().enumerate() {
        paths::directory(directory, &at.key("directories").index(index), &mut report);
    }
    for (index, disk) in storage.disks.iter().enumerate() {
        storage::disk(disk, &at.key("disks").index(index), &mut report);
    }
    for (index, file) in storage.files.iter().enumerate() {
        paths::file(file, &at.key("files").index(index), &mut report);
    }
    for (index, filesystem) in storage.filesystems.iter().enumerate() {
        storage::filesystem(filesystem, &at.key("filesystems").index(index), &mut report);
    }
    for (index, link) in storage.links.iter().enumerate() {
        paths::link(link, &at.key("links").index(index), &mut report);
    }
    if spec >= Spec::V3_2 {
        for (index, luks) in storage.luks.iter().enumerate() {
            luks::luks(luks, &at.key("luks").index(index), &mut report);
        }
    }
    for (index, raid) in storage.raid.iter().enumerate() {
        storage::raid(raid, &at.key("raid").index(index), &mut report);
    }

    let systemd = DocPath::root().key("systemd");
    systemd::templates(&config.systemd, &systemd, &mut report);
    for (index, unit) in config.systemd.units.iter().enumerate() {
        systemd::unit(unit, &systemd.key("units").index(index), &mut report);
    }

    dups::check(config, &mut report);
    report.into_vec()
}
