//! Quadlet files placed by Butane (a host's `.bu`, its `butane:` block, an
//! included snippet) are validated like the ones kindling renders, located
//! at the line the text came from; `kindling butane` checks them only when
//! asked (`--check-quadlet`).

use kindling::diag::Severity;

use crate::support::fleet::{Fleet, findings, raw, snapshot, the_one_error, the_one_error_at};
use crate::support::paths;

/// The example's uCore host (`hosts/mouse.bu` placing two `containers/`
/// files with `contents.local`) in a fleet of its own.
fn mouse_fleet(netdata: &str) -> Fleet {
    let example = |relative: &str| {
        std::fs::read_to_string(paths::repo_root().join(relative)).expect("example file")
    };
    Fleet::empty()
        .with("fleet.yaml", "org: acme\n")
        .with("hosts/mouse.bu", &example("hosts/mouse.bu"))
        .with(
            "containers/rustfs.container",
            &example("containers/rustfs.container"),
        )
        .with("containers/netdata.container", netdata)
}

#[test]
fn a_misspelled_key_in_a_local_file_fails_at_its_line() {
    let good = std::fs::read_to_string(paths::repo_root().join("containers/netdata.container"))
        .expect("example file");
    let errors = findings(&mouse_fleet(&good).compile(), Severity::Error).len();
    assert_eq!(errors, 0, "the example's files are valid");
    assert!(
        good.lines()
            .nth(11)
            .is_some_and(|l| l.starts_with("PublishPort="))
    );
    let fleet = mouse_fleet(&good.replacen("PublishPort=", "PublishPorts=", 1));
    let build = fleet.compile();
    let error = the_one_error(&build, "containers/netdata.container", 12);
    assert_eq!(
        error.code.as_str(),
        "quadlet-unknown-key",
        "{}",
        raw(&build)
    );
    assert!(build.outputs.is_empty(), "no output for a failing host");
    let run = fleet.run("check", &["--raw-errors"]);
    assert_eq!(run.code, Some(1), "{}", run.report());
    snapshot!("mouse_misspelled_key", fleet, run.report());
    // The same place for CI annotations, in the JSON report.
    let json = fleet.run("check", &["--format", "json"]);
    assert_eq!(json.code, Some(1), "{}", json.report());
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON report");
    let places: Vec<_> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].clone(),
                d["file"].clone(),
                d["position"]["line"].clone(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [(
            serde_json::json!("quadlet-unknown-key"),
            serde_json::json!("containers/netdata.container"),
            serde_json::json!(12)
        )],
        "{}",
        json.stdout
    );
}

#[test]
fn an_inline_quadlet_in_a_butane_block_fails_at_its_yaml_line() {
    let host = "\
services:
  - web
butane:
  storage:
    files:
      - path: /etc/containers/systemd/cache.container
        contents:
          inline: |
            [Container]
            Image=docker.io/library/redis@sha256:0000000000000000000000000000000000000000000000000000000000000000
            Imagee=x
            User=1000
";
    let build = Fleet::base().with("hosts/h1.yaml", host).compile();
    let error = the_one_error_at(&build, "hosts/h1.yaml", 11, 13);
    assert_eq!(error.code.as_str(), "quadlet-unknown-key");
    insta::assert_snapshot!("inline_butane_block", error.raw());
}

#[test]
fn an_inline_flow_scalar_is_reported_at_the_inline_key() {
    let host = "\
services:
  - web
butane:
  storage:
    files:
      - path: /etc/containers/systemd/cache.volume
        contents:
          inline: \"[Volume]\\nDevicee=/dev/x\\n\"
";
    let build = Fleet::base().with("hosts/h1.yaml", host).compile();
    the_one_error_at(&build, "hosts/h1.yaml", 8, 11);
}

#[test]
fn a_drop_in_from_a_snippet_is_validated_against_the_host_units() {
    let snippet = "\
variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/containers/systemd/web.container.d/10-net.conf
      contents:
        inline: |
          [Container]
          Network=missing.network
          PublishPorts=8080:80
";
    let fleet = Fleet::base()
        .with(
            "hosts/h1.yaml",
            "services:\n  - web\ninclude:\n  - snippets/net.bu\n",
        )
        .with("snippets/net.bu", snippet);
    let build = fleet.compile();
    let errors = findings(&build, Severity::Error);
    let lines: Vec<String> = errors.iter().map(|d| d.raw()).collect();
    insta::assert_snapshot!("snippet_drop_in", lines.join("\n"));
    assert!(
        errors
            .iter()
            .all(|d| d.file.as_deref() == Some("snippets/net.bu"))
    );
    let good = snippet
        .replace("missing.network", "host")
        .replace("PublishPorts=", "PublishPort=127.0.0.1:");
    let fleet = fleet.with("snippets/net.bu", &good);
    assert!(findings(&fleet.compile(), Severity::Error).is_empty());
}

#[test]
fn a_tree_placed_by_a_butane_host_is_validated() {
    let host = "\
variant: fcos
version: 1.5.0
storage:
  trees:
    - local: quadlets
      path: /etc/containers/systemd
";
    let fleet = Fleet::empty()
        .with("fleet.yaml", "org: acme\n")
        .with("hosts/t.bu", host)
        .with("quadlets/a.network", "[Network]\nSubnett=10.0.0.0/24\n")
        .with("quadlets/notes.txt", "not a unit\n");
    let build = fleet.compile();
    the_one_error(&build, "quadlets/a.network", 2);
}

#[test]
fn kindling_butane_checks_quadlets_only_when_asked() {
    let config = "\
variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/containers/systemd/app.container
      contents:
        inline: |
          [Container]
          Image=quay.io/x/app:1.0
          PublishPorts=80:80
";
    let fleet = Fleet::empty().with("app.bu", config);
    let input = fleet.root().join("app.bu");
    let run = |extra: &[&str]| {
        crate::support::cli::Run::of(
            crate::support::cli::kindling()
                .arg("butane")
                .arg(&input)
                .args(extra),
        )
    };
    let plain = run(&[]);
    assert_eq!(plain.code, Some(0), "{}", plain.report());
    assert!(plain.stderr.is_empty(), "{}", plain.stderr);
    let checked = run(&["--check-quadlet", "--raw-errors"]);
    assert_eq!(checked.code, Some(1), "{}", checked.report());
    assert!(checked.stdout.is_empty());
    snapshot!("butane_check_quadlet", fleet, checked.report());
}
