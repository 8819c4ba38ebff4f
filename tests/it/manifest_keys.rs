//! kindling's own manifests are strict (issue 17, section 1): an unknown or
//! misspelled key in `fleet.yaml`, a host manifest, a service definition or
//! a host's service override is an error at the key as written, with a
//! did-you-mean or where the key belongs. A host's `butane:` block keeps
//! Butane's semantics (unused keys warn, `--strict` makes them fatal).

use crate::support::fleet::{BASE_FLEET, BASE_HOST, Fleet, file_text, host, snapshot};

/// `check`'s report, snapshot-tested, after asserting its exit code.
fn check(name: &str, fleet: &Fleet, code: i32) {
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(code), "{}", run.stderr);
    snapshot!(name, fleet, run.report());
}

#[test]
fn typo_in_fleet_yaml_is_an_error() {
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!("{BASE_FLEET}image_polcy: open\nusers:\n  - name: ops\n    ssh_authorized_key: [ssh-ed25519 AAAA]\n"),
    );
    check("typo_in_fleet_yaml", &fleet, 1);
    Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}image_policy: open\nusers:\n  - name: ops\n    ssh_authorized_keys: [ssh-ed25519 AAAA]\n"),
        )
        .compile_clean();
}

#[test]
fn typo_in_a_host_is_an_error() {
    let fleet = Fleet::base().with("hosts/h1.yaml", "servics:\n  - web\n");
    check("typo_in_host", &fleet, 1);
    let build = Fleet::base()
        .with("hosts/h1.yaml", BASE_HOST)
        .compile_clean();
    assert!(
        file_text(host(&build, "h1"), "/etc/containers/systemd/web.container").contains("Image=")
    );
}

#[test]
fn typo_in_a_service_definition_is_an_error() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nport: [\"127.0.0.1:8080:80\"]\n",
    );
    check("typo_in_service", &fleet, 1);
    Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports: [\"127.0.0.1:8080:80\"]\n",
        )
        .compile_clean();
}

#[test]
fn typo_in_a_host_override_is_an_error_at_the_override() {
    let fleet = Fleet::base().with(
        "hosts/h1.yaml",
        "services:\n  - web: { verison: 1.4.1, health: { intervl: 5s } }\n",
    );
    check("typo_in_override", &fleet, 1);
    let json = fleet.run("check", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        report["diagnostics"][0],
        serde_json::json!({
            "severity": "error",
            "code": "fleet-unknown-key",
            "message": "unknown key verison",
            "file": "hosts/h1.yaml",
            "position": { "line": 2, "column": 12 },
            "path": "$.services.0.web.verison",
            "help": "did you mean `version`?",
        })
    );
    let build = Fleet::base()
        .with(
            "hosts/h1.yaml",
            "services:\n  - web: { version: 1.4.1, health: { interval: 5s } }\n",
        )
        .compile_clean();
    let unit = file_text(host(&build, "h1"), "/etc/containers/systemd/web.container");
    assert!(
        unit.contains("Image=registry.example.com/acme/web:1.4.1"),
        "{unit}"
    );
}

#[test]
fn misplaced_keys_say_where_they_belong() {
    let fleet = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}hostname: h1\n"))
        .with(
            "hosts/h1.yaml",
            "services: [web]\nsystemd:\n  units: []\npasswd: {}\nimage: registry.example.com/acme/web\n",
        );
    check("misplaced_in_fleet_and_host", &fleet, 1);
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nContainer:\n  Label: a=b\nhostname: h1\n",
    );
    check("misplaced_in_service", &fleet, 1);
}

#[test]
fn butane_block_keeps_butane_semantics() {
    let fleet = Fleet::base().with(
        "hosts/h1.yaml",
        "services: [web]\nbutane:\n  systemd:\n    unitz: []\n",
    );
    check("butane_block_unused_key", &fleet, 0);
    let strict = fleet.run("check", &["--strict"]);
    assert_eq!(strict.code, Some(1), "{}", strict.stderr);
    assert_eq!(strict.count("warning"), 1, "{}", strict.stderr);
}
