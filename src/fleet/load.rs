//! The load stage for fleets: find and parse `fleet.yaml`, `hosts/`,
//! `containers/` and `templates/`, keeping every file's text for reports.
//!
//! Nothing is interpreted here beyond parsing: `fleet.yaml` and host
//! manifests are decoded into their types (unknown keys are errors, see
//! [`super::strict`]), service definitions stay YAML nodes until a host's
//! overrides are merged onto them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::manifest::{Fleet, Host};
use super::ports::{LOCK_FILE, Lock};
use super::recipients::Recipient;
use crate::confine::{ConfineError, EntryKind, Exclusions, FleetRoot, SOURCE_LIMIT};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::yaml::{self, FileId, Node};

/// Every file a build read, by id.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the fleet root (or a label for rendered text).
    pub name: String,
    pub text: String,
    /// Whether this is a real file (part of the build's inputs).
    pub on_disk: bool,
}

impl SourceMap {
    pub fn add(&mut self, name: String, text: String, on_disk: bool) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name,
            text,
            on_disk,
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(usize::try_from(id.0).ok()?)
    }

    pub fn name(&self, id: FileId) -> String {
        self.get(id)
            .map_or_else(|| "<unknown>".to_owned(), |f| f.name.clone())
    }

    /// The text of the file named `name`, for annotated reports.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.as_str())
    }
}

/// The Quadlet unit types a literal file in `containers/` may have.
pub const QUADLET_KINDS: [&str; 8] = [
    "container",
    "volume",
    "network",
    "pod",
    "kube",
    "image",
    "build",
    "artifact",
];

/// A literal Quadlet file (or a `.j2` one to render first).
#[derive(Clone, Debug)]
pub struct QuadletSource {
    /// File name on the node, e.g. `rustfs.container`.
    pub name: String,
    pub file: FileId,
    pub templated: bool,
    /// Drop-ins from `containers/<name>.d/*.conf`: (file name, file).
    pub dropins: Vec<(String, FileId)>,
}

/// What a service name in a host manifest refers to.
#[derive(Clone, Debug)]
pub enum ServiceSource {
    /// `containers/<svc>.yaml`, rendered through a template.
    Definition { file: FileId, node: Node },
    /// Literal Quadlet files sharing the stem `<svc>`.
    Quadlets(Vec<QuadletSource>),
    /// A definition that does not parse: the error fails the hosts that
    /// list the service (reported once), not the whole fleet.
    Broken {
        file: FileId,
        error: Box<Diagnostic>,
    },
}

#[derive(Clone, Debug)]
pub enum HostSource {
    Manifest {
        file: FileId,
        node: Node,
        host: Box<Host>,
    },
    Butane {
        file: FileId,
    },
}

/// Everything found in a fleet directory.
#[derive(Clone, Debug)]
pub struct Inventory {
    pub root: PathBuf,
    /// The root opened once: every input is read through it.
    pub dir: FleetRoot,
    pub sources: SourceMap,
    pub fleet: Fleet,
    pub fleet_file: Option<FileId>,
    pub hosts: BTreeMap<String, HostSource>,
    pub services: BTreeMap<String, ServiceSource>,
    /// Template overrides from `templates/`, by file name.
    pub templates: BTreeMap<String, FileId>,
    /// `ports.lock`, if the fleet has one (a malformed one is reported and
    /// read as empty).
    pub port_lock: Option<Lock>,
}

impl Inventory {
    /// The text of every file read, by name, for annotated reports.
    pub fn texts(&self) -> BTreeMap<String, String> {
        let mut texts = BTreeMap::new();
        let mut id = 0u32;
        while let Some(file) = self.sources.get(FileId(id)) {
            texts.insert(file.name.clone(), file.text.clone());
            id += 1;
        }
        texts
    }
}

struct Loader {
    dir: FleetRoot,
    sources: SourceMap,
    diagnostics: Diagnostics,
}

/// A refused or unreadable input, said without quoting it.
fn refusal(error: &ConfineError, relative: &str) -> Diagnostic {
    let (code, message) = match error {
        ConfineError::NotUtf8 { .. } => (
            Code::FleetUnreadableFile,
            "the file is not UTF-8 text".to_owned(),
        ),
        ConfineError::Io { source, .. } => (
            Code::FleetUnreadableFile,
            format!("cannot read the file: {source}"),
        ),
        other => (other.code(), other.to_string()),
    };
    Diagnostic::error(code, message)
        .in_file(relative)
        .with_help(error.help())
}

impl Loader {
    fn read(&mut self, relative: &str) -> Option<FileId> {
        match self.dir.read_text(relative, SOURCE_LIMIT) {
            Ok(text) => Some(self.sources.add(relative.to_owned(), text, true)),
            Err(error) => {
                self.diagnostics.push(refusal(&error, relative));
                None
            }
        }
    }

    fn parse(&mut self, file: FileId) -> Option<Node> {
        let text = self.sources.get(file).map_or("", |f| f.text.as_str());
        let parsed = parse_text(text, file, &self.sources.name(file));
        parsed.map_err(|error| self.diagnostics.push(*error)).ok()
    }

    fn decode<T: serde::de::DeserializeOwned>(&mut self, node: &Node, file: FileId) -> Option<T> {
        let (value, findings) = decode_node(node, &self.sources.name(file));
        self.diagnostics.extend(findings);
        value
    }

    /// Names directly inside `dir` (relative to the root) that may be
    /// inputs, sorted: everything but directories and hidden names. A
    /// symlink or a FIFO is listed so that reading it says what it is. A
    /// missing directory lists nothing; one that may not be read is an error.
    fn list(&mut self, dir: &str) -> Vec<String> {
        match self.dir.list(dir) {
            Ok(entries) => entries
                .into_iter()
                .filter(|entry| entry.kind != EntryKind::Directory && !entry.name.starts_with('.'))
                .map(|entry| entry.name)
                .collect(),
            Err(error) if error.is_not_found() => Vec::new(),
            Err(error) => {
                self.diagnostics.push(refusal(&error, dir));
                Vec::new()
            }
        }
    }
}

/// Parses one fleet file (an empty one is an empty mapping).
fn parse_text(text: &str, file: FileId, name: &str) -> Result<Node, Box<Diagnostic>> {
    match yaml::parse_file(text, file) {
        Ok(Some(node)) => Ok(node),
        // An empty manifest is a valid one with every default.
        Ok(None) => Ok(Node {
            value: yaml::Value::Mapping(Vec::new()),
            position: crate::diag::Position::new(1, 1),
            file,
        }),
        Err(error) => {
            let help = yaml::explain::explain(text, &error);
            let mut diagnostic = Diagnostic::error(Code::YamlSyntax, error.message)
                .at_position(error.position)
                .in_file(name);
            if let Some(help) = help {
                diagnostic = diagnostic.with_help(help);
            }
            Err(Box::new(diagnostic))
        }
    }
}

/// Each of `fleet.yaml`'s `recipients:` is one age can encrypt to: a typo
/// found by `check`, not by the next `kindling secret encrypt`.
fn check_recipients(node: &Node, fleet: &Fleet, diagnostics: &mut Diagnostics) {
    let items = match node.get("recipients").map(|n| &n.value) {
        Some(yaml::Value::Sequence(items)) => items.as_slice(),
        _ => &[],
    };
    for (index, text) in fleet.recipients.iter().enumerate() {
        if let Err(error) = Recipient::parse(text) {
            let position = items.get(index).map_or(node.position, |item| item.position);
            diagnostics.push(
                Diagnostic::error(
                    Code::FleetRecipientInvalid,
                    format!("recipients[{index}] is {error}"),
                )
                .in_file("fleet.yaml")
                .at_position(position)
                .with_help(error.help()),
            );
        }
    }
}

/// Decodes a parsed file: the value, if it decodes, and the findings.
fn decode_node<T: serde::de::DeserializeOwned>(
    node: &Node,
    name: &str,
) -> (Option<T>, Vec<Diagnostic>) {
    let decoder = super::strict::decoder();
    let decoded = decoder.decode::<T>(node);
    let mut findings: Vec<Diagnostic> = decoder
        .into_warnings()
        .into_iter()
        .map(|w| w.in_file(name))
        .collect();
    match decoded {
        Ok(value) => (Some(value), findings),
        Err(error) => {
            findings.push(error.into_diagnostic().in_file(name));
            (None, findings)
        }
    }
}

/// A host manifest parsed and decoded, with what that found.
type LoadedManifest = (Option<(Node, Host)>, Vec<Diagnostic>);

/// Parses and decodes host manifests (text, file id, name), in order. A
/// fleet of a thousand hosts spends most of its loading here, so the work
/// is spread over rayon's threads, in runs of at least [`MANIFESTS_PER_TASK`]
/// (a small fleet stays on one); the result does not depend on how.
fn load_manifests(files: &[(&str, FileId, &str)]) -> Vec<LoadedManifest> {
    files
        .par_iter()
        .with_min_len(MANIFESTS_PER_TASK)
        .map(|&(text, file, name)| {
            let node = match parse_text(text, file, name) {
                Ok(node) => node,
                Err(error) => return (None, vec![*error]),
            };
            let (host, findings) = decode_node::<Host>(&node, name);
            (host.map(|host| (node, host)), findings)
        })
        .collect()
}

/// Fewest manifests one task of [`load_manifests`] parses: parsing one
/// takes tens of microseconds, about what handing a task to another
/// thread costs.
const MANIFESTS_PER_TASK: usize = 32;

/// Loads the fleet at `root`. Findings are returned with the inventory;
/// the caller stops on errors.
/// `exclusions` name what is never an input (the output directory, the
/// age identity).
pub fn load(root: &Path, exclusions: Exclusions) -> (Inventory, Diagnostics) {
    let mut loader = Loader::open(root, exclusions);
    let (fleet, fleet_file) = loader.fleet(root);
    let hosts = loader.hosts();
    let services = loader.services();
    let templates = loader.templates();
    let port_lock = loader.port_lock();
    let inventory = Inventory {
        root: root.to_path_buf(),
        dir: loader.dir,
        sources: loader.sources,
        fleet,
        fleet_file,
        hosts,
        services,
        templates,
        port_lock,
    };
    (inventory, loader.diagnostics)
}

/// A host file found in `hosts/`, read but not parsed yet.
struct ListedHost {
    stem: String,
    relative: String,
    file: FileId,
    /// A manifest (`.yaml`/`.yml`), else a plain Butane file (`.bu`).
    manifest: bool,
}

impl Loader {
    /// A loader of the fleet at `root`. A root that cannot be opened is
    /// reported (a missing one later, as a missing fleet.yaml) and read as
    /// empty.
    fn open(root: &Path, exclusions: Exclusions) -> Self {
        let mut diagnostics = Diagnostics::new();
        let dir = match FleetRoot::open(root, exclusions) {
            Ok(dir) => dir,
            Err(error) => {
                if error.kind() != std::io::ErrorKind::NotFound {
                    diagnostics.push(Diagnostic::error(
                        Code::FleetRootUnreadable,
                        format!("cannot open the fleet root {}: {error}", root.display()),
                    ));
                }
                FleetRoot::unopened(root)
            }
        };
        Loader {
            dir,
            sources: SourceMap::default(),
            diagnostics,
        }
    }

    /// `fleet.yaml` decoded (the defaults when it is missing or broken),
    /// and its file.
    fn fleet(&mut self, root: &Path) -> (Fleet, Option<FileId>) {
        match self.dir.read_text("fleet.yaml", SOURCE_LIMIT) {
            Ok(text) => {
                let file = self.sources.add("fleet.yaml".to_owned(), text, true);
                let mut fleet = Fleet::default();
                if let Some(node) = self.parse(file) {
                    fleet = self.decode(&node, file).unwrap_or_default();
                    check_recipients(&node, &fleet, &mut self.diagnostics);
                }
                return (fleet, Some(file));
            }
            Err(error) if error.is_not_found() => self.diagnostics.push(
                Diagnostic::error(
                    Code::FleetMissingFleetYaml,
                    format!("no fleet.yaml in {}", root.display()),
                )
                .with_help("run kindling in the fleet's root directory, or pass --fleet DIR"),
            ),
            Err(error) => self.diagnostics.push(refusal(&error, "fleet.yaml")),
        }
        (Fleet::default(), None)
    }

    /// The hosts in `hosts/`. Host files are read in order (file ids follow
    /// the listing), then the manifests are parsed and decoded together,
    /// then entered in order.
    fn hosts(&mut self) -> BTreeMap<String, HostSource> {
        let mut listed = Vec::new();
        for name in self.list("hosts") {
            let relative = format!("hosts/{name}");
            let (stem, manifest) = if let Some(stem) = name
                .strip_suffix(".yaml")
                .or_else(|| name.strip_suffix(".yml"))
            {
                (stem, true)
            } else if let Some(stem) = name.strip_suffix(".bu") {
                (stem, false)
            } else {
                continue;
            };
            if let Some(file) = self.read(&relative) {
                listed.push(ListedHost {
                    stem: stem.to_owned(),
                    relative,
                    file,
                    manifest,
                });
            }
        }
        let manifest_files: Vec<(&str, FileId, &str)> = listed
            .iter()
            .filter(|host| host.manifest)
            .map(|host| {
                let text = self.sources.get(host.file).map_or("", |f| f.text.as_str());
                (text, host.file, host.relative.as_str())
            })
            .collect();
        let mut manifests = load_manifests(&manifest_files).into_iter();
        let mut hosts = BTreeMap::new();
        for ListedHost {
            stem,
            relative,
            file,
            manifest,
        } in listed
        {
            let source = if manifest {
                let Some((loaded, findings)) = manifests.next() else {
                    continue;
                };
                self.diagnostics.extend(findings);
                let Some((node, host)) = loaded else {
                    continue;
                };
                HostSource::Manifest {
                    file,
                    node,
                    host: Box::new(host),
                }
            } else {
                HostSource::Butane { file }
            };
            insert_host(&mut hosts, &mut self.diagnostics, &stem, source, &relative);
        }
        hosts
    }

    /// The services in `containers/`: definitions (`.yaml`/`.yml`) and
    /// literal or templated Quadlet files with their drop-ins. A service
    /// defined both ways is an error.
    fn services(&mut self) -> BTreeMap<String, ServiceSource> {
        let mut services: BTreeMap<String, ServiceSource> = BTreeMap::new();
        for name in self.list("containers") {
            let relative = format!("containers/{name}");
            if let Some(stem) = name
                .strip_suffix(".yaml")
                .or_else(|| name.strip_suffix(".yml"))
            {
                let Some(file) = self.read(&relative) else {
                    continue;
                };
                if services.contains_key(stem) {
                    self.diagnostics.push(defined_twice(stem, relative));
                    continue;
                }
                let text = self.sources.get(file).map_or("", |f| f.text.as_str());
                let source = match parse_text(text, file, &relative) {
                    Ok(node) => ServiceSource::Definition { file, node },
                    Err(error) => ServiceSource::Broken { file, error },
                };
                services.insert(stem.to_owned(), source);
                continue;
            }
            let (unit_name, templated) = match name.strip_suffix(".j2") {
                Some(unit) => (unit.to_owned(), true),
                None => (name.clone(), false),
            };
            let Some((stem, kind)) = unit_name.rsplit_once('.') else {
                continue;
            };
            if !QUADLET_KINDS.contains(&kind) {
                continue;
            }
            let Some(file) = self.read(&relative) else {
                continue;
            };
            let dropins = self.dropins(&unit_name);
            let source = QuadletSource {
                name: unit_name.clone(),
                file,
                templated,
                dropins,
            };
            match services.entry(stem.to_owned()) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(ServiceSource::Quadlets(vec![source]));
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => match slot.get_mut() {
                    ServiceSource::Quadlets(files) => files.push(source),
                    ServiceSource::Definition { .. } | ServiceSource::Broken { .. } => {
                        self.diagnostics.push(defined_twice(stem, relative));
                    }
                },
            }
        }
        services
    }

    /// `ports.lock`, when there is one.
    fn port_lock(&mut self) -> Option<Lock> {
        match self.dir.read_text(LOCK_FILE, SOURCE_LIMIT) {
            Ok(text) => {
                let file = self.sources.add(LOCK_FILE.to_owned(), text, true);
                let text = self.sources.get(file).map_or("", |f| f.text.as_str());
                match Lock::parse(text, file) {
                    Ok(lock) => Some(lock),
                    Err(error) => {
                        self.diagnostics.push(*error);
                        Some(Lock::default())
                    }
                }
            }
            Err(error) if error.is_not_found() => None,
            Err(error) => {
                self.diagnostics.push(refusal(&error, LOCK_FILE));
                None
            }
        }
    }

    /// The `.j2` templates in `templates/`, by name.
    fn templates(&mut self) -> BTreeMap<String, FileId> {
        let mut templates = BTreeMap::new();
        for name in self.list("templates") {
            if name.ends_with(".j2")
                && let Some(file) = self.read(&format!("templates/{name}"))
            {
                templates.insert(name, file);
            }
        }
        templates
    }

    /// The `.conf` drop-ins of Quadlet file `unit_name`, in
    /// `containers/<unit_name>.d/`.
    fn dropins(&mut self, unit_name: &str) -> Vec<(String, FileId)> {
        let dir = format!("containers/{unit_name}.d");
        let mut dropins = Vec::new();
        for name in self.list(&dir) {
            if name.ends_with(".conf")
                && let Some(file) = self.read(&format!("{dir}/{name}"))
            {
                dropins.push((name, file));
            }
        }
        dropins
    }
}

/// Service `stem` has a definition and Quadlet files (`relative` is the
/// second one found).
fn defined_twice(stem: &str, relative: String) -> Diagnostic {
    Diagnostic::error(
        Code::FleetDuplicateService,
        format!("service {stem} is defined twice (a definition and Quadlet files)"),
    )
    .in_file(relative)
}

fn insert_host(
    hosts: &mut BTreeMap<String, HostSource>,
    diagnostics: &mut Diagnostics,
    stem: &str,
    source: HostSource,
    relative: &str,
) {
    if hosts.contains_key(stem) {
        diagnostics.push(
            Diagnostic::error(
                Code::FleetDuplicateHost,
                format!("host {stem} is defined twice (hosts/{stem}.yaml and hosts/{stem}.bu)"),
            )
            .in_file(relative)
            .with_help("keep one of the two files"),
        );
    } else {
        hosts.insert(stem.to_owned(), source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loading manifests on several threads gives what one thread gives,
    /// in the same order, findings included.
    #[test]
    fn manifests_load_alike_on_any_number_of_threads() {
        let texts: Vec<String> = (0..100)
            .map(|i| match i % 10 {
                3 => format!("services: [a, b\n# {i}\n"),
                7 => format!("hostname: h{i}\nsevrices: [web]\n"),
                _ => format!("hostname: h{i}\nservices: [web]\n"),
            })
            .collect();
        let names: Vec<String> = (0..100).map(|i| format!("hosts/h{i}.yaml")).collect();
        let files: Vec<(&str, FileId, &str)> = texts
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (text, name))| {
                let id = FileId(u32::try_from(i).expect("small"));
                (text.as_str(), id, name.as_str())
            })
            .collect();
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| load_manifests(&files))
        };
        let one = on(1);
        assert_eq!(one.iter().filter(|(host, _)| host.is_none()).count(), 10);
        assert!(one.iter().any(|(_, findings)| !findings.is_empty()));
        for threads in [2, 3, 8] {
            assert_eq!(on(threads), one, "{threads} threads");
        }
    }
}
