//! Every variant and version Butane 0.29 registers (`config/config.go`:
//! fcos, flatcar, r4e, fiot), the Ignition spec each emits, and what r4e
//! and fiot refuse (their field filters: kernel arguments, disks,
//! filesystems, LUKS, RAID). No reference output for r4e or fiot is in the
//! corpus; the expectations come from Butane's source, as cited here.

use crate::support::cli::kindling;

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
];

fn butane(source: &str, args: &[&str]) -> std::process::Output {
    use std::io::Write;
    let mut child = kindling()
        .arg("butane")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("write");
    child.wait_with_output().expect("finishes")
}

#[test]
fn every_registered_version_emits_its_spec() {
    for (variant, version, spec) in REGISTRY {
        let source = format!(
            "variant: {variant}\nversion: {version}\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n"
        );
        let output = butane(&source, &[]);
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
