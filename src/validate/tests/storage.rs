//! Disks, partitions, RAID and filesystems.

use serde_json::{Value, json};

use super::{run, run36, strings};
use crate::ignition::spec::Spec;

fn partitions(list: Value) -> Vec<String> {
    run36(json!({"storage": {"disks": [{"device": "/dev/vda", "partitions": list}]}}))
}

#[test]
fn disk_device() {
    let found = run36(json!({"storage": {"disks": [
        {"device": "", "partitions": [{"number": 1}, {"number": 1}]},
        {"device": "dev/sdb"},
        {"device": "/dev/sdc"}
    ]}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.disks.0.device: disk device is required",
            "error at $.storage.disks.1.device: path not absolute",
            "error at $.storage.disks.0.partitions.1: duplicate entry defined",
        ])
    );
}

#[test]
fn partition_numbers_and_labels_collide() {
    assert_eq!(
        partitions(json!([{"number": 1}, {"number": 2}, {"number": 1, "label": "x"}])),
        strings(&[
            "error at $.storage.disks.0.partitions.2: partition numbers collide",
            "error at $.storage.disks.0.partitions.2: duplicate entry defined",
        ])
    );
    assert_eq!(
        partitions(json!([{"label": "a"}, {"number": 2, "label": "a"}])),
        strings(&[
            "error at $.storage.disks.0.partitions.1: cannot use the same partition label twice"
        ])
    );
}

#[test]
fn partitions_overlap() {
    assert_eq!(
        partitions(json!([
            {"number": 1, "startMiB": 1, "sizeMiB": 10},
            {"number": 2, "startMiB": 5, "sizeMiB": 10}
        ])),
        strings(&["error at $.storage.disks.0.partitions.1: partitions overlap"])
    );
    // Adjacent, auto-placed (start 0) and fill-the-rest (size 0) partitions.
    assert!(
        partitions(json!([
            {"number": 1, "startMiB": 1, "sizeMiB": 10},
            {"number": 2, "startMiB": 11, "sizeMiB": 0},
            {"number": 3, "startMiB": 0, "sizeMiB": 100},
            {"number": 4, "sizeMiB": 100}
        ]))
        .is_empty()
    );
    assert_eq!(
        partitions(json!([
            {"number": 1, "startMiB": 20, "sizeMiB": 0},
            {"number": 2, "startMiB": 10, "sizeMiB": 20}
        ])),
        strings(&["error at $.storage.disks.0.partitions.1: partitions overlap"])
    );
}

#[test]
fn partition_fields() {
    assert_eq!(
        partitions(json!([
            {"number": 1, "shouldExist": false, "label": "x"},
            {"number": 2, "shouldExist": false},
            {"sizeMiB": 5},
            {"number": 4, "label": "0123456789012345678901234567890123456"},
            {"number": 5, "label": "a:b"},
            {"number": 6, "guid": "xyz", "typeGuid": "01234567-89ab-CDEF-EDCB-A98765432101"},
            {"number": 7, "guid": "", "typeGuid": "0123456-89ab-CDEF-EDCB-A98765432101"}
        ])),
        strings(&[
            "error at $.storage.disks.0.partitions.0: shouldExist specified false with other options also specified",
            "error at $.storage.disks.0.partitions.2: a partition number >= 1 or a label must be specified",
            "error at $.storage.disks.0.partitions.3.label: partition labels may not exceed 36 characters",
            "error at $.storage.disks.0.partitions.4.label: partition label will be truncated to text before the colon",
            "error at $.storage.disks.0.partitions.5.guid: doesn't match the form \"01234567-89AB-CDEF-EDCB-A98765432101\"",
            "error at $.storage.disks.0.partitions.6.typeGuid: doesn't match the form \"01234567-89AB-CDEF-EDCB-A98765432101\"",
        ])
    );
}

#[test]
fn raid() {
    let config = json!({"storage": {"raid": [
        {"name": "md0", "devices": ["/dev/a", "/dev/b"]},
        {"name": "md1", "level": "raid0", "spares": 1, "devices": ["/dev/a"]},
        {"name": "md2", "level": "raid7", "devices": ["dev/c"]},
        {"name": "md3", "level": "mirror"},
        {"name": "md4", "level": "stripe", "spares": 0, "devices": ["/dev/d", "/dev/d"], "options": ["x", "x"]}
    ]}});
    let rest = [
        "error at $.storage.raid.1.level: spares unsupported for linear and raid0 arrays",
        "error at $.storage.raid.2.level: unrecognized raid level",
        "error at $.storage.raid.2.devices.0: path not absolute",
        "error at $.storage.raid.3.devices: raid devices required",
        "error at $.storage.raid.4.devices.1: duplicate entry defined",
    ];
    let mut expected = strings(&["error at $.storage.raid.0.level: raid level is required"]);
    expected.extend(strings(&rest));
    assert_eq!(run36(config.clone()), expected);
    let mut expected = strings(&["error at $.storage.raid.0.level: unrecognized raid level"]);
    expected.extend(strings(&rest));
    assert_eq!(run(Spec::V3_2, config), expected);
}

#[test]
fn filesystems() {
    let config = json!({"storage": {"filesystems": [
        {"device": "/dev/a", "path": "var", "label": "l"},
        {"device": "dev/b", "format": "zfs"},
        {"device": "/dev/c", "format": "ext4", "label": "0123456789abcdefg"},
        {"device": "/dev/d", "format": "xfs", "label": "0123456789abc"},
        {"device": "/dev/e", "format": "vfat", "label": "0123456789ab"},
        {"device": "/dev/f", "format": "swap", "label": "0123456789abcdef"},
        {"device": "/dev/g", "format": "none"},
        {"device": "/dev/h", "mountOptions": ["ro"]},
        {"device": "/dev/i", "format": "btrfs", "label": "x".repeat(256), "options": ["-f", "-f"]}
    ]}});
    let expected = [
        "error at $.storage.filesystems.0.path: path not absolute",
        "error at $.storage.filesystems.0.format: format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified",
        "error at $.storage.filesystems.0.label: filesystem must specify format if label is specified",
        "error at $.storage.filesystems.1.device: path not absolute",
        "error at $.storage.filesystems.1.format: invalid filesystem format",
        "error at $.storage.filesystems.2.label: filesystem labels cannot be longer than 16 characters when using ext4",
        "error at $.storage.filesystems.3.label: filesystem labels cannot be longer than 12 characters when using xfs",
        "error at $.storage.filesystems.4.label: filesystem labels cannot be longer than 11 characters when using vfat",
        "error at $.storage.filesystems.5.label: filesystem labels cannot be longer than 15 characters when using swap",
    ];
    let mut for_3_6 = strings(&expected);
    for_3_6.push("error at $.storage.filesystems.7.format: format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified".to_owned());
    assert_eq!(run36(config.clone()), for_3_6);
    // 3.0.0 has neither format "none" nor mountOptions.
    let mut for_3_0 = strings(&expected);
    for_3_0.push("error at $.storage.filesystems.6.format: invalid filesystem format".to_owned());
    assert_eq!(run(Spec::V3_0, config), for_3_0);
}

#[test]
fn virtiofs() {
    let config = json!({"storage": {"filesystems": [
        {"device": "shared", "format": "virtiofs", "path": "/var/shared"},
        {"device": "t", "format": "virtiofs", "label": "l", "uuid": "u", "wipeFilesystem": true, "options": ["o"]},
        {"device": "", "format": "virtiofs"},
        {"device": "x".repeat(37), "format": "virtiofs"}
    ]}});
    assert_eq!(
        run(Spec::V3_7Experimental, config.clone()),
        strings(&[
            "error at $.storage.filesystems.1.label: filesystem labels cannot be set when using virtiofs",
            "error at $.storage.filesystems.1.uuid: filesystem uuid cannot be set for non-block-device filesystems",
            "error at $.storage.filesystems.1.wipeFilesystem: wipeFilesystem cannot be set for non-block-device filesystems",
            "error at $.storage.filesystems.1.options: filesystem options (mkfs) cannot be set for non-block-device filesystems",
            "error at $.storage.filesystems.2.device: device not specified",
            "error at $.storage.filesystems.3.device: virtiofs device tag cannot be longer than 36 bytes",
        ])
    );
    let found = run36(config);
    assert!(
        found.contains(&"error at $.storage.filesystems.0.device: path not absolute".to_owned())
    );
    assert!(found.contains(
        &"error at $.storage.filesystems.0.format: invalid filesystem format".to_owned()
    ));
}

#[test]
fn filesystem_on_whole_disk_warnings() {
    let found = run36(json!({"storage": {
        "disks": [
            {"device": "/dev/vdb", "partitions": [{"number": 1}]},
            {"device": "/dev/vdc", "wipeTable": true},
            {"device": "/dev/vdd", "wipeTable": true}
        ],
        "filesystems": [
            {"device": "/dev/vdb", "format": "ext4"},
            {"device": "/dev/vdc", "format": "ext4"},
            {"device": "/dev/vdd", "format": "ext4", "wipeFilesystem": true},
            {"device": "/dev/vdb1", "format": "ext4"}
        ]
    }}));
    assert_eq!(
        found,
        strings(&[
            "warning at $.storage.filesystems.0.device: filesystem overwrites partitioned device",
            "warning at $.storage.filesystems.1.device: device matches disk with wipeTable enabled; filesystem will be wiped",
        ])
    );
}
