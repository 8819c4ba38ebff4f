//! The fleet compiler: host manifests + service definitions + Quadlet
//! templates → one validated Ignition config per host.
//!
//! Stages per host: `load` (once for the fleet) → `resolve` → `render` →
//! `lint` (Quadlet validation and policies) → `assemble` (one Butane-level
//! config) → the Butane compiler's translate/encode/validate
//! (`crate::butane::compile_config`) → `write` (all outputs or none). Hosts
//! compile in parallel; `fleetwide` then checks across them (uid clashes,
//! findings many hosts repeat). Plain `hosts/<host>.bu` files go straight
//! to the Butane compiler with `contents.local` resolved against the fleet
//! root.

pub mod assemble;
pub mod certs;
pub mod fleetwide;
pub mod install;
pub mod lint;
pub mod listing;
pub mod load;
pub mod locate;
pub mod manifest;
pub mod names;
pub mod os;
pub mod platform;
pub mod ports;
pub mod provenance;
pub mod publish;
pub mod recipients;
pub mod reference;
pub mod render;
pub mod resolve;
pub mod secrets;
pub mod strict;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::butane::{self, files_dir::FilesDir};
use crate::confine::Exclusions;
use crate::diag::{Diagnostic, Diagnostics, Position};
use crate::ignition::model::Config as IgnitionConfig;
use crate::ignition::spec::Spec;
use crate::secret::Secrets;
use crate::yaml::FileId;
use load::Inventory;
use render::{Renderer, Templates};
use resolve::{HostPlan, ManifestPlan};
use secrets::Identities;

pub use publish::{manifest_json, write};

/// What to build.
pub struct Options {
    /// The fleet's root directory.
    pub root: PathBuf,
    /// Hosts to build (all when empty).
    pub hosts: Vec<String>,
    /// Emit this Ignition spec for every host instead of the manifests'.
    pub target: Option<Spec>,
    pub identities: Identities,
    /// The build time certificates are checked against (seconds since the
    /// Unix epoch); `None` is the clock.
    pub now: Option<i64>,
    /// The output directory (`build/` under the root when `None`): never
    /// read as an input.
    pub out: Option<PathBuf>,
}

/// What a build of the fleet at `root` never reads as an input: the output
/// directory (`out`, else `build/` under the root) and the age identity.
pub fn exclusions(root: &Path, out: Option<&Path>, identity: Option<&Path>) -> Exclusions {
    let out = out.map_or_else(|| root.join("build"), Path::to_path_buf);
    Exclusions::none().output_dir(&out).identity_file(identity)
}

/// One compiled host.
#[derive(Clone, Debug)]
pub struct HostOutput {
    pub name: String,
    pub config: IgnitionConfig,
    /// Compact JSON with a trailing newline, as written.
    pub json: Vec<u8>,
    /// sha256 of `json`, hex: computed on the worker that compiled the
    /// host, so publishing (one thread) does not hash every output.
    pub sha256: String,
    /// Files the config was built from, relative to the fleet root.
    pub inputs: Vec<String>,
    /// What the config holds from `secrets/`: written 0600 if anything,
    /// the files masked wherever the config is shown.
    pub secrets: Secrets,
    /// Node path → the service that rendered it.
    pub file_services: BTreeMap<String, String>,
}

/// The result of compiling a fleet.
pub struct Build {
    pub outputs: Vec<HostOutput>,
    pub diagnostics: Diagnostics,
    /// Text of every file named in diagnostics (real and rendered), for
    /// annotated reports.
    pub texts: BTreeMap<String, String>,
    /// Host → its certificate that expires first (hosts whose config was
    /// compiled and that get certificates).
    pub cert_expiry: BTreeMap<String, certs::Expiry>,
    /// Selected hosts that got no output → their first error, as a raw
    /// line (`file:line:col: error[code] ...`).
    pub failed_hosts: BTreeMap<String, String>,
    /// `ports.lock` as this build leaves it (`build` writes it when it
    /// changes; `check` reports the changes).
    pub port_lock: ports::LockUpdate,
}

impl Build {
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// The first error of a host's findings, as a raw line.
fn first_error<'d>(findings: impl IntoIterator<Item = &'d Diagnostic>) -> Option<String> {
    findings
        .into_iter()
        .find(|d| d.is_error())
        .map(Diagnostic::raw)
}

struct HostResult {
    output: Option<HostOutput>,
    diagnostics: Vec<Diagnostic>,
    texts: Vec<(String, String)>,
    /// Set even when a certificate finding fails the host.
    cert_expiry: Option<certs::Expiry>,
}

impl HostResult {
    /// A host that failed: no output, its findings and texts.
    fn failed(
        diagnostics: Vec<Diagnostic>,
        texts: Vec<(String, String)>,
        cert_expiry: Option<certs::Expiry>,
    ) -> Self {
        HostResult {
            output: None,
            diagnostics,
            texts,
            cert_expiry,
        }
    }

    /// Drops the rendered texts no finding points at: annotated reports
    /// only need those, and 1,000 hosts' worth are tens of MiB.
    fn keep_cited_texts(&mut self) {
        let diagnostics = &self.diagnostics;
        self.texts.retain(|(name, _)| {
            diagnostics
                .iter()
                .any(|d| d.file.as_deref() == Some(name.as_str()))
        });
    }
}

/// What a worker did with one host: planned it and, if planning found no
/// error, compiled it.
struct HostDone {
    resolve_findings: Vec<Diagnostic>,
    accounts: Vec<fleetwide::AccountUse>,
    /// The named ports of a planned manifest host.
    ports: Option<Vec<ports::Picked>>,
    result: Option<HostResult>,
}

fn sort_key(diagnostic: &Diagnostic) -> (Option<String>, Option<crate::diag::Position>) {
    (diagnostic.file.clone(), diagnostic.position)
}

/// Loads, resolves and compiles the fleet. Writes nothing.
pub fn compile(options: &Options) -> Build {
    let exclusions = exclusions(
        &options.root,
        options.out.as_deref(),
        options.identities.file(),
    );
    let (inventory, load_findings) = load::load(&options.root, exclusions);
    // How the identity is kept is reported and counted with the build's
    // findings, first.
    let mut diagnostics = options.identities.diagnostics().clone();
    diagnostics.extend(load_findings);
    let mut build = Build {
        outputs: Vec::new(),
        diagnostics,
        texts: inventory.texts(),
        cert_expiry: BTreeMap::new(),
        failed_hosts: BTreeMap::new(),
        port_lock: ports::LockUpdate::default(),
    };
    if build.diagnostics.has_errors() {
        return build;
    }
    let templates = Templates::new(&inventory);
    build.diagnostics.extend(templates.check());
    build.texts.extend(builtin_template_texts());
    build
        .diagnostics
        .extend(fleetwide::unknown_hosts(&inventory, &options.hosts));
    let mut fleet_checks = resolve::Resolver::new(&inventory);
    fleet_checks.check_butane_hosts();
    build
        .diagnostics
        .extend(fleet_checks.diagnostics.into_vec());
    let selected: Vec<(&String, &load::HostSource)> =
        fleetwide::selected_hosts(&inventory, &options.hosts).collect();
    let done = compile_hosts(&inventory, &templates, options, &selected);
    let planned: BTreeMap<String, Vec<ports::Picked>> = done
        .iter()
        .zip(&selected)
        .filter_map(|(host, (name, _))| Some(((*name).clone(), host.ports.clone()?)))
        .collect();
    build.port_lock = ports::LockUpdate::new(inventory.port_lock.clone(), &planned, &|host| {
        !inventory.hosts.contains_key(host)
    });
    gather(&mut build, &inventory, done, &selected);
    build
        .diagnostics
        .extend(fleetwide::unused_broken_services(&inventory));
    build
}

/// The built-in templates' texts, by the label findings name them with.
fn builtin_template_texts() -> [(String, String); 2] {
    [
        (
            render::BUILTIN_CONTAINER,
            include_str!("fleet/templates/quadlet.container.j2"),
        ),
        (
            render::BUILTIN_ENV,
            include_str!("fleet/templates/service.env.j2"),
        ),
    ]
    .map(|(name, text)| (render::builtin_label(name), text.to_owned()))
}

/// Plans and compiles the `selected` hosts on rayon's threads, each plan
/// dropped as soon as its host is compiled (a plan holds a copy of every
/// service definition, ~160 KiB per 20-service host). A worker's memos
/// live for a run of hosts; results come back in host order, so findings
/// come out as from `fleetwide::plan_hosts`.
fn compile_hosts(
    inventory: &Inventory,
    templates: &Templates,
    options: &Options,
    selected: &[(&String, &load::HostSource)],
) -> Vec<HostDone> {
    let build_time = options.now.unwrap_or_else(now);
    selected
        .par_iter()
        .map_init(
            || {
                crate::encode::memoize_on_this_thread();
                let worker = Worker {
                    inventory,
                    templates,
                    options,
                    template_memo: render::TemplateMemo::new(templates),
                    quadlets: lint::QuadletMemo::default(),
                    snippets: assemble::SnippetMemo::default(),
                    decoded_urls: certs::DecodedUrlMemo::default(),
                    secrets: secrets::SecretReader::new(&inventory.dir, &options.identities),
                    now: build_time,
                };
                (resolve::Resolver::new(inventory), worker)
            },
            |(resolver, worker), (name, source)| {
                let (plan, failed) = resolver.plan_checked(name, source);
                let mut host = HostDone {
                    resolve_findings: std::mem::take(&mut resolver.diagnostics).into_vec(),
                    accounts: Vec::new(),
                    ports: None,
                    result: None,
                };
                if let Some(plan) = plan {
                    host.accounts = fleetwide::account_uses(name, &plan);
                    if let HostPlan::Manifest(manifest) = &plan {
                        host.ports = Some(manifest.ports.clone());
                    }
                    // A host whose plan has errors gets no output (it
                    // would lack what failed).
                    if !failed {
                        let plan = retarget(plan, options.target);
                        let mut result = worker.host(name, &plan);
                        result.keep_cited_texts();
                        host.result = Some(result);
                    }
                }
                host
            },
        )
        .collect()
}

/// Adds what the workers did for the `selected` hosts to `build`, with
/// the fleet-wide checks over it: hosts whose service users clash get no
/// output, and findings many hosts repeat are reported once.
fn gather(
    build: &mut Build,
    inventory: &Inventory,
    done: Vec<HostDone>,
    selected: &[(&String, &load::HostSource)],
) {
    let accounts: Vec<fleetwide::AccountUse> = done
        .iter()
        .flat_map(|host| host.accounts.iter().cloned())
        .collect();
    let mut results = Vec::new();
    let mut resolve_findings = Vec::new();
    for (host, (name, _)) in done.into_iter().zip(selected) {
        if host
            .result
            .as_ref()
            .and_then(|r| r.output.as_ref())
            .is_none()
        {
            let own = host.result.iter().flat_map(|r| &r.diagnostics);
            let reason = first_error(host.resolve_findings.iter().chain(own))
                .unwrap_or_else(|| "no output".to_owned());
            build.failed_hosts.insert((*name).clone(), reason);
        }
        resolve_findings.extend(host.resolve_findings);
        if let Some(expiry) = host.result.as_ref().and_then(|r| r.cert_expiry.clone()) {
            build.cert_expiry.insert((*name).clone(), expiry);
        }
        results.extend(host.result);
    }
    let (clashes, clashing_hosts) = fleetwide::check_account_ids(inventory, &accounts);
    for host in &clashing_hosts {
        if let Some(reason) = first_error(&clashes) {
            build.failed_hosts.entry(host.clone()).or_insert(reason);
        }
    }
    resolve_findings.extend(clashes);
    build.diagnostics.extend(fleetwide::dedup(resolve_findings));
    let mut host_findings = Vec::new();
    for result in results {
        build.texts.extend(result.texts);
        host_findings.extend(result.diagnostics);
        build.outputs.extend(
            result
                .output
                .filter(|output| !clashing_hosts.contains(&output.name)),
        );
    }
    // Findings shared by many hosts (a service used everywhere, a broken
    // template already reported) are reported once.
    let mut seen: std::collections::BTreeSet<String> =
        build.diagnostics.iter().map(Diagnostic::raw).collect();
    host_findings.retain(|d| seen.insert(d.raw()));
    host_findings.sort_by_key(sort_key);
    build.diagnostics.extend(host_findings);
}

/// A manifest host compiled for a newer spec than its manifest names (with
/// `--ignition-version`) is assembled with the Butane version of that spec:
/// manifests are no Butane files, so nothing pins the older version. Older
/// targets keep the manifest's version, so the Butane compiler translates
/// down and reports what the older spec cannot express.
fn retarget(plan: HostPlan, target: Option<Spec>) -> HostPlan {
    match (plan, target) {
        (HostPlan::Manifest(mut plan), Some(target)) if target > plan.version.spec() => {
            if let Some(version) = resolve::butane_version(plan.version.variant.as_str(), target) {
                plan.version = version;
            }
            HostPlan::Manifest(plan)
        }
        (plan, _) => plan,
    }
}

/// What one compile worker holds while it compiles hosts.
struct Worker<'a> {
    inventory: &'a Inventory,
    templates: &'a Templates,
    options: &'a Options,
    template_memo: render::TemplateMemo,
    quadlets: lint::QuadletMemo,
    snippets: assemble::SnippetMemo,
    decoded_urls: certs::DecodedUrlMemo,
    secrets: secrets::SecretReader<'a>,
    /// The build time, one for every host.
    now: i64,
}

impl Worker<'_> {
    fn cert_policy(&self) -> certs::Policy {
        certs::Policy {
            now: self.now,
            warning_days: self
                .inventory
                .fleet
                .cert_expiry_warning_days
                .unwrap_or(certs::DEFAULT_WARNING_DAYS),
        }
    }

    fn host(&mut self, name: &str, plan: &HostPlan) -> HostResult {
        let files_dir = FilesDir::within(&self.inventory.dir).with_secret_dir("secrets");
        let butane_options = butane::Options {
            files_dir: Some(files_dir.clone()),
            target: self.options.target,
            json: None,
            raw: false,
        };
        match plan {
            HostPlan::Butane { file, .. } => {
                let (file_name, text) = self
                    .inventory
                    .sources
                    .get(*file)
                    .map(|f| (f.name.clone(), f.text.clone()))
                    .unwrap_or_default();
                let mut outcome = butane::compile(&text, &file_name, &butane_options);
                let placed = self.butane_host_quadlets(*file, &text, &files_dir);
                if placed.iter().any(Diagnostic::is_error) {
                    outcome.config = None;
                }
                outcome.diagnostics.extend(placed);
                let mut inputs = vec![file_name.clone()];
                inputs.extend(fleet_inputs(self.inventory));
                inputs.extend(files_dir.reads().iter().map(|p| p.display().to_string()));
                let secrets = outcome.secrets;
                let mut diagnostics = outcome.diagnostics.into_vec();
                let mut cert_expiry = None;
                let output = outcome.config.and_then(|config| {
                    let source = crate::yaml::parse(&text).ok().flatten();
                    let located = |path: &str| {
                        let position = source
                            .as_ref()
                            .and_then(|node| butane_file_position(node, path))
                            .unwrap_or(Position::new(1, 1));
                        (certs::role_of_path(path), file_name.clone(), position)
                    };
                    let certs = certs::check(
                        &certs::placed_files(&config, &mut self.decoded_urls, located),
                        &self.cert_policy(),
                    );
                    let mut failed = certs.diagnostics.iter().any(Diagnostic::is_error);
                    diagnostics.extend(certs.diagnostics);
                    let variant = source
                        .as_ref()
                        .and_then(|node| node.get("variant")?.as_scalar().map(|v| v.text.clone()));
                    if let Some(root) = variant.as_deref().and_then(platform::Root::of_variant) {
                        let locate = |place: platform::Place<'_>| {
                            let (position, doc) = place.in_yaml(source.as_ref()?)?;
                            Some((file_name.clone(), position, doc))
                        };
                        let rules = platform::check(name, &config, root, &locate, &file_name);
                        failed |= rules.iter().any(Diagnostic::is_error);
                        diagnostics.extend(rules);
                    }
                    cert_expiry = certs.earliest;
                    let output = host_output(name, config, inputs, secrets, BTreeMap::new());
                    (!failed).then_some(output)
                });
                HostResult {
                    output,
                    diagnostics,
                    texts: Vec::new(),
                    cert_expiry,
                }
            }
            HostPlan::Manifest(plan) => self.manifest_host(name, plan, &butane_options, &files_dir),
        }
    }

    /// A manifest host: render its services, lint and assemble them, compile
    /// the Butane config, check what it places; the first step with an error
    /// ends it.
    fn manifest_host(
        &mut self,
        name: &str,
        plan: &ManifestPlan,
        butane_options: &butane::Options,
        files_dir: &FilesDir,
    ) -> HostResult {
        let rendered = self.render_services(plan);
        let mut diagnostics = rendered.diagnostics.clone();
        let locator = locate::Locator::new(&self.inventory.sources, self.templates);
        diagnostics.extend(lint::check(plan, &rendered, &locator, &mut self.quadlets));
        let (mut assembled, extra) =
            assemble::assemble(self.inventory, plan, &rendered, &mut self.snippets);
        diagnostics.append(&mut assembled.diagnostics);
        diagnostics.extend(self.placed_quadlets(plan, &rendered, &assembled, &extra, files_dir));
        let mut texts = rendered.virtual_files.clone();
        texts.extend(extra.0.iter().cloned());
        if diagnostics.iter().any(Diagnostic::is_error) {
            return HostResult::failed(diagnostics, texts, None);
        }
        let compiled = butane::compile_config(&assembled.config, plan.version, butane_options);
        for finding in compiled.findings {
            diagnostics.push(self.located_finding(name, plan, finding, &assembled, &extra));
        }
        let Some(config) = compiled
            .config
            .filter(|_| !diagnostics.iter().any(Diagnostic::is_error))
        else {
            return HostResult::failed(diagnostics, texts, None);
        };
        let mut decoded_urls = std::mem::take(&mut self.decoded_urls);
        let placed = certs::placed_files(&config, &mut decoded_urls, |path| {
            self.placed_file_origin(path, plan, &rendered, &assembled, &extra)
        });
        self.decoded_urls = decoded_urls;
        let certs = certs::check(&placed, &self.cert_policy());
        diagnostics.extend(certs.diagnostics);
        let locate = |place: platform::Place<'_>| {
            let doc = place.in_butane(&assembled.config)?;
            let (file, position) = assembled.provenance.locate(&doc)?;
            Some((
                extra.file_name(file, &self.inventory.sources),
                position,
                doc,
            ))
        };
        diagnostics.extend(platform::check(
            name,
            &config,
            platform::Root::of_os(&plan.os.0),
            &locate,
            &self.inventory.sources.name(plan.file),
        ));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return HostResult::failed(diagnostics, texts, certs.earliest);
        }
        let inputs = self.manifest_inputs(plan, &rendered, files_dir);
        let mut secrets = assembled.secrets;
        secrets.extend(compiled.secrets);
        let file_services = rendered
            .files
            .iter()
            .map(|f| (f.path.clone(), f.service.clone()))
            .collect();
        HostResult {
            output: Some(host_output(name, config, inputs, secrets, file_services)),
            cert_expiry: certs.earliest,
            diagnostics,
            texts,
        }
    }

    /// The files, directories and accounts of a manifest host's services.
    fn render_services(&mut self, plan: &ManifestPlan) -> render::Rendered {
        let mut renderer = Renderer {
            inventory: self.inventory,
            templates: self.templates,
            memo: &mut self.template_memo,
            secrets: &mut self.secrets,
            host: &plan.hostname,
            org: &plan.org,
            out: render::Rendered::default(),
        };
        for service in &plan.services {
            renderer.service(service);
        }
        renderer.out
    }

    /// Findings in the Quadlet files the assembled config places beyond the
    /// rendered ones (snippets, `butane:` fragments, `contents.local`).
    fn placed_quadlets(
        &mut self,
        plan: &ManifestPlan,
        rendered: &render::Rendered,
        assembled: &assemble::Assembled,
        extra: &assemble::ExtraSources,
        files_dir: &FilesDir,
    ) -> Vec<Diagnostic> {
        let sources = &self.inventory.sources;
        let text_of = |file: FileId| {
            extra
                .text(file)
                .map(str::to_owned)
                .or_else(|| sources.get(file).map(|source| source.text.clone()))
        };
        let placed: Vec<_> = assembled
            .fragments
            .iter()
            .flat_map(|node| butane::quadlets::placed(node, &text_of, Some(files_dir)))
            .collect();
        let rendered_units = rendered.quadlets.iter().map(|q| q.name.clone()).collect();
        let memo = &mut self.quadlets;
        butane::quadlets::check(
            &placed,
            &plan.podman_version,
            &rendered_units,
            plan.pinned_images,
            &mut |name, text, options| memo.validate_placed(name, text, options),
            &|file| extra.file_name(file, sources),
        )
    }

    /// A finding of the Butane compiler located at the manifest, snippet or
    /// fragment line that produced its path, naming the host.
    fn located_finding(
        &self,
        host: &str,
        plan: &ManifestPlan,
        mut finding: Diagnostic,
        assembled: &assemble::Assembled,
        extra: &assemble::ExtraSources,
    ) -> Diagnostic {
        let path = finding.path.clone().unwrap_or_default();
        if let Some((file, position)) = assembled.provenance.locate(&path) {
            finding.file = Some(extra.file_name(file, &self.inventory.sources));
            finding.position = Some(position);
        } else {
            finding.file = Some(self.inventory.sources.name(plan.file));
        }
        finding.message = format!("{} (host {host})", finding.message);
        finding
    }

    /// What a placed file at `path` is for the certificate checks (secret,
    /// trust anchor, or by its path) and where it comes from.
    fn placed_file_origin(
        &self,
        path: &str,
        plan: &ManifestPlan,
        rendered: &render::Rendered,
        assembled: &assemble::Assembled,
        extra: &assemble::ExtraSources,
    ) -> (certs::Role, String, Position) {
        let name = |file| extra.file_name(file, &self.inventory.sources);
        if let Some(file) = rendered.files.iter().find(|f| f.path == path) {
            let trust = plan.services.iter().any(|s| {
                s.name == file.service
                    && path.rsplit_once('/').map(|p| p.0) == Some(&s.paths.trust_dir)
            });
            let role = match (file.secret, trust) {
                (true, _) => certs::Role::Secret,
                (false, true) => certs::Role::Trust,
                (false, false) => certs::role_of_path(path),
            };
            return (role, name(file.origin.file), file.origin.position);
        }
        let index = assembled
            .config
            .storage
            .files
            .iter()
            .position(|f| f.path == path);
        let at = index.and_then(|i| {
            let path = crate::diag::DocPath::root()
                .key("storage")
                .key("files")
                .index(i);
            assembled.provenance.locate(&path)
        });
        let (file, position) = at.unwrap_or((plan.file, Position::new(1, 1)));
        (certs::role_of_path(path), name(file), position)
    }

    /// Every fleet file a manifest host's output depends on.
    fn manifest_inputs(
        &self,
        plan: &ManifestPlan,
        rendered: &render::Rendered,
        files_dir: &FilesDir,
    ) -> Vec<String> {
        let sources = &self.inventory.sources;
        let mut inputs = fleet_inputs(self.inventory);
        inputs.push(sources.name(plan.file));
        for service in &plan.services {
            match self.inventory.services.get(&service.name) {
                Some(
                    load::ServiceSource::Definition { file, .. }
                    | load::ServiceSource::Broken { file, .. },
                ) => inputs.push(sources.name(*file)),
                Some(load::ServiceSource::Quadlets(files)) => {
                    for quadlet in files {
                        inputs.push(sources.name(quadlet.file));
                        inputs.extend(quadlet.dropins.iter().map(|(_, f)| sources.name(*f)));
                    }
                }
                None => {}
            }
        }
        inputs.extend(self.inventory.templates.values().map(|f| sources.name(*f)));
        inputs.extend(plan.includes.iter().map(|(path, _)| path.clone()));
        if !plan.ports.is_empty() && self.inventory.port_lock.is_some() {
            inputs.push(ports::LOCK_FILE.to_owned());
        }
        inputs.extend(files_dir.reads().iter().map(|p| p.display().to_string()));
        inputs.extend(rendered.inputs.iter().cloned());
        inputs
    }
}

/// The clock, in seconds since the Unix epoch.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Worker<'_> {
    /// Findings in the Quadlet files a plain `hosts/<host>.bu` places; its
    /// syntax and schema errors are the Butane compiler's to report.
    fn butane_host_quadlets(
        &mut self,
        file: FileId,
        text: &str,
        files_dir: &FilesDir,
    ) -> Vec<Diagnostic> {
        let Ok(Some(root)) = crate::yaml::parse_file(text, file) else {
            return Vec::new();
        };
        let text_of = |_| Some(text.to_owned());
        let placed = butane::quadlets::placed(&root, &text_of, Some(files_dir));
        if placed.is_empty() {
            return Vec::new();
        }
        let fleet = &self.inventory.fleet;
        let podman_version = fleet
            .podman_version
            .as_deref()
            .and_then(|text| semver::Version::parse(text).ok())
            .unwrap_or(crate::quadlet::DEFAULT_PODMAN_VERSION);
        let pinned = fleet.image_policy.as_deref() != Some("open");
        let memo = &mut self.quadlets;
        let name = self.inventory.sources.name(file);
        butane::quadlets::check(
            &placed,
            &podman_version,
            &std::collections::BTreeSet::new(),
            pinned,
            &mut |unit, text, options| memo.validate_placed(unit, text, options),
            &|_| name.clone(),
        )
    }
}

fn fleet_inputs(inventory: &Inventory) -> Vec<String> {
    inventory
        .fleet_file
        .map(|f| inventory.sources.name(f))
        .into_iter()
        .collect()
}

fn host_output(
    name: &str,
    config: IgnitionConfig,
    mut inputs: Vec<String>,
    secrets: Secrets,
    file_services: BTreeMap<String, String>,
) -> HostOutput {
    inputs.sort();
    inputs.dedup();
    let json = butane::to_json(&config, butane::JsonStyle::Compact);
    HostOutput {
        name: name.to_owned(),
        sha256: crate::digest::sha256_hex(&json),
        json,
        config,
        inputs,
        secrets,
        file_services,
    }
}

/// Where a plain Butane host's `storage.files` entry for `path` starts.
fn butane_file_position(root: &crate::yaml::Node, path: &str) -> Option<Position> {
    let files = root.get("storage")?.get("files")?;
    let crate::yaml::Value::Sequence(items) = &files.value else {
        return None;
    };
    items
        .iter()
        .find(|item| {
            item.get("path")
                .and_then(crate::yaml::Node::as_scalar)
                .is_some_and(|p| p.text == path)
        })
        .map(|item| item.position)
}
