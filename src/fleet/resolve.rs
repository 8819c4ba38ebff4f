//! The resolve stage, per host: fleet defaults + service definition + host
//! overrides → the host's effective plan ([`HostPlan`]), with the findings
//! about that host's manifest. What only shows across hosts (unknown host
//! names, uid clashes, findings many hosts repeat) is `fleetwide`.
//!
//! Defaults (convention over configuration; README "Defaults"):
//! - `org`: `kindling`; `variant`: `fcos`; `ignition_version`: `3.4.0`.
//! - paths: `quadlet_dir` `/etc/containers/systemd`, `env_file`
//!   `/etc/{{ org }}/env/{{ service }}.env`, `secrets_dir`
//!   `/etc/{{ org }}/secrets/{{ service }}`, `data_dir`
//!   `/var/lib/{{ org }}/{{ service }}`, `trust_dir` `/etc/{{ org }}/trust`.
//! - image: `{registry}/{service}`, tagged `:{version}` and/or pinned
//!   `@{digest}`; an `image:` that has its own tag or digest takes no
//!   `version:` (nor `digest:` if it has a digest).
//! - service user: the service name, with group of the same name, created on
//!   the node; uid = gid = `service_ids` (default 20000) + a stable hash of
//!   the user name modulo 40000, unless set (two users hashing to one id are
//!   an error asking for an explicit `uid`).
//! - a host's entry overrides the service definition by deep merge (mappings
//!   merge, lists and scalars replace).

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior, Value, context};

use super::install::{self, InstallPlan};
use super::load::{HostSource, Inventory, QuadletSource, ServiceSource};
use super::manifest::{DirectorySpec, Host, HostInstall, Paths, PortEntry, Service};
use super::os::{self, OsTarget};
use super::ports::{self, Lock, Picked, PortRange};
use crate::butane::model as b;
use crate::butane::version::Version;
use crate::diag::{Code, Diagnostic, Diagnostics, DocPath, Position};
use crate::digest::fnv1a_32;
use crate::ignition::spec::Spec;
use crate::yaml::{FileId, Node};

pub const DEFAULT_ORG: &str = "kindling";
pub const DEFAULT_IGNITION_VERSION: &str = "3.4.0";
pub const DEFAULT_SERVICE_IDS: u32 = 20_000;
const SERVICE_ID_SPAN: u32 = 40_000;

/// Where something came from: a file and a position in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    pub position: Position,
}

impl Origin {
    pub fn of(node: &Node) -> Self {
        Origin {
            file: node.file,
            position: node.position,
        }
    }
}

/// DocPath patterns after expansion for one service.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServicePaths {
    pub quadlet_dir: String,
    pub env_file: String,
    pub secrets_dir: String,
    pub data_dir: String,
    pub trust_dir: String,
}

/// The service account a container runs as.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub user: String,
    pub uid: u32,
    pub group: String,
    pub gid: u32,
    /// Whether kindling creates the user and group on the node.
    pub create: bool,
}

/// A service definition with the host's overrides and all defaults applied.
#[derive(Clone, Debug)]
pub struct ResolvedService {
    /// Shared by every host that lists the service without overrides.
    pub spec: Arc<Service>,
    /// The merged YAML, for locating findings (shared like `spec`).
    pub node: Arc<Node>,
    pub image: String,
    pub account: Option<Account>,
    pub paths: ServicePaths,
    /// The service's named ports on this host, in the order written.
    pub named_ports: Vec<PortPlan>,
}

/// A named port as a service publishes it on one host.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PortPlan {
    pub name: String,
    /// The host port: picked, or the port's `host:`.
    pub host: u16,
    pub container: u16,
    pub address: Option<String>,
    pub protocol: Option<String>,
}

impl PortPlan {
    /// The port as a `PublishPort=` value.
    pub fn publish(&self) -> String {
        let address = match self.address.as_deref() {
            None | Some("") => String::new(),
            Some(v6) if v6.contains(':') => format!("[{v6}]:"),
            Some(v4) => format!("{v4}:"),
        };
        let protocol = self
            .protocol
            .as_ref()
            .map_or_else(String::new, |p| format!("/{p}"));
        format!("{address}{}:{}{protocol}", self.host, self.container)
    }
}

#[derive(Clone, Debug)]
pub enum ServiceBody {
    Definition(Box<ResolvedService>),
    Quadlets(Vec<QuadletSource>),
}

#[derive(Clone, Debug)]
pub struct ServicePlan {
    pub name: String,
    /// Where the host lists the service.
    pub origin: Origin,
    /// The service's paths on this host (literal Quadlet files use them too:
    /// `quadlet_dir` is where they go, the rest are `.j2` variables).
    pub paths: ServicePaths,
    pub body: ServiceBody,
}

/// Everything one manifest host gets, before rendering.
#[derive(Clone, Debug)]
pub struct ManifestPlan {
    pub hostname: String,
    /// Where `hostname:` is set, if it is: the host then gets
    /// `/etc/hostname`.
    pub hostname_origin: Option<Origin>,
    pub version: Version,
    pub file: FileId,
    pub org: String,
    pub podman_version: semver::Version,
    pub pinned_images: bool,
    pub services: Vec<ServicePlan>,
    pub directories: Vec<(DirectorySpec, Origin)>,
    pub users: Vec<(b::PasswdUser, Origin)>,
    /// Snippet paths relative to the fleet root, fleet's first.
    pub includes: Vec<(String, Origin)>,
    /// The host's own `butane:` fragment.
    pub fragment: Option<Node>,
    /// What the host runs, and where `os:` says so (the host's line, else
    /// `fleet.yaml`'s, else the host file's start for the default).
    pub os: (OsTarget, Origin),
    /// Units held back until the rebase is done, where each is listed.
    pub after_rebase: Vec<(String, Origin)>,
    /// Where the host installs (`install:` over `fleet.yaml`'s), if anything
    /// says so.
    pub install: Option<InstallPlan>,
    /// The named ports of the host's services, by service then name.
    pub ports: Vec<Picked>,
}

#[derive(Clone, Debug)]
pub enum HostPlan {
    /// A plain Butane host; `install` from `fleet.yaml`'s `butane_hosts:`.
    Butane {
        file: FileId,
        install: Option<InstallPlan>,
    },
    Manifest(Box<ManifestPlan>),
}

impl HostPlan {
    /// Where the host installs, if anything says so.
    pub fn install(&self) -> Option<&InstallPlan> {
        match self {
            HostPlan::Butane { install, .. } => install.as_ref(),
            HostPlan::Manifest(plan) => plan.install.as_ref(),
        }
    }
}

/// Where an `install:` value is: the item `index` of the list at `key` in
/// `node`, else the value at `key`, else `node`, else `fallback`.
fn locate(node: Option<&Node>, key: &str, index: Option<usize>, fallback: Origin) -> Origin {
    let Some(field) = node.and_then(|node| node.get(key)) else {
        return node.map_or(fallback, Origin::of);
    };
    match (index, &field.value) {
        (Some(index), crate::yaml::Value::Sequence(items)) => {
            items.get(index).map_or(Origin::of(field), Origin::of)
        }
        _ => Origin::of(field),
    }
}

/// The Butane version a fleet host compiles as, from its variant and spec.
pub fn butane_version(variant: &str, spec: Spec) -> Option<Version> {
    let version = match (variant, spec) {
        ("fcos", Spec::V3_0) => "1.0.0",
        ("fcos", Spec::V3_1) => "1.1.0",
        ("fcos", Spec::V3_2) => "1.3.0",
        ("fcos", Spec::V3_3) => "1.4.0",
        ("fcos", Spec::V3_4) => "1.5.0",
        ("fcos", Spec::V3_5) => "1.6.0",
        ("fcos", Spec::V3_6) => "1.7.0",
        ("fcos", Spec::V3_7Experimental) => "1.8.0-experimental",
        ("flatcar", Spec::V3_3) => "1.0.0",
        ("flatcar", Spec::V3_4) => "1.1.0",
        ("flatcar", Spec::V3_7Experimental) => "1.2.0-experimental",
        _ => return None,
    };
    Version::find(variant, version)
}

/// Item `index` of the list at `key` in `node`, if there is one.
fn list_item<'n>(node: Option<&'n Node>, key: &str, index: usize) -> Option<&'n Node> {
    match &node?.get(key)?.value {
        crate::yaml::Value::Sequence(items) => items.get(index),
        _ => None,
    }
}

/// Where entry `index` of the host's list `key` is (`host_start` if it
/// cannot be found).
fn host_item_origin(node: &Node, host_start: Origin, key: &str, index: usize) -> Origin {
    list_item(Some(node), key, index).map_or(host_start, Origin::of)
}

/// Whether `name` is a systemd unit name kindling can write a drop-in for.
fn is_unit_name(name: &str) -> bool {
    const TYPES: [&str; 8] = [
        "service",
        "socket",
        "mount",
        "automount",
        "swap",
        "timer",
        "path",
        "target",
    ];
    name.rsplit_once('.').is_some_and(|(stem, kind)| {
        TYPES.contains(&kind)
            && !stem.is_empty()
            && stem.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '@' | '\\')
            })
    })
}

/// The default uid/gid of a service user.
pub fn default_service_id(base: u32, user: &str) -> u32 {
    base.saturating_add(fnv1a_32(user) % SERVICE_ID_SPAN)
}

/// The host a service is planned for.
#[derive(Clone, Copy)]
struct HostContext<'a> {
    org: &'a str,
    host: &'a str,
    paths: &'a Paths,
    /// The host manifest, for locating its `paths:`.
    node: &'a Node,
}

pub(crate) struct Resolver<'i> {
    pub(crate) inventory: &'i Inventory,
    pub(crate) diagnostics: Diagnostics,
    env: Environment<'static>,
    /// `fleet.yaml` as YAML (parsed once), to locate findings about it.
    fleet_root: Option<Node>,
    /// Pattern text → name of its compiled template in `env`, and whether
    /// it reads `host`.
    patterns: std::collections::HashMap<String, (String, bool)>,
    /// (pattern name, service) → expansion, for patterns not reading `host`.
    host_free_paths: std::collections::HashMap<(String, String), String>,
    /// Service name → its definition decoded without host overrides. Most
    /// hosts list most services without overrides; copying and decoding
    /// each definition again per host was most of planning.
    plain_definitions: std::collections::HashMap<String, PlainDefinition>,
}

/// A service definition decoded as written (no host overrides).
struct PlainDefinition {
    /// `None` when decoding failed (the error is in `findings`).
    spec: Option<Arc<Service>>,
    node: Arc<Node>,
    /// What decoding reported: warnings, and the error if it failed.
    findings: Vec<Diagnostic>,
}

impl<'i> Resolver<'i> {
    pub(crate) fn new(inventory: &'i Inventory) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Errors name the undefined variable only in debug mode (off by
        // default in release builds).
        env.set_debug(true);
        let fleet_root = inventory.fleet_file.and_then(|file| {
            let text = &inventory.sources.get(file)?.text;
            crate::yaml::parse_file(text, file).ok().flatten()
        });
        Resolver {
            inventory,
            diagnostics: Diagnostics::new(),
            env,
            fleet_root,
            patterns: std::collections::HashMap::new(),
            host_free_paths: std::collections::HashMap::new(),
            plain_definitions: std::collections::HashMap::new(),
        }
    }

    fn name(&self, file: FileId) -> String {
        self.inventory.sources.name(file)
    }

    fn error_at(
        &mut self,
        code: Code,
        origin: Origin,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut diagnostic = Diagnostic::error(code, message)
            .in_file(self.name(origin.file))
            .at_position(origin.position);
        diagnostic.help = help;
        self.diagnostics.push(diagnostic);
    }

    fn fleet_origin(&self, key: &[&'static str]) -> Origin {
        let file = self.inventory.fleet_file.unwrap_or_default();
        let position = self
            .fleet_root
            .as_ref()
            .map_or(Position::new(1, 1), |root| {
                let mut path = DocPath::root();
                for k in key {
                    path = path.key(*k);
                }
                root.position_of(&path)
            });
        Origin { file, position }
    }

    /// The name `pattern` is compiled under in `env`, and whether it reads
    /// `host`, compiling it the first time: the same few path patterns are
    /// expanded for every service of every host, and `render_str` parsed
    /// them each time. Names have no extension, so no auto-escaping
    /// applies, as with `render_str`.
    fn compiled(&mut self, pattern: &str) -> Result<(String, bool), minijinja::Error> {
        if let Some(compiled) = self.patterns.get(pattern) {
            return Ok(compiled.clone());
        }
        let name = format!("pattern-{}", self.patterns.len());
        self.env
            .add_template_owned(name.clone(), pattern.to_owned())?;
        let reads_host = self
            .env
            .get_template(&name)?
            .undeclared_variables(false)
            .contains("host");
        self.patterns
            .insert(pattern.to_owned(), (name.clone(), reads_host));
        Ok((name, reads_host))
    }

    /// Expands a path pattern (strict: unknown names fail) with `org`,
    /// `service` and `host`. A pattern that does not read `host` expands
    /// once per service, not once per host. `origin` is where an error is
    /// reported.
    fn expand_path(
        &mut self,
        pattern: &str,
        service: &str,
        vars: &minijinja::Value,
        origin: impl FnOnce(&Self) -> Origin,
    ) -> String {
        let rendered = self.compiled(pattern).and_then(|(name, reads_host)| {
            let key = (name, service.to_owned());
            if !reads_host && let Some(path) = self.host_free_paths.get(&key) {
                return Ok(path.clone());
            }
            let path = self.env.get_template(&key.0)?.render(vars)?;
            if !reads_host {
                self.host_free_paths.insert(key, path.clone());
            }
            Ok(path)
        });
        match rendered {
            Ok(text) => text,
            Err(error) => {
                let mut origin = origin(self);
                let failure = match unknown_name(&error, vars) {
                    Some(unknown) => {
                        if let Some(file) = self.inventory.sources.get(origin.file) {
                            origin.position =
                                unknown_value_position(&file.text, origin.position, &unknown);
                        }
                        unknown.message
                    }
                    None => jinja_failure(&error),
                };
                self.error_at(
                    Code::FleetPathPattern,
                    origin,
                    format!("cannot expand `{pattern}`: {failure}"),
                    Some("available names: org, host, service, quadlet_dir, env_file, secrets_dir, data_dir, trust_dir".to_owned()),
                );
                String::new()
            }
        }
    }

    pub(crate) fn plan(&mut self, name: &str, source: &HostSource) -> Option<HostPlan> {
        match source {
            HostSource::Butane { file } => {
                let own = self
                    .inventory
                    .fleet
                    .butane_hosts
                    .get(name)
                    .and_then(|entry| entry.install.clone());
                let own_node = self
                    .fleet_root
                    .as_ref()
                    .and_then(|root| root.get("butane_hosts"))
                    .and_then(|hosts| hosts.get(name))
                    .and_then(|entry| entry.get("install"))
                    .cloned();
                let fallback = Origin {
                    file: *file,
                    position: Position::new(1, 1),
                };
                let install = self.install_plan(own.as_ref(), own_node.as_ref(), fallback);
                Some(HostPlan::Butane {
                    file: *file,
                    install,
                })
            }
            HostSource::Manifest { file, node, host } => self
                .manifest_plan(name, *file, node, host)
                .map(|plan| HostPlan::Manifest(Box::new(plan))),
        }
    }

    /// `fleet.yaml`'s `butane_hosts:` names only plain Butane hosts: a
    /// manifest host says where it installs in its own file.
    pub(crate) fn check_butane_hosts(&mut self) {
        let entries: Vec<String> = self.inventory.fleet.butane_hosts.keys().cloned().collect();
        for name in entries {
            let origin = self
                .fleet_root
                .as_ref()
                .and_then(|root| root.get("butane_hosts"))
                .and_then(|hosts| hosts.entry(&name))
                .map_or_else(
                    || self.fleet_origin(&["butane_hosts"]),
                    |entry| Origin::of(&entry.key),
                );
            match self.inventory.hosts.get(&name) {
                Some(HostSource::Butane { .. }) => {}
                Some(HostSource::Manifest { file, .. }) => {
                    let file = self.name(*file);
                    self.error_at(
                        Code::InstallButaneHostUnknown,
                        origin,
                        format!("butane_hosts: {name} is a manifest host ({file})"),
                        Some(format!("give its install: in {file}")),
                    );
                }
                None => {
                    let known: Vec<String> = self
                        .inventory
                        .hosts
                        .iter()
                        .filter(|(_, source)| matches!(source, HostSource::Butane { .. }))
                        .map(|(name, _)| name.clone())
                        .collect();
                    self.error_at(
                        Code::InstallButaneHostUnknown,
                        origin,
                        format!("butane_hosts: no plain Butane host hosts/{name}.bu"),
                        Some(if known.is_empty() {
                            "this fleet has no plain Butane hosts".to_owned()
                        } else {
                            format!("plain Butane hosts: {}", known.join(", "))
                        }),
                    );
                }
            }
        }
    }

    /// A host's install plan: `own` (its `install:`, found at `own_node`)
    /// key by key over `fleet.yaml`'s `install:`; `None` when neither says
    /// anything. Refused values are reported and left out.
    fn install_plan(
        &mut self,
        own: Option<&HostInstall>,
        own_node: Option<&Node>,
        fallback: Origin,
    ) -> Option<InstallPlan> {
        let defaults = self.inventory.fleet.install.clone();
        if own.is_none() && defaults == super::manifest::InstallDefaults::default() {
            return None;
        }
        let fleet_node = self
            .fleet_root
            .as_ref()
            .and_then(|root| root.get("install"))
            .cloned();
        let mut plan = InstallPlan::default();
        let (device, device_own) = match own.and_then(|own| own.device.clone()) {
            Some(device) => (Some(device), true),
            None => (defaults.device.clone(), false),
        };
        if let Some(device) = device {
            let node = if device_own {
                own_node
            } else {
                fleet_node.as_ref()
            };
            let origin = locate(node, "device", None, fallback);
            match install::check_device(&device) {
                Ok(()) => {
                    if let Some(message) = install::unstable_device(&device) {
                        let diagnostic = Diagnostic::warning(Code::InstallDeviceUnstable, message)
                            .in_file(self.name(origin.file))
                            .at_position(origin.position)
                            .with_help(install::UNSTABLE_DEVICE_HELP);
                        self.diagnostics.push(diagnostic);
                    }
                    plan.device = Some(device);
                }
                Err(error) => self.install_error(&error, origin),
            }
        }
        for (index, mac) in own
            .map(|own| own.macs.clone())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let origin = locate(own_node, "macs", Some(index), fallback);
            match install::normalize_mac(mac) {
                Ok(mac) if plan.macs.contains(&mac) => {
                    self.install_error(&install::InstallError::MacTwice(mac), origin);
                }
                Ok(mac) => plan.macs.push(mac),
                Err(error) => self.install_error(&error, origin),
            }
        }
        if let Some(uuid) = own.and_then(|own| own.uuid.clone()) {
            match install::normalize_uuid(&uuid) {
                Ok(uuid) => plan.uuid = Some(uuid),
                Err(error) => {
                    let origin = locate(own_node, "uuid", None, fallback);
                    self.install_error(&error, origin);
                }
            }
        }
        let nodes = (own_node, fleet_node.as_ref());
        plan.console = self.install_list(
            "console",
            own.and_then(|own| own.console.as_ref()).map(|list| &list.0),
            defaults.console.as_ref().map(|list| &list.0),
            nodes,
            fallback,
            install::check_console,
        );
        plan.kargs = self.install_list(
            "kargs",
            own.and_then(|own| own.kargs.as_ref()).map(|list| &list.0),
            defaults.kargs.as_ref().map(|list| &list.0),
            nodes,
            fallback,
            install::check_karg,
        );
        Some(plan)
    }

    /// A list key of `install:` (`console`, `kargs`): the host's list if it
    /// sets one, else the fleet's, each entry checked and an error located
    /// in whichever file gave the list. `nodes` is (the host's, the fleet's)
    /// `install:` node.
    fn install_list(
        &mut self,
        key: &str,
        own: Option<&Vec<String>>,
        fleet: Option<&Vec<String>>,
        nodes: (Option<&Node>, Option<&Node>),
        fallback: Origin,
        check: fn(&str) -> Result<(), install::InstallError>,
    ) -> Vec<String> {
        let (list, node) = match own {
            Some(list) => (list.clone(), nodes.0),
            None => (fleet.cloned().unwrap_or_default(), nodes.1),
        };
        let mut kept = Vec::new();
        for (index, entry) in list.into_iter().enumerate() {
            match check(&entry) {
                Ok(()) => kept.push(entry),
                Err(error) => {
                    self.install_error(&error, locate(node, key, Some(index), fallback));
                }
            }
        }
        kept
    }

    fn install_error(&mut self, error: &install::InstallError, origin: Origin) {
        self.error_at(error.code(), origin, error.to_string(), Some(error.help()));
    }

    /// [`Resolver::plan`], also telling whether planning this host found an
    /// error (such a host must not compile into an output).
    pub(crate) fn plan_checked(
        &mut self,
        name: &str,
        source: &HostSource,
    ) -> (Option<HostPlan>, bool) {
        let before = self.diagnostics.len();
        let plan = self.plan(name, source);
        let failed = self.diagnostics.iter().skip(before).any(|d| d.is_error());
        (plan, failed)
    }

    /// The plan of a manifest host, in steps: what it runs (`os:`,
    /// `after_rebase:`), which Butane version it compiles as, the fleet's
    /// Podman and image policy, its services, then its users, snippets and
    /// directories. `None` when the host cannot be planned at all.
    fn manifest_plan(
        &mut self,
        name: &str,
        file: FileId,
        node: &Node,
        host: &Host,
    ) -> Option<ManifestPlan> {
        let fleet = &self.inventory.fleet;
        let org = fleet.org.clone().unwrap_or_else(|| DEFAULT_ORG.to_owned());
        let hostname = host.hostname.clone().unwrap_or_else(|| name.to_owned());
        let explicit_variant = host.variant.clone().or_else(|| fleet.variant.clone());
        let os = self.os_target(file, node, host, explicit_variant.as_deref());
        let variant = explicit_variant.unwrap_or_else(|| os::variant(&os.0).to_owned());
        let after_rebase = self.after_rebase(file, node, host, &os.0);
        let install = self.install_plan(
            host.install.as_ref(),
            node.get("install"),
            Origin {
                file,
                position: node.position,
            },
        );
        let version = self.compile_version(node, host, &variant)?;
        let podman_version = self.podman_version()?;
        let pinned_images = self.pinned_images();
        let context = HostContext {
            org: &org,
            host: &hostname,
            paths: &host.paths,
            node,
        };
        let mut services = self.host_services(file, host, &context);
        let ports = self.named_ports(name, &mut services);
        let host_start = Origin {
            file,
            position: node.position,
        };
        let users = self.fleet_then_host("users", &fleet.users, &host.users, node, host_start);
        let includes =
            self.fleet_then_host("include", &fleet.include, &host.include, node, host_start);
        Some(ManifestPlan {
            hostname_origin: host
                .hostname
                .as_ref()
                .and_then(|_| node.get("hostname"))
                .map(Origin::of),
            hostname,
            version,
            file,
            org,
            podman_version,
            pinned_images,
            services,
            directories: host
                .directories
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    (
                        d.clone(),
                        host_item_origin(node, host_start, "directories", i),
                    )
                })
                .collect(),
            users,
            includes,
            fragment: node.get("butane").cloned(),
            os,
            after_rebase,
            install,
            ports,
        })
    }

    /// Gives the named ports of `services` on `host` their host ports
    /// (`fleet::ports`): picked from `port_range`, clear of every host port
    /// the host's services publish, as `ports.lock` has them where it can.
    fn named_ports(&mut self, host: &str, services: &mut [ServicePlan]) -> Vec<Picked> {
        let inventory = self.inventory;
        let mut taken = BTreeSet::new();
        let mut wanted = Vec::new();
        let mut declared = Vec::new();
        for (index, service) in services.iter().enumerate() {
            let resolved = match &service.body {
                ServiceBody::Quadlets(files) => {
                    for quadlet in files {
                        if let Some(source) = inventory.sources.get(quadlet.file) {
                            taken.extend(ports::quadlet_host_ports(&source.text));
                        }
                    }
                    continue;
                }
                ServiceBody::Definition(resolved) => resolved,
            };
            let mut names = BTreeSet::new();
            for (item, entry) in resolved.spec.ports.iter().enumerate() {
                let node = list_item(Some(&resolved.node), "ports", item);
                let at = node.map_or_else(|| Origin::of(&resolved.node), Origin::of);
                let port = match entry {
                    PortEntry::Published(value) => {
                        taken.extend(ports::published_host_ports(value));
                        continue;
                    }
                    PortEntry::Named(port) => port,
                };
                let name_at = node.and_then(|n| n.get("name")).map_or(at, Origin::of);
                if let Err(message) = ports::check_name(&port.name) {
                    self.error_at(
                        Code::FleetPortName,
                        name_at,
                        format!("service {}: {message}", service.name),
                        Some("name the port like `http` or `admin-ui`: a letter, then letters, digits, `-` or `_`".to_owned()),
                    );
                    continue;
                }
                if !names.insert(ports::env_name(&port.name)) {
                    self.error_at(
                        Code::FleetPortName,
                        name_at,
                        format!(
                            "service {}: a second port named `{}` ({})",
                            service.name,
                            port.name,
                            ports::env_name(&port.name)
                        ),
                        Some("give each named port of a service its own name".to_owned()),
                    );
                    continue;
                }
                match port.host {
                    Some(fixed) => {
                        taken.insert(fixed);
                    }
                    None => wanted.push((service.name.clone(), port.name.clone())),
                }
                declared.push((index, port.clone(), at));
            }
        }
        if declared.is_empty() {
            return Vec::new();
        }
        let Some(range) = self.port_range() else {
            return Vec::new();
        };
        let empty = Lock::default();
        let lock = inventory.port_lock.as_ref().unwrap_or(&empty);
        let (picks, _) = ports::pick(host, &wanted, &taken, lock, range);
        let mut picked = Vec::new();
        for (index, port, at) in declared {
            let Some(service) = services.get_mut(index) else {
                continue;
            };
            let ServiceBody::Definition(resolved) = &mut service.body else {
                continue;
            };
            let key = (service.name.clone(), port.name.clone());
            let Some(number) = port.host.or_else(|| picks.get(&key).copied()) else {
                let file = self.name(at.file);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::FleetPortRangeExhausted,
                        format!(
                            "no free host port left in port_range {}-{} on host {host} for {}/{}",
                            range.first, range.last, service.name, port.name
                        ),
                    )
                    .in_file(file)
                    .at_position(at.position)
                    .with_help(
                        "widen `port_range` in fleet.yaml, or give the port a fixed `host:`",
                    ),
                );
                continue;
            };
            resolved.named_ports.push(PortPlan {
                name: port.name.clone(),
                host: number,
                container: port.container.unwrap_or(number),
                address: port.address.clone(),
                protocol: port.protocol.clone(),
            });
            picked.push(Picked {
                service: service.name.clone(),
                name: port.name.clone(),
                port: number,
                protocol: port.protocol.clone().unwrap_or_else(|| "tcp".to_owned()),
                picked: port.host.is_none(),
                at: (self.name(at.file), at.position),
            });
        }
        picked.sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
        picked
    }

    /// The fleet's `port_range` (the default when unset).
    fn port_range(&mut self) -> Option<PortRange> {
        let Some(text) = self.inventory.fleet.port_range.as_deref() else {
            return Some(ports::DEFAULT_RANGE);
        };
        match PortRange::parse(text) {
            Ok(range) => Some(range),
            Err(message) => {
                let origin = self.fleet_origin(&["port_range"]);
                self.error_at(
                    Code::FleetPortRange,
                    origin,
                    message,
                    Some("write `port_range: first-last`, e.g. 10000-60000".to_owned()),
                );
                None
            }
        }
    }

    /// The Butane version the host compiles as: its Ignition spec (the
    /// host's, else `fleet.yaml`'s, else the default) for its variant.
    fn compile_version(&mut self, node: &Node, host: &Host, variant: &str) -> Option<Version> {
        let fleet = &self.inventory.fleet;
        let spec_text = host
            .ignition_version
            .clone()
            .or_else(|| fleet.ignition_version.clone())
            .unwrap_or_else(|| DEFAULT_IGNITION_VERSION.to_owned());
        let version_origin = node
            .get("ignition_version")
            .map_or_else(|| self.fleet_origin(&["ignition_version"]), Origin::of);
        let Some(spec) = Spec::parse(&spec_text) else {
            self.error_at(
                Code::FleetUnknownIgnitionVersion,
                version_origin,
                format!("unknown Ignition spec version {spec_text}"),
                Some(format!(
                    "use one of {}",
                    Spec::ALL.map(Spec::as_str).join(", ")
                )),
            );
            return None;
        };
        let Some(version) = butane_version(variant, spec) else {
            self.error_at(
                Code::FleetVariantCannotEmit,
                version_origin,
                format!("variant {variant} cannot emit Ignition {spec}"),
                Some("fcos emits 3.0.0–3.6.0; flatcar emits 3.3.0 and 3.4.0".to_owned()),
            );
            return None;
        };
        Some(version)
    }

    /// The fleet's `podman_version` (the default when unset).
    fn podman_version(&mut self) -> Option<semver::Version> {
        let Some(text) = self.inventory.fleet.podman_version.as_deref() else {
            return Some(crate::quadlet::DEFAULT_PODMAN_VERSION);
        };
        if let Ok(version) = semver::Version::parse(text) {
            return Some(version);
        }
        let origin = self.fleet_origin(&["podman_version"]);
        self.error_at(
            Code::FleetInvalidPodmanVersion,
            origin,
            format!("podman_version {text} is not a version like 5.4.2"),
            None,
        );
        None
    }

    /// Whether the fleet's `image_policy` asks for pinned images (the
    /// default, and what an unknown policy is planned with).
    fn pinned_images(&mut self) -> bool {
        match self.inventory.fleet.image_policy.as_deref() {
            None | Some("pinned") => true,
            Some("open") => false,
            Some(other) => {
                let origin = self.fleet_origin(&["image_policy"]);
                self.error_at(
                    Code::FleetUnknownImagePolicy,
                    origin,
                    format!("unknown image_policy {other}"),
                    Some("use pinned or open".to_owned()),
                );
                true
            }
        }
    }

    /// The plans of the services `host` lists (those that can be planned),
    /// with the host's overrides of each.
    fn host_services(
        &mut self,
        file: FileId,
        host: &Host,
        context: &HostContext<'_>,
    ) -> Vec<ServicePlan> {
        let node = context.node;
        let mut services = Vec::new();
        for (index, service_ref) in host.services.iter().enumerate() {
            let entry = list_item(Some(node), "services", index);
            let origin = entry.map_or(
                Origin {
                    file,
                    position: node.position,
                },
                Origin::of,
            );
            // Findings about the overrides name their place in the host file.
            let overrides = entry.and_then(|e| e.get(&service_ref.name)).map(|overlay| {
                let at = DocPath::root()
                    .key("services")
                    .index(index)
                    .key(service_ref.name.clone());
                (overlay.clone(), at)
            });
            if let Some(plan) = self.service_plan(&service_ref.name, origin, overrides, context) {
                services.push(plan);
            }
        }
        services
    }

    /// The items of `fleet.yaml`'s list `key` then those of the host's
    /// (`node`, starting at `host_start`), each with where it is.
    fn fleet_then_host<T: Clone>(
        &self,
        key: &str,
        from_fleet: &[T],
        from_host: &[T],
        node: &Node,
        host_start: Origin,
    ) -> Vec<(T, Origin)> {
        let fleet_items = from_fleet
            .iter()
            .enumerate()
            .map(|(i, item)| (item.clone(), self.fleet_item_origin(key, i)));
        let host_items = from_host
            .iter()
            .enumerate()
            .map(|(i, item)| (item.clone(), host_item_origin(node, host_start, key, i)));
        fleet_items.chain(host_items).collect()
    }

    /// Where entry `index` of `fleet.yaml`'s list `key` is (the file's
    /// start if it cannot be found).
    fn fleet_item_origin(&self, key: &str, index: usize) -> Origin {
        list_item(self.fleet_root.as_ref(), key, index).map_or(
            Origin {
                file: self.inventory.fleet_file.unwrap_or_default(),
                position: Position::new(1, 1),
            },
            Origin::of,
        )
    }

    /// The host's `os:` (else `fleet.yaml`'s, else Fedora CoreOS), checked
    /// against `variant` when one is set. A refused value is reported and
    /// planning goes on with the default, to find the host's other errors.
    fn os_target(
        &mut self,
        file: FileId,
        node: &Node,
        host: &Host,
        variant: Option<&str>,
    ) -> (OsTarget, Origin) {
        let fleet = &self.inventory.fleet;
        let (text, origin) = match (&host.os, &fleet.os) {
            (Some(text), _) => (
                text.clone(),
                node.get("os").map_or(
                    Origin {
                        file,
                        position: node.position,
                    },
                    Origin::of,
                ),
            ),
            (None, Some(text)) => (text.clone(), self.fleet_origin(&["os"])),
            (None, None) => {
                let origin = Origin {
                    file,
                    position: node.position,
                };
                return (OsTarget::default(), origin);
            }
        };
        let parsed = match os::parse(&text) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.error_at(
                    error.code(),
                    origin,
                    format!("os: {error}"),
                    Some(error.help()),
                );
                return (OsTarget::default(), origin);
            }
        };
        for (message, help) in parsed.warnings {
            let diagnostic = Diagnostic::warning(Code::OsUcoreTagUnknown, format!("os: {message}"))
                .in_file(self.name(origin.file))
                .at_position(origin.position)
                .with_help(help);
            self.diagnostics.push(diagnostic);
        }
        let wants = os::variant(&parsed.target);
        if let Some(variant) = variant
            && variant != wants
        {
            self.error_at(
                Code::OsVariantMismatch,
                origin,
                format!("os: {} needs variant {wants}, not {variant}", parsed.target),
                Some(format!("set variant: {wants} or remove variant")),
            );
        }
        (parsed.target, origin)
    }

    /// The host's `after_rebase:` units, checked: only a host that rebases
    /// has a rebase to wait for, and each entry must be a unit name.
    fn after_rebase(
        &mut self,
        file: FileId,
        node: &Node,
        host: &Host,
        target: &OsTarget,
    ) -> Vec<(String, Origin)> {
        let list = node.get("after_rebase");
        let at = |index: usize| {
            list_item(Some(node), "after_rebase", index)
                .or(list)
                .map_or(
                    Origin {
                        file,
                        position: node.position,
                    },
                    Origin::of,
                )
        };
        if !host.after_rebase.is_empty() && target.rebase().is_none() {
            self.error_at(
                Code::OsAfterRebaseWithoutRebase,
                at(usize::MAX),
                format!("after_rebase: os {target} has no rebase to wait for"),
                Some(
                    "after_rebase applies to ucore and image targets; remove it or set os:"
                        .to_owned(),
                ),
            );
            return Vec::new();
        }
        let mut units = Vec::new();
        for (index, name) in host.after_rebase.iter().enumerate() {
            if !is_unit_name(name) {
                self.error_at(
                    Code::OsAfterRebaseNotAUnit,
                    at(index),
                    format!("after_rebase: `{name}` is not a systemd unit name"),
                    Some("name the unit with its type, e.g. zfs-import-tank.service or rustfs.service".to_owned()),
                );
                continue;
            }
            units.push((name.clone(), at(index)));
        }
        units
    }

    fn service_plan(
        &mut self,
        name: &str,
        origin: Origin,
        overrides: Option<(Node, DocPath)>,
        at: &HostContext<'_>,
    ) -> Option<ServicePlan> {
        let Some(source) = self.inventory.services.get(name) else {
            let known: Vec<&String> = self.inventory.services.keys().collect();
            let help = crate::quadlet::closest(name, known.iter().map(|s| s.as_str())).map_or_else(
                || format!("add containers/{name}.yaml or containers/{name}.container"),
                |close| format!("did you mean {close}?"),
            );
            self.error_at(
                Code::FleetUnknownService,
                origin,
                format!("unknown service {name}"),
                Some(help),
            );
            return None;
        };
        let paths = self.service_paths(name, at);
        let body = match source {
            // Reported for every host that lists it; the report merges them.
            ServiceSource::Broken { error, .. } => {
                self.diagnostics.push((**error).clone());
                return None;
            }
            ServiceSource::Quadlets(files) => {
                if let Some((overrides, _)) = overrides {
                    self.error_at(
                        Code::FleetLiteralOverrides,
                        Origin::of(&overrides),
                        format!("service {name} is a literal Quadlet file; it takes no overrides"),
                        Some(format!(
                            "use a .j2 template or containers/{name}.yaml for per-host values"
                        )),
                    );
                }
                ServiceBody::Quadlets(files.clone())
            }
            ServiceSource::Definition { node, .. } => {
                let (spec, merged) = match overrides {
                    Some((overlay, overlay_path)) => {
                        let overlay_file = overlay.file;
                        let merged = node.clone().deep_merge(overlay);
                        let (decoded, warnings) =
                            self.decode_service(&merged, Some((overlay_file, &overlay_path)));
                        self.diagnostics.extend(warnings);
                        match decoded {
                            Ok(spec) => (Arc::new(spec), Arc::new(merged)),
                            Err(error) => {
                                self.diagnostics.push(error);
                                return None;
                            }
                        }
                    }
                    None => self.plain_definition(name, node)?,
                };
                let resolved = self.resolve_service(name, spec, merged, paths.clone())?;
                ServiceBody::Definition(Box::new(resolved))
            }
        };
        Some(ServicePlan {
            name: name.to_owned(),
            origin,
            paths,
            body,
        })
    }

    /// Decodes a (merged) service definition strictly: the service or the
    /// error, and the other findings. Paths of findings in `overlay`'s file
    /// (a host's overrides) start at the overrides' place in that file.
    fn decode_service(
        &self,
        merged: &Node,
        overlay: Option<(FileId, &DocPath)>,
    ) -> (Result<Service, Diagnostic>, Vec<Diagnostic>) {
        let names = |id: FileId| self.inventory.sources.name(id);
        let decoder = super::strict::decoder().with_file_names(&names);
        let decoded: Result<Service, _> = decoder.decode(merged);
        let overlay = overlay.map(|(file, at)| (self.name(file), at));
        let rebase = |mut diagnostic: Diagnostic| {
            if let Some((file, at)) = &overlay
                && diagnostic.file.as_ref() == Some(file)
                && let Some(path) = &diagnostic.path
            {
                diagnostic.path = Some(at.join(path));
            }
            diagnostic
        };
        let warnings = decoder.into_warnings().into_iter().map(&rebase).collect();
        let decoded = decoded.map_err(|error| {
            let file = self.name(error.file);
            rebase(error.into_diagnostic().in_file(file))
        });
        (decoded, warnings)
    }

    /// The definition of service `name` without overrides, decoded the
    /// first time a host lists it so. Its findings are reported again for
    /// every host (the report merges them), so a host listing a broken
    /// service still counts as failed.
    fn plain_definition(&mut self, name: &str, node: &Node) -> Option<(Arc<Service>, Arc<Node>)> {
        if !self.plain_definitions.contains_key(name) {
            let (decoded, mut findings) = self.decode_service(node, None);
            let spec = match decoded {
                Ok(spec) => Some(Arc::new(spec)),
                Err(error) => {
                    findings.push(error);
                    None
                }
            };
            let plain = PlainDefinition {
                spec,
                node: Arc::new(node.clone()),
                findings,
            };
            self.plain_definitions.insert(name.to_owned(), plain);
        }
        let plain = self.plain_definitions.get(name)?;
        self.diagnostics.extend(plain.findings.iter().cloned());
        Some((Arc::clone(plain.spec.as_ref()?), Arc::clone(&plain.node)))
    }

    /// The path patterns of `host` (falling back to `fleet.yaml`'s, then to
    /// the defaults), expanded for service `name`.
    fn service_paths(&mut self, name: &str, at: &HostContext<'_>) -> ServicePaths {
        let HostContext {
            org,
            host,
            paths: host_paths,
            node: host_node,
        } = *at;
        let fleet = &self.inventory.fleet;
        let pick =
            |host: &Option<String>, fleet: &Option<String>| host.clone().or_else(|| fleet.clone());
        let patterns = Paths {
            quadlet_dir: pick(&host_paths.quadlet_dir, &fleet.paths.quadlet_dir),
            env_file: pick(&host_paths.env_file, &fleet.paths.env_file),
            secrets_dir: pick(&host_paths.secrets_dir, &fleet.paths.secrets_dir),
            data_dir: pick(&host_paths.data_dir, &fleet.paths.data_dir),
            trust_dir: pick(&host_paths.trust_dir, &fleet.paths.trust_dir),
        };
        let patterns = &patterns;
        let base = context! { org => org, service => name, host => host };
        // A pattern the host sets is reported at the host's line.
        let expand_path =
            |this: &mut Self, key: &'static str, pattern: Option<&String>, default: &str| {
                let origin = |this: &Self| {
                    host_node
                        .get("paths")
                        .and_then(|paths| paths.get(key))
                        .map_or_else(|| this.fleet_origin(&["paths", key]), Origin::of)
                };
                this.expand_path(pattern.map_or(default, String::as_str), name, &base, origin)
            };
        ServicePaths {
            quadlet_dir: expand_path(
                self,
                "quadlet_dir",
                patterns.quadlet_dir.as_ref(),
                "/etc/containers/systemd",
            ),
            env_file: expand_path(
                self,
                "env_file",
                patterns.env_file.as_ref(),
                "/etc/{{ org }}/env/{{ service }}.env",
            ),
            secrets_dir: expand_path(
                self,
                "secrets_dir",
                patterns.secrets_dir.as_ref(),
                "/etc/{{ org }}/secrets/{{ service }}",
            ),
            data_dir: expand_path(
                self,
                "data_dir",
                patterns.data_dir.as_ref(),
                "/var/lib/{{ org }}/{{ service }}",
            ),
            trust_dir: expand_path(
                self,
                "trust_dir",
                patterns.trust_dir.as_ref(),
                "/etc/{{ org }}/trust",
            ),
        }
    }

    fn resolve_service(
        &mut self,
        name: &str,
        spec: Arc<Service>,
        node: Arc<Node>,
        paths: ServicePaths,
    ) -> Option<ResolvedService> {
        let fleet = &self.inventory.fleet;
        let image_base = match (&spec.image, &fleet.registry) {
            (Some(image), _) => image.clone(),
            (None, Some(registry)) => format!("{}/{name}", registry.trim_end_matches('/')),
            (None, None) => {
                self.error_at(
                    Code::FleetNoImage,
                    Origin::of(&node),
                    format!("service {name} has no image"),
                    Some("set `image:` in the service, or `registry:` in fleet.yaml".to_owned()),
                );
                return None;
            }
        };
        // An image that already carries a tag or digest would render as
        // `name:1.4.0:1.4.0` (or `@a@b`), which Podman cannot pull.
        let has_digest = image_base.contains('@');
        let has_tag = image_base
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        let pinned_twice = if spec.version.is_some() && (has_tag || has_digest) {
            Some("version")
        } else if spec.digest.is_some() && has_digest {
            Some("digest")
        } else {
            None
        };
        if let Some(key) = pinned_twice {
            let origin = node.get(key).map_or_else(|| Origin::of(&node), Origin::of);
            self.error_at(
                Code::FleetImageTagAndVersion,
                origin,
                format!("service {name}: image {image_base} already has a tag or digest, and `{key}:` adds another"),
                Some(format!("give the tag or digest once: drop `{key}:`, or write `image:` without it")),
            );
            return None;
        }
        let mut image = image_base;
        if let Some(version) = &spec.version {
            image = format!("{image}:{version}");
        }
        if let Some(digest) = &spec.digest {
            image = format!("{image}@{digest}");
        }
        let account = if spec.system == Some(false) && spec.user.is_none() {
            None
        } else {
            let user = spec.user.clone().unwrap_or_else(|| name.to_owned());
            let base = fleet.service_ids.unwrap_or(DEFAULT_SERVICE_IDS);
            let uid = spec.uid.unwrap_or_else(|| default_service_id(base, &user));
            Some(Account {
                group: spec.group.clone().unwrap_or_else(|| user.clone()),
                gid: spec.gid.unwrap_or(uid),
                uid,
                user,
                create: spec.system != Some(false),
            })
        };
        Some(ResolvedService {
            spec,
            node,
            image,
            account,
            paths,
            named_ports: Vec::new(),
        })
    }
}

/// What went wrong in a template, said once: minijinja's kind, then its
/// detail, except where the detail already names the kind (`undefined
/// value: `x` is undefined` is just `` `x` is undefined ``).
pub(crate) fn jinja_failure(error: &minijinja::Error) -> String {
    match (error.kind(), error.detail()) {
        (minijinja::ErrorKind::UndefinedError, Some(detail)) => detail.to_owned(),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    }
}

/// An undefined name a template used, as minijinja's error names it, told
/// with the closest name the context offers at that place.
pub(crate) struct UnknownName {
    /// The dotted expression minijinja reports (`service.imgae`).
    pub path: String,
    /// "unknown variable `x`, did you mean `y`?" and the like.
    pub message: String,
}

/// How many of an object's attributes a message lists when none is close.
const LISTED_ATTRIBUTES: usize = 8;

/// The unknown name of an undefined-value `error` met while rendering with
/// `vars`, with a did-you-mean among the variables (or the attributes of the
/// object it was looked up on); `None` for other errors.
pub(crate) fn unknown_name(error: &minijinja::Error, vars: &Value) -> Option<UnknownName> {
    if error.kind() != minijinja::ErrorKind::UndefinedError {
        return None;
    }
    let path = error
        .detail()?
        .strip_prefix('`')?
        .strip_suffix("` is undefined")?;
    let segments: Vec<&str> = path.split('.').collect();
    if !segments.iter().all(|s| is_identifier(s)) {
        return None;
    }
    let (last, parents) = segments.split_last()?;
    let mut scope = vars.clone();
    for parent in parents {
        scope = scope.get_attr(parent).ok()?;
    }
    let names: Vec<String> = if scope.kind() == minijinja::value::ValueKind::Map {
        scope
            .try_iter()
            .ok()?
            .filter_map(|key| key.as_str().map(str::to_owned))
            .collect()
    } else {
        Vec::new()
    };
    let closest = crate::suggest::closest(last, names.iter().map(String::as_str));
    let mut message = if parents.is_empty() {
        format!("unknown variable `{last}`")
    } else {
        format!("`{}` has no attribute `{last}`", parents.join("."))
    };
    match closest {
        Some(name) => message.push_str(&format!(", did you mean `{name}`?")),
        // The help of every caller lists the variables; an object's
        // attributes are listed here.
        None if !parents.is_empty() && !names.is_empty() => {
            let listed: Vec<&str> = names
                .iter()
                .take(LISTED_ATTRIBUTES)
                .map(String::as_str)
                .collect();
            let more = if names.len() > LISTED_ATTRIBUTES {
                ", …"
            } else {
                ""
            };
            message.push_str(&format!(" (it has {}{more})", listed.join(", ")));
        }
        None => {}
    }
    Some(UnknownName {
        path: path.to_owned(),
        message,
    })
}

fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The byte offset in `line` of the last name of `path` (the unknown one),
/// where `path` is written as a whole expression at or after byte `from`.
pub(crate) fn unknown_name_offset(line: &str, from: usize, path: &str) -> Option<usize> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = from;
    while let Some(found) = line.get(start..)?.find(path) {
        let at = start + found;
        let end = at + path.len();
        let before = line.get(..at)?.chars().next_back();
        let after = line.get(end..)?.chars().next();
        if before.is_none_or(|c| !is_name(c) && c != '.') && after.is_none_or(|c| !is_name(c)) {
            return Some(at + path.rfind('.').map_or(0, |dot| dot + 1));
        }
        start = end;
    }
    None
}

/// The position of `unknown`'s name in a one-line template value written at
/// `at` in `file`'s text; `at` where it is not found there (a block scalar).
pub(crate) fn unknown_value_position(file: &str, at: Position, unknown: &UnknownName) -> Position {
    let found = file
        .lines()
        .nth(at.line.saturating_sub(1))
        .and_then(|line| {
            let from = line
                .char_indices()
                .nth(at.column.saturating_sub(1))
                .map_or(line.len(), |(offset, _)| offset);
            let offset = unknown_name_offset(line, from, &unknown.path)?;
            Some(Position::new(
                at.line,
                line.get(..offset)?.chars().count() + 1,
            ))
        });
    found.unwrap_or(at)
}

#[cfg(test)]
mod tests {
    /// The caret goes on the unknown (last) name of a dotted path written as
    /// a whole expression, not on a longer name containing it.
    #[test]
    fn unknown_names_are_found_as_whole_expressions() {
        let line = "A={{ hosts }} B={{ x.host }} C={{ host|upper }}";
        assert_eq!(super::unknown_name_offset(line, 0, "host"), Some(34));
        assert_eq!(super::unknown_name_offset(line, 0, "x.host"), Some(21));
        assert_eq!(super::unknown_name_offset(line, 0, "nothing"), None);
        assert_eq!(super::unknown_name_offset(line, 99, "host"), None);
    }

    /// DocPath pattern errors name the undefined variable in release builds
    /// too (see `render`'s test of the same).
    #[test]
    fn pattern_errors_name_the_undefined_variable_in_every_build() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (inventory, _) =
            super::super::load::load(dir.path(), crate::confine::Exclusions::none());
        assert!(super::Resolver::new(&inventory).env.debug());
    }
}
