//! Real boots of live ISOs that `kindling iso` customized: a small live ISO
//! from Debian's parts (the e2e kernel and the initramfs with the real
//! Ignition, isolinux, xorriso) laid out like a CoreOS live ISO, its boot
//! loader loading `images/ignition.img` as an extra initrd. `kindling vm
//! --iso` boots it under qemu; the kernel unpacks the embedded `config.ign`,
//! Ignition applies it, and the tests check the files: the host's own with
//! `--live`, and for an installer ISO what the installer is handed and
//! whether the wrong-machine guard lets it start.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::fleet::Fleet;
use crate::support::liveiso::{self, BootFiles, Built, Generation};
use crate::support::tools::{self, Tool};
use crate::support::vmboot::{self, VM_TOOLS};

const HOST: &str = "services:\n  - web\nbutane:\n  storage:\n    files:\n      - path: /etc/kindling-iso/hello\n        mode: 0640\n        contents:\n          inline: \"booted from a live ISO\\n\"\n";

/// A current-generation test live ISO in `dir` that boots the e2e kernel
/// and the initramfs with the real Ignition (also with UEFI when `uefi`).
fn bootable_base(dir: &Path, uefi: bool) -> Built {
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    liveiso::build(
        dir,
        "live",
        Generation::Current,
        Some(&BootFiles {
            kernel: &boot.kernel,
            initrd: &boot.initrd,
            append: vmboot::APPEND,
            uefi,
        }),
    )
}

#[test]
fn a_live_iso_customized_by_kindling_boots_and_ignition_applies_its_config() {
    let mut needed = VM_TOOLS.to_vec();
    needed.extend([Tool::Xorriso, Tool::Isolinux, Tool::QemuImg]);
    if !tools::require(&needed) {
        return;
    }
    let dir = tools::scratch("iso-boot-");
    let base = bootable_base(dir.path(), false);
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

/// The installer host: its install disk is the VM's target disk.
const INSTALLER_HOST: &str = "install:\n  device: /dev/disk/by-id/virtio-kindling-target\n  macs: [\"52:54:00:4b:1d:01\"]\n  uuid: 6a1f0c2e-5b7d-4e3a-9c1b-2d4e6f8a0b1c\n  console: [\"ttyS0,115200n8\"]\nservices:\n  - web\n";

/// The DMI product UUID of `h1`'s machine.
const UUID: &str = "6a1f0c2e-5b7d-4e3a-9c1b-2d4e6f8a0b1c";

/// Boots `iso` on a machine with a NIC at `mac` and DMI product UUID `uuid`
/// and `disk` as the target disk, with UEFI firmware when `uefi`; returns
/// the console.
fn boot_installer(
    iso: &Path,
    machine: (&str, &str),
    disk: &Path,
    console: &Path,
    uefi: bool,
) -> String {
    let (mac, uuid) = machine;
    let mut command = kindling_with(Identity::None);
    command
        .args(["vm", "h1", "--iso"])
        .arg(iso)
        .args(["--uuid", uuid]);
    if uefi {
        command.arg("--uefi");
    }
    let vm = Run::of(
        command
            .arg("--target-disk")
            .arg(disk)
            .args(["--mac", mac])
            .arg("--console")
            .arg(console)
            .args(["--accel", "tcg", "--memory", "512", "--cpus", "1"])
            .args(["--timeout", "300"]),
    );
    // GRUB draws its menu in code page 437: not UTF-8.
    let log = String::from_utf8_lossy(&fs::read(console).unwrap_or_default()).into_owned();
    assert_eq!(vm.code, Some(0), "{}\nconsole:\n{log}", vm.stderr);
    log
}

/// The test ISO can run the installer ISO's live config up to the moment
/// coreos-installer.service would start, and no further. It applies the
/// live config with the real Ignition and then, standing in for systemd
/// (tests/e2e/initramfs-init.sh), runs the units coreos-installer.service's
/// drop-ins require, from the applied root: that is kindling's guard, on
/// the VM's real NIC and disk. It cannot run coreos-installer itself: the
/// live image carries no CoreOS image to write, the initramfs has no systemd
/// to order the live image's units or reboot into the result, and Debian's
/// kernel config and tools are not what coreos-installer's install expects.
/// So this test proves the guard's verdict on real hardware (the NIC's MAC
/// in sysfs, the disk's by-id link) and what the installer would be handed
/// (the destination config's bytes, the installer config); `iso.rs` proves
/// with coreos-installer that it accepts that config.
/// `h1`'s installer ISO (`kindling iso`, the default mode) from a bootable
/// test ISO (also UEFI-bootable when `uefi`), and `build/h1.ign`.
fn installer_iso(dir: &Path, uefi: bool) -> (PathBuf, Vec<u8>) {
    let base = bootable_base(dir, uefi);
    let fleet = Fleet::base().with("hosts/h1.yaml", INSTALLER_HOST);
    let out = dir.join("out");
    let base_arg = base.path.display().to_string();
    let out_arg = out.display().to_string();
    let run = fleet.run("iso", &["h1", "--base", &base_arg, "--out", &out_arg]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let built = fleet.run("build", &["--out", &out_arg]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let dest = fs::read(out.join("h1.ign")).expect("build/h1.ign");
    (out.join("h1.iso"), dest)
}

/// An 8 MiB target disk of zeros at `dir/target.raw`.
fn blank_disk(dir: &Path) -> PathBuf {
    let disk = dir.join("target.raw");
    fs::File::create(&disk)
        .and_then(|f| f.set_len(8 << 20))
        .expect("blank disk");
    disk
}

/// The installer never wrote to `disk`.
fn assert_blank(disk: &Path) {
    let blank = fs::read(disk).expect("disk");
    assert!(
        blank.iter().all(|&b| b == 0),
        "the target disk was written to"
    );
}

/// The live system runs on the installed system's serial console too.
fn assert_serial_console(log: &str) {
    let cmdline = init_line(log, "cmdline");
    assert!(
        cmdline
            .split_whitespace()
            .any(|a| a == "console=ttyS0,115200n8"),
        "{cmdline}"
    );
}

/// The installer was handed exactly `dest` (build/h1.ign).
fn assert_handed(report: &vmboot::ConsoleReport, dest: &[u8]) {
    assert_eq!(
        report
            .read_string("/etc/coreos/dest.ign")
            .map(String::into_bytes)
            .as_deref(),
        Some(dest),
        "the installer's config is not build/h1.ign"
    );
}

/// What `/init` reported on its `KINDLING-E2E-INIT <key>` line.
fn init_line<'a>(log: &'a str, key: &str) -> &'a str {
    let prefix = format!("KINDLING-E2E-INIT {key} ");
    log.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {key} line:\n{log}"))
}

#[test]
fn an_installer_iso_installs_only_on_the_machine_with_a_listed_mac() {
    let mut needed = VM_TOOLS.to_vec();
    needed.extend([Tool::Xorriso, Tool::Isolinux, Tool::VirtioDrivers]);
    if !tools::require(&needed) {
        return;
    }
    let dir = tools::scratch("iso-install-");
    let (iso, dest) = installer_iso(dir.path(), false);

    // A machine whose NIC is not in install.macs: the guard stops the
    // installer, says why, and the disk stays blank.
    let disk = blank_disk(dir.path());
    let log = boot_installer(
        &iso,
        ("52:54:00:4b:1d:99", UUID),
        &disk,
        &dir.path().join("wrong.log"),
        false,
    );
    let report = vmboot::parse_console(&log).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert!(report.ignition_ok(), "Ignition failed:\n{}", report.log);
    for want in [
        "KINDLING-E2E-INSTALLER run kindling-install-guard.service: /usr/local/bin/kindling-install-guard",
        "kindling-install-guard: NOT INSTALLING h1 to /dev/disk/by-id/virtio-kindling-target: none of its NICs has a MAC in install.macs (52:54:00:4b:1d:01)",
        "52:54:00:4b:1d:99",
        "the disk was not touched",
        "KINDLING-E2E-INSTALLER result=blocked unit=kindling-install-guard.service rc=1",
    ] {
        assert!(report.log.contains(want), "{want}:\n{}", report.log);
    }
    assert_blank(&disk);

    // The listed MAC on a machine with another DMI product UUID: stopped.
    let log = boot_installer(
        &iso,
        ("52:54:00:4b:1d:01", "00000000-0000-4000-8000-000000000001"),
        &disk,
        &dir.path().join("uuid.log"),
        false,
    );
    for want in [
        "kindling-install-guard: NOT INSTALLING h1 to /dev/disk/by-id/virtio-kindling-target: its DMI product UUID is 00000000-0000-4000-8000-000000000001, not install.uuid 6a1f0c2e-5b7d-4e3a-9c1b-2d4e6f8a0b1c",
        "KINDLING-E2E-INSTALLER result=blocked unit=kindling-install-guard.service rc=1",
    ] {
        assert!(log.contains(want), "{want}:\n{log}");
    }
    assert_blank(&disk);

    // The machine with the listed MAC and UUID: the guard finds the NIC,
    // the UUID and the disk, and the installer would start, handed exactly
    // build/h1.ign.
    let log = boot_installer(
        &iso,
        ("52:54:00:4b:1d:01", UUID),
        &disk,
        &dir.path().join("right.log"),
        false,
    );
    let report = vmboot::parse_console(&log).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert!(report.ignition_ok(), "Ignition failed:\n{}", report.log);
    for want in [
        "kindling-install-guard: this is h1 (52:54:00:4b:1d:01 on eth0); installing to /dev/disk/by-id/virtio-kindling-target",
        "KINDLING-E2E-INSTALLER result=cleared",
    ] {
        assert!(report.log.contains(want), "{want}:\n{}", report.log);
    }
    assert!(!report.log.contains("NOT INSTALLING"), "{}", report.log);
    assert_handed(&report, &dest);
    assert_eq!(
        report.nodes.get("/etc/coreos/dest.ign").map(|n| n.mode),
        Some(0o600)
    );
    let config = report
        .read_string("/etc/coreos/installer.d/50-kindling.yaml")
        .expect("installer config");
    assert!(
        config.contains("dest-device: \"/dev/disk/by-id/virtio-kindling-target\""),
        "{config}"
    );
    assert!(
        config.contains(&kindling::digest::sha512_verification(&dest)),
        "{config}"
    );
    assert_serial_console(&report.log);
    assert_eq!(init_line(&report.log, "firmware"), "bios");
}

/// The same installer ISO booted with UEFI firmware (OVMF): the EFI boot
/// image's GRUB reads the ISO's `EFI/fedora/grub.cfg`, whose karg area
/// kindling patched, and loads the embed area as an initrd, as a CoreOS
/// live ISO's GRUB does. The ISO was patched in place, not re-mastered, so
/// its El Torito EFI entry still boots.
#[test]
fn an_installer_iso_boots_with_uefi_and_grub() {
    let mut needed = VM_TOOLS.to_vec();
    needed.extend([
        Tool::Xorriso,
        Tool::Isolinux,
        Tool::VirtioDrivers,
        Tool::UefiBoot,
    ]);
    if !tools::require(&needed) {
        return;
    }
    let dir = tools::scratch("iso-uefi-");
    let (iso, dest) = installer_iso(dir.path(), true);
    let disk = blank_disk(dir.path());
    let log = boot_installer(
        &iso,
        ("52:54:00:4b:1d:01", UUID),
        &disk,
        &dir.path().join("uefi.log"),
        true,
    );
    let report = vmboot::parse_console(&log).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert_eq!(init_line(&report.log, "firmware"), "uefi", "{}", report.log);
    assert!(
        report.log.contains("embedded config /config.ign"),
        "GRUB did not load the embed area:\n{}",
        report.log
    );
    assert!(report.ignition_ok(), "Ignition failed:\n{}", report.log);
    // From GRUB's karg area.
    assert_serial_console(&report.log);
    assert!(
        report.log.contains("KINDLING-E2E-INSTALLER result=cleared"),
        "{}",
        report.log
    );
    assert_handed(&report, &dest);
}
