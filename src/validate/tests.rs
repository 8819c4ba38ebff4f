//! Tests of the validate stage: one module per rule family, plus Ignition's
//! observed example report, the Butane corpus and (ignored by default) a
//! comparison with a real `ignition-validate`.

mod dups;
mod luks;
mod nodes;
mod oracle;
mod resources;
mod schema;
mod storage;
mod systemd;

use serde_json::Value;

use super::{schema as schema_check, semantic};
use crate::diag::Diagnostic;
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;

/// `<severity> at <path>: <message>` for each finding.
pub(super) fn lines(findings: &[Diagnostic]) -> Vec<String> {
    findings
        .iter()
        .map(|d| {
            let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
            format!("{} at {}: {}", d.severity, path, d.message)
        })
        .collect()
}

/// Runs `semantic` for `spec` on `config`, filling in `ignition.version`
/// with `spec` when the config has none.
pub(super) fn run(spec: Spec, mut config: Value) -> Vec<String> {
    if config.pointer("/ignition/version").is_none()
        && let Some(object) = config.as_object_mut()
    {
        let ignition = object
            .entry("ignition")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(ignition) = ignition.as_object_mut() {
            ignition.insert("version".into(), Value::String(spec.as_str().into()));
        }
    }
    let parsed: Config = serde_json::from_value(config).expect("test config fits the model");
    lines(&semantic(&parsed, spec))
}

/// `run` for the newest stable spec.
pub(super) fn run36(config: Value) -> Vec<String> {
    run(Spec::V3_6, config)
}

pub(super) fn strings(expected: &[&str]) -> Vec<String> {
    expected.iter().map(|s| (*s).to_owned()).collect()
}

/// The multi-mistake config of ignition.md §7 (its positions reconstructed:
/// a directory `/etc/x` first, then files 2 and 3 at `/etc/x`).
pub(super) const MULTI_MISTAKE: &str = r#"{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"etc/a","contents":{"compression":"zip","source":"data:,x","verification":{"hash":"sha512-abc"}}},{"path":"/etc/../b","contents":{"source":"data:,a b"}},{"path":"/etc/x","overwrite":true},{"path":"/etc/x"}],"directories":[{"path":"/etc/x","mode":4096}]},"systemd":{"units":[{"name":"foo","enabled":true,"contents":"[Unit]\nDescription=x\n","dropins":[{"name":"bar","contents":"[Service]\n"}]}]},"bogus":1}"#;

#[test]
fn observed_multi_mistake_report() {
    let config: Config = serde_json::from_str(MULTI_MISTAKE).expect("parses");
    let expected = strings(&[
        "error at $.storage.directories.0.mode: illegal file mode",
        "error at $.storage.files.0.path: path not absolute",
        "error at $.storage.files.0.contents.compression: invalid compression method",
        "error at $.storage.files.0.contents.verification.hash: incorrect size for hash sum",
        "error at $.storage.files.1.path: path is not fully simplified",
        "error at $.storage.files.1.contents.source: invalid data character",
        "error at $.storage.files.2.overwrite: overwrite must be false if source is unspecified",
        "error at $.systemd.units.0.name: invalid systemd unit extension",
        "warning at $.systemd.units.0.contents: unit \"foo\" is enabled, but has no install section so enable does nothing",
        "error at $.systemd.units.0.dropins.0.name: invalid systemd drop-in extension",
        "error at $.storage.files.2: duplicate entry defined",
        "error at $.storage.files.3: duplicate entry defined",
    ]);
    assert_eq!(lines(&semantic(&config, Spec::V3_3)), expected);
    // The unused key is not a semantic finding, and the schema allows it.
    let json: Value = serde_json::from_str(MULTI_MISTAKE).expect("parses");
    assert_eq!(
        lines(&schema_check(&json, Spec::V3_3)),
        Vec::<String>::new()
    );
}

/// Every Ignition config Butane produced for the corpus is valid for its own
/// version, semantically and by schema.
#[test]
fn butane_corpus_outputs_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/butane/expected");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("the corpus is missing: {}: {error}", dir.display()));
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ign"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for path in &names {
        let text = std::fs::read_to_string(path).expect("readable");
        let raw: Value = serde_json::from_str(&text).expect("corpus .ign is JSON");
        let config: Config = serde_json::from_value(raw.clone()).expect("fits the model");
        let spec = Spec::parse(&config.ignition.version).expect("known version");
        let reserialized = serde_json::to_value(&config).expect("serializes");
        let mut findings = semantic(&config, spec);
        findings.extend(schema_check(&raw, spec));
        findings.extend(schema_check(&reserialized, spec));
        findings.extend(schema_check(&config, spec));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        for line in lines(&findings) {
            eprintln!("{name}: {line}");
        }
        if findings.iter().any(Diagnostic::is_error) {
            failures.push(name.into_owned());
        }
    }
    assert!(failures.is_empty(), "configs with errors: {failures:?}");
}

/// A small deterministic generator (xorshift64).
pub(super) struct Random(pub u64);

impl Random {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }

    pub fn pick<'a>(&mut self, pieces: &[&'a str]) -> &'a str {
        pieces.get(self.below(pieces.len())).copied().unwrap_or("")
    }
}

/// Odd strings (multibyte, control characters, brackets, escapes, long
/// runs) through every parser and rule: nothing may panic.
#[test]
fn never_panics_on_odd_input() {
    const PIECES: [&str; 24] = [
        "[", "]", "=", "\\", "%", "%2", "\"", "\n", "\r", "\t", "é", "😀", "\u{85}", "\u{a0}", "#",
        ";", ",", "/", "@", ":", "data:", "x", "-", "?",
    ];
    let mut random = Random(0x0dd1_7e57);
    for _ in 0..60 {
        let mut text = String::new();
        for _ in 0..random.below(40) {
            if random.below(20) == 0 {
                text.push_str(&"é".repeat(random.below(3000)));
            } else {
                text.push_str(random.pick(&PIECES));
            }
        }
        let _ = super::parse_unit_contents(&text);
        let _ = super::mode_looks_decimal(random.below(20000) as i64 - 100, random.below(2) == 0);
        for spec in Spec::ALL {
            let config = serde_json::json!({
                "ignition": {"version": text, "config": {"merge": [{"source": text, "httpHeaders": [{"name": text}]}]},
                             "proxy": {"httpProxy": text, "httpsProxy": text}},
                "storage": {
                    "files": [{"path": text, "mode": -5, "contents": {"source": format!("data:{text}"), "verification": {"hash": text}}}],
                    "links": [{"path": text, "target": text, "hard": true}],
                    "disks": [{"device": text, "partitions": [{"label": text, "guid": text, "startMiB": i64::MAX, "sizeMiB": i64::MAX}, {"number": 1, "startMiB": 1, "sizeMiB": i64::MIN}]}],
                    "filesystems": [{"device": text, "format": "virtiofs", "label": text}],
                    "luks": [{"name": text, "keyFile": {"source": format!("arn:{text}")}, "clevis": {"tang": [{"url": text, "advertisement": text}]}}],
                    "raid": [{"name": text, "level": text, "devices": [text]}]
                },
                "systemd": {"units": [{"name": format!("{text}@x.service"), "enabled": true, "contents": text,
                                       "dropins": [{"name": text, "contents": text}]},
                                      {"name": format!("{text}@.service"), "contents": text}]}
            });
            let parsed: Config = serde_json::from_value(config.clone()).expect("fits the model");
            let _ = semantic(&parsed, spec);
            let _ = schema_check(&config, spec);
        }
    }
}
