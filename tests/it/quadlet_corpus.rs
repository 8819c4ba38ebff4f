//! Runs the Quadlet validator over the real-world corpus in
//! `tests/corpus/quadlet` (a copy of the shared corpus, see tests/corpus/README.md).
//!
//! Corpus file names are `<owner>__<repo>__<path with / replaced by __>`.
//! Like the reference run in `expected/quadlet-5.4.2-dryrun.tsv` (see its
//! README), the files of one source directory are validated together: the
//! unit set used for cross references is the unit files of that directory
//! (a drop-in belongs to the directory of its `.d` folder).

use crate::support::paths;
use kindling::diag::{Code, Diagnostic, Severity};
use kindling::quadlet::{DEFAULT_PODMAN_VERSION, ValidateOptions, validate_file};
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};

struct CorpusFile {
    /// Corpus file name.
    name: String,
    /// Original path inside the source repository.
    path: String,
    /// `owner/repo/dir` the file is validated with.
    group: String,
    source: String,
}

fn load_corpus() -> Vec<CorpusFile> {
    let dir = paths::quadlet_corpus();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.expect("readable directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_file() || name == "SOURCES.md" {
            continue;
        }
        let parts: Vec<&str> = name.split("__").collect();
        assert!(parts.len() >= 3, "unexpected corpus file name {name}");
        let path = parts[2..].join("/");
        // The directory holding the unit (for drop-ins: the one holding the `.d`).
        let mut dir: Vec<&str> = parts[2..parts.len() - 1].to_vec();
        if dir.last().is_some_and(|d| d.ends_with(".d")) {
            dir.pop();
        }
        let group = format!("{}/{}/{}", parts[0], parts[1], dir.join("/"));
        let source = std::fs::read_to_string(entry.path()).expect("corpus files are UTF-8");
        files.push(CorpusFile {
            name,
            path,
            group,
            source,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn units_by_group(files: &[CorpusFile]) -> BTreeMap<String, BTreeSet<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let set = groups.entry(f.group.clone()).or_default();
        if !f.path.ends_with(".conf") {
            let base = f.path.rsplit('/').next().unwrap_or(&f.path);
            set.insert(base.to_string());
        }
    }
    groups
}

fn validate_all(version: Version) -> Vec<(String, Vec<Diagnostic>)> {
    let files = load_corpus();
    let groups = units_by_group(&files);
    files
        .iter()
        .map(|f| {
            let opts = ValidateOptions::new(version.clone()).with_units(&groups[&f.group]);
            (f.name.clone(), validate_file(&f.path, &f.source, &opts))
        })
        .collect()
}

fn errors(findings: &[Diagnostic]) -> Vec<&Diagnostic> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// Files that are truly invalid for a Podman new enough to know every key,
/// with every error they must produce: (rule, line, text in the message).
fn expected_invalid() -> BTreeMap<&'static str, Vec<(Code, usize, &'static str)>> {
    BTreeMap::from([
        // Upstream fixture meant to be run together with basic.network,
        // which the corpus does not include.
        (
            "containers__podman__test__e2e__quadlet__network.quadlet.kube",
            vec![(Code::QuadletMissingReference, 8, "`basic.network`")],
        ),
        // Requires=immich-redis.container: Podman >= 5.5 translates Quadlet
        // names in [Unit] dependencies and fails on an unknown one; the
        // repository has no immich-redis.container.
        (
            "linux-universe__immich-podman-quadlets__immich-server.container",
            vec![(Code::QuadletMissingReference, 3, "`immich-redis.container`")],
        ),
        // The template pulls minecraft-server.image, which is not in the
        // repository snapshot.
        (
            "usrbinkat__quadlets__apps__minecraft__quadlet__minecraft@.container",
            vec![(
                Code::QuadletMissingReference,
                10,
                "`minecraft-server.image`",
            )],
        ),
        // Joins tsdproxy-net.network, defined in another app directory that
        // was not copied.
        (
            "wallacepnts__quadlet-homelab__apps__authentik__authentik.container",
            vec![(Code::QuadletMissingReference, 15, "`tsdproxy-net.network`")],
        ),
        // A Jinja template, not a Quadlet file, until rendered.
        (
            "wuxxin__infra-shared__container__acme.container",
            vec![
                (Code::QuadletSyntax, 12, "{% if not LOCAL_ACME_SERVER"),
                (Code::QuadletSyntax, 15, "{% endif%}"),
            ],
        ),
        // Volume=postgresql.volume, but the example ships no such file.
        (
            "wuxxin__infra-shared__examples__modules__postgresql__container__postgresql.container",
            vec![(Code::QuadletMissingReference, 36, "`postgresql.volume`")],
        ),
    ])
}

fn assert_expected_errors(version: &Version, name: &str, found: &[&Diagnostic]) {
    let expected = expected_invalid();
    let want = expected.get(name).cloned().unwrap_or_default();
    let got: Vec<(Code, usize, &str)> = found
        .iter()
        .map(|f| (f.code, line(f), f.message.as_str()))
        .collect();
    assert_eq!(
        got.len(),
        want.len(),
        "Podman {version}, {name}: expected {want:?}, got {got:#?}"
    );
    for ((rule, line, message), (want_rule, want_line, needle)) in got.iter().zip(&want) {
        assert!(
            rule == want_rule && line == want_line && message.contains(needle),
            "Podman {version}, {name}: expected {want_rule:?} at line {want_line} mentioning \
             {needle:?}, got {rule:?} at line {line}: {message}"
        );
    }
}

#[test]
fn corpus_with_current_podman() {
    // The default (oldest Podman on supported FCOS streams) and a version
    // new enough to accept every key in the catalogue give the same verdicts.
    for version in [DEFAULT_PODMAN_VERSION, Version::new(6, 1, 0)] {
        let results = validate_all(version.clone());
        assert!(results.len() >= 45, "corpus has {} files", results.len());
        let mut passed = 0;
        for (name, findings) in &results {
            let errs = errors(findings);
            if errs.is_empty() {
                passed += 1;
            }
            assert_expected_errors(&version, name, &errs);
        }
        let warnings: usize = results
            .iter()
            .map(|(_, f)| f.iter().filter(|x| x.severity == Severity::Warning).count())
            .sum();
        println!(
            "Podman {version}: {passed}/{} corpus files pass ({} invalid as expected, \
             {warnings} warnings)",
            results.len(),
            results.len() - passed
        );
        assert_eq!(results.len() - passed, expected_invalid().len());
    }
}

/// Files where this validator deliberately disagrees with the recorded
/// Podman 5.4.2 dry run, and why.
const KNOWN_DIVERGENCES_5_4_2: [(&str, &str); 1] = [(
    "usrbinkat__quadlets__apps__minecraft__quadlet__minecraft@modded-creative.container.d__20-resources.conf",
    "orphan drop-in: the dry run had no minecraft@modded-creative.container, so the generator \
     never read this file and its `accepted` is vacuous; validated on its own it uses \
     Memory= (Podman 5.5.0), which 5.4.2 rejects",
)];

#[test]
fn corpus_agrees_with_podman_5_4_2_dry_run() {
    let tsv_path = paths::quadlet_corpus().join("expected/quadlet-5.4.2-dryrun.tsv");
    let tsv = std::fs::read_to_string(&tsv_path).expect("expected/quadlet-5.4.2-dryrun.tsv");
    let mut verdicts: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for line in tsv.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 2, "bad TSV line {line:?}");
        let rejected = match cols[1] {
            "accepted" => false,
            "rejected" => true,
            other => panic!("unknown verdict {other:?}"),
        };
        let message = cols.get(2).copied().unwrap_or_default().to_string();
        verdicts.insert(cols[0].to_string(), (rejected, message));
    }
    let results = validate_all(Version::new(5, 4, 2));
    let names: BTreeSet<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
    let tsv_names: BTreeSet<&str> = verdicts.keys().map(String::as_str).collect();
    assert_eq!(names, tsv_names, "corpus and TSV list different files");

    let divergent: BTreeMap<&str, &str> = KNOWN_DIVERGENCES_5_4_2.into_iter().collect();
    let mut agree = 0;
    for (name, findings) in &results {
        let errs = errors(findings);
        let (rejected, message) = &verdicts[name];
        let we_reject = !errs.is_empty();
        if let Some(reason) = divergent.get(name.as_str()) {
            assert_ne!(
                we_reject, *rejected,
                "{name} is listed as divergent ({reason}) but now agrees; remove it from the list"
            );
            continue;
        }
        assert_eq!(
            we_reject, *rejected,
            "{name}: Podman 5.4.2 says {message:?}, validator errors: {errs:#?}"
        );
        if *rejected {
            assert!(
                errs.iter().any(|f| explains(f, message)),
                "{name}: none of the errors explains Podman's {message:?}: {errs:#?}"
            );
        }
        agree += 1;
    }
    println!(
        "Podman 5.4.2: validator agrees with the generator on {agree}/{} corpus files ({} known \
         divergence)",
        results.len(),
        divergent.len()
    );
    assert_eq!(agree + divergent.len(), results.len());
}

fn line(f: &Diagnostic) -> usize {
    f.position.map_or(0, |p| p.line)
}

/// Does finding `f` report the problem behind Podman's error `message`?
fn explains(f: &Diagnostic, message: &str) -> bool {
    let quoted = |open: &str, close: char| {
        message
            .split_once(open)
            .and_then(|(_, rest)| rest.split(close).next())
            .map(str::to_string)
    };
    if let Some(key) = quoted("unsupported key '", '\'') {
        // The message names the key it is about: `[Container] `Memory=` was …`.
        return f.code == Code::QuadletKeyTooNew && f.message.contains(&format!("`{key}=`"));
    }
    if message.contains("was not found") {
        let unit = message
            .split_whitespace()
            .find(|w| w.contains('.') && !w.starts_with('"'))
            .unwrap_or_default();
        return f.code == Code::QuadletMissingReference && f.message.contains(&format!("`{unit}`"));
    }
    if let Some(line) = quoted("file contains line ", ':') {
        return f.code == Code::QuadletSyntax && line.parse() == Ok(self::line(f));
    }
    false
}
