//! A real VM boot through `kindling::vm`: qemu (TCG, no network) boots a
//! Debian kernel with the e2e initramfs, the real Ignition reads the config
//! from fw_cfg `opt/com.coreos/config` (as CoreOS does), applies it to a
//! tmpfs root, and `/init` prints the result on the serial console.
//!
//! Skips with a printed reason without the tools, fails under `KINDLING_E2E=1`.

mod support;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kindling::vm::{self, Accel, Boot, Console, VmError, VmSpec};
use serde_json::json;

use support::tools;
use support::vmboot::{self, VM_TOOLS};

const BOOT_TIMEOUT: Duration = Duration::from_secs(150);

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

    let dir = tempfile::Builder::new()
        .prefix("vm-boot-")
        .tempdir_in(tools::scratch_parent())
        .expect("tempdir");
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

    let spec = VmSpec {
        config: config_path,
        boot: Boot::Kernel {
            kernel: boot.kernel.clone(),
            initrd: boot.initrd.clone(),
            append: vmboot::APPEND.to_string(),
        },
        memory_mib: 512,
        cpus: 1,
        console: Console::File(console_path.clone()),
        ssh_forward: false,
        accel: Some(Accel::Tcg),
        timeout: Some(BOOT_TIMEOUT),
    };
    let console = || fs::read_to_string(&console_path).unwrap_or_default();
    let outcome = match vm::run(&spec) {
        Ok(outcome) => outcome,
        Err(e @ VmError::TimedOut { .. }) => panic!("{e}; console:\n{}", console()),
        Err(e) => panic!("{e}"),
    };
    eprintln!(
        "{} boot to power-off: {:?} (qemu exit {})",
        outcome.accel.name(),
        outcome.elapsed,
        outcome.status
    );
    assert!(
        outcome.success(),
        "qemu: {}; console:\n{}",
        outcome.status,
        console()
    );
    assert_eq!(outcome.console, Some(console_path.clone()));
    assert_eq!(outcome.ssh_port, None);

    let report = vmboot::parse_console(&console()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.ignition_ok(),
        "Ignition failed in the VM:\n{}",
        report.log
    );
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
