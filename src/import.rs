//! `kindling import`: a Butane layout → a fleet that compiles to the same
//! Ignition per host. Beside the pipeline: it reads `.bu` files (the load
//! stage's YAML), compiles them with the Butane compiler to know what they
//! mean, and writes fleet sources that the whole pipeline then builds
//! ([`verify`] diffs that build against the originals).
//!
//! The layout is a directory of `.bu` files and a files directory their
//! `local:` paths resolve in. A `.bu` whose compiled `.ign` another one
//! merges (`ignition.config.merge: [{local: base.ign}]`, with `base.bu`
//! anywhere in the layout) is a *part*; every other `.bu` is a *host*.
//!
//! Per host, the result is `hosts/<host>.yaml`:
//! - parts it merges become `include:` of `snippets/<part>.bu`, in merge
//!   order (a part's own parts after it);
//! - Quadlet files it places in `/etc/containers/systemd` (plain `0644`
//!   files, inline or `local:`, or a whole `trees:` entry of them) become
//!   literal services `containers/<file>`, named by the file's stem, when
//!   every file of that stem can move and no other host places different
//!   ones. A file setting `AutoUpdate=` moves only if the host already
//!   enables `podman-auto-update.timer` (a literal service that
//!   auto-updates gets the timer enabled: the config would change), or
//!   when [`Options::auto_update_timer`] accepts that one change;
//! - entries (users, groups, files, directories, links, units) that two or
//!   more hosts of one Butane version have identically move to a snippet
//!   `snippets/common*.bu` those hosts include;
//! - everything else stays, as written, in the host's `butane:` block.
//!
//! Every `local:` file or tree is copied to `files/<its path>` and the
//! reference rewritten. Nothing is decrypted: files are copied as bytes.
//! A `.bu` that does not compile is copied to `unconverted/` and reported.

pub mod emit;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::butane::files_dir::{FilesDir, TreeEntry};
use crate::butane::version::Version;
use crate::confine::{ConfineError, EntryKind, FleetRoot, SOURCE_LIMIT};
use crate::fleet::load::QUADLET_KINDS;
use crate::fleet::resolve::butane_version;
use crate::ignition::model::Config;
use crate::inspect::yaml_emit::Yaml;
use crate::yaml::{self, Entry, Node, Style, Value};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("cannot read the Butane layout: {0}")]
    Read(#[from] ConfineError),
    #[error("{0} holds no .bu file")]
    Empty(String),
}

/// One `.bu` file of the layout.
#[derive(Clone, Debug)]
pub struct BuFile {
    /// Its path in the layout directory.
    pub relative: String,
    pub text: String,
}

/// Every `.bu` file under `root` (hidden directories skipped), by path.
pub fn scan(root: &FleetRoot) -> Result<Vec<BuFile>, ImportError> {
    let mut found = Vec::new();
    walk(root, "", &mut found)?;
    if found.is_empty() {
        return Err(ImportError::Empty(root.path().display().to_string()));
    }
    Ok(found)
}

fn walk(root: &FleetRoot, dir: &str, found: &mut Vec<BuFile>) -> Result<(), ImportError> {
    for entry in root.list(dir)? {
        if entry.name.starts_with('.') {
            continue;
        }
        let relative = if dir.is_empty() {
            entry.name.clone()
        } else {
            format!("{dir}/{}", entry.name)
        };
        match entry.kind {
            EntryKind::Directory => walk(root, &relative, found)?,
            // A `.bu` that is not a plain file (a link out of the layout, a
            // FIFO) is read anyway, so confinement refuses it by name
            // instead of the import skipping it silently.
            _ if entry.name.ends_with(".bu") => {
                let text = root.read_text(&relative, SOURCE_LIMIT)?;
                found.push(BuFile { relative, text });
            }
            _ => {}
        }
    }
    Ok(())
}

/// A file of the new fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutFile {
    Bytes { bytes: Vec<u8>, executable: bool },
    Symlink(String),
    Directory,
}

impl OutFile {
    fn text(text: String) -> OutFile {
        OutFile::Bytes {
            bytes: text.into_bytes(),
            executable: false,
        }
    }
}

/// How to convert.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Move Quadlet files that set `AutoUpdate=` even where the host does
    /// not enable `podman-auto-update.timer`: as services they get it
    /// enabled (without it `AutoUpdate=` does nothing).
    pub auto_update_timer: bool,
}

/// What became of one host.
#[derive(Clone, Debug)]
pub struct HostImport {
    pub name: String,
    /// The `.bu` it came from, in the layout.
    pub source: String,
    /// Its original Ignition, embedded merges applied ([`verify::flatten`]).
    pub original: Config,
    /// Literal services its Quadlet files became.
    pub services: Vec<String>,
    /// Snippets it includes (parts it merged, shared entries).
    pub includes: Vec<String>,
    /// Quadlet files that stayed in its `butane:` block, and why.
    pub kept: Vec<String>,
    /// Entries moved to shared snippets.
    pub shared: usize,
    /// Entries left in its `butane:` block.
    pub remaining: usize,
    /// Its services get `podman-auto-update.timer` enabled, which the
    /// original does not ([`Options::auto_update_timer`]).
    pub adds_timer: bool,
}

/// A `.bu` file that is not in the new fleet as a host, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub source: String,
    pub reason: String,
}

/// The new fleet, not yet written.
#[derive(Clone, Debug, Default)]
pub struct Conversion {
    /// Every file, by its path in the fleet.
    pub files: BTreeMap<String, OutFile>,
    pub hosts: Vec<HostImport>,
    pub skipped: Vec<Skipped>,
    /// Parts: `.bu` files other files merge, now snippets.
    pub parts: Vec<(String, String)>,
}

/// Where Quadlet files go (the fleet's default `quadlet_dir`).
const QUADLET_DIR: &str = "/etc/containers/systemd";
pub(crate) const AUTO_UPDATE_TIMER: &str = "podman-auto-update.timer";
/// The lists whose identical entries hosts share through a snippet.
const SHARED_LISTS: [(&str, &str); 6] = [
    ("passwd", "users"),
    ("passwd", "groups"),
    ("storage", "directories"),
    ("storage", "files"),
    ("storage", "links"),
    ("systemd", "units"),
];

struct Doc {
    text: String,
    node: Node,
    /// `merge` `local:` paths that are another `.bu`'s output → that `.bu`.
    generated: Vec<(String, String)>,
}

/// A host on its way into the fleet.
struct Draft {
    name: String,
    source: String,
    version: Version,
    node: Node,
    original: Config,
    includes: Vec<String>,
    services: BTreeSet<String>,
    kept: Vec<String>,
    shared: usize,
    adds_timer: bool,
}

/// Converts the layout's `.bu` files (`local:` paths read from
/// `files_dir`) into a fleet.
pub fn convert(files: Vec<BuFile>, files_dir: &FilesDir, options: Options) -> Conversion {
    let mut out = Conversion::default();
    let mut docs: BTreeMap<String, Doc> = BTreeMap::new();
    for file in files {
        match yaml::parse(&file.text) {
            Ok(Some(node)) if matches!(node.value, Value::Mapping(_)) => {
                docs.insert(
                    file.relative,
                    Doc {
                        text: file.text,
                        node,
                        generated: Vec::new(),
                    },
                );
            }
            Ok(_) => skip(
                &mut out,
                &file.relative,
                &file.text,
                "not a Butane config (no mapping)",
            ),
            Err(error) => skip(
                &mut out,
                &file.relative,
                &file.text,
                &format!(
                    "{}:{}:{}: {}",
                    file.relative, error.position.line, error.position.column, error.message
                ),
            ),
        }
    }
    link_parts(&mut docs);
    let parts: BTreeSet<String> = docs
        .values()
        .flat_map(|doc| doc.generated.iter().map(|(_, part)| part.clone()))
        .collect();
    let mut compiled: BTreeMap<String, Result<Vec<u8>, String>> = BTreeMap::new();
    let host_names = names(docs.keys().filter(|k| !parts.contains(*k)));
    let part_names = names(parts.iter());
    let mut registry: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut drafts = Vec::new();
    for (relative, doc) in &docs {
        if parts.contains(relative) {
            continue;
        }
        let generated = match overlay(&docs, relative, &mut compiled, files_dir, &mut Vec::new()) {
            Ok(generated) => generated,
            Err(reason) => {
                skip(&mut out, relative, &doc.text, &reason);
                continue;
            }
        };
        let original = match verify::compile(&doc.text, relative, files_dir, generated) {
            Ok((config, _)) => verify::flatten(config),
            Err(reason) => {
                skip(&mut out, relative, &doc.text, &reason);
                continue;
            }
        };
        let name = host_names.get(relative).cloned().unwrap_or_default();
        let version = scalar(&doc.node, "variant")
            .zip(scalar(&doc.node, "version"))
            .and_then(|(variant, version)| Version::find(variant, version))
            .and_then(|version| butane_version(version.variant.as_str(), version.spec()));
        let Some(version) = version else {
            skip(
                &mut out,
                relative,
                &doc.text,
                "its variant and version have no fleet equivalent (fleet hosts are fcos or flatcar)",
            );
            continue;
        };
        let mut draft = Draft {
            name,
            source: relative.clone(),
            version,
            node: doc.node.clone(),
            original,
            includes: Vec::new(),
            services: BTreeSet::new(),
            kept: Vec::new(),
            shared: 0,
            adds_timer: false,
        };
        remove_key(&mut draft.node, "variant");
        remove_key(&mut draft.node, "version");
        let mut order = Vec::new();
        part_order(&docs, relative, &mut order);
        remove_generated_merges(&mut draft.node, &doc.generated);
        draft.includes = order
            .iter()
            .map(|part| {
                format!(
                    "snippets/{}.bu",
                    part_names.get(part).cloned().unwrap_or_default()
                )
            })
            .collect();
        lift_quadlets(&mut draft, files_dir, &mut registry, options);
        if let Err(reason) = copy_locals(&mut draft.node, files_dir, &mut out.files) {
            skip(&mut out, relative, &doc.text, &reason);
            continue;
        }
        drafts.push(draft);
    }
    for part in &parts {
        let Some(doc) = docs.get(part) else { continue };
        let mut node = doc.node.clone();
        remove_generated_merges(&mut node, &doc.generated);
        if let Err(reason) = copy_locals(&mut node, files_dir, &mut out.files) {
            skip(&mut out, part, &doc.text, &reason);
            continue;
        }
        prune(&mut node);
        let name = part_names.get(part).cloned().unwrap_or_default();
        let path = format!("snippets/{name}.bu");
        let header = vec![format!(
            "Imported from {part} (merged as its .ign by the hosts that include it)."
        )];
        out.files.insert(
            path.clone(),
            OutFile::text(emit::document(&header, &emit::to_yaml(&node))),
        );
        out.parts.push((part.clone(), path));
    }
    share(&mut drafts, &mut out.files);
    for files in registry.values() {
        for (file, text) in files {
            out.files
                .insert(format!("containers/{file}"), OutFile::text(text.clone()));
        }
    }
    fleet_files(&mut drafts, &mut out);
    out
}

/// Records a `.bu` that is not converted: copied to `unconverted/`.
fn skip(out: &mut Conversion, relative: &str, text: &str, reason: &str) {
    out.files.insert(
        format!("unconverted/{relative}"),
        OutFile::text(text.to_owned()),
    );
    out.skipped.push(Skipped {
        source: relative.to_owned(),
        reason: reason.to_owned(),
    });
}

fn scalar<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    node.get(key)
        .and_then(Node::as_scalar)
        .map(|s| s.text.as_str())
}

/// The file name of a path without `extension`.
fn stem<'p>(path: &'p str, extension: &str) -> Option<&'p str> {
    path.rsplit('/').next()?.strip_suffix(extension)
}

/// Finds which `merge` `local:` entries name another `.bu`'s output.
fn link_parts(docs: &mut BTreeMap<String, Doc>) {
    let mut by_stem: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for relative in docs.keys() {
        if let Some(stem) = stem(relative, ".bu") {
            by_stem
                .entry(stem.to_owned())
                .or_default()
                .push(relative.clone());
        }
    }
    for (relative, doc) in docs.iter_mut() {
        let generated = items(&doc.node, &["ignition", "config", "merge"])
            .iter()
            .filter_map(|item| {
                let local = scalar(item, "local")?;
                match by_stem.get(stem(local, ".ign")?).map(Vec::as_slice) {
                    Some([part]) if part != relative => Some((local.to_owned(), part.clone())),
                    _ => None,
                }
            })
            .collect();
        doc.generated = generated;
    }
}

/// The generated `.ign` files `relative` merges, compiled (parts first).
fn overlay(
    docs: &BTreeMap<String, Doc>,
    relative: &str,
    compiled: &mut BTreeMap<String, Result<Vec<u8>, String>>,
    files_dir: &FilesDir,
    stack: &mut Vec<String>,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let Some(doc) = docs.get(relative) else {
        return Ok(BTreeMap::new());
    };
    let mut generated = BTreeMap::new();
    for (local, part) in &doc.generated {
        if stack.contains(part) {
            return Err(format!(
                "{part} merges itself (through {})",
                stack.join(", ")
            ));
        }
        if !compiled.contains_key(part) {
            stack.push(part.clone());
            let result = overlay(docs, part, compiled, files_dir, stack).and_then(|inner| {
                let text = docs.get(part).map(|d| d.text.as_str()).unwrap_or_default();
                verify::compile(text, part, files_dir, inner)
                    .map(|(_, json)| json)
                    .map_err(|error| format!("its part {part} does not compile: {error}"))
            });
            stack.pop();
            compiled.insert(part.clone(), result);
        }
        match compiled.get(part) {
            Some(Ok(json)) => {
                generated.insert(local.clone(), json.clone());
            }
            Some(Err(error)) => return Err(error.clone()),
            None => {}
        }
    }
    Ok(generated)
}

/// The parts `relative` merges, each followed by its own, first seen first.
fn part_order(docs: &BTreeMap<String, Doc>, relative: &str, order: &mut Vec<String>) {
    let Some(doc) = docs.get(relative) else {
        return;
    };
    for (_, part) in &doc.generated {
        if !order.contains(part) {
            order.push(part.clone());
            part_order(docs, part, order);
        }
    }
}

/// A name per `.bu`: its stem when no other one has it, else its path
/// with `/` as `-`; characters outside `[A-Za-z0-9_-]` become `-`.
fn names<'a>(paths: impl Iterator<Item = &'a String>) -> BTreeMap<String, String> {
    let paths: Vec<&String> = paths.collect();
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let stems: Vec<String> = paths
        .iter()
        .map(|p| clean(stem(p, ".bu").unwrap_or(p)))
        .collect();
    paths
        .iter()
        .zip(&stems)
        .map(|(path, stem)| {
            let unique = stems.iter().filter(|s| *s == stem).count() == 1;
            let name = if unique {
                stem.clone()
            } else {
                clean(path.strip_suffix(".bu").unwrap_or(path))
            };
            ((*path).clone(), name)
        })
        .collect()
}

fn entries_mut(node: &mut Node) -> Option<&mut Vec<Entry>> {
    match &mut node.value {
        Value::Mapping(entries) => Some(entries),
        _ => None,
    }
}

fn get_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    entries_mut(node)?
        .iter_mut()
        .find(|e| e.key.as_scalar().is_some_and(|s| s.text == key))
        .map(|e| &mut e.value)
}

fn remove_key(node: &mut Node, key: &str) {
    if let Some(entries) = entries_mut(node) {
        entries.retain(|e| e.key.as_scalar().is_none_or(|s| s.text != key));
    }
}

/// The items of the list at `path`, none if there is none.
fn items<'n>(node: &'n Node, path: &[&str]) -> &'n [Node] {
    let mut at = node;
    for key in path {
        match at.get(key) {
            Some(next) => at = next,
            None => return &[],
        }
    }
    match &at.value {
        Value::Sequence(items) => items,
        _ => &[],
    }
}

fn items_mut<'n>(node: &'n mut Node, path: &[&str]) -> Option<&'n mut Vec<Node>> {
    let mut at = node;
    for key in path {
        at = get_mut(at, key)?;
    }
    match &mut at.value {
        Value::Sequence(items) => Some(items),
        _ => None,
    }
}

/// Drops empty lists and mappings (Butane reads them as absent).
fn prune(node: &mut Node) {
    match &mut node.value {
        Value::Mapping(entries) => {
            for entry in entries.iter_mut() {
                prune(&mut entry.value);
            }
            entries.retain(|e| match &e.value.value {
                Value::Mapping(inner) => !inner.is_empty(),
                Value::Sequence(items) => !items.is_empty(),
                Value::Scalar(_) => true,
            });
        }
        Value::Sequence(items) => items.iter_mut().for_each(prune),
        Value::Scalar(_) => {}
    }
}

fn remove_generated_merges(node: &mut Node, generated: &[(String, String)]) {
    if let Some(items) = items_mut(node, &["ignition", "config", "merge"]) {
        items.retain(|item| {
            scalar(item, "local").is_none_or(|local| !generated.iter().any(|(g, _)| g == local))
        });
    }
}

/// The mode a scalar means (YAML 1.1 integers as go-yaml reads them).
fn mode_of(node: &Node) -> Option<i64> {
    let scalar = node.as_scalar()?;
    if scalar.style != Style::Plain {
        return None;
    }
    let text = scalar.text.replace('_', "");
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if text.len() > 1 && text.starts_with('0') {
        return i64::from_str_radix(&text[1..], 8).ok();
    }
    text.parse().ok()
}

fn keys(node: &Node) -> Vec<&str> {
    match &node.value {
        Value::Mapping(entries) => entries
            .iter()
            .filter_map(|e| e.key.as_scalar().map(|s| s.text.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The Quadlet file name a node path places, if it is one.
fn quadlet_name(path: &str) -> Option<&str> {
    let name = path.strip_prefix(QUADLET_DIR)?.strip_prefix('/')?;
    let (_, extension) = name.rsplit_once('.')?;
    (!name.contains('/') && QUADLET_KINDS.contains(&extension)).then_some(name)
}

/// A Quadlet file the host places, and whether it can move.
struct Candidate {
    name: String,
    text: Result<String, String>,
    /// Index in `storage.files`, or in `storage.trees` for a tree's file.
    at: Place,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    File(usize),
    Tree(usize),
}

fn file_candidate(item: &Node, files_dir: &FilesDir) -> Option<(String, Result<String, String>)> {
    let name = quadlet_name(scalar(item, "path")?)?.to_owned();
    let check = || -> Result<String, String> {
        if keys(item)
            .iter()
            .any(|k| !["path", "mode", "contents"].contains(k))
        {
            return Err("it sets more than path, mode and contents".to_owned());
        }
        match item.get("mode").map(mode_of) {
            Some(Some(0o644)) => {}
            None => return Err("it sets no mode (a service's file is 0644)".to_owned()),
            Some(_) => return Err("its mode is not 0644".to_owned()),
        }
        let contents = item.get("contents").ok_or("it has no contents")?;
        match keys(contents).as_slice() {
            ["inline"] => contents
                .get("inline")
                .and_then(Node::as_scalar)
                .filter(|s| s.tag.is_none())
                .map(|s| s.text.clone())
                .ok_or_else(|| "its inline contents are not text".to_owned()),
            ["local"] => {
                let local = scalar(contents, "local").ok_or("its local path is not text")?;
                files_dir
                    .read_to_string(local)
                    .map_err(|error| error.to_string())
            }
            _ => Err("its contents are not a plain inline or local file".to_owned()),
        }
    };
    Some((name, check()))
}

/// The Quadlet files of a `trees:` entry onto the Quadlet directory; `None`
/// when the entry is not one (other target, other files in it).
fn tree_candidates(item: &Node, files_dir: &FilesDir) -> Option<Vec<(String, String)>> {
    let target = scalar(item, "path")?.trim_end_matches('/');
    if target != QUADLET_DIR || keys(item).iter().any(|k| !["path", "local"].contains(k)) {
        return None;
    }
    let entries = files_dir.walk(scalar(item, "local")?).ok()?;
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            TreeEntry::Directory { relative } if relative.is_empty() => {}
            TreeEntry::File {
                relative,
                contents,
                executable: false,
            } if quadlet_name(&format!("{QUADLET_DIR}/{relative}")).is_some() => {
                files.push((relative, String::from_utf8(contents).ok()?));
            }
            _ => return None,
        }
    }
    Some(files)
}

/// Moves the host's Quadlet files to literal services where nothing
/// changes by it; records the others in `kept`.
fn lift_quadlets(
    draft: &mut Draft,
    files_dir: &FilesDir,
    registry: &mut BTreeMap<String, BTreeMap<String, String>>,
    options: Options,
) {
    let mut candidates = Vec::new();
    let mut dropin_stems = BTreeSet::new();
    for (index, item) in items(&draft.node, &["storage", "files"]).iter().enumerate() {
        if let Some(path) = scalar(item, "path")
            && let Some(rest) = path.strip_prefix(&format!("{QUADLET_DIR}/"))
            && let Some((unit, _)) = rest.split_once(".d/")
        {
            dropin_stems.insert(unit.rsplit_once('.').map_or(unit, |(s, _)| s).to_owned());
        }
        if let Some((name, text)) = file_candidate(item, files_dir) {
            candidates.push(Candidate {
                name,
                text,
                at: Place::File(index),
            });
        }
    }
    for (index, item) in items(&draft.node, &["storage", "trees"]).iter().enumerate() {
        for (name, text) in tree_candidates(item, files_dir).unwrap_or_default() {
            candidates.push(Candidate {
                name,
                text: Ok(text),
                at: Place::Tree(index),
            });
        }
    }
    let timer_enabled = draft
        .original
        .systemd
        .units
        .iter()
        .any(|u| u.name == AUTO_UPDATE_TIMER && u.enabled == Some(true));
    let mut by_stem: BTreeMap<String, Vec<&Candidate>> = BTreeMap::new();
    for candidate in &candidates {
        let stem = candidate
            .name
            .rsplit_once('.')
            .map_or(candidate.name.as_str(), |(s, _)| s);
        by_stem.entry(stem.to_owned()).or_default().push(candidate);
    }
    // A tree moves whole or not at all.
    let mut blocked_trees = BTreeSet::new();
    let mut verdicts: BTreeMap<String, Result<(), String>> = BTreeMap::new();
    for (stem, group) in &by_stem {
        let verdict = (|| {
            if dropin_stems.contains(stem) {
                return Err("it has drop-ins".to_owned());
            }
            let mut files = BTreeMap::new();
            for candidate in group {
                let text = candidate.text.clone()?;
                if !timer_enabled && !options.auto_update_timer && auto_updates(&text) {
                    return Err(format!(
                        "it sets AutoUpdate=; as a service it would get {AUTO_UPDATE_TIMER} enabled, which this host does not enable: --auto-update-timer moves it all the same"
                    ));
                }
                files.insert(candidate.name.clone(), text);
            }
            match registry.get(stem) {
                Some(existing) if *existing != files => {
                    Err(format!("another host places a different service {stem}"))
                }
                _ => Ok(()),
            }
        })();
        match verdict {
            Ok(()) => {
                verdicts.insert(stem.clone(), Ok(()));
            }
            Err(reason) => {
                for candidate in group {
                    if let Place::Tree(index) = candidate.at {
                        blocked_trees.insert(index);
                    }
                }
                verdicts.insert(stem.clone(), Err(reason));
            }
        }
    }
    // Stems in a blocked tree stay too.
    for (stem, group) in &by_stem {
        if group
            .iter()
            .any(|c| matches!(c.at, Place::Tree(i) if blocked_trees.contains(&i)))
            && verdicts.get(stem).is_some_and(Result::is_ok)
        {
            verdicts.insert(
                stem.clone(),
                Err("it comes from a trees: entry that holds files that cannot move".to_owned()),
            );
        }
    }
    let mut remove_files = BTreeSet::new();
    let mut remove_trees = BTreeSet::new();
    for (stem, group) in &by_stem {
        match verdicts.get(stem) {
            Some(Ok(())) => {
                let files = registry.entry(stem.clone()).or_default();
                for candidate in group {
                    if let Ok(text) = &candidate.text {
                        files.insert(candidate.name.clone(), text.clone());
                    }
                    match candidate.at {
                        Place::File(index) => remove_files.insert(index),
                        Place::Tree(index) => remove_trees.insert(index),
                    };
                }
                draft.services.insert(stem.clone());
                if !timer_enabled
                    && group
                        .iter()
                        .any(|c| c.text.as_deref().is_ok_and(auto_updates))
                {
                    draft.adds_timer = true;
                }
            }
            Some(Err(reason)) => {
                for candidate in group {
                    draft.kept.push(format!("{} ({reason})", candidate.name));
                }
            }
            None => {}
        }
    }
    remove_indices(&mut draft.node, &["storage", "files"], &remove_files);
    remove_indices(&mut draft.node, &["storage", "trees"], &remove_trees);
}

fn auto_updates(text: &str) -> bool {
    text.lines()
        .any(|line| line.trim_start().starts_with("AutoUpdate="))
}

fn remove_indices(node: &mut Node, path: &[&str], indices: &BTreeSet<usize>) {
    if indices.is_empty() {
        return;
    }
    if let Some(items) = items_mut(node, path) {
        let mut index = 0;
        items.retain(|_| {
            let keep = !indices.contains(&index);
            index += 1;
            keep
        });
    }
}

/// `local` cleaned as Butane cleans it (`..` that climbs out is refused by
/// the compile that already succeeded, so it cannot occur here).
fn clean(local: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in local.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Copies every `local:` file or tree `node` reads to `files/` and points
/// the references there.
fn copy_locals(
    node: &mut Node,
    files_dir: &FilesDir,
    files: &mut BTreeMap<String, OutFile>,
) -> Result<(), String> {
    let Value::Mapping(entries) = &mut node.value else {
        if let Value::Sequence(items) = &mut node.value {
            for item in items {
                copy_locals(item, files_dir, files)?;
            }
        }
        return Ok(());
    };
    for entry in entries {
        let key = entry
            .key
            .as_scalar()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        match (key.as_str(), &mut entry.value.value) {
            ("local" | "contents_local", Value::Scalar(scalar)) => {
                let target = copy_file(&scalar.text, files_dir, files)?;
                scalar.text = target;
                scalar.style = Style::DoubleQuoted;
            }
            ("ssh_authorized_keys_local", Value::Sequence(items)) => {
                for item in items {
                    if let Value::Scalar(scalar) = &mut item.value {
                        scalar.text = copy_file(&scalar.text, files_dir, files)?;
                        scalar.style = Style::DoubleQuoted;
                    }
                }
            }
            ("trees", Value::Sequence(items)) => {
                for item in items {
                    if let Some(Value::Scalar(scalar)) =
                        get_mut(item, "local").map(|n| &mut n.value)
                    {
                        scalar.text = copy_tree(&scalar.text, files_dir, files)?;
                        scalar.style = Style::DoubleQuoted;
                    }
                }
            }
            _ => copy_locals(&mut entry.value, files_dir, files)?,
        }
    }
    Ok(())
}

fn copy_file(
    local: &str,
    files_dir: &FilesDir,
    files: &mut BTreeMap<String, OutFile>,
) -> Result<String, String> {
    let target = format!("files/{}", clean(local));
    if !files.contains_key(&target) {
        let bytes = files_dir.read(local).map_err(|error| error.to_string())?;
        files.insert(
            target.clone(),
            OutFile::Bytes {
                bytes,
                executable: false,
            },
        );
    }
    Ok(target)
}

fn copy_tree(
    local: &str,
    files_dir: &FilesDir,
    files: &mut BTreeMap<String, OutFile>,
) -> Result<String, String> {
    let target = format!("files/{}", clean(local));
    for entry in files_dir.walk(local).map_err(|error| error.to_string())? {
        let (relative, file) = match entry {
            TreeEntry::File {
                relative,
                contents,
                executable,
            } => (
                relative,
                OutFile::Bytes {
                    bytes: contents,
                    executable,
                },
            ),
            TreeEntry::Directory { relative } => (relative, OutFile::Directory),
            TreeEntry::Symlink { relative, target } => (relative, OutFile::Symlink(target)),
        };
        let path = if relative.is_empty() {
            target.clone()
        } else {
            format!("{target}/{relative}")
        };
        files.entry(path).or_insert(file);
    }
    Ok(target)
}

/// The emitted text of an entry: equal texts are the same entry.
fn entry_key(node: &Node) -> String {
    crate::inspect::yaml_emit::to_string(&emit::to_yaml(node))
}

/// Moves entries two or more hosts of one Butane version have identically
/// into snippets they include.
fn share(drafts: &mut [Draft], files: &mut BTreeMap<String, OutFile>) {
    let versions: BTreeSet<Version> = drafts.iter().map(|d| d.version).collect();
    let mut used_names = BTreeSet::new();
    for version in &versions {
        let members: Vec<usize> = (0..drafts.len())
            .filter(|&i| drafts.get(i).is_some_and(|d| d.version == *version))
            .collect();
        if members.len() < 2 {
            continue;
        }
        // Entry key → (list, the entry, the hosts that have it).
        let mut seen: BTreeMap<String, (usize, Node, BTreeSet<usize>)> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for &member in &members {
            let Some(draft) = drafts.get(member) else {
                continue;
            };
            for (list, (section, key)) in SHARED_LISTS.iter().enumerate() {
                for item in items(&draft.node, &[section, key]) {
                    let key = format!("{list}\u{0}{}", entry_key(item));
                    let slot = seen.entry(key.clone()).or_insert_with(|| {
                        order.push(key.clone());
                        (list, item.clone(), BTreeSet::new())
                    });
                    slot.2.insert(member);
                }
            }
        }
        // Host set → the entries they share, in first-seen order.
        let mut groups: BTreeMap<BTreeSet<usize>, Vec<String>> = BTreeMap::new();
        for key in &order {
            if let Some((_, _, hosts)) = seen.get(key)
                && hosts.len() >= 2
            {
                groups.entry(hosts.clone()).or_default().push(key.clone());
            }
        }
        for (hosts, keys) in groups {
            let host_names: Vec<String> = hosts
                .iter()
                .filter_map(|&i| drafts.get(i).map(|d| d.name.clone()))
                .collect();
            let base = if hosts.len() == members.len() {
                "common".to_owned()
            } else {
                format!("common-{}", host_names.join("-"))
            };
            let mut name = base.clone();
            let mut n = 2;
            while !used_names.insert(name.clone()) {
                name = format!("{base}-{n}");
                n += 1;
            }
            let path = format!("snippets/{name}.bu");
            let mut snippet = BTreeMap::<usize, Vec<Yaml>>::new();
            for key in &keys {
                if let Some((list, node, _)) = seen.get(key) {
                    snippet.entry(*list).or_default().push(emit::to_yaml(node));
                }
            }
            let mut sections: Vec<(String, Yaml)> = vec![
                ("variant".to_owned(), Yaml::str(version.variant.as_str())),
                ("version".to_owned(), Yaml::str(version.version_string())),
            ];
            for (list, items) in snippet {
                let Some((section, key)) = SHARED_LISTS.get(list) else {
                    continue;
                };
                let entry = (key.to_string(), Yaml::Seq(items));
                match sections.iter_mut().find(|(s, _)| s == section) {
                    Some((_, Yaml::Map(inner))) => inner.push(entry),
                    _ => sections.push((section.to_string(), Yaml::Map(vec![entry]))),
                }
            }
            let header = vec![format!(
                "Entries the hosts {} had identically (kindling import).",
                host_names.join(", ")
            )];
            files.insert(
                path.clone(),
                OutFile::text(emit::document(&header, &Yaml::Map(sections))),
            );
            let shared: BTreeSet<&String> = keys.iter().collect();
            for &member in &hosts {
                let Some(draft) = drafts.get_mut(member) else {
                    continue;
                };
                for (list, (section, key)) in SHARED_LISTS.iter().enumerate() {
                    if let Some(items) = items_mut(&mut draft.node, &[section, key]) {
                        let before = items.len();
                        items.retain(|item| {
                            !shared.contains(&format!("{list}\u{0}{}", entry_key(item)))
                        });
                        draft.shared += before - items.len();
                    }
                }
                draft.includes.push(path.clone());
            }
        }
    }
}

/// Entries left in a `butane:` block (list items, and other top-level
/// settings one each).
fn count_entries(node: &Node) -> usize {
    let Value::Mapping(sections) = &node.value else {
        return 0;
    };
    sections
        .iter()
        .map(|section| match &section.value.value {
            Value::Mapping(lists) => lists
                .iter()
                .map(|list| match &list.value.value {
                    Value::Sequence(items) => items.len(),
                    _ => 1,
                })
                .sum(),
            Value::Sequence(items) => items.len(),
            Value::Scalar(_) => 1,
        })
        .sum()
}

/// `fleet.yaml` and `hosts/<host>.yaml`.
fn fleet_files(drafts: &mut [Draft], out: &mut Conversion) {
    let mut counts: BTreeMap<Version, usize> = BTreeMap::new();
    for draft in drafts.iter() {
        *counts.entry(draft.version).or_default() += 1;
    }
    let fleet_version = counts
        .iter()
        .max_by_key(|(version, count)| (**count, std::cmp::Reverse(**version)))
        .map(|(version, _)| *version);
    let mut fleet = vec![];
    if let Some(version) = fleet_version {
        if version.variant.as_str() != "fcos" {
            fleet.push(("variant".to_owned(), Yaml::str(version.variant.as_str())));
        }
        fleet.push((
            "ignition_version".to_owned(),
            Yaml::str(version.spec().as_str()),
        ));
    }
    fleet.push(("image_policy".to_owned(), Yaml::str("open")));
    let header = vec![
        "Imported from plain Butane files by `kindling import`; see README.md.".to_owned(),
        "image_policy: open keeps the images the Quadlet files name as they were;".to_owned(),
        "pin them (image: ...:1.2.3 or @sha256:...) and drop it for the default, pinned."
            .to_owned(),
    ];
    out.files.insert(
        "fleet.yaml".to_owned(),
        OutFile::text(emit::document(&header, &Yaml::Map(fleet))),
    );
    for draft in drafts.iter_mut() {
        prune(&mut draft.node);
        let mut host = Vec::new();
        if Some(draft.version) != fleet_version {
            if fleet_version.is_none_or(|v| v.variant != draft.version.variant) {
                host.push((
                    "variant".to_owned(),
                    Yaml::str(draft.version.variant.as_str()),
                ));
            }
            host.push((
                "ignition_version".to_owned(),
                Yaml::str(draft.version.spec().as_str()),
            ));
        }
        if !draft.services.is_empty() {
            host.push((
                "services".to_owned(),
                Yaml::Seq(draft.services.iter().map(Yaml::str).collect()),
            ));
        }
        if !draft.includes.is_empty() {
            host.push((
                "include".to_owned(),
                Yaml::Seq(draft.includes.iter().map(Yaml::str).collect()),
            ));
        }
        let remaining = count_entries(&draft.node);
        if remaining > 0 {
            host.push(("butane".to_owned(), emit::to_yaml(&draft.node)));
        }
        let header = vec![format!(
            "Imported from {} by `kindling import`.",
            draft.source
        )];
        out.files.insert(
            format!("hosts/{}.yaml", draft.name),
            OutFile::text(emit::document(&header, &Yaml::Map(host))),
        );
        out.hosts.push(HostImport {
            name: draft.name.clone(),
            source: draft.source.clone(),
            original: draft.original.clone(),
            services: draft.services.iter().cloned().collect(),
            includes: draft.includes.clone(),
            kept: draft.kept.clone(),
            shared: draft.shared,
            remaining,
            adds_timer: draft.adds_timer,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stems_unless_two_files_share_one() {
        let paths = [
            "hosts/mouse.bu".to_owned(),
            "host/base/spec.bu".to_owned(),
            "service/gitea/spec.bu".to_owned(),
            "a.bu.template.bu".to_owned(),
        ];
        let names = names(paths.iter());
        assert_eq!(names["hosts/mouse.bu"], "mouse");
        assert_eq!(names["host/base/spec.bu"], "host-base-spec");
        assert_eq!(names["service/gitea/spec.bu"], "service-gitea-spec");
        assert_eq!(names["a.bu.template.bu"], "a-bu-template");
    }

    #[test]
    fn modes_read_as_go_yaml_reads_them() {
        let mode = |text: &str| {
            let node = yaml::parse(&format!("m: {text}"))
                .expect("parses")
                .expect("doc");
            node.get("m").and_then(mode_of)
        };
        assert_eq!(mode("0644"), Some(0o644));
        assert_eq!(mode("420"), Some(420));
        assert_eq!(mode("0o644"), Some(0o644));
        assert_eq!(mode("'0644'"), None);
    }

    #[test]
    fn quadlet_names_are_files_directly_in_the_quadlet_directory() {
        assert_eq!(
            quadlet_name("/etc/containers/systemd/web.container"),
            Some("web.container")
        );
        assert_eq!(
            quadlet_name("/etc/containers/systemd/users/1000/web.container"),
            None
        );
        assert_eq!(quadlet_name("/etc/containers/systemd/web.conf"), None);
        assert_eq!(clean("./a/../b//c"), "b/c");
    }
}
