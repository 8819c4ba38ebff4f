//! beam00's bulk-drive layout (issue 17 §3) applied by the real Ignition
//! on a root shaped like Fedora CoreOS's composefs root: read-only except
//! `/etc` and `/var`, with a scratch directory standing in for the disk
//! Ignition's mount stage mounts at `/var/mnt/bulk0`
//! (`support::ignition::ApplyOptions`). The data directories must land on
//! the "disk", nothing may stay under the mount point on the root, the
//! mount unit must be enabled for later boots, and the real Quadlet must
//! order each container after the mount. The old layout (`/bulk0`) is
//! applied the same way and must fail, so the stand-in root is strict.
//!
//! Needs root and the tools from `tests/e2e/install-deps.sh`; skips with a
//! printed reason without them, fails under `KINDLING_E2E=1`.

use std::fs;
use std::os::unix::fs::MetadataExt;

use kindling::ignition::spec::Spec;

use crate::support::ignition::{self, ApplyError, ApplyOptions, PRESET_FILE, Stage};
use crate::support::quadlet::{extract_quadlet_files, quadlet_dryrun};
use crate::support::tools::{self, Tool, scratch};
use crate::support::{example, say};

const MOUNT_POINT: &str = "/var/mnt/bulk0";
const MOUNT_UNIT: &str = "var-mnt-bulk0.mount";

fn composefs_apply(
    config: &str,
    filesystems: &[&str],
) -> Result<ignition::AppliedTree, ApplyError> {
    let dir = scratch("bulk-drive-");
    let path = dir.path().join("config.ign");
    fs::write(&path, config).expect("write config");
    let opts = ApplyOptions {
        composefs_root: true,
        filesystems: filesystems.iter().map(|p| (*p).to_owned()).collect(),
        ..ApplyOptions::default()
    };
    ignition::apply_with(&path, &opts)
}

#[test]
fn beam00s_bulk_drive_layout_applies_on_a_composefs_root() {
    let mut needs = tools::VALIDATE_AND_APPLY_TOOLS.to_vec();
    needs.push(Tool::Quadlet);
    if !tools::require(&needs) {
        return;
    }
    let outputs = example::compile(&["beam00"], Some(Spec::V3_3));
    let beam00 = outputs
        .iter()
        .find(|o| o.name == "beam00")
        .expect("beam00 compiles");
    let config = &beam00.config;

    // The layout: the drive by its stable name, kept if it has a filesystem,
    // mounted by Ignition at MOUNT_POINT and by a unit on later boots.
    let [filesystem] = config.storage.filesystems.as_slice() else {
        panic!(
            "beam00 has one filesystem: {:?}",
            config.storage.filesystems
        );
    };
    assert_eq!(filesystem.path.as_deref(), Some(MOUNT_POINT));
    assert!(
        filesystem.device.starts_with("/dev/disk/by-id/"),
        "{filesystem:?}"
    );
    assert_eq!(filesystem.wipe_filesystem, Some(false));
    let unit = config
        .systemd
        .units
        .iter()
        .find(|u| u.name == MOUNT_UNIT)
        .expect("the mount unit");
    assert_eq!(unit.enabled, Some(true));
    let contents = unit.contents.as_deref().unwrap_or_default();
    for line in [
        format!("Where={MOUNT_POINT}"),
        format!("What={}", filesystem.device),
        "RequiredBy=local-fs.target".to_owned(),
    ] {
        assert!(contents.lines().any(|l| l == line), "{line}\n{contents}");
    }
    let on_drive: Vec<_> = config
        .storage
        .directories
        .iter()
        .filter(|d| d.path.starts_with(&format!("{MOUNT_POINT}/")))
        .collect();
    assert!(on_drive.len() >= 5, "the data directories: {on_drive:?}");

    let json = String::from_utf8(beam00.json.clone()).expect("utf-8");
    let tree = composefs_apply(&json, &[MOUNT_POINT]).unwrap_or_else(|e| panic!("{e}"));
    for directory in &on_drive {
        let relative = &directory.path[MOUNT_POINT.len() + 1..];
        let meta = fs::metadata(tree.disk(0).join(relative))
            .unwrap_or_else(|e| panic!("{} is not on the drive: {e}", directory.path));
        assert!(meta.is_dir());
        assert_eq!(
            i64::from(meta.mode() & 0o7777),
            directory.mode.unwrap_or(0o755),
            "{}",
            directory.path
        );
        if let Some(uid) = directory.user.id {
            assert_eq!(i64::from(meta.uid()), uid, "{}", directory.path);
        }
    }
    let under_mount: Vec<_> = fs::read_dir(tree.host_path(MOUNT_POINT))
        .expect("the mount point exists on the root")
        .collect();
    assert!(
        under_mount.is_empty(),
        "left on the root under the mount: {under_mount:?}"
    );
    let presets = fs::read_to_string(tree.host_path(PRESET_FILE)).expect("presets");
    assert!(
        presets.lines().any(|l| l == format!("enable {MOUNT_UNIT}")),
        "{presets}"
    );
    assert!(
        tree.host_path(&format!("/etc/systemd/system/{MOUNT_UNIT}"))
            .is_file()
    );

    // Ordering: the real Quadlet adds RequiresMountsFor= for each data
    // directory a container mounts, which systemd resolves to the unit.
    let quadlets = scratch("bulk-drive-quadlets-");
    extract_quadlet_files(config, "/etc/containers/systemd", quadlets.path())
        .unwrap_or_else(|e| panic!("{e}"));
    let generated = quadlet_dryrun(quadlets.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut ordered = 0;
    for directory in on_drive.iter().filter(|d| d.path.matches('/').count() == 5) {
        let line = format!("RequiresMountsFor={}", directory.path);
        assert!(
            generated.lines().any(|l| l == line),
            "{line} missing:\n{generated}"
        );
        ordered += 1;
    }
    say(&format!(
        "beam00 bulk drive: {} directories created on the drive at {MOUNT_POINT} by the real Ignition on a read-only root, {MOUNT_UNIT} enabled, {ordered} container(s) ordered after the mount by the real Quadlet",
        on_drive.len()
    ));
}

#[test]
fn the_old_top_level_layout_fails_on_a_composefs_root() {
    if !tools::require(tools::VALIDATE_AND_APPLY_TOOLS) {
        return;
    }
    let directory = r#"{"ignition":{"version":"3.3.0"},"storage":{"directories":[{"path":"/bulk0/hecate","mode":488}]}}"#;
    match composefs_apply(directory, &[]) {
        Err(ApplyError::Rejected {
            stage: Stage::Files,
            ..
        }) => {}
        other => panic!("a directory under /bulk0 must fail the files stage: {other:?}"),
    }
    let mount = r#"{"ignition":{"version":"3.3.0"},"storage":{"filesystems":[{"device":"/dev/disk/by-id/ata-X","format":"xfs","path":"/bulk0"}]}}"#;
    match composefs_apply(mount, &["/bulk0"]) {
        Err(ApplyError::Rejected {
            stage: Stage::Mount,
            ..
        }) => {}
        other => panic!("a mount point /bulk0 cannot be created: {other:?}"),
    }
    // The same directory under /var applies.
    let var = r#"{"ignition":{"version":"3.3.0"},"storage":{"directories":[{"path":"/var/mnt/bulk0/hecate","mode":488}]}}"#;
    composefs_apply(var, &[]).unwrap_or_else(|e| panic!("{e}"));
}
