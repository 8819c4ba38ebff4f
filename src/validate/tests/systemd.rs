//! systemd units and drop-ins.

use serde_json::json;

use super::{run, run36, strings};
use crate::ignition::spec::Spec;

#[test]
fn unit_extensions() {
    let found = run36(json!({"systemd": {"units": [
        {"name": "foo"}, {"name": "web.container"}, {"name": "a.service"}, {"name": "b.timer"},
        {"name": "c.scope"}, {"name": "d.snapshot"}, {"name": "x.service/y"}
    ]}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.systemd.units.0.name: invalid systemd unit extension",
            "error at $.systemd.units.1.name: invalid systemd unit extension",
            "error at $.systemd.units.6.name: invalid systemd unit extension",
        ])
    );
}

#[test]
fn unit_contents_must_parse() {
    let long = format!("[Service]\nExecStart={}\n", "x".repeat(2100));
    let found = run36(json!({"systemd": {"units": [
        {"name": "a.service", "contents": "[Unit"},
        {"name": "b.service", "contents": "[Unit] junk\n"},
        {"name": "c.service", "contents": "[Unit]\nNoEquals\n"},
        {"name": "d.service", "contents": long, "enabled": true},
        {"name": "e.service", "contents": "Before=sections\n[Unit]\n# c\n; c\nA = b \\\n c\n"}
    ]}}));
    let contents = |index: usize, reason: &str| {
        format!("error at $.systemd.units.{index}.contents: invalid unit content: {reason}")
    };
    assert_eq!(
        found,
        vec![
            contents(0, "unable to find end of section"),
            contents(1, "found garbage after section name : \"junk\""),
            contents(
                2,
                "unexpected newline encountered while parsing option name"
            ),
            contents(3, "line too long (max 2048 bytes)"),
        ]
    );
}

#[test]
fn enabled_without_install_section() {
    let found = run36(json!({"systemd": {"units": [
        {"name": "a.service", "enabled": true, "contents": "[Unit]\nDescription=a\n"},
        {"name": "b.service", "enabled": true, "contents": "[Unit]\n[Install]\nWantedBy=multi-user.target\n"},
        {"name": "c.service", "enabled": false, "contents": "[Unit]\n"},
        {"name": "d.service", "enabled": true},
        {"name": "e.service", "enabled": true, "contents": "[Install]\n"},
        {"name": "f.service", "enabled": true, "contents": ""}
    ]}}));
    assert_eq!(
        found,
        strings(&[
            "warning at $.systemd.units.0.contents: unit \"a.service\" is enabled, but has no install section so enable does nothing",
            "warning at $.systemd.units.4.contents: unit \"e.service\" is enabled, but has no install section so enable does nothing",
        ])
    );
}

#[test]
fn template_without_install_section() {
    let config = json!({"systemd": {"units": [
        {"name": "t@.service", "contents": "[Service]\nExecStart=/bin/true\n"},
        {"name": "t@a.service", "enabled": true},
        {"name": "t@b.service", "enabled": false},
        {"name": "u@.service", "contents": "[Service]\n[Install]\nWantedBy=a.target\n"},
        {"name": "u@a.service", "enabled": true},
        {"name": "v@a.service", "enabled": true},
        {"name": "w@.service", "contents": "[Service"},
        {"name": "w@a.service", "enabled": true}
    ]}});
    assert_eq!(
        run36(config),
        strings(&[
            "warning at $.systemd.units.1.contents: template unit \"t@.service\" for \"t@a.service\" doesn't have Install section",
            "error at $.systemd.units.6.contents: invalid unit content: unable to find end of section",
        ])
    );
}

#[test]
fn dropins() {
    let found = run(
        Spec::V3_0,
        json!({"systemd": {"units": [{"name": "a.service", "dropins": [
            {"name": "x", "contents": "[Service"},
            {"name": "ok.conf", "contents": "[Service]\nA=b\n"},
            {"name": "noconf.conf.d"}
        ]}]}}),
    );
    assert_eq!(
        found,
        strings(&[
            "error at $.systemd.units.0.dropins.0.contents: invalid unit content: unable to find end of section",
            "error at $.systemd.units.0.dropins.0.name: invalid systemd drop-in extension",
            "error at $.systemd.units.0.dropins.2.name: invalid systemd drop-in extension",
        ])
    );
}
