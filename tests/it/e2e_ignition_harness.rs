//! The real Ignition (Debian's 2.14) applies hand-written Ignition 3.3.0
//! configs to a scratch root, and the harness reads back what it wrote.
//! These tests prove the harness that later judges kindling's output.
//!
//! Needs root and the tools from `tests/e2e/install-deps.sh`; skips with a
//! printed reason without them, fails under `KINDLING_E2E=1`.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::ignition::{self, AppliedTree, ApplyError, Kind, Stage};
use crate::support::tools;

fn write_config(dir: &Path, name: &str, config: &Value) -> PathBuf {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(config).expect("serialize");
    std::fs::write(&path, text).expect("write config");
    path
}

fn scratch() -> tempfile::TempDir {
    tools::scratch("harness-")
}

fn gzip_b64(data: &[u8]) -> String {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    let gz = enc.finish().expect("gzip");
    format!(
        "data:;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(gz)
    )
}

/// Validates with ignition-validate, applies with the real Ignition, prints
/// the time taken, and panics with Ignition's log on failure.
fn apply_ok(config: &Path) -> AppliedTree {
    if let Err(e) = ignition::validate(config) {
        panic!("ignition-validate rejected {}: {e}", config.display());
    }
    match ignition::apply(config) {
        Ok(tree) => {
            eprintln!(
                "applied {} in {:?}",
                config.file_name().unwrap_or_default().to_string_lossy(),
                tree.elapsed()
            );
            tree
        }
        Err(e) => panic!("{e}"),
    }
}

fn needs_all() -> bool {
    tools::require(tools::VALIDATE_AND_APPLY_TOOLS)
}

#[test]
fn files_directories_and_links() {
    if !needs_all() {
        return;
    }
    let dir = scratch();
    let big = "line of a config file that compresses well\n".repeat(200);
    let config = json!({
        "ignition": {"version": "3.3.0"},
        "storage": {
            "files": [
                {"path": "/etc/kindling/plain.txt", "mode": 420,
                 "contents": {"source": "data:,hello%20world%0A"}},
                {"path": "/etc/kindling/b64.txt", "mode": 420,
                 "contents": {"source": "data:;base64,aGVsbG8gYmFzZTY0Cg=="}},
                {"path": "/etc/kindling/big.conf", "mode": 416,
                 "contents": {"compression": "gzip", "source": gzip_b64(big.as_bytes())}},
                {"path": "/etc/kindling/secret", "mode": 384,
                 "user": {"name": "core"}, "group": {"name": "wheel"},
                 "contents": {"source": "data:,s3cret"}},
                {"path": "/var/lib/kindling/by-id", "mode": 416,
                 "user": {"id": 1000}, "group": {"id": 10},
                 "contents": {"source": "data:,x"}},
                {"path": "/usr/local/bin/hello.sh", "mode": 493,
                 "contents": {"source": "data:,%23!%2Fbin%2Fsh%0Aecho%20hi%0A"}},
                {"path": "/etc/kindling/empty"},
                {"path": "/etc/kindling/appended",
                 "contents": {"source": "data:,a%0A"},
                 "append": [{"source": "data:,b%0A"}]},
                {"path": "/etc/kindling/setuid", "mode": 2541,
                 "contents": {"source": "data:,"}}
            ],
            "directories": [
                {"path": "/var/lib/kindling", "mode": 488, "user": {"name": "core"}},
                {"path": "/etc/kindling/conf.d", "mode": 448},
                {"path": "/srv/deep/er/dir"}
            ],
            "links": [
                {"path": "/etc/kindling/current", "target": "/etc/kindling/plain.txt"},
                {"path": "/usr/local/bin/hello", "target": "hello.sh"},
                {"path": "/etc/kindling/hard.txt", "target": "/etc/kindling/plain.txt", "hard": true},
                {"path": "/etc/kindling/owned-link", "target": "/etc/kindling/plain.txt",
                 "user": {"name": "core"}, "group": {"name": "core"}}
            ]
        }
    });
    let tree = apply_ok(&write_config(dir.path(), "files.ign", &config));
    let listing = tree.listing();

    // Contents, decoded.
    assert_eq!(
        tree.read_string("/etc/kindling/plain.txt").as_deref(),
        Some("hello world\n")
    );
    assert_eq!(
        tree.read_string("/etc/kindling/b64.txt").as_deref(),
        Some("hello base64\n")
    );
    assert_eq!(
        tree.read("/etc/kindling/big.conf").as_deref(),
        Some(big.as_bytes())
    );
    assert_eq!(
        tree.read_string("/etc/kindling/appended").as_deref(),
        Some("a\nb\n")
    );
    assert_eq!(tree.read("/etc/kindling/empty").as_deref(), Some(&b""[..]));

    // Modes; the default for a file without one is 0644, for a directory 0755.
    assert_eq!(tree.mode("/etc/kindling/plain.txt"), Some(0o644));
    assert_eq!(tree.mode("/etc/kindling/big.conf"), Some(0o640));
    assert_eq!(tree.mode("/etc/kindling/secret"), Some(0o600));
    assert_eq!(tree.mode("/usr/local/bin/hello.sh"), Some(0o755));
    assert_eq!(tree.mode("/etc/kindling/empty"), Some(0o644), "{listing}");
    // Ignition 2.14 chmods before it chowns, and chown(2) clears setuid/setgid
    // on executables even for root: a 04755 file ends up 0755. Fixed upstream
    // in coreos/ignition#2049 (issue #2042); real nodes with an older Ignition
    // lose the bit too.
    assert_eq!(tree.mode("/etc/kindling/setuid"), Some(0o755), "{listing}");
    assert_eq!(tree.mode("/var/lib/kindling"), Some(0o750));
    assert_eq!(tree.mode("/etc/kindling/conf.d"), Some(0o700));
    assert_eq!(tree.mode("/srv/deep/er/dir"), Some(0o755));
    // Parents Ignition creates on the way: 0755 root.
    assert_eq!(tree.mode("/srv/deep"), Some(0o755));
    assert_eq!(tree.owner("/srv/deep"), Some((0, 0)));
    assert!(tree.is_dir("/etc/kindling"));

    // Owners by name and by id.
    assert_eq!(
        tree.owner_names("/etc/kindling/secret"),
        Some(("core".into(), "wheel".into()))
    );
    assert_eq!(tree.owner("/var/lib/kindling/by-id"), Some((1000, 10)));
    assert_eq!(tree.owner("/var/lib/kindling"), Some((1000, 0)));
    assert_eq!(tree.owner("/etc/kindling/plain.txt"), Some((0, 0)));

    // Links: symlinks keep their target as written (absolute or relative);
    // a hard link shares the inode.
    assert_eq!(
        tree.symlink_target("/etc/kindling/current"),
        Some(PathBuf::from("/etc/kindling/plain.txt"))
    );
    assert_eq!(
        tree.symlink_target("/usr/local/bin/hello"),
        Some(PathBuf::from("hello.sh"))
    );
    assert_eq!(
        tree.node("/etc/kindling/hard.txt").map(|n| n.kind),
        Some(Kind::File)
    );
    assert!(tree.same_file("/etc/kindling/hard.txt", "/etc/kindling/plain.txt"));
    assert_eq!(
        tree.node("/etc/kindling/plain.txt").map(|n| n.nlink),
        Some(2)
    );
    assert_eq!(
        tree.owner("/etc/kindling/owned-link"),
        Some((1000, 1000)),
        "{listing}"
    );

    // Nothing outside what the config names (plus the skeleton and Ignition's
    // own bookkeeping).
    assert!(tree.exists("/etc/.ignition-result.json"));
    assert!(!tree.exists("/etc/systemd"), "{listing}");
}

#[test]
fn units_dropins_masks_and_presets() {
    if !needs_all() {
        return;
    }
    let dir = scratch();
    let a = "[Unit]\nDescription=A\n\n[Service]\nExecStart=/usr/bin/true\n\n[Install]\nWantedBy=multi-user.target\n";
    let timer = "[Timer]\nOnCalendar=daily\n\n[Install]\nWantedBy=timers.target\n";
    let config = json!({
        "ignition": {"version": "3.3.0"},
        "systemd": {"units": [
            {"name": "a.service", "enabled": true, "contents": a,
             "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=A=1\n"}]},
            {"name": "b.service", "mask": true},
            {"name": "c.service", "enabled": false,
             "contents": "[Service]\nExecStart=/usr/bin/true\n"},
            {"name": "systemd-journald.service",
             "dropins": [{"name": "50-size.conf", "contents": "[Journal]\nSystemMaxUse=100M\n"}]},
            {"name": "backup.timer", "enabled": true, "contents": timer},
            {"name": "getty@ttyS1.service", "enabled": true}
        ]}
    });
    let tree = apply_ok(&write_config(dir.path(), "units.ign", &config));
    let listing = tree.listing();

    assert_eq!(tree.unit("a.service").as_deref(), Some(a));
    assert_eq!(tree.mode("/etc/systemd/system/a.service"), Some(0o644));
    assert_eq!(
        tree.dropin("a.service", "10-env.conf").as_deref(),
        Some("[Service]\nEnvironment=A=1\n")
    );
    assert!(tree.is_masked("b.service"), "{listing}");
    assert_eq!(tree.unit("b.service"), None);
    assert!(tree.unit("c.service").is_some());
    // A dropin-only unit: just the dropin, no unit file.
    assert!(!tree.exists("/etc/systemd/system/systemd-journald.service"));
    assert_eq!(
        tree.dropins("systemd-journald.service")
            .keys()
            .collect::<Vec<_>>(),
        ["50-size.conf"]
    );
    // An instance with no contents writes no unit file.
    assert!(!tree.exists("/etc/systemd/system/getty@ttyS1.service"));

    // Enablement is only in the preset file, as enable/disable lines in
    // random order; instances as `enable getty@.service ttyS1`.
    let presets = tree.presets();
    let enable: BTreeSet<String> = ["a.service", "backup.timer", "getty@.service ttyS1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(presets.enable, enable, "{presets:?}");
    assert_eq!(
        presets.disable,
        ["c.service".to_string()]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    assert!(presets.other.is_empty(), "{presets:?}");
    assert!(presets.is_enabled("getty@ttyS1.service"));
    assert!(presets.is_disabled("c.service"));
    assert!(!presets.is_enabled("b.service"));
    assert!(tree.wants_links().is_empty(), "{listing}");
    // The template instance made Ignition ask the D-Bus stand-in.
    assert!(
        tree.log().contains("getty@.service ttyS1"),
        "{}",
        tree.log()
    );
}

#[test]
fn users_groups_and_ssh_keys() {
    if !needs_all() {
        return;
    }
    let dir = scratch();
    let hash = "$6$rounds=4096$saltsalt$2J1E9GHqMB1uw7pGb2hqtKYYr8Jm8jiwWYjqQDDzJtcpNfEIu5EmSybgmt5hoMdCgv4hXGs0IPUMbIJlyXKlf0";
    let config = json!({
        "ignition": {"version": "3.3.0"},
        "passwd": {
            "groups": [
                {"name": "svcgrp", "gid": 1500},
                {"name": "ops", "system": true}
            ],
            "users": [
                {"name": "core",
                 "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcoreone one@ops",
                                       "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcoretwo two@ops"],
                 "groups": ["docker"]},
                {"name": "alice", "uid": 1100, "gecos": "Alice Ops",
                 "shell": "/bin/sh", "passwordHash": hash,
                 "groups": ["wheel", "sudo", "docker", "ops"],
                 "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIalice alice@laptop"]},
                {"name": "svc", "system": true, "noCreateHome": true,
                 "homeDir": "/var/lib/svc", "shell": "/sbin/nologin",
                 "primaryGroup": "svcgrp"}
            ]
        }
    });
    let tree = apply_ok(&write_config(dir.path(), "users.ign", &config));
    let listing = tree.listing();

    // The pre-existing core user is modified, not recreated.
    let core = tree.user("core").expect("core");
    assert_eq!(
        (core.uid, core.gid, core.home.as_str()),
        (1000, 1000, "/var/home/core")
    );
    assert_eq!(
        tree.ssh_keys("core"),
        Some(vec![
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcoreone one@ops".to_string(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIcoretwo two@ops".to_string(),
        ])
    );
    let keys = "/var/home/core/.ssh/authorized_keys.d/ignition";
    assert_eq!(tree.owner(keys), Some((1000, 1000)));
    assert_eq!(tree.mode(keys), Some(0o600));
    assert_eq!(tree.mode("/var/home/core/.ssh"), Some(0o700));
    assert!(
        !tree.exists("/var/home/core/.ssh/authorized_keys"),
        "{listing}"
    );
    // `groups` on an existing user *replaces* its supplementary groups
    // (`usermod --groups docker core`, no `--append`): core leaves adm,
    // wheel, sudo and systemd-journal, as it would on a real node.
    assert_eq!(
        tree.supplementary_groups("core"),
        ["docker".to_string()].into_iter().collect::<BTreeSet<_>>()
    );
    assert!(
        tree.log().contains(r#""usermod" "--root""#)
            && tree.log().contains(r#""--groups" "docker" "core""#),
        "{}",
        tree.log()
    );

    // A new user: uid, per-user group (USERGROUPS_ENAB), home, gecos, shell,
    // supplementary groups, password hash, keys.
    let alice = tree.user("alice").expect("alice");
    assert_eq!(alice.uid, 1100);
    assert_eq!(alice.gecos, "Alice Ops");
    assert_eq!(alice.shell, "/bin/sh");
    assert_eq!(alice.home, "/home/alice");
    let alice_group = tree.group("alice").expect("per-user group");
    assert_eq!(alice.gid, alice_group.gid);
    assert!(tree.is_dir("/var/home/alice"), "{listing}");
    assert_eq!(tree.owner("/var/home/alice"), Some((1100, alice.gid)));
    let expected: BTreeSet<String> = ["wheel", "sudo", "docker", "ops"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(tree.supplementary_groups("alice"), expected);
    assert_eq!(
        tree.shadow("alice").map(|s| s.password),
        Some(hash.to_string())
    );
    assert_eq!(
        tree.ssh_keys("alice"),
        Some(vec![
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIalice alice@laptop".to_string()
        ])
    );
    // No password given: locked.
    assert_eq!(
        tree.shadow("core").map(|s| s.password),
        Some("*".to_string())
    );

    // Groups: fixed gid, and a system group from the system range.
    assert_eq!(tree.group("svcgrp").map(|g| g.gid), Some(1500));
    let ops = tree.group("ops").expect("ops").gid;
    assert!((201..1000).contains(&ops), "ops gid {ops}");

    // A system user: system uid range, primary group, no home created.
    let svc = tree.user("svc").expect("svc");
    assert!((201..1000).contains(&svc.uid), "svc uid {}", svc.uid);
    assert_eq!(svc.gid, 1500);
    assert_eq!(svc.home, "/var/lib/svc");
    assert!(!tree.exists("/var/lib/svc"), "{listing}");
}

#[test]
fn manifests_compare_runs() {
    if !needs_all() {
        return;
    }
    let dir = scratch();
    let base = json!({
        "ignition": {"version": "3.3.0"},
        "passwd": {"users": [{"name": "bob", "groups": ["wheel"]}]},
        "storage": {"files": [{"path": "/etc/x", "contents": {"source": "data:,one"}}]},
        "systemd": {"units": [
            {"name": "a.service", "enabled": true,
             "contents": "[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n"},
            {"name": "b.service", "enabled": true,
             "contents": "[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n"},
            {"name": "c.service", "enabled": false}
        ]}
    });
    let first = apply_ok(&write_config(dir.path(), "base1.ign", &base));
    let second = apply_ok(&write_config(dir.path(), "base2.ign", &base));
    // Same config twice: the same tree once the varying bits are normalized
    // (shadow dates, Ignition's result file, backups, preset line order).
    assert_eq!(first.diff(&second), Vec::<String>::new());

    let mut changed = base.clone();
    changed["storage"]["files"][0]["contents"]["source"] = json!("data:,two");
    changed["storage"]["files"][0]["mode"] = json!(0o600);
    let third = apply_ok(&write_config(dir.path(), "changed.ign", &changed));
    let diff = first.diff(&third);
    assert_eq!(diff.len(), 2, "{diff:#?}");
    assert!(
        diff[0].starts_with("/etc/x: file 0644 0:0 vs file 0600 0:0"),
        "{diff:#?}"
    );
    assert!(diff[1].starts_with("/etc/x: contents differ"), "{diff:#?}");
}

#[test]
fn rejected_configs_carry_ignitions_log() {
    if !needs_all() {
        return;
    }
    let dir = scratch();

    // A corrupt gzip payload passes validation; the real Ignition rejects it
    // when it writes the file, and says so in its log.
    let bad_gzip = json!({
        "ignition": {"version": "3.3.0"},
        "storage": {"files": [{
            "path": "/etc/broken.conf",
            "contents": {"compression": "gzip", "source": "data:;base64,bm90IGd6aXA="}
        }]}
    });
    let path = write_config(dir.path(), "bad-gzip.ign", &bad_gzip);
    assert_eq!(ignition::validate(&path), Ok(()));
    match ignition::apply(&path) {
        Err(ApplyError::Rejected { stage, log }) => {
            assert_eq!(stage, Stage::Files, "{log}");
            assert!(log.contains("CRITICAL"), "{log}");
            assert!(log.contains("/etc/broken.conf"), "{log}");
            eprintln!(
                "Ignition's complaint: {:?}",
                log.lines()
                    .filter(|l| l.starts_with("CRITICAL"))
                    .collect::<Vec<_>>()
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }

    // A config version Ignition 2.14 does not know: fetch-offline fails.
    let too_new = json!({"ignition": {"version": "3.4.0"}});
    let path = write_config(dir.path(), "too-new.ign", &too_new);
    let err = ignition::validate(&path).expect_err("3.4.0 is too new for 2.14");
    assert!(err.contains("unsupported config version"), "{err}");
    match ignition::apply(&path) {
        Err(e @ ApplyError::Rejected { .. }) => {
            assert!(
                matches!(
                    e,
                    ApplyError::Rejected {
                        stage: Stage::FetchOffline,
                        ..
                    }
                ),
                "{e}"
            );
            assert!(
                e.log().contains("unsupported config version"),
                "{}",
                e.log()
            );
            assert!(!e.critical_lines().is_empty(), "{}", e.log());
        }
        other => panic!("expected a rejection, got {other:?}"),
    }

    // Bad base64 fails validation already.
    let bad_b64 = json!({
        "ignition": {"version": "3.3.0"},
        "storage": {"files": [{"path": "/etc/x", "contents": {"source": "data:;base64,%%%"}}]}
    });
    let path = write_config(dir.path(), "bad-b64.ign", &bad_b64);
    let err = ignition::validate(&path).expect_err("bad base64");
    assert!(!err.is_empty());
}
