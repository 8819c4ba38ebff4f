//! Installer media's live config (`kindling::provision::install`): the real
//! `ignition-validate` accepts it, and its wrong-machine guard, run against
//! a stand-in `/sys` and `/dev`, lets only the listed machine through and
//! says why it refuses any other.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use kindling::fleet::install::InstallPlan;
use kindling::provision::install::{self, GUARD_PATH, Mode};

use crate::support::fleet;
use crate::support::ignition;
use crate::support::tools::{self, Tool};

const DEVICE: &str = "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X";
const UUID: &str = "4c4c4544-0042-3510-8052-b4c04f4b4d32";

fn plan(uuid: Option<&str>) -> InstallPlan {
    InstallPlan {
        device: Some(DEVICE.to_owned()),
        macs: vec![
            "52:54:00:be:a0:00".to_owned(),
            "52:54:00:be:a0:01".to_owned(),
        ],
        console: vec!["ttyS0,115200n8".to_owned()],
        kargs: Vec::new(),
        uuid: uuid.map(str::to_owned),
    }
}

/// The example fleet's beam00 as built.
fn beam00() -> Vec<u8> {
    crate::support::example::compile(&["beam00"], None)
        .into_iter()
        .next()
        .expect("beam00")
        .json
}

#[test]
fn ignition_validate_accepts_the_live_config() {
    if !tools::require(&[Tool::IgnitionValidate]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let live = install::live_config(Mode::Install, "beam00", Some(&plan(Some(UUID))), &beam00())
        .expect("live config");
    let path = dir.path().join("live.ign");
    fs::write(&path, &live).expect("write");
    ignition::validate(&path).expect("ignition-validate accepts the live config");
}

/// A stand-in root: NICs with `macs`, a DMI product UUID, and the disk
/// when `disk`.
fn machine(root: &Path, macs: &[&str], uuid: &str, disk: bool) {
    for (index, mac) in macs.iter().enumerate() {
        let nic = root.join(format!("sys/class/net/enp{index}s0"));
        fs::create_dir_all(&nic).expect("nic");
        fs::write(nic.join("address"), format!("{mac}\n")).expect("address");
    }
    let lo = root.join("sys/class/net/lo");
    fs::create_dir_all(&lo).expect("lo");
    fs::write(lo.join("address"), "00:00:00:00:00:00\n").expect("lo address");
    let dmi = root.join("sys/class/dmi/id");
    fs::create_dir_all(&dmi).expect("dmi");
    fs::write(dmi.join("product_uuid"), format!("{uuid}\n")).expect("uuid");
    if disk {
        let device = root.join(DEVICE.trim_start_matches('/'));
        fs::create_dir_all(device.parent().expect("parent")).expect("by-id");
        fs::write(device, "").expect("disk");
    }
}

/// Runs the guard of `plan` on a machine; its exit status and output.
fn guard(plan: &InstallPlan, macs: &[&str], uuid: &str, disk: bool) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    machine(dir.path(), macs, uuid, disk);
    let parts = install::installer("beam00", Some(plan), b"{}\n").expect("installer");
    let script = dir.path().join("guard");
    fs::write(&script, &parts.guard_script).expect("script");
    let out = Command::new("sh")
        .arg(&script)
        .env("KINDLING_GUARD_ROOT", dir.path())
        .env("KINDLING_GUARD_WAIT", "0")
        .output()
        .expect("sh runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_guard_passes_only_the_listed_machine() {
    let with_uuid = plan(Some(UUID));
    let (ok, text) = guard(
        &with_uuid,
        &["52:54:00:11:22:33", "52:54:00:BE:A0:01"],
        &UUID.to_uppercase(),
        true,
    );
    assert!(ok, "{text}");
    assert_eq!(
        text,
        "kindling-install-guard: this is beam00 (52:54:00:be:a0:01 on enp1s0); installing to /dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X\n"
    );
    let cases = [
        (
            "wrong_mac",
            guard(&with_uuid, &["52:54:00:11:22:33"], UUID, true),
        ),
        (
            "wrong_uuid",
            guard(
                &with_uuid,
                &["52:54:00:be:a0:00"],
                "00000000-0000-0000-0000-000000000000",
                true,
            ),
        ),
        (
            "no_disk",
            guard(&plan(None), &["52:54:00:be:a0:00"], UUID, false),
        ),
    ];
    let mut report = String::new();
    for (name, (ok, text)) in cases {
        assert!(!ok, "{name}: the guard refuses\n{text}");
        assert!(text.contains("NOT INSTALLING beam00"), "{name}: {text}");
        report.push_str(&format!("## {name}\n{text}"));
    }
    insta::assert_snapshot!("guard_refusals", report);
    // Without a uuid in the manifest, any DMI UUID passes.
    let (ok, text) = guard(&plan(None), &["52:54:00:be:a0:00"], "whatever", true);
    assert!(ok, "{text}");
}

#[test]
fn the_guard_is_the_script_the_live_config_carries() {
    let live = install::installer("beam00", Some(&plan(None)), &beam00()).expect("installer");
    let file = live
        .live
        .storage
        .files
        .iter()
        .find(|f| f.path == GUARD_PATH)
        .expect("guard file");
    assert_eq!(file.mode, Some(0o755));
    let status = Command::new("sh")
        .arg("-n")
        .arg("-c")
        .arg(&live.guard_script)
        .status()
        .expect("sh -n");
    assert!(status.success(), "the guard parses");
}

/// coreos-installer as the oracle: the live config wrapped as a PXE
/// Ignition initrd (`provision::initrd`) unwraps to the same bytes, and the
/// destination config inside is beam00's config byte for byte.
#[test]
fn coreos_installer_unwraps_the_live_config_and_its_destination_config() {
    if !tools::require(&[Tool::CoreosInstaller]) {
        return;
    }
    let dest = beam00();
    let parts = install::installer("beam00", Some(&plan(Some(UUID))), &dest).expect("installer");
    let live = install::to_json(&parts.live);
    let image = kindling::provision::initrd::Initrd::with_config(&live)
        .to_xz()
        .expect("initrd");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("beam00.ignition.img");
    fs::write(&path, &image).expect("write");
    let unwrapped = tools::coreos_installer([
        OsStr::new("pxe"),
        OsStr::new("ignition"),
        OsStr::new("unwrap"),
        path.as_os_str(),
    ]);
    assert_eq!(unwrapped, live, "unwrap gives the live config");
    let carried = fleet::json_config_file(&unwrapped, install::DEST_PATH).expect("dest.ign");
    assert_eq!(
        carried, dest,
        "the destination config is beam00's, byte for byte"
    );
}
