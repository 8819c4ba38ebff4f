//! The fleet's manifest types: `fleet.yaml`, `containers/<svc>.yaml` and
//! `hosts/<host>.yaml`.
//!
//! Decoded with the same span-keeping decoder as Butane (so `0750` is
//! octal, `yes` is a boolean), but strictly: an unknown key is an error at
//! its line and column (see [`super::strict`]). Every
//! field is optional; the defaults are derived by `resolve` from the service
//! name and `fleet.yaml` (convention over configuration). The doc comments,
//! defaults and examples here are the manifest reference: `kindling schema`
//! prints them as JSON Schema and `docs/manifest.md` is generated from them.

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
    #[schemars(extend("default" = "kindling"), example = &"acme")]
    pub org: Option<String>,
    /// Butane variant hosts compile as: `fcos` (Fedora CoreOS, uCore) or
    /// `flatcar`; default: the one `os` implies.
    #[schemars(example = &"fcos")]
    pub variant: Option<String>,
    /// Default OS of every host: `fcos[:stream]`, `ucore[-minimal|-hci]:<tag>`,
    /// `flatcar[:channel]` or a bootable container image reference.
    #[schemars(extend("default" = "fcos"), example = &"ucore-minimal:stable")]
    pub os: Option<String>,
    /// Default Ignition spec of every host.
    #[schemars(extend("default" = "3.4.0"), example = &"3.5.0")]
    pub ignition_version: Option<String>,
    /// Default image registry: a service's image is `{registry}/{service}`.
    #[schemars(example = &"ghcr.io/acme")]
    pub registry: Option<String>,
    /// Oldest Podman the fleet runs; Quadlet keys newer than it warn.
    #[schemars(extend("default" = "5.8.0"), example = &"4.9.0")]
    pub podman_version: Option<String>,
    /// `pinned`: images need an explicit version or digest, and `latest` is
    /// allowed only with `auto_update`. `open`: no image checks.
    #[schemars(extend("default" = "pinned"), example = &"open")]
    pub image_policy: Option<String>,
    /// Path patterns on the nodes (minijinja strings with `{{ org }}`,
    /// `{{ service }}`, `{{ host }}`).
    #[schemars(example = serde_json::json!({"data_dir": "/var/srv/{{ service }}"}))]
    pub paths: Paths,
    /// First uid/gid handed to service users that do not set one (each
    /// gets a stable id in `[service_ids, service_ids + 40000)` from a hash
    /// of its name).
    #[schemars(extend("default" = 20000), example = 30000)]
    pub service_ids: Option<u32>,
    /// Users merged into every host (Butane `passwd.users` entries).
    #[schemars(example = serde_json::json!([{"name": "core", "ssh_authorized_keys": ["ssh-ed25519 AAAA... admin"]}]))]
    pub users: Vec<b::PasswdUser>,
    /// Butane snippets (paths in the fleet) merged into every host, before
    /// the host's own.
    #[schemars(example = serde_json::json!(["snippets/base.bu"]))]
    pub include: Vec<String>,
    /// A certificate a host gets that expires within this many days of the
    /// build time is a warning.
    #[schemars(extend("default" = 30), example = 14)]
    pub cert_expiry_warning_days: Option<u32>,
    /// Install defaults of every host (`device`, `console`, `kargs`); a
    /// host's `install:` overrides them key by key.
    #[schemars(example = serde_json::json!({"console": "ttyS0,115200n8"}))]
    pub install: InstallDefaults,
    /// Settings of plain Butane hosts (`hosts/<name>.bu`) that a Butane
    /// file has no place for, by host name.
    #[schemars(example = serde_json::json!({"example": {"install": {"device": "/dev/disk/by-id/nvme-eui.0025"}}}))]
    pub butane_hosts: BTreeMap<String, ButaneHost>,
    /// Who can read the fleet's secrets: the age public keys (`age1...`) or
    /// SSH public keys (`ssh-ed25519 ...`, `ssh-rsa ...`) that `kindling
    /// secret encrypt`, `edit` and `rekey` encrypt `secrets/**/*.age` to.
    #[schemars(example = serde_json::json!(["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]))]
    pub recipients: Vec<String>,
    /// Host ports kindling picks named service ports from (`first-last`),
    /// never one another service on the host publishes.
    #[schemars(extend("default" = "10000-60000"), example = &"20000-29999")]
    pub port_range: Option<String>,
}

/// `fleet.yaml`'s `install:`: what every host's installation has in common.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct InstallDefaults {
    /// The disk the OS goes to, e.g. a `/dev/disk/by-path/` name shared by
    /// identical machines.
    #[schemars(example = &"/dev/disk/by-path/pci-0000:00:17.0-ata-1")]
    pub device: Option<String>,
    /// Kernel console(s) of the installer and the installed system
    /// (coreos-installer's `--console` syntax).
    #[schemars(example = &"ttyS0,115200n8")]
    pub console: Option<StringOrList>,
    /// Extra kernel arguments of the installed system.
    #[schemars(example = serde_json::json!(["mitigations=auto"]))]
    pub kargs: Option<StringOrList>,
}

/// A host's `install:`: where and onto which machine it is installed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct HostInstall {
    /// The disk the OS goes to: a stable name such as
    /// `/dev/disk/by-id/nvme-...` (a `/dev/sda`-style name warns).
    #[schemars(example = &"/dev/disk/by-id/nvme-Samsung_SSD_980_S64")]
    pub device: Option<String>,
    /// The machine's NIC MAC addresses: installer media refuse to install
    /// on a machine that has none of them.
    #[schemars(example = serde_json::json!(["52:54:00:12:34:56"]))]
    pub macs: Vec<String>,
    /// Kernel console(s), overriding `fleet.yaml`'s.
    #[schemars(example = &"ttyS0,115200n8")]
    pub console: Option<StringOrList>,
    /// Extra kernel arguments of the installed system, overriding
    /// `fleet.yaml`'s (`[]` for none).
    #[schemars(example = serde_json::json!(["nomodeset"]))]
    pub kargs: Option<StringOrList>,
    /// The machine's DMI product UUID (`/sys/class/dmi/id/product_uuid`),
    /// checked with the MACs before installing.
    #[schemars(example = &"4c4c4544-0042-3510-8052-b4c04f4d3632")]
    pub uuid: Option<String>,
}

/// `fleet.yaml`'s entry for a plain Butane host.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct ButaneHost {
    /// Where and onto which machine the host is installed, as a manifest
    /// host's `install:`.
    #[schemars(example = serde_json::json!({"device": "/dev/disk/by-id/nvme-eui.0025"}))]
    pub install: Option<HostInstall>,
}

/// Where things go on a node: minijinja patterns with `{{ org }}`,
/// `{{ service }}` and `{{ host }}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Paths {
    /// Directory of the rendered Quadlet files.
    #[schemars(extend("default" = "/etc/containers/systemd"), example = &"/etc/containers/systemd/users/0")]
    pub quadlet_dir: Option<String>,
    /// A service's `.env` file (from its `env:`).
    #[schemars(extend("default" = "/etc/{{ org }}/env/{{ service }}.env"), example = &"/etc/{{ org }}/{{ service }}.env")]
    pub env_file: Option<String>,
    /// A service's secrets directory (its `secrets:` go here).
    #[schemars(extend("default" = "/etc/{{ org }}/secrets/{{ service }}"), example = &"/run/{{ org }}/{{ service }}")]
    pub secrets_dir: Option<String>,
    /// A service's data directory (created, owned by the service user, when a
    /// volume mounts it).
    #[schemars(extend("default" = "/var/lib/{{ org }}/{{ service }}"), example = &"/var/srv/{{ service }}")]
    pub data_dir: Option<String>,
    /// Directory of the public trust anchors (`trust:`).
    #[schemars(extend("default" = "/etc/{{ org }}/trust"), example = &"/etc/pki/{{ org }}")]
    pub trust_dir: Option<String>,
}

/// `containers/<svc>.yaml`: a service rendered through a Quadlet template.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Service {
    /// `[Unit] Description=`.
    #[schemars(extend("default" = "<service> container"), example = &"realm DNS")]
    pub description: Option<String>,
    /// Image without tag; default `{registry}/{service}`.
    #[schemars(example = &"docker.io/library/nginx")]
    pub image: Option<String>,
    /// Image tag.
    #[schemars(example = &"1.27.3")]
    pub version: Option<String>,
    /// Image digest (`sha256:...`); pins the image whatever the tag.
    #[schemars(example = &"sha256:0d3b0e8f1c3a6a9f7e2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091")]
    pub digest: Option<String>,
    /// `registry` or `local` → `AutoUpdate=`.
    #[schemars(example = &"registry")]
    pub auto_update: Option<String>,
    /// Units this one starts after (`[Unit] After=`).
    #[schemars(example = serde_json::json!(["network-online.target"]))]
    pub after: Vec<String>,
    /// Units this one needs: it stops when they stop (`[Unit] Requires=`).
    #[schemars(example = serde_json::json!(["db.service"]))]
    pub requires: Vec<String>,
    /// Units started with this one, not needed by it (`[Unit] Wants=`).
    #[schemars(example = serde_json::json!(["network-online.target"]))]
    pub wants: Vec<String>,
    /// Service user the container runs as (`User=`); created on the node with
    /// a fixed uid/gid unless `system: false`. Default: the service name.
    #[schemars(example = &"web")]
    pub user: Option<String>,
    /// The user's uid; default: a stable id from `fleet.yaml`'s
    /// `service_ids` and a hash of the user name.
    #[schemars(example = 2470)]
    pub uid: Option<u32>,
    /// The container's group (`Group=`); default: the user's name.
    #[schemars(example = &"web")]
    pub group: Option<String>,
    /// The group's gid; default: the uid.
    #[schemars(example = 2470)]
    pub gid: Option<u32>,
    /// Whether kindling creates the user and group on the node; `false`
    /// without `user:` runs the container as the image's user.
    #[schemars(extend("default" = true), example = false)]
    pub system: Option<bool>,
    /// Allow the container to run as root (otherwise a lint warns).
    #[schemars(extend("default" = false), example = true)]
    pub allow_root: Option<bool>,
    /// Published ports: a `PublishPort=` value (`127.0.0.1:8080:80`), or a
    /// named port (`{ name: http, container: 8080 }`) whose host port
    /// kindling picks per host from `fleet.yaml`'s `port_range`, records in
    /// `ports.lock` and passes to the container as `PORT_<NAME>` (and the
    /// first one as `PORT`) in its env file.
    #[schemars(example = serde_json::json!(["127.0.0.1:8080:80", {"name": "http", "container": 8080}]))]
    pub ports: Vec<PortEntry>,
    /// `public` acknowledges ports published on all interfaces.
    #[schemars(example = &"public")]
    pub expose: Option<String>,
    /// `Volume=` entries; `{{ data_dir }}`, `{{ secrets_dir }}`, ... expand.
    #[schemars(example = serde_json::json!(["{{ data_dir }}:/data:Z"]))]
    pub volumes: Vec<String>,
    /// `Network=` entries.
    #[schemars(example = serde_json::json!(["realm.network"]))]
    pub networks: Vec<String>,
    /// The Quadlet pod the container joins (`Pod=`).
    #[schemars(example = &"web.pod")]
    pub pod: Option<String>,
    /// Container command (`Exec=`).
    #[schemars(example = &"--config /etc/app/config.toml")]
    pub exec: Option<String>,
    /// Variables of the `.env` file (`EnvironmentFile=`).
    #[schemars(example = serde_json::json!({"LOG_LEVEL": "info"}))]
    pub env: BTreeMap<String, String>,
    /// Files copied from `secrets/` into the service's secrets dir (owned by
    /// the service user).
    #[schemars(example = serde_json::json!([{"file": "key.pem", "from": "web/{{ host }}/key.pem.age"}]))]
    pub secrets: Vec<Placement>,
    /// Public trust anchors copied from `secrets/` into the trust dir.
    #[schemars(example = serde_json::json!([{"file": "root.pem", "from": "realm/root.pem"}]))]
    pub trust: Vec<Placement>,
    /// The container's health check (`Health*=` keys).
    #[schemars(example = serde_json::json!({"cmd": "curl -fs http://127.0.0.1/health", "interval": "30s"}))]
    pub health: Option<Health>,
    /// `[Service] Restart=`.
    #[schemars(extend("default" = "on-failure"), example = &"always")]
    pub restart: Option<String>,
    /// The unit's `[Install]` section.
    #[schemars(example = serde_json::json!({"wanted_by": "default.target"}))]
    pub install: Install,
    /// Extra directories on the node.
    #[schemars(example = serde_json::json!([{"path": "/var/srv/web/cache", "user": "web"}]))]
    pub directories: Vec<DirectorySpec>,
    /// Extra raw Quadlet keys: section → key → value(s).
    #[schemars(example = serde_json::json!({"Container": {"ShmSize": "2g"}}))]
    pub quadlet: BTreeMap<String, BTreeMap<String, StringOrList>>,
    /// Quadlet drop-ins: file name (`*.conf`) → contents.
    #[schemars(example = serde_json::json!({"10-limits.conf": "[Service]\nMemoryMax=1G\n"}))]
    pub dropins: BTreeMap<String, String>,
    /// Template to render the `.container` with (in the fleet's `templates/`).
    #[schemars(extend("default" = "quadlet.container.j2"), example = &"web.container.j2")]
    pub template: Option<String>,
}

/// An entry of a service's `ports:`: a `PublishPort=` value as written, or
/// a named port.
#[derive(Clone, Debug, PartialEq)]
pub enum PortEntry {
    Published(String),
    Named(NamedPort),
}

/// A named port: published on a host port kindling picks (unless `host:`
/// gives one) and passed to the container as `PORT_<NAME>`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NamedPort {
    /// The port's name: a letter, then letters, digits, `-` or `_`; the
    /// container gets it as `PORT_<NAME>` (upper case, `-` as `_`).
    #[schemars(example = &"http")]
    pub name: String,
    /// The port the container listens on; default: the host port (the
    /// container then listens on `$PORT_<NAME>`).
    #[schemars(example = 8080)]
    pub container: Option<u16>,
    /// A fixed host port instead of one kindling picks.
    #[schemars(example = 8443)]
    pub host: Option<u16>,
    /// The host address to publish on; default: every interface.
    #[schemars(example = &"127.0.0.1")]
    pub address: Option<String>,
    /// `tcp` (the default), `udp` or `sctp`.
    #[schemars(example = &"udp")]
    pub protocol: Option<String>,
}

/// The struct name a named port decodes under: the manifest decoder takes a
/// scalar there as the string form (see `crate::yaml::de::STRING_FORM`).
const NAMED_PORT_OR_STRING: &str = "NamedPort+string";

/// `NamedPort`'s keys, for the strict decoder.
const NAMED_PORT_FIELDS: &[&str] = &["name", "container", "host", "address", "protocol"];

impl<'de> Deserialize<'de> for PortEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = PortEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a PublishPort= value, or a named port mapping")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<PortEntry, E> {
                Ok(PortEntry::Published(value.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PortEntry, A::Error> {
                NamedPort::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PortEntry::Named)
            }
        }
        deserializer.deserialize_struct(NAMED_PORT_OR_STRING, NAMED_PORT_FIELDS, EntryVisitor)
    }
}

impl JsonSchema for PortEntry {
    fn schema_name() -> Cow<'static, str> {
        "PortEntry".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let named = generator.subschema_for::<NamedPort>();
        json_schema!({
            "description": "A PublishPort= value, or a named port whose host port kindling picks",
            "anyOf": [ { "type": "string" }, named ]
        })
    }
}

/// A file copied from the fleet's `secrets/` onto the node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Placement {
    /// File name in the target directory.
    #[schemars(example = &"key.pem")]
    pub file: String,
    /// Path under `secrets/` (a minijinja string; `.age` files are decrypted).
    #[schemars(example = &"web/{{ host }}/key.pem.age")]
    pub from: String,
    /// File mode (octal in YAML, e.g. `0440`); default `0400` for
    /// `secrets:`, `0444` for `trust:`.
    #[schemars(example = 0o440)]
    pub mode: Option<u32>,
}

/// A container health check; each key becomes the Quadlet key of the same
/// name (`cmd` → `HealthCmd=`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Health {
    /// Command run in the container; exit status 0 is healthy (`HealthCmd=`).
    #[schemars(example = &"curl -fs http://127.0.0.1/health")]
    pub cmd: Option<String>,
    /// Time between checks (`HealthInterval=`).
    #[schemars(example = &"30s")]
    pub interval: Option<String>,
    /// Time a check may take (`HealthTimeout=`).
    #[schemars(example = &"5s")]
    pub timeout: Option<String>,
    /// Failed checks in a row before unhealthy (`HealthRetries=`).
    #[schemars(example = 3)]
    pub retries: Option<u32>,
    /// Grace period after start during which failures do not count
    /// (`HealthStartPeriod=`).
    #[schemars(example = &"1m")]
    pub start_period: Option<String>,
    /// What happens when unhealthy: `none`, `kill`, `restart` or `stop`
    /// (`HealthOnFailure=`).
    #[schemars(example = &"restart")]
    pub on_failure: Option<String>,
}

/// A service's `[Install]` section.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Install {
    /// Targets that start the service (`WantedBy=`).
    #[schemars(extend("default" = ["multi-user.target"]), example = &"default.target")]
    pub wanted_by: StringOrList,
}

/// A directory on the node, owned by a user by name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct DirectorySpec {
    /// Absolute path (a minijinja string, e.g. `{{ data_dir }}/cache`).
    #[schemars(example = &"/var/srv/{{ service }}/cache")]
    pub path: String,
    /// Directory mode (octal in YAML, e.g. `0750`); default `0755`.
    #[schemars(example = 0o750)]
    pub mode: Option<u32>,
    /// Owner, by name.
    #[schemars(example = &"web")]
    pub user: Option<String>,
    /// Group, by name.
    #[schemars(example = &"web")]
    pub group: Option<String>,
}

/// `hosts/<host>.yaml`: one node.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Host {
    /// The node's name in templates (`{{ host }}`); default: the file name
    /// without `.yaml`. When set, the node also gets it as `/etc/hostname`.
    #[schemars(example = &"node01.lan")]
    pub hostname: Option<String>,
    /// Butane variant, overriding `fleet.yaml`'s.
    #[schemars(example = &"fcos")]
    pub variant: Option<String>,
    /// What the host runs, overriding `fleet.yaml`'s `os`: `fcos[:stream]`,
    /// `ucore[-minimal|-hci]:<tag>`, `flatcar[:channel]` or a bootable
    /// container image reference. uCore and images are reached by a
    /// two-stage rebase from Fedora CoreOS on the first boots.
    #[schemars(example = &"ucore-hci:stable")]
    pub os: Option<String>,
    /// Units (e.g. `zfs-import-tank.service`, a container's `.service`) that
    /// need the rebased OS: they start only once the signed rebase is done.
    #[schemars(example = serde_json::json!(["zfs-import-tank.service"]))]
    pub after_rebase: Vec<String>,
    /// Where and onto which machine the host is installed (`device`,
    /// `macs`, `console`, `kargs`, `uuid`), over `fleet.yaml`'s `install:`.
    #[schemars(example = serde_json::json!({"device": "/dev/disk/by-id/nvme-Samsung_SSD_980_S64", "macs": ["52:54:00:12:34:56"]}))]
    pub install: Option<HostInstall>,
    /// Ignition spec of this host, overriding `fleet.yaml`'s.
    #[schemars(example = &"3.5.0")]
    pub ignition_version: Option<String>,
    /// Services by name, optionally with overrides (deep-merged onto the
    /// service definition; lists replace).
    #[schemars(example = serde_json::json!(["web", {"db": {"version": "16.4"}}]))]
    pub services: Vec<ServiceRef>,
    /// Extra directories on this node.
    #[schemars(example = serde_json::json!([{"path": "/var/srv/shared", "mode": 0o775}]))]
    pub directories: Vec<DirectorySpec>,
    /// Path patterns for this host, overriding `fleet.yaml`'s one by one.
    #[schemars(example = serde_json::json!({"data_dir": "/tank/{{ service }}"}))]
    pub paths: Paths,
    /// Butane snippets merged in order after the fleet's.
    #[schemars(example = serde_json::json!(["snippets/zfs.bu"]))]
    pub include: Vec<String>,
    /// Extra users for this host only (Butane `passwd.users` entries).
    #[schemars(example = serde_json::json!([{"name": "backup", "groups": ["wheel"]}]))]
    pub users: Vec<b::PasswdUser>,
    /// A Butane fragment (any Butane config keys) merged last into the
    /// host's config, in the host's Butane version.
    #[schemars(example = serde_json::json!({"storage": {"files": [{"path": "/etc/motd", "contents": {"inline": "hello\n"}}]}}))]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the strict decoder accepts in a named port are the
    /// struct's (the decoder is handed the list by hand).
    #[test]
    fn named_port_fields_are_the_structs() {
        let schema = schemars::schema_for!(NamedPort);
        let mut keys: Vec<&str> = schema
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        let mut fields = NAMED_PORT_FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    /// A port is a string as written or a named port, strictly decoded.
    #[test]
    fn ports_decode_as_strings_or_named_ports() {
        let node = crate::yaml::parse("ports: [\"80:80\", { name: http, container: 8080 }]\n")
            .ok()
            .flatten()
            .expect("yaml");
        let service: Service = super::super::strict::decoder()
            .decode(&node)
            .expect("decodes");
        assert_eq!(
            service.ports,
            [
                PortEntry::Published("80:80".to_owned()),
                PortEntry::Named(NamedPort {
                    name: "http".to_owned(),
                    container: Some(8080),
                    ..NamedPort::default()
                }),
            ]
        );
    }
}
