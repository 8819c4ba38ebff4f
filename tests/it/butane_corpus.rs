//! The Butane corpus (`tests/corpus/butane`): every real-world config is
//! compiled and compared with the reference Butane's output.
//!
//! - `.ign` expected: kindling must succeed and its output must be
//!   semantically equal (data URLs decoded and decompressed, then compared
//!   as typed Ignition), and its compact form never larger than Butane's.
//! - `.warn` expected: kindling must warn at the same YAML path.
//! - `.err` expected: kindling must refuse it, at the same path when Butane
//!   named one.
//!
//! It prints how many configs of each repository and variant agree.

use std::collections::BTreeMap;
use std::fs;

use kindling::butane::{self, Options, files_dir::FilesDir};
use kindling::dataurl;
use kindling::diag::{Diagnostic, Severity};
use kindling::ignition::model::{Config, Resource};

use crate::support::paths;

struct Case {
    name: String,
    source: String,
    files_dir: Option<FilesDir>,
}

fn cases() -> Vec<Case> {
    let dir = paths::butane_corpus();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("the corpus is in the repository: tests/corpus/butane")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".bu").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let source = fs::read_to_string(dir.join(format!("{name}.bu"))).expect("readable");
            let files = dir.join("files").join(&name);
            let files_dir = files
                .is_dir()
                .then(|| FilesDir::open(&files).expect("files dir"));
            Case {
                name,
                source,
                files_dir,
            }
        })
        .collect()
}

fn compile(case: &Case) -> butane::Outcome {
    let options = Options {
        files_dir: case.files_dir.clone(),
        target: None,
        json: None,
        raw: false,
    };
    butane::compile(&case.source, &format!("{}.bu", case.name), &options)
}

/// Replaces every data URL by its decoded, decompressed contents so that
/// configs compare by meaning, not by encoding.
fn decode(resource: &mut Resource) {
    if let Some(source) = &resource.source
        && source.starts_with("data:")
    {
        let bytes = dataurl::decode_resource(source, resource.compression.as_deref(), usize::MAX)
            .unwrap_or_else(|e| panic!("undecodable data URL {source}: {e}"));
        resource.source = Some(format!("decoded:{}", String::from_utf8_lossy(&bytes)));
        resource.compression = None;
    }
}

fn normalize(mut config: Config) -> Config {
    config.ignition.config.merge.iter_mut().for_each(decode);
    decode(&mut config.ignition.config.replace);
    config
        .ignition
        .security
        .tls
        .certificate_authorities
        .iter_mut()
        .for_each(decode);
    for file in &mut config.storage.files {
        decode(&mut file.contents);
        file.append.iter_mut().for_each(decode);
    }
    for luks in &mut config.storage.luks {
        decode(&mut luks.key_file);
    }
    config
}

/// The `[path]` of each `kind[path]:` header in a Butane report.
fn reported_paths(report: &str, kind: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|line| line.strip_prefix(kind)?.strip_prefix('['))
        .filter_map(|rest| rest.split_once("]:").map(|(path, _)| path.to_owned()))
        .collect()
}

fn paths_of(diagnostics: &[&Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter_map(|d| d.path.as_ref().map(ToString::to_string))
        .collect()
}

fn compact_sizes() -> BTreeMap<String, usize> {
    fs::read_to_string(paths::butane_corpus().join("expected/compact-sizes.tsv"))
        .expect("compact-sizes.tsv")
        .lines()
        .filter_map(|line| {
            let (name, size) = line.split_once('\t')?;
            Some((name.to_owned(), size.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn corpus_matches_reference_butane() {
    let expected_dir = paths::butane_corpus().join("expected");
    let sizes = compact_sizes();
    let (mut passed, mut failures) = (0, Vec::new());
    let (mut ours_total, mut theirs_total) = (0usize, 0usize);
    let mut groups = Vec::new();
    for case in cases() {
        groups.push((
            case.name.clone(),
            repository_of(&case.name),
            variant_of(&case.source),
        ));
        let outcome = compile(&case);
        let errors: Vec<&Diagnostic> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        let warnings: Vec<&Diagnostic> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        let base = expected_dir.join(&case.name);
        let err_file = base.with_extension(format!("{}err", extension_prefix(&case.name)));
        if let Ok(report) = fs::read_to_string(&err_file) {
            let expected_paths = reported_paths(&report, "error");
            if outcome.config.is_some() {
                failures.push(format!(
                    "{}: Butane refuses it, kindling accepted it",
                    case.name
                ));
            } else if !expected_paths.iter().all(|p| paths_of(&errors).contains(p)) {
                failures.push(format!(
                    "{}: expected errors at {expected_paths:?}, got {:?}",
                    case.name,
                    paths_of(&errors)
                ));
            } else {
                passed += 1;
            }
            continue;
        }
        let Some(config) = outcome.config else {
            failures.push(format!("{}: failed: {:?}", case.name, errors));
            continue;
        };
        let expected_json =
            fs::read_to_string(base.with_extension(format!("{}ign", extension_prefix(&case.name))))
                .unwrap_or_else(|_| panic!("{}: no expected output", case.name));
        let expected: Config =
            serde_json::from_str(&expected_json).expect("expected output parses");
        let compact = butane::to_json(&config, butane::JsonStyle::Compact);
        if let Some(size) = sizes.get(&case.name) {
            ours_total += compact.len();
            theirs_total += size;
            if compact.len() > *size {
                failures.push(format!(
                    "{}: {} bytes, Butane {size}",
                    case.name,
                    compact.len()
                ));
            }
        }
        if normalize(config) != normalize(expected) {
            failures.push(format!("{}: output differs from Butane's", case.name));
            continue;
        }
        if let Ok(report) =
            fs::read_to_string(base.with_extension(format!("{}warn", extension_prefix(&case.name))))
        {
            let expected_paths = reported_paths(&report, "warning");
            if !expected_paths
                .iter()
                .all(|p| paths_of(&warnings).contains(p))
            {
                failures.push(format!(
                    "{}: expected warnings at {expected_paths:?}, got {:?}",
                    case.name,
                    paths_of(&warnings)
                ));
                continue;
            }
        }
        passed += 1;
    }
    // (repository, variant) → (configs, agreeing with Butane)
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (name, repository, variant) in groups {
        let entry = counts.entry((repository, variant)).or_default();
        entry.0 += 1;
        if !failures.iter().any(|f| f.starts_with(&format!("{name}:"))) {
            entry.1 += 1;
        }
    }
    println!("butane corpus by repository and variant (agreeing/configs):");
    for ((repository, variant), (configs, agreeing)) in &counts {
        println!("  {repository} {variant}: {agreeing}/{configs}");
    }
    #[allow(clippy::cast_precision_loss)]
    let ratio = ours_total as f64 / theirs_total.max(1) as f64;
    println!(
        "butane corpus: {passed} passed, {} failed; compact size {ours_total} bytes vs Butane {theirs_total} (ratio {ratio:.3})",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
}

/// `owner/repo` of a corpus name (`owner__repo__path`).
fn repository_of(name: &str) -> String {
    let mut parts = name.splitn(3, "__");
    format!(
        "{}/{}",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    )
}

/// The `variant:` a config declares (`-` for fragments without one).
fn variant_of(source: &str) -> String {
    source
        .lines()
        .find_map(|line| line.strip_prefix("variant:"))
        .map_or("-", str::trim)
        .to_owned()
}

/// Expected files are named `<name>.ign`, where `<name>` may itself contain
/// dots (`foo.yaml`): `with_extension` needs the part after the last dot.
fn extension_prefix(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((_, last)) => format!("{last}."),
        None => String::new(),
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for case in cases() {
        let first = compile(&case)
            .config
            .map(|c| butane::to_json(&c, butane::JsonStyle::Compact));
        let second = compile(&case)
            .config
            .map(|c| butane::to_json(&c, butane::JsonStyle::Compact));
        assert_eq!(first, second, "{} is not deterministic", case.name);
    }
}
