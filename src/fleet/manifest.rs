//! The fleet's manifest types: `fleet.yaml`, `containers/<svc>.yaml` and
//! `hosts/<host>.yaml`.
//!
//! Decoded with the same span-keeping decoder as Butane (so `0750` is
//! octal, `yes` is a boolean), but strictly: an unknown key is an error at
//! its line and column (see [`super::strict`]). Every
//! field is optional; the defaults are derived by `resolve` from the service
//! name and `fleet.yaml` (convention over configuration), and documented in
//! the README.

use std::collections::BTreeMap;

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

use crate::butane::model as b;

/// `fleet.yaml`: fleet-wide defaults.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Fleet {
    /// Organisation name, used in default paths (`/etc/{{ org }}/...`).
    pub org: Option<String>,
    /// Butane variant hosts compile as: `fcos` (Fedora CoreOS, uCore) or `flatcar`.
    pub variant: Option<String>,
    /// Default OS of every host: `fcos[:stream]`, `ucore[-minimal|-hci]:<tag>`,
    /// `flatcar[:channel]` or a bootable container image reference (default `fcos`).
    pub os: Option<String>,
    /// Default Ignition spec of every host, e.g. `3.4.0`.
    pub ignition_version: Option<String>,
    /// Default image registry: a service's image is `{registry}/{service}`.
    pub registry: Option<String>,
    /// Oldest Podman the fleet runs; newer Quadlet keys warn.
    pub podman_version: Option<String>,
    /// `pinned` (default): images need an explicit version or digest, and
    /// `latest` is allowed only with `auto_update`. `open`: no image checks.
    pub image_policy: Option<String>,
    /// Path patterns (minijinja strings with `{{ org }}`, `{{ service }}`,
    /// `{{ host }}`).
    pub paths: Paths,
    /// First uid/gid handed to service users that do not set one.
    pub service_ids: Option<u32>,
    /// Users merged into every host (Butane `passwd.users` entries).
    pub users: Vec<b::PasswdUser>,
    /// Butane snippets merged into every host, before the host's own.
    pub include: Vec<String>,
    /// A certificate a host gets that expires within this many days of the
    /// build time is a warning (default 30).
    pub cert_expiry_warning_days: Option<u32>,
    /// Install defaults of every host (`device`, `console`, `kargs`); a
    /// host's `install:` overrides them key by key.
    pub install: InstallDefaults,
    /// Settings of plain Butane hosts (`hosts/<name>.bu`) that a Butane
    /// file has no place for, by host name.
    pub butane_hosts: BTreeMap<String, ButaneHost>,
    /// Who can read the fleet's secrets: the age public keys (`age1...`) or
    /// SSH public keys (`ssh-ed25519 ...`, `ssh-rsa ...`) that `kindling
    /// secret encrypt`, `edit` and `rekey` encrypt `secrets/**/*.age` to.
    pub recipients: Vec<String>,
}

/// `fleet.yaml`'s `install:`: what every host's installation has in common.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct InstallDefaults {
    /// The disk the OS goes to, e.g. a `/dev/disk/by-path/` name shared by
    /// identical machines.
    pub device: Option<String>,
    /// Kernel console(s) of the installer and the installed system, e.g.
    /// `ttyS0,115200n8` (coreos-installer's `--console` syntax).
    pub console: Option<StringOrList>,
    /// Extra kernel arguments of the installed system.
    pub kargs: Option<StringOrList>,
}

/// A host's `install:`: where and onto which machine it is installed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct HostInstall {
    /// The disk the OS goes to: a stable name such as
    /// `/dev/disk/by-id/nvme-...` (a `/dev/sda`-style name warns).
    pub device: Option<String>,
    /// The machine's NIC MAC addresses: installer media refuse to install
    /// on a machine that has none of them.
    pub macs: Vec<String>,
    /// Kernel console(s), overriding `fleet.yaml`'s, e.g. `ttyS0,115200n8`.
    pub console: Option<StringOrList>,
    /// Extra kernel arguments of the installed system, overriding
    /// `fleet.yaml`'s (`[]` for none).
    pub kargs: Option<StringOrList>,
    /// The machine's DMI product UUID (`/sys/class/dmi/id/product_uuid`),
    /// checked with the MACs before installing.
    pub uuid: Option<String>,
}

/// `fleet.yaml`'s entry for a plain Butane host.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct ButaneHost {
    /// Where and onto which machine the host is installed, as a manifest
    /// host's `install:`.
    pub install: Option<HostInstall>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Paths {
    pub quadlet_dir: Option<String>,
    pub env_file: Option<String>,
    pub secrets_dir: Option<String>,
    pub data_dir: Option<String>,
    pub trust_dir: Option<String>,
}

/// `containers/<svc>.yaml`: a service rendered through a Quadlet template.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Service {
    pub description: Option<String>,
    /// Image without tag; default `{registry}/{service}`.
    pub image: Option<String>,
    /// Image tag.
    pub version: Option<String>,
    /// Image digest (`sha256:...`); pins the image whatever the tag.
    pub digest: Option<String>,
    /// `registry` or `local` → `AutoUpdate=`.
    pub auto_update: Option<String>,
    pub after: Vec<String>,
    pub requires: Vec<String>,
    pub wants: Vec<String>,
    /// Service user; created on the node with a fixed uid/gid unless `system: false`.
    pub user: Option<String>,
    pub uid: Option<u32>,
    pub group: Option<String>,
    pub gid: Option<u32>,
    /// Whether kindling creates the user and group on the node (default true).
    pub system: Option<bool>,
    /// Allow the container to run as root (otherwise a lint warns).
    pub allow_root: Option<bool>,
    /// `PublishPort=` entries.
    pub ports: Vec<String>,
    /// `public` acknowledges ports published on all interfaces.
    pub expose: Option<String>,
    /// `Volume=` entries; `{{ data_dir }}`, `{{ secrets_dir }}`, ... expand.
    pub volumes: Vec<String>,
    /// `Network=` entries.
    pub networks: Vec<String>,
    pub pod: Option<String>,
    /// Container command (`Exec=`).
    pub exec: Option<String>,
    /// Variables of the `.env` file (`EnvironmentFile=`).
    pub env: BTreeMap<String, String>,
    /// Files copied from `secrets/` into the service's secrets dir (mode 0400, owned by the service user).
    pub secrets: Vec<Placement>,
    /// Public trust anchors copied from `secrets/` into the trust dir (mode 0444).
    pub trust: Vec<Placement>,
    pub health: Option<Health>,
    /// `[Service] Restart=` (default `on-failure`).
    pub restart: Option<String>,
    pub install: Install,
    /// Extra directories on the node.
    pub directories: Vec<DirectorySpec>,
    /// Extra raw Quadlet keys: section → key → value(s).
    pub quadlet: BTreeMap<String, BTreeMap<String, StringOrList>>,
    /// Quadlet drop-ins: file name (`*.conf`) → contents.
    pub dropins: BTreeMap<String, String>,
    /// Template to render the `.container` with (default `quadlet.container.j2`).
    pub template: Option<String>,
}

/// A file copied from the fleet's `secrets/` onto the node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Placement {
    /// File name in the target directory.
    pub file: String,
    /// Path under `secrets/` (a minijinja string; `.age` files are decrypted).
    pub from: String,
    pub mode: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Health {
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    pub start_period: Option<String>,
    pub on_failure: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Install {
    pub wanted_by: StringOrList,
}

/// A directory on the node, owned by a user by name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct DirectorySpec {
    pub path: String,
    pub mode: Option<u32>,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// `hosts/<host>.yaml`: one node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Host {
    /// The node's name in templates (`{{ host }}`); default: the file name
    /// without `.yaml`. When set, the node also gets it as `/etc/hostname`.
    pub hostname: Option<String>,
    pub variant: Option<String>,
    /// What the host runs, overriding `fleet.yaml`'s `os`: `fcos[:stream]`,
    /// `ucore[-minimal|-hci]:<tag>`, `flatcar[:channel]` or a bootable
    /// container image reference. uCore and images are reached by a
    /// two-stage rebase from Fedora CoreOS on the first boots.
    pub os: Option<String>,
    /// Units (e.g. `zfs-import-tank.service`, a container's `.service`) that
    /// need the rebased OS: they start only once the signed rebase is done.
    pub after_rebase: Vec<String>,
    /// Where and onto which machine the host is installed (`device`,
    /// `macs`, `console`, `kargs`, `uuid`), over `fleet.yaml`'s `install:`.
    pub install: Option<HostInstall>,
    pub ignition_version: Option<String>,
    /// Services by name, optionally with overrides (deep-merged onto the
    /// service definition; lists replace).
    pub services: Vec<ServiceRef>,
    pub directories: Vec<DirectorySpec>,
    /// Path patterns for this host, overriding `fleet.yaml`'s one by one.
    pub paths: Paths,
    /// Butane snippets merged in order after the fleet's.
    pub include: Vec<String>,
    /// Extra users for this host only (Butane `passwd.users` entries).
    pub users: Vec<b::PasswdUser>,
    /// A Butane fragment merged last into the host's config; read by
    /// `resolve` from the YAML with the host's Butane version.
    pub butane: Option<Fragment>,
}

/// Placeholder for a Butane fragment: any YAML is accepted here and decoded
/// later, once the host's Butane version is known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fragment;

impl<'de> Deserialize<'de> for Fragment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Fragment)
    }
}

/// A service entry of a host: the name alone, or a one-key mapping from the
/// name to overrides. The overrides stay a YAML node until `resolve` merges
/// them onto the service definition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceRef {
    pub name: String,
    pub has_overrides: bool,
}

impl<'de> Deserialize<'de> for ServiceRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;
        impl<'de> serde::de::Visitor<'de> for RefVisitor {
            type Value = ServiceRef;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a service name, or a mapping from a service name to overrides")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ServiceRef, E> {
                Ok(ServiceRef {
                    name: name.to_owned(),
                    has_overrides: false,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ServiceRef, A::Error> {
                let Some(name) = map.next_key::<String>()? else {
                    return Err(serde::de::Error::custom("expected a service name"));
                };
                map.next_value::<serde::de::IgnoredAny>()?;
                if map.next_key::<String>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "a service entry names one service; put each on its own list item",
                    ));
                }
                Ok(ServiceRef {
                    name,
                    has_overrides: true,
                })
            }
        }
        deserializer.deserialize_any(RefVisitor)
    }
}

/// A value written as one string or a list of strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringOrList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> serde::de::Visitor<'de> for ListVisitor {
            type Value = StringOrList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![value.to_owned()]))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<StringOrList, E> {
                Ok(StringOrList(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StringOrList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringOrList(items))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

impl JsonSchema for ServiceRef {
    fn schema_name() -> Cow<'static, str> {
        "ServiceRef".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let overrides = generator.subschema_for::<Service>();
        json_schema!({
            "description": "A service name, or a one-key mapping from the name to overrides of its definition",
            "anyOf": [
                { "type": "string" },
                { "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": overrides }
            ]
        })
    }
}

impl JsonSchema for StringOrList {
    fn schema_name() -> Cow<'static, str> {
        "StringOrList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                { "type": "array", "items": { "type": ["string", "number", "boolean"] } }
            ]
        })
    }
}

impl JsonSchema for Fragment {
    fn schema_name() -> Cow<'static, str> {
        "ButaneFragment".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<b::Config>()
    }
}

/// Which manifest a JSON Schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fleet,
    Host,
    Service,
}

/// The JSON Schema of a manifest kind, generated from these types, for
/// editors (`# yaml-language-server: $schema=...`).
pub fn json_schema(kind: Kind) -> String {
    let schema = match kind {
        Kind::Fleet => schemars::schema_for!(Fleet),
        Kind::Host => schemars::schema_for!(Host),
        Kind::Service => schemars::schema_for!(Service),
    };
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
