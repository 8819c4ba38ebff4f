//! kindling's own manifests are strict: a key that `fleet.yaml`, a host
//! manifest, a service definition or a host's service override does not
//! have is an error, as the published JSON Schemas say
//! (`additionalProperties: false`). Butane input (`.bu` hosts, snippets, a
//! host's `butane:` block) keeps Butane's semantics: unused keys warn.
//!
//! A key that is valid in another kind of file says where it belongs
//! (`systemd:` at a host's top level belongs under `butane:`); any other
//! unknown key gets the decoder's did-you-mean.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use schemars::schema_for;

use super::manifest::{Fleet, Host, Service};
use crate::butane::model::Config;
use crate::yaml::de::{AllFields, Decoder, UnknownKeys};

/// A decoder for kindling's manifests: every field allowed, unknown keys
/// are errors that say where a misplaced key belongs.
pub fn decoder() -> Decoder<'static> {
    Decoder::new(&AllFields).with_unknown_keys(UnknownKeys::Error(&belongs))
}

/// The top-level keys of each kind of file, read from the types' JSON
/// Schemas so that they cannot drift from what decodes.
struct Keys {
    fleet: BTreeSet<String>,
    host: BTreeSet<String>,
    service: BTreeSet<String>,
    butane: BTreeSet<String>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    fleet: properties(schema_for!(Fleet)),
    host: properties(schema_for!(Host)),
    service: properties(schema_for!(Service)),
    butane: properties(schema_for!(Config)),
});

fn properties(schema: schemars::Schema) -> BTreeSet<String> {
    schema
        .get("properties")
        .and_then(serde_json::Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// Section names of Quadlet and systemd unit files: written as a key of a
/// service definition, they are raw Quadlet keys in the wrong place.
const UNIT_SECTIONS: [&str; 12] = [
    "Unit",
    "Service",
    "Install",
    "Container",
    "Pod",
    "Volume",
    "Network",
    "Kube",
    "Image",
    "Build",
    "Artifact",
    "Quadlet",
];

/// Where `key`, unknown in the struct `struct_name`, belongs instead: help
/// for the top level of a fleet, host or service manifest (host overrides
/// decode as a service), `None` when the key is not valid elsewhere.
fn belongs(struct_name: &'static str, key: &str) -> Option<String> {
    let keys = &*KEYS;
    let service_key = || {
        keys.service
            .contains(key)
            .then(|| format!("`{key}` is a service key: set it in containers/<service>.yaml"))
    };
    let host_key = || {
        keys.host
            .contains(key)
            .then(|| format!("`{key}` is a host key: set it in hosts/<host>.yaml"))
    };
    let fleet_key = || {
        keys.fleet
            .contains(key)
            .then(|| format!("`{key}` is a fleet setting: set it in fleet.yaml"))
    };
    match struct_name {
        "Host" => {
            if keys.butane.contains(key) && key != "version" {
                return Some(format!(
                    "`{key}` is Butane config: it belongs under `butane:`"
                ));
            }
            service_key()
                .map(|help| {
                    format!(
                        "{help}, or for this host only in the service's entry \
                         (`services: [{{ <service>: {{ {key}: ... }} }}]`)"
                    )
                })
                .or_else(fleet_key)
        }
        "Fleet" => host_key().or_else(service_key).or_else(|| {
            keys.butane.contains(key).then(|| {
                format!(
                    "`{key}` is Butane config: put it in a snippet listed under `include:`, \
                     or under a host's `butane:`"
                )
            })
        }),
        "Service" => {
            if UNIT_SECTIONS.contains(&key) {
                return Some(format!(
                    "`{key}` is a unit file section: raw Quadlet keys go under `quadlet:` \
                     (`quadlet: {{ {key}: {{ Key: value }} }}`)"
                ));
            }
            host_key().or_else(fleet_key).or_else(|| {
                keys.butane.contains(key).then(|| {
                    format!("`{key}` is Butane config: it belongs under a host's `butane:`")
                })
            })
        }
        "InstallDefaults" => Some(if matches!(key, "macs" | "uuid") {
            format!(
                "`{key}` names one machine: set it in the host's `install:` (hosts/<host>.yaml), \
                 or for a plain Butane host under `butane_hosts: {{ <host>: {{ install: ... }} }}`"
            )
        } else {
            "fleet.yaml's `install:` has device, console and kargs".to_owned()
        }),
        "HostInstall" => Some("`install:` has device, macs, console, kargs and uuid".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sets_come_from_the_schemas() {
        let keys = &*KEYS;
        assert!(keys.fleet.contains("image_policy"));
        assert!(keys.host.contains("services"));
        assert!(keys.service.contains("version"));
        assert!(keys.butane.contains("systemd"));
    }

    #[test]
    fn misplaced_keys_say_where_they_belong() {
        let help = |kind, key| belongs(kind, key).unwrap_or_default();
        assert_eq!(
            help("Host", "systemd"),
            "`systemd` is Butane config: it belongs under `butane:`"
        );
        assert!(help("Host", "image").starts_with("`image` is a service key"));
        assert!(help("Host", "version").starts_with("`version` is a service key"));
        assert_eq!(
            help("Host", "registry"),
            "`registry` is a fleet setting: set it in fleet.yaml"
        );
        assert_eq!(
            help("Fleet", "services"),
            "`services` is a host key: set it in hosts/<host>.yaml"
        );
        assert!(help("Fleet", "ports").starts_with("`ports` is a service key"));
        assert!(help("Fleet", "storage").starts_with("`storage` is Butane config"));
        assert!(help("Service", "Container").starts_with("`Container` is a unit file section"));
        assert!(help("Service", "hostname").starts_with("`hostname` is a host key"));
        assert!(help("Service", "image_policy").starts_with("`image_policy` is a fleet setting"));
        assert!(help("InstallDefaults", "macs").starts_with("`macs` names one machine"));
        assert_eq!(belongs("Host", "servics"), None);
        assert_eq!(belongs("Health", "image"), None);
    }
}
