//! Typed Ignition config, one superset model for specs 3.0.0 – 3.7.0-experimental.
//!
//! The specs differ by a handful of fields (see [`super::spec`]); rather than a
//! copy of every type per spec, one model holds the union and the spec table
//! says which fields a version has. Field order follows the Go types of
//! coreos/ignition (alphabetical, embedded node fields first), so the JSON has
//! the same key order as Butane's; unset options, empty lists and all-empty
//! structs are omitted. Unlike the `ignition-config` crate this never writes
//! `null`, which keeps compact output smaller than Butane's.

use serde::{Deserialize, Serialize};

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub ignition: Ignition,
    #[serde(rename = "kernelArguments", skip_serializing_if = "is_default")]
    pub kernel_arguments: KernelArguments,
    #[serde(skip_serializing_if = "is_default")]
    pub passwd: Passwd,
    #[serde(skip_serializing_if = "is_default")]
    pub storage: Storage,
    #[serde(skip_serializing_if = "is_default")]
    pub systemd: Systemd,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ignition {
    #[serde(skip_serializing_if = "is_default")]
    pub config: IgnitionConfig,
    #[serde(skip_serializing_if = "is_default")]
    pub proxy: Proxy,
    #[serde(skip_serializing_if = "is_default")]
    pub security: Security,
    #[serde(skip_serializing_if = "is_default")]
    pub timeouts: Timeouts,
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IgnitionConfig {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<Resource>,
    #[serde(skip_serializing_if = "is_default")]
    pub replace: Resource,
}

/// A piece of content: a URL plus how to check and unpack it. In spec 3.0.0
/// the config and CA references are a reduced form (source and verification
/// only); [`super::spec`] enforces that.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    #[serde(rename = "httpHeaders", skip_serializing_if = "Vec::is_empty")]
    pub http_headers: Vec<HttpHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "is_default")]
    pub verification: Verification,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpHeader {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verification {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Proxy {
    #[serde(rename = "httpProxy", skip_serializing_if = "Option::is_none")]
    pub http_proxy: Option<String>,
    #[serde(rename = "httpsProxy", skip_serializing_if = "Option::is_none")]
    pub https_proxy: Option<String>,
    #[serde(rename = "noProxy", skip_serializing_if = "Vec::is_empty")]
    pub no_proxy: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Security {
    #[serde(skip_serializing_if = "is_default")]
    pub tls: Tls,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tls {
    #[serde(
        rename = "certificateAuthorities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub certificate_authorities: Vec<Resource>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    #[serde(
        rename = "httpResponseHeaders",
        skip_serializing_if = "Option::is_none"
    )]
    pub http_response_headers: Option<i64>,
    #[serde(rename = "httpTotal", skip_serializing_if = "Option::is_none")]
    pub http_total: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KernelArguments {
    #[serde(rename = "shouldExist", skip_serializing_if = "Vec::is_empty")]
    pub should_exist: Vec<String>,
    #[serde(rename = "shouldNotExist", skip_serializing_if = "Vec::is_empty")]
    pub should_not_exist: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Passwd {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<PasswdGroup>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<PasswdUser>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswdGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<i64>,
    pub name: String,
    #[serde(rename = "passwordHash", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(rename = "shouldExist", skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswdUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gecos: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(rename = "homeDir", skip_serializing_if = "Option::is_none")]
    pub home_dir: Option<String>,
    pub name: String,
    #[serde(rename = "noCreateHome", skip_serializing_if = "Option::is_none")]
    pub no_create_home: Option<bool>,
    #[serde(rename = "noLogInit", skip_serializing_if = "Option::is_none")]
    pub no_log_init: Option<bool>,
    #[serde(rename = "noUserGroup", skip_serializing_if = "Option::is_none")]
    pub no_user_group: Option<bool>,
    #[serde(rename = "passwordHash", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(rename = "primaryGroup", skip_serializing_if = "Option::is_none")]
    pub primary_group: Option<String>,
    #[serde(rename = "shouldExist", skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
    #[serde(rename = "sshAuthorizedKeys", skip_serializing_if = "Vec::is_empty")]
    pub ssh_authorized_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Storage {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub directories: Vec<Directory>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disks: Vec<Disk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filesystems: Vec<Filesystem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub luks: Vec<Luks>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub raid: Vec<Raid>,
}

/// Owner of a node, by id or by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeOwner {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Directory {
    #[serde(skip_serializing_if = "is_default")]
    pub group: NodeOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    pub path: String,
    #[serde(skip_serializing_if = "is_default")]
    pub user: NodeOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct File {
    #[serde(skip_serializing_if = "is_default")]
    pub group: NodeOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    pub path: String,
    #[serde(skip_serializing_if = "is_default")]
    pub user: NodeOwner,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub append: Vec<Resource>,
    #[serde(skip_serializing_if = "is_default")]
    pub contents: Resource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Link {
    #[serde(skip_serializing_if = "is_default")]
    pub group: NodeOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    pub path: String,
    #[serde(skip_serializing_if = "is_default")]
    pub user: NodeOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hard: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Disk {
    pub device: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
    #[serde(rename = "wipeTable", skip_serializing_if = "Option::is_none")]
    pub wipe_table: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Partition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub number: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resize: Option<bool>,
    #[serde(rename = "shouldExist", skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
    #[serde(rename = "sizeMiB", skip_serializing_if = "Option::is_none")]
    pub size_mib: Option<i64>,
    #[serde(rename = "startMiB", skip_serializing_if = "Option::is_none")]
    pub start_mib: Option<i64>,
    #[serde(rename = "typeGuid", skip_serializing_if = "Option::is_none")]
    pub type_guid: Option<String>,
    #[serde(rename = "wipePartitionEntry", skip_serializing_if = "Option::is_none")]
    pub wipe_partition_entry: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filesystem {
    pub device: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(rename = "mountOptions", skip_serializing_if = "Vec::is_empty")]
    pub mount_options: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(rename = "wipeFilesystem", skip_serializing_if = "Option::is_none")]
    pub wipe_filesystem: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Luks {
    #[serde(skip_serializing_if = "is_default")]
    pub cex: Cex,
    #[serde(skip_serializing_if = "is_default")]
    pub clevis: Clevis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discard: Option<bool>,
    #[serde(rename = "keyFile", skip_serializing_if = "is_default")]
    pub key_file: Resource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub name: String,
    #[serde(rename = "openOptions", skip_serializing_if = "Vec::is_empty")]
    pub open_options: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(rename = "wipeVolume", skip_serializing_if = "Option::is_none")]
    pub wipe_volume: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cex {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Clevis {
    #[serde(skip_serializing_if = "is_default")]
    pub custom: ClevisCustom,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tang: Vec<Tang>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm2: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClevisCustom {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    #[serde(rename = "needsNetwork", skip_serializing_if = "Option::is_none")]
    pub needs_network: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tang {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertisement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    pub url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Raid {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spares: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Systemd {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<Unit>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropins: Vec<Dropin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask: Option<bool>,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dropin {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_parts_are_omitted_and_keys_follow_go_order() {
        let config = Config {
            ignition: Ignition {
                version: "3.4.0".to_owned(),
                ..Ignition::default()
            },
            storage: Storage {
                files: vec![File {
                    path: "/etc/hostname".to_owned(),
                    mode: Some(420),
                    contents: Resource {
                        compression: Some(String::new()),
                        source: Some("data:,node1".to_owned()),
                        ..Resource::default()
                    },
                    ..File::default()
                }],
                ..Storage::default()
            },
            ..Config::default()
        };
        let json = serde_json::to_string(&config).expect("serializes");
        assert_eq!(
            json,
            r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/hostname","contents":{"compression":"","source":"data:,node1"},"mode":420}]}}"#
        );
    }

    #[test]
    fn parses_butane_output() {
        let json = r#"{"ignition":{"version":"3.3.0"},"systemd":{"units":[{"enabled":true,"name":"a.service"}]}}"#;
        let config: Config = serde_json::from_str(json).expect("parses");
        assert_eq!(config.systemd.units[0].enabled, Some(true));
    }
}
