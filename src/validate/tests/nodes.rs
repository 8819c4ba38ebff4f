//! Paths, modes, owners, links and systemd path conflicts.

use serde_json::json;

use super::{run, run36, strings};
use crate::ignition::spec::Spec;

#[test]
fn node_paths() {
    let found = run36(json!({"storage": {"files": [
        {"path": ""}, {"path": "etc/a"}, {"path": "/etc/"}, {"path": "/a//b"},
        {"path": "/a/./b"}, {"path": "/a/../b"}, {"path": "/fine"}
    ]}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.files.0.path: path not specified",
            "error at $.storage.files.1.path: path not absolute",
            "error at $.storage.files.2.path: path is not fully simplified",
            "error at $.storage.files.3.path: path is not fully simplified",
            "error at $.storage.files.4.path: path is not fully simplified",
            "error at $.storage.files.5.path: path is not fully simplified",
        ])
    );
    let found = run36(json!({"storage": {
        "directories": [{"path": "d"}], "links": [{"path": "/l/", "target": "/x"}]
    }}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.directories.0.path: path not absolute",
            "error at $.storage.links.0.path: path is not fully simplified",
        ])
    );
}

#[test]
fn modes() {
    let config = json!({"storage": {
        "files": [{"path": "/a", "mode": 4096}, {"path": "/b", "mode": 4095}, {"path": "/c", "mode": 420}],
        "directories": [{"path": "/d", "mode": -1}, {"path": "/e", "mode": 493}]
    }});
    assert_eq!(
        run36(config.clone()),
        strings(&[
            "error at $.storage.directories.0.mode: illegal file mode",
            "error at $.storage.files.0.mode: illegal file mode",
        ])
    );
    let special = "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0";
    assert_eq!(
        run(Spec::V3_5, config),
        vec![
            "error at $.storage.directories.0.mode: illegal file mode".to_owned(),
            format!("warning at $.storage.directories.0.mode: {special}"),
            "error at $.storage.files.0.mode: illegal file mode".to_owned(),
            format!("warning at $.storage.files.1.mode: {special}"),
        ]
    );
    let sticky = json!({"storage": {"directories": [{"path": "/tmp2", "mode": 1023}]}});
    assert_eq!(run(Spec::V3_0, sticky.clone()).len(), 1);
    assert!(run36(sticky).is_empty());
}

#[test]
fn overwrite_needs_source() {
    let found = run36(json!({"storage": {"files": [
        {"path": "/a", "overwrite": true},
        {"path": "/b", "overwrite": true, "contents": {"source": ""}},
        {"path": "/c", "overwrite": true, "contents": {"source": "data:,x"}},
        {"path": "/d", "overwrite": false}
    ]}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.files.0.overwrite: overwrite must be false if source is unspecified"
        ])
    );
}

#[test]
fn owner_id_and_name() {
    let found = run36(json!({"storage": {
        "files": [{"path": "/a", "user": {"id": 0, "name": "core"}, "group": {"id": 0, "name": "core"}}],
        "directories": [{"path": "/d", "user": {"id": 0, "name": ""}, "group": {"name": "g"}}],
        "links": [{"path": "/l", "target": "/a", "user": {"id": 1, "name": "x"}}]
    }}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.files.0.group: cannot set both id and name",
            "error at $.storage.files.0.user: cannot set both id and name",
            "error at $.storage.links.0.user: cannot set both id and name",
        ])
    );
}

#[test]
fn nodes_under_links() {
    let found = run36(json!({"storage": {
        "links": [{"path": "/a", "target": "/b"}, {"path": "/a/l", "target": "/c"}],
        "files": [{"path": "/a/x"}, {"path": "/ab"}],
        "directories": [{"path": "/a/d"}, {"path": "/a"}]
    }}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.directories.0: directory path includes link in config",
            "error at $.storage.files.0: file path includes link in config",
            "error at $.storage.links.1: link path includes link in config",
            "error at $.storage.links.0: duplicate entry defined",
        ])
    );
}

#[test]
fn link_target_required_in_every_spec() {
    for spec in [Spec::V3_0, Spec::V3_2, Spec::V3_3, Spec::V3_6] {
        let found = run(
            spec,
            json!({"storage": {"links": [{"path": "/a"}, {"path": "/b", "target": ""}]}}),
        );
        assert_eq!(
            found,
            strings(&[
                "error at $.storage.links.0.target: link target is required",
                "error at $.storage.links.1.target: link target is required",
            ]),
            "{spec}"
        );
    }
}

#[test]
fn hard_links() {
    let found = run36(json!({"storage": {
        "directories": [{"path": "/d"}],
        "links": [
            {"path": "/l1", "target": "/d", "hard": true},
            {"path": "/l2", "target": "../d", "hard": true},
            {"path": "/l3", "target": "/d"},
            {"path": "/l4", "target": "/f", "hard": true, "user": {"id": 0}, "group": {"name": "g"}},
            {"path": "/l5", "target": "/f", "user": {"id": 0}}
        ]
    }}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.links.0: hard link target is a directory",
            "error at $.storage.links.1: hard link target is a directory",
            "warning at $.storage.links.3.user.id: user/group ignored for hard link",
            "warning at $.storage.links.3.group.name: user/group ignored for hard link",
        ])
    );
}

#[test]
fn systemd_path_conflicts_come_first() {
    let found = run(
        Spec::V3_4,
        json!({
            "ignition": {"version": "3.3.0"},
            "storage": {
                "files": [{"path": "/etc/systemd/system/a.service"}, {"path": "/etc/systemd/system/n.service"}],
                "directories": [{"path": "/etc/systemd/system/a.service.d/b.conf"}],
                "links": [{"path": "/etc/systemd/system/a.service", "target": "/dev/null"}]
            },
            "systemd": {"units": [
                {"name": "a.service", "contents": "[Unit]\n", "dropins": [{"name": "b.conf", "contents": "[Unit]\n"}]},
                {"name": "n.service", "contents": ""}
            ]}
        }),
    );
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.files.0.path: path conflicts with systemd unit or dropin",
            "error at $.storage.directories.0.path: path conflicts with systemd unit or dropin",
            "error at $.storage.links.0.path: path conflicts with systemd unit or dropin",
            "error at $.ignition.version: unsupported config version",
            "error at $.storage.links.0: duplicate entry defined",
        ])
    );
}

#[test]
fn version() {
    assert_eq!(
        run36(json!({"ignition": {"version": "3.6"}})),
        strings(&["error at $.ignition.version: invalid config version (couldn't parse)"])
    );
    assert_eq!(
        run36(json!({"ignition": {"version": ""}})),
        strings(&["error at $.ignition.version: invalid config version (couldn't parse)"])
    );
    assert_eq!(
        run36(json!({"ignition": {"version": "3.6.0-experimental"}})),
        strings(&["error at $.ignition.version: unsupported config version"])
    );
    assert!(
        run(
            Spec::V3_7Experimental,
            json!({"ignition": {"version": "3.7.0-experimental"}})
        )
        .is_empty()
    );
    assert!(run36(json!({"ignition": {"version": "3.6.0"}})).is_empty());
}
