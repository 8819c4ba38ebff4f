//! From a path (or standard input) to a typed Ignition [`Config`]: the one
//! way every command that takes a config file gets one (`inspect`, `diff`,
//! `vm`, and `build --diff` for the configs already written).
//!
//! [`ConfigSource::read`] reads an input and classifies it (by extension,
//! then by content) as Ignition JSON, a Butane config or a fleet host
//! manifest; [`ConfigSource::load`] turns it into a [`Loaded`] config:
//! Ignition is parsed ([`parse_ignition`]), Butane is compiled, and a fleet
//! host manifest (`hosts/<host>.yaml`) is compiled with the fleet it
//! belongs to (the directory above `hosts/`), its secret paths included.
//! [`read_input`] and [`butane_text`] are the reading and decoding steps on
//! their own, for `kindling butane`, which takes Butane only.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::butane::{self, files_dir::FilesDir};
use crate::confine::{ConfineError, SOURCE_LIMIT, read_named_file};
use crate::diag::{self, Diagnostics};
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;
use crate::secret::Secrets;
use crate::yaml;

/// What kind of document an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Ignition JSON, any spec 3.0.0 – 3.7.0-experimental.
    Ignition,
    /// A Butane config (`variant:` + `version:`), compiled on the fly.
    Butane,
    /// A fleet host manifest (`hosts/<host>.yaml`), compiled with its fleet.
    FleetHost,
}

/// One input document with its display name.
#[derive(Clone, Debug)]
pub struct ConfigSource {
    pub name: String,
    pub path: Option<PathBuf>,
    pub kind: SourceKind,
    bytes: Vec<u8>,
}

/// What loading needs besides the document.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Directory that Butane `local` paths are read from.
    pub files_dir: Option<FilesDir>,
    /// The Ignition spec to emit for Butane and fleet hosts (default: the
    /// one their version maps to).
    pub target: Option<Spec>,
    /// age identity for a fleet host's secrets: a file, or the value of
    /// `KINDLING_AGE_IDENTITY`.
    pub identity: Option<PathBuf>,
    pub identity_env: Option<String>,
}

/// A loaded config.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub spec: Spec,
    /// Findings of the Butane compiler (warnings only; errors fail `load`).
    pub diagnostics: Diagnostics,
    /// What the config holds from a fleet's `secrets/` (fleet hosts only);
    /// `inspect` and `diff` mask it.
    pub secrets: Secrets,
}

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("reading {what}")]
    Read {
        /// The path, or `standard input`.
        what: String,
        #[source]
        source: io::Error,
    },
    /// Not a regular file (a FIFO, `/dev/zero`), or over the size cap.
    #[error(transparent)]
    Refused(crate::confine::ConfineError),
    #[error("{name}: invalid Ignition config at {path}: {message}")]
    Json {
        name: String,
        path: String,
        message: String,
    },
    #[error("{name}: the Ignition config has no ignition.version")]
    MissingVersion { name: String },
    #[error(
        "{name}: unsupported Ignition spec version {version:?}; kindling reads {}",
        Spec::ALL.map(Spec::as_str).join(", ")
    )]
    UnsupportedVersion { name: String, version: String },
    #[error(
        "{name}:{line}:{column}: error: the file is not UTF-8 text (invalid byte 0x{byte:02x}); \
         a Butane config must be YAML text"
    )]
    NotUtf8 {
        name: String,
        line: usize,
        column: usize,
        byte: u8,
    },
    #[error("{name}: the Butane config has errors")]
    Butane {
        name: String,
        /// The source text, for annotating the findings.
        source_text: String,
        diagnostics: Diagnostics,
    },
    #[error(
        "{name}: this is a fleet host manifest, and its fleet is found from its path \
         (FLEET/hosts/<host>.yaml): pass that path, or compile it with `kindling build` \
         and pass build/<host>.ign"
    )]
    FleetHost { name: String },
    #[error("{name}: the fleet host does not compile:\n{report}")]
    Fleet { name: String, report: String },
    #[error(
        "{name}: not an Ignition config (a JSON object with ignition.version) \
         nor a Butane config (YAML with variant: and version:)"
    )]
    Unrecognized { name: String },
}

impl ConfigSource {
    /// Reads `input` (`None` or `-`: standard input) and classifies it.
    pub fn read(input: Option<&Path>) -> Result<Self, SourceError> {
        let (bytes, name) = read_input(input)?;
        let path = input.filter(|p| *p != Path::new("-"));
        Ok(ConfigSource::new(name, path, bytes))
    }

    /// Classifies `bytes`, read from `path` (or stdin when `None`).
    pub fn new(name: impl Into<String>, path: Option<&Path>, bytes: Vec<u8>) -> Self {
        let kind = classify(path, &bytes);
        ConfigSource {
            name: name.into(),
            path: path.map(Path::to_path_buf),
            kind,
            bytes,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The Ignition config this source describes.
    pub fn load(&self, options: &LoadOptions) -> Result<Loaded, SourceError> {
        match self.kind {
            SourceKind::Ignition => {
                let (config, spec) = parse_ignition(&self.bytes, &self.name)?;
                Ok(Loaded {
                    config,
                    spec,
                    diagnostics: Diagnostics::new(),
                    secrets: Secrets::default(),
                })
            }
            SourceKind::Butane => self.compile_butane(options),
            SourceKind::FleetHost => self.compile_fleet_host(options),
        }
    }

    /// Compiles `hosts/<host>.yaml` with the fleet it belongs to (the
    /// directory above `hosts/`).
    fn compile_fleet_host(&self, options: &LoadOptions) -> Result<Loaded, SourceError> {
        let not_loadable = || SourceError::FleetHost {
            name: self.name.clone(),
        };
        let path = self.path.as_ref().ok_or_else(not_loadable)?;
        let host = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(not_loadable)?
            .to_owned();
        let root = path
            .parent()
            .and_then(Path::parent)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .ok_or_else(not_loadable)?;
        let identities = crate::fleet::secrets::Identities::load(
            options.identity.as_deref(),
            options.identity_env.as_deref(),
        )
        .map_err(|e| SourceError::Fleet {
            name: self.name.clone(),
            report: format!("{e} ({})", e.help()),
        })?;
        let build = crate::fleet::compile(&crate::fleet::Options {
            root: root.to_path_buf(),
            hosts: vec![host.clone()],
            target: options.target,
            identities,
            now: None,
            out: None,
        });
        let output = build
            .outputs
            .into_iter()
            .find(|o| o.name == host)
            .filter(|_| !build.diagnostics.has_errors());
        let Some(output) = output else {
            let report = build
                .diagnostics
                .iter()
                .map(crate::diag::Diagnostic::raw)
                .collect::<Vec<_>>()
                .join("\n");
            return Err(SourceError::Fleet {
                name: self.name.clone(),
                report,
            });
        };
        let spec = Spec::parse(&output.config.ignition.version).ok_or_else(|| {
            SourceError::UnsupportedVersion {
                name: self.name.clone(),
                version: output.config.ignition.version.clone(),
            }
        })?;
        Ok(Loaded {
            config: output.config,
            spec,
            diagnostics: build.diagnostics,
            secrets: output.secrets,
        })
    }

    fn compile_butane(&self, options: &LoadOptions) -> Result<Loaded, SourceError> {
        let text = butane_text(&self.bytes, &self.name)?;
        let butane_options = butane::Options {
            files_dir: options.files_dir.clone(),
            target: options.target,
            json: None,
            raw: false,
        };
        let outcome = butane::compile(text, &self.name, &butane_options);
        let Some(config) = outcome.config else {
            return Err(SourceError::Butane {
                name: self.name.clone(),
                source_text: text.to_owned(),
                diagnostics: outcome.diagnostics,
            });
        };
        let spec = Spec::parse(&config.ignition.version).ok_or_else(|| {
            SourceError::UnsupportedVersion {
                name: self.name.clone(),
                version: config.ignition.version.clone(),
            }
        })?;
        Ok(Loaded {
            config,
            spec,
            diagnostics: outcome.diagnostics,
            secrets: Secrets::default(),
        })
    }
}

/// The bytes of `input` and its display name; `None`/`-` is standard input
/// (named `<stdin>`).
pub fn read_input(input: Option<&Path>) -> Result<(Vec<u8>, String), SourceError> {
    match input {
        Some(path) if path != Path::new("-") => {
            // A FIFO or a device (`/dev/zero`) is refused, never read.
            let bytes = read_named_file(path, SOURCE_LIMIT).map_err(|error| match error {
                ConfineError::Io { source, .. } => SourceError::Read {
                    what: path.display().to_string(),
                    source,
                },
                other => SourceError::Refused(other),
            })?;
            Ok((bytes, path.display().to_string()))
        }
        _ => {
            // Capped, so `< /dev/zero` ends with an error, not with memory.
            let mut bytes = Vec::new();
            io::stdin()
                .take(SOURCE_LIMIT + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| SourceError::Read {
                    what: "standard input".to_owned(),
                    source,
                })?;
            if bytes.len() as u64 > SOURCE_LIMIT {
                return Err(SourceError::Refused(ConfineError::TooLarge {
                    path: "standard input".to_owned(),
                    size: bytes.len() as u64,
                    limit: SOURCE_LIMIT,
                }));
            }
            Ok((bytes, "<stdin>".to_owned()))
        }
    }
}

/// A Butane document as text, or an error naming the line and column of
/// its first byte that is not UTF-8.
pub fn butane_text<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, SourceError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = error.valid_up_to();
        let prefix = bytes.get(..valid).unwrap_or_default();
        SourceError::NotUtf8 {
            name: name.to_owned(),
            line: prefix.iter().filter(|b| **b == b'\n').count() + 1,
            column: prefix.iter().rev().take_while(|b| **b != b'\n').count() + 1,
            byte: bytes.get(valid).copied().unwrap_or_default(),
        }
    })
}

/// `ignition.version` of an Ignition document that is not parsed further
/// (`kindling vm` boots an `.ign` file as it is); `None` when it has none.
pub fn ignition_version(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<VersionProbe>(bytes)
        .ok()?
        .ignition?
        .version
}

fn classify(path: Option<&Path>, bytes: &[u8]) -> SourceKind {
    let extension = path
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("ign" | "json") => return SourceKind::Ignition,
        Some("bu") => return SourceKind::Butane,
        _ => {}
    }
    let text = String::from_utf8_lossy(bytes);
    if extension.is_none() && text.trim_start().starts_with('{') {
        return SourceKind::Ignition;
    }
    let Ok(Some(root)) = yaml::parse(&text) else {
        // Unparseable YAML: let the Butane compiler say where and why,
        // unless it looks like JSON.
        return if text.trim_start().starts_with('{') {
            SourceKind::Ignition
        } else {
            SourceKind::Butane
        };
    };
    if root.get("variant").is_some() {
        return SourceKind::Butane;
    }
    if root.get("ignition").is_some() && text.trim_start().starts_with('{') {
        return SourceKind::Ignition;
    }
    let in_hosts_dir = path
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "hosts");
    let host_keys = ["hostname", "services", "include", "butane"];
    if in_hosts_dir || host_keys.iter().any(|key| root.get(key).is_some()) {
        return SourceKind::FleetHost;
    }
    SourceKind::Butane
}

#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default)]
    ignition: Option<ProbeIgnition>,
}

#[derive(Deserialize)]
struct ProbeIgnition {
    #[serde(default)]
    version: Option<String>,
}

/// Parses Ignition JSON of any supported spec. Errors name the JSON path.
pub fn parse_ignition(bytes: &[u8], name: &str) -> Result<(Config, Spec), SourceError> {
    let json_error = |path: String, message: String| SourceError::Json {
        name: name.to_owned(),
        path,
        message,
    };
    // Check the version first: an Ignition 2.x config fails differently
    // and deserves to be told so.
    if let Ok(probe) = serde_json::from_slice::<VersionProbe>(bytes) {
        match probe.ignition.and_then(|i| i.version) {
            None => {
                return Err(SourceError::MissingVersion {
                    name: name.to_owned(),
                });
            }
            Some(version) if Spec::parse(&version).is_none() => {
                return Err(SourceError::UnsupportedVersion {
                    name: name.to_owned(),
                    version,
                });
            }
            Some(_) => {}
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let config: Config = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| json_error(json_path(error.path()), error.inner().to_string()))?;
    deserializer
        .end()
        .map_err(|error| json_error("$".to_owned(), error.to_string()))?;
    let spec =
        Spec::parse(&config.ignition.version).ok_or_else(|| SourceError::UnsupportedVersion {
            name: name.to_owned(),
            version: config.ignition.version.clone(),
        })?;
    Ok((config, spec))
}

fn json_path(path: &serde_path_to_error::Path) -> String {
    let mut out = diag::DocPath::root();
    for segment in path.iter() {
        out = match segment {
            serde_path_to_error::Segment::Seq { index } => out.index(*index),
            serde_path_to_error::Segment::Map { key } => out.key(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => out.key(variant.clone()),
            serde_path_to_error::Segment::Unknown => out.key("?"),
        };
    }
    out.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str, text: &str) -> SourceKind {
        classify(Some(Path::new(path)), text.as_bytes())
    }

    #[test]
    fn classifies_by_extension_then_content() {
        assert_eq!(kind("a.ign", "x"), SourceKind::Ignition);
        assert_eq!(kind("a.bu", "{}"), SourceKind::Butane);
        assert_eq!(
            kind("a.yaml", "variant: fcos\nversion: 1.5.0\n"),
            SourceKind::Butane
        );
        assert_eq!(
            kind("hosts/beam00.yaml", "hostname: beam00\n"),
            SourceKind::FleetHost
        );
        assert_eq!(kind("x.yml", "services: [a]\n"), SourceKind::FleetHost);
        assert_eq!(
            kind("hosts/beam00.bu", "variant: fcos\n"),
            SourceKind::Butane
        );
        assert_eq!(
            classify(None, br#" {"ignition":{"version":"3.4.0"}}"#),
            SourceKind::Ignition
        );
        assert_eq!(classify(None, b"variant: fcos\n"), SourceKind::Butane);
    }

    #[test]
    fn fleet_hosts_from_stdin_get_a_clear_error() {
        let source = ConfigSource::new(
            "<stdin>",
            None,
            b"hostname: beam00\nservices: []\n".to_vec(),
        );
        assert_eq!(source.kind, SourceKind::FleetHost);
        let error = source.load(&LoadOptions::default()).expect_err("no fleet");
        assert!(error.to_string().contains("kindling build"), "{error}");
    }

    #[test]
    fn fleet_hosts_compile_with_their_fleet() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("hosts")).expect("mkdir");
        std::fs::write(dir.path().join("fleet.yaml"), "org: test\n").expect("write");
        let host = dir.path().join("hosts/node1.yaml");
        std::fs::write(&host, "butane:\n  storage:\n    files:\n      - path: /etc/hostname\n        contents: { inline: node1 }\n").expect("write");
        let bytes = std::fs::read(&host).expect("read");
        let source = ConfigSource::new("hosts/node1.yaml", Some(&host), bytes);
        let loaded = source.load(&LoadOptions::default()).expect("compiles");
        assert_eq!(loaded.config.ignition.version, "3.4.0");
        assert_eq!(loaded.config.storage.files[0].path, "/etc/hostname");
        assert!(!loaded.secrets.any());
        let options = LoadOptions {
            target: Some(Spec::V3_3),
            ..LoadOptions::default()
        };
        let loaded = source.load(&options).expect("compiles");
        assert_eq!(loaded.config.ignition.version, "3.3.0");

        std::fs::write(&host, "services: [nope]\n").expect("write");
        let bytes = std::fs::read(&host).expect("read");
        let error = ConfigSource::new("hosts/node1.yaml", Some(&host), bytes)
            .load(&LoadOptions::default())
            .expect_err("unknown service");
        assert!(
            error.to_string().contains("unknown service nope"),
            "{error}"
        );
    }

    #[test]
    fn butane_text_names_the_first_invalid_byte() {
        assert_eq!(
            butane_text(b"variant: fcos\n", "a.bu").ok(),
            Some("variant: fcos\n")
        );
        let error = butane_text(b"variant: fcos\nversion: \xa5\n", "a.bu").expect_err("not UTF-8");
        assert_eq!(
            error.to_string(),
            "a.bu:2:10: error: the file is not UTF-8 text (invalid byte 0xa5); \
             a Butane config must be YAML text"
        );
        // A Butane source reports the same through `load`.
        let source = ConfigSource::new("a.bu", Some(Path::new("a.bu")), b"\xff".to_vec());
        let error = source.load(&LoadOptions::default()).expect_err("not UTF-8");
        assert!(matches!(
            error,
            SourceError::NotUtf8 {
                line: 1,
                column: 1,
                byte: 0xff,
                ..
            }
        ));
    }

    #[test]
    fn reads_and_classifies_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.json");
        std::fs::write(&path, br#"{"ignition":{"version":"3.3.0"}}"#).expect("write");
        let source = ConfigSource::read(Some(&path)).expect("reads");
        assert_eq!(source.kind, SourceKind::Ignition);
        assert_eq!(source.name, path.display().to_string());
        assert_eq!(ignition_version(source.bytes()).as_deref(), Some("3.3.0"));
        assert_eq!(ignition_version(b"{}"), None);
        assert_eq!(ignition_version(b"not json"), None);

        let missing = dir.path().join("missing.bu");
        let error = ConfigSource::read(Some(&missing)).expect_err("missing");
        assert!(matches!(error, SourceError::Read { .. }));
        assert_eq!(error.to_string(), format!("reading {}", missing.display()));
    }

    #[test]
    fn butane_honours_the_target_spec() {
        let source = ConfigSource::new(
            "a.bu",
            Some(Path::new("a.bu")),
            b"variant: fcos\nversion: 1.5.0\n".to_vec(),
        );
        let loaded = source.load(&LoadOptions::default()).expect("compiles");
        assert_eq!(loaded.spec, Spec::V3_4);
        let options = LoadOptions {
            target: Some(Spec::V3_3),
            ..LoadOptions::default()
        };
        let loaded = source.load(&options).expect("compiles");
        assert_eq!((loaded.spec, loaded.secrets.any()), (Spec::V3_3, false));
    }

    #[test]
    fn json_errors_name_the_path() {
        let json =
            br#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","mode":"x"}]}}"#;
        let error = parse_ignition(json, "a.ign").expect_err("bad mode");
        assert!(
            error.to_string().contains("$.storage.files.0.mode"),
            "{error}"
        );
        let error =
            parse_ignition(br#"{"ignition":{"version":"2.2.0"}}"#, "a.ign").expect_err("2.x");
        assert!(matches!(error, SourceError::UnsupportedVersion { .. }));
        let error = parse_ignition(br#"{"storage":{}}"#, "a.ign").expect_err("no version");
        assert!(matches!(error, SourceError::MissingVersion { .. }));
        let error = parse_ignition(b"[1,2]", "a.ign").expect_err("not an object");
        assert!(matches!(error, SourceError::Json { .. }));
        let error = parse_ignition(br#"{"ignition":{"version":"3.4.0"}} x"#, "a.ign")
            .expect_err("trailing");
        assert!(matches!(error, SourceError::Json { .. }));
        let deep = "[".repeat(10_000);
        assert!(parse_ignition(deep.as_bytes(), "a.ign").is_err());
    }
}
