//! Named ports (issue 17 §3 "Or let kindling pick the ports"): a service's
//! `ports: [{ name, container }]` gets a host port per host from
//! `port_range`, clear of the host's other published ports, recorded in
//! `ports.lock` by `build` (so adding a service moves nothing), passed to
//! the container as `PORT`/`PORT_<NAME>`, listed by `kindling hosts`;
//! `check` reports what the lock lacks and writes nothing; `--locked` fails.

use std::fs;

use kindling::diag::Severity;

use crate::support::fleet::{BASE_FLEET, Fleet, file_text, findings, host, raw, snapshot};

const WEB_UNIT: &str = "/etc/containers/systemd/web.container";
const WEB_ENV: &str = "/etc/acme/env/web.env";

/// A fleet whose `web` has one named port, in a small range.
fn named_fleet(range: &str) -> Fleet {
    Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}port_range: {range}\n"))
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports:\n  - { name: http, container: 8080, address: 127.0.0.1 }\n",
        )
}

fn lock(fleet: &Fleet) -> String {
    fs::read_to_string(fleet.root().join("ports.lock")).unwrap_or_default()
}

/// The `PublishPort=` values of a rendered unit.
fn published(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| line.strip_prefix("PublishPort="))
        .collect()
}

#[test]
fn a_named_port_is_published_on_a_picked_host_port_and_passed_as_env() {
    let fleet = named_fleet("20000-20009").with(
        "containers/web.yaml",
        "version: 1.0.0\nenv: { LOG: info }\nports:\n  - \"127.0.0.1:9000:9000\"\n  - { name: http, container: 8080 }\n  - { name: admin-ui, address: 127.0.0.1, protocol: udp }\n",
    );
    let build = fleet.compile();
    assert!(!build.failed(), "{}", raw(&build));
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    let ports = published(&unit);
    assert_eq!(ports.len(), 3, "{unit}");
    assert_eq!(ports[0], "127.0.0.1:9000:9000", "written order is kept");
    let http: u16 = ports[1]
        .strip_suffix(":8080")
        .and_then(|p| p.parse().ok())
        .expect("host:8080");
    assert!((20_000..=20_009).contains(&http));
    // Without `container:` the container listens on the host port itself.
    let admin = ports[2]
        .strip_prefix("127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/udp"))
        .and_then(|rest| rest.split_once(':'))
        .expect("address:host:container/udp");
    assert_eq!(admin.0, admin.1);
    let env = file_text(host(&build, "h1"), WEB_ENV);
    assert!(env.contains(&format!("PORT={http}\n")), "{env}");
    assert!(env.contains(&format!("PORT_HTTP={http}\n")), "{env}");
    assert!(
        env.contains(&format!("PORT_ADMIN_UI={}\n", admin.0)),
        "{env}"
    );
    assert!(env.contains("LOG=info\n"), "{env}");
}

#[test]
fn picked_ports_avoid_every_port_the_host_publishes() {
    // Three ports in the range: web itself publishes 20000 and a literal
    // Quadlet file 20001, so the named port gets 20002.
    let fleet = named_fleet("20000-20002")
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports:\n  - \"20000:80\"\n  - { name: http, container: 8080 }\n",
        )
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nPublishPort=127.0.0.1:20001:80\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile();
    assert!(!build.failed(), "{}", raw(&build));
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    assert!(published(&unit).contains(&"20002:8080"), "{unit}");
}

/// The lock keeps every port where it is: a hand-written entry that no
/// hash would pick survives a rebuild, and adding a service (sorted
/// before, so it is picked first) moves nothing.
#[test]
fn adding_a_service_keeps_existing_assignments() {
    let fleet = named_fleet("20000-20003");
    fleet.write("ports.lock", b"h1:\n  web:\n    http: 20003\n");
    let run = fleet.run("build", &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        lock(&fleet)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["h1:", "  web:", "    http: 20003"]
    );

    fleet.write(
        "containers/api.yaml",
        b"version: 1.0.0\nports: [{ name: http }, { name: grpc }]\n",
    );
    fleet.write("hosts/h1.yaml", b"services: [api, web]\n");
    fleet.write("hosts/h2.yaml", b"services: [web]\n");
    let run = fleet.run("build", &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let build = fleet.compile();
    assert!(!build.failed(), "{}", raw(&build));
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    assert_eq!(published(&unit), ["127.0.0.1:20003:8080"]);
    let text = lock(&fleet);
    assert!(text.contains("h1:\n  api:\n    grpc: 2000"), "{text}");
    assert!(
        text.contains("  web:\n    http: 20003\nh2:\n  web:\n    http: 200"),
        "{text}"
    );
    // Another build reads what it wrote and changes nothing.
    let before = fs::metadata(fleet.root().join("ports.lock"))
        .and_then(|m| m.modified())
        .ok();
    assert_eq!(fleet.run("build", &[]).code, Some(0));
    let after = fs::metadata(fleet.root().join("ports.lock"))
        .and_then(|m| m.modified())
        .ok();
    assert_eq!(before, after, "an unchanged lock is not rewritten");
    assert_eq!(lock(&fleet), text);
    // The same fleet's check is clean.
    let check = fleet.run("check", &["--locked"]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
}

/// Entries of a removed service (or host) are dropped by the next build;
/// `check` says it would drop them.
#[test]
fn entries_of_removed_services_are_dropped_on_build() {
    let fleet = named_fleet("20000-20009");
    assert_eq!(fleet.run("build", &[]).code, Some(0));
    assert!(lock(&fleet).contains("web:"));
    fleet.write("hosts/h1.yaml", b"services: []\n");
    let check = fleet.run("check", &["--raw-errors"]);
    assert_eq!(check.code, Some(0), "a warning: {}", check.stderr);
    snapshot!("check_reports_a_dropped_entry", fleet, check.report());
    assert_eq!(fleet.run("build", &[]).code, Some(0));
    assert!(!lock(&fleet).contains("web:"), "{}", lock(&fleet));
}

#[test]
fn check_reports_a_port_the_lock_lacks_and_writes_nothing() {
    let fleet = named_fleet("20000-20000");
    let check = fleet.run("check", &["--raw-errors"]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    assert!(
        check.stderr.contains("warning[fleet-port-not-locked]"),
        "{}",
        check.stderr
    );
    snapshot!("check_reports_an_unlocked_port", fleet, check.report());
    assert!(!fleet.root().join("ports.lock").exists());
    let locked = fleet.run("check", &["--locked", "--raw-errors"]);
    assert_eq!(locked.code, Some(1), "{}", locked.stderr);
    assert!(
        locked.stderr.contains("error[fleet-port-not-locked]"),
        "{}",
        locked.stderr
    );
    let out = tempfile::tempdir().expect("tempdir");
    let build = fleet.run(
        "build",
        &["--locked", "--out", out.path().to_str().expect("utf-8")],
    );
    assert_eq!(build.code, Some(1), "{}", build.stderr);
    assert!(!fleet.root().join("ports.lock").exists());
    assert!(!out.path().join("h1.ign").exists());
}

#[test]
fn a_full_range_is_an_error_at_the_port() {
    let fleet = named_fleet("20000-20000").with(
        "containers/web.yaml",
        "version: 1.0.0\nports:\n  - \"20000:80\"\n  - { name: http, container: 8080 }\n",
    );
    let build = fleet.compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn bad_port_names_are_errors_at_the_name() {
    let fleet = named_fleet("20000-20009").with(
        "containers/web.yaml",
        "version: 1.0.0\nports:\n  - { name: 8080, container: 8080 }\n  - { name: web.ui }\n  - { name: admin }\n  - { name: Admin }\n",
    );
    let build = fleet.compile();
    assert_eq!(
        findings(&build, Severity::Error).len(),
        3,
        "{}",
        raw(&build)
    );
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn unknown_keys_of_a_named_port_are_errors() {
    let fleet = named_fleet("20000-20009").with(
        "containers/web.yaml",
        "version: 1.0.0\nports:\n  - { name: http, contianer: 8080 }\n",
    );
    let build = fleet.compile();
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn env_setting_a_port_variable_is_an_error() {
    let fleet = named_fleet("20000-20009").with(
        "containers/web.yaml",
        "version: 1.0.0\nenv: { PORT_HTTP: \"80\" }\nports:\n  - { name: http, address: 127.0.0.1 }\n",
    );
    let build = fleet.compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_malformed_lock_is_an_error_at_its_line() {
    for (name, text) in [
        ("lock_not_a_number", "h1:\n  web:\n    http: eighty\n"),
        ("lock_syntax", "h1:\n  web: [http\n"),
        ("lock_not_a_mapping", "h1:\n  - web\n"),
    ] {
        let fleet = named_fleet("20000-20009").with("ports.lock", text);
        let check = fleet.run("check", &["--raw-errors"]);
        assert_eq!(check.code, Some(1), "{name}: {}", check.stderr);
        snapshot!(name, fleet, check.report());
    }
}

#[test]
fn a_bad_port_range_is_an_error_in_fleet_yaml() {
    let build = named_fleet("60000-10000").compile();
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn hosts_lists_the_assignments() {
    let fleet = named_fleet("20000-20009").with(
        "containers/web.yaml",
        "version: 1.0.0\nports:\n  - { name: http, container: 8080 }\n  - { name: metrics, host: 9100 }\n",
    );
    fleet.write("ports.lock", b"h1:\n  web:\n    http: 20004\n");
    let human = fleet.run("hosts", &[]);
    assert_eq!(human.code, Some(0), "{}", human.stderr);
    snapshot!("hosts_named_ports_human", fleet, human.stdout);
    let json = fleet.run("hosts", &["--format", "json"]);
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    insta::assert_json_snapshot!("hosts_named_ports_json", value[0]["ports"]);
}
