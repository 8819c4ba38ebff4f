//! The Butane compiler: Butane YAML → Ignition, a drop-in for `butane`.
//!
//! [`compile`] runs the stages in order — load (YAML with positions), decode
//! for the declared variant/version, Butane's source checks, translate (with
//! sugar), output checks (variant filters, fcos partition checks), Ignition's
//! semantic rules and the official JSON schema of the target spec — and
//! returns the config plus every finding located at its source line and
//! column. Nothing here prints or writes files.

pub mod check;
pub mod files_dir;
pub mod model;
pub mod openshift;
pub mod quadlets;
pub mod sugar;
pub mod translate;
pub mod translation_map;
pub mod translator;
pub mod version;

use crate::diag::{Code, Diagnostic, Diagnostics, DocPath, Position};
use crate::ignition::model::Config as IgnitionConfig;
use crate::ignition::spec::{self, Spec};
use crate::secret::Secrets;
use crate::yaml::{self, Node, de::Decoder};
use files_dir::FilesDir;
use translator::Translator;
use version::Version;

/// How to compile.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where `local` files are read from (`-d/--files-dir`).
    pub files_dir: Option<FilesDir>,
    /// Emit this spec instead of the one the Butane version maps to. Newer
    /// specs are supersets (Ignition itself translates old configs up); an
    /// older one is allowed when the config uses nothing it lacks.
    pub target: Option<Spec>,
    /// Also serialize the config that passes (see [`to_json`]), into
    /// [`Outcome::json`]. A config that embeds large files is serialized on
    /// a second thread while it is being validated.
    pub json: Option<JsonStyle>,
    /// `--raw`: for openshift, the bare Ignition config is the output, and
    /// the MachineConfig-only fields set are reported as ignored.
    pub raw: bool,
}

/// How [`to_json`] lays out the JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonStyle {
    Compact,
    Pretty,
}

/// The result of compiling one document.
#[derive(Debug)]
pub struct Outcome {
    /// The Ignition config, unless an error was found.
    pub config: Option<IgnitionConfig>,
    /// The config serialized, when [`Options::json`] asked for it.
    pub json: Option<Vec<u8>>,
    /// Every finding, located in the source file.
    pub diagnostics: Diagnostics,
    /// What the config holds from the files dir's secret directories.
    pub secrets: Secrets,
    /// For openshift: the MachineConfig around the config (written unless
    /// [`Options::raw`]).
    pub machine_config: Option<openshift::MachineConfig>,
    /// When the config failed: the reason as Butane words it after `Error
    /// translating config: ` (e.g. `source config is invalid`, or go-yaml's
    /// `Error unmarshaling yaml: yaml: line 3: did not find expected key`).
    pub butane_error: Option<String>,
}

impl Outcome {
    fn failed(diagnostics: Diagnostics, butane_error: Option<String>) -> Self {
        let butane_error = butane_error.unwrap_or_else(|| {
            // Butane stops with "source config is invalid" unless only the
            // generated config's Ignition validation failed.
            let generated = diagnostics
                .iter()
                .filter(|d| d.is_error())
                .all(|d| d.code.as_str().starts_with("ignition-"));
            if generated {
                "config generated was invalid"
            } else {
                "source config is invalid"
            }
            .to_owned()
        });
        Outcome {
            config: None,
            json: None,
            diagnostics,
            secrets: Secrets::default(),
            machine_config: None,
            butane_error: Some(butane_error),
        }
    }
}

/// What a document that compiled yields: the config, its JSON (when asked
/// for), what it holds from secret directories, and an openshift
/// MachineConfig around it.
type Passed = (
    IgnitionConfig,
    Option<Vec<u8>>,
    Secrets,
    Option<openshift::MachineConfig>,
);

/// Compiles Butane `source` (named `file` in diagnostics).
pub fn compile(source: &str, file: &str, options: &Options) -> Outcome {
    let mut diagnostics = Diagnostics::new();
    let mut fatal = None;
    let outcome = compile_document(source, options, &mut diagnostics, &mut fatal);
    diagnostics.set_file(file);
    match outcome {
        Some((config, json, secrets, machine_config)) if !diagnostics.has_errors() => Outcome {
            config: Some(config),
            json,
            diagnostics,
            secrets,
            machine_config,
            butane_error: None,
        },
        _ => Outcome::failed(diagnostics, fatal),
    }
}

/// Butane's words for go-yaml failing to decode `node` into a string
/// (`variant`, `version`).
fn not_a_string(node: &Node) -> String {
    let tag = if matches!(node.value, yaml::Value::Mapping(_)) {
        "map"
    } else {
        "seq"
    };
    format!(
        "Error unmarshaling yaml: yaml: unmarshal errors:\n  line {}: cannot unmarshal !!{tag} into string",
        node.position.line
    )
}

/// Reads `variant` and `version` and finds the matching translator; on
/// failure `fatal` gets Butane's reason.
fn version_of(
    root: &Node,
    diagnostics: &mut Diagnostics,
    fatal: &mut Option<String>,
) -> Option<Version> {
    let text = |key: &str| {
        root.get(key)
            .and_then(Node::as_scalar)
            .map(|s| s.text.clone())
    };
    if let Some(node) = root
        .get("variant")
        .filter(|node| node.as_scalar().is_none())
    {
        let found = yaml::de::describe(node);
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneInvalidVariant,
                format!("variant must be a string, found {found}"),
            )
            .at(DocPath::root().key("variant"))
            .at_position(node.position)
            .with_help("write the variant as a plain word: `variant: fcos` (or flatcar)"),
        );
        *fatal = Some(not_a_string(node));
        return None;
    }
    let Some(variant) = text("variant").filter(|v| !v.is_empty()) else {
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneMissingVariant,
                "error parsing variant; must be specified",
            )
            .at(DocPath::root().key("variant"))
            .at_position(root.position)
            .with_help("start the config with `variant: fcos` (or flatcar) and a `version:`"),
        );
        *fatal = Some("error parsing variant; must be specified".to_owned());
        return None;
    };
    let version_node = root.get("version");
    let position = version_node.map_or(root.position, |node| node.position);
    if let Some(node) = version_node.filter(|node| node.as_scalar().is_none()) {
        let found = yaml::de::describe(node);
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneInvalidVersion,
                format!("version must be a version string, found {found}"),
            )
                .at(DocPath::root().key("version"))
                .at_position(position)
                .with_help("`{...}` is a YAML mapping: replace template placeholders before compiling, e.g. `version: 1.5.0`"),
        );
        *fatal = Some(not_a_string(node));
        return None;
    }
    // Butane parses the version with go-semver and looks its translator up
    // by the parsed version printed back (`01.5.0` is 1.5.0).
    let written = text("version").unwrap_or_default();
    let Some(version) = crate::go::semver::parse(&written).map(|v| v.to_string()) else {
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneInvalidVersion,
                "error parsing version; must be a valid semver",
            )
            .at(DocPath::root().key("version"))
            .at_position(position)
            .with_help("write the full version, e.g. `version: 1.5.0`"),
        );
        *fatal = Some("error parsing version; must be a valid semver".to_owned());
        return None;
    };
    let found = Version::find(&variant, &version);
    if variant == "rhcos" && version == "0.1.0" {
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneRhcosRemoved,
                "rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/",
            )
            .at(DocPath::root().key("variant"))
            .at_position(root.get("variant").map_or(root.position, |node| node.position))
            .with_help("write `variant: openshift` with an OpenShift version, e.g. `version: 4.8.0`"),
        );
        *fatal = Some("rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/".to_owned());
        return None;
    }
    if found.is_none() {
        *fatal = Some(format!(
            "No translator exists for variant {variant} with version {version}"
        ));
        let known: Vec<String> = version::SUPPORTED
            .iter()
            .filter(|v| v.variant.as_str() == variant)
            .map(|v| v.version_string())
            .collect();
        let help = if known.is_empty() {
            "supported variants are fcos, flatcar, openshift, r4e and fiot".to_owned()
        } else {
            format!("supported {variant} versions: {}", known.join(", "))
        };
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneUnknownVersion,
                format!("no translator exists for variant {variant} with version {version}"),
            )
            .at(DocPath::root().key("version"))
            .at_position(position)
            .with_help(help),
        );
    }
    found
}

fn compile_document(
    source: &str,
    options: &Options,
    diagnostics: &mut Diagnostics,
    fatal: &mut Option<String>,
) -> Option<Passed> {
    let root = match yaml::parse(source) {
        Ok(Some(root)) => root,
        Ok(None) => {
            diagnostics.push(
                Diagnostic::error(Code::ButaneEmptyConfig, "the config is empty")
                    .with_help("a Butane config needs at least `variant:` and `version:`"),
            );
            *fatal = Some("error parsing variant; must be specified".to_owned());
            return None;
        }
        Err(error) => {
            diagnostics.push(syntax_error(&error));
            *fatal = Some(match &error.go_yaml {
                Some(go) => format!("Error unmarshaling yaml: {}", go.message()),
                None => format!("Error unmarshaling yaml: {}", error.message),
            });
            return None;
        }
    };
    if !matches!(root.value, yaml::Value::Mapping(_)) && !root.is_null() {
        diagnostics.push(
            Diagnostic::error(
                Code::ButaneNotAMapping,
                "a Butane config must be a mapping of keys to values",
            )
            .at_position(root.position),
        );
        return None;
    }
    let version = version_of(&root, diagnostics, fatal)?;
    let decoder = Decoder::new(&version);
    let decoded: Result<model::Config, _> = decoder.decode(&root);
    diagnostics.extend(decoder.into_warnings());
    let butane = match decoded {
        Ok(config) => config,
        Err(error) => {
            let diagnostic = error.into_diagnostic();
            // go-yaml's frame and line; the words after them are kindling's
            // (go-yaml names Butane's Go types: `cannot unmarshal !!str
            // `0644` into int`), and only the first such error is listed.
            *fatal = Some(format!(
                "Error unmarshaling yaml: yaml: unmarshal errors:\n  line {}: {}",
                diagnostic.position.map_or(0, |p| p.line),
                diagnostic.message
            ));
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let compiled = compile_config(&butane, version, options);
    for mut finding in compiled.findings {
        if finding.position.is_none() {
            let path = finding.path.clone().unwrap_or_default();
            finding.position = Some(root.position_of(&path));
        }
        diagnostics.push(finding);
    }
    compiled.config.map(|config| {
        (
            config,
            compiled.json,
            compiled.secrets,
            compiled.machine_config,
        )
    })
}

/// A YAML syntax error located where Butane's go-yaml reports it (see
/// [`yaml::GoYamlLine`]); where that is not the offending token, the help
/// says where the token is.
fn syntax_error(error: &yaml::YamlError) -> Diagnostic {
    let located = error
        .go_yaml
        .as_ref()
        .and_then(|go| Some(Position::new(go.line?, go.column)));
    match located {
        Some(position) if position.line != error.position.line => {
            Diagnostic::error(Code::YamlSyntax, error.message.clone())
                .at_position(position)
                .with_help(format!(
                    "line {} is where Butane (go-yaml) reports it; the offending token is at line {}, column {}",
                    position.line, error.position.line, error.position.column
                ))
        }
        Some(position) => {
            Diagnostic::error(Code::YamlSyntax, error.message.clone()).at_position(position)
        }
        None => Diagnostic::error(Code::YamlSyntax, error.message.clone())
            .at_position(error.position),
    }
}

/// A typed Butane config compiled to Ignition.
#[derive(Debug)]
pub struct Compiled {
    /// The config, unless `findings` has errors.
    pub config: Option<IgnitionConfig>,
    /// The config serialized, when [`Options::json`] asked for it and the
    /// config passed.
    pub json: Option<Vec<u8>>,
    /// Every finding, keyed by the YAML path of the Butane source it is
    /// about (not yet located in a file).
    pub findings: Vec<Diagnostic>,
    /// What the config holds from the files dir's secret directories.
    pub secrets: Secrets,
    /// For openshift: the MachineConfig around the config.
    pub machine_config: Option<openshift::MachineConfig>,
}

/// Configs embedding more than this many bytes of file contents are
/// serialized on a second (rayon) thread while they are validated: serializing
/// and validating the 20 MB data URL of a 64 MiB log file take ~25 ms
/// each, but a thread costs more than either for a typical config.
const SERIALIZE_ALONGSIDE_BYTES: usize = 1 << 20;

/// Bytes of file contents `config` embeds.
fn embedded_bytes(config: &IgnitionConfig) -> usize {
    config
        .storage
        .files
        .iter()
        .flat_map(|file| std::iter::once(&file.contents).chain(&file.append))
        .filter_map(|resource| resource.source.as_ref())
        .map(String::len)
        .sum()
}

/// Runs Butane's checks, translation and Ignition validation on a typed
/// config. Used by the Butane front-end and by the fleet compiler, which
/// assembles Butane-level configs itself.
pub fn compile_config(butane: &model::Config, version: Version, options: &Options) -> Compiled {
    let mut source_findings = check::source(butane, version);
    let is_openshift = openshift::is_openshift(version);
    if is_openshift {
        source_findings.extend(openshift::source(butane, version));
        if options.raw {
            source_findings.extend(openshift::raw_warnings(butane));
        }
    }
    let mut translator = Translator::new(version, options.files_dir.as_ref());
    let user = translate::translate(&mut translator, butane);
    let config = sugar::apply(&mut translator, butane, user);
    let translation = translator.finish(config);
    source_findings.extend(translation.diagnostics);
    source_findings.extend(check_inline_children(butane, version.spec()));
    let mut config = translation.config;
    let mut map = translation.map;
    if is_openshift {
        openshift::desugar(&mut config, butane, version, &mut map);
    }
    let secrets = translation.secrets;
    let mut output_findings = check::variant_filters(&config, version);
    output_findings.extend(check::output(&config, version));
    output_findings.extend(crate::validate::unsafe_values(&config));
    let spec = match options.target {
        Some(target) => retarget(&mut config, target, &mut output_findings),
        None => Some(version.spec()),
    };
    let mut json = None;
    if let Some(spec) = spec
        && !has_errors(&source_findings)
        && !has_errors(&output_findings)
    {
        let validate = || {
            let mut findings = crate::validate::semantic(&config, spec);
            findings.extend(crate::validate::schema(&config, spec));
            findings
        };
        let findings = match options.json {
            Some(style) if embedded_bytes(&config) > SERIALIZE_ALONGSIDE_BYTES => {
                let (findings, serialized) = rayon::join(validate, || to_json(&config, style));
                json = Some(serialized);
                findings
            }
            _ => validate(),
        };
        output_findings.extend(findings);
    }
    let mut findings = source_findings;
    for mut finding in output_findings {
        if let Some(path) = finding.path.as_ref() {
            finding.path = Some(if *path == DocPath::root().key("ignition").key("version") {
                DocPath::root().key("version")
            } else {
                map.source_of(path)
            });
        }
        findings.push(finding);
    }
    let failed = spec.is_none() || has_errors(&findings);
    if failed {
        return Compiled {
            config: None,
            json: None,
            findings,
            secrets,
            machine_config: None,
        };
    }
    // Serialized here unless it already was, alongside validation.
    let json = options
        .json
        .map(|style| json.unwrap_or_else(|| to_json(&config, style)));
    Compiled {
        config: Some(config),
        json,
        findings,
        secrets,
        machine_config: is_openshift.then(|| openshift::MachineConfig::of(butane)),
    }
}

/// Butane parses inline child configs of `ignition.config.merge` and
/// `replace` as Ignition of the same spec and validates them. Findings are
/// reported at the `inline` key, naming the path inside the child.
fn check_inline_children(config: &model::Config, spec: Spec) -> Vec<Diagnostic> {
    let base = DocPath::root().key("ignition").key("config");
    let merge = config
        .ignition
        .config
        .merge
        .iter()
        .enumerate()
        .map(|(index, resource)| (base.key("merge").index(index), resource));
    let replace = std::iter::once((base.key("replace"), &config.ignition.config.replace));
    let mut found = Vec::new();
    for (path, resource) in merge.chain(replace) {
        let (Some(inline), None, None) = (&resource.inline, &resource.local, &resource.source)
        else {
            continue;
        };
        let at = path.key("inline");
        let child: IgnitionConfig = match serde_json::from_slice(inline) {
            Ok(child) => child,
            Err(error) => {
                found.push(
                    Diagnostic::error(
                        Code::ButaneInlineInvalid,
                        format!("config is not valid: {error}"),
                    )
                    .at(at)
                    .with_help("an inline child config must be Ignition JSON"),
                );
                continue;
            }
        };
        if Spec::parse(&child.ignition.version) != Some(spec) {
            if crate::go::semver::parse(&child.ignition.version).is_some() {
                found.push(Diagnostic::warning(Code::ButaneInlineUnknownVersion, format!(
                    "skipping validation for the merge/replace ignition config due to an unknown version ({}; this config is {spec})",
                    child.ignition.version
                )).at(at));
                continue;
            }
            found.push(
                Diagnostic::error(
                    Code::ButaneInlineInvalid,
                    "invalid config version (couldn't parse) in the inline config",
                )
                .at(at.clone()),
            );
            continue;
        }
        for finding in crate::validate::semantic(&child, spec) {
            let inner = finding.path.map(|p| p.to_string()).unwrap_or_default();
            let mut diagnostic = Diagnostic::new(
                finding.severity,
                finding.code,
                format!("in the inline config at {inner}: {}", finding.message),
            )
            .at(at.clone());
            diagnostic.help = finding.help;
            found.push(diagnostic);
        }
    }
    found
}

fn has_errors(findings: &[Diagnostic]) -> bool {
    findings.iter().any(Diagnostic::is_error)
}

/// Switches `config` to the `target` spec if it allows that.
fn retarget(
    config: &mut IgnitionConfig,
    target: Spec,
    findings: &mut Vec<Diagnostic>,
) -> Option<Spec> {
    let mut blocked = false;
    for requirement in spec::requirements(config) {
        if requirement.spec > target {
            blocked = true;
            findings.push(
                Diagnostic::error(
                    Code::ButaneNeedsNewerSpec,
                    format!(
                        "{} needs Ignition spec {} or newer; cannot emit {target}",
                        requirement.what, requirement.spec
                    ),
                )
                .at(requirement.path)
                .with_help(format!("remove it or target Ignition {}", requirement.spec)),
            );
        }
    }
    if blocked {
        return None;
    }
    spec::retarget(config, target);
    Some(target)
}

/// Serializes `config` as Butane does: compact or two-space pretty JSON and
/// a trailing newline.
pub fn to_json(config: &IgnitionConfig, style: JsonStyle) -> Vec<u8> {
    thread_local! {
        /// Grown once per thread and reused: a fleet serializes thousands of
        /// configs of tens of KiB, and growing a fresh buffer by doubling
        /// for each one shows up in profiles.
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    const HAND_OVER_BYTES: usize = 1 << 20;
    let serialize = |buffer: &mut Vec<u8>| {
        buffer.clear();
        let result = match style {
            JsonStyle::Pretty => serde_json::to_writer_pretty(&mut *buffer, config),
            JsonStyle::Compact => serde_json::to_writer(&mut *buffer, config),
        };
        // Serializing plain structs of strings, numbers and bools cannot
        // fail; should it, the output is empty rather than truncated.
        if result.is_err() {
            buffer.clear();
        }
        // A large output (a big `contents.local`) is handed over rather
        // than copied; the next call grows a fresh buffer.
        if buffer.len() > HAND_OVER_BYTES {
            let mut bytes = std::mem::take(buffer);
            bytes.push(b'\n');
            return bytes;
        }
        let mut bytes = Vec::with_capacity(buffer.len() + 1);
        bytes.extend_from_slice(buffer);
        bytes.push(b'\n');
        bytes
    };
    SCRATCH
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut buffer) => serialize(&mut buffer),
            Err(_) => serialize(&mut Vec::new()),
        })
        .unwrap_or_else(|_| serialize(&mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config placing `local` (written with `contents`) from a fresh
    /// files directory.
    fn compile_local(contents: &[u8], json: Option<JsonStyle>) -> Outcome {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("data.log"), contents).expect("write");
        let source = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /var/log/data.log\n      contents:\n        local: data.log\n";
        let options = Options {
            files_dir: Some(FilesDir::open(dir.path()).expect("files dir")),
            target: None,
            json,
            raw: false,
        };
        compile(source, "local.bu", &options)
    }

    #[test]
    fn json_made_alongside_validation_is_to_json() {
        // Incompressible, so its data URL is over the threshold.
        let mut state: u32 = 0x9e37_79b9;
        let text: Vec<u8> = (0..SERIALIZE_ALONGSIDE_BYTES)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state.to_le_bytes()[0]
            })
            .collect();
        for contents in [&text[..], b"small\n"] {
            for style in [JsonStyle::Compact, JsonStyle::Pretty] {
                let outcome = compile_local(contents, Some(style));
                let config = outcome.config.expect("compiles");
                let big = embedded_bytes(&config) > SERIALIZE_ALONGSIDE_BYTES;
                assert_eq!(big, contents.len() > 1000, "{style:?}");
                let expected = to_json(&config, style);
                assert!(outcome.json == Some(expected), "{style:?}, big: {big}");
            }
        }
        let unasked = compile_local(b"small\n", None);
        assert!(unasked.config.is_some() && unasked.json.is_none());
    }

    /// Versions are read as Butane reads them (go-semver, then looked up as
    /// printed back), not by the stricter `semver` crate.
    #[test]
    fn version_grammar_is_go_semvers() {
        let options = Options {
            files_dir: None,
            target: None,
            json: None,
            raw: false,
        };
        let messages = |version: &str| {
            let source = format!("variant: fcos\nversion: {version}\n");
            let outcome = compile(&source, "v.bu", &options);
            let messages: Vec<String> = outcome
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect();
            (outcome.config.map(|c| c.ignition.version), messages)
        };
        assert_eq!(messages("01.5.0"), (Some("3.4.0".to_owned()), Vec::new()));
        assert_eq!(
            messages("1.5"),
            (
                None,
                vec!["error parsing version; must be a valid semver".to_owned()]
            )
        );
        assert_eq!(
            messages("1.5.0+build"),
            (
                None,
                vec!["no translator exists for variant fcos with version 1.5.0+build".to_owned()]
            )
        );
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    /// What a config places from the files dir's secret directory is
    /// flagged where it is placed: files by node path, anything else (a
    /// LUKS key file) as the config as a whole.
    #[test]
    fn placements_from_a_secret_dir_are_flagged() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in [
            ("secrets/key", "k"),
            ("secrets/tree/a", "a"),
            ("secrets/luks", "l"),
            ("motd", "m"),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let options = Options {
            files_dir: Some(
                FilesDir::open(dir.path())
                    .expect("files dir")
                    .with_secret_dir("secrets"),
            ),
            target: None,
            json: None,
            raw: false,
        };
        let files = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/key\n      contents: { local: ./motd/../secrets/key }\n    - path: /etc/motd\n      contents: { local: motd }\n  trees:\n    - local: secrets/tree\n      path: /etc/t\n";
        let outcome = compile(files, "files.bu", &options);
        assert!(outcome.config.is_some(), "{:?}", outcome.diagnostics);
        assert_eq!(
            outcome.secrets.files().collect::<Vec<_>>(),
            ["/etc/key", "/etc/t/a"]
        );
        let luks = "variant: fcos\nversion: 1.5.0\nstorage:\n  luks:\n    - name: data\n      device: /dev/vdb\n      key_file: { local: secrets/luks }\n";
        let outcome = compile(luks, "luks.bu", &options);
        assert!(outcome.config.is_some(), "{:?}", outcome.diagnostics);
        assert!(outcome.secrets.any());
        assert_eq!(outcome.secrets.files().count(), 0);
        let public = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents: { local: motd }\n";
        assert!(!compile(public, "public.bu", &options).secrets.any());
    }
}
