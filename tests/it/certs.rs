//! Certificates a host gets (issue 17 §5): each rule with the bad input,
//! its exact finding located at the manifest line that placed the
//! certificate, and the good input passing. Certificates are made by
//! `support::certs` with fixed dates around `support::BUILD_TIME`
//! (2027-01-01).

use rcgen::KeyPair;
use time::macros::datetime;

use crate::support::certs::{Ca, ca, leaf};
use crate::support::fleet::{Fleet, raw, snapshot};
use kindling::diag::Code;
use kindling::fleet::Build;

/// Compiles and asserts there is no finding but the one about the test's
/// private key lying in `secrets/` unencrypted (certificate tests place
/// plain keys on purpose, so the key/certificate pairing can be checked).
fn compile_cert_clean(fleet: &Fleet) -> Build {
    let build = fleet.compile();
    assert!(
        build
            .diagnostics
            .iter()
            .all(|d| d.code == Code::FleetSecretPlaintextKey),
        "expected no finding but the plain key's:\n{}",
        raw(&build)
    );
    build
}

const WEB: &str = "version: 1.0.0
secrets:
  - file: cert.pem
    from: web/cert.pem
  - file: key.pem
    from: web/key.pem
trust:
  - file: ca.pem
    from: realm/ca.pem
";

/// The base fleet whose `web` gets `cert`, `key` and the anchor `anchor`.
fn fleet(cert: &str, key: &str, anchor: &str) -> Fleet {
    Fleet::base()
        .with("containers/web.yaml", WEB)
        .with("secrets/web/cert.pem", cert)
        .with("secrets/web/key.pem", key)
        .with("secrets/realm/ca.pem", anchor)
}

fn good() -> (Ca, Fleet) {
    let realm = ca("realm root");
    let (cert, key) = leaf(
        &realm,
        "web",
        datetime!(2026-06-01 0:00 UTC),
        datetime!(2027-06-01 0:00 UTC),
    );
    let fleet = fleet(&cert, &key, &realm.pem);
    (realm, fleet)
}

#[test]
fn a_valid_certificate_with_its_key_chaining_to_the_anchor_passes() {
    let (_, fleet) = good();
    let build = compile_cert_clean(&fleet);
    let expiry = build.cert_expiry.get("h1").expect("h1 gets certificates");
    assert_eq!(expiry.not_after, "2027-06-01T00:00:00Z");
    assert_eq!(expiry.path, "/etc/acme/secrets/web/cert.pem");
}

#[test]
fn an_expired_certificate_fails_the_host_at_its_secrets_entry() {
    let realm = ca("realm root");
    let (cert, key) = leaf(
        &realm,
        "web",
        datetime!(2025-01-01 0:00 UTC),
        datetime!(2026-12-01 0:00 UTC),
    );
    let build = fleet(&cert, &key, &realm.pem).compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_certificate_not_yet_valid_fails_the_host() {
    let realm = ca("realm root");
    let (cert, key) = leaf(
        &realm,
        "web",
        datetime!(2027-03-01 0:00 UTC),
        datetime!(2028-03-01 0:00 UTC),
    );
    let build = fleet(&cert, &key, &realm.pem).compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_certificate_expiring_within_the_fleet_window_warns() {
    let realm = ca("realm root");
    let (cert, key) = leaf(
        &realm,
        "web",
        datetime!(2026-06-01 0:00 UTC),
        datetime!(2027-01-20 12:00 UTC),
    );
    let fleet = fleet(&cert, &key, &realm.pem);
    let build = fleet.compile();
    assert_eq!(build.outputs.len(), 1, "a warning keeps the output");
    insta::assert_snapshot!(raw(&build));
    let fleet = fleet.with(
        "fleet.yaml",
        &format!(
            "{}cert_expiry_warning_days: 14\n",
            crate::support::fleet::BASE_FLEET
        ),
    );
    compile_cert_clean(&fleet);
}

#[test]
fn a_certificate_beside_a_key_that_is_not_its_own_fails_the_host() {
    let realm = ca("realm root");
    let (cert, _) = leaf(
        &realm,
        "web",
        datetime!(2026-06-01 0:00 UTC),
        datetime!(2027-06-01 0:00 UTC),
    );
    let other = KeyPair::generate().expect("key").serialize_pem();
    let build = fleet(&cert, &other, &realm.pem).compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_certificate_not_chaining_to_the_hosts_anchors_warns() {
    let (_, fleet) = good();
    let stranger = ca("someone else");
    let build = fleet.with("secrets/realm/ca.pem", &stranger.pem).compile();
    assert_eq!(build.outputs.len(), 1, "a warning keeps the output");
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_certificate_in_a_butane_fragment_is_located_at_its_entry() {
    let realm = ca("realm root");
    let (cert, _) = leaf(
        &realm,
        "web",
        datetime!(2025-01-01 0:00 UTC),
        datetime!(2026-12-01 0:00 UTC),
    );
    let inline: String = cert.lines().map(|l| format!("            {l}\n")).collect();
    let host = format!(
        "services:\n  - web\nbutane:\n  storage:\n    files:\n      - path: /etc/pki/tls/certs/old.pem\n        contents:\n          inline: |\n{inline}"
    );
    let build = Fleet::base().with("hosts/h1.yaml", &host).compile();
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn check_takes_the_build_time_from_now_or_source_date_epoch() {
    let (_, fleet) = good();
    let late = fleet.run("check", &["--raw-errors", "--now", "2027-05-20T00:00:00Z"]);
    snapshot!("check_now_late", fleet, late.report());
    let early = crate::support::cli::Run::of(
        crate::support::cli::kindling()
            .env("SOURCE_DATE_EPOCH", "1780000000")
            .args(["check", "--raw-errors", "--fleet"])
            .arg(fleet.root()),
    );
    snapshot!("check_source_date_epoch", fleet, early.report());
    let bad = fleet.run("check", &["--now", "yesterday"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
}

#[test]
fn hosts_shows_the_earliest_expiry() {
    let (_, fleet) = good();
    let human = fleet.run("hosts", &["--now", "2027-01-01T00:00:00Z"]);
    snapshot!("hosts_expiry_human", fleet, human.stdout.clone());
    let json = fleet.run(
        "hosts",
        &["--format", "json", "--now", "2027-01-01T00:00:00Z"],
    );
    snapshot!("hosts_expiry_json", fleet, json.stdout.clone());
}

#[test]
fn the_example_fleets_certificates_pass_and_hosts_shows_when_they_expire() {
    let run = crate::support::cli::Run::of(
        crate::support::cli::kindling()
            .args(["hosts", "--now", "2027-01-01T00:00:00Z", "--fleet"])
            .arg(crate::support::paths::repo_root()),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let check = crate::support::cli::Run::of(
        crate::support::cli::kindling()
            .args([
                "check",
                "--raw-errors",
                "--now",
                "2027-01-01T00:00:00Z",
                "--fleet",
            ])
            .arg(crate::support::paths::repo_root()),
    );
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    assert_eq!(check.count("warning"), 0, "{}", check.stderr);
}
