//! Building a [`Listing`] from a config.

use super::*;
use crate::dataurl::DataUrlError;
use crate::diag::DocPath;
use crate::digest;
use crate::ignition::model as ign;
use crate::ignition::spec::Spec;
use crate::inspect::content::{self, HashCheck, Origin};

/// Octal mode text, as Butane writes it (`0644`).
pub fn mode_string(mode: Option<i64>) -> Option<String> {
    mode.map(crate::inspect::yaml_emit::mode_text)
}

fn owner(owner: &ign::NodeOwner) -> Option<OwnerInfo> {
    (owner.id.is_some() || owner.name.is_some()).then(|| OwnerInfo {
        id: owner.id,
        name: owner.name.clone(),
    })
}

/// Decodes a resource's contents (if embedded) into a [`Decoded`].
pub fn decode(resource: &ign::Resource) -> Option<Result<Vec<u8>, DataUrlError>> {
    match content::origin(resource) {
        Origin::Data(url) => Some(content::decode_data(url, resource.compression.as_deref())),
        Origin::None | Origin::Remote { .. } => None,
    }
}

fn describe_bytes(bytes: &[u8]) -> Decoded {
    let sha256 = digest::sha256_hex(bytes);
    match content::as_text(bytes) {
        Some(text) => Decoded::Text {
            size: bytes.len(),
            sha256,
            text: text.to_owned(),
        },
        None => Decoded::Binary {
            size: bytes.len(),
            sha256,
            head_hex: digest::hex(bytes.get(..HEAD_BYTES).unwrap_or(bytes)),
        },
    }
}

struct Builder {
    problems: Vec<Problem>,
}

impl Builder {
    fn content(&mut self, resource: &ign::Resource, path: DocPath) -> ContentInfo {
        let source = match content::origin(resource) {
            Origin::None => SourceInfo::None,
            Origin::Data(_) => SourceInfo::Data,
            Origin::Remote { scheme, url } => SourceInfo::Remote {
                scheme,
                url: url.to_owned(),
            },
        };
        let mut verification_check = None;
        let decoded = decode(resource).map(|result| match result {
            Ok(bytes) => {
                if let Some(hash) = &resource.verification.hash {
                    let check = content::check_hash(hash, &bytes);
                    if check != HashCheck::Matches {
                        self.problems.push(Problem {
                            json_path: path.key("verification").key("hash"),
                            message: match &check {
                                HashCheck::Mismatch { actual } => {
                                    format!(
                                        "verification hash does not match the contents ({actual})"
                                    )
                                }
                                _ => "verification hash is not sha512-<hex> or sha256-<hex>"
                                    .to_owned(),
                            },
                        });
                    }
                    verification_check = Some(check);
                }
                describe_bytes(&bytes)
            }
            Err(error) => {
                self.problems.push(Problem {
                    json_path: path.key("source"),
                    message: error.to_string(),
                });
                Decoded::Error {
                    message: error.to_string(),
                }
            }
        });
        ContentInfo {
            json_path: path,
            source,
            compression: resource.compression.clone(),
            http_header_names: resource
                .http_headers
                .iter()
                .map(|h| h.name.clone())
                .collect(),
            verification: resource.verification.hash.clone(),
            verification_check,
            decoded,
        }
    }

    fn optional_content(&mut self, resource: &ign::Resource, path: DocPath) -> Option<ContentInfo> {
        (*resource != ign::Resource::default()).then(|| self.content(resource, path))
    }
}

/// Lists `config` (of spec `spec`), decoding every embedded resource.
pub fn list(config: &ign::Config, spec: Spec) -> Listing {
    let mut builder = Builder {
        problems: Vec::new(),
    };
    let ignition_path = DocPath::root().key("ignition");
    let config_path = ignition_path.key("config");
    let ignition = &config.ignition;
    let merge = ignition
        .config
        .merge
        .iter()
        .enumerate()
        .map(|(index, resource)| builder.content(resource, config_path.key("merge").index(index)))
        .collect();
    let replace = builder.optional_content(&ignition.config.replace, config_path.key("replace"));
    let ca_path = ignition_path
        .key("security")
        .key("tls")
        .key("certificateAuthorities");
    let certificate_authorities = ignition
        .security
        .tls
        .certificate_authorities
        .iter()
        .enumerate()
        .map(|(index, resource)| builder.content(resource, ca_path.index(index)))
        .collect();
    let storage = DocPath::root().key("storage");
    let files = config
        .storage
        .files
        .iter()
        .enumerate()
        .map(|(index, file)| {
            let path = storage.key("files").index(index);
            FileInfo {
                path: file.path.clone(),
                mode: mode_string(file.mode),
                user: owner(&file.user),
                group: owner(&file.group),
                overwrite: file.overwrite,
                contents: builder.optional_content(&file.contents, path.key("contents")),
                append: file
                    .append
                    .iter()
                    .enumerate()
                    .map(|(i, resource)| builder.content(resource, path.key("append").index(i)))
                    .collect(),
            }
        })
        .collect();
    let luks = config
        .storage
        .luks
        .iter()
        .enumerate()
        .map(|(index, luks)| {
            let path = storage.key("luks").index(index).key("keyFile");
            luks_info(luks, builder.optional_content(&luks.key_file, path))
        })
        .collect();
    Listing {
        format: FORMAT,
        spec: spec.as_str().to_owned(),
        ignition: IgnitionInfo {
            merge,
            replace,
            certificate_authorities,
            http_proxy: ignition.proxy.http_proxy.clone(),
            https_proxy: ignition.proxy.https_proxy.clone(),
            no_proxy: ignition.proxy.no_proxy.clone(),
            http_response_headers_timeout: ignition.timeouts.http_response_headers,
            http_total_timeout: ignition.timeouts.http_total,
        },
        kernel_arguments: KernelArgumentsInfo {
            should_exist: config.kernel_arguments.should_exist.clone(),
            should_not_exist: config.kernel_arguments.should_not_exist.clone(),
        },
        files,
        directories: config
            .storage
            .directories
            .iter()
            .map(directory_info)
            .collect(),
        links: config.storage.links.iter().map(link_info).collect(),
        units: config.systemd.units.iter().map(unit_info).collect(),
        users: config.passwd.users.iter().map(user_info).collect(),
        groups: config.passwd.groups.iter().map(group_info).collect(),
        disks: config.storage.disks.iter().map(disk_info).collect(),
        filesystems: config
            .storage
            .filesystems
            .iter()
            .map(filesystem_info)
            .collect(),
        luks,
        raid: config.storage.raid.iter().map(raid_info).collect(),
        problems: builder.problems,
    }
}

fn directory_info(directory: &ign::Directory) -> DirectoryInfo {
    DirectoryInfo {
        path: directory.path.clone(),
        mode: mode_string(directory.mode),
        user: owner(&directory.user),
        group: owner(&directory.group),
        overwrite: directory.overwrite,
    }
}

fn link_info(link: &ign::Link) -> LinkInfo {
    LinkInfo {
        path: link.path.clone(),
        target: link.target.clone(),
        hard: link.hard.unwrap_or(false),
        user: owner(&link.user),
        group: owner(&link.group),
        overwrite: link.overwrite,
    }
}

fn unit_info(unit: &ign::Unit) -> UnitInfo {
    UnitInfo {
        name: unit.name.clone(),
        enabled: unit.enabled,
        mask: unit.mask,
        contents: unit.contents.clone(),
        dropins: unit
            .dropins
            .iter()
            .map(|dropin| DropinInfo {
                name: dropin.name.clone(),
                contents: dropin.contents.clone(),
            })
            .collect(),
    }
}

fn user_info(user: &ign::PasswdUser) -> UserInfo {
    UserInfo {
        name: user.name.clone(),
        uid: user.uid,
        gecos: user.gecos.clone(),
        home_dir: user.home_dir.clone(),
        shell: user.shell.clone(),
        primary_group: user.primary_group.clone(),
        groups: user.groups.clone(),
        password_hash: user.password_hash.clone(),
        ssh_authorized_keys: user.ssh_authorized_keys.clone(),
        system: user.system,
        no_create_home: user.no_create_home,
        no_user_group: user.no_user_group,
        no_log_init: user.no_log_init,
        should_exist: user.should_exist,
    }
}

fn group_info(group: &ign::PasswdGroup) -> GroupInfo {
    GroupInfo {
        name: group.name.clone(),
        gid: group.gid,
        password_hash: group.password_hash.clone(),
        system: group.system,
        should_exist: group.should_exist,
    }
}

fn disk_info(disk: &ign::Disk) -> DiskInfo {
    DiskInfo {
        device: disk.device.clone(),
        wipe_table: disk.wipe_table,
        partitions: disk
            .partitions
            .iter()
            .map(|p| PartitionInfo {
                number: (p.number != 0).then_some(p.number),
                label: p.label.clone(),
                size_mib: p.size_mib,
                start_mib: p.start_mib,
                type_guid: p.type_guid.clone(),
                guid: p.guid.clone(),
                resize: p.resize,
                should_exist: p.should_exist,
                wipe_partition_entry: p.wipe_partition_entry,
            })
            .collect(),
    }
}

fn filesystem_info(fs: &ign::Filesystem) -> FilesystemInfo {
    FilesystemInfo {
        device: fs.device.clone(),
        format: fs.format.clone(),
        path: fs.path.clone(),
        label: fs.label.clone(),
        uuid: fs.uuid.clone(),
        options: fs.options.clone(),
        mount_options: fs.mount_options.clone(),
        wipe_filesystem: fs.wipe_filesystem,
    }
}

fn luks_info(luks: &ign::Luks, key_file: Option<ContentInfo>) -> LuksInfo {
    LuksInfo {
        name: luks.name.clone(),
        device: luks.device.clone(),
        label: luks.label.clone(),
        uuid: luks.uuid.clone(),
        key_file,
        options: luks.options.clone(),
        open_options: luks.open_options.clone(),
        discard: luks.discard,
        wipe_volume: luks.wipe_volume,
        cex: luks.cex.enabled,
        tpm2: luks.clevis.tpm2,
        tang: luks
            .clevis
            .tang
            .iter()
            .map(|tang| TangInfo {
                url: tang.url.clone(),
                thumbprint: tang.thumbprint.clone(),
                advertisement: tang.advertisement.clone(),
            })
            .collect(),
        threshold: luks.clevis.threshold,
        custom_pin: luks.clevis.custom.pin.clone(),
        custom_config: luks.clevis.custom.config.clone(),
        custom_needs_network: luks.clevis.custom.needs_network,
    }
}

fn raid_info(raid: &ign::Raid) -> RaidInfo {
    RaidInfo {
        name: raid.name.clone(),
        level: raid.level.clone(),
        devices: raid.devices.clone(),
        spares: raid.spares,
        options: raid.options.clone(),
    }
}

#[cfg(test)]
mod tests;
