//! Duplicate list entries.

use serde_json::json;

use super::{run, run36, strings};
use crate::ignition::spec::Spec;

#[test]
fn nodes_share_one_key_space_in_struct_order() {
    let found = run36(json!({"storage": {
        "links": [{"path": "/x", "target": "/y"}],
        "files": [{"path": "/x"}, {"path": "/x"}, {"path": "/z"}],
        "directories": [{"path": "/x"}, {"path": "/z"}]
    }}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.files.0: duplicate entry defined",
            "error at $.storage.files.1: duplicate entry defined",
            "error at $.storage.files.2: duplicate entry defined",
            "error at $.storage.links.0: duplicate entry defined",
        ])
    );
}

#[test]
fn keyed_lists() {
    let found = run36(json!({
        "ignition": {
            "config": {"merge": [{"source": "https://a"}, {"source": "https://a"}]},
            "proxy": {"noProxy": ["a", "a"]},
            "security": {"tls": {"certificateAuthorities": [
                {"source": "https://c", "httpHeaders": [{"name": "h", "value": "1"}, {"name": "h", "value": "2"}]},
                {"source": "https://c"}
            ]}}
        },
        "kernelArguments": {"shouldExist": ["a", "b", "b"], "shouldNotExist": ["a"]},
        "passwd": {
            "groups": [{"name": "g"}, {"name": "g"}],
            "users": [{"name": "u", "groups": ["g", "g"], "sshAuthorizedKeys": ["k", "k"]}, {"name": "u"}]
        },
        "storage": {
            "disks": [{"device": "/dev/a", "partitions": [{"label": "p"}, {"label": "p"}]}, {"device": "/dev/a"}],
            "filesystems": [{"device": "/dev/b", "format": "ext4"}, {"device": "/dev/b", "format": "ext4"}],
            "luks": [{"name": "l", "device": "/dev/c", "openOptions": ["x", "x"], "options": ["y", "y"],
                      "clevis": {"tang": [{"url": "http://t", "thumbprint": "t"}, {"url": "http://t", "thumbprint": "t"}]}},
                     {"name": "l", "device": "/dev/d"}],
            "raid": [{"name": "r", "level": "1", "devices": ["/dev/e"]}, {"name": "r", "level": "1", "devices": ["/dev/f"]}]
        },
        "systemd": {"units": [
            {"name": "a.service", "dropins": [{"name": "d.conf"}, {"name": "d.conf"}]},
            {"name": "a.service"}
        ]}
    }));
    let expected: Vec<String> = [
        "ignition.config.merge.1",
        "ignition.proxy.noProxy.1",
        "ignition.security.tls.certificateAuthorities.1",
        "ignition.security.tls.certificateAuthorities.0.httpHeaders.1",
        "kernelArguments.shouldExist.2",
        "kernelArguments.shouldNotExist.0",
        "passwd.groups.1",
        "passwd.users.1",
        "passwd.users.0.groups.1",
        "passwd.users.0.sshAuthorizedKeys.1",
        "storage.disks.1",
        "storage.filesystems.1",
        "storage.luks.1",
        "storage.raid.1",
        "storage.disks.0.partitions.1",
        "storage.luks.0.openOptions.1",
        "storage.luks.0.clevis.tang.1",
        "systemd.units.1",
        "systemd.units.0.dropins.1",
    ]
    .iter()
    .map(|path| format!("error at $.{path}: duplicate entry defined"))
    .collect();
    let mut expected_with_label = expected.clone();
    expected_with_label.insert(
        0,
        "error at $.storage.disks.0.partitions.1: cannot use the same partition label twice"
            .to_owned(),
    );
    assert_eq!(found, expected_with_label);
}

#[test]
fn exempt_lists_may_repeat() {
    let found = run36(json!({"storage": {
        "files": [{"path": "/f", "append": [{"source": "data:,a"}, {"source": "data:,a"}]}],
        "filesystems": [{"device": "/dev/a", "format": "ext4", "options": ["-E", "-E"], "mountOptions": ["ro", "ro"]}],
        "luks": [{"name": "l", "device": "/dev/b", "options": ["x", "x"]}],
        "raid": [{"name": "r", "level": "1", "devices": ["/dev/c"], "options": ["o", "o"]}]
    }}));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn unnumbered_unlabelled_partitions_share_the_empty_key() {
    let found = run36(
        json!({"storage": {"disks": [{"device": "/dev/a", "partitions": [{"sizeMiB": 1}, {"sizeMiB": 2}]}]}}),
    );
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.disks.0.partitions.0: a partition number >= 1 or a label must be specified",
            "error at $.storage.disks.0.partitions.1: a partition number >= 1 or a label must be specified",
            "error at $.storage.disks.0.partitions.1: duplicate entry defined",
        ])
    );
}

#[test]
fn fields_missing_from_older_specs_are_not_checked() {
    let config = json!({
        "kernelArguments": {"shouldExist": ["a", "a"]},
        "storage": {"luks": [{"name": "l"}, {"name": "l"}]}
    });
    assert!(run(Spec::V3_1, config).is_empty());
}
