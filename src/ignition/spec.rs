//! Ignition spec versions and what each one has, as data checked in one place.
//!
//! [`requirements`] walks a config and lists every field or value that needs a
//! spec newer than 3.0.0; emitting an older spec (`--ignition-version`) is
//! allowed only when none of them needs more than the target.

use std::fmt;

use super::model::{Config, Resource};
use crate::diag::DocPath;

/// An Ignition config spec version this compiler can emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Spec {
    V3_0,
    V3_1,
    V3_2,
    V3_3,
    V3_4,
    V3_5,
    V3_6,
    V3_7Experimental,
}

impl Spec {
    pub const ALL: [Spec; 8] = [
        Spec::V3_0,
        Spec::V3_1,
        Spec::V3_2,
        Spec::V3_3,
        Spec::V3_4,
        Spec::V3_5,
        Spec::V3_6,
        Spec::V3_7Experimental,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Spec::V3_0 => "3.0.0",
            Spec::V3_1 => "3.1.0",
            Spec::V3_2 => "3.2.0",
            Spec::V3_3 => "3.3.0",
            Spec::V3_4 => "3.4.0",
            Spec::V3_5 => "3.5.0",
            Spec::V3_6 => "3.6.0",
            Spec::V3_7Experimental => "3.7.0-experimental",
        }
    }

    pub fn parse(text: &str) -> Option<Spec> {
        Spec::ALL.into_iter().find(|spec| spec.as_str() == text)
    }

    pub const fn is_experimental(self) -> bool {
        matches!(self, Spec::V3_7Experimental)
    }

    /// The official JSON Schema of this spec (3.5.0 – 3.7.0-experimental
    /// share one document upstream), from `schema/ignition-<spec>.json`
    /// with the whitespace between tokens removed by `build.rs`.
    pub const fn json_schema(self) -> &'static str {
        macro_rules! minified {
            ($file:literal) => {
                include_str!(concat!(env!("OUT_DIR"), "/", $file))
            };
        }
        match self {
            Spec::V3_0 => minified!("ignition-3.0.0.json"),
            Spec::V3_1 => minified!("ignition-3.1.0.json"),
            Spec::V3_2 => minified!("ignition-3.2.0.json"),
            Spec::V3_3 => minified!("ignition-3.3.0.json"),
            Spec::V3_4 => minified!("ignition-3.4.0.json"),
            Spec::V3_5 => minified!("ignition-3.5.0.json"),
            Spec::V3_6 => minified!("ignition-3.6.0.json"),
            Spec::V3_7Experimental => minified!("ignition-3.7.0-experimental.json"),
        }
    }

    /// URL schemes Ignition accepts in `source` for this spec.
    pub fn url_schemes(self) -> &'static [&'static str] {
        match self {
            Spec::V3_0 | Spec::V3_1 => &["http", "https", "tftp", "s3", "data"],
            Spec::V3_2 | Spec::V3_3 => &["http", "https", "tftp", "s3", "data", "gs"],
            _ => &["http", "https", "tftp", "s3", "data", "gs", "arn"],
        }
    }

    /// Filesystem formats this spec accepts.
    pub fn filesystem_formats(self) -> &'static [&'static str] {
        match self {
            Spec::V3_0 | Spec::V3_1 | Spec::V3_2 => &["ext4", "btrfs", "xfs", "swap", "vfat"],
            Spec::V3_7Experimental => &["ext4", "btrfs", "xfs", "swap", "vfat", "none", "virtiofs"],
            _ => &["ext4", "btrfs", "xfs", "swap", "vfat", "none"],
        }
    }

    /// Hash functions accepted in `verification.hash`.
    pub fn hash_functions(self) -> &'static [&'static str] {
        match self {
            Spec::V3_0 => &["sha512"],
            _ => &["sha512", "sha256"],
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field or value in a config that needs at least `spec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub path: DocPath,
    pub spec: Spec,
    pub what: String,
}

struct Walker {
    found: Vec<Requirement>,
}

impl Walker {
    fn need(&mut self, path: DocPath, spec: Spec, what: impl Into<String>) {
        self.found.push(Requirement {
            path,
            spec,
            what: what.into(),
        });
    }

    /// `file_contents`: whether this is a file's `contents`/`append`, which
    /// had `compression` from 3.0.0 on.
    fn resource(&mut self, resource: &Resource, path: &DocPath, file_contents: bool) {
        if !file_contents
            && resource
                .compression
                .as_deref()
                .is_some_and(|c| !c.is_empty())
        {
            self.need(
                path.key("compression"),
                Spec::V3_1,
                "compression on this resource",
            );
        }
        if !resource.http_headers.is_empty() {
            self.need(path.key("httpHeaders"), Spec::V3_1, "httpHeaders");
        }
        if let Some(source) = &resource.source {
            let scheme = source.split(':').next().unwrap_or_default();
            match scheme {
                "gs" => self.need(path.key("source"), Spec::V3_2, "gs:// URLs"),
                "arn" => self.need(path.key("source"), Spec::V3_4, "arn: S3 URLs"),
                _ => {}
            }
        }
        if resource
            .verification
            .hash
            .as_deref()
            .is_some_and(|hash| hash.starts_with("sha256-"))
        {
            self.need(
                path.key("verification").key("hash"),
                Spec::V3_1,
                "sha256 verification hashes",
            );
        }
    }
}

/// Every field or value in `config` that needs a spec newer than 3.0.0.
pub fn requirements(config: &Config) -> Vec<Requirement> {
    let mut walker = Walker { found: Vec::new() };
    let ignition = DocPath::root().key("ignition");
    for (index, merge) in config.ignition.config.merge.iter().enumerate() {
        walker.resource(
            merge,
            &ignition.key("config").key("merge").index(index),
            false,
        );
    }
    walker.resource(
        &config.ignition.config.replace,
        &ignition.key("config").key("replace"),
        false,
    );
    for (index, ca) in config
        .ignition
        .security
        .tls
        .certificate_authorities
        .iter()
        .enumerate()
    {
        let path = ignition
            .key("security")
            .key("tls")
            .key("certificateAuthorities")
            .index(index);
        walker.resource(ca, &path, false);
    }
    if config.ignition.proxy != Default::default() {
        walker.need(ignition.key("proxy"), Spec::V3_1, "ignition.proxy");
    }
    if config.kernel_arguments != Default::default() {
        walker.need(
            DocPath::root().key("kernelArguments"),
            Spec::V3_3,
            "kernelArguments",
        );
    }
    let passwd = DocPath::root().key("passwd");
    for (index, user) in config.passwd.users.iter().enumerate() {
        if user.should_exist.is_some() {
            let path = passwd.key("users").index(index).key("shouldExist");
            walker.need(path, Spec::V3_2, "passwd.users.shouldExist");
        }
    }
    for (index, group) in config.passwd.groups.iter().enumerate() {
        if group.should_exist.is_some() {
            let path = passwd.key("groups").index(index).key("shouldExist");
            walker.need(path, Spec::V3_2, "passwd.groups.shouldExist");
        }
    }
    let storage = DocPath::root().key("storage");
    for (index, file) in config.storage.files.iter().enumerate() {
        let path = storage.key("files").index(index);
        walker.resource(&file.contents, &path.key("contents"), true);
        for (append_index, append) in file.append.iter().enumerate() {
            walker.resource(append, &path.key("append").index(append_index), true);
        }
    }
    for (disk_index, disk) in config.storage.disks.iter().enumerate() {
        for (index, partition) in disk.partitions.iter().enumerate() {
            if partition.resize.is_some() {
                let path = storage
                    .key("disks")
                    .index(disk_index)
                    .key("partitions")
                    .index(index)
                    .key("resize");
                walker.need(path, Spec::V3_2, "partition resize");
            }
        }
    }
    for (index, filesystem) in config.storage.filesystems.iter().enumerate() {
        let path = storage.key("filesystems").index(index);
        if !filesystem.mount_options.is_empty() {
            walker.need(
                path.key("mountOptions"),
                Spec::V3_1,
                "filesystem mountOptions",
            );
        }
        match filesystem.format.as_deref() {
            Some("none") => walker.need(path.key("format"), Spec::V3_3, "filesystem format none"),
            Some("virtiofs") => walker.need(
                path.key("format"),
                Spec::V3_7Experimental,
                "filesystem format virtiofs",
            ),
            _ => {}
        }
    }
    for (index, luks) in config.storage.luks.iter().enumerate() {
        let path = storage.key("luks").index(index);
        walker.need(path.clone(), Spec::V3_2, "storage.luks");
        walker.resource(&luks.key_file, &path.key("keyFile"), false);
        if luks.discard.is_some() {
            walker.need(path.key("discard"), Spec::V3_4, "luks discard");
        }
        if !luks.open_options.is_empty() {
            walker.need(path.key("openOptions"), Spec::V3_4, "luks openOptions");
        }
        if luks.cex != Default::default() {
            walker.need(path.key("cex"), Spec::V3_5, "luks cex");
        }
        for (tang_index, tang) in luks.clevis.tang.iter().enumerate() {
            if tang.advertisement.is_some() {
                let path = path
                    .key("clevis")
                    .key("tang")
                    .index(tang_index)
                    .key("advertisement");
                walker.need(path, Spec::V3_4, "tang advertisement");
            }
        }
    }
    walker.found
}

/// Prepares `config` for being written as `target`: drops the explicit empty
/// `compression` that Butane adds on non-file resources, which specs before
/// 3.1.0 do not have, and sets the version. Callers check [`requirements`]
/// first.
pub fn retarget(config: &mut Config, target: Spec) {
    if target == Spec::V3_0 {
        let strip = |resource: &mut Resource| {
            if resource.compression.as_deref() == Some("") {
                resource.compression = None;
            }
        };
        config.ignition.config.merge.iter_mut().for_each(strip);
        strip(&mut config.ignition.config.replace);
        config
            .ignition
            .security
            .tls
            .certificate_authorities
            .iter_mut()
            .for_each(strip);
        config
            .storage
            .luks
            .iter_mut()
            .for_each(|luks| strip(&mut luks.key_file));
    }
    config.ignition.version = target.as_str().to_owned();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ignition::model::{File, Filesystem, Luks};

    #[test]
    fn versions_round_trip() {
        for spec in Spec::ALL {
            assert_eq!(Spec::parse(spec.as_str()), Some(spec));
        }
        assert_eq!(Spec::parse("3.4"), None);
        assert!(Spec::V3_3 < Spec::V3_4);
    }

    #[test]
    fn embedded_schemas_are_the_official_documents() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ignition/schema");
        for spec in Spec::ALL {
            let file = dir.join(format!("ignition-{spec}.json"));
            let original = std::fs::read_to_string(&file).expect("the schema file");
            let original: serde_json::Value = serde_json::from_str(&original).expect("JSON");
            let embedded: serde_json::Value =
                serde_json::from_str(spec.json_schema()).expect("embedded JSON");
            assert_eq!(embedded, original, "{spec}");
            assert!(
                !spec.json_schema().contains('\n'),
                "{spec}: whitespace removed"
            );
        }
    }

    #[test]
    fn finds_newer_fields() {
        let mut config = Config::default();
        config.storage.luks.push(Luks {
            name: "root".to_owned(),
            discard: Some(true),
            ..Luks::default()
        });
        config.storage.filesystems.push(Filesystem {
            device: "/dev/vda".to_owned(),
            format: Some("none".to_owned()),
            ..Filesystem::default()
        });
        config.storage.files.push(File {
            path: "/a".to_owned(),
            contents: Resource {
                compression: Some("gzip".to_owned()),
                ..Resource::default()
            },
            ..File::default()
        });
        let found = requirements(&config);
        let max = found.iter().map(|r| r.spec).max();
        assert_eq!(max, Some(Spec::V3_4));
        assert!(
            found
                .iter()
                .any(|r| r.path.to_string() == "$.storage.luks.0.discard")
        );
        let files: Vec<_> = found
            .iter()
            .filter(|r| r.path.to_string().starts_with("$.storage.files."))
            .collect();
        assert!(files.is_empty(), "{files:?}");
    }
}
