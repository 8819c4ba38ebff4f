//! Small fleets built in temporary directories, and how tests look at what
//! they compile to: through the library (`kindling::fleet::compile`) or the
//! real binary, whose reports are snapshot-tested with the temporary paths
//! scrubbed ([`snapshot!`]).

use std::fs;
use std::path::Path;

use kindling::diag::{Diagnostic, Severity};
use kindling::fleet::{self, Build, HostOutput, secrets::Identities};
use kindling::ignition::model::{Config, Directory, PasswdUser};

use super::cli::{Identity, Run, kindling_with};

/// A fleet in a temporary directory.
pub struct Fleet {
    dir: tempfile::TempDir,
}

/// A base fleet: `fleet.yaml` with an org and a registry, one pinned
/// service `web`, and host `h1` running it. Tests overwrite what they need.
pub const BASE_FLEET: &str = "org: acme\nregistry: registry.example.com/acme\n";
pub const BASE_WEB: &str = "version: 1.0.0\n";
pub const BASE_HOST: &str = "services:\n  - web\n";

impl Fleet {
    pub fn empty() -> Self {
        Fleet {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn base() -> Self {
        Fleet::empty()
            .with("fleet.yaml", BASE_FLEET)
            .with("containers/web.yaml", BASE_WEB)
            .with("hosts/h1.yaml", BASE_HOST)
    }

    pub fn with(self, relative: &str, text: &str) -> Self {
        self.write(relative, text.as_bytes());
        self
    }

    pub fn write(&self, relative: &str, bytes: &[u8]) {
        let path = self.dir.path().join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, bytes).expect("write fixture");
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn compile_with(&self, identities: Identities) -> Build {
        fleet::compile(&fleet::Options {
            root: self.root().to_path_buf(),
            hosts: Vec::new(),
            target: None,
            identities,
            now: Some(super::BUILD_TIME),
            out: None,
        })
    }

    pub fn compile(&self) -> Build {
        self.compile_with(Identities::none())
    }

    /// Compiles and asserts there are no findings at all.
    pub fn compile_clean(&self) -> Build {
        let build = self.compile();
        assert!(
            build.diagnostics.is_empty(),
            "expected a clean build:\n{}",
            raw(&build)
        );
        build
    }

    /// Runs `kindling <command> --fleet ROOT ARGS...` without an identity.
    pub fn run(&self, command: &str, args: &[&str]) -> Run {
        self.run_with(command, args, Identity::None)
    }

    /// Runs `kindling <command> --fleet ROOT ARGS...` with `identity`.
    pub fn run_with(&self, command: &str, args: &[&str], identity: Identity<'_>) -> Run {
        Run::of(
            kindling_with(identity)
                .arg(command)
                .arg("--fleet")
                .arg(self.root())
                .args(args),
        )
    }
}

/// Escapes `text` for a regex (insta filters are regexes).
pub fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// Snapshot `text` with the fleet's temporary paths (and `extra` ones)
/// replaced by placeholders.
macro_rules! snapshot {
    ($name:expr, $fleet:expr, $text:expr) => {
        $crate::support::fleet::snapshot!(
            $name,
            $fleet,
            $text,
            &[] as &[(&::std::path::Path, &str)]
        )
    };
    ($name:expr, $fleet:expr, $text:expr, $extra:expr) => {{
        let mut settings = insta::Settings::clone_current();
        let root = $fleet.root().to_path_buf();
        settings.add_filter(
            &$crate::support::fleet::regex_escape(&root.display().to_string()),
            "[FLEET]",
        );
        if let Ok(real) = root.canonicalize() {
            settings.add_filter(
                &$crate::support::fleet::regex_escape(&real.display().to_string()),
                "[FLEET]",
            );
        }
        for (path, label) in $extra {
            settings.add_filter(
                &$crate::support::fleet::regex_escape(&path.display().to_string()),
                *label,
            );
        }
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}
pub(crate) use snapshot;

/// One line per finding, for assertion messages.
pub fn raw(build: &Build) -> String {
    build
        .diagnostics
        .iter()
        .map(Diagnostic::raw)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The build's only error, after checking it is the only one and that it
/// points at `file`, `line`.
pub fn the_one_error<'b>(build: &'b Build, file: &str, line: usize) -> &'b Diagnostic {
    let errors = findings(build, Severity::Error);
    assert_eq!(errors.len(), 1, "exactly one error: {}", raw(build));
    let error = errors[0];
    assert_eq!(error.file.as_deref(), Some(file), "{}", raw(build));
    assert_eq!(error.position.map(|p| p.line), Some(line), "{}", raw(build));
    error
}

/// [`the_one_error`], also checking it is at `column`.
pub fn the_one_error_at<'b>(
    build: &'b Build,
    file: &str,
    line: usize,
    column: usize,
) -> &'b Diagnostic {
    let error = the_one_error(build, file, line);
    assert_eq!(
        error.position.map(|p| p.column),
        Some(column),
        "{}",
        raw(build)
    );
    error
}

pub fn findings(build: &Build, severity: Severity) -> Vec<&Diagnostic> {
    build
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .collect()
}

pub fn host<'b>(build: &'b Build, name: &str) -> &'b HostOutput {
    build
        .outputs
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("host {name} compiled:\n{}", raw(build)))
}

/// Decoded contents of the file at `path` in `config`, if it has one (no
/// source: empty, as Ignition writes it).
pub fn config_file(config: &Config, path: &str) -> Option<Vec<u8>> {
    let file = config.storage.files.iter().find(|f| f.path == path)?;
    let source = file.contents.source.as_deref().unwrap_or("data:,");
    let bytes = kindling::dataurl::decode_resource(
        source,
        file.contents.compression.as_deref(),
        usize::MAX,
    )
    .expect("data URL decodes");
    Some(bytes)
}

/// [`config_file`] of a config given as JSON (a live config, say), which
/// must parse.
pub fn json_config_file(json: &[u8], path: &str) -> Option<Vec<u8>> {
    let config: Config = serde_json::from_slice(json).expect("config JSON");
    config_file(&config, path)
}

/// Decoded contents of the file at `path` on the node, if the host gets it.
pub fn node_file(output: &HostOutput, path: &str) -> Option<String> {
    let bytes = config_file(&output.config, path)?;
    Some(String::from_utf8(bytes).expect("utf-8 contents"))
}

/// Decoded contents of the file at `path` on the node; panics with the
/// paths the host gets when it is not one of them.
pub fn file_text(output: &HostOutput, path: &str) -> String {
    node_file(output, path).unwrap_or_else(|| {
        let paths: Vec<&str> = output
            .config
            .storage
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        panic!("{} gets no {path}; it gets {paths:?}", output.name)
    })
}

pub fn file_mode(output: &HostOutput, path: &str) -> Option<i64> {
    output
        .config
        .storage
        .files
        .iter()
        .find(|f| f.path == path)
        .and_then(|f| f.mode)
}

/// The values of `key=` lines of a unit text.
pub fn values<'t>(text: &'t str, key: &str) -> Vec<&'t str> {
    let prefix = format!("{key}=");
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix.as_str()))
        .collect()
}

pub fn directory<'o>(output: &'o HostOutput, path: &str) -> Option<&'o Directory> {
    output
        .config
        .storage
        .directories
        .iter()
        .find(|d| d.path == path)
}

pub fn user<'o>(output: &'o HostOutput, name: &str) -> &'o PasswdUser {
    output
        .config
        .passwd
        .users
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("{} has no user {name}", output.name))
}
