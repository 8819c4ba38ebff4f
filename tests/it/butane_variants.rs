//! Every variant and version Butane 0.29 registers (`config/config.go`:
//! fcos, flatcar, r4e, fiot, openshift, and rhcos only to refuse it), the
//! Ignition spec each emits, what r4e and fiot refuse (their field filters:
//! kernel arguments, disks, filesystems, LUKS, RAID), and openshift's
//! MachineConfig, its refusals and `--raw`. No reference output for these
//! is in the corpus; the expectations come from Butane's source
//! (`config/openshift/v4_N/{translate,validate}.go`, `config/common/errors.go`).

use crate::support::cli::{kindling, output_with_stdin};

/// (variant, version, Ignition spec) as Butane 0.29 registers them.
const REGISTRY: &[(&str, &str, &str)] = &[
    ("fcos", "1.0.0", "3.0.0"),
    ("fcos", "1.1.0", "3.1.0"),
    ("fcos", "1.2.0", "3.2.0"),
    ("fcos", "1.3.0", "3.2.0"),
    ("fcos", "1.4.0", "3.3.0"),
    ("fcos", "1.5.0", "3.4.0"),
    ("fcos", "1.6.0", "3.5.0"),
    ("fcos", "1.7.0", "3.6.0"),
    ("fcos", "1.8.0-experimental", "3.7.0-experimental"),
    ("flatcar", "1.0.0", "3.3.0"),
    ("flatcar", "1.1.0", "3.4.0"),
    ("flatcar", "1.2.0-experimental", "3.7.0-experimental"),
    ("r4e", "1.0.0", "3.3.0"),
    ("r4e", "1.1.0", "3.4.0"),
    ("r4e", "1.2.0-experimental", "3.7.0-experimental"),
    ("fiot", "1.0.0", "3.4.0"),
    ("fiot", "1.1.0-experimental", "3.7.0-experimental"),
    ("openshift", "4.8.0", "3.2.0"),
    ("openshift", "4.9.0", "3.2.0"),
    ("openshift", "4.10.0", "3.2.0"),
    ("openshift", "4.11.0", "3.2.0"),
    ("openshift", "4.12.0", "3.2.0"),
    ("openshift", "4.13.0", "3.2.0"),
    ("openshift", "4.14.0", "3.4.0"),
    ("openshift", "4.15.0", "3.4.0"),
    ("openshift", "4.16.0", "3.4.0"),
    ("openshift", "4.17.0", "3.4.0"),
    ("openshift", "4.18.0", "3.4.0"),
    ("openshift", "4.19.0", "3.5.0"),
    ("openshift", "4.20.0", "3.5.0"),
    ("openshift", "4.21.0", "3.5.0"),
    ("openshift", "4.22.0", "3.5.0"),
    ("openshift", "4.23.0-experimental", "3.7.0-experimental"),
];

/// What every openshift config needs: the MachineConfig's name and role.
const OPENSHIFT_METADATA: &str =
    "metadata:\n  name: 99-worker\n  labels:\n    machineconfiguration.openshift.io/role: worker\n";

fn butane(source: &str, args: &[&str]) -> std::process::Output {
    output_with_stdin(kindling().arg("butane").args(args), source.as_bytes())
}

#[test]
fn every_registered_version_emits_its_spec() {
    for (variant, version, spec) in REGISTRY {
        let openshift = *variant == "openshift";
        let metadata = if openshift { OPENSHIFT_METADATA } else { "" };
        let source = format!(
            "variant: {variant}\nversion: {version}\n{metadata}storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n"
        );
        let output = butane(&source, if openshift { &["--raw"] } else { &[] });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{variant} {version}: {stderr}");
        let config: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON output");
        assert_eq!(config["ignition"]["version"], *spec, "{variant} {version}");
    }
    let supported: Vec<(String, String)> = kindling::butane::version::SUPPORTED
        .iter()
        .map(|v| (v.variant.as_str().to_owned(), v.version_string()))
        .collect();
    let registered: Vec<(String, String)> = REGISTRY
        .iter()
        .map(|(variant, version, _)| ((*variant).to_owned(), (*version).to_owned()))
        .collect();
    assert_eq!(supported, registered);
}

/// r4e and fiot take the shared schema without fcos's sugar, and refuse
/// what their images fix: each refused section is an error at its path.
#[test]
fn edge_variants_refuse_kernel_arguments_and_storage_layout() {
    let source = "variant: r4e
version: 1.1.0
kernel_arguments:
  should_exist: [quiet]
storage:
  disks:
    - device: /dev/vdb
      wipe_table: true
  filesystems:
    - device: /dev/vdb
      format: xfs
  luks:
    - name: data
      device: /dev/vdc
  raid:
    - name: md0
      level: raid1
      devices: [/dev/vdd, /dev/vde]
  files:
    - path: /etc/motd
boot_device:
  mirror:
    devices: [/dev/vda, /dev/vdb]
";
    let output = butane(source, &["--raw-errors"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
    let fiot = butane(
        &source
            .replace("variant: r4e", "variant: fiot")
            .replace("1.1.0", "1.0.0"),
        &["--raw-errors"],
    );
    assert_eq!(fiot.stderr, output.stderr);
}

#[test]
fn edge_variants_place_files_like_fcos() {
    let body = "storage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hello\n  links:\n    - path: /etc/l\n      target: /etc/motd\nsystemd:\n  units:\n    - name: a.service\n      enabled: true\n      contents: \"[Service]\\nExecStart=/bin/true\\n\"\n";
    let fcos = butane(&format!("variant: fcos\nversion: 1.5.0\n{body}"), &[]);
    assert!(fcos.status.success());
    for variant in [
        "variant: r4e\nversion: 1.1.0\n",
        "variant: fiot\nversion: 1.0.0\n",
    ] {
        let output = butane(&format!("{variant}{body}"), &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.stdout, fcos.stdout, "{variant}");
    }
}

#[test]
fn unknown_variant_names_every_supported_one() {
    let output = butane("variant: rhel\nversion: 1.0.0\n", &["--raw-errors"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

fn openshift(body: &str, version: &str) -> String {
    format!("variant: openshift\nversion: {version}\n{OPENSHIFT_METADATA}{body}")
}

#[test]
fn openshift_writes_a_machine_config() {
    let source = openshift(
        "openshift:\n  kernel_arguments: [loglevel=7]\n  extensions: [usbguard]\n  fips: true\n  kernel_type: realtime\nsystemd:\n  units:\n    - name: hello.service\n      enabled: true\n      contents: |\n        [Service]\n        ExecStart=/bin/echo hello\n        [Install]\n        WantedBy=multi-user.target\n",
        "4.19.0",
    );
    let output = butane(&source, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

/// What the Machine Config Operator cannot apply is an error at the key
/// that asked for it; the field filters follow once nothing else is wrong.
#[test]
fn openshift_refuses_what_the_machine_config_operator_cannot_apply() {
    let mco = openshift(
        "passwd:\n  users:\n    - name: admin\nstorage:\n  filesystems:\n    - device: /dev/vdb\n      format: btrfs\n  files:\n    - path: /etc/remote\n      contents:\n        source: https://example.com/x\n    - path: /etc/sticky\n      mode: 01644\n",
        "4.16.0",
    );
    let output = butane(&mco, &["--raw-errors"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("mco", String::from_utf8_lossy(&output.stderr));
    let filtered = openshift(
        "kernel_arguments:\n  should_exist: [quiet]\npasswd:\n  groups:\n    - name: wheel2\n  users:\n    - name: core\n      uid: 1000\n      shell: /bin/zsh\n      password_hash: $y$x\nstorage:\n  directories:\n    - path: /etc/d\n  links:\n    - path: /etc/l\n      target: /etc/d\n  files:\n    - path: /etc/a\n      append:\n        - inline: more\n",
        "4.16.0",
    );
    let output = butane(&filtered, &["--raw-errors"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("filters", String::from_utf8_lossy(&output.stderr));
    // 4.8 to 4.12 also refuse password hashes; 4.8 and 4.9 refuse
    // compression (and never compress themselves).
    let old = butane(
        &openshift(
            "passwd:\n  users:\n    - name: core\n      password_hash: $y$x\nstorage:\n  files:\n    - path: /etc/z\n      contents:\n        compression: gzip\n        source: data:;base64,H4sIAAAAAAAC/0okGQACAAD//32610cyAAAA\n",
            "4.8.0",
        ),
        &["--raw-errors"],
    );
    insta::assert_snapshot!("old", String::from_utf8_lossy(&old.stderr));
}

#[test]
fn openshift_4_8_never_compresses() {
    let long = "a".repeat(400);
    let source = |version| {
        openshift(
            &format!(
                "storage:\n  files:\n    - path: /etc/long\n      contents:\n        inline: {long}\n"
            ),
            version,
        )
    };
    let old = butane(&source("4.8.0"), &["--raw"]);
    let newer = butane(&source("4.10.0"), &["--raw"]);
    let compression = |output: &std::process::Output| {
        let config: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        config["storage"]["files"][0]["contents"]["compression"].clone()
    };
    assert_eq!(compression(&old), "");
    assert_eq!(compression(&newer), "gzip");
}

#[test]
fn openshift_needs_metadata_and_a_known_kernel_type() {
    let output = butane(
        "variant: openshift\nversion: 4.14.0\nmetadata:\n  labels: {}\nopenshift:\n  kernel_type: rt\n",
        &["--raw-errors"],
    );
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

#[test]
fn openshift_raw_is_bare_ignition_with_warnings() {
    let source = openshift(
        "openshift:\n  kernel_arguments: [loglevel=7]\n  fips: true\n",
        "4.20.0",
    );
    let output = butane(&source, &["--raw", "--raw-errors"]);
    assert!(output.status.success());
    let config: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(config["ignition"]["version"], "3.5.0");
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
    let strict = butane(&source, &["--raw", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn openshift_fips_sets_luks_ciphers_until_4_19() {
    let body = "openshift:\n  fips: true\nstorage:\n  luks:\n    - name: data\n      device: /dev/vdb\n    - name: own\n      device: /dev/vdc\n      options: [--cipher, aes-xts-plain64]\n";
    let luks = |version| {
        let output = butane(&openshift(body, version), &["--raw", "--raw-errors"]);
        let config: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        config["storage"]["luks"].clone()
    };
    assert_eq!(
        luks("4.19.0")[0]["options"],
        serde_json::json!(["--cipher", "aes-cbc-essiv:sha256"])
    );
    assert_eq!(
        luks("4.19.0")[1]["options"],
        serde_json::json!(["--cipher", "aes-xts-plain64"])
    );
    assert!(luks("4.20.0")[0].get("options").is_none());
}

#[test]
fn rhcos_is_refused_as_butane_refuses_it() {
    let output = butane("variant: rhcos\nversion: 0.1.0\n", &["--raw-errors"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/"),
        "{stderr}"
    );
}

/// openshift's keys elsewhere are unused keys that say which variant has them.
#[test]
fn openshift_keys_in_other_variants_name_the_variant() {
    let output = butane(
        "variant: fcos\nversion: 1.6.0\nmetadata:\n  name: x\nopenshift:\n  fips: true\n",
        &["--raw-errors"],
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unused key metadata (help: only the openshift variant has `metadata`"),
        "{stderr}"
    );
    assert!(stderr.contains("unused key openshift"), "{stderr}");
}
