//! `inspect --extract DIR`: the node's file tree, written into DIR.
//!
//! Written: directories (modes applied last, keeping the owner's rwx so
//! the tree stays usable), files (decoded contents plus appends; mode bits
//! without setuid/setgid/sticky), symlinks whose target stays inside DIR
//! (absolute targets are rewritten relative to the link), hard links to
//! nodes already in the tree, unit files and drop-ins under
//! `/etc/systemd/system`, and the `20-ignition.preset` file Ignition writes
//! for enabled/disabled units. Nodes are created in order of path depth,
//! as Ignition does, so a link is in place before anything below it.
//!
//! Nothing is ever written outside DIR and no symlink is followed while
//! writing (`safe`): a node whose path is relative, contains `..`, or goes
//! through a symlink or a file is refused and reported. Remote contents are
//! not fetched; owners are not applied; masked units (links to `/dev/null`)
//! are not created. All of that, plus units and users, goes into the
//! summary, `DIR/.kindling-summary.txt`.

mod safe;

use std::fmt::{self, Write as _};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::content::printable;
use super::listing::{self, Decoded, SourceInfo};
use crate::ignition::model as ign;
use crate::ignition::spec::Spec;

/// The summary's name inside DIR (a node at `/` + this name is refused).
pub const SUMMARY_FILE: &str = ".kindling-summary.txt";

#[derive(Debug, Error)]
pub enum ExtractError {
    #[error("{}: the extract directory must be empty or not exist yet", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// One node that was not written, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub reason: String,
}

/// What an extraction did.
#[derive(Clone, Debug, Default)]
pub struct ExtractReport {
    /// Node paths written (directories, files, links, unit files).
    pub written: Vec<String>,
    /// Nodes refused for safety: they would have left DIR or followed a
    /// symlink. Non-empty means the config is suspicious.
    pub refused: Vec<Note>,
    /// Nodes not written for ordinary reasons (remote contents, masked
    /// units, undecodable data).
    pub skipped: Vec<Note>,
    /// Things done differently than on a node (rewritten link targets,
    /// owners and special mode bits not applied).
    pub notes: Vec<Note>,
    /// The summary text, also written to DIR/.kindling-summary.txt.
    pub summary: String,
}

impl fmt::Display for ExtractReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "wrote {} entries", self.written.len())?;
        for (title, notes) in [
            ("refused", &self.refused),
            ("skipped", &self.skipped),
            ("note", &self.notes),
        ] {
            for note in notes {
                writeln!(
                    f,
                    "{title}: {}: {}",
                    printable(&note.path, false),
                    printable(&note.reason, false)
                )?;
            }
        }
        Ok(())
    }
}

enum Node<'a> {
    Directory(&'a ign::Directory),
    File(&'a ign::File),
    Link(&'a ign::Link),
}

impl Node<'_> {
    fn path(&self) -> &str {
        match self {
            Node::Directory(d) => &d.path,
            Node::File(f) => &f.path,
            Node::Link(l) => &l.path,
        }
    }
}

fn depth(path: &str) -> usize {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .count()
}

struct Extractor<'a> {
    root: &'a Path,
    report: ExtractReport,
    /// Directory modes, applied last so the tree stays writable meanwhile.
    directory_modes: Vec<(String, u32)>,
}

impl Extractor<'_> {
    fn refuse(&mut self, path: &str, reason: impl Into<String>) {
        self.report.refused.push(Note {
            path: path.to_owned(),
            reason: reason.into(),
        });
    }

    fn skip(&mut self, path: &str, reason: impl Into<String>) {
        self.report.skipped.push(Note {
            path: path.to_owned(),
            reason: reason.into(),
        });
    }

    fn note(&mut self, path: &str, reason: impl Into<String>) {
        self.report.notes.push(Note {
            path: path.to_owned(),
            reason: reason.into(),
        });
    }

    fn outcome(&mut self, path: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.report.written.push(path.to_owned()),
            Err(reason) => self.refuse(path, reason),
        }
    }

    fn owners(&mut self, path: &str, user: &ign::NodeOwner, group: &ign::NodeOwner) {
        let show = |o: &ign::NodeOwner| match (&o.name, o.id) {
            (Some(name), _) => Some(name.clone()),
            (None, Some(id)) => Some(id.to_string()),
            (None, None) => None,
        };
        if let Some(owner) = show(user).or_else(|| show(group).map(|g| format!(":{g}"))) {
            let owner = match (show(user), show(group)) {
                (Some(u), Some(g)) => format!("{u}:{g}"),
                _ => owner,
            };
            self.note(path, format!("owner {owner} not applied"));
        }
    }

    fn node(&mut self, node: &Node<'_>) {
        let path = node.path();
        let parts = match safe::components(path) {
            Ok(parts) => parts,
            Err(reason) => return self.refuse(path, reason),
        };
        if parts == [SUMMARY_FILE] {
            return self.refuse(path, "path is reserved for the extract summary");
        }
        match node {
            Node::Directory(dir) => {
                self.owners(path, &dir.user, &dir.group);
                let result = safe::directory(self.root, &parts);
                if result.is_ok() {
                    match dir.mode.map(u32::try_from) {
                        Some(Ok(mode)) => self.directory_modes.push((path.to_owned(), mode)),
                        Some(Err(_)) => self.note(path, "invalid mode not applied"),
                        None => {}
                    }
                }
                self.outcome(path, result);
            }
            Node::File(file) => self.file(path, &parts, file),
            Node::Link(link) => {
                self.owners(path, &link.user, &link.group);
                let Some(target) = link.target.as_deref() else {
                    return self.refuse(path, "link has no target");
                };
                if link.hard == Some(true) {
                    let result = safe::hard_link(self.root, &parts, target);
                    return self.outcome(path, result);
                }
                match safe::link_text(&parts, target) {
                    Ok(text) => {
                        let result = safe::symlink(self.root, &parts, &text);
                        if result.is_ok() && text != target {
                            self.note(path, format!("link target {target} created as {text}"));
                        }
                        self.outcome(path, result);
                    }
                    Err(reason) => self.refuse(path, reason),
                }
            }
        }
    }

    fn file(&mut self, path: &str, parts: &[&str], file: &ign::File) {
        self.owners(path, &file.user, &file.group);
        let mut bytes = Vec::new();
        let resources = std::iter::once(&file.contents).chain(&file.append);
        for resource in resources.filter(|r| r.source.is_some()) {
            match listing::decode(resource) {
                Some(Ok(decoded)) => bytes.extend_from_slice(&decoded),
                Some(Err(error)) => {
                    return self.skip(path, format!("contents not decoded: {error}"));
                }
                None => {
                    let url = resource.source.as_deref().unwrap_or_default();
                    return self.skip(path, format!("remote contents {url} not fetched"));
                }
            }
            if bytes.len() > crate::dataurl::MAX_DECODED_BYTES {
                return self.skip(path, "contents too large");
            }
        }
        let mode = file.mode.unwrap_or(0o644);
        let Ok(mode) = u32::try_from(mode) else {
            return self.refuse(path, format!("invalid mode {mode}"));
        };
        if mode & 0o7000 != 0 {
            self.note(path, format!("special mode bits of {mode:04o} not applied"));
        }
        let result = safe::file(self.root, parts, &bytes, mode);
        self.outcome(path, result);
    }

    fn units(&mut self, units: &[ign::Unit]) {
        let mut preset = String::new();
        for unit in units {
            let node_path = format!("/etc/systemd/system/{}", unit.name);
            if unit.name.is_empty() || unit.name.contains('/') || unit.name.starts_with('.') {
                self.refuse(&node_path, "invalid unit name");
                continue;
            }
            match unit.enabled {
                Some(true) => preset.push_str(&format!("enable {}\n", unit.name)),
                Some(false) => preset.push_str(&format!("disable {}\n", unit.name)),
                None => {}
            }
            if unit.mask == Some(true) {
                self.skip(&node_path, "masked: the link to /dev/null is not created");
            } else if let Some(contents) = &unit.contents {
                self.write_text(&node_path, contents);
            }
            for dropin in &unit.dropins {
                let dropin_path = format!("{node_path}.d/{}", dropin.name);
                if dropin.name.is_empty()
                    || dropin.name.contains('/')
                    || dropin.name.starts_with('.')
                {
                    self.refuse(&dropin_path, "invalid drop-in name");
                } else if let Some(contents) = &dropin.contents {
                    self.write_text(&dropin_path, contents);
                }
            }
        }
        if !preset.is_empty() {
            self.write_text("/etc/systemd/system-preset/20-ignition.preset", &preset);
        }
    }

    /// Sets directory modes (deepest first), keeping the owner's rwx so
    /// the extracted tree can be read and removed.
    fn apply_directory_modes(&mut self) {
        let mut modes = std::mem::take(&mut self.directory_modes);
        modes.sort_by_key(|(path, _)| std::cmp::Reverse(depth(path)));
        for (path, mode) in modes {
            let applied = (mode & 0o777) | 0o700;
            if applied != mode {
                self.note(&path, format!("mode {mode:04o} applied as {applied:04o}"));
            }
            let result = safe::components(&path)
                .and_then(|parts| safe::chmod_directory(self.root, &parts, applied));
            if let Err(reason) = result {
                self.note(&path, format!("mode not applied: {reason}"));
            }
        }
    }

    fn write_text(&mut self, path: &str, text: &str) {
        let result = safe::components(path)
            .and_then(|parts| safe::file(self.root, &parts, text.as_bytes(), 0o644));
        self.outcome(path, result);
    }
}

/// Extracts `config` into `dest` (created if missing; must be empty).
pub fn extract(
    config: &ign::Config,
    spec: Spec,
    dest: &Path,
) -> Result<ExtractReport, ExtractError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Io { path, source }
    };
    fs::create_dir_all(dest).map_err(io_error(dest))?;
    if fs::read_dir(dest).map_err(io_error(dest))?.next().is_some() {
        return Err(ExtractError::NotEmpty(dest.to_path_buf()));
    }
    let root = fs::canonicalize(dest).map_err(io_error(dest))?;
    let mut extractor = Extractor {
        root: &root,
        report: ExtractReport::default(),
        directory_modes: Vec::new(),
    };
    let storage = &config.storage;
    let mut nodes: Vec<Node<'_>> = storage.directories.iter().map(Node::Directory).collect();
    nodes.extend(storage.files.iter().map(Node::File));
    nodes.extend(storage.links.iter().map(Node::Link));
    nodes.sort_by_key(|node| depth(node.path()));
    for node in &nodes {
        extractor.node(node);
    }
    extractor.units(&config.systemd.units);
    extractor.apply_directory_modes();
    let mut report = extractor.report;
    report.summary = summary(config, spec, &report);
    let summary_path = root.join(SUMMARY_FILE);
    safe::file(&root, &[SUMMARY_FILE], report.summary.as_bytes(), 0o644)
        .map_err(|reason| io_error(&summary_path)(io::Error::other(reason)))?;
    Ok(report)
}

fn summary(config: &ign::Config, spec: Spec, report: &ExtractReport) -> String {
    let mut out = String::new();
    let p = |s: &str| printable(s, false).into_owned();
    let _ = writeln!(out, "# kindling extract summary (Ignition spec {spec})");
    let _ = writeln!(out, "\nUnits ({}):", config.systemd.units.len());
    for unit in &config.systemd.units {
        let mut state = Vec::new();
        match unit.enabled {
            Some(true) => state.push("enabled".to_owned()),
            Some(false) => state.push("disabled".to_owned()),
            None => {}
        }
        if unit.mask == Some(true) {
            state.push("masked".to_owned());
        }
        if !unit.dropins.is_empty() {
            let names: Vec<String> = unit.dropins.iter().map(|d| p(&d.name)).collect();
            state.push(format!("dropins {}", names.join(", ")));
        }
        let _ = writeln!(out, "  {}  {}", p(&unit.name), state.join("; "));
    }
    let _ = writeln!(out, "\nUsers ({}):", config.passwd.users.len());
    for user in &config.passwd.users {
        let mut facts = Vec::new();
        if let Some(uid) = user.uid {
            facts.push(format!("uid {uid}"));
        }
        if !user.groups.is_empty() {
            facts.push(format!("groups {}", p(&user.groups.join(","))));
        }
        if let Some(shell) = &user.shell {
            facts.push(format!("shell {}", p(shell)));
        }
        if user.password_hash.is_some() {
            facts.push("password set".to_owned());
        }
        let _ = writeln!(out, "  {}  {}", p(&user.name), facts.join("; "));
        for key in &user.ssh_authorized_keys {
            let _ = writeln!(out, "    ssh key: {}", p(key));
        }
    }
    let _ = writeln!(out, "\nGroups ({}):", config.passwd.groups.len());
    for group in &config.passwd.groups {
        let gid = group.gid.map(|g| format!("  gid {g}")).unwrap_or_default();
        let _ = writeln!(out, "  {}{gid}", p(&group.name));
    }
    for (title, notes) in [
        (
            "Refused (would leave the directory or follow a symlink)",
            &report.refused,
        ),
        ("Not written", &report.skipped),
        ("Notes", &report.notes),
    ] {
        if !notes.is_empty() {
            let _ = writeln!(out, "\n{title} ({}):", notes.len());
            for note in notes {
                let _ = writeln!(out, "  {}: {}", p(&note.path), p(&note.reason));
            }
        }
    }
    let listing = listing::list(config, spec);
    let remote: Vec<String> = listing
        .ignition
        .merge
        .iter()
        .chain(&listing.ignition.replace)
        .filter_map(|c| match (&c.source, &c.decoded) {
            (SourceInfo::Remote { url, .. }, _) => Some(format!("remote {}", p(url))),
            (_, Some(Decoded::Text { size, .. } | Decoded::Binary { size, .. })) => {
                Some(format!("embedded, {size} bytes"))
            }
            _ => None,
        })
        .collect();
    if !remote.is_empty() {
        let _ = writeln!(out, "\nMerged/replaced configs (not applied):");
        for line in remote {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
