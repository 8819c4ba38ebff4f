//! Butane's own checks on the source config (before translation) and its
//! fcos checks on the translated partitions, with Butane's messages and
//! report paths. Ignition's rules on the output live in `crate::validate`.

use super::model as b;
use super::version::{Feature, Variant, Version};
use crate::diag::{Code, Diagnostic, DocPath};
use crate::ignition::model as ign;
use crate::validate::mode_looks_decimal;

const DECIMAL_MODE: &str =
    "unreasonable mode would be reasonable if specified in octal; remember to add a leading zero";

struct Checker {
    version: Version,
    found: Vec<Diagnostic>,
}

impl Checker {
    fn error(&mut self, code: Code, path: DocPath, message: impl Into<String>) {
        self.found.push(Diagnostic::error(code, message).at(path));
    }

    fn warning(&mut self, code: Code, path: DocPath, message: impl Into<String>) {
        self.found.push(Diagnostic::warning(code, message).at(path));
    }

    fn has(&self, feature: Feature) -> bool {
        self.version.has(feature)
    }
}

/// Source-level findings for `config` decoded as `version`.
pub fn source(config: &b::Config, version: Version) -> Vec<Diagnostic> {
    let mut checker = Checker {
        version,
        found: Vec::new(),
    };
    let storage = DocPath::root().key("storage");
    let modes = config
        .storage
        .files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.mode, false, storage.key("files").index(index)))
        .chain(
            config
                .storage
                .directories
                .iter()
                .enumerate()
                .map(|(index, directory)| {
                    (
                        directory.mode,
                        true,
                        storage.key("directories").index(index),
                    )
                }),
        );
    for (mode, is_directory, at) in modes {
        if let Some(mode) = mode
            && mode_looks_decimal(mode, is_directory)
        {
            checker.found.push(
                Diagnostic::warning(Code::ButaneDecimalMode, DECIMAL_MODE)
                    .at(at.key("mode"))
                    .with_help(format!(
                        "did you mean 0{mode} (decimal {})?",
                        octal_digits_value(mode)
                    )),
            );
        }
    }
    check_filesystems(&mut checker, &config.storage.filesystems);
    if checker.has(Feature::Quadlets) {
        check_quadlets(&mut checker, &config.systemd.quadlets);
    }
    if checker.has(Feature::BootDevice) {
        check_boot_device(&mut checker, &config.boot_device);
    }
    if checker.has(Feature::Grub) {
        for (index, user) in config.grub.users.iter().enumerate() {
            let path = DocPath::root().key("grub").key("users").index(index);
            if user.name.is_empty() {
                checker.error(
                    Code::ButaneRequiredField,
                    path.key("name"),
                    "field \"name\" is required",
                );
            }
            if user.password_hash.as_deref().is_none_or(str::is_empty) {
                checker.error(
                    Code::ButaneRequiredField,
                    path.key("password_hash"),
                    "field \"password_hash\" is required",
                );
            }
        }
    }
    if checker.has(Feature::StrictStorageChecks) {
        check_partition_reuse(&mut checker, config);
    }
    checker.found
}

/// The value of `mode`'s decimal digits read as octal (644 → 420).
fn octal_digits_value(mode: i64) -> i64 {
    i64::from_str_radix(&mode.to_string(), 8).unwrap_or(mode)
}

fn check_filesystems(checker: &mut Checker, filesystems: &[b::Filesystem]) {
    if !checker.has(Feature::MountUnits) {
        return;
    }
    let swap_units = checker.has(Feature::SwapUnits);
    for (index, filesystem) in filesystems.iter().enumerate() {
        if filesystem.with_mount_unit != Some(true) {
            continue;
        }
        let path = DocPath::root()
            .key("storage")
            .key("filesystems")
            .index(index);
        let format = filesystem.format.as_deref().filter(|f| !f.is_empty());
        let has_path = filesystem.path.as_deref().is_some_and(|p| !p.is_empty());
        if !swap_units && !has_path {
            checker.error(
                Code::ButaneMountUnit,
                path.key("path"),
                "path is required if with_mount_unit is true and format is not swap",
            );
        }
        match format {
            None => checker.error(
                Code::ButaneMountUnit,
                path.key("format"),
                "format is required if with_mount_unit is true",
            ),
            Some(format) if swap_units && format != "swap" && !has_path => checker.error(
                Code::ButaneMountUnit,
                path.key("path"),
                "path is required if with_mount_unit is true and format is not swap",
            ),
            _ => {}
        }
        if checker.has(Feature::StrictStorageChecks)
            && let Some(mount) = filesystem.path.as_deref().filter(|p| !p.is_empty())
        {
            let allowed = ["/etc", "/var"]
                .iter()
                .any(|prefix| mount == *prefix || mount.starts_with(&format!("{prefix}/")));
            if !allowed {
                checker.error(
                    Code::ButaneMountUnit,
                    path.key("path"),
                    "path must be under /etc or /var if with_mount_unit is true",
                );
            }
        }
    }
}

fn check_quadlets(checker: &mut Checker, quadlets: &[b::Quadlet]) {
    for (index, quadlet) in quadlets.iter().enumerate() {
        let path = DocPath::root().key("systemd").key("quadlets").index(index);
        if !super::sugar::QUADLET_EXTENSIONS
            .iter()
            .any(|extension| quadlet.name.ends_with(extension))
        {
            checker.error(
                Code::ButaneQuadletExtension,
                path.key("name"),
                "unsupported file extension for quadlet: must be one of .container, .volume, .network, .kube, .image, .build, .pod, or .artifact",
            );
            continue;
        }
        let instance = quadlet
            .name
            .split_once('@')
            .is_some_and(|(_, rest)| !rest.starts_with('.') && rest.contains('.'));
        if instance {
            for (key, set) in [
                ("contents", quadlet.contents.is_some()),
                ("contents_local", quadlet.contents_local.is_some()),
            ] {
                if set {
                    checker.error(
                        Code::ButaneTemplateContents,
                        path.key(key),
                        "template instances cannot have contents or contents_local",
                    );
                }
            }
        } else if quadlet.contents.is_some() && quadlet.contents_local.is_some() {
            checker.error(
                Code::ButaneExclusiveFields,
                path.key("contents_local"),
                "only one of the following can be set: contents, contents_local",
            );
        }
        for (dropin_index, dropin) in quadlet.dropins.iter().enumerate() {
            if dropin.contents.is_some() && dropin.contents_local.is_some() {
                checker.error(
                    Code::ButaneExclusiveFields,
                    path.key("dropins")
                        .index(dropin_index)
                        .key("contents_local"),
                    "only one of the following can be set: contents, contents_local",
                );
            }
        }
    }
}

fn check_boot_device(checker: &mut Checker, boot: &b::BootDevice) {
    let path = DocPath::root().key("boot_device");
    let mirrored = !boot.mirror.devices.is_empty();
    let s390x = checker.has(Feature::S390xBootLayouts);
    let strict = checker.has(Feature::StrictBootDevice);
    if mirrored && boot.layout.is_none() {
        let message = "boot_device.layout should be specified when boot_device.mirror is specified";
        if strict {
            checker.error(Code::ButaneBootLayout, path.key("mirror"), message);
        } else {
            checker.warning(Code::ButaneBootLayout, path.key("mirror"), message);
        }
    }
    if let Some(layout) = boot.layout.as_deref() {
        let known: &[&str] = if s390x {
            &[
                "aarch64",
                "ppc64le",
                "s390x-eckd",
                "s390x-virt",
                "s390x-zfcp",
                "x86_64",
            ]
        } else {
            &["aarch64", "ppc64le", "x86_64"]
        };
        if !known.contains(&layout) {
            checker.error(
                Code::ButaneBootLayout,
                path.key("layout"),
                format!("layout must be one of: {}", known.join(", ")),
            );
        }
    }
    if boot.mirror.devices.len() == 1 {
        checker.error(
            Code::ButaneBootMirror,
            path.key("mirror").key("devices"),
            "mirroring requires at least two devices",
        );
    }
    if s390x {
        let layout = boot.layout.as_deref().unwrap_or_default();
        let device = boot.luks.device.as_deref().unwrap_or_default();
        if matches!(layout, "s390x-eckd" | "s390x-zfcp") {
            if device.is_empty() {
                checker.error(
                    Code::ButaneBootLayout,
                    path.key("layout"),
                    "device is required for layouts: s390x-eckd, s390x-zfcp",
                );
            } else {
                let prefix = if layout == "s390x-eckd" {
                    "/dev/dasd"
                } else {
                    "/dev/sd"
                };
                let valid = device.strip_prefix(prefix).is_some_and(|rest| {
                    rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())
                });
                if !valid {
                    checker.error(
                        Code::ButaneBootLayout,
                        path.key("layout"),
                        "device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout",
                    );
                }
            }
        }
        if layout.starts_with("s390x") && mirrored {
            checker.error(
                Code::ButaneBootLayout,
                path.key("layout"),
                "mirroring not supported on layouts: s390x-eckd, s390x-zfcp, s390x-virt",
            );
        }
        if boot.luks.cex.enabled == Some(true) {
            if boot.layout.is_none() {
                checker.error(
                    Code::ButaneBootLuks,
                    path.key("luks").key("cex"),
                    "when using cex the targeted architecture must match s390x",
                );
            } else if !layout.starts_with("s390x") {
                checker.error(
                    Code::ButaneBootLayout,
                    path.key("layout"),
                    "when using cex the targeted architecture must match s390x",
                );
            }
            if !boot.luks.tang.is_empty() || boot.luks.tpm2 == Some(true) {
                checker.error(
                    Code::ButaneBootLuks,
                    path.key("luks"),
                    "cannot use cex with clevis",
                );
            }
        }
    }
    if strict && boot.luks.device.as_deref().is_some_and(|d| !d.is_empty()) {
        let has_method = !boot.luks.tang.is_empty()
            || boot.luks.tpm2 == Some(true)
            || boot.luks.cex.enabled == Some(true);
        if !has_method {
            checker.error(
                Code::ButaneBootLuks,
                path.key("luks"),
                "no method specified for luks",
            );
        }
    }
}

fn check_partition_reuse(checker: &mut Checker, config: &b::Config) {
    for (disk_index, disk) in config.storage.disks.iter().enumerate() {
        if disk.device == "/dev/disk/by-id/coreos-boot-disk"
            || disk.wipe_table == Some(true)
            || config.boot_device.mirror.devices.contains(&disk.device)
        {
            continue;
        }
        for (index, partition) in disk.partitions.iter().enumerate() {
            if partition.number == 0 && partition.label.is_some() {
                checker.warning(
                    Code::ButanePartitionReuse,
                    DocPath::root()
                        .key("storage")
                        .key("disks")
                        .index(disk_index)
                        .key("partitions")
                        .index(index)
                        .key("number"),
                    "partitions cannot be reused by label; number must be specified except on boot disk (/dev/disk/by-id/coreos-boot-disk) or when wipe_table is true",
                );
            }
        }
    }
}

/// fcos checks on the translated (merged) partitions; paths are JSON paths.
pub fn output(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if !version.is_fcos() {
        return found;
    }
    for (disk_index, disk) in config.storage.disks.iter().enumerate() {
        let disk_path = DocPath::root()
            .key("storage")
            .key("disks")
            .index(disk_index);
        for (index, partition) in disk.partitions.iter().enumerate() {
            let path = disk_path.key("partitions").index(index);
            let Some(label) = partition.label.as_deref() else {
                continue;
            };
            let reserved = match label {
                "BIOS-BOOT" | "PowerPC-PReP-boot" => Some(1),
                "EFI-SYSTEM" => Some(2),
                "boot" => Some(3),
                "root" => Some(4),
                _ => None,
            };
            if let Some(number) = reserved
                && disk.wipe_table != Some(true)
                && partition.number != number
            {
                found.push(
                        Diagnostic::warning(Code::ButaneReservedPartition, "incorrect partition number; a new partition will be created using reserved label")
                            .at(path.key("label")),
                    );
            }
            if label == "root" && version.has(Feature::RootPartitionChecks) {
                let size = partition.size_mib.unwrap_or(0);
                if size == 0
                    && disk
                        .partitions
                        .iter()
                        .enumerate()
                        .any(|(other, p)| other != index && p.start_mib.unwrap_or(0) == 0)
                {
                    found.push(
                        Diagnostic::warning(Code::ButaneRootPartition, "root partition cannot expand; it is set to fill available space but is followed by an auto-positioned partition")
                            .at(path.key("label")),
                    );
                }
                if size != 0 && size < 8192 {
                    found.push(
                        Diagnostic::warning(
                            Code::ButaneRootPartition,
                            "root should have 8GiB of space assigned",
                        )
                        .at(path.key("sizeMiB")),
                    );
                }
            }
        }
    }
    found
}

/// The output fields a variant refuses (Butane's per-variant field
/// filters), at their output paths.
pub fn variant_filters(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    match version.variant {
        Variant::Fcos => Vec::new(),
        Variant::Flatcar => flatcar_filters(config, version),
        Variant::R4e | Variant::Fiot => edge_filters(config),
        Variant::Openshift => super::openshift::filters(config, version),
    }
}

/// Flatcar's forbidden output fields.
fn flatcar_filters(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, luks) in config.storage.luks.iter().enumerate() {
        let path = DocPath::root().key("storage").key("luks").index(index);
        if version.experimental {
            if luks.cex != ign::Cex::default() {
                found.push(
                    Diagnostic::error(
                        Code::ButaneLuksUnsupported,
                        "cex is not currently supported on the target platform",
                    )
                    .at(path.key("cex")),
                );
            }
        } else if luks.clevis != ign::Clevis::default() {
            found.push(
                Diagnostic::error(
                    Code::ButaneLuksUnsupported,
                    "clevis is not supported in this spec version",
                )
                .at(path.key("clevis")),
            );
        }
    }
    found
}

/// r4e and fiot: no kernel arguments and no storage beyond files,
/// directories, links and trees (the image's own layout is fixed).
fn edge_filters(config: &ign::Config) -> Vec<Diagnostic> {
    let storage = DocPath::root().key("storage");
    let refused = [
        (
            config.kernel_arguments != ign::KernelArguments::default(),
            DocPath::root().key("kernelArguments"),
            "kernel argument customization",
        ),
        (
            !config.storage.disks.is_empty(),
            storage.key("disks"),
            "disk customization",
        ),
        (
            !config.storage.filesystems.is_empty(),
            storage.key("filesystems"),
            "filesystem customization",
        ),
        (!config.storage.luks.is_empty(), storage.key("luks"), "luks"),
        (!config.storage.raid.is_empty(), storage.key("raid"), "raid"),
    ];
    refused
        .into_iter()
        .filter(|(present, _, _)| *present)
        .map(|(_, path, what)| {
            Diagnostic::error(
                Code::ButaneVariantUnsupported,
                format!("{what} is not supported in this spec version"),
            )
            .at(path)
            .with_help("r4e and fiot images have a fixed storage layout and kernel command line; remove this section or use the fcos variant")
        })
        .collect()
}
