//! A real VM boot through `kindling::vm`: qemu (TCG, no network) boots a
//! Debian kernel with the e2e initramfs, the real Ignition reads the config
//! from fw_cfg `opt/com.coreos/config` (as CoreOS does), applies it to a
//! tmpfs root, and `/init` prints the result on the serial console.
//!
//! Three boots: a hand-written config; the compiled example host beam00
//! (`--ignition-version 3.3.0`) through the library; and relay01 through the
//! real `kindling vm HOST --kernel .. --initrd .. --console FILE` binary.
//! The compiled hosts are judged by the same generic checker as the no-VM
//! applies (`support::checker`), against what the console printed. The
//! example hosts enable no template instances, which the initramfs could
//! not enable (it has no systemd D-Bus stand-in).
//!
//! Skips with a printed reason without the tools, fails under `KINDLING_E2E=1`.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use kindling::ignition::spec::Spec;
use kindling::vm::{self, Boot, VmSpec};
use kindling::write::{Visibility, write_atomic};
use serde_json::json;

use crate::support::cli::kindling;
use crate::support::vmboot::{self, BOOT_TIMEOUT, VM_TOOLS};
use crate::support::{example, paths, say, tools};

#[test]
fn the_real_ignition_applies_a_config_in_a_vm() {
    if !tools::require(VM_TOOLS) {
        return;
    }
    let start = Instant::now();
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "initramfs ready in {:?}: {}",
        start.elapsed(),
        boot.initrd.display()
    );

    let dir = tools::scratch("vm-boot-");
    let unit = "[Service]\nExecStart=/usr/bin/true\n\n[Install]\nWantedBy=multi-user.target\n";
    let config = json!({
        "ignition": {"version": "3.3.0"},
        "passwd": {"users": [
            {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIvm core@vm"]},
            {"name": "ops", "groups": ["wheel"]}
        ]},
        "storage": {
            "files": [
                {"path": "/etc/kindling/hello", "mode": 420,
                 "contents": {"source": "data:,hello%20from%20the%20VM%0A"}},
                {"path": "/etc/kindling/secret", "mode": 384,
                 "user": {"name": "core"}, "group": {"name": "core"},
                 "contents": {"source": "data:;base64,c2VjcmV0Cg=="}}
            ],
            "directories": [{"path": "/var/lib/kindling", "mode": 488}],
            "links": [
                {"path": "/etc/kindling/link", "target": "/etc/kindling/hello"},
                {"path": "/etc/kindling/hard", "target": "/etc/kindling/hello", "hard": true}
            ]
        },
        "systemd": {"units": [
            {"name": "hello.service", "enabled": true, "contents": unit,
             "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=A=1\n"}]},
            {"name": "zincati.service", "mask": true}
        ]}
    });
    let config_path = dir.path().join("node.ign");
    fs::write(&config_path, config.to_string()).expect("write config");
    let console_path = dir.path().join("console.log");

    let spec = vmboot::kernel_spec(&boot, config_path, console_path.clone(), false);
    let (outcome, report) = vmboot::finished(vm::run(&spec), &console_path);
    say(&format!(
        "vm boot: hand-written config {} boot to power-off: {:.1}s ({})",
        outcome.accel.name(),
        outcome.elapsed.as_secs_f64(),
        outcome.status
    ));
    assert_eq!(outcome.console, Some(console_path.clone()));
    assert_eq!(outcome.ssh_port, None);
    assert!(
        report
            .log
            .contains(r#"executing: "modprobe" "qemu_fw_cfg""#),
        "{}",
        report.log
    );

    let node = |p: &str| {
        report
            .nodes
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing; nodes: {:#?}", report.nodes.keys()))
            .clone()
    };
    assert_eq!(
        report.read_string("/etc/kindling/hello").as_deref(),
        Some("hello from the VM\n")
    );
    assert_eq!(node("/etc/kindling/hello").mode, 0o644);
    let secret = node("/etc/kindling/secret");
    assert_eq!((secret.mode, secret.uid, secret.gid), (0o600, 1000, 1000));
    assert_eq!(
        report.read_string("/etc/kindling/secret").as_deref(),
        Some("secret\n")
    );
    let data = node("/var/lib/kindling");
    assert_eq!((data.kind, data.mode), ('d', 0o750));
    assert_eq!(
        node("/etc/kindling/link").target.as_deref(),
        Some("/etc/kindling/hello")
    );
    assert_eq!(
        node("/etc/kindling/hard").ino,
        node("/etc/kindling/hello").ino
    );
    assert_eq!(
        report
            .read_string("/etc/systemd/system/hello.service")
            .as_deref(),
        Some(unit)
    );
    assert!(
        report
            .data
            .contains_key("/etc/systemd/system/hello.service.d/10-env.conf")
    );
    assert_eq!(
        node("/etc/systemd/system/zincati.service")
            .target
            .as_deref(),
        Some("/dev/null")
    );
    assert_eq!(
        report
            .read_string("/etc/systemd/system-preset/20-ignition.preset")
            .as_deref(),
        Some("enable hello.service\n")
    );
    assert_eq!(
        report
            .read_string("/var/home/core/.ssh/authorized_keys.d/ignition")
            .as_deref()
            .map(str::trim),
        Some("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIvm core@vm")
    );
    let passwd = report.read_string("/etc/passwd").unwrap_or_default();
    assert!(
        passwd.contains("\nops:x:1001:1001::/home/ops:/bin/bash\n"),
        "{passwd}"
    );
    let group = report.read_string("/etc/group").unwrap_or_default();
    assert!(group.contains("\nwheel:x:10:core,ops\n"), "{group}");
}

#[test]
fn a_missing_disk_image_says_how_to_get_one() {
    let spec = VmSpec::new(
        PathBuf::from(file!()),
        Boot::Disk {
            image: PathBuf::from("/nonexistent/fedora-coreos-qemu.x86_64.qcow2"),
        },
    );
    let err = vm::run(&spec).expect_err("no image");
    let msg = err.to_string();
    assert!(msg.contains("coreos-installer download"), "{msg}");
}

#[test]
fn a_compiled_example_host_boots_in_a_vm() {
    if !tools::require(VM_TOOLS) {
        return;
    }
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    let host = example::compile(&["beam00"], Some(Spec::V3_3))
        .into_iter()
        .find(|o| o.name == "beam00")
        .expect("beam00 compiles");
    assert_eq!(host.config.ignition.version, "3.3.0");
    assert!(host.secrets.any(), "beam00 embeds secrets");

    let dir = tools::scratch("vm-beam00-");
    let config_path = dir.path().join("beam00.ign");
    write_atomic(&config_path, &host.json, Visibility::Secret).expect("write config");
    let console_path = dir.path().join("console.log");
    let spec = vmboot::kernel_spec(&boot, config_path, console_path.clone(), true);
    let running = vm::start(&spec).unwrap_or_else(|e| panic!("{e}"));
    let port = running.ssh_port().expect("an ssh port");
    assert_ne!(port, 0);
    let (outcome, report) = vmboot::finished(running.wait(), &console_path);
    say(&format!(
        "vm boot: beam00 (compiled, Ignition 3.3.0) {} boot to power-off: {:.1}s",
        outcome.accel.name(),
        outcome.elapsed.as_secs_f64()
    ));
    assert_eq!(outcome.ssh_port, Some(port));
    vmboot::judge_example_host("beam00", &report);
    // A few facts spelled out, beyond the generic checker.
    let key = "/etc/hecate/secrets/hecate-rag/service-key.pem";
    let node = report.nodes.get(key).expect("the secret key");
    assert_eq!((node.mode, node.uid, node.gid), (0o400, 2470, 2470));
    assert!(
        report
            .read_string(key)
            .is_some_and(|k| k.starts_with("-----BEGIN PRIVATE KEY-----")),
        "the age secret is decrypted into the config"
    );
    assert_eq!(
        report.read_string("/etc/hostname").as_deref(),
        Some("beam00")
    );
    let preset = report
        .read_string("/etc/systemd/system-preset/20-ignition.preset")
        .unwrap_or_default();
    let mut lines: Vec<&str> = preset.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "disable zincati.service",
            "enable podman-auto-update.timer",
            "enable var-mnt-bulk0.mount"
        ]
    );
}

#[test]
fn the_kindling_vm_command_boots_a_host() {
    if !tools::require(VM_TOOLS) {
        return;
    }
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    let dir = tools::scratch("vm-cli-");
    let console_path = dir.path().join("relay01-console.log");
    let start = Instant::now();
    let out = kindling()
        .arg("vm")
        .arg("relay01")
        .arg("--fleet")
        .arg(paths::repo_root())
        .arg("--identity")
        .arg(paths::identity_file())
        .args(["--ignition-version", "3.3.0"])
        .arg("--kernel")
        .arg(&boot.kernel)
        .arg("--initrd")
        .arg(&boot.initrd)
        .args(["--append", vmboot::APPEND])
        .arg("--console")
        .arg(&console_path)
        .args(["--memory", "512", "--cpus", "1"])
        .args(["--timeout", &BOOT_TIMEOUT.as_secs().to_string()])
        .output()
        .expect("kindling runs");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = fs::read_to_string(&console_path).unwrap_or_default();
    assert!(
        out.status.success(),
        "kindling vm: {}\n{stderr}\nconsole:\n{console}",
        out.status
    );
    say(&format!(
        "vm boot: `kindling vm relay01 --kernel .. --initrd ..` compile + boot to power-off: {:.1}s",
        took.as_secs_f64()
    ));
    for line in stderr.lines() {
        say(&format!("  {line}"));
    }
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("(Ignition 3.3.0, mode 0600: it holds secrets)"),
        "{stderr}"
    );
    assert!(stderr.contains("kindling vm: ssh: ssh -p "), "{stderr}");
    assert!(
        stderr.contains(&format!("serial console → {}", console_path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("qemu exited (exit status: 0)"), "{stderr}");
    // The temporary config is gone once the VM ended.
    let config_line = stderr
        .lines()
        .find(|l| l.starts_with("kindling vm: relay01 → "))
        .expect("the config line");
    let config_path = config_line
        .trim_start_matches("kindling vm: relay01 → ")
        .split(" (")
        .next()
        .unwrap_or_default();
    assert!(!std::path::Path::new(config_path).exists(), "{config_path}");

    vmboot::judge_example_host("relay01", &vmboot::booted(&console));
}

#[test]
fn the_kindling_vm_command_says_where_to_get_an_image() {
    let out = kindling()
        .args(["vm", "beam00", "--image", "/nonexistent/fcos.qcow2"])
        .arg("--fleet")
        .arg(paths::repo_root())
        .output()
        .expect("kindling runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("coreos-installer download -s stable -p qemu -f qcow2.xz --decompress"),
        "{stderr}"
    );
    assert!(stderr.contains("uCore"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// The `--image` path of the real binary: a blank qcow2 (no OS on it, so the
/// VM never powers off and `--timeout` ends it) is booted through an
/// overlay and left byte-for-byte unchanged.
#[test]
fn the_kindling_vm_command_never_modifies_the_disk_image() {
    if !tools::require(&[tools::Tool::Qemu, tools::Tool::QemuImg]) {
        return;
    }
    let dir = tools::scratch("vm-disk-");
    let image = dir.path().join("blank.qcow2");
    let st = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&image)
        .arg("64M")
        .status()
        .expect("qemu-img");
    assert!(st.success());
    let before = fs::read(&image).expect("read");
    let console_path = dir.path().join("console.log");
    let out = kindling()
        .args(["vm", "relay01", "--accel", "tcg", "--timeout", "3"])
        .arg("--fleet")
        .arg(paths::repo_root())
        .arg("--identity")
        .arg(paths::identity_file())
        .arg("--image")
        .arg(&image)
        .arg("--console")
        .arg(&console_path)
        .args(["--memory", "256", "--cpus", "1"])
        .output()
        .expect("kindling runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("on a throwaway overlay (the image is not modified), TCG"),
        "{stderr}"
    );
    assert!(stderr.contains("kindling vm: ssh: ssh -p "), "{stderr}");
    assert!(
        stderr.contains("still running after 3s and was killed"),
        "{stderr}"
    );
    // SeaBIOS ran and found nothing to boot on the blank disk.
    let console = fs::read_to_string(&console_path).unwrap_or_default();
    assert!(console.contains("SeaBIOS"), "{console}");
    assert_eq!(fs::read(&image).expect("read"), before, "the image changed");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}
