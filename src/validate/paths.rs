//! Paths and filesystem nodes: `path.go`, `node.go`, `mode.go`,
//! `file.go`, `directory.go`, the node half of `storage.go`, and the
//! systemd path conflicts of `config.go`.

use super::resources;
use super::rules::{Report, RuleError};
use crate::diag::DocPath;
use crate::go::path::{clean, is_abs, join};
use crate::ignition::model::{Config, Directory, File, Link, NodeOwner, Storage};
use crate::ignition::spec::Spec;

/// `validatePath`: non-empty, absolute and already clean.
pub(crate) fn check_path(path: &str) -> Result<(), RuleError> {
    if path.is_empty() {
        Err(RuleError::NoPath)
    } else if !is_abs(path) {
        Err(RuleError::PathRelative)
    } else if clean(path) != path {
        Err(RuleError::DirtyPath)
    } else {
        Ok(())
    }
}

/// `validatePathNilOK`.
pub(crate) fn check_optional_path(path: Option<&str>) -> Result<(), RuleError> {
    match path {
        None | Some("") => Ok(()),
        Some(path) => check_path(path),
    }
}

fn check_mode(mode: Option<i64>) -> Result<(), RuleError> {
    match mode {
        Some(mode) if !(0..=0o7777).contains(&mode) => Err(RuleError::IllegalMode),
        _ => Ok(()),
    }
}

/// The special-bits warning of specs before 3.6.0 (Go truncates to 32 bits).
fn mode_special_bits(report: &mut Report, path: DocPath, mode: Option<i64>) {
    if report.spec < Spec::V3_6 && mode.is_some_and(|mode| (mode as u32) & 0o7000 != 0) {
        report.warn(path, RuleError::ModeSpecialBits);
    }
}

fn owner(report: &mut Report, path: DocPath, owner: &NodeOwner) {
    if owner.id.is_some() && owner.name.as_deref().is_some_and(|name| !name.is_empty()) {
        report.error(path, RuleError::BothIdAndName);
    }
}

/// `Config.Validate`: no node may sit where a unit or dropin with contents
/// is written.
pub(crate) fn systemd_conflicts(config: &Config, report: &mut Report) {
    let mut taken = std::collections::HashSet::new();
    for unit in &config.systemd.units {
        if unit.contents.as_deref().is_some_and(|c| !c.is_empty()) {
            taken.insert(format!("/etc/systemd/system/{}", unit.name));
        }
        for dropin in &unit.dropins {
            if dropin.contents.as_deref().is_some_and(|c| !c.is_empty()) {
                taken.insert(format!(
                    "/etc/systemd/system/{}.d/{}",
                    unit.name, dropin.name
                ));
            }
        }
    }
    let storage = DocPath::root().key("storage");
    let lists: [(&str, Vec<&str>); 3] = [
        (
            "files",
            config
                .storage
                .files
                .iter()
                .map(|f| f.path.as_str())
                .collect(),
        ),
        (
            "directories",
            config
                .storage
                .directories
                .iter()
                .map(|d| d.path.as_str())
                .collect(),
        ),
        (
            "links",
            config
                .storage
                .links
                .iter()
                .map(|l| l.path.as_str())
                .collect(),
        ),
    ];
    for (list, paths) in lists {
        for (index, path) in paths.into_iter().enumerate() {
            if taken.contains(path) {
                let at = storage.key(list).index(index).key("path");
                report.error(at, RuleError::PathConflictsSystemd);
            }
        }
    }
}

fn under_link(path: &str, links: &[Link]) -> usize {
    links
        .iter()
        .filter(|link| path.starts_with(&format!("{}/", link.path)))
        .count()
}

/// The node part of `Storage.Validate`: nodes under links, link targets,
/// hard links.
pub(crate) fn storage_nodes(storage: &Storage, at: &DocPath, report: &mut Report) {
    for (index, directory) in storage.directories.iter().enumerate() {
        for _ in 0..under_link(&directory.path, &storage.links) {
            report.error(
                at.key("directories").index(index),
                RuleError::DirectoryUnderLink,
            );
        }
    }
    for (index, file) in storage.files.iter().enumerate() {
        for _ in 0..under_link(&file.path, &storage.links) {
            report.error(at.key("files").index(index), RuleError::FileUnderLink);
        }
    }
    for (index, link) in storage.links.iter().enumerate() {
        let here = at.key("links").index(index);
        for _ in 0..under_link(&link.path, &storage.links) {
            report.error(here.clone(), RuleError::LinkUnderLink);
        }
        let target = match link.target.as_deref() {
            None | Some("") => {
                report.error(here.key("target"), RuleError::LinkTargetRequired);
                continue;
            }
            Some(target) => target,
        };
        if link.hard != Some(true) {
            continue;
        }
        let mut resolved = clean(target);
        if !is_abs(&resolved) {
            resolved = join(&link.path, target);
        }
        for directory in &storage.directories {
            if resolved == directory.path {
                report.error(here.clone(), RuleError::HardLinkToDirectory);
            }
        }
        let owners = [
            (link.user.id.is_some(), "user", "id"),
            (link.user.name.is_some(), "user", "name"),
            (link.group.id.is_some(), "group", "id"),
            (link.group.name.is_some(), "group", "name"),
        ];
        for (set, who, field) in owners {
            if set {
                report.warn(here.key(who).key(field), RuleError::HardLinkOwner);
            }
        }
    }
}

pub(crate) fn directory(directory: &Directory, at: &DocPath, report: &mut Report) {
    report.check(at.key("path"), check_path(&directory.path));
    report.check(at.key("mode"), check_mode(directory.mode));
    mode_special_bits(report, at.key("mode"), directory.mode);
    owner(report, at.key("group"), &directory.group);
    owner(report, at.key("user"), &directory.user);
}

pub(crate) fn file(file: &File, at: &DocPath, report: &mut Report) {
    report.check(at.key("path"), check_path(&file.path));
    report.check(at.key("mode"), check_mode(file.mode));
    mode_special_bits(report, at.key("mode"), file.mode);
    if file.overwrite == Some(true) && file.contents.source.is_none() {
        report.error(at.key("overwrite"), RuleError::OverwriteWithoutSource);
    }
    owner(report, at.key("group"), &file.group);
    owner(report, at.key("user"), &file.user);
    for (index, append) in file.append.iter().enumerate() {
        resources::file_contents(append, &at.key("append").index(index), report);
    }
    resources::file_contents(&file.contents, &at.key("contents"), report);
}

pub(crate) fn link(link: &Link, at: &DocPath, report: &mut Report) {
    report.check(at.key("path"), check_path(&link.path));
    owner(report, at.key("group"), &link.group);
    owner(report, at.key("user"), &link.user);
}
