//! Butane variants and versions, what Ignition spec each emits, and which
//! keys each has, as one table.
//!
//! Butane keeps a copy of its schema per version; here the versions differ by
//! data: every key that did not exist from the first version on is listed in
//! `KEYS_SINCE` with the schema level that introduced it. A key the declared
//! version lacks is reported as `unused key` and ignored, as Butane does.

use std::fmt;

use crate::diag::{DocPath, Segment};
use crate::ignition::spec::Spec;
use crate::yaml::de::FieldGate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Fcos,
    Flatcar,
    /// RHEL for Edge: the shared schema, without kernel arguments or
    /// storage beyond files, directories, links and trees.
    R4e,
    /// Fedora IoT: the same rules as r4e.
    Fiot,
    /// OpenShift's MachineConfigs: an fcos config (of the fcos version
    /// each OpenShift release builds on) wrapped with `metadata` and
    /// `openshift` fields, minus what the Machine Config Operator refuses.
    Openshift,
}

impl Variant {
    pub const fn as_str(self) -> &'static str {
        match self {
            Variant::Fcos => "fcos",
            Variant::Flatcar => "flatcar",
            Variant::R4e => "r4e",
            Variant::Fiot => "fiot",
            Variant::Openshift => "openshift",
        }
    }
}

/// A supported Butane `variant` + `version` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub variant: Variant,
    /// The minor number of `1.N.0` (`4.N.0` for openshift).
    pub minor: u8,
    pub experimental: bool,
}

/// Every supported pair, oldest first per variant (Butane 0.29's
/// `config/config.go` registry).
pub const SUPPORTED: [Version; 33] = [
    Version::stable(Variant::Fcos, 0),
    Version::stable(Variant::Fcos, 1),
    Version::stable(Variant::Fcos, 2),
    Version::stable(Variant::Fcos, 3),
    Version::stable(Variant::Fcos, 4),
    Version::stable(Variant::Fcos, 5),
    Version::stable(Variant::Fcos, 6),
    Version::stable(Variant::Fcos, 7),
    Version::experimental(Variant::Fcos, 8),
    Version::stable(Variant::Flatcar, 0),
    Version::stable(Variant::Flatcar, 1),
    Version::experimental(Variant::Flatcar, 2),
    Version::stable(Variant::R4e, 0),
    Version::stable(Variant::R4e, 1),
    Version::experimental(Variant::R4e, 2),
    Version::stable(Variant::Fiot, 0),
    Version::experimental(Variant::Fiot, 1),
    Version::stable(Variant::Openshift, 8),
    Version::stable(Variant::Openshift, 9),
    Version::stable(Variant::Openshift, 10),
    Version::stable(Variant::Openshift, 11),
    Version::stable(Variant::Openshift, 12),
    Version::stable(Variant::Openshift, 13),
    Version::stable(Variant::Openshift, 14),
    Version::stable(Variant::Openshift, 15),
    Version::stable(Variant::Openshift, 16),
    Version::stable(Variant::Openshift, 17),
    Version::stable(Variant::Openshift, 18),
    Version::stable(Variant::Openshift, 19),
    Version::stable(Variant::Openshift, 20),
    Version::stable(Variant::Openshift, 21),
    Version::stable(Variant::Openshift, 22),
    Version::experimental(Variant::Openshift, 23),
];

impl Version {
    const fn stable(variant: Variant, minor: u8) -> Self {
        Version {
            variant,
            minor,
            experimental: false,
        }
    }

    const fn experimental(variant: Variant, minor: u8) -> Self {
        Version {
            variant,
            minor,
            experimental: true,
        }
    }

    /// Looks up `variant` and `version` as written in the document.
    pub fn find(variant: &str, version: &str) -> Option<Version> {
        SUPPORTED
            .into_iter()
            .find(|v| v.variant.as_str() == variant && v.version_string() == version)
    }

    pub fn version_string(self) -> String {
        let suffix = if self.experimental {
            "-experimental"
        } else {
            ""
        };
        let major = if self.variant == Variant::Openshift {
            4
        } else {
            1
        };
        format!("{major}.{}.0{suffix}", self.minor)
    }

    /// The fcos minor version whose schema, sugar and checks this version
    /// has: fcos itself, and the fcos release each OpenShift release builds
    /// on (Butane's `config/openshift/v4_N/schema.go`).
    pub const fn fcos_minor(self) -> Option<u8> {
        match (self.variant, self.minor) {
            (Variant::Fcos, minor) => Some(minor),
            (Variant::Openshift, 0..=13) => Some(3),
            (Variant::Openshift, 14..=18) => Some(5),
            (Variant::Openshift, 19..=22) => Some(6),
            (Variant::Openshift, _) => Some(8),
            _ => None,
        }
    }

    /// Whether `inline`/`local` contents are gzipped when that is smaller.
    /// OpenShift 4.8 and 4.9 turn it off: their Machine Config Operator
    /// cannot apply compressed files.
    pub const fn auto_compresses(self) -> bool {
        !matches!(self.variant, Variant::Openshift) || self.minor >= 10
    }

    /// The shared schema level (Butane's `base/v0_N`) this version builds on.
    pub const fn base(self) -> u8 {
        match (self.variant, self.minor) {
            (Variant::Fcos, 0) => 1,
            (Variant::Fcos, 1) => 2,
            (Variant::Fcos, 2 | 3) => 3,
            (Variant::Fcos, minor) => minor,
            (Variant::Flatcar | Variant::R4e, 0) => 4,
            (Variant::Flatcar | Variant::R4e, 1) | (Variant::Fiot, 0) => 5,
            (Variant::Flatcar | Variant::R4e | Variant::Fiot, _) => 8,
            (Variant::Openshift, _) => match self.fcos_minor() {
                Some(3) => 3,
                Some(5) => 5,
                Some(6) => 6,
                _ => 8,
            },
        }
    }

    /// The Ignition spec this version emits.
    pub const fn spec(self) -> Spec {
        match self.base() {
            1 => Spec::V3_0,
            2 => Spec::V3_1,
            3 => Spec::V3_2,
            4 => Spec::V3_3,
            5 => Spec::V3_4,
            6 => Spec::V3_5,
            7 => Spec::V3_6,
            _ => Spec::V3_7Experimental,
        }
    }

    /// Whether this version has fcos's sugar and checks (fcos and the
    /// fcos config inside openshift).
    pub const fn is_fcos(self) -> bool {
        self.fcos_minor().is_some()
    }

    /// fcos's minor version here, or 0 where there is none.
    const fn fcos_level(self) -> u8 {
        match self.fcos_minor() {
            Some(minor) => minor,
            None => 0,
        }
    }

    /// Whether this version has `feature`.
    pub const fn has(self, feature: Feature) -> bool {
        match since(feature) {
            Since::Base(level) => self.base() >= level,
            Since::Fcos(minor) => self.is_fcos() && self.fcos_level() >= minor,
        }
    }

    /// Whether the fcos-only key `field` of `struct_name` exists here.
    fn has_fcos_extra(self, struct_name: &str, field: &str) -> Option<bool> {
        let since = match (struct_name, field) {
            ("Config", "metadata" | "openshift") => {
                return Some(self.variant == Variant::Openshift);
            }
            ("Config", "boot_device") => 3,
            ("Config", "grub") => 5,
            ("BootDeviceLuks", "discard") => 5,
            ("BootDeviceLuks", "device" | "cex") => 6,
            _ => return None,
        };
        Some(self.is_fcos() && self.fcos_level() >= since)
    }

    /// Whether a key exists in this version. `path` is where the key sits,
    /// which tells file contents apart from other resources.
    pub fn has_key(self, struct_name: &str, field: &str, path: &DocPath) -> bool {
        if let Some(present) = self.has_fcos_extra(struct_name, field) {
            return present;
        }
        let file_content = struct_name == "Resource" && is_file_content(path);
        let since = match (struct_name, field) {
            ("Resource", "inline" | "compression") if file_content => 1,
            _ => KEYS_SINCE
                .iter()
                .find(|(s, f, _)| *s == struct_name && *f == field)
                .map_or(1, |(_, _, since)| *since),
        };
        self.base() >= since
    }
}

/// Whether `path` (of a key inside a resource) is inside a file's
/// `contents` or `append`, the only resources Butane 1.0.0 lets carry inline
/// data and compression.
fn is_file_content(path: &DocPath) -> bool {
    let segments = path.segments();
    segments
        .iter()
        .rev()
        .skip(1)
        .any(|segment| matches!(segment, Segment::Key(key) if key == "contents" || key == "append"))
        && segments
            .first()
            .is_some_and(|s| matches!(s, Segment::Key(key) if key == "storage"))
}

/// Keys introduced after the first schema level: (struct, key, base level).
const KEYS_SINCE: &[(&str, &str, u8)] = &[
    ("Resource", "compression", 2),
    ("Resource", "http_headers", 2),
    ("Resource", "inline", 2),
    ("Resource", "local", 2),
    ("Ignition", "proxy", 2),
    ("Storage", "trees", 2),
    ("Filesystem", "with_mount_unit", 2),
    ("Filesystem", "mount_options", 2),
    ("Storage", "luks", 3),
    ("Partition", "resize", 3),
    ("PasswdUser", "should_exist", 3),
    ("PasswdGroup", "should_exist", 3),
    ("Config", "kernel_arguments", 4),
    ("Tang", "advertisement", 5),
    ("Luks", "discard", 5),
    ("Luks", "open_options", 5),
    ("Unit", "contents_local", 5),
    ("Dropin", "contents_local", 5),
    ("PasswdUser", "ssh_authorized_keys_local", 5),
    ("Luks", "cex", 6),
    ("Tree", "user", 7),
    ("Tree", "group", 7),
    ("Tree", "file_mode", 7),
    ("Tree", "dir_mode", 7),
    ("Systemd", "quadlets", 8),
];

/// Behaviour that changed between Butane versions, by name: the checks and
/// the sugar ask [`Version::has`] instead of comparing version numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// File contents (`inline`, `local`) may be compressed: they are
    /// gzipped when that is smaller (schema level 2; level 1 writes a plain
    /// data URL).
    CompressedContents,
    /// `with_mount_unit` generates mount units (schema level 2).
    MountUnits,
    /// Mount units of remote filesystems wait for the network (level 3).
    RemoteMountUnits,
    /// `format: swap` makes a swap unit and needs no `path` (level 4).
    SwapUnits,
    /// `systemd.quadlets` (level 8).
    Quadlets,
    /// `boot_device` sugar and checks (fcos 1.3).
    BootDevice,
    /// The checks on reserved partitions' sizes (fcos 1.3).
    RootPartitionChecks,
    /// `grub.users` (fcos 1.5).
    Grub,
    /// s390x boot layouts, LUKS `device` and `cex` on the boot device (fcos 1.6).
    S390xBootLayouts,
    /// Mount units only under /etc or /var; partitions not reused by label
    /// alone (fcos 1.6).
    StrictStorageChecks,
    /// A mirrored boot device needs a layout, and a LUKS boot device a
    /// method (fcos 1.7; before, a missing layout is a warning).
    StrictBootDevice,
}

/// Where each [`Feature`] starts.
enum Since {
    /// A shared schema level (see [`Version::base`]), for every variant.
    Base(u8),
    /// An fcos minor version; flatcar never has it.
    Fcos(u8),
}

const fn since(feature: Feature) -> Since {
    match feature {
        Feature::CompressedContents | Feature::MountUnits => Since::Base(2),
        Feature::RemoteMountUnits => Since::Base(3),
        Feature::SwapUnits => Since::Base(4),
        Feature::Quadlets => Since::Base(8),
        Feature::BootDevice | Feature::RootPartitionChecks => Since::Fcos(3),
        Feature::Grub => Since::Fcos(5),
        Feature::S390xBootLayouts | Feature::StrictStorageChecks => Since::Fcos(6),
        Feature::StrictBootDevice => Since::Fcos(7),
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.variant.as_str(), self.version_string())
    }
}

impl FieldGate for Version {
    fn allows(&self, struct_name: &'static str, field: &str, path: &DocPath) -> bool {
        self.has_key(struct_name, field, path)
    }

    fn refused_help(&self, struct_name: &'static str, field: &str) -> Option<String> {
        match (struct_name, field) {
            ("Config", "metadata" | "openshift") => Some(format!(
                "only the openshift variant has `{field}` (a MachineConfig's)"
            )),
            ("Config", "boot_device" | "grub") if !self.is_fcos() => Some(format!(
                "only the fcos and openshift variants have `{field}`"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_specs() {
        let spec = |variant, version| Version::find(variant, version).map(Version::spec);
        assert_eq!(spec("fcos", "1.0.0"), Some(Spec::V3_0));
        assert_eq!(spec("fcos", "1.3.0"), Some(Spec::V3_2));
        assert_eq!(spec("fcos", "1.4.0"), Some(Spec::V3_3));
        assert_eq!(spec("fcos", "1.7.0"), Some(Spec::V3_6));
        assert_eq!(
            spec("fcos", "1.8.0-experimental"),
            Some(Spec::V3_7Experimental)
        );
        assert_eq!(spec("fcos", "1.8.0"), None);
        assert_eq!(spec("flatcar", "1.0.0"), Some(Spec::V3_3));
        assert_eq!(spec("flatcar", "1.1.0"), Some(Spec::V3_4));
        assert_eq!(spec("fcos", "1.5"), None);
        assert_eq!(spec("r4e", "1.0.0"), Some(Spec::V3_3));
        assert_eq!(spec("r4e", "1.1.0"), Some(Spec::V3_4));
        assert_eq!(
            spec("r4e", "1.2.0-experimental"),
            Some(Spec::V3_7Experimental)
        );
        assert_eq!(spec("fiot", "1.0.0"), Some(Spec::V3_4));
        assert_eq!(
            spec("fiot", "1.1.0-experimental"),
            Some(Spec::V3_7Experimental)
        );
        assert_eq!(spec("fiot", "1.1.0"), None);
        assert_eq!(spec("openshift", "4.8.0"), Some(Spec::V3_2));
        assert_eq!(spec("openshift", "4.13.0"), Some(Spec::V3_2));
        assert_eq!(spec("openshift", "4.14.0"), Some(Spec::V3_4));
        assert_eq!(spec("openshift", "4.18.0"), Some(Spec::V3_4));
        assert_eq!(spec("openshift", "4.19.0"), Some(Spec::V3_5));
        assert_eq!(spec("openshift", "4.22.0"), Some(Spec::V3_5));
        assert_eq!(
            spec("openshift", "4.23.0-experimental"),
            Some(Spec::V3_7Experimental)
        );
        assert_eq!(spec("openshift", "4.23.0"), None);
        assert_eq!(spec("openshift", "1.4.0"), None);
    }

    #[test]
    fn openshift_has_the_fcos_keys_it_builds_on() {
        let root = DocPath::root();
        let v = |version| Version::find("openshift", version).expect("known");
        assert!(v("4.8.0").has_key("Config", "boot_device", &root));
        assert!(!v("4.13.0").has_key("Config", "grub", &root));
        assert!(!v("4.13.0").has_key("Config", "kernel_arguments", &root));
        assert!(v("4.14.0").has_key("Config", "grub", &root));
        assert!(v("4.19.0").has_key("BootDeviceLuks", "cex", &root));
        assert!(v("4.8.0").has_key("Config", "metadata", &root));
        let fcos = Version::find("fcos", "1.6.0").expect("known");
        assert!(!fcos.has_key("Config", "openshift", &root));
        assert!(!v("4.9.0").auto_compresses());
        assert!(v("4.10.0").auto_compresses());
        assert!(v("4.19.0").has(Feature::S390xBootLayouts));
    }

    #[test]
    fn keys_are_gated_by_version() {
        let v = |version| Version::find("fcos", version).expect("known");
        let root = DocPath::root();
        assert!(!v("1.0.0").has_key("Storage", "trees", &root));
        assert!(v("1.1.0").has_key("Storage", "trees", &root));
        assert!(!v("1.2.0").has_key("Config", "boot_device", &root));
        assert!(v("1.3.0").has_key("Config", "boot_device", &root));
        let flatcar = Version::find("flatcar", "1.1.0").expect("known");
        assert!(!flatcar.has_key("Config", "boot_device", &root));
        assert!(!flatcar.has_key("Config", "grub", &root));
        assert!(flatcar.has_key("Tang", "advertisement", &root));
    }

    #[test]
    fn inline_exists_on_file_contents_only_in_1_0() {
        let v = Version::find("fcos", "1.0.0").expect("known");
        let file = DocPath::parse("$.storage.files.0.contents.inline");
        let merge = DocPath::parse("$.ignition.config.merge.0.inline");
        assert!(v.has_key("Resource", "inline", &file));
        assert!(!v.has_key("Resource", "inline", &merge));
        assert!(!v.has_key("Resource", "local", &file));
    }

    #[test]
    fn contents_are_compressed_from_the_second_schema_level() {
        let has = |variant, version| {
            Version::find(variant, version).is_some_and(|v| v.has(Feature::CompressedContents))
        };
        assert!(!has("fcos", "1.0.0"));
        assert!(has("fcos", "1.1.0"));
        assert!(has("flatcar", "1.0.0"));
    }
}
