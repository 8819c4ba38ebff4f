//! A build's output directory shows one whole build, before and after, and
//! never a mix: when an output cannot be written, when the build is killed
//! while writing, and when only some hosts are built (issue 16, items
//! 18-20). `kindling man --out-dir` writes only inside its directory.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::build_dir::{assert_consistent, contents, visible_files, visible_names};
use crate::support::cli::{Identity, Run, kindling, kindling_with};
use crate::support::fleet::{BASE_HOST, Fleet, snapshot};

fn build(fleet: &Fleet, out: &Path, hosts: &[&str]) -> Run {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["--out", out];
    args.extend(hosts);
    fleet.run("build", &args)
}

/// Item 18: the second host's output path is a directory, so it cannot be
/// written; the first host's new output and the new manifest must not be
/// published either.
#[test]
fn a_build_that_cannot_write_one_output_changes_nothing() {
    let fleet = Fleet::base().with("hosts/h2.yaml", BASE_HOST);
    let out = tempfile::tempdir().expect("tempdir");
    let first = build(&fleet, out.path(), &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    // Both hosts change; h2's output path becomes a directory.
    fleet.write("containers/web.yaml", b"version: 1.0.1\n");
    fs::remove_file(out.path().join("h2.ign")).expect("rm h2.ign");
    fs::create_dir(out.path().join("h2.ign")).expect("mkdir h2.ign");
    let before = contents(out.path());

    let run = build(&fleet, out.path(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        contents(out.path()),
        before,
        "h1.ign and manifest.json are the previous build's, nothing else appeared"
    );
    snapshot!(
        "output_path_is_a_directory",
        fleet,
        run.report(),
        &[(out.path(), "[OUT]")]
    );
}

/// A fleet of `hosts` hosts whose outputs each embed `bytes` bytes that do
/// not compress away, so that writing them takes a while.
fn large_fleet(hosts: usize, bytes: usize) -> Fleet {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: String = (0..bytes / 2)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("{:02x}", state as u8)
        })
        .collect();
    let fleet = Fleet::base();
    for host in 0..hosts {
        fleet.write(
            &format!("hosts/n{host:04}.yaml"),
            format!(
                "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/noise\n        contents: {{ inline: \"{noise}\" }}\n"
            )
            .as_bytes(),
        );
    }
    fleet
}

/// A hidden entry of `out` that `known` lacks and that holds something: a
/// build is writing its outputs.
fn staging_started(out: &Path, known: &BTreeSet<String>) -> bool {
    fs::read_dir(out).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with('.')
                && !known.contains(&name)
                && fs::read_dir(entry.path()).map_or(true, |mut files| files.next().is_some())
        })
    })
}

/// Item 19: a build killed (SIGKILL) while it writes its outputs leaves the
/// previous build whole and consistent with manifest.json, and the next
/// build removes what the killed one left.
#[test]
fn a_build_killed_while_writing_leaves_one_whole_build() {
    let fleet = large_fleet(120, 128 * 1024);
    let out = tempfile::tempdir().expect("tempdir");
    let first = build(&fleet, out.path(), &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_consistent(out.path());
    let previous = visible_files(out.path());

    // Every output changes; kill the build once it has started writing.
    fleet.write("containers/web.yaml", b"version: 1.0.1\n");
    let known: BTreeSet<String> = contents(out.path()).into_keys().collect();
    let mut child = kindling_with(Identity::None)
        .arg("build")
        .arg("--fleet")
        .arg(fleet.root())
        .arg("--out")
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kindling starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if staging_started(out.path(), &known) {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the build ended ({status}) before it could be killed while writing");
        }
        assert!(Instant::now() < deadline, "the build never started writing");
        std::thread::sleep(Duration::from_micros(200));
    }
    assert_consistent(out.path());
    let after_kill = visible_files(out.path());
    assert_eq!(
        after_kill.keys().collect::<Vec<_>>(),
        previous.keys().collect::<Vec<_>>()
    );

    // The next build publishes, and only its generation, the one before it
    // and the link naming it remain among the hidden entries.
    let next = build(&fleet, out.path(), &[]);
    assert_eq!(next.code, Some(0), "{}", next.stderr);
    assert_consistent(out.path());
    assert_ne!(
        visible_files(out.path()),
        previous,
        "the new build is published"
    );
    let hidden: Vec<String> = contents(out.path())
        .into_keys()
        .filter(|name| name.starts_with('.'))
        .collect();
    let generations = hidden.iter().filter(|n| n.starts_with(".gen-")).count();
    assert!(
        generations <= 2
            && hidden
                .iter()
                .all(|n| n == ".current" || n.starts_with(".gen-")),
        "a killed build's files remain: {hidden:?}"
    );
}

/// Item 20: `kindling build HOST` updates that host's manifest.json entry
/// and keeps the others'.
#[test]
fn building_one_host_updates_its_manifest_entry() {
    let fleet = Fleet::base().with("hosts/h2.yaml", BASE_HOST);
    let out = tempfile::tempdir().expect("tempdir");
    assert_eq!(build(&fleet, out.path(), &[]).code, Some(0));
    let manifest = |out: &Path| -> serde_json::Value {
        serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json")
    };
    let before = manifest(out.path());

    fleet.write(
        "hosts/h1.yaml",
        b"services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/h1\n        contents: { inline: changed }\n",
    );
    let run = build(&fleet, out.path(), &["h1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_consistent(out.path());
    let after = manifest(out.path());
    assert_ne!(
        after["hosts"]["h1"], before["hosts"]["h1"],
        "h1's entry is updated"
    );
    assert_eq!(
        after["hosts"]["h2"], before["hosts"]["h2"],
        "h2's entry is kept"
    );
    assert_eq!(
        visible_names(&contents(out.path())),
        ["h1.ign", "h2.ign", "manifest.json"]
    );
}

/// Item 20: `kindling man --out-dir` refuses a page path that is a link
/// (it would write where the link points) and an out dir that is one.
#[test]
fn man_out_dir_refuses_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).expect("mkdir");
    let victim = outside.join("victim");
    fs::write(&victim, "precious\n").expect("write");
    let pages = dir.path().join("pages");
    fs::create_dir(&pages).expect("mkdir");
    std::os::unix::fs::symlink(&victim, pages.join("kindling-build.1")).expect("ln");

    let run = Run::of(kindling().arg("man").arg("--out-dir").arg(&pages));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&victim).expect("read"), "precious\n");
    let linked_dir = dir.path().join("linked");
    std::os::unix::fs::symlink(&outside, &linked_dir).expect("ln");
    let run_dir = Run::of(kindling().arg("man").arg("--out-dir").arg(&linked_dir));
    assert_eq!(run_dir.code, Some(1), "{}", run_dir.stderr);
    assert_eq!(
        fs::read_dir(&outside).expect("ls").count(),
        1,
        "nothing written through the linked directory"
    );

    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &crate::support::fleet::regex_escape(&dir.path().display().to_string()),
        "[DIR]",
    );
    settings.bind(|| {
        insta::assert_snapshot!(
            "man_out_dir_refuses_links",
            format!("{}\n{}", run.report(), run_dir.report())
        )
    });
}

/// Issue 17 §3: a broken service fails only the hosts that use it, and the
/// build stays all or nothing: the report names the failing host (not the
/// ones that compiled), nothing is written, and `check` names it too, in
/// text and JSON.
#[test]
fn a_broken_service_fails_only_the_hosts_that_use_it() {
    let fleet = Fleet::base()
        .with("containers/db.yaml", "version: 1.0.0\n")
        .with("hosts/h2.yaml", "services: [db]\n");
    let out = tempfile::tempdir().expect("tempdir");
    let first = build(&fleet, out.path(), &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let before = contents(out.path());

    fleet.write("containers/web.yaml", b"version: 1.0.0\nservics: [x]\n");
    fleet.write("containers/db.yaml", b"version: 1.0.1\n");
    let run = build(&fleet, out.path(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!(
        "broken_service_fails_its_hosts",
        fleet,
        run.report(),
        &[(out.path(), "[OUT]")]
    );
    assert_eq!(contents(out.path()), before, "nothing is written");

    let check = fleet.run("check", &[]);
    assert_eq!(check.code, Some(1));
    assert!(
        check
            .stderr
            .contains("failed host(s):\n  h1: containers/web.yaml:2:1:"),
        "{}",
        check.stderr
    );
    let json = fleet.run("check", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(report["hosts"], serde_json::json!(["h2"]));
    let failed = report["failed_hosts"].as_object().expect("failed_hosts");
    assert_eq!(failed.keys().collect::<Vec<_>>(), ["h1"]);
    assert!(failed["h1"].as_str().is_some_and(|r| r.contains("servics")));
}
