//! The JSON Schema check.

use serde_json::json;

use super::lines;
use crate::ignition::spec::Spec;
use crate::validate::schema;

#[test]
fn valid_configs_pass_every_schema() {
    for spec in Spec::ALL {
        let config = json!({
            "ignition": {"version": spec.as_str()},
            "storage": {"files": [{"path": "/etc/hostname", "mode": 420, "contents": {"source": "data:,n"}}]},
            "systemd": {"units": [{"name": "a.service", "enabled": true}]}
        });
        assert!(schema(&config, spec).is_empty(), "{spec}");
        // Compiled once, reused.
        assert!(schema(&config, spec).is_empty(), "{spec}");
    }
}

#[test]
fn findings_carry_the_instance_path() {
    let config = json!({
        "ignition": {"version": "3.2.0"},
        "storage": {
            "files": [{"path": "/a", "mode": "420"}],
            "links": [{"path": "/l"}]
        }
    });
    let found = lines(&schema(&config, Spec::V3_2));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("error at $.storage.files.0.mode: ")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("error at $.storage.links.0: ") && l.contains("target")),
        "{found:?}"
    );
    // From 3.3.0 the link target is checked by Ignition's code, not the schema.
    let config = json!({"ignition": {"version": "3.3.0"}, "storage": {"links": [{"path": "/l"}]}});
    assert!(schema(&config, Spec::V3_3).is_empty());
}

#[test]
fn version_required_from_3_4() {
    let config = json!({"ignition": {}});
    assert!(schema(&config, Spec::V3_3).is_empty());
    let found = lines(&schema(&config, Spec::V3_4));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("error at $.ignition: ") && found[0].contains("version"),
        "{found:?}"
    );
}

#[test]
fn unknown_keys_are_not_schema_errors() {
    let config = json!({"ignition": {"version": "3.6.0"}, "bogus": 1, "storage": {"files": [{"path": "/a", "nope": true}]}});
    assert!(schema(&config, Spec::V3_6).is_empty());
}
