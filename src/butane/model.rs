//! Typed Butane input: one superset model for every supported version.
//!
//! Keys are Butane's snake_case YAML keys. Which keys a given variant/version
//! actually has is decided by [`super::version::Version::has_key`], consulted while
//! decoding: a key the declared version lacks is reported as `unused key` and
//! ignored, exactly as Butane does. Struct names matter: the gate is keyed by
//! them.

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Config {
    pub variant: String,
    pub version: String,
    pub ignition: Ignition,
    pub kernel_arguments: KernelArguments,
    pub passwd: Passwd,
    pub storage: Storage,
    pub systemd: Systemd,
    pub boot_device: BootDevice,
    pub grub: Grub,
    /// openshift only: the MachineConfig's name and labels. Not in the
    /// published schemas, which describe the fcos-style configs fleets use.
    #[schemars(skip)]
    pub metadata: Metadata,
    /// openshift only: what the MachineConfig sets beside the Ignition config.
    #[schemars(skip)]
    pub openshift: OpenShift,
}

/// A MachineConfig's `metadata` (openshift).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Metadata {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The MachineConfig fields outside the Ignition config (openshift).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OpenShift {
    pub kernel_arguments: Vec<String>,
    pub extensions: Vec<String>,
    pub fips: Option<bool>,
    pub kernel_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Ignition {
    pub config: IgnitionConfig,
    pub proxy: Proxy,
    pub security: Security,
    pub timeouts: Timeouts,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct IgnitionConfig {
    pub merge: Vec<Resource>,
    pub replace: Resource,
}

/// Content from a URL, inline text or a local file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Resource {
    pub compression: Option<String>,
    pub http_headers: Vec<HttpHeader>,
    pub source: Option<String>,
    // Bytes, not text: go-yaml decodes `!!binary` into Butane's string as
    // whatever bytes it holds, and Butane embeds them as they are. (A plain
    // comment: the published schemas say nothing of it.)
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Option<String>")]
    pub inline: Option<Vec<u8>>,
    pub local: Option<String>,
    pub verification: Verification,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct HttpHeader {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Verification {
    pub hash: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Proxy {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Security {
    pub tls: Tls,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Tls {
    pub certificate_authorities: Vec<Resource>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Timeouts {
    pub http_response_headers: Option<i64>,
    pub http_total: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct KernelArguments {
    pub should_exist: Vec<String>,
    pub should_not_exist: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Passwd {
    pub groups: Vec<PasswdGroup>,
    pub users: Vec<PasswdUser>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct PasswdGroup {
    pub gid: Option<i64>,
    pub name: String,
    pub password_hash: Option<String>,
    pub should_exist: Option<bool>,
    pub system: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct PasswdUser {
    pub gecos: Option<String>,
    pub groups: Vec<String>,
    pub home_dir: Option<String>,
    pub name: String,
    pub no_create_home: Option<bool>,
    pub no_log_init: Option<bool>,
    pub no_user_group: Option<bool>,
    pub password_hash: Option<String>,
    pub primary_group: Option<String>,
    pub should_exist: Option<bool>,
    pub ssh_authorized_keys: Vec<String>,
    pub ssh_authorized_keys_local: Vec<String>,
    pub shell: Option<String>,
    pub system: Option<bool>,
    pub uid: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Storage {
    pub directories: Vec<Directory>,
    pub disks: Vec<Disk>,
    pub files: Vec<File>,
    pub filesystems: Vec<Filesystem>,
    pub links: Vec<Link>,
    pub luks: Vec<Luks>,
    pub raid: Vec<Raid>,
    pub trees: Vec<Tree>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct NodeUser {
    pub id: Option<i64>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct NodeGroup {
    pub id: Option<i64>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Directory {
    pub group: NodeGroup,
    pub overwrite: Option<bool>,
    pub path: String,
    pub user: NodeUser,
    pub mode: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct File {
    pub group: NodeGroup,
    pub overwrite: Option<bool>,
    pub path: String,
    pub user: NodeUser,
    pub append: Vec<Resource>,
    pub contents: Resource,
    pub mode: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Link {
    pub group: NodeGroup,
    pub overwrite: Option<bool>,
    pub path: String,
    pub user: NodeUser,
    pub hard: Option<bool>,
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Tree {
    pub local: String,
    pub path: Option<String>,
    pub user: NodeUser,
    pub group: NodeGroup,
    pub file_mode: Option<i64>,
    pub dir_mode: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Disk {
    pub device: String,
    pub partitions: Vec<Partition>,
    pub wipe_table: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Partition {
    pub guid: Option<String>,
    pub label: Option<String>,
    pub number: i64,
    pub resize: Option<bool>,
    pub should_exist: Option<bool>,
    pub size_mib: Option<i64>,
    pub start_mib: Option<i64>,
    pub type_guid: Option<String>,
    pub wipe_partition_entry: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Filesystem {
    pub device: String,
    pub format: Option<String>,
    pub label: Option<String>,
    pub mount_options: Vec<String>,
    pub options: Vec<String>,
    pub path: Option<String>,
    pub uuid: Option<String>,
    pub wipe_filesystem: Option<bool>,
    pub with_mount_unit: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Luks {
    pub cex: Cex,
    pub clevis: Clevis,
    pub device: Option<String>,
    pub discard: Option<bool>,
    pub key_file: Resource,
    pub label: Option<String>,
    pub name: String,
    pub open_options: Vec<String>,
    pub options: Vec<String>,
    pub uuid: Option<String>,
    pub wipe_volume: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Cex {
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Clevis {
    pub custom: ClevisCustom,
    pub tang: Vec<Tang>,
    pub threshold: Option<i64>,
    pub tpm2: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct ClevisCustom {
    pub config: Option<String>,
    pub needs_network: Option<bool>,
    pub pin: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Tang {
    pub advertisement: Option<String>,
    pub thumbprint: Option<String>,
    pub url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Raid {
    pub devices: Vec<String>,
    pub level: Option<String>,
    pub name: String,
    pub options: Vec<String>,
    pub spares: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Systemd {
    pub units: Vec<Unit>,
    pub quadlets: Vec<Quadlet>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Unit {
    pub contents: Option<String>,
    pub contents_local: Option<String>,
    pub dropins: Vec<Dropin>,
    pub enabled: Option<bool>,
    pub mask: Option<bool>,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Dropin {
    pub contents: Option<String>,
    pub contents_local: Option<String>,
    pub name: String,
}

/// A Podman Quadlet file (fcos 1.8.0-experimental).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Quadlet {
    pub contents: Option<String>,
    pub contents_local: Option<String>,
    pub dropins: Vec<QuadletDropin>,
    pub name: String,
    pub rootful: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct QuadletDropin {
    pub contents: Option<String>,
    pub contents_local: Option<String>,
    pub name: String,
}

/// Boot disk layout sugar (fcos 1.3.0+).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct BootDevice {
    pub layout: Option<String>,
    pub luks: BootDeviceLuks,
    pub mirror: BootDeviceMirror,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct BootDeviceLuks {
    pub cex: Cex,
    pub device: Option<String>,
    pub discard: Option<bool>,
    pub tang: Vec<Tang>,
    pub threshold: Option<i64>,
    pub tpm2: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct BootDeviceMirror {
    pub devices: Vec<String>,
}

/// GRUB password sugar (fcos 1.5.0+).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct Grub {
    pub users: Vec<GrubUser>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(default)]
pub struct GrubUser {
    pub name: String,
    pub password_hash: Option<String>,
}
