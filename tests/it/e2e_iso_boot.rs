//! A real boot of a live ISO that `kindling iso --live` customized: a small
//! live ISO from Debian's parts (the e2e kernel and the initramfs with the
//! real Ignition, isolinux, xorriso) laid out like a CoreOS live ISO, its
//! boot loader loading `images/ignition.img` as an extra initrd. `kindling
//! vm --iso` boots it under qemu; the kernel unpacks the embedded
//! `config.ign`, Ignition applies it, and the test checks the files.

use std::fs;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::fleet::Fleet;
use crate::support::liveiso::{self, BootFiles, Generation};
use crate::support::tools::{self, Tool};
use crate::support::vmboot::{self, VM_TOOLS};

const HOST: &str = "services:\n  - web\nbutane:\n  storage:\n    files:\n      - path: /etc/kindling-iso/hello\n        mode: 0640\n        contents:\n          inline: \"booted from a live ISO\\n\"\n";

#[test]
fn a_live_iso_customized_by_kindling_boots_and_ignition_applies_its_config() {
    let mut needed = VM_TOOLS.to_vec();
    needed.extend([Tool::Xorriso, Tool::Isolinux, Tool::QemuImg]);
    if !tools::require(&needed) {
        return;
    }
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    let dir = tools::scratch("iso-boot-");
    let base = liveiso::build(
        dir.path(),
        "live",
        Generation::Current,
        Some(&BootFiles {
            kernel: &boot.kernel,
            initrd: &boot.initrd,
            append: vmboot::APPEND,
        }),
    );
    let fleet = Fleet::base().with("hosts/h1.yaml", HOST);
    let out = dir.path().join("out");
    let base_arg = base.path.display().to_string();
    let out_arg = out.display().to_string();
    let run = fleet.run(
        "iso",
        // Debian's Ignition 2.14 reads specs up to 3.3.
        &[
            "h1",
            "--base",
            &base_arg,
            "--out",
            &out_arg,
            "--live",
            "--ignition-version",
            "3.3.0",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let iso = out.join("h1.iso");
    assert!(iso.is_file(), "{}", run.stderr);

    let console = dir.path().join("console.log");
    let vm = Run::of(
        kindling_with(Identity::None)
            .args(["vm", "h1", "--iso"])
            .arg(&iso)
            .arg("--console")
            .arg(&console)
            .args(["--accel", "tcg", "--memory", "512", "--cpus", "1"])
            .args(["--timeout", "300"]),
    );
    let log = fs::read_to_string(&console).unwrap_or_default();
    assert_eq!(vm.code, Some(0), "{}\nconsole:\n{log}", vm.stderr);
    assert!(vm.stderr.contains("from a CD drive"), "{}", vm.stderr);
    let report = vmboot::parse_console(&log).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert!(
        report.log.contains("embedded config /config.ign"),
        "the kernel did not unpack the embed area:\n{}",
        report.log
    );
    assert!(report.ignition_ok(), "Ignition failed:\n{}", report.log);
    assert_eq!(
        report.read_string("/etc/kindling-iso/hello").as_deref(),
        Some("booted from a live ISO\n")
    );
    let node = report.nodes.get("/etc/kindling-iso/hello").expect("node");
    assert_eq!(node.mode, 0o640);
    // The fleet's service landed too: the whole host config was applied.
    assert!(
        report
            .nodes
            .keys()
            .any(|p| p.starts_with("/etc/containers/systemd/web")),
        "{:?}",
        report.nodes.keys().collect::<Vec<_>>()
    );
}
