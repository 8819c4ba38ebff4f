//! The load stage for fleets: find and parse `fleet.yaml`, `hosts/`,
//! `containers/` and `templates/`, keeping every file's text for reports.
//!
//! Nothing is interpreted here beyond parsing: `fleet.yaml` and host
//! manifests are decoded into their types (unknown keys warn), service
//! definitions stay YAML nodes until a host's overrides are merged onto them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path as FsPath, PathBuf};

use super::manifest::{Fleet, Host};
use crate::diag::{Diagnostic, Diagnostics};
use crate::yaml::{self, FileId, Node, de::decode};

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
    pub sources: SourceMap,
    pub fleet: Fleet,
    pub fleet_file: Option<FileId>,
    pub hosts: BTreeMap<String, HostSource>,
    pub services: BTreeMap<String, ServiceSource>,
    /// Template overrides from `templates/`, by file name.
    pub templates: BTreeMap<String, FileId>,
}

struct Loader {
    root: PathBuf,
    sources: SourceMap,
    diagnostics: Diagnostics,
}

impl Loader {
    fn read(&mut self, relative: &str) -> Option<FileId> {
        let path = self.root.join(relative);
        match fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(self.sources.add(relative.to_owned(), text, true)),
                Err(_) => {
                    self.diagnostics
                        .push(Diagnostic::error("the file is not UTF-8 text").in_file(relative));
                    None
                }
            },
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("cannot read the file: {error}")).in_file(relative),
                );
                None
            }
        }
    }

    fn parse(&mut self, file: FileId) -> Option<Node> {
        let text = self
            .sources
            .get(file)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let name = self.sources.name(file);
        match yaml::parse_file(&text, file) {
            Ok(Some(node)) => Some(node),
            Ok(None) => {
                // An empty manifest is a valid one with every default.
                Some(Node {
                    value: yaml::Value::Mapping(Vec::new()),
                    position: crate::diag::Position::new(1, 1),
                    file,
                })
            }
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(error.message)
                        .at_position(error.position)
                        .in_file(name),
                );
                None
            }
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(&mut self, node: &Node, file: FileId) -> Option<T> {
        let name = self.sources.name(file);
        match decode::<T>(node) {
            Ok((value, warnings)) => {
                self.diagnostics
                    .extend(warnings.into_iter().map(|w| w.in_file(name.clone())));
                Some(value)
            }
            Err(error) => {
                self.diagnostics.push(error.into_diagnostic().in_file(name));
                None
            }
        }
    }

    /// File names directly inside `dir` (relative to the root), sorted.
    fn list(&mut self, dir: &str) -> Vec<String> {
        let path = self.root.join(dir);
        let Ok(entries) = fs::read_dir(&path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        names
    }
}

/// Loads the fleet at `root`. Findings are returned with the inventory;
/// the caller stops on errors.
pub fn load(root: &FsPath) -> (Inventory, Diagnostics) {
    let mut loader = Loader {
        root: root.to_path_buf(),
        sources: SourceMap::default(),
        diagnostics: Diagnostics::new(),
    };
    let mut fleet = Fleet::default();
    let mut fleet_file = None;
    if root.join("fleet.yaml").is_file() {
        if let Some(file) = loader.read("fleet.yaml") {
            fleet_file = Some(file);
            if let Some(node) = loader.parse(file) {
                fleet = loader.decode(&node, file).unwrap_or_default();
            }
        }
    } else {
        loader.diagnostics.push(
            Diagnostic::error(format!("no fleet.yaml in {}", root.display()))
                .with_help("run kindling in the fleet's root directory, or pass --fleet DIR"),
        );
    }

    let mut hosts = BTreeMap::new();
    for name in loader.list("hosts") {
        let relative = format!("hosts/{name}");
        if let Some(stem) = name
            .strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
        {
            let Some(file) = loader.read(&relative) else {
                continue;
            };
            let Some(node) = loader.parse(file) else {
                continue;
            };
            let Some(host) = loader.decode::<Host>(&node, file) else {
                continue;
            };
            insert_host(
                &mut hosts,
                &mut loader.diagnostics,
                stem,
                HostSource::Manifest {
                    file,
                    node,
                    host: Box::new(host),
                },
                &relative,
            );
        } else if let Some(stem) = name.strip_suffix(".bu") {
            let Some(file) = loader.read(&relative) else {
                continue;
            };
            insert_host(
                &mut hosts,
                &mut loader.diagnostics,
                stem,
                HostSource::Butane { file },
                &relative,
            );
        }
    }

    let mut services: BTreeMap<String, ServiceSource> = BTreeMap::new();
    for name in loader.list("containers") {
        let relative = format!("containers/{name}");
        if let Some(stem) = name
            .strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
        {
            let Some(file) = loader.read(&relative) else {
                continue;
            };
            let Some(node) = loader.parse(file) else {
                continue;
            };
            if services.contains_key(stem) {
                loader.diagnostics.push(
                    Diagnostic::error(format!(
                        "service {stem} is defined twice (a definition and Quadlet files)"
                    ))
                    .in_file(relative),
                );
                continue;
            }
            services.insert(stem.to_owned(), ServiceSource::Definition { file, node });
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
        let Some(file) = loader.read(&relative) else {
            continue;
        };
        let dropins = load_dropins(&mut loader, &unit_name);
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
                ServiceSource::Definition { .. } => loader.diagnostics.push(
                    Diagnostic::error(format!(
                        "service {stem} is defined twice (a definition and Quadlet files)"
                    ))
                    .in_file(relative),
                ),
            },
        }
    }

    let mut templates = BTreeMap::new();
    for name in loader.list("templates") {
        if name.ends_with(".j2") {
            if let Some(file) = loader.read(&format!("templates/{name}")) {
                templates.insert(name, file);
            }
        }
    }
    let inventory = Inventory {
        root: root.to_path_buf(),
        sources: loader.sources,
        fleet,
        fleet_file,
        hosts,
        services,
        templates,
    };
    (inventory, loader.diagnostics)
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
            Diagnostic::error(format!(
                "host {stem} is defined twice (hosts/{stem}.yaml and hosts/{stem}.bu)"
            ))
            .in_file(relative)
            .with_help("keep one of the two files"),
        );
    } else {
        hosts.insert(stem.to_owned(), source);
    }
}

fn load_dropins(loader: &mut Loader, unit_name: &str) -> Vec<(String, FileId)> {
    let dir = format!("containers/{unit_name}.d");
    let mut dropins = Vec::new();
    for name in loader.list(&dir) {
        if name.ends_with(".conf") {
            if let Some(file) = loader.read(&format!("{dir}/{name}")) {
                dropins.push((name, file));
            }
        }
    }
    dropins
}

impl Inventory {
    /// Reads a file the build needs later (a snippet, a secret), recording it.
    pub fn read_extra(&mut self, relative: &str) -> Result<FileId, String> {
        let path = self.root.join(relative);
        let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {relative}: {e}"))?;
        Ok(self.sources.add(relative.to_owned(), text, true))
    }
}
