//! LUKS, Clevis, Tang and CEX.

use serde_json::{Value, json};

use super::{run, strings};
use crate::ignition::spec::Spec;

fn luks(spec: Spec, volume: Value) -> Vec<String> {
    run(spec, json!({"storage": {"luks": [volume]}}))
}

#[test]
fn volume_fields() {
    let found = luks(Spec::V3_6, json!({"name": "a/b", "label": "x".repeat(48)}));
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.luks.0.name: device names cannot contain slashes",
            "error at $.storage.luks.0.label: luks device labels cannot be longer than 47 characters",
            "error at $.storage.luks.0.device: disk device is required",
        ])
    );
    assert_eq!(
        luks(
            Spec::V3_6,
            json!({"name": "a", "device": "dev/x", "label": "x".repeat(47)})
        ),
        strings(&["error at $.storage.luks.0.device: path not absolute"])
    );
    // No LUKS before 3.2.0.
    assert!(luks(Spec::V3_1, json!({"name": "a/b"})).is_empty());
}

#[test]
fn key_file_source() {
    assert_eq!(
        luks(
            Spec::V3_6,
            json!({"name": "a", "device": "/dev/x", "keyFile": {"source": "ftp://k"}})
        ),
        strings(&[
            "error at $.storage.luks.0.keys: invalid key-file source",
            "error at $.storage.luks.0.keyFile.source: invalid url scheme",
        ])
    );
}

#[test]
fn custom_clevis() {
    let with = |spec, clevis: Value| {
        luks(
            spec,
            json!({"name": "a", "device": "/dev/x", "clevis": clevis}),
        )
    };
    assert_eq!(
        with(
            Spec::V3_6,
            json!({"tpm2": true, "custom": {"pin": "tpm2", "config": "{}"}})
        ),
        strings(&[
            "error at $.storage.luks.0.clevis: cannot use custom clevis config with tpm2, tang, or threshold"
        ])
    );
    assert_eq!(
        with(Spec::V3_6, json!({"custom": {"needsNetwork": true}})),
        strings(&[
            "error at $.storage.luks.0.clevis.custom.pin: missing required custom clevis pin",
            "error at $.storage.luks.0.clevis.custom.config: missing required custom clevis config",
        ])
    );
    let unknown = json!({"custom": {"pin": "fido2", "config": "{}"}});
    let unsupported =
        strings(&["error at $.storage.luks.0.clevis.custom.pin: unsupported clevis pin"]);
    assert_eq!(with(Spec::V3_5, unknown.clone()), unsupported);
    assert_eq!(with(Spec::V3_2, unknown.clone()), unsupported);
    assert!(with(Spec::V3_6, unknown).is_empty());
    // 3.2.0: the custom object's presence is what conflicts, and
    // needsNetwork alone is no custom config.
    assert!(with(Spec::V3_2, json!({"custom": {"needsNetwork": true}})).is_empty());
    assert_eq!(
        with(
            Spec::V3_2,
            json!({"threshold": 1, "custom": {"needsNetwork": true}})
        ),
        strings(&[
            "error at $.storage.luks.0.clevis: cannot use custom clevis config with tpm2, tang, or threshold"
        ])
    );
    assert_eq!(
        with(Spec::V3_2, json!({"custom": {"config": "{}"}})),
        strings(&["error at $.storage.luks.0.clevis.custom.pin: unsupported clevis pin"])
    );
}

#[test]
fn tang_servers() {
    let clevis = json!({"tang": [
        {"url": "ftp://t", "thumbprint": "t"},
        {"url": "http://a b"},
        {"url": "https://t2", "thumbprint": "t", "advertisement": "{not json"},
        {"url": "https://t3", "thumbprint": "t", "advertisement": "{\"payload\": \"x\"}"}
    ]});
    let volume = json!({"name": "a", "device": "/dev/x", "clevis": clevis});
    let common = [
        "error at $.storage.luks.0.clevis.tang.0.url: invalid url scheme",
        "error at $.storage.luks.0.clevis.tang.1.url: unable to parse url",
        "error at $.storage.luks.0.clevis.tang.1.thumbprint: thumbprint is required",
    ];
    let mut expected = strings(&common);
    expected.push(
        "error at $.storage.luks.0.clevis.tang.2.advertisement: advertisement is not valid JSON"
            .to_owned(),
    );
    assert_eq!(luks(Spec::V3_4, volume.clone()), expected);
    assert_eq!(luks(Spec::V3_3, volume), strings(&common));
}

#[test]
fn cex() {
    let found = luks(
        Spec::V3_5,
        json!({
            "name": "a", "device": "/dev/x", "cex": {"enabled": true},
            "clevis": {"tpm2": true}, "keyFile": {"source": "data:,k"}
        }),
    );
    assert_eq!(
        found,
        strings(&[
            "error at $.storage.luks.0.cex: cannot use cex with clevis",
            "error at $.storage.luks.0.cex: cannot use key file with cex",
        ])
    );
    let fine = json!({"name": "a", "device": "/dev/x", "cex": {"enabled": true}, "clevis": {"threshold": 0}});
    assert!(luks(Spec::V3_6, fine).is_empty());
}
