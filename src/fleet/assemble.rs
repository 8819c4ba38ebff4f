//! The assemble stage: rendered file specs, users, directories, Butane
//! snippets and the host's own `butane:` fragment → one Butane-level config
//! per host, plus the provenance of every entry.
//!
//! Order (later sources see earlier ones): fleet users, host users, service
//! accounts and files, host directories, `podman-auto-update.timer` enabled
//! when a service auto-updates, fleet snippets, host snippets,
//! `/etc/hostname` when `hostname:` is set, the host's fragment. When two sources write the same node path, the later one
//! wins and a warning names both. Units with the same name merge when the
//! later one only changes `enabled`, `mask` or drop-ins; users with the same
//! name merge (later fields win, SSH keys and groups accumulate).

use std::collections::{HashMap, HashSet};

use super::load::{Inventory, SourceMap};
use super::render::{NodeDirectory, NodeFile, Rendered};
use super::resolve::{ManifestPlan, Origin, ServiceBody};
use crate::butane::model as b;
use crate::butane::version::Version;
use crate::confine::{ConfineError, SOURCE_LIMIT};
use crate::diag::{Code, Diagnostic, DocPath, Position, Segment};
use crate::encode;
use crate::memo::BoundedMemo;
use crate::secret::Secrets;
use crate::yaml::{self, FileId, Node, de::Decoder};

/// Where an assembled entry came from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Generated from a manifest; findings point here.
    At(Origin),
    /// Copied from a Butane fragment; the rest of a finding's path is looked
    /// up inside this node.
    Node(Node),
}

/// Assembled path prefix → source.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// Keyed by path: a host records a hundred or more, each replacing any
    /// earlier one at its path.
    entries: HashMap<DocPath, Source>,
}

impl Provenance {
    fn record(&mut self, path: DocPath, source: Source) {
        self.entries.insert(path, source);
    }

    /// The file and position a finding about `path` belongs to.
    pub fn locate(&self, path: &DocPath) -> Option<(FileId, Position)> {
        let (prefix, source) = self
            .entries
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())?;
        match source {
            Source::At(origin) => Some((origin.file, origin.position)),
            Source::Node(node) => {
                let rest = DocPath::from_segments(path.segments()[prefix.len()..].to_vec());
                let position = node.position_of(&rest);
                let file = node.lookup(&rest).map_or(node.file, |(n, _)| n.file);
                Some((file, position))
            }
        }
    }
}

/// Runs `podman auto-update`, which acts on containers with `AutoUpdate=`.
const AUTO_UPDATE_TIMER: &str = "podman-auto-update.timer";

/// Where the first service of the host that asks for automatic updates
/// does so (`auto_update:`, or `AutoUpdate=` in a literal Quadlet file):
/// such a host gets the timer enabled, since nothing updates without it.
/// A snippet or the host's fragment can still disable it.
fn auto_update_origin(inventory: &Inventory, plan: &ManifestPlan) -> Option<Origin> {
    plan.services
        .iter()
        .find_map(|service| match &service.body {
            ServiceBody::Definition(resolved) => resolved.spec.auto_update.as_ref().map(|_| {
                resolved
                    .node
                    .get("auto_update")
                    .map_or_else(|| Origin::of(&resolved.node), Origin::of)
            }),
            ServiceBody::Quadlets(files) => files.iter().find_map(|quadlet| {
                let source = inventory.sources.get(quadlet.file)?;
                let line = source
                    .text
                    .lines()
                    .position(|line| line.trim_start().starts_with("AutoUpdate="))?;
                Some(Origin {
                    file: quadlet.file,
                    position: Position::new(line + 1, 1),
                })
            }),
        })
}

pub struct Assembled {
    pub config: b::Config,
    pub provenance: Provenance,
    /// The placed secrets that no later source replaced.
    pub secrets: Secrets,
    pub diagnostics: Vec<Diagnostic>,
    /// The YAML of every snippet and `butane:` fragment merged, in order:
    /// the Quadlet files they place are validated from it.
    pub fragments: Vec<Node>,
}

struct Assembler<'a> {
    sources: &'a SourceMap,
    /// Snippets read so far (their nodes carry the ids [`ExtraSources`] hands out).
    snippets: ExtraSources,
    config: b::Config,
    /// Paths of the files, directories and links in `config`: a new path
    /// (the common case) needs no scan of the lists, which made a fragment
    /// of 40,000 files quadratic.
    node_paths: HashSet<String>,
    provenance: Provenance,
    secrets: Secrets,
    diagnostics: Vec<Diagnostic>,
    fragments: Vec<Node>,
}

fn storage(list: &'static str, index: usize) -> DocPath {
    DocPath::root().key("storage").key(list).index(index)
}

impl Assembler<'_> {
    /// The name of a loaded file or of a snippet.
    fn file_name(&self, file: FileId) -> String {
        self.snippets.file_name(file, self.sources)
    }

    fn describe(&self, source: &Source) -> String {
        let (file, position) = match source {
            Source::At(origin) => (origin.file, origin.position),
            Source::Node(node) => (node.file, node.position),
        };
        format!(
            "{}:{}:{}",
            self.file_name(file),
            position.line,
            position.column
        )
    }

    fn source_of(&self, path: &DocPath) -> Option<Source> {
        self.provenance.entries.get(path).cloned()
    }

    /// Index of an existing file/directory/link at `node_path`, by list.
    fn find_node(&self, node_path: &str) -> Option<(&'static str, usize)> {
        if !self.node_paths.contains(node_path) {
            return None;
        }
        let storage = &self.config.storage;
        if let Some(i) = storage.files.iter().position(|f| f.path == node_path) {
            return Some(("files", i));
        }
        if let Some(i) = storage.directories.iter().position(|d| d.path == node_path) {
            return Some(("directories", i));
        }
        storage
            .links
            .iter()
            .position(|l| l.path == node_path)
            .map(|i| ("links", i))
    }

    /// Removes an earlier node at the same path, warning that `source`
    /// overrides it. Returns nothing; provenance of later entries shifts.
    fn replace_node(&mut self, node_path: &str, source: &Source) {
        let Some((list, index)) = self.find_node(node_path) else {
            return;
        };
        let earlier = self
            .source_of(&storage(list, index))
            .map(|s| self.describe(&s))
            .unwrap_or_default();
        let (file, position) = match source {
            Source::At(origin) => (origin.file, origin.position),
            Source::Node(node) => (node.file, node.position),
        };
        self.diagnostics.push(
            Diagnostic::warning(
                Code::FleetPathOverride,
                format!("two sources write {node_path}: {earlier} and this one; this one wins"),
            )
            .in_file(self.file_name(file))
            .at_position(position)
            .with_help("remove one of them, or keep this override on purpose"),
        );
        let storage_config = &mut self.config.storage;
        match list {
            "files" => {
                storage_config.files.remove(index);
                self.secrets.unmark_file(node_path);
            }
            "directories" => {
                storage_config.directories.remove(index);
            }
            _ => {
                storage_config.links.remove(index);
            }
        }
        self.shift(list, index);
    }

    /// After removing `list[index]`, moves provenance of later entries down.
    fn shift(&mut self, list: &'static str, index: usize) {
        let base = DocPath::root().key("storage").key(list);
        let depth = base.len();
        let removed = base.index(index);
        self.provenance.entries = std::mem::take(&mut self.provenance.entries)
            .into_iter()
            .filter(|(path, _)| !path.starts_with(&removed))
            .map(|(path, source)| {
                if !path.starts_with(&base) {
                    return (path, source);
                }
                let mut segments = path.segments().to_vec();
                if let Some(Segment::Index(i)) = segments.get_mut(depth)
                    && *i > index
                {
                    *i -= 1;
                }
                (DocPath::from_segments(segments), source)
            })
            .collect();
    }

    fn add_file(&mut self, file: b::File, source: Source) {
        // Two services placing the same file (a shared trust anchor) is fine.
        if self.node_paths.contains(&file.path) && self.config.storage.files.contains(&file) {
            return;
        }
        self.replace_node(&file.path.clone(), &source);
        self.node_paths.insert(file.path.clone());
        let index = self.config.storage.files.len();
        self.config.storage.files.push(file);
        self.provenance.record(storage("files", index), source);
    }

    fn add_directory(&mut self, directory: b::Directory, source: Source) {
        if self.node_paths.contains(&directory.path)
            && self.config.storage.directories.contains(&directory)
        {
            return;
        }
        self.replace_node(&directory.path.clone(), &source);
        self.node_paths.insert(directory.path.clone());
        let index = self.config.storage.directories.len();
        self.config.storage.directories.push(directory);
        self.provenance
            .record(storage("directories", index), source);
    }

    fn add_link(&mut self, link: b::Link, source: Source) {
        self.replace_node(&link.path.clone(), &source);
        self.node_paths.insert(link.path.clone());
        let index = self.config.storage.links.len();
        self.config.storage.links.push(link);
        self.provenance.record(storage("links", index), source);
    }

    fn add_user(&mut self, user: b::PasswdUser, source: Source) {
        let users = &mut self.config.passwd.users;
        if let Some(existing) = users.iter_mut().find(|u| u.name == user.name) {
            merge_user(existing, user);
            return;
        }
        let index = users.len();
        users.push(user);
        self.provenance.record(
            DocPath::root().key("passwd").key("users").index(index),
            source,
        );
    }

    fn add_group(&mut self, group: b::PasswdGroup, source: Source) {
        let groups = &mut self.config.passwd.groups;
        if let Some(existing) = groups.iter_mut().find(|g| g.name == group.name) {
            if group.gid.is_some() {
                existing.gid = group.gid;
            }
            return;
        }
        let index = groups.len();
        groups.push(group);
        self.provenance.record(
            DocPath::root().key("passwd").key("groups").index(index),
            source,
        );
    }

    fn add_unit(&mut self, unit: b::Unit, source: Source) {
        let units = &mut self.config.systemd.units;
        if let Some(index) = units.iter().position(|u| u.name == unit.name) {
            let overrides_only = unit.contents.is_none() && unit.contents_local.is_none();
            if let Some(existing) = units.get_mut(index) {
                if overrides_only {
                    if unit.enabled.is_some() {
                        existing.enabled = unit.enabled;
                    }
                    if unit.mask.is_some() {
                        existing.mask = unit.mask;
                    }
                    existing.dropins.extend(unit.dropins);
                    return;
                }
                *existing = unit;
            }
            self.provenance.record(
                DocPath::root().key("systemd").key("units").index(index),
                source,
            );
            return;
        }
        let index = units.len();
        units.push(unit);
        self.provenance.record(
            DocPath::root().key("systemd").key("units").index(index),
            source,
        );
    }

    fn node_file(&mut self, file: &NodeFile) {
        let encoded = encode::encode_data_url(&file.contents, None, true);
        let (user, group) = owner(file.owner);
        self.add_file(
            b::File {
                path: file.path.clone(),
                mode: Some(i64::from(file.mode)),
                user,
                group,
                contents: b::Resource {
                    source: Some(encoded.source),
                    compression: encoded.compression,
                    ..b::Resource::default()
                },
                ..b::File::default()
            },
            Source::At(file.origin),
        );
        if file.secret {
            self.secrets.mark_file(file.path.clone());
        }
    }

    fn node_directory(&mut self, directory: &NodeDirectory) {
        let (mut user, mut group) = owner(directory.owner);
        if directory.user.is_some() {
            user.name.clone_from(&directory.user);
        }
        if directory.group.is_some() {
            group.name.clone_from(&directory.group);
        }
        self.add_directory(
            b::Directory {
                path: directory.path.clone(),
                mode: Some(i64::from(directory.mode)),
                user,
                group,
                ..b::Directory::default()
            },
            Source::At(directory.origin),
        );
    }

    /// Merges a decoded Butane fragment (`node` is its YAML) into the config.
    fn fragment(&mut self, fragment: b::Config, node: &Node) {
        self.fragments.push(node.clone());
        let item = |list_path: &[&'static str], index: usize| -> Source {
            let mut path = DocPath::root();
            for key in list_path {
                path = path.key(*key);
            }
            let found = node.lookup(&path.index(index)).map(|(n, _)| n.clone());
            Source::Node(found.unwrap_or_else(|| node.clone()))
        };
        for (i, user) in fragment.passwd.users.into_iter().enumerate() {
            self.add_user(user, item(&["passwd", "users"], i));
        }
        for (i, group) in fragment.passwd.groups.into_iter().enumerate() {
            self.add_group(group, item(&["passwd", "groups"], i));
        }
        for (i, directory) in fragment.storage.directories.into_iter().enumerate() {
            self.add_directory(directory, item(&["storage", "directories"], i));
        }
        for (i, file) in fragment.storage.files.into_iter().enumerate() {
            self.add_file(file, item(&["storage", "files"], i));
        }
        for (i, link) in fragment.storage.links.into_iter().enumerate() {
            self.add_link(link, item(&["storage", "links"], i));
        }
        for (i, unit) in fragment.systemd.units.into_iter().enumerate() {
            self.add_unit(unit, item(&["systemd", "units"], i));
        }
        let list = |keys: &[&'static str]| {
            keys.iter()
                .fold(DocPath::root(), |path, key| path.key(*key))
        };
        let provenance = &mut self.provenance;
        let config = &mut self.config;
        append(
            &mut config.storage.disks,
            fragment.storage.disks,
            &list(&["storage", "disks"]),
            node,
            provenance,
        );
        append(
            &mut config.storage.raid,
            fragment.storage.raid,
            &list(&["storage", "raid"]),
            node,
            provenance,
        );
        append(
            &mut config.storage.filesystems,
            fragment.storage.filesystems,
            &list(&["storage", "filesystems"]),
            node,
            provenance,
        );
        append(
            &mut config.storage.luks,
            fragment.storage.luks,
            &list(&["storage", "luks"]),
            node,
            provenance,
        );
        append(
            &mut config.storage.trees,
            fragment.storage.trees,
            &list(&["storage", "trees"]),
            node,
            provenance,
        );
        append(
            &mut config.systemd.quadlets,
            fragment.systemd.quadlets,
            &list(&["systemd", "quadlets"]),
            node,
            provenance,
        );
        append(
            &mut config.ignition.config.merge,
            fragment.ignition.config.merge,
            &list(&["ignition", "config", "merge"]),
            node,
            provenance,
        );
        append(
            &mut config.ignition.security.tls.certificate_authorities,
            fragment.ignition.security.tls.certificate_authorities,
            &list(&["ignition", "security", "tls", "certificate_authorities"]),
            node,
            provenance,
        );
        append(
            &mut config.kernel_arguments.should_exist,
            fragment.kernel_arguments.should_exist,
            &list(&["kernel_arguments", "should_exist"]),
            node,
            provenance,
        );
        append(
            &mut config.kernel_arguments.should_not_exist,
            fragment.kernel_arguments.should_not_exist,
            &list(&["kernel_arguments", "should_not_exist"]),
            node,
            provenance,
        );
        let whole =
            |key: &str| Source::Node(node.get(key).cloned().unwrap_or_else(|| node.clone()));
        if fragment.ignition.config.replace != b::Resource::default() {
            self.config.ignition.config.replace = fragment.ignition.config.replace;
            self.provenance.record(
                DocPath::root().key("ignition").key("config").key("replace"),
                whole("ignition"),
            );
        }
        if fragment.ignition.proxy != b::Proxy::default() {
            self.config.ignition.proxy = fragment.ignition.proxy;
            self.provenance.record(
                DocPath::root().key("ignition").key("proxy"),
                whole("ignition"),
            );
        }
        if fragment.ignition.timeouts != b::Timeouts::default() {
            self.config.ignition.timeouts = fragment.ignition.timeouts;
            self.provenance.record(
                DocPath::root().key("ignition").key("timeouts"),
                whole("ignition"),
            );
        }
        if fragment.boot_device != b::BootDevice::default() {
            self.config.boot_device = fragment.boot_device;
            self.provenance
                .record(DocPath::root().key("boot_device"), whole("boot_device"));
        }
        if fragment.grub != b::Grub::default() {
            self.config.grub = fragment.grub;
            self.provenance
                .record(DocPath::root().key("grub"), whole("grub"));
        }
    }
}

impl Assembler<'_> {
    /// The rebase units of a uCore or image host, and the drop-ins holding
    /// back its `after_rebase` units; added last, so a fragment defining one
    /// of those units keeps its drop-in.
    fn rebase(&mut self, plan: &ManifestPlan) {
        let (target, origin) = &plan.os;
        let Some(rebase) = target.rebase() else {
            return;
        };
        self.add_directory(
            b::Directory {
                path: rebase.marker_dir(),
                mode: Some(0o754),
                ..b::Directory::default()
            },
            Source::At(*origin),
        );
        for unit in rebase.units() {
            self.add_unit(
                b::Unit {
                    name: unit.name,
                    enabled: Some(true),
                    contents: Some(unit.contents),
                    ..b::Unit::default()
                },
                Source::At(*origin),
            );
        }
        for (name, origin) in &plan.after_rebase {
            self.add_unit(
                b::Unit {
                    name: name.clone(),
                    dropins: vec![b::Dropin {
                        name: super::os::AFTER_REBASE_DROPIN.to_owned(),
                        contents: Some(rebase.after_rebase_dropin()),
                        ..b::Dropin::default()
                    }],
                    ..b::Unit::default()
                },
                Source::At(*origin),
            );
        }
    }
}

/// Appends a fragment's list entries at `list` (the same path in the
/// fragment and in the assembled config), recording where each came from.
fn append<T>(
    target: &mut Vec<T>,
    items: Vec<T>,
    list: &DocPath,
    node: &Node,
    provenance: &mut Provenance,
) {
    for (i, entry) in items.into_iter().enumerate() {
        let found = node.lookup(&list.index(i)).map(|(n, _)| n.clone());
        provenance.record(
            list.index(target.len()),
            Source::Node(found.unwrap_or_else(|| node.clone())),
        );
        target.push(entry);
    }
}

fn owner(ids: Option<(u32, u32)>) -> (b::NodeUser, b::NodeGroup) {
    match ids {
        Some((uid, gid)) => (
            b::NodeUser {
                id: Some(i64::from(uid)),
                name: None,
            },
            b::NodeGroup {
                id: Some(i64::from(gid)),
                name: None,
            },
        ),
        None => (b::NodeUser::default(), b::NodeGroup::default()),
    }
}

fn merge_user(existing: &mut b::PasswdUser, later: b::PasswdUser) {
    macro_rules! take {
        ($($field:ident),+) => { $( if later.$field.is_some() { existing.$field = later.$field; } )+ };
    }
    take!(
        gecos,
        home_dir,
        no_create_home,
        no_log_init,
        no_user_group,
        password_hash,
        primary_group,
        should_exist,
        shell,
        system,
        uid
    );
    for key in later.ssh_authorized_keys {
        if !existing.ssh_authorized_keys.contains(&key) {
            existing.ssh_authorized_keys.push(key);
        }
    }
    for group in later.groups {
        if !existing.groups.contains(&group) {
            existing.groups.push(group);
        }
    }
    existing
        .ssh_authorized_keys_local
        .extend(later.ssh_authorized_keys_local);
}

/// Most bytes of snippet text a [`SnippetMemo`] holds, counted
/// [`SNIPPET_WEIGHT`] times for its parsed node and decoded config.
const SNIPPET_BUDGET: usize = 64 << 20;
/// The bytes a kept snippet counts per byte of its text: its node tree and
/// decoded config take a multiple of the text.
const SNIPPET_WEIGHT: usize = 16;
/// Longest snippet text kept: a larger one is read and parsed per host.
const SNIPPET_TEXT_MAX: usize = 1 << 20;

/// Snippets a compile worker has read, parsed and decoded. Every host of a
/// fleet includes the fleet's snippets: reading, parsing and decoding the
/// same text for each cost more than the rest of assembling it (`cargo
/// bench --bench fleet`). A parse is kept per file id its nodes carry (the
/// snippet's place among the host's snippets) and a decode per Butane
/// version, so what a host gets is what a fresh read gives it; a snippet
/// that cannot be read is read again (and reported) on every host. Starts
/// over when it holds `SNIPPET_BUDGET` counted bytes.
pub struct SnippetMemo {
    /// Path relative to the fleet root → each (file id, version) it was
    /// parsed and decoded for.
    kept: BoundedMemo<String, KeptSnippet>,
}

impl Default for SnippetMemo {
    fn default() -> Self {
        SnippetMemo {
            kept: BoundedMemo::new(SNIPPET_BUDGET),
        }
    }
}

struct KeptSnippet {
    id: FileId,
    version: Version,
    text: String,
    /// What parsing and decoding it found.
    findings: Vec<Diagnostic>,
    decoded: Option<(b::Config, Node)>,
}

/// Reads and decodes a Butane snippet (`relative` to the fleet root) for
/// `plan`'s Butane version, or takes it from `memo`.
fn snippet(
    inventory: &Inventory,
    relative: &str,
    plan: &ManifestPlan,
    origin: Origin,
    memo: &mut SnippetMemo,
    diagnostics: &mut Vec<Diagnostic>,
    sources: &mut Vec<(String, String)>,
) -> Option<(b::Config, Node)> {
    // Snippet nodes get a file id past the loaded files; `sources` names them.
    let id = FileId(u32::MAX - u32::try_from(sources.len()).unwrap_or(0));
    let version = plan.version;
    if let Some(kept) = memo
        .kept
        .find(relative, |kept| kept.id == id && kept.version == version)
    {
        diagnostics.extend(kept.findings.iter().cloned());
        sources.push((relative.to_owned(), kept.text.clone()));
        return kept.decoded.clone();
    }
    // The text is the same for every id and version it was kept for.
    let text = match memo.kept.find(relative, |_| true) {
        Some(kept) => kept.text.clone(),
        None => read_snippet(inventory, relative, origin, diagnostics)?,
    };
    sources.push((relative.to_owned(), text.clone()));
    let mut findings = Vec::new();
    let decoded = parse_snippet(&text, relative, id, plan, &mut findings);
    diagnostics.extend(findings.iter().cloned());
    if text.len() <= SNIPPET_TEXT_MAX {
        let size = text.len().saturating_mul(SNIPPET_WEIGHT);
        let kept = KeptSnippet {
            id,
            version,
            text,
            findings,
            decoded: decoded.clone(),
        };
        memo.kept.insert(relative.to_owned(), kept, size);
    }
    decoded
}

/// The text of the snippet at `relative`; a refusal is reported at the
/// `include:` entry (`origin`) that names it.
fn read_snippet(
    inventory: &Inventory,
    relative: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    match inventory.dir.read_text(relative, SOURCE_LIMIT) {
        Ok(text) => Some(text),
        Err(error) => {
            // The refusal names the path; it never quotes the file.
            let (code, message, help) = match &error {
                ConfineError::Io { source, .. } => (
                    Code::FleetUnreadableSnippet,
                    format!("cannot read snippet {relative}: {source}"),
                    "include paths are relative to the fleet root",
                ),
                other => (
                    other.code(),
                    format!("cannot use snippet: {other}"),
                    other.help(),
                ),
            };
            diagnostics.push(
                Diagnostic::error(code, message)
                    .in_file(inventory.sources.name(origin.file))
                    .at_position(origin.position)
                    .with_help(help),
            );
            None
        }
    }
}

/// Parses a snippet's `text` with its nodes tagged `id` and decodes it for
/// `plan`'s Butane version; findings name the snippet (`relative`).
fn parse_snippet(
    text: &str,
    relative: &str,
    id: FileId,
    plan: &ManifestPlan,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(b::Config, Node)> {
    let node = match yaml::parse_file(text, id) {
        Ok(Some(node)) => node,
        Ok(None) => return None,
        Err(error) => {
            let help = yaml::explain::explain(text, &error);
            let mut diagnostic = Diagnostic::error(Code::YamlSyntax, error.message)
                .in_file(relative)
                .at_position(error.position);
            if let Some(help) = help {
                diagnostic = diagnostic.with_help(help);
            }
            diagnostics.push(diagnostic);
            return None;
        }
    };
    decode_fragment(
        &node,
        plan,
        |_| relative.to_owned(),
        &DocPath::root(),
        diagnostics,
    )
    .map(|config| (config, node))
}

/// Decodes a Butane fragment found at `at` in its file (a snippet's root,
/// a host's `butane:`); findings name their path in that file.
fn decode_fragment(
    node: &Node,
    plan: &ManifestPlan,
    names: impl Fn(FileId) -> String,
    at: &DocPath,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<b::Config> {
    let decoder = Decoder::new(&plan.version).with_file_names(&names);
    let decoded: Result<b::Config, _> = decoder.decode(node);
    let in_file = |mut diagnostic: Diagnostic| {
        diagnostic.path = diagnostic.path.map(|path| at.join(&path));
        diagnostic
    };
    diagnostics.extend(decoder.into_warnings().into_iter().map(in_file));
    match decoded {
        Ok(config) => Some(config),
        Err(error) => {
            let file = names(error.file);
            diagnostics.push(in_file(error.into_diagnostic().in_file(file)));
            None
        }
    }
}

/// Snippet texts read while assembling, by the file ids their nodes carry.
pub struct ExtraSources(pub Vec<(String, String)>);

impl ExtraSources {
    /// Name of a snippet file id handed out by [`assemble`].
    pub fn name(&self, id: FileId) -> Option<&str> {
        let index = usize::try_from(u32::MAX - id.0).ok()?;
        self.0.get(index).map(|(name, _)| name.as_str())
    }

    /// The name of a snippet or, for any other id, of a loaded file.
    pub fn file_name(&self, id: FileId, sources: &SourceMap) -> String {
        self.name(id)
            .map_or_else(|| sources.name(id), str::to_owned)
    }

    /// Text of a snippet file id handed out by [`assemble`].
    pub fn text(&self, id: FileId) -> Option<&str> {
        let index = usize::try_from(u32::MAX - id.0).ok()?;
        self.0.get(index).map(|(_, text)| text.as_str())
    }
}

/// Assembles one manifest host.
pub fn assemble(
    inventory: &Inventory,
    plan: &ManifestPlan,
    rendered: &Rendered,
    memo: &mut SnippetMemo,
) -> (Assembled, ExtraSources) {
    let mut assembler = Assembler {
        sources: &inventory.sources,
        snippets: ExtraSources(Vec::new()),
        config: b::Config {
            variant: plan.version.variant.as_str().to_owned(),
            version: plan.version.version_string(),
            ..b::Config::default()
        },
        node_paths: HashSet::new(),
        provenance: Provenance::default(),
        secrets: Secrets::default(),
        diagnostics: Vec::new(),
        fragments: Vec::new(),
    };
    for (user, origin) in &plan.users {
        assembler.add_user(user.clone(), Source::At(*origin));
    }
    for (group, origin) in &rendered.groups {
        assembler.add_group(group.clone(), Source::At(*origin));
    }
    for (user, origin) in &rendered.users {
        assembler.add_user(user.clone(), Source::At(*origin));
    }
    for directory in &rendered.directories {
        assembler.node_directory(directory);
    }
    for file in &rendered.files {
        assembler.node_file(file);
    }
    for (directory, origin) in &plan.directories {
        assembler.node_directory(&NodeDirectory {
            path: directory.path.clone(),
            mode: directory.mode.unwrap_or(0o755),
            user: directory.user.clone(),
            group: directory.group.clone(),
            owner: None,
            origin: *origin,
        });
    }
    if let Some(origin) = auto_update_origin(inventory, plan) {
        assembler.add_unit(
            b::Unit {
                name: AUTO_UPDATE_TIMER.to_owned(),
                enabled: Some(true),
                ..b::Unit::default()
            },
            Source::At(origin),
        );
    }
    for (relative, origin) in &plan.includes {
        if let Some((fragment, node)) = snippet(
            inventory,
            relative,
            plan,
            *origin,
            memo,
            &mut assembler.diagnostics,
            &mut assembler.snippets.0,
        ) {
            assembler.fragment(fragment, &node);
        }
    }
    // Just before the host's fragment, where hosts used to write it by
    // hand; a fragment that still does replaces it with a warning.
    if let Some(origin) = plan.hostname_origin {
        assembler.add_file(
            b::File {
                path: "/etc/hostname".to_owned(),
                mode: Some(0o644),
                contents: b::Resource {
                    inline: Some(plan.hostname.clone().into_bytes()),
                    ..b::Resource::default()
                },
                ..b::File::default()
            },
            Source::At(origin),
        );
    }
    if let Some(node) = &plan.fragment {
        let names = |id: FileId| inventory.sources.name(id);
        let at = DocPath::root().key("butane");
        if let Some(fragment) = decode_fragment(node, plan, names, &at, &mut assembler.diagnostics)
        {
            assembler.fragment(fragment, node);
        }
    }
    assembler.rebase(plan);
    (
        Assembled {
            config: assembler.config,
            provenance: assembler.provenance,
            secrets: assembler.secrets,
            diagnostics: assembler.diagnostics,
            fragments: assembler.fragments,
        },
        assembler.snippets,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_finds_the_deepest_node() {
        let node = yaml::parse_file(
            "storage:\n  files:\n    - path: /a\n      mode: 0644\n",
            FileId(3),
        )
        .expect("yaml")
        .expect("doc");
        let item = node
            .lookup(&DocPath::parse("$.storage.files.0"))
            .expect("item")
            .0
            .clone();
        let mut provenance = Provenance::default();
        provenance.record(DocPath::parse("$.storage.files.5"), Source::Node(item));
        let (file, position) = provenance
            .locate(&DocPath::parse("$.storage.files.5.mode"))
            .expect("located");
        assert_eq!(file, FileId(3));
        assert_eq!(position, Position::new(4, 13));
    }

    /// Everything a host's assembly gives, as text to compare.
    fn summary(assembled: &Assembled, extra: &ExtraSources) -> String {
        let mut provenance: Vec<String> = assembled
            .provenance
            .entries
            .iter()
            .map(|(path, source)| format!("{path:?} {source:?}"))
            .collect();
        provenance.sort();
        format!(
            "{:?}\n{:?}\n{:?}\n{provenance:?}\n{:?}",
            assembled.config, assembled.diagnostics, assembled.fragments, extra.0
        )
    }

    /// Hosts of one worker that include the same snippets at other places
    /// (b), under another Butane version (c), or exactly as an earlier host
    /// (d), one of them unparsable, get from the memo what a fresh read,
    /// parse and decode gives each.
    #[test]
    fn a_kept_snippet_is_what_a_fresh_read_gives_every_host() {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = [
            ("fleet.yaml", "org: acme\ninclude: [snippets/args.bu]\n"),
            (
                "snippets/args.bu",
                "variant: fcos\nversion: 1.4.0\nkernel_arguments:\n  should_exist: [quiet]\n",
            ),
            (
                "snippets/other.bu",
                "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/other\n      contents: { inline: other }\n",
            ),
            (
                "snippets/broken.bu",
                "storage:\n  files:\n    - path: /etc/x\n      contents: [\n",
            ),
            (
                "hosts/a.yaml",
                "services: []\ninclude: [snippets/broken.bu, snippets/other.bu]\n",
            ),
            (
                "hosts/b.yaml",
                "services: []\ninclude: [snippets/other.bu, snippets/broken.bu]\n",
            ),
            (
                "hosts/c.yaml",
                "services: []\nignition_version: 3.2.0\ninclude: [snippets/broken.bu, snippets/other.bu]\n",
            ),
            (
                "hosts/d.yaml",
                "services: []\ninclude: [snippets/broken.bu, snippets/other.bu]\n",
            ),
        ];
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let (inventory, findings) =
            super::super::load::load(dir.path(), crate::confine::Exclusions::none());
        assert_eq!(findings.into_vec(), Vec::new());
        let mut resolver = super::super::resolve::Resolver::new(&inventory);
        let mut memo = SnippetMemo::default();
        for name in ["a", "b", "c", "d", "a", "b", "c"] {
            let source = inventory.hosts.get(name).expect("host");
            let (plan, failed) = resolver.plan_checked(name, source);
            assert!(!failed, "{:?}", resolver.diagnostics);
            let Some(super::super::resolve::HostPlan::Manifest(plan)) = plan else {
                panic!("host {name} has no manifest plan");
            };
            let rendered = Rendered::default();
            let (kept, kept_extra) = assemble(&inventory, &plan, &rendered, &mut memo);
            let (fresh, fresh_extra) =
                assemble(&inventory, &plan, &rendered, &mut SnippetMemo::default());
            assert_eq!(
                summary(&kept, &kept_extra),
                summary(&fresh, &fresh_extra),
                "host {name}"
            );
            let broken: Vec<String> = kept
                .diagnostics
                .iter()
                .filter(|d| d.file.as_deref() == Some("snippets/broken.bu"))
                .map(|d| format!("{:?} {:?}", d.code, d.position))
                .collect();
            assert_eq!(
                broken,
                [format!(
                    "{:?} {:?}",
                    Code::YamlSyntax,
                    Some(Position::new(5, 1))
                )],
                "host {name}"
            );
            // Only Butane 1.3 (Ignition 3.2) lacks `kernel_arguments`.
            let unused = kept
                .diagnostics
                .iter()
                .filter(|d| d.file.as_deref() == Some("snippets/args.bu"))
                .count();
            assert_eq!(unused, usize::from(name == "c"), "host {name}");
            assert_eq!(
                kept.config.kernel_arguments.should_exist.len(),
                usize::from(name != "c"),
                "host {name}"
            );
            let other = kept
                .config
                .storage
                .files
                .iter()
                .position(|f| f.path == "/etc/other")
                .expect("/etc/other");
            let (file, position) = kept
                .provenance
                .locate(&storage("files", other).key("contents"))
                .expect("located");
            assert_eq!(kept_extra.name(file), Some("snippets/other.bu"));
            assert_eq!(position, Position::new(6, 17), "host {name}");
        }
        // args.bu for two versions; other.bu and broken.bu at two places
        // and, at a's places, for two versions. Host d (as a) adds nothing.
        assert_eq!(memo.kept.len(), 8);
    }
}
