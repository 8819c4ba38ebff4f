//! The node's own rules for where Ignition may write (issue 17 §3), checked
//! on a host's compiled config before it is published.
//!
//! - Fedora CoreOS (and uCore and bootable images built on it) has a
//!   read-only composefs root since Fedora 41: a file, directory, link or
//!   mount point under a top-level directory the image does not have
//!   (`/bulk0/...`) cannot be created and the first boot fails. With the
//!   kernel argument `ostree.prepare-root.composefs=0` it can, which is a
//!   warning instead.
//! - `/usr` is read-only on every supported OS (`/bin`, `/sbin`, `/lib`,
//!   `/lib64` are links into it); `/usr/local` is a link into `/var` on
//!   Fedora CoreOS and stays allowed.
//! - A mount made by a unit (a `.mount` unit whose mount point is no
//!   `storage.filesystems` path) happens after Ignition: what Ignition puts
//!   under the mount point stays on the root filesystem, hidden by the
//!   mount. A warning.

use std::collections::BTreeSet;

use crate::butane::model as b;
use crate::diag::{Code, Diagnostic, DocPath, Position};
use crate::ignition::model::Config;
use crate::yaml::{Node, Value};

/// What a host's root filesystem allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// Fedora CoreOS and what is rebased from it: composefs `/`.
    Composefs,
    /// Flatcar: a writable `/` over a read-only `/usr`.
    Flatcar,
}

impl Root {
    /// The root a manifest host's `os:` gets.
    pub fn of_os(os: &super::os::OsTarget) -> Root {
        match os {
            super::os::OsTarget::Flatcar { .. } => Root::Flatcar,
            _ => Root::Composefs,
        }
    }

    /// The root a Butane host's variant implies (`None`: not checked).
    pub fn of_variant(variant: &str) -> Option<Root> {
        match variant {
            "fcos" => Some(Root::Composefs),
            "flatcar" => Some(Root::Flatcar),
            _ => None,
        }
    }
}

/// The kernel argument that turns the composefs root off.
pub const COMPOSEFS_OFF: &str = "ostree.prepare-root.composefs=0";

/// Top-level entries of a Fedora CoreOS root other than `/usr` and its
/// links: writing below them is possible (`/home`, `/mnt`, `/opt`, `/root`,
/// `/srv` are links into `/var`) or not Ignition's business (`/proc`, ...).
const FCOS_TOP_LEVEL: &[&str] = &[
    "afs", "boot", "dev", "etc", "home", "media", "mnt", "opt", "ostree", "proc", "root", "run",
    "srv", "sys", "sysroot", "tmp", "var",
];

/// Top-level links into `/usr` (Fedora CoreOS and Flatcar alike).
const USR_LINKS: &[&str] = &["bin", "sbin", "lib", "lib64"];

/// A node entry of the compiled config that a finding can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place<'a> {
    File(&'a str),
    Directory(&'a str),
    Link(&'a str),
    /// A `storage.filesystems` entry, by its mount point.
    Filesystem(&'a str),
    /// A systemd unit, by name.
    Unit(&'a str),
}

impl Place<'_> {
    fn what(&self) -> &'static str {
        match self {
            Place::File(_) => "file",
            Place::Directory(_) => "directory",
            Place::Link(_) => "link",
            Place::Filesystem(_) => "filesystem mount point",
            Place::Unit(_) => "mount point",
        }
    }

    /// Where the entry is in the compiled config, when no source is found.
    fn config_path(&self, config: &Config) -> DocPath {
        let storage = |list: &'static str, index: Option<usize>| {
            let path = DocPath::root().key("storage").key(list);
            index.map_or(path.clone(), |i| path.index(i))
        };
        let s = &config.storage;
        match *self {
            Place::File(p) => storage("files", s.files.iter().position(|f| f.path == p)),
            Place::Directory(p) => storage(
                "directories",
                s.directories.iter().position(|d| d.path == p),
            ),
            Place::Link(p) => storage("links", s.links.iter().position(|l| l.path == p)),
            Place::Filesystem(p) => storage(
                "filesystems",
                s.filesystems
                    .iter()
                    .position(|f| f.path.as_deref() == Some(p)),
            ),
            Place::Unit(name) => {
                let path = DocPath::root().key("systemd").key("units");
                match config.systemd.units.iter().position(|u| u.name == name) {
                    Some(i) => path.index(i),
                    None => path,
                }
            }
        }
    }
}

/// Where a finding about a [`Place`] points: file, position, document path.
pub type Located = (String, Position, DocPath);

impl Place<'_> {
    /// The list holding the entry, and the key naming it.
    fn list(&self) -> ([&'static str; 2], &'static str) {
        match self {
            Place::File(_) => (["storage", "files"], "path"),
            Place::Directory(_) => (["storage", "directories"], "path"),
            Place::Link(_) => (["storage", "links"], "path"),
            Place::Filesystem(_) => (["storage", "filesystems"], "path"),
            Place::Unit(_) => (["systemd", "units"], "name"),
        }
    }

    fn value(&self) -> &str {
        match self {
            Place::File(v)
            | Place::Directory(v)
            | Place::Link(v)
            | Place::Filesystem(v)
            | Place::Unit(v) => v,
        }
    }

    /// The document path of the entry's naming key in a Butane-level
    /// config (the assembled config of a manifest host).
    pub fn in_butane(&self, config: &b::Config) -> Option<DocPath> {
        let ([section, list], key) = self.list();
        let s = &config.storage;
        let index = match *self {
            Place::File(p) => s.files.iter().position(|f| f.path == p),
            Place::Directory(p) => s.directories.iter().position(|d| d.path == p),
            Place::Link(p) => s.links.iter().position(|l| l.path == p),
            Place::Filesystem(p) => s
                .filesystems
                .iter()
                .position(|f| f.path.as_deref() == Some(p)),
            Place::Unit(name) => config.systemd.units.iter().position(|u| u.name == name),
        }?;
        Some(DocPath::root().key(section).key(list).index(index).key(key))
    }

    /// The position and document path of the entry's naming key in the
    /// YAML of a Butane file.
    pub fn in_yaml(&self, root: &Node) -> Option<(Position, DocPath)> {
        let ([section, list], key) = self.list();
        let Value::Sequence(items) = &root.get(section)?.get(list)?.value else {
            return None;
        };
        let index = items.iter().position(|item| {
            item.get(key)
                .and_then(Node::as_scalar)
                .is_some_and(|v| v.text == self.value())
        })?;
        let doc = DocPath::root().key(section).key(list).index(index).key(key);
        Some((root.position_of(&doc), doc))
    }
}

/// Checks `config` of `host` against the rules of `root`. `locate` finds
/// the source of an entry (`None`: the host's file at `fallback`).
pub fn check(
    host: &str,
    config: &Config,
    root: Root,
    locate: &dyn Fn(Place<'_>) -> Option<Located>,
    fallback: &str,
) -> Vec<Diagnostic> {
    let composefs_off = config
        .kernel_arguments
        .should_exist
        .iter()
        .any(|arg| arg == COMPOSEFS_OFF);
    let mut findings = Vec::new();
    // One finding per top-level name and source position: a data directory
    // pattern expands to many paths from one line.
    let mut reported: BTreeSet<(String, String, Position)> = BTreeSet::new();
    let at = |place: Place<'_>| {
        locate(place).unwrap_or_else(|| {
            (
                fallback.to_owned(),
                Position::new(1, 1),
                place.config_path(config),
            )
        })
    };
    for place in places(config) {
        let Some(path) = node_path(place, config) else {
            continue;
        };
        let Some(rule) = rule_for(&path, root) else {
            continue;
        };
        let (file, position, doc) = at(place);
        if !reported.insert((rule.top.clone(), file.clone(), position)) {
            continue;
        }
        let finding = match (rule.kind, composefs_off) {
            (Kind::Usr, _) => usr_finding(host, place, &path, &rule.top),
            (Kind::TopLevel, false) => top_level_finding(host, place, &path, &rule.top),
            (Kind::TopLevel, true) => composefs_off_finding(host, place, &path, &rule.top),
        };
        findings.push(finding.in_file(file).at_position(position).at(doc));
    }
    findings.extend(hidden_by_mounts(host, config, &at));
    findings
}

/// Every entry of `config` that names a node path, in config order.
fn places(config: &Config) -> Vec<Place<'_>> {
    let s = &config.storage;
    let mut places: Vec<Place<'_>> = Vec::new();
    places.extend(s.directories.iter().map(|d| Place::Directory(&d.path)));
    places.extend(s.files.iter().map(|f| Place::File(&f.path)));
    places.extend(s.links.iter().map(|l| Place::Link(&l.path)));
    places.extend(
        s.filesystems
            .iter()
            .filter_map(|f| f.path.as_deref().map(Place::Filesystem)),
    );
    // A mount unit for a filesystem Ignition mounts (`with_mount_unit`) is
    // that filesystem's entry again.
    places.extend(
        config
            .systemd
            .units
            .iter()
            .filter(|u| is_mount_unit(&u.name) && u.mask != Some(true))
            .filter(|u| {
                mount_point(&u.name, u.contents.as_deref()).is_none_or(|point| {
                    !s.filesystems
                        .iter()
                        .any(|f| f.path.as_deref() == Some(point.as_str()))
                })
            })
            .map(|u| Place::Unit(&u.name)),
    );
    places
}

fn is_mount_unit(name: &str) -> bool {
    name.ends_with(".mount") || name.ends_with(".automount")
}

/// The node path a place is about; for a mount unit its `Where=`, else the
/// path its name encodes.
fn node_path(place: Place<'_>, config: &Config) -> Option<String> {
    match place {
        Place::File(p) | Place::Directory(p) | Place::Link(p) | Place::Filesystem(p) => {
            Some(p.to_owned())
        }
        Place::Unit(name) => {
            let unit = config.systemd.units.iter().find(|u| u.name == name)?;
            mount_point(&unit.name, unit.contents.as_deref())
        }
    }
}

/// A mount unit's mount point: its `Where=`, else its name unescaped the
/// way systemd escapes paths (`var-mnt-bulk0.mount` → `/var/mnt/bulk0`).
fn mount_point(name: &str, contents: Option<&str>) -> Option<String> {
    let stated = contents.and_then(|text| {
        text.lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix("Where="))
            .map(|value| value.trim().to_owned())
    });
    if let Some(path) = stated.filter(|p| p.starts_with('/')) {
        return Some(path);
    }
    let stem = name
        .strip_suffix(".automount")
        .or_else(|| name.strip_suffix(".mount"))?;
    if stem == "-" {
        return Some("/".to_owned());
    }
    let mut path = String::from("/");
    let bytes = stem.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => path.push('/'),
            b'\\' if bytes.get(i + 1) == Some(&b'x') => {
                let hex = stem.get(i + 2..i + 4)?;
                path.push(char::from(u8::from_str_radix(hex, 16).ok()?));
                i += 3;
            }
            byte => path.push(char::from(byte)),
        }
        i += 1;
    }
    Some(path)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Under a top-level directory the OS image does not have.
    TopLevel,
    /// Under the read-only `/usr` (or a link into it).
    Usr,
}

struct Rule {
    kind: Kind,
    /// The top-level directory (`/bulk0`, `/usr`).
    top: String,
}

fn rule_for(path: &str, root: Root) -> Option<Rule> {
    let mut components = path.split('/').filter(|c| !c.is_empty());
    let first = components.next()?;
    let top = format!("/{first}");
    if first == "usr" {
        let second = components.next();
        // `/usr` itself and `/usr/local` (a link into /var on Fedora CoreOS).
        return match second {
            None | Some("local") => None,
            Some(_) => Some(Rule {
                kind: Kind::Usr,
                top,
            }),
        };
    }
    if USR_LINKS.contains(&first) {
        return Some(Rule {
            kind: Kind::Usr,
            top,
        });
    }
    match root {
        Root::Composefs if !FCOS_TOP_LEVEL.contains(&first) => Some(Rule {
            kind: Kind::TopLevel,
            top,
        }),
        _ => None,
    }
}

/// Where the help suggests the path goes: below `/var/mnt`.
fn under_var(path: &str) -> String {
    format!("/var/mnt{path}")
}

fn top_level_finding(host: &str, place: Place<'_>, path: &str, top: &str) -> Diagnostic {
    let message = if path == top {
        format!(
            "{} `{path}` is a new top-level directory: the root filesystem of Fedora CoreOS is read-only composefs (since Fedora 41), so it cannot be created and the first boot fails (host {host})",
            place.what()
        )
    } else {
        format!(
            "{} `{path}` is under `{top}`, a new top-level directory: the root filesystem of Fedora CoreOS is read-only composefs (since Fedora 41), so `{top}` cannot be created and the first boot fails (host {host})",
            place.what()
        )
    };
    Diagnostic::error(Code::OsNewTopLevel, message).with_help(format!(
        "put it under /var: `{}` if `{top}` is meant to be a disk (mounted there by Butane `storage.filesystems` with `path: /var/mnt{top}` and `with_mount_unit: true`), else a directory of /var such as /var/lib; only if the path must stay, add the kernel argument `{COMPOSEFS_OFF}` to `kernel_arguments.should_exist`",
        under_var(path)
    ))
}

fn composefs_off_finding(host: &str, place: Place<'_>, path: &str, top: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::OsComposefsOff,
        format!(
            "{} `{path}` needs the new top-level directory `{top}`, which can be created only because the kernel arguments turn composefs off (`{COMPOSEFS_OFF}`): the host boots once more to apply them and runs without composefs's read-only, verified root (host {host})",
            place.what()
        ),
    )
    .with_help(format!(
        "to keep composefs, put it under /var instead (`{}` with a mount unit) and drop the kernel argument",
        under_var(path)
    ))
}

fn usr_finding(host: &str, place: Place<'_>, path: &str, top: &str) -> Diagnostic {
    let why = if top == "/usr" {
        "`/usr` is read-only on the node".to_owned()
    } else {
        format!("`{top}` is a link into `/usr`, which is read-only on the node")
    };
    Diagnostic::error(
        Code::OsReadOnlyUsr,
        format!(
            "{} `{path}`: {why}, so it cannot be written and the first boot fails (host {host})",
            place.what()
        ),
    )
    .with_help(
        "configuration goes under /etc (e.g. `/etc/systemd/system`, `/etc/containers`), programs under /usr/local/bin (on Fedora CoreOS a link to /var/usrlocal) or /opt, data under /var",
    )
}

/// Entries Ignition writes below a mount point that a unit mounts later:
/// they stay on the root filesystem, under the mount.
fn hidden_by_mounts(
    host: &str,
    config: &Config,
    at: &dyn Fn(Place<'_>) -> Located,
) -> Vec<Diagnostic> {
    let ignition_mounts: BTreeSet<&str> = config
        .storage
        .filesystems
        .iter()
        .filter_map(|f| f.path.as_deref())
        .collect();
    let unit_mounts: Vec<(String, &str)> = config
        .systemd
        .units
        .iter()
        .filter(|u| is_mount_unit(&u.name) && u.mask != Some(true))
        .filter_map(|u| {
            Some((
                mount_point(&u.name, u.contents.as_deref())?,
                u.name.as_str(),
            ))
        })
        .filter(|(point, _)| point != "/" && !ignition_mounts.contains(point.as_str()))
        .collect();
    let mut findings = Vec::new();
    for place in places(config) {
        let path = match place {
            Place::File(p) | Place::Directory(p) | Place::Link(p) => p,
            Place::Filesystem(_) | Place::Unit(_) => continue,
        };
        let Some((point, unit)) = unit_mounts.iter().find(|(point, _)| is_below(path, point))
        else {
            continue;
        };
        let (file, position, doc) = at(place);
        findings.push(
            Diagnostic::warning(
                Code::OsHiddenByMount,
                format!(
                    "{} `{path}` is written by Ignition to the root filesystem under `{point}`, where `{unit}` mounts another filesystem at boot and hides it (host {host})",
                    place.what()
                ),
            )
            .with_help(format!(
                "let Ignition mount it: describe the filesystem in `storage.filesystems` with `path: {point}` (and `with_mount_unit: true` instead of `{unit}`), then what Ignition writes below it lands on it; or create it at boot after the mount (a tmpfiles.d line, with `RequiresMountsFor={point}` on the service that needs it)"
            ))
            .in_file(file)
            .at_position(position)
            .at(doc),
        );
    }
    findings
}

/// Whether `path` is strictly below the directory `point`.
fn is_below(path: &str, point: &str) -> bool {
    path.strip_prefix(point.trim_end_matches('/'))
        .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_come_from_where_or_the_unit_name() {
        assert_eq!(
            mount_point("var-mnt-bulk0.mount", None).as_deref(),
            Some("/var/mnt/bulk0")
        );
        assert_eq!(
            mount_point("var-lib-my\\x2ddata.mount", None).as_deref(),
            Some("/var/lib/my-data")
        );
        assert_eq!(
            mount_point("x.mount", Some("[Mount]\nWhere=/srv/data\n")).as_deref(),
            Some("/srv/data")
        );
        assert_eq!(mount_point("-.mount", None).as_deref(), Some("/"));
        assert_eq!(mount_point("a.service", None), None);
    }

    #[test]
    fn rules_by_path_and_root() {
        let kind = |path, root| rule_for(path, root).map(|r| (r.kind, r.top));
        assert_eq!(
            kind("/bulk0/hecate", Root::Composefs),
            Some((Kind::TopLevel, "/bulk0".to_owned()))
        );
        assert_eq!(kind("/bulk0/hecate", Root::Flatcar), None);
        for allowed in [
            "/etc/x",
            "/var/mnt/bulk0",
            "/home/core/.bashrc",
            "/usr/local/bin/x",
            "/opt/x",
        ] {
            assert_eq!(kind(allowed, Root::Composefs), None, "{allowed}");
        }
        for usr in ["/usr/lib/x", "/bin/tool", "/lib64/x"] {
            assert_eq!(kind(usr, Root::Flatcar).map(|k| k.0), Some(Kind::Usr));
        }
        assert!(is_below("/var/data/a", "/var/data"));
        assert!(!is_below("/var/data", "/var/data"));
        assert!(!is_below("/var/database", "/var/data"));
        assert_eq!(under_var("/bulk0/hecate/x"), "/var/mnt/bulk0/hecate/x");
    }
}
