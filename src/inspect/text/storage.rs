//! Disks, RAID, LUKS and filesystems.

use super::{TextWriter, opt_flag, p};
use crate::inspect::listing::Listing;

impl TextWriter {
    pub(super) fn storage(&mut self, listing: &Listing) {
        if !listing.disks.is_empty() {
            self.section("Disks", listing.disks.len());
        }
        for disk in &listing.disks {
            let wipe = if disk.wipe_table == Some(true) {
                "  (wipe table)"
            } else {
                ""
            };
            self.line(2, &format!("{}{wipe}", p(&disk.device)));
            for part in &disk.partitions {
                let mut parts = Vec::new();
                let number = part
                    .number
                    .map_or_else(|| "(auto number)".to_owned(), |n| n.to_string());
                if let Some(label) = &part.label {
                    parts.push(format!("label {}", p(label)));
                }
                let size = part
                    .size_mib
                    .map_or_else(|| "rest of disk".to_owned(), |s| format!("{s} MiB"));
                parts.push(format!("size {size}"));
                if let Some(start) = part.start_mib {
                    parts.push(format!("start {start} MiB"));
                }
                for (label, value) in [("type", &part.type_guid), ("guid", &part.guid)] {
                    if let Some(value) = value {
                        parts.push(format!("{label} {}", p(value)));
                    }
                }
                opt_flag(&mut parts, part.resize, "resize");
                opt_flag(&mut parts, part.should_exist, "should exist");
                opt_flag(&mut parts, part.wipe_partition_entry, "wipe entry");
                self.line(4, &format!("partition {number}: {}", parts.join(", ")));
            }
        }
        if !listing.raid.is_empty() {
            self.section("RAID", listing.raid.len());
        }
        for raid in &listing.raid {
            let devices: Vec<String> = raid.devices.iter().map(|d| p(d)).collect();
            let mut parts = vec![format!(
                "{} over {}",
                raid.level.as_deref().map_or_else(|| "?".to_owned(), p),
                devices.join(", ")
            )];
            if let Some(spares) = raid.spares {
                parts.push(format!("{spares} spares"));
            }
            if !raid.options.is_empty() {
                parts.push(format!("options {}", p(&raid.options.join(" "))));
            }
            self.line(2, &format!("{}: {}", p(&raid.name), parts.join(", ")));
        }
        if !listing.luks.is_empty() {
            self.section("LUKS", listing.luks.len());
        }
        for luks in &listing.luks {
            let mut parts = Vec::new();
            for (label, value) in [
                ("on", &luks.device),
                ("label", &luks.label),
                ("uuid", &luks.uuid),
            ] {
                if let Some(value) = value {
                    parts.push(format!("{label} {}", p(value)));
                }
            }
            opt_flag(&mut parts, luks.tpm2, "tpm2");
            opt_flag(&mut parts, luks.cex, "cex");
            for tang in &luks.tang {
                parts.push(format!("tang {}", p(&tang.url)));
            }
            if let Some(threshold) = luks.threshold {
                parts.push(format!("threshold {threshold}"));
            }
            if let Some(pin) = &luks.custom_pin {
                parts.push(format!("custom clevis pin {}", p(pin)));
            }
            opt_flag(&mut parts, luks.discard, "discard");
            opt_flag(&mut parts, luks.wipe_volume, "wipe volume");
            if !luks.options.is_empty() {
                parts.push(format!("options {}", p(&luks.options.join(" "))));
            }
            if !luks.open_options.is_empty() {
                parts.push(format!("open options {}", p(&luks.open_options.join(" "))));
            }
            self.line(2, &format!("{}: {}", p(&luks.name), parts.join(", ")));
            if let Some(key_file) = &luks.key_file {
                self.content(4, "key file", key_file);
            }
        }
        if !listing.filesystems.is_empty() {
            self.section("Filesystems", listing.filesystems.len());
        }
        for fs in &listing.filesystems {
            let mut parts = Vec::new();
            if let Some(format) = &fs.format {
                parts.push(p(format));
            }
            if let Some(path) = &fs.path {
                parts.push(format!("at {}", p(path)));
            }
            for (label, value) in [("label", &fs.label), ("uuid", &fs.uuid)] {
                if let Some(value) = value {
                    parts.push(format!("{label} {}", p(value)));
                }
            }
            opt_flag(&mut parts, fs.wipe_filesystem, "wipe");
            if !fs.options.is_empty() {
                parts.push(format!("mkfs options {}", p(&fs.options.join(" "))));
            }
            if !fs.mount_options.is_empty() {
                parts.push(format!("mount options {}", p(&fs.mount_options.join(","))));
            }
            self.line(2, &format!("{}: {}", p(&fs.device), parts.join(", ")));
        }
    }
}
