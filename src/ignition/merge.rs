//! Ignition's config merge, for the lists Butane's sugar generates.
//!
//! Butane emits its generated storage and units (mount units, `boot_device`,
//! `grub`) as a merge *parent* and the user's config as the *child*: entries
//! with the same key are merged field by field with the child winning, parent
//! entries keep their place first, and new child entries follow in order.
//! Files, directories and links share one key space (their path): a child
//! entry replaces a parent entry of another kind with the same path.
//!
//! [`merge_configs`] is the whole merge, as Ignition applies an
//! `ignition.config.merge` entry: `kindling import` flattens configs with
//! it before comparing them.

use super::model::{
    Clevis, Config, Directory, Disk, Dropin, File, Filesystem, Link, Luks, Partition, PasswdGroup,
    PasswdUser, Raid, Resource, Tang, Unit,
};

/// For each merged list: `new_index[i]` is where the child's entry `i` ended up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub units: Vec<usize>,
    pub disks: Vec<usize>,
    pub raid: Vec<usize>,
    pub filesystems: Vec<usize>,
    pub luks: Vec<usize>,
    pub files: Vec<usize>,
    pub directories: Vec<usize>,
    pub links: Vec<usize>,
}

fn take<T>(parent: &mut Option<T>, child: Option<T>) {
    if child.is_some() {
        *parent = child;
    }
}

fn union(parent: &mut Vec<String>, child: Vec<String>) {
    for item in child {
        if !parent.contains(&item) {
            parent.push(item);
        }
    }
}

/// Merges keyed lists: returns the merged list and where each child went.
fn keyed<T, K: PartialEq>(
    parent: Vec<T>,
    child: Vec<T>,
    key: impl Fn(&T) -> K,
    merge: impl Fn(&mut T, T),
) -> (Vec<T>, Vec<usize>) {
    let mut out = parent;
    let mut placement = Vec::with_capacity(child.len());
    for item in child {
        let item_key = key(&item);
        if let Some(index) = out.iter().position(|existing| key(existing) == item_key) {
            if let Some(existing) = out.get_mut(index) {
                merge(existing, item);
            }
            placement.push(index);
        } else {
            placement.push(out.len());
            out.push(item);
        }
    }
    (out, placement)
}

fn merge_resource(parent: &mut Resource, child: Resource) {
    take(&mut parent.compression, child.compression);
    take(&mut parent.source, child.source);
    take(&mut parent.verification.hash, child.verification.hash);
    for header in child.http_headers {
        let existing = parent
            .http_headers
            .iter()
            .position(|h| h.name == header.name);
        match (existing, header.value.is_some()) {
            (Some(index), true) => {
                if let Some(slot) = parent.http_headers.get_mut(index) {
                    *slot = header;
                }
            }
            // A child header without a value removes the parent's.
            (Some(index), false) => {
                parent.http_headers.remove(index);
            }
            (None, _) => parent.http_headers.push(header),
        }
    }
}

fn merge_unit(parent: &mut Unit, child: Unit) {
    take(&mut parent.contents, child.contents);
    take(&mut parent.enabled, child.enabled);
    take(&mut parent.mask, child.mask);
    let dropins = std::mem::take(&mut parent.dropins);
    parent.dropins = keyed(
        dropins,
        child.dropins,
        |d: &Dropin| d.name.clone(),
        |p, c| take(&mut p.contents, c.contents),
    )
    .0;
}

fn partition_key(partition: &Partition) -> (i64, Option<String>) {
    if partition.number != 0 {
        (partition.number, None)
    } else {
        (0, partition.label.clone())
    }
}

fn merge_partition(parent: &mut Partition, child: Partition) {
    take(&mut parent.guid, child.guid);
    take(&mut parent.label, child.label);
    if child.number != 0 {
        parent.number = child.number;
    }
    take(&mut parent.resize, child.resize);
    take(&mut parent.should_exist, child.should_exist);
    take(&mut parent.size_mib, child.size_mib);
    take(&mut parent.start_mib, child.start_mib);
    take(&mut parent.type_guid, child.type_guid);
    take(&mut parent.wipe_partition_entry, child.wipe_partition_entry);
}

fn merge_disk(parent: &mut Disk, child: Disk) {
    take(&mut parent.wipe_table, child.wipe_table);
    let partitions = std::mem::take(&mut parent.partitions);
    parent.partitions = keyed(partitions, child.partitions, partition_key, merge_partition).0;
}

fn merge_raid(parent: &mut Raid, child: Raid) {
    union(&mut parent.devices, child.devices);
    take(&mut parent.level, child.level);
    parent.options.extend(child.options);
    take(&mut parent.spares, child.spares);
}

fn merge_filesystem(parent: &mut Filesystem, child: Filesystem) {
    take(&mut parent.format, child.format);
    take(&mut parent.label, child.label);
    parent.mount_options.extend(child.mount_options);
    parent.options.extend(child.options);
    take(&mut parent.path, child.path);
    take(&mut parent.uuid, child.uuid);
    take(&mut parent.wipe_filesystem, child.wipe_filesystem);
}

fn merge_clevis(parent: &mut Clevis, child: Clevis) {
    take(&mut parent.custom.config, child.custom.config);
    take(&mut parent.custom.needs_network, child.custom.needs_network);
    take(&mut parent.custom.pin, child.custom.pin);
    let tang = std::mem::take(&mut parent.tang);
    parent.tang = keyed(
        tang,
        child.tang,
        |t: &Tang| t.url.clone(),
        |p, c| {
            take(&mut p.advertisement, c.advertisement);
            take(&mut p.thumbprint, c.thumbprint);
        },
    )
    .0;
    take(&mut parent.threshold, child.threshold);
    take(&mut parent.tpm2, child.tpm2);
}

fn merge_luks(parent: &mut Luks, child: Luks) {
    take(&mut parent.cex.enabled, child.cex.enabled);
    merge_clevis(&mut parent.clevis, child.clevis);
    take(&mut parent.device, child.device);
    take(&mut parent.discard, child.discard);
    merge_resource(&mut parent.key_file, child.key_file);
    take(&mut parent.label, child.label);
    union(&mut parent.open_options, child.open_options);
    parent.options.extend(child.options);
    take(&mut parent.uuid, child.uuid);
    take(&mut parent.wipe_volume, child.wipe_volume);
}

fn merge_file(parent: &mut File, child: File) {
    take(&mut parent.group.id, child.group.id);
    take(&mut parent.group.name, child.group.name);
    take(&mut parent.overwrite, child.overwrite);
    take(&mut parent.user.id, child.user.id);
    take(&mut parent.user.name, child.user.name);
    parent.append.extend(child.append);
    merge_resource(&mut parent.contents, child.contents);
    take(&mut parent.mode, child.mode);
}

fn merge_directory(parent: &mut Directory, child: Directory) {
    take(&mut parent.group.id, child.group.id);
    take(&mut parent.group.name, child.group.name);
    take(&mut parent.overwrite, child.overwrite);
    take(&mut parent.user.id, child.user.id);
    take(&mut parent.user.name, child.user.name);
    take(&mut parent.mode, child.mode);
}

fn merge_link(parent: &mut Link, child: Link) {
    take(&mut parent.group.id, child.group.id);
    take(&mut parent.group.name, child.group.name);
    take(&mut parent.overwrite, child.overwrite);
    take(&mut parent.user.id, child.user.id);
    take(&mut parent.user.name, child.user.name);
    take(&mut parent.hard, child.hard);
    take(&mut parent.target, child.target);
}

/// Merges `child` onto `parent` for the lists sugar generates; every other
/// part of the result comes from `child`.
pub fn merge_generated(parent: Config, child: Config) -> (Config, Placement) {
    let mut out = child;
    let mut placement = Placement::default();
    let parent_storage = parent.storage;
    let child_storage = std::mem::take(&mut out.storage);

    // A child node replaces a parent node of another kind at the same path.
    let child_paths: Vec<String> = child_storage
        .files
        .iter()
        .map(|f| f.path.clone())
        .chain(child_storage.directories.iter().map(|d| d.path.clone()))
        .chain(child_storage.links.iter().map(|l| l.path.clone()))
        .collect();
    let mut parent_files = parent_storage.files;
    let mut parent_directories = parent_storage.directories;
    let mut parent_links = parent_storage.links;
    parent_files.retain(|f| {
        !child_paths.contains(&f.path) || child_storage.files.iter().any(|c| c.path == f.path)
    });
    parent_directories.retain(|d| {
        !child_paths.contains(&d.path) || child_storage.directories.iter().any(|c| c.path == d.path)
    });
    parent_links.retain(|l| {
        !child_paths.contains(&l.path) || child_storage.links.iter().any(|c| c.path == l.path)
    });

    let (files, files_at) = keyed(
        parent_files,
        child_storage.files,
        |f| f.path.clone(),
        merge_file,
    );
    let (directories, directories_at) = keyed(
        parent_directories,
        child_storage.directories,
        |d| d.path.clone(),
        merge_directory,
    );
    let (links, links_at) = keyed(
        parent_links,
        child_storage.links,
        |l| l.path.clone(),
        merge_link,
    );
    let (disks, disks_at) = keyed(
        parent_storage.disks,
        child_storage.disks,
        |d| d.device.clone(),
        merge_disk,
    );
    let (raid, raid_at) = keyed(
        parent_storage.raid,
        child_storage.raid,
        |r| r.name.clone(),
        merge_raid,
    );
    let (filesystems, filesystems_at) = keyed(
        parent_storage.filesystems,
        child_storage.filesystems,
        |f| f.device.clone(),
        merge_filesystem,
    );
    let (luks, luks_at) = keyed(
        parent_storage.luks,
        child_storage.luks,
        |l| l.name.clone(),
        merge_luks,
    );
    out.storage.files = files;
    out.storage.directories = directories;
    out.storage.links = links;
    out.storage.disks = disks;
    out.storage.raid = raid;
    out.storage.filesystems = filesystems;
    out.storage.luks = luks;

    let child_units = std::mem::take(&mut out.systemd.units);
    let (units, units_at) = keyed(
        parent.systemd.units,
        child_units,
        |u| u.name.clone(),
        merge_unit,
    );
    out.systemd.units = units;

    placement.files = files_at;
    placement.directories = directories_at;
    placement.links = links_at;
    placement.disks = disks_at;
    placement.raid = raid_at;
    placement.filesystems = filesystems_at;
    placement.luks = luks_at;
    placement.units = units_at;
    (out, placement)
}

fn merge_user(parent: &mut PasswdUser, child: PasswdUser) {
    take(&mut parent.gecos, child.gecos);
    union(&mut parent.groups, child.groups);
    take(&mut parent.home_dir, child.home_dir);
    take(&mut parent.no_create_home, child.no_create_home);
    take(&mut parent.no_log_init, child.no_log_init);
    take(&mut parent.no_user_group, child.no_user_group);
    take(&mut parent.password_hash, child.password_hash);
    take(&mut parent.primary_group, child.primary_group);
    take(&mut parent.should_exist, child.should_exist);
    union(&mut parent.ssh_authorized_keys, child.ssh_authorized_keys);
    take(&mut parent.shell, child.shell);
    take(&mut parent.system, child.system);
    take(&mut parent.uid, child.uid);
}

fn merge_group(parent: &mut PasswdGroup, child: PasswdGroup) {
    take(&mut parent.gid, child.gid);
    take(&mut parent.password_hash, child.password_hash);
    take(&mut parent.should_exist, child.should_exist);
    take(&mut parent.system, child.system);
}

/// The whole of Ignition's merge of `child` onto `parent` (what a
/// `ignition.config.merge` entry does once fetched): keyed lists merge
/// entry by entry, child fields win, lists of strings are united. The
/// result keeps the parent's spec version and its other merge entries.
pub fn merge_configs(mut parent: Config, mut child: Config) -> Config {
    let passwd = std::mem::take(&mut parent.passwd);
    let mut arguments = std::mem::take(&mut parent.kernel_arguments);
    let mut ignition = std::mem::take(&mut parent.ignition);
    let child_passwd = std::mem::take(&mut child.passwd);
    let child_arguments = std::mem::take(&mut child.kernel_arguments);
    let child_ignition = std::mem::take(&mut child.ignition);
    let (mut out, _) = merge_generated(parent, child);
    out.passwd.users = keyed(
        passwd.users,
        child_passwd.users,
        |u| u.name.clone(),
        merge_user,
    )
    .0;
    out.passwd.groups = keyed(
        passwd.groups,
        child_passwd.groups,
        |g| g.name.clone(),
        merge_group,
    )
    .0;
    union(&mut arguments.should_exist, child_arguments.should_exist);
    union(
        &mut arguments.should_not_exist,
        child_arguments.should_not_exist,
    );
    out.kernel_arguments = arguments;
    let child = child_ignition;
    ignition.config.merge.extend(child.config.merge);
    if child.config.replace != Resource::default() {
        ignition.config.replace = child.config.replace;
    }
    take(&mut ignition.proxy.http_proxy, child.proxy.http_proxy);
    take(&mut ignition.proxy.https_proxy, child.proxy.https_proxy);
    union(&mut ignition.proxy.no_proxy, child.proxy.no_proxy);
    take(
        &mut ignition.timeouts.http_response_headers,
        child.timeouts.http_response_headers,
    );
    take(&mut ignition.timeouts.http_total, child.timeouts.http_total);
    let authorities = std::mem::take(&mut ignition.security.tls.certificate_authorities);
    ignition.security.tls.certificate_authorities = keyed(
        authorities,
        child.security.tls.certificate_authorities,
        |r| r.source.clone(),
        merge_resource,
    )
    .0;
    out.ignition = ignition;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, enabled: Option<bool>) -> Unit {
        Unit {
            name: name.to_owned(),
            enabled,
            ..Unit::default()
        }
    }

    #[test]
    fn parent_entries_come_first_and_child_fields_win() {
        let mut parent = Config::default();
        parent.systemd.units = vec![unit("var.mount", Some(true))];
        let mut child = Config::default();
        child.systemd.units = vec![unit("a.service", None), unit("var.mount", Some(false))];
        let (merged, placement) = merge_generated(parent, child);
        let names: Vec<_> = merged
            .systemd
            .units
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(names, ["var.mount", "a.service"]);
        assert_eq!(merged.systemd.units[0].enabled, Some(false));
        assert_eq!(placement.units, [1, 0]);
    }

    #[test]
    fn child_node_replaces_parent_node_of_other_kind() {
        let mut parent = Config::default();
        parent.storage.directories.push(Directory {
            path: "/boot".to_owned(),
            ..Directory::default()
        });
        let mut child = Config::default();
        child.storage.files.push(File {
            path: "/boot".to_owned(),
            ..File::default()
        });
        let (merged, _) = merge_generated(parent, child);
        assert!(merged.storage.directories.is_empty());
        assert_eq!(merged.storage.files.len(), 1);
    }
}
