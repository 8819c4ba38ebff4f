//! Block devices: `disk.go`, `partition.go`, `raid.go`, `filesystem.go`,
//! `device.go` and the filesystem half of `storage.go`.

use std::collections::HashMap;

use super::paths::{check_optional_path, check_path};
use super::rules::{Report, RuleError};
use crate::diag::DocPath;
use crate::ignition::model::{Disk, Filesystem, Partition, Raid, Storage};
use crate::ignition::spec::Spec;

fn not_empty(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// The earliest-reported pair of partitions sharing a non-zero number (Go
/// picks one from a map; this picks the collision found first in order).
fn numbers_collide(partitions: &[Partition]) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.number != 0)
        .find(|(_, p)| !seen.insert(p.number))
        .map(|(index, _)| index)
}

fn labels_collide(partitions: &[Partition]) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    partitions
        .iter()
        .enumerate()
        .find(|(_, p)| p.label.as_ref().is_some_and(|label| !seen.insert(label)))
        .map(|(index, _)| index)
}

/// Start and last MiB of an explicitly placed partition.
fn extent(partition: &Partition) -> Option<(i64, i64)> {
    let (start, size) = (partition.start_mib?, partition.size_mib?);
    if start == 0 {
        return None;
    }
    let end = if size == 0 {
        start
    } else {
        start.wrapping_add(size).wrapping_sub(1)
    };
    Some((start, end))
}

/// Index of the partition another explicitly placed one overlaps.
fn partitions_overlap(partitions: &[Partition]) -> Option<usize> {
    for (index, partition) in partitions.iter().enumerate() {
        let Some((start, end)) = extent(partition) else {
            continue;
        };
        for (other_index, other) in partitions.iter().enumerate() {
            if other_index == index {
                continue;
            }
            let Some((other_start, other_end)) = extent(other) else {
                continue;
            };
            let inside = |mib: i64| mib >= other_start && mib <= other_end;
            if inside(start) || inside(end) || (start < other_start && end > other_end) {
                return Some(other_index);
            }
        }
    }
    None
}

fn check_guid(guid: Option<&str>) -> Result<(), RuleError> {
    let Some(guid) = guid else {
        return Ok(());
    };
    if guid.is_empty() {
        return Ok(());
    }
    let groups: Vec<&str> = guid.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let well_formed = groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(RuleError::NotAGuid)
    }
}

fn partition(partition: &Partition, at: &DocPath, report: &mut Report) {
    let others = partition.label.is_some()
        || not_empty(partition.type_guid.as_deref())
        || not_empty(partition.guid.as_deref())
        || partition.start_mib.is_some()
        || partition.size_mib.is_some();
    if partition.should_exist == Some(false) && others {
        report.error(at.clone(), RuleError::ShouldNotExistWithOthers);
    }
    if partition.number == 0 && partition.label.is_none() {
        report.error(at.clone(), RuleError::NeedLabelOrNumber);
    }
    if let Some(label) = &partition.label {
        if label.len() > 36 {
            report.error(at.key("label"), RuleError::PartitionLabelTooLong);
        } else if label.contains(':') {
            report.error(at.key("label"), RuleError::PartitionLabelColon);
        }
    }
    report.check(at.key("guid"), check_guid(partition.guid.as_deref()));
    report.check(
        at.key("typeGuid"),
        check_guid(partition.type_guid.as_deref()),
    );
}

pub(crate) fn disk(disk: &Disk, at: &DocPath, report: &mut Report) {
    if disk.device.is_empty() {
        report.error(at.key("device"), RuleError::DiskDeviceRequired);
    } else {
        report.check(at.key("device"), check_path(&disk.device));
        let partitions = at.key("partitions");
        if let Some(index) = numbers_collide(&disk.partitions) {
            report.error(partitions.index(index), RuleError::PartitionNumbersCollide);
        }
        if let Some(index) = partitions_overlap(&disk.partitions) {
            report.error(partitions.index(index), RuleError::PartitionsOverlap);
        }
        if let Some(index) = labels_collide(&disk.partitions) {
            report.error(partitions.index(index), RuleError::DuplicatePartitionLabel);
        }
    }
    for (index, part) in disk.partitions.iter().enumerate() {
        partition(part, &at.key("partitions").index(index), report);
    }
}

fn check_raid_level(raid: &Raid, spec: Spec) -> Result<(), RuleError> {
    let level = match raid.level.as_deref() {
        None | Some("") if spec >= Spec::V3_3 => return Err(RuleError::RaidLevelRequired),
        level => level.unwrap_or(""),
    };
    match level {
        "linear" | "raid0" | "0" | "stripe" => match raid.spares {
            Some(spares) if spares != 0 => Err(RuleError::SparesUnsupported),
            _ => Ok(()),
        },
        "raid1" | "1" | "mirror" | "raid4" | "4" | "raid5" | "5" | "raid6" | "6" | "raid10"
        | "10" => Ok(()),
        _ => Err(RuleError::UnrecognizedRaidLevel),
    }
}

pub(crate) fn raid(raid: &Raid, at: &DocPath, report: &mut Report) {
    report.check(at.key("level"), check_raid_level(raid, report.spec));
    if raid.devices.is_empty() {
        report.error(at.key("devices"), RuleError::RaidDevicesRequired);
    }
    for (index, device) in raid.devices.iter().enumerate() {
        report.check(at.key("devices").index(index), check_path(device));
    }
}

fn is_virtiofs(filesystem: &Filesystem, spec: Spec) -> bool {
    spec >= Spec::V3_7Experimental && filesystem.format.as_deref() == Some("virtiofs")
}

fn check_device(filesystem: &Filesystem, spec: Spec) -> Result<(), RuleError> {
    if !is_virtiofs(filesystem, spec) {
        return check_path(&filesystem.device);
    }
    if filesystem.device.is_empty() {
        Err(RuleError::NoDevice)
    } else if filesystem.device.len() > 36 {
        Err(RuleError::VirtiofsTagTooLong)
    } else {
        Ok(())
    }
}

fn check_format(filesystem: &Filesystem, spec: Spec) -> Result<(), RuleError> {
    match filesystem.format.as_deref() {
        None | Some("") => {
            let others = not_empty(filesystem.path.as_deref())
                || not_empty(filesystem.label.as_deref())
                || not_empty(filesystem.uuid.as_deref())
                || filesystem.wipe_filesystem == Some(true)
                || (spec >= Spec::V3_1 && !filesystem.mount_options.is_empty())
                || !filesystem.options.is_empty();
            if others {
                Err(RuleError::FormatEmptyWithOthers)
            } else {
                Ok(())
            }
        }
        Some(format) if spec.filesystem_formats().contains(&format) => Ok(()),
        Some(_) => Err(RuleError::InvalidFormat),
    }
}

fn check_label(filesystem: &Filesystem, spec: Spec) -> Result<(), RuleError> {
    let Some(label) = filesystem.label.as_deref().filter(|l| !l.is_empty()) else {
        return Ok(());
    };
    let limit = match filesystem.format.as_deref() {
        None | Some("") => return Err(RuleError::LabelNeedsFormat),
        Some("ext4") => Some(("ext4", 16)),
        Some("btrfs") => Some(("btrfs", 256)),
        Some("xfs") => Some(("xfs", 12)),
        Some("swap") => Some(("swap", 15)),
        Some("vfat") => Some(("vfat", 11)),
        Some("virtiofs") if spec >= Spec::V3_7Experimental => {
            return Err(RuleError::VirtiofsLabel);
        }
        Some(_) => None,
    };
    match limit {
        Some((format, max)) if label.len() > max => {
            Err(RuleError::FilesystemLabelTooLong { format, max })
        }
        _ => Ok(()),
    }
}

pub(crate) fn filesystem(filesystem: &Filesystem, at: &DocPath, report: &mut Report) {
    let spec = report.spec;
    report.check(
        at.key("path"),
        check_optional_path(filesystem.path.as_deref()),
    );
    report.check(at.key("device"), check_device(filesystem, spec));
    report.check(at.key("format"), check_format(filesystem, spec));
    report.check(at.key("label"), check_label(filesystem, spec));
    if is_virtiofs(filesystem, spec) {
        if not_empty(filesystem.uuid.as_deref()) {
            report.error(at.key("uuid"), RuleError::UuidForNonBlock);
        }
        if filesystem.wipe_filesystem == Some(true) {
            report.error(at.key("wipeFilesystem"), RuleError::WipeForNonBlock);
        }
        if !filesystem.options.is_empty() {
            report.error(at.key("options"), RuleError::OptionsForNonBlock);
        }
    }
}

/// The filesystem part of `Storage.Validate`: a filesystem on a whole disk
/// that is also partitioned or wiped.
pub(crate) fn filesystems_vs_disks(storage: &Storage, at: &DocPath, report: &mut Report) {
    // Later disks with the same device win, as in Go's map.
    let disks: HashMap<&str, &Disk> = storage
        .disks
        .iter()
        .map(|disk| (disk.device.as_str(), disk))
        .collect();
    for (index, filesystem) in storage.filesystems.iter().enumerate() {
        let Some(disk) = disks.get(filesystem.device.as_str()) else {
            continue;
        };
        let here = at.key("filesystems").index(index).key("device");
        if !disk.partitions.is_empty() {
            report.warn(here, RuleError::PartitionsOverwritten);
        } else if filesystem.wipe_filesystem != Some(true) && disk.wipe_table == Some(true) {
            report.warn(here, RuleError::ImplicitWipe);
        }
    }
}
