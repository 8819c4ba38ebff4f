//! Storage translation: disks, RAID, filesystems, LUKS, files, directories,
//! links, and the expansion of `storage.trees`.

use super::{owner_group, owner_user, root};
use crate::butane::files_dir::TreeEntry;
use crate::butane::model as b;
use crate::butane::translator::{Translator, tang};
use crate::diag::{Code, DocPath};
use crate::encode;
use crate::ignition::model as ign;

impl Translator<'_> {
    pub(super) fn storage(&mut self, storage: &b::Storage) -> ign::Storage {
        let base = root().key("storage");
        let mut out = ign::Storage {
            directories: storage.directories.iter().map(directory).collect(),
            disks: storage.disks.iter().map(disk).collect(),
            files: Vec::with_capacity(storage.files.len()),
            filesystems: storage.filesystems.iter().map(filesystem).collect(),
            links: storage.links.iter().map(link).collect(),
            luks: Vec::with_capacity(storage.luks.len()),
            raid: storage.raid.iter().map(raid).collect(),
        };
        for (index, file) in storage.files.iter().enumerate() {
            let path = base.key("files").index(index);
            self.map.add(path.clone(), path.clone());
            let placed = self.placing_file(&file.path, |t| t.file(file, &path));
            out.files.push(placed);
        }
        for (list, count) in [
            ("directories", out.directories.len()),
            ("links", out.links.len()),
            ("disks", out.disks.len()),
            ("filesystems", out.filesystems.len()),
            ("raid", out.raid.len()),
        ] {
            for index in 0..count {
                let path = base.key(list).index(index);
                self.map.add(path.clone(), path);
            }
        }
        for (index, luks) in storage.luks.iter().enumerate() {
            let path = base.key("luks").index(index);
            self.map.add(path.clone(), path.clone());
            out.luks.push(self.luks(luks, &path));
        }
        for (index, tree) in storage.trees.iter().enumerate() {
            let path = base.key("trees").index(index);
            // Without a files directory Butane reports the first tree only.
            if self.files_dir(&path).is_none() {
                break;
            }
            self.tree(tree, &path, &mut out);
        }
        out
    }

    fn file(&mut self, file: &b::File, path: &DocPath) -> ign::File {
        let append = file
            .append
            .iter()
            .enumerate()
            .map(|(index, resource)| {
                let append_path = path.key("append").index(index);
                self.resource(resource, &append_path, &append_path, true)
            })
            .collect();
        let contents_path = path.key("contents");
        ign::File {
            group: owner_group(&file.group),
            overwrite: file.overwrite,
            path: file.path.clone(),
            user: owner_user(&file.user),
            append,
            contents: self.resource(&file.contents, &contents_path, &contents_path, true),
            mode: file.mode,
        }
    }

    fn luks(&mut self, luks: &b::Luks, path: &DocPath) -> ign::Luks {
        let key_file_yaml = path.key("key_file");
        let key_file_json = path.key("keyFile");
        ign::Luks {
            cex: ign::Cex {
                enabled: luks.cex.enabled,
            },
            clevis: clevis(&luks.clevis),
            device: luks.device.clone(),
            discard: luks.discard,
            key_file: self.resource(&luks.key_file, &key_file_yaml, &key_file_json, false),
            label: luks.label.clone(),
            name: luks.name.clone(),
            open_options: luks.open_options.clone(),
            options: luks.options.clone(),
            uuid: luks.uuid.clone(),
            wipe_volume: luks.wipe_volume,
        }
    }

    /// Expands one `storage.trees` entry into files, links and (1.7.0+)
    /// directories appended to `out`.
    fn tree(&mut self, tree: &b::Tree, path: &DocPath, out: &mut ign::Storage) {
        if tree.local.is_empty() {
            self.error(Code::ButaneRequiredField, path.clone(), "local is required");
            return;
        }
        let Some(files_dir) = self.files_dir(path) else {
            return;
        };
        let entries = match files_dir.walk(&tree.local) {
            Ok(entries) => entries,
            Err(error) => {
                self.local_error(path.clone(), &error);
                return;
            }
        };
        let destination = tree.path.as_deref().unwrap_or("/");
        let user = owner_user(&tree.user);
        let group = owner_group(&tree.group);
        let with_directories = tree.dir_mode.is_some()
            || user != ign::NodeOwner::default()
            || group != ign::NodeOwner::default();
        for entry in entries {
            match entry {
                TreeEntry::Directory { relative } => {
                    if !with_directories {
                        continue;
                    }
                    let target = join(destination, &relative);
                    if node_exists(out, &target) {
                        self.node_conflict(path.clone());
                        continue;
                    }
                    self.map.add(
                        root()
                            .key("storage")
                            .key("directories")
                            .index(out.directories.len()),
                        path.clone(),
                    );
                    out.directories.push(ign::Directory {
                        group: group.clone(),
                        path: target,
                        user: user.clone(),
                        mode: Some(tree.dir_mode.unwrap_or(0o755)),
                        ..ign::Directory::default()
                    });
                }
                TreeEntry::File {
                    relative,
                    contents,
                    executable,
                } => {
                    let target = join(destination, &relative);
                    let local = format!("{}/{relative}", tree.local);
                    if self.local_is_secret(&local) {
                        self.secrets.mark_file(target.clone());
                    }
                    let default_mode = if executable { 0o755 } else { 0o644 };
                    let existing = out.files.iter().position(|f| f.path == target);
                    if out.directories.iter().any(|d| d.path == target)
                        || out.links.iter().any(|l| l.path == target)
                    {
                        self.node_conflict(path.clone());
                        continue;
                    }
                    let index = match existing {
                        Some(index) => index,
                        None => {
                            out.files.push(ign::File {
                                path: target,
                                ..ign::File::default()
                            });
                            out.files.len() - 1
                        }
                    };
                    let Some(file) = out.files.get_mut(index) else {
                        continue;
                    };
                    if file.contents.source.is_some() {
                        self.node_conflict(path.clone());
                        continue;
                    }
                    let user_compression = file
                        .contents
                        .compression
                        .as_deref()
                        .filter(|c| !c.is_empty());
                    let encoded = encode::encode_data_url(
                        &contents,
                        user_compression,
                        self.version.auto_compresses(),
                    );
                    file.contents.source = Some(encoded.source);
                    file.contents.compression = encoded.compression;
                    if file.mode.is_none() {
                        file.mode = Some(tree.file_mode.unwrap_or(default_mode));
                    }
                    if existing.is_none() {
                        file.user = user.clone();
                        file.group = group.clone();
                        self.map.add(
                            root().key("storage").key("files").index(index),
                            path.clone(),
                        );
                    }
                }
                TreeEntry::Symlink { relative, target } => {
                    let link_path = join(destination, &relative);
                    if out.directories.iter().any(|d| d.path == link_path)
                        || out.files.iter().any(|f| f.path == link_path)
                    {
                        self.node_conflict(path.clone());
                        continue;
                    }
                    match out.links.iter_mut().find(|l| l.path == link_path) {
                        Some(link) if link.target.is_none() => link.target = Some(target),
                        Some(_) => self.node_conflict(path.clone()),
                        None => {
                            self.map.add(
                                root().key("storage").key("links").index(out.links.len()),
                                path.clone(),
                            );
                            out.links.push(ign::Link {
                                group: group.clone(),
                                path: link_path,
                                user: user.clone(),
                                target: Some(target),
                                ..ign::Link::default()
                            });
                        }
                    }
                }
            }
        }
    }
}

/// `destination` + `/` + `relative`, cleaned of duplicate and trailing slashes.
fn join(destination: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = destination.split('/').filter(|p| !p.is_empty()).collect();
    parts.extend(relative.split('/').filter(|p| !p.is_empty()));
    format!("/{}", parts.join("/"))
}

fn node_exists(storage: &ign::Storage, path: &str) -> bool {
    storage.files.iter().any(|f| f.path == path)
        || storage.directories.iter().any(|d| d.path == path)
        || storage.links.iter().any(|l| l.path == path)
}

fn directory(directory: &b::Directory) -> ign::Directory {
    ign::Directory {
        group: owner_group(&directory.group),
        overwrite: directory.overwrite,
        path: directory.path.clone(),
        user: owner_user(&directory.user),
        mode: directory.mode,
    }
}

fn link(link: &b::Link) -> ign::Link {
    ign::Link {
        group: owner_group(&link.group),
        overwrite: link.overwrite,
        path: link.path.clone(),
        user: owner_user(&link.user),
        hard: link.hard,
        target: link.target.clone(),
    }
}

fn disk(disk: &b::Disk) -> ign::Disk {
    ign::Disk {
        device: disk.device.clone(),
        partitions: disk
            .partitions
            .iter()
            .map(|p| ign::Partition {
                guid: p.guid.clone(),
                label: p.label.clone(),
                number: p.number,
                resize: p.resize,
                should_exist: p.should_exist,
                size_mib: p.size_mib,
                start_mib: p.start_mib,
                type_guid: p.type_guid.clone(),
                wipe_partition_entry: p.wipe_partition_entry,
            })
            .collect(),
        wipe_table: disk.wipe_table,
    }
}

fn filesystem(filesystem: &b::Filesystem) -> ign::Filesystem {
    ign::Filesystem {
        device: filesystem.device.clone(),
        format: filesystem.format.clone(),
        label: filesystem.label.clone(),
        mount_options: filesystem.mount_options.clone(),
        options: filesystem.options.clone(),
        path: filesystem.path.clone(),
        uuid: filesystem.uuid.clone(),
        wipe_filesystem: filesystem.wipe_filesystem,
    }
}

fn raid(raid: &b::Raid) -> ign::Raid {
    ign::Raid {
        devices: raid.devices.clone(),
        level: raid.level.clone(),
        name: raid.name.clone(),
        options: raid.options.clone(),
        spares: raid.spares,
    }
}

fn clevis(clevis: &b::Clevis) -> ign::Clevis {
    ign::Clevis {
        custom: ign::ClevisCustom {
            config: clevis.custom.config.clone(),
            needs_network: clevis.custom.needs_network,
            pin: clevis.custom.pin.clone(),
        },
        tang: clevis.tang.iter().map(tang).collect(),
        threshold: clevis.threshold,
        tpm2: clevis.tpm2,
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins_tree_paths() {
        assert_eq!(join("/", ""), "/");
        assert_eq!(join("/", "a/b"), "/a/b");
        assert_eq!(join("/etc/", "x"), "/etc/x");
        assert_eq!(join("/etc", ""), "/etc");
    }
}
