//! The listing: a typed, serializable account of everything a config does,
//! with every embedded resource decoded. `kindling inspect --format json`
//! prints it as is; the text form is written from it ([`super::to_text()`]).
//!
//! The JSON model is stable: snake_case keys, `format` names its version
//! ([`FORMAT`]), absent options are omitted, lists are always present.
//! Header values of `httpHeaders` are not listed (they often hold tokens);
//! their names are.

mod build;

use serde::Serialize;

pub use build::{decode, list, mode_string};

use super::content::HashCheck;
use crate::diag::DocPath;

/// Version tag of the JSON listing model.
pub const FORMAT: &str = "kindling-inspect/1";

/// How many leading bytes of binary contents are shown as hex.
pub const HEAD_BYTES: usize = 16;

#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    pub format: &'static str,
    pub spec: String,
    pub ignition: IgnitionInfo,
    pub kernel_arguments: KernelArgumentsInfo,
    pub files: Vec<FileInfo>,
    pub directories: Vec<DirectoryInfo>,
    pub links: Vec<LinkInfo>,
    pub units: Vec<UnitInfo>,
    pub users: Vec<UserInfo>,
    pub groups: Vec<GroupInfo>,
    pub disks: Vec<DiskInfo>,
    pub filesystems: Vec<FilesystemInfo>,
    pub luks: Vec<LuksInfo>,
    pub raid: Vec<RaidInfo>,
    /// Contents that could not be decoded, hashes that do not match.
    pub problems: Vec<Problem>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct IgnitionInfo {
    pub merge: Vec<ContentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<ContentInfo>,
    pub certificate_authorities: Vec<ContentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_proxy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub https_proxy: Option<String>,
    pub no_proxy: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_response_headers_timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_total_timeout: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct KernelArgumentsInfo {
    pub should_exist: Vec<String>,
    pub should_not_exist: Vec<String>,
}

/// A resource: where it comes from and, for `data:` URLs, what it holds.
#[derive(Clone, Debug, Serialize)]
pub struct ContentInfo {
    pub json_path: DocPath,
    pub source: SourceInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    pub http_header_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<String>,
    /// The hash checked against the decoded contents (embedded data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_check: Option<HashCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Decoded>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    /// No source: attributes only.
    None,
    /// Embedded `data:` URL (decoded into [`ContentInfo::decoded`]).
    Data,
    /// Fetched by Ignition at boot; listed, never fetched by kindling.
    Remote { scheme: String, url: String },
}

/// Decoded, decompressed contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    Text {
        size: usize,
        sha256: String,
        text: String,
    },
    Binary {
        size: usize,
        sha256: String,
        head_hex: String,
    },
    Error {
        message: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OwnerInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    pub path: String,
    /// Octal (`0644`); absent means Ignition's default (0644, or the
    /// existing file's mode when it is kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<ContentInfo>,
    pub append: Vec<ContentInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DirectoryInfo {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkInfo {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub hard: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<OwnerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitInfo {
    pub name: String,
    /// `true`/`false` enable/disable; absent leaves the preset alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
    pub dropins: Vec<DropinInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DropinInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UserInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gecos: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_group: Option<String>,
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub ssh_authorized_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_create_home: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_user_group: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_log_init: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiskInfo {
    pub device: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wipe_table: Option<bool>,
    pub partitions: Vec<PartitionInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartitionInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_mib: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_mib: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub should_exist: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wipe_partition_entry: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FilesystemInfo {
    pub device: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    pub options: Vec<String>,
    pub mount_options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wipe_filesystem: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LuksInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<ContentInfo>,
    pub options: Vec<String>,
    pub open_options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discard: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wipe_volume: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cex: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm2: Option<bool>,
    pub tang: Vec<TangInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_pin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_needs_network: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TangInfo {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertisement: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RaidInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub devices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spares: Option<i64>,
    pub options: Vec<String>,
}

/// Something in the config that cannot be shown as intended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub json_path: DocPath,
    pub message: String,
}
