//! Real Ignition judges kindling's output: every example host and every
//! Butane corpus file that fits Ignition 2.14 is compiled, passed through
//! `ignition-validate`, applied with the real Ignition (Debian's 2.14) to a
//! scratch root, and the root is checked against the config by the generic
//! checker (`support::checker`): files with decoded contents, modes, owners;
//! directories; links; units, dropins, masks and presets; users, groups and
//! SSH keys; and nothing else.
//!
//! Which Ignition spec: 3.3.0, the newest Ignition 2.14 reads. Configs are
//! compiled with `target: Some(Spec::V3_3)` (`--ignition-version 3.3.0`);
//! a Butane version whose own spec is older (fcos 1.0.0–1.3.0 emit 3.0.0–
//! 3.2.0) cannot be translated *up*, so it is compiled to its own spec,
//! which Ignition 2.14 reads as it is.
//!
//! What is applied, and what is not (decided here, printed by the test):
//! - the `fetch-offline` and `files` stages run; the `disks`, `mount` and
//!   `kargs` stages do not (they need a real disk and boot loader).
//!   `storage.disks`/`raid`/`filesystems` and `kernelArguments` are
//!   therefore validated by `ignition-validate` and left in the applied
//!   config, where the files stage ignores them (the checker notes them).
//! - `storage.luks` is the one such section the files stage acts on (it asks
//!   `cryptsetup` for each volume's UUID to write `/etc/crypttab`), which
//!   needs the real device: a config with LUKS volumes is validated whole
//!   and applied with `storage.luks` removed, and reported as such.
//! - a config whose resources are remote (`https://…`) needs the network;
//!   it is validated and listed as not applied, with the URLs.
//! - a config that names an account the OS image ships (Fedora CoreOS's
//!   `dnsmasq` system user, from its `/usr/lib/passwd`) gets that account in
//!   its scratch root, and the test says so.
//! - a corpus file that does not compile is listed with kindling's error.
//!
//! Anything else the real Ignition rejects fails the test, with Ignition's
//! own log.
//!
//! Needs root and the tools from `tests/e2e/install-deps.sh`; skips with a
//! printed reason without them, fails under `KINDLING_E2E=1`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kindling::butane::{self, files_dir::FilesDir};
use kindling::ignition::model::{Config, Resource};
use kindling::ignition::spec::Spec;

use crate::support::checker::{self, CheckReport};
use crate::support::ignition::{self, ApplyError, ApplyOptions};
use crate::support::tools::{self, scratch};
use crate::support::{example, paths, say};

/// Accounts Fedora CoreOS's image ships beyond the skeleton's, which configs
/// may name as owners: (passwd line, group line).
const IMAGE_ACCOUNTS: &[(&str, &str)] = &[(
    "dnsmasq:x:985:985:Dnsmasq DHCP and DNS server:/var/lib/dnsmasq:/usr/sbin/nologin",
    "dnsmasq:x:985:",
)];

fn needs_all() -> bool {
    tools::require(tools::VALIDATE_AND_APPLY_TOOLS)
}

/// One config to judge.
struct Job {
    name: String,
    config: Config,
    /// The JSON exactly as kindling emits it (what ignition-validate sees).
    json: Vec<u8>,
    /// Why the config is applied in a modified form, or not at all.
    plan: Plan,
    image_accounts: Vec<(String, String)>,
    /// How the spec was chosen.
    spec_note: String,
}

enum Plan {
    AsIs,
    WithoutLuks,
    NotApplied(String),
}

enum Verdict {
    Applied { report: CheckReport, took: Duration },
    NotApplied(String),
    ValidateFailed(String),
    Rejected(String),
    CheckFailed(CheckReport),
}

fn resources(config: &Config) -> Vec<&Resource> {
    let mut out: Vec<&Resource> = Vec::new();
    out.extend(&config.ignition.config.merge);
    out.push(&config.ignition.config.replace);
    out.extend(&config.ignition.security.tls.certificate_authorities);
    for f in &config.storage.files {
        out.push(&f.contents);
        out.extend(&f.append);
    }
    for l in &config.storage.luks {
        out.push(&l.key_file);
    }
    out
}

fn plan_for(config: &Config) -> Plan {
    let remote: Vec<&str> = resources(config)
        .into_iter()
        .filter_map(|r| r.source.as_deref())
        .filter(|s| !s.starts_with("data:"))
        .collect();
    if !remote.is_empty() {
        return Plan::NotApplied(format!(
            "needs the network: remote resources {remote:?} (validated only)"
        ));
    }
    if !config.storage.luks.is_empty() {
        return Plan::WithoutLuks;
    }
    Plan::AsIs
}

/// The image accounts `config` names as owners without creating them.
fn image_accounts_for(config: &Config) -> Vec<(String, String)> {
    let mut names = BTreeSet::new();
    let s = &config.storage;
    let owners = s
        .files
        .iter()
        .flat_map(|f| [&f.user, &f.group])
        .chain(s.directories.iter().flat_map(|d| [&d.user, &d.group]))
        .chain(s.links.iter().flat_map(|l| [&l.user, &l.group]));
    for owner in owners {
        if let (None, Some(name)) = (owner.id, &owner.name) {
            names.insert(name.clone());
        }
    }
    IMAGE_ACCOUNTS
        .iter()
        .filter(|(passwd, _)| {
            let name = passwd.split(':').next().unwrap_or_default();
            names.contains(name)
                && !config.passwd.users.iter().any(|u| u.name == name)
                && !config.passwd.groups.iter().any(|g| g.name == name)
        })
        .map(|(p, g)| (p.to_string(), g.to_string()))
        .collect()
}

fn judge(job: &Job, dir: &Path) -> Verdict {
    let full = dir.join(format!("{}.ign", job.name));
    fs::write(&full, &job.json).expect("write config");
    if let Err(e) = ignition::validate(&full) {
        return Verdict::ValidateFailed(e);
    }
    let (applied_config, path) = match &job.plan {
        Plan::NotApplied(why) => return Verdict::NotApplied(why.clone()),
        Plan::AsIs => (job.config.clone(), full),
        Plan::WithoutLuks => {
            let mut c = job.config.clone();
            c.storage.luks.clear();
            let p = dir.join(format!("{}.without-luks.ign", job.name));
            fs::write(&p, butane::to_json(&c, butane::JsonStyle::Compact)).expect("write config");
            (c, p)
        }
    };
    let opts = ApplyOptions {
        image_accounts: job.image_accounts.clone(),
        ..ApplyOptions::default()
    };
    let start = Instant::now();
    match ignition::apply_with(&path, &opts) {
        Ok(tree) => {
            let report = checker::check(&applied_config, &tree);
            if report.ok() {
                Verdict::Applied {
                    report,
                    took: start.elapsed(),
                }
            } else {
                let mut report = report;
                report
                    .failures
                    .push(format!("the applied tree:\n{}", tree.listing()));
                Verdict::CheckFailed(report)
            }
        }
        Err(e @ ApplyError::Rejected { .. }) | Err(e @ ApplyError::TimedOut { .. }) => {
            Verdict::Rejected(e.to_string())
        }
        Err(e) => panic!("{}: {e}", job.name),
    }
}

/// Judges every job, a few at a time (each apply is a few processes and
/// ~0.3 s), and returns the verdicts in the jobs' order.
fn judge_all(jobs: &[Job], dir: &Path) -> Vec<Verdict> {
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 4);
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Verdict>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(job) = jobs.get(i) else { break };
                    let verdict = judge(job, dir);
                    results.lock().expect("lock")[i] = Some(verdict);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("lock")
        .into_iter()
        .map(|v| v.expect("every job judged"))
        .collect()
}

#[test]
fn every_example_host_applies_with_the_real_ignition() {
    if !needs_all() {
        return;
    }
    let outputs = example::compile(&[], Some(Spec::V3_3));
    let names: BTreeSet<String> = outputs.iter().map(|o| o.name.clone()).collect();
    assert_eq!(names, example::host_names(), "every example host compiles");

    let jobs: Vec<Job> = outputs
        .iter()
        .map(|o| {
            assert_eq!(o.config.ignition.version, "3.3.0", "{}", o.name);
            Job {
                name: o.name.clone(),
                plan: plan_for(&o.config),
                image_accounts: image_accounts_for(&o.config),
                config: o.config.clone(),
                json: o.json.clone(),
                spec_note: "3.3.0".into(),
            }
        })
        .collect();
    let dir = scratch("example-hosts-");
    let start = Instant::now();
    let verdicts = judge_all(&jobs, dir.path());
    let mut applied = 0;
    let mut failures = Vec::new();
    for (job, verdict) in jobs.iter().zip(&verdicts) {
        match verdict {
            Verdict::Applied { report, took } => {
                applied += 1;
                say(&format!(
                    "example host {}: applied in {took:?}; {} fact(s) checked{}",
                    job.name,
                    report.passed,
                    notes(report)
                ));
            }
            Verdict::NotApplied(why) => failures.push(format!("{}: not applied: {why}", job.name)),
            Verdict::ValidateFailed(e) => {
                failures.push(format!("{}: ignition-validate rejects it: {e}", job.name))
            }
            Verdict::Rejected(log) => failures.push(format!("{}: {log}", job.name)),
            Verdict::CheckFailed(r) => failures.push(format!("{}: {}", job.name, r.summary())),
        }
    }
    say(&format!(
        "example hosts: {applied}/{} applied with the real Ignition 2.14 and checked ({:?})",
        jobs.len(),
        start.elapsed()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn notes(report: &CheckReport) -> String {
    if report.notes.is_empty() {
        String::new()
    } else {
        format!("\n    note: {}", report.notes.join("\n    note: "))
    }
}

fn first_error(outcome: &butane::Outcome) -> String {
    outcome
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .map_or_else(|| "no config and no error".to_string(), |d| d.raw())
}

/// Compiles one corpus file for Ignition 2.14: 3.3.0, or the file's own
/// older spec. `Err`: why it cannot be.
fn compile_corpus(
    name: &str,
    source: &str,
    files: Option<FilesDir>,
) -> Result<(Config, String), String> {
    let file = format!("{name}.bu");
    let targeted = butane::compile(
        source,
        &file,
        &butane::Options {
            files_dir: files.clone(),
            target: Some(Spec::V3_3),
            json: None,
            raw: false,
        },
    );
    if let Some(config) = targeted.config {
        return Ok((config, "3.3.0 (--ignition-version 3.3.0)".to_string()));
    }
    let native = butane::compile(
        source,
        &file,
        &butane::Options {
            files_dir: files,
            target: None,
            json: None,
            raw: false,
        },
    );
    match native.config {
        Some(config) if Spec::parse(&config.ignition.version).is_some_and(|s| s < Spec::V3_3) => {
            let note = format!(
                "{} (its Butane version's own spec; kindling translates only down, Ignition 2.14 reads it)",
                config.ignition.version
            );
            Ok((config, note))
        }
        Some(config) => Err(format!(
            "cannot be down-translated from {} to 3.3.0: {}",
            config.ignition.version,
            first_error(&targeted)
        )),
        None => Err(format!("does not compile: {}", first_error(&native))),
    }
}

#[test]
fn the_butane_corpus_applies_with_the_real_ignition() {
    if !needs_all() {
        return;
    }
    let corpus = paths::butane_corpus();
    let Ok(entries) = fs::read_dir(&corpus) else {
        if tools::e2e_required() {
            panic!("no corpus at {}", corpus.display());
        }
        say(&format!("skipped: no corpus at {}", corpus.display()));
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".bu")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let total = names.len();

    let mut jobs = Vec::new();
    let mut not_compiled = Vec::new();
    for name in &names {
        let source = fs::read_to_string(corpus.join(format!("{name}.bu"))).expect("readable");
        let files = corpus.join("files").join(name);
        let files = files
            .is_dir()
            .then(|| FilesDir::open(&files).expect("files dir"));
        match compile_corpus(name, &source, files) {
            Ok((config, spec_note)) => jobs.push(Job {
                name: name.clone(),
                json: butane::to_json(&config, butane::JsonStyle::Compact),
                plan: plan_for(&config),
                image_accounts: image_accounts_for(&config),
                config,
                spec_note,
            }),
            Err(why) => not_compiled.push((name.clone(), why)),
        }
    }

    let dir = scratch("corpus-");
    let start = Instant::now();
    let verdicts = judge_all(&jobs, dir.path());
    let elapsed = start.elapsed();

    let mut applied = 0;
    let mut applied_modified = Vec::new();
    let mut not_applied = Vec::new();
    let mut failures = Vec::new();
    for (job, verdict) in jobs.iter().zip(&verdicts) {
        match verdict {
            Verdict::Applied { report, took } => {
                applied += 1;
                let mut how = String::new();
                if matches!(job.plan, Plan::WithoutLuks) {
                    how.push_str(", without storage.luks");
                    applied_modified.push(format!(
                        "{}: applied without storage.luks (crypttab needs the LUKS device); validated whole",
                        job.name
                    ));
                }
                for (passwd, _) in &job.image_accounts {
                    let account = passwd.split(':').next().unwrap_or_default();
                    how.push_str(&format!(", with the image account {account}"));
                    applied_modified.push(format!(
                        "{}: its root has {account}, an account Fedora CoreOS's image ships",
                        job.name
                    ));
                }
                say(&format!(
                    "corpus {}: spec {}; applied{how} in {took:?}; {} fact(s) checked{}",
                    job.name,
                    job.spec_note,
                    report.passed,
                    notes(report)
                ));
            }
            Verdict::NotApplied(why) => not_applied.push(format!("{}: {why}", job.name)),
            Verdict::ValidateFailed(e) => failures.push(format!(
                "{}: ignition-validate rejects kindling's output: {e}",
                job.name
            )),
            Verdict::Rejected(log) => failures.push(format!(
                "{}: the real Ignition rejects kindling's output: {log}",
                job.name
            )),
            Verdict::CheckFailed(report) => failures.push(format!(
                "{}: the applied tree does not match the config: {}",
                job.name,
                report.summary()
            )),
        }
    }

    let compiled = jobs.len();
    say(&format!(
        "butane corpus: {total} files; {compiled} compile for Ignition 2.14; {} of those pass ignition-validate; {applied} applied with the real Ignition and checked ({:.0}% of those that compile, {:.0}% of all), in {elapsed:?}",
        compiled
            - failures
                .iter()
                .filter(|f| f.contains("ignition-validate"))
                .count(),
        100.0 * applied as f64 / compiled.max(1) as f64,
        100.0 * applied as f64 / total.max(1) as f64,
    ));
    for line in &applied_modified {
        say(&format!("  applied, documented: {line}"));
    }
    for line in &not_applied {
        say(&format!("  not applied: {line}"));
    }
    for (name, why) in &not_compiled {
        say(&format!("  not compiled: {name}: {why}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        applied * 10 >= compiled * 9,
        "only {applied} of {compiled} compiled corpus configs applied"
    );
    // Every corpus file Butane itself accepts compiles for Ignition 2.14.
    let butane_ok: BTreeSet<String> = fs::read_dir(corpus.join("expected"))
        .expect("expected/")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".ign")
                .map(str::to_string)
        })
        .collect();
    let missing: Vec<&(String, String)> = not_compiled
        .iter()
        .filter(|(name, _)| butane_ok.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "Butane accepts these, yet they do not compile for Ignition 2.14: {missing:#?}"
    );
}

/// The checker is a real judge: the tree of one config, checked against
/// altered versions of that config, fails on each alteration.
#[test]
fn the_checker_catches_every_kind_of_difference() {
    if !needs_all() {
        return;
    }
    let original: Config = serde_json::from_value(serde_json::json!({
        "ignition": {"version": "3.3.0"},
        "passwd": {"users": [
            {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIone one@x"]},
            {"name": "ops", "uid": 1200, "groups": ["wheel"]}
        ]},
        "storage": {
            "files": [
                {"path": "/etc/a.conf", "mode": 420, "contents": {"source": "data:,alpha%0A"}},
                {"path": "/etc/b.conf", "mode": 384, "user": {"name": "core"},
                 "contents": {"source": "data:,beta"}, "append": [{"source": "data:,%2Bmore"}]}
            ],
            "directories": [{"path": "/var/lib/x", "mode": 488}],
            "links": [{"path": "/etc/a.link", "target": "/etc/a.conf"}]
        },
        "systemd": {"units": [
            {"name": "a.service", "enabled": true,
             "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
             "dropins": [{"name": "10-x.conf", "contents": "[Service]\nEnvironment=X=1\n"}]},
            {"name": "b.service", "mask": true}
        ]}
    }))
    .expect("a config");
    let dir = scratch("checker-");
    let path = dir.path().join("original.ign");
    fs::write(
        &path,
        butane::to_json(&original, butane::JsonStyle::Compact),
    )
    .expect("write");
    let tree = ignition::apply(&path).unwrap_or_else(|e| panic!("{e}"));
    let report = checker::check(&original, &tree);
    assert!(report.ok(), "{}", report.summary());
    assert!(report.passed >= 25, "{}", report.summary());

    type Alter = fn(&mut Config);
    let cases: &[(&str, Alter, &str)] = &[
        (
            "contents",
            |c| c.storage.files[0].contents.source = Some("data:,other".into()),
            "contents differ",
        ),
        (
            "append",
            |c| c.storage.files[1].append.clear(),
            "contents differ",
        ),
        (
            "file mode",
            |c| c.storage.files[0].mode = Some(0o600),
            "mode 0644 but expected 0600",
        ),
        (
            "file owner",
            |c| c.storage.files[1].user.name = None,
            "owner uid 1000 but the config says 0",
        ),
        (
            "dir mode",
            |c| c.storage.directories[0].mode = Some(0o755),
            "mode 0750 but expected 0755",
        ),
        (
            "link target",
            |c| c.storage.links[0].target = Some("/etc/b.conf".into()),
            "not a symlink to /etc/b.conf",
        ),
        (
            "missing file",
            |c| c.storage.files[0].path = "/etc/c.conf".into(),
            "file /etc/c.conf: missing",
        ),
        (
            "stray file",
            |c| {
                c.storage.files.remove(0);
            },
            "paths the config does not account for: [\"/etc/a.conf\"]",
        ),
        (
            "unit contents",
            |c| c.systemd.units[0].contents = Some("[Service]\n".into()),
            "unit a.service: contents differ",
        ),
        (
            "dropin",
            |c| c.systemd.units[0].dropins[0].contents = Some("x".into()),
            "dropin a.service/10-x.conf: contents differ",
        ),
        (
            "enablement",
            |c| c.systemd.units[0].enabled = Some(false),
            "preset file: enabled",
        ),
        (
            "mask",
            |c| c.systemd.units[1].mask = None,
            "paths the config does not account for",
        ),
        (
            "ssh key",
            |c| c.passwd.users[0].ssh_authorized_keys[0].push('!'),
            "authorized_keys.d/ignition holds",
        ),
        (
            "uid",
            |c| c.passwd.users[1].uid = Some(1300),
            "uid 1200 but the config says 1300",
        ),
        (
            "groups",
            |c| c.passwd.users[1].groups = vec!["sudo".into()],
            "supplementary groups",
        ),
        (
            "user",
            |c| c.passwd.users[1].name = "nobody2".into(),
            "user nobody2: not in /etc/passwd",
        ),
    ];
    for (what, alter, expected) in cases {
        let mut altered = original.clone();
        alter(&mut altered);
        let report = checker::check(&altered, &tree);
        assert!(
            report.failures.iter().any(|f| f.contains(expected)),
            "{what}: expected a failure containing {expected:?}; got {}",
            report.summary()
        );
    }
}
