//! The repo's own example fleet (`fleet.yaml`, `hosts/`, `containers/`,
//! `templates/`, `snippets/`, `secrets/` at the repository root), built
//! through the real binary.
//!
//! - `kindling build` writes one config per host plus `manifest.json`; every
//!   config passes the official JSON schema and Ignition's semantic rules of
//!   its spec; secret-bearing outputs are 0600, the others 0644; two builds
//!   are byte-identical.
//! - `kindling render <host>` of every host is snapshot-tested: the rendered
//!   units, env files, directories and users are the seed deployment.
//!
//! Outputs go to temporary directories, never to the repo's own `build/`.

use std::fs;
use std::path::Path;
use std::process::Output;

use sha2::{Digest, Sha256};

use crate::support::build_dir::visible_files;
use crate::support::cli::{Identity, kindling_with};
use crate::support::paths;

const HOSTS: [&str; 3] = ["beam00", "mouse", "relay01"];

/// `kindling COMMAND --fleet <example> --identity <example's> REST`: the
/// identity named with `--identity` as the README does, nothing from the
/// environment.
fn on_example(command: &str, rest: &[&str]) -> Output {
    kindling_with(Identity::None)
        .arg(command)
        .arg("--fleet")
        .arg(paths::repo_root())
        .arg("--identity")
        .arg(paths::identity_file())
        .args(rest)
        .output()
        .expect("kindling runs")
}

/// `kindling build` of the example fleet into `out`.
fn build_into(out: &Path) {
    let output = on_example("build", &["--out", out.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "build failed:\n{stderr}");
    assert!(
        stderr.contains("3 host(s) compiled, 0 error(s), 0 warning(s)"),
        "the example fleet builds without findings:\n{stderr}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn build_writes_a_valid_config_per_host_and_a_manifest() {
    let out = tempfile::tempdir().expect("tempdir");
    build_into(out.path());
    let written = visible_files(out.path());
    let names: Vec<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["beam00.ign", "manifest.json", "mouse.ign", "relay01.ign"],
        "one config per host plus the manifest, and no temporary files"
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&written["manifest.json"]).expect("manifest is JSON");
    let hosts = manifest["hosts"].as_object().expect("hosts object");
    assert_eq!(
        hosts.keys().map(String::as_str).collect::<Vec<_>>(),
        HOSTS,
        "the manifest lists every host"
    );
    assert!(
        manifest["generator"]
            .as_str()
            .is_some_and(|g| g.starts_with("kindling ")),
        "{manifest}"
    );
    for host in HOSTS {
        let entry = &hosts[host];
        let file = format!("{host}.ign");
        assert_eq!(entry["output"], file.as_str());
        assert_eq!(
            entry["sha256"].as_str(),
            Some(sha256_hex(&written[&file]).as_str()),
            "{host}: the manifest's sha256 matches the written file"
        );
        assert_eq!(entry["ignition_version"], "3.4.0", "{host}");
        let inputs = entry["inputs"].as_object().expect("inputs object");
        for (input, digest) in inputs {
            let bytes = fs::read(paths::repo_root().join(input))
                .unwrap_or_else(|e| panic!("{host}: input {input} is a real file: {e}"));
            assert_eq!(
                digest.as_str(),
                Some(sha256_hex(&bytes).as_str()),
                "{host}: sha256 of input {input}"
            );
        }
        let expected: &[&str] = match host {
            "beam00" => &[
                "fleet.yaml",
                "hosts/beam00.yaml",
                "containers/macula-station.yaml",
                "containers/hecate-rag.yaml",
                "containers/hecate-dns.yaml",
                "containers/hecate-llm.yaml",
                "templates/service.env.j2",
                "templates/base.bu",
                "secrets/hecate-rag/beam00/service-cert.pem",
                "secrets/hecate-rag/beam00/service-key.pem.age",
                "secrets/hecate-dns/beam00/service-key.pem.age",
                "secrets/hecate-llm/beam00/service-key.pem.age",
                "secrets/realm/realm-root.pub",
            ],
            "mouse" => &[
                "hosts/mouse.bu",
                "containers/rustfs.container",
                "containers/netdata.container",
            ],
            _ => &[
                "fleet.yaml",
                "hosts/relay01.yaml",
                "containers/macula-relay.yaml",
                "templates/base.bu",
                "secrets/macula-relay/relay01/service-key.pem.age",
                "secrets/realm/realm-root.pub",
            ],
        };
        for input in expected {
            assert!(
                inputs.contains_key(*input),
                "{host}: {input} is not listed as an input: {inputs:?}"
            );
        }
        assert!(
            !inputs
                .keys()
                .any(|i| i.contains("beam00") && host != "beam00"),
            "{host}: another host's secrets are no input: {inputs:?}"
        );
    }
    assert_eq!(hosts["beam00"]["secret"], true);
    assert_eq!(hosts["relay01"]["secret"], true);
    assert_eq!(hosts["mouse"]["secret"], false);

    for host in HOSTS {
        let bytes = &written[&format!("{host}.ign")];
        let value: serde_json::Value = serde_json::from_slice(bytes).expect("config is JSON");
        let version = value["ignition"]["version"].as_str().expect("version");
        let spec = kindling::ignition::spec::Spec::parse(version).expect("known spec");
        let schema = kindling::validate::schema(&value, spec);
        assert!(schema.is_empty(), "{host}: schema findings: {schema:#?}");
        let config: kindling::ignition::model::Config =
            serde_json::from_slice(bytes).expect("config decodes");
        let semantic = kindling::validate::semantic(&config, spec);
        assert!(
            semantic.is_empty(),
            "{host}: semantic findings: {semantic:#?}"
        );
    }

    #[cfg(unix)]
    {
        assert_eq!(mode(&out.path().join("beam00.ign")), 0o600, "embeds keys");
        assert_eq!(mode(&out.path().join("relay01.ign")), 0o600, "embeds keys");
        assert_eq!(mode(&out.path().join("mouse.ign")), 0o644, "no secrets");
        assert_eq!(mode(&out.path().join("manifest.json")), 0o644);
    }
}

#[test]
fn builds_are_byte_identical() {
    let first = tempfile::tempdir().expect("tempdir");
    let second = tempfile::tempdir().expect("tempdir");
    build_into(first.path());
    build_into(second.path());
    let a = visible_files(first.path());
    assert_eq!(a, visible_files(second.path()), "two out dirs");
    // Rebuilding over an existing build changes nothing either.
    build_into(first.path());
    assert_eq!(a, visible_files(first.path()), "rebuild in place");
}

#[test]
fn render_of_every_host_matches_the_seed_deployment() {
    for host in HOSTS {
        let output = on_example("render", &[host]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "render {host} failed:\n{stderr}");
        assert!(stderr.is_empty(), "render {host} reports:\n{stderr}");
        let stdout = String::from_utf8(output.stdout).expect("utf-8 render");
        assert!(
            !stdout.contains("PRIVATE KEY"),
            "{host}: secrets are masked"
        );
        insta::assert_snapshot!(format!("render_{host}"), stdout);
    }
}

/// The properties the snapshots show, spelled out, so a snapshot update
/// cannot quietly drop one.
#[test]
fn beam00_runs_the_hecate_services_as_the_seed_does() {
    let output = on_example("render", &["beam00"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let unit = |name: &str| -> String {
        let header = format!("### /etc/containers/systemd/{name}.container 0644 root:root\n");
        let start = text
            .find(&header)
            .unwrap_or_else(|| panic!("{name} rendered"))
            + header.len();
        let rest = &text[start..];
        rest[..rest.find("\n### ").unwrap_or(rest.len())].to_owned()
    };
    for service in ["hecate-rag", "hecate-dns", "hecate-llm"] {
        let unit = unit(service);
        for line in [
            "User=2470".to_owned(),
            "Group=2470".to_owned(),
            "After=macula-station.service".to_owned(),
            "Requires=macula-station.service".to_owned(),
            "AutoUpdate=registry".to_owned(),
            format!("Volume=/etc/hecate/secrets/{service}:/etc/hecate/secrets:ro,Z"),
            format!("Volume=/var/mnt/bulk0/hecate/{service}:/var/lib/{service}:rw,Z"),
            "Volume=/run/macula:/run/macula:z".to_owned(),
            "Volume=/etc/hecate/trust:/etc/hecate/trust:ro,z".to_owned(),
        ] {
            assert!(unit.lines().any(|l| l == line), "{service}: {line}\n{unit}");
        }
        assert!(text.contains(&format!("/etc/hecate/secrets/{service} 0500 2470:2470\n")));
        assert!(text.contains(&format!("/var/mnt/bulk0/hecate/{service} 0750 2470:2470\n")));
    }
    let rag = unit("hecate-rag");
    let ports: Vec<&str> = rag
        .lines()
        .filter(|l| l.starts_with("PublishPort="))
        .collect();
    assert_eq!(ports, ["PublishPort=127.0.0.1:8470:8470"]);
    assert!(text.contains("user hecate uid=2470 group=hecate\n"));
    assert!(text.contains("### /etc/hecate/trust/realm-root.pub 0444 root:root\n"));
}
