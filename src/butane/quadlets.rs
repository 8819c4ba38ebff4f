//! The Quadlet files a Butane document places and their validation.
//!
//! Every `storage.files` entry (`contents.inline` or `contents.local`) and
//! every file of a `storage.trees` entry whose node path lies in a Quadlet
//! search directory (`/etc/containers/systemd/`, its `users/` subtrees,
//! `/usr/share/containers/systemd/`, a user's
//! `~/.config/containers/systemd/`) is a Quadlet file the node runs, so it is
//! validated with the same rules as the files kindling renders. Each finding
//! points at the source line the text came from: the line of the local file,
//! or the line inside the YAML block scalar.

use std::collections::{BTreeMap, BTreeSet};

use super::files_dir::{FilesDir, TreeEntry};
use crate::diag::{Code, Diagnostic, Position, Severity};
use crate::quadlet::{self, UnitKind, ValidateOptions};
use crate::yaml::{FileId, Node, Style, Value};

/// Where the lines of a placed file come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lines {
    /// A local file, named relative to the files dir: line n is its line n.
    Local(String),
    /// A literal block scalar: line n is source line `first + n - 1`,
    /// shifted right by `indent` columns.
    Block {
        file: FileId,
        first: usize,
        indent: usize,
    },
    /// Any other scalar: every finding points at the `inline:` key.
    At { file: FileId, position: Position },
}

impl Lines {
    /// `finding` (positioned in the Quadlet text) in the file that holds
    /// the text, at its place there.
    pub fn place(&self, finding: Diagnostic, name_of: &dyn Fn(FileId) -> String) -> Diagnostic {
        let at = finding.position.unwrap_or(Position::START);
        let (file, position) = match self {
            Lines::Local(name) => (name.clone(), at),
            Lines::Block {
                file,
                first,
                indent,
            } => (
                name_of(*file),
                Position::new(first + at.line - 1, indent + at.column),
            ),
            Lines::At { file, position } => (name_of(*file), *position),
        };
        finding.in_file(file).at_position(position)
    }
}

/// One Quadlet file a document places.
#[derive(Clone, Debug)]
pub struct Placed {
    /// Its path on the node.
    pub path: String,
    /// Which set of units its references resolve against (see [`scope`]).
    pub scope: String,
    pub text: String,
    pub lines: Lines,
}

/// The search scope of a node path that is a Quadlet file, or `None`.
/// `system` for the system directories, `users` for the directory every
/// rootless user reads, `user:NAME` for one user's directories.
pub fn scope(path: &str) -> Option<String> {
    let scope = if let Some(rest) = path.strip_prefix("/etc/containers/systemd/") {
        match rest.strip_prefix("users/") {
            Some(user) => match user.split_once('/') {
                Some((uid, _)) => format!("user:{uid}"),
                None => "users".to_owned(),
            },
            None => "system".to_owned(),
        }
    } else if path.starts_with("/usr/share/containers/systemd/") {
        "system".to_owned()
    } else {
        let home = path
            .strip_prefix("/var/home/")
            .or_else(|| path.strip_prefix("/home/"))?;
        let (user, rest) = home.split_once('/')?;
        rest.strip_prefix(".config/containers/systemd/")?;
        format!("user:{user}")
    };
    is_quadlet_name(path).then_some(scope)
}

/// A unit file name with a Quadlet extension, or a `.conf` drop-in in a
/// `NAME.EXT.d/` or `EXT.d/` directory.
fn is_quadlet_name(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let base = parts.next().unwrap_or_default();
    let extension = |name: &str| {
        name.rsplit_once('.')
            .is_some_and(|(_, ext)| UnitKind::from_extension(ext).is_some())
    };
    if base.ends_with(".conf") {
        return parts
            .next()
            .and_then(|dir| dir.strip_suffix(".d"))
            .is_some_and(|stem| UnitKind::from_extension(stem).is_some() || extension(stem));
    }
    extension(base)
}

/// The Quadlet files placed by the Butane document `root`. `text_of` gives
/// the source text of a node's file (for a block scalar's indentation);
/// local files are read through `files_dir`, secret ones skipped. Files
/// that cannot be read are skipped too: compiling reports them.
pub fn placed(
    root: &Node,
    text_of: &dyn Fn(FileId) -> Option<String>,
    files_dir: Option<&FilesDir>,
) -> Vec<Placed> {
    let mut out = Vec::new();
    let Some(storage) = root.get("storage") else {
        return out;
    };
    for file in items(storage.get("files")) {
        let Some(path) = text(file.get("path")) else {
            continue;
        };
        let Some(scope) = scope(&path) else {
            continue;
        };
        let Some(contents) = file.get("contents") else {
            continue;
        };
        if text(contents.get("compression")).is_some() {
            continue;
        }
        if let Some(inline) = contents.entry("inline") {
            let Some(scalar) = inline.value.as_scalar() else {
                continue;
            };
            let lines = block_lines(inline, text_of).unwrap_or(Lines::At {
                file: inline.key.file,
                position: inline.key.position,
            });
            out.push(Placed {
                path,
                scope,
                text: scalar.text.clone(),
                lines,
            });
        } else if let (Some(local), Some(dir)) = (text(contents.get("local")), files_dir) {
            if dir.holds_secret(&local) {
                continue;
            }
            if let Ok(text) = dir.read_to_string(&local) {
                out.push(Placed {
                    path,
                    scope,
                    text,
                    lines: Lines::Local(local),
                });
            }
        }
    }
    let Some(dir) = files_dir else {
        return out;
    };
    for tree in items(storage.get("trees")) {
        let Some(local) = text(tree.get("local")) else {
            continue;
        };
        let base = text(tree.get("path")).unwrap_or_else(|| "/".to_owned());
        if dir.holds_secret(&local) {
            continue;
        }
        let Ok(entries) = dir.walk(&local) else {
            continue;
        };
        for entry in entries {
            let TreeEntry::File {
                relative, contents, ..
            } = entry
            else {
                continue;
            };
            let path = format!("{}/{relative}", base.trim_end_matches('/'));
            let (Some(scope), Ok(text)) = (scope(&path), String::from_utf8(contents)) else {
                continue;
            };
            out.push(Placed {
                path,
                scope,
                text,
                lines: Lines::Local(format!("{}/{relative}", local.trim_end_matches('/'))),
            });
        }
    }
    out
}

fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Sequence(items)) => items,
        _ => &[],
    }
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_scalar)
        .filter(|s| !s.is_null())
        .map(|s| s.text.clone())
}

/// The line mapping of a literal block scalar: its content starts on the
/// line after its key (`inline: |`), indented like its first non-blank
/// line.
pub fn block_lines(
    inline: &crate::yaml::Entry,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Option<Lines> {
    if inline.value.as_scalar()?.style != Style::Literal {
        return None;
    }
    let source = text_of(inline.value.file)?;
    let key_line = inline.key.position.line;
    let indent = source
        .lines()
        .skip(key_line)
        .find(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start_matches(' ').len())?;
    Some(Lines::Block {
        file: inline.value.file,
        first: key_line + 1,
        indent,
    })
}

/// Validates placed files: each against the units of its scope (a user's
/// scope also sees `users`) plus `extra_units` (the units the host gets
/// otherwise). `validate` runs one file (a memo in the fleet compiler);
/// `name_of` names a node's file. `pinned` keeps the unpinned-image lint.
pub fn check(
    placed: &[Placed],
    podman_version: &semver::Version,
    extra_units: &BTreeSet<String>,
    pinned: bool,
    validate: &mut dyn FnMut(&str, &str, &ValidateOptions<'_>) -> Vec<Diagnostic>,
    name_of: &dyn Fn(FileId) -> String,
) -> Vec<Diagnostic> {
    let mut scopes: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for file in placed {
        if let Some(unit) = unit_name(&file.path) {
            scopes.entry(&file.scope).or_default().insert(unit);
        }
    }
    let shared = scopes.get("users").cloned().unwrap_or_default();
    let mut found = Vec::new();
    for file in placed {
        let mut units = extra_units.clone();
        units.extend(
            scopes
                .get(file.scope.as_str())
                .into_iter()
                .flatten()
                .cloned(),
        );
        if file.scope.starts_with("user:") {
            units.extend(shared.iter().cloned());
        }
        let mut options = ValidateOptions::new(podman_version.clone()).with_units(&units);
        options.newer_key_severity = Severity::Warning;
        for finding in validate(&file.path, &file.text, &options) {
            if finding.code == Code::QuadletImageNotPinned && !pinned {
                continue;
            }
            found.push(file.lines.place(finding, name_of));
        }
    }
    found
}

/// The unit a unit file defines (drop-ins define none).
fn unit_name(path: &str) -> Option<String> {
    match quadlet::classify(path).ok()? {
        quadlet::QuadletFile::Unit(unit) => Some(unit.file_name),
        quadlet::QuadletFile::DropIn(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_of_node_paths() {
        assert_eq!(
            scope("/etc/containers/systemd/a.container").as_deref(),
            Some("system")
        );
        assert_eq!(
            scope("/etc/containers/systemd/sub/a.volume").as_deref(),
            Some("system")
        );
        assert_eq!(
            scope("/etc/containers/systemd/a.container.d/10-x.conf").as_deref(),
            Some("system")
        );
        assert_eq!(
            scope("/etc/containers/systemd/users/a.pod").as_deref(),
            Some("users")
        );
        assert_eq!(
            scope("/etc/containers/systemd/users/1000/a.pod").as_deref(),
            Some("user:1000")
        );
        assert_eq!(
            scope("/usr/share/containers/systemd/a.kube").as_deref(),
            Some("system")
        );
        assert_eq!(
            scope("/var/home/core/.config/containers/systemd/a.network").as_deref(),
            Some("user:core")
        );
        assert_eq!(
            scope("/home/core/.config/containers/systemd/container.d/x.conf").as_deref(),
            Some("user:core")
        );
        assert_eq!(scope("/etc/containers/systemd/README"), None);
        assert_eq!(scope("/etc/containers/systemd/x.conf"), None);
        assert_eq!(scope("/etc/systemd/system/a.container"), None);
        assert_eq!(scope("/home/core/a.container"), None);
    }

    #[test]
    fn inline_block_lines_map_to_the_yaml() {
        let source = "storage:\n  files:\n    - path: /etc/containers/systemd/a.container\n      contents:\n        inline: |\n          [Container]\n          Image=quay.io/x/y:1\n          PublishPorts=80:80\n";
        let root = crate::yaml::parse_file(source, FileId(0))
            .expect("yaml")
            .expect("doc");
        let text_of = |_| Some(source.to_owned());
        let files = placed(&root, &text_of, None);
        assert_eq!(files.len(), 1);
        let found = check(
            &files,
            &quadlet::DEFAULT_PODMAN_VERSION,
            &BTreeSet::new(),
            false,
            &mut |name, text, options| quadlet::validate_file(name, text, options),
            &|_| "host.bu".to_owned(),
        );
        let unknown: Vec<_> = found
            .iter()
            .filter(|d| d.raw().contains("PublishPorts"))
            .collect();
        assert_eq!(unknown.len(), 1, "{found:?}");
        assert_eq!(unknown[0].file.as_deref(), Some("host.bu"));
        assert_eq!(unknown[0].position, Some(Position::new(8, 11)));
    }
}
