//! Ignition → Butane: an equivalent `fcos` config, for reading and editing.
//!
//! The Butane version is the one that emits the config's spec (3.0.0 →
//! 1.0.0, 3.1.0 → 1.1.0, 3.2.0 → 1.2.0, 3.3.0 → 1.4.0, 3.4.0 → 1.5.0, 3.5.0
//! → 1.6.0, 3.6.0 → 1.7.0, 3.7.0-experimental → 1.8.0-experimental), so
//! compiling the result gives back the same config (same nodes, decoded
//! contents, modes, owners, units, users, storage; the encoding of embedded
//! data may differ). Embedded contents that are text become `inline` (file
//! contents and appends always; other resources where the version has
//! `inline`); binary or undecodable data stays a `source: data:` URL with its
//! `compression`. Remote sources are kept as they are. Sugar is not
//! reconstructed: generated mount units, boot-device storage and the like
//! come out as the plain entries they compiled to.

use thiserror::Error;

use super::content;
use super::listing::decode;
use super::yaml_emit::{self, Yaml};
use crate::ignition::model as ign;
use crate::ignition::spec::{self, Spec};

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecompileError {
    #[error(
        "{path}: {what} needs Ignition spec {needs} or newer, but the config declares {declared}; \
         no Butane version can express it"
    )]
    NewerThanDeclared {
        path: String,
        what: String,
        needs: Spec,
        declared: Spec,
    },
}

/// The Butane `fcos` version that emits `spec`.
pub const fn butane_version(spec: Spec) -> &'static str {
    match spec {
        Spec::V3_0 => "1.0.0",
        Spec::V3_1 => "1.1.0",
        Spec::V3_2 => "1.2.0",
        Spec::V3_3 => "1.4.0",
        Spec::V3_4 => "1.5.0",
        Spec::V3_5 => "1.6.0",
        Spec::V3_6 => "1.7.0",
        Spec::V3_7Experimental => "1.8.0-experimental",
    }
}

/// Butane YAML equivalent to `config` (of spec `spec`).
pub fn decompile(config: &ign::Config, spec: Spec) -> Result<String, DecompileError> {
    if let Some(requirement) = spec::requirements(config)
        .into_iter()
        .find(|requirement| requirement.spec > spec)
    {
        return Err(DecompileError::NewerThanDeclared {
            path: requirement.path.to_string(),
            what: requirement.what,
            needs: requirement.spec,
            declared: spec,
        });
    }
    let d = Decompiler { spec };
    let mut root = Map::new();
    root.str("variant", "fcos");
    root.str("version", butane_version(spec));
    root.map("ignition", d.ignition(&config.ignition));
    let mut kargs = Map::new();
    kargs.strs("should_exist", &config.kernel_arguments.should_exist);
    kargs.strs(
        "should_not_exist",
        &config.kernel_arguments.should_not_exist,
    );
    root.map("kernel_arguments", kargs);
    root.map("passwd", passwd(&config.passwd));
    root.map("storage", d.storage(&config.storage));
    root.map("systemd", systemd(&config.systemd));
    Ok(yaml_emit::to_string(&root.into_yaml()))
}

/// An ordered mapping that drops absent and empty values.
#[derive(Default)]
struct Map(Vec<(String, Yaml)>);

impl Map {
    fn new() -> Self {
        Map::default()
    }

    fn put(&mut self, key: &str, value: Yaml) {
        self.0.push((key.to_owned(), value));
    }

    fn str(&mut self, key: &str, value: &str) {
        self.put(key, Yaml::str(value));
    }

    fn opt_str(&mut self, key: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn opt_int(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.put(key, Yaml::Int(value));
        }
    }

    fn opt_bool(&mut self, key: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.put(key, Yaml::Bool(value));
        }
    }

    fn mode(&mut self, value: Option<i64>) {
        if let Some(mode) = value {
            self.put("mode", Yaml::Mode(mode));
        }
    }

    fn strs(&mut self, key: &str, values: &[String]) {
        if !values.is_empty() {
            self.put(key, Yaml::Seq(values.iter().map(Yaml::str).collect()));
        }
    }

    fn map(&mut self, key: &str, value: Map) {
        if !value.0.is_empty() {
            self.put(key, value.into_yaml());
        }
    }

    fn seq(&mut self, key: &str, items: Vec<Map>) {
        if !items.is_empty() {
            self.put(
                key,
                Yaml::Seq(items.into_iter().map(Map::into_yaml).collect()),
            );
        }
    }

    fn into_yaml(self) -> Yaml {
        Yaml::Map(self.0)
    }
}

struct Decompiler {
    spec: Spec,
}

/// Where a resource sits, which decides whether `inline` exists there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    FileContents,
    Other,
}

impl Decompiler {
    fn resource(&self, resource: &ign::Resource, place: Place) -> Map {
        let mut map = Map::new();
        let inline_allowed = place == Place::FileContents || self.spec >= Spec::V3_1;
        let text = match decode(resource) {
            Some(Ok(bytes)) if inline_allowed => content::as_text(&bytes).map(str::to_owned),
            _ => None,
        };
        match text {
            Some(text) => map.str("inline", &text),
            None => {
                // Kept as written, including an explicit empty compression
                // (it stops a merge parent's compression from applying).
                map.opt_str("compression", resource.compression.as_ref());
                map.opt_str("source", resource.source.as_ref());
            }
        }
        let headers = resource
            .http_headers
            .iter()
            .map(|header| {
                let mut entry = Map::new();
                entry.str("name", &header.name);
                entry.opt_str("value", header.value.as_ref());
                entry
            })
            .collect();
        map.seq("http_headers", headers);
        let mut verification = Map::new();
        verification.opt_str("hash", resource.verification.hash.as_ref());
        map.map("verification", verification);
        map
    }

    fn ignition(&self, ignition: &ign::Ignition) -> Map {
        let mut map = Map::new();
        let mut config = Map::new();
        config.seq(
            "merge",
            ignition
                .config
                .merge
                .iter()
                .map(|r| self.resource(r, Place::Other))
                .collect(),
        );
        config.map(
            "replace",
            self.resource(&ignition.config.replace, Place::Other),
        );
        map.map("config", config);
        let mut proxy = Map::new();
        proxy.opt_str("http_proxy", ignition.proxy.http_proxy.as_ref());
        proxy.opt_str("https_proxy", ignition.proxy.https_proxy.as_ref());
        proxy.strs("no_proxy", &ignition.proxy.no_proxy);
        map.map("proxy", proxy);
        let mut tls = Map::new();
        tls.seq(
            "certificate_authorities",
            ignition
                .security
                .tls
                .certificate_authorities
                .iter()
                .map(|r| self.resource(r, Place::Other))
                .collect(),
        );
        let mut security = Map::new();
        security.map("tls", tls);
        map.map("security", security);
        let mut timeouts = Map::new();
        timeouts.opt_int(
            "http_response_headers",
            ignition.timeouts.http_response_headers,
        );
        timeouts.opt_int("http_total", ignition.timeouts.http_total);
        map.map("timeouts", timeouts);
        map
    }

    fn storage(&self, storage: &ign::Storage) -> Map {
        let mut map = Map::new();
        map.seq("disks", storage.disks.iter().map(disk).collect());
        map.seq("raid", storage.raid.iter().map(raid).collect());
        map.seq("luks", storage.luks.iter().map(|l| self.luks(l)).collect());
        map.seq(
            "filesystems",
            storage.filesystems.iter().map(filesystem).collect(),
        );
        map.seq(
            "files",
            storage.files.iter().map(|f| self.file(f)).collect(),
        );
        map.seq(
            "directories",
            storage.directories.iter().map(directory).collect(),
        );
        map.seq("links", storage.links.iter().map(link).collect());
        map
    }

    fn file(&self, file: &ign::File) -> Map {
        let mut map = node(&file.path, &file.user, &file.group, file.overwrite);
        map.map(
            "contents",
            self.resource(&file.contents, Place::FileContents),
        );
        map.seq(
            "append",
            file.append
                .iter()
                .map(|r| self.resource(r, Place::FileContents))
                .collect(),
        );
        map.mode(file.mode);
        map
    }

    fn luks(&self, luks: &ign::Luks) -> Map {
        let mut map = Map::new();
        map.str("name", &luks.name);
        map.opt_str("device", luks.device.as_ref());
        map.opt_str("label", luks.label.as_ref());
        map.opt_str("uuid", luks.uuid.as_ref());
        map.map("key_file", self.resource(&luks.key_file, Place::Other));
        map.strs("options", &luks.options);
        map.strs("open_options", &luks.open_options);
        map.opt_bool("discard", luks.discard);
        map.opt_bool("wipe_volume", luks.wipe_volume);
        let mut cex = Map::new();
        cex.opt_bool("enabled", luks.cex.enabled);
        map.map("cex", cex);
        let clevis = &luks.clevis;
        let mut clevis_map = Map::new();
        let mut custom = Map::new();
        custom.opt_str("config", clevis.custom.config.as_ref());
        custom.opt_bool("needs_network", clevis.custom.needs_network);
        custom.opt_str("pin", clevis.custom.pin.as_ref());
        clevis_map.map("custom", custom);
        let tang = clevis
            .tang
            .iter()
            .map(|tang| {
                let mut entry = Map::new();
                entry.str("url", &tang.url);
                entry.opt_str("thumbprint", tang.thumbprint.as_ref());
                entry.opt_str("advertisement", tang.advertisement.as_ref());
                entry
            })
            .collect();
        clevis_map.seq("tang", tang);
        clevis_map.opt_int("threshold", clevis.threshold);
        clevis_map.opt_bool("tpm2", clevis.tpm2);
        map.map("clevis", clevis_map);
        map
    }
}

fn owner(owner: &ign::NodeOwner) -> Map {
    let mut map = Map::new();
    map.opt_int("id", owner.id);
    map.opt_str("name", owner.name.as_ref());
    map
}

fn node(path: &str, user: &ign::NodeOwner, group: &ign::NodeOwner, overwrite: Option<bool>) -> Map {
    let mut map = Map::new();
    map.str("path", path);
    map.map("user", owner(user));
    map.map("group", owner(group));
    map.opt_bool("overwrite", overwrite);
    map
}

fn directory(directory: &ign::Directory) -> Map {
    let mut map = node(
        &directory.path,
        &directory.user,
        &directory.group,
        directory.overwrite,
    );
    map.mode(directory.mode);
    map
}

fn link(link: &ign::Link) -> Map {
    let mut map = node(&link.path, &link.user, &link.group, link.overwrite);
    map.opt_str("target", link.target.as_ref());
    map.opt_bool("hard", link.hard);
    map
}

fn disk(disk: &ign::Disk) -> Map {
    let mut map = Map::new();
    map.str("device", &disk.device);
    map.opt_bool("wipe_table", disk.wipe_table);
    let partitions = disk
        .partitions
        .iter()
        .map(|p| {
            let mut entry = Map::new();
            if p.number != 0 {
                entry.put("number", Yaml::Int(p.number));
            }
            entry.opt_str("label", p.label.as_ref());
            entry.opt_int("size_mib", p.size_mib);
            entry.opt_int("start_mib", p.start_mib);
            entry.opt_str("type_guid", p.type_guid.as_ref());
            entry.opt_str("guid", p.guid.as_ref());
            entry.opt_bool("resize", p.resize);
            entry.opt_bool("should_exist", p.should_exist);
            entry.opt_bool("wipe_partition_entry", p.wipe_partition_entry);
            entry
        })
        .collect();
    map.seq("partitions", partitions);
    map
}

fn raid(raid: &ign::Raid) -> Map {
    let mut map = Map::new();
    map.str("name", &raid.name);
    map.opt_str("level", raid.level.as_ref());
    map.strs("devices", &raid.devices);
    map.opt_int("spares", raid.spares);
    map.strs("options", &raid.options);
    map
}

fn filesystem(fs: &ign::Filesystem) -> Map {
    let mut map = Map::new();
    map.str("device", &fs.device);
    map.opt_str("format", fs.format.as_ref());
    map.opt_str("path", fs.path.as_ref());
    map.opt_str("label", fs.label.as_ref());
    map.opt_str("uuid", fs.uuid.as_ref());
    map.opt_bool("wipe_filesystem", fs.wipe_filesystem);
    map.strs("options", &fs.options);
    map.strs("mount_options", &fs.mount_options);
    map
}

fn passwd(passwd: &ign::Passwd) -> Map {
    let users = passwd
        .users
        .iter()
        .map(|user| {
            let mut map = Map::new();
            map.str("name", &user.name);
            map.opt_int("uid", user.uid);
            map.opt_str("gecos", user.gecos.as_ref());
            map.opt_str("home_dir", user.home_dir.as_ref());
            map.opt_bool("no_create_home", user.no_create_home);
            map.opt_str("primary_group", user.primary_group.as_ref());
            map.strs("groups", &user.groups);
            map.opt_bool("no_user_group", user.no_user_group);
            map.opt_bool("no_log_init", user.no_log_init);
            map.opt_str("shell", user.shell.as_ref());
            map.opt_bool("system", user.system);
            map.opt_bool("should_exist", user.should_exist);
            map.opt_str("password_hash", user.password_hash.as_ref());
            map.strs("ssh_authorized_keys", &user.ssh_authorized_keys);
            map
        })
        .collect();
    let groups = passwd
        .groups
        .iter()
        .map(|group| {
            let mut map = Map::new();
            map.str("name", &group.name);
            map.opt_int("gid", group.gid);
            map.opt_str("password_hash", group.password_hash.as_ref());
            map.opt_bool("system", group.system);
            map.opt_bool("should_exist", group.should_exist);
            map
        })
        .collect();
    let mut map = Map::new();
    map.seq("users", users);
    map.seq("groups", groups);
    map
}

fn systemd(systemd: &ign::Systemd) -> Map {
    let units = systemd
        .units
        .iter()
        .map(|unit| {
            let mut map = Map::new();
            map.str("name", &unit.name);
            map.opt_bool("enabled", unit.enabled);
            map.opt_bool("mask", unit.mask);
            map.opt_str("contents", unit.contents.as_ref());
            let dropins = unit
                .dropins
                .iter()
                .map(|dropin| {
                    let mut entry = Map::new();
                    entry.str("name", &dropin.name);
                    entry.opt_str("contents", dropin.contents.as_ref());
                    entry
                })
                .collect();
            map.seq("dropins", dropins);
            map
        })
        .collect();
    let mut map = Map::new();
    map.seq("units", units);
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::butane;
    use crate::diff::diff_configs;

    fn round_trip(json: &str) -> String {
        let config: ign::Config = serde_json::from_str(json).expect("parses");
        let spec = Spec::parse(&config.ignition.version).expect("known spec");
        let yaml = decompile(&config, spec).expect("decompiles");
        let outcome = butane::compile(&yaml, "decompiled.bu", &butane::Options::default());
        let Some(again) = outcome.config else {
            panic!("does not compile: {:?}\n{yaml}", outcome.diagnostics);
        };
        let diff = diff_configs(&config, &again);
        assert!(diff.is_empty(), "{diff}\n{yaml}");
        yaml
    }

    #[test]
    fn versions_follow_the_spec() {
        assert_eq!(butane_version(Spec::V3_3), "1.4.0");
        assert_eq!(butane_version(Spec::V3_7Experimental), "1.8.0-experimental");
    }

    #[test]
    fn text_becomes_inline_and_binary_stays_data() {
        let yaml = round_trip(
            r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[
              {"path":"/etc/motd","mode":420,"contents":{"compression":"","source":"data:,hello%0A"}},
              {"path":"/bin/blob","mode":493,"contents":{"compression":"","source":"data:;base64,AAEC/w=="}},
              {"path":"/etc/remote","contents":{"source":"https://example.com/x","compression":"gzip","verification":{"hash":"sha512-00"}}}]}}"#,
        );
        assert!(
            yaml.contains("        inline: |\n          hello\n"),
            "{yaml}"
        );
        assert!(yaml.contains("source: data:;base64,AAEC/w==\n"), "{yaml}");
        assert!(yaml.contains("mode: 0644"), "{yaml}");
        assert!(yaml.contains("version: \"1.5.0\""), "{yaml}");
    }

    #[test]
    fn spec_3_0_keeps_merge_sources() {
        let yaml = round_trip(
            r#"{"ignition":{"version":"3.0.0","config":{"merge":[{"source":"data:,%7B%7D"}]}},
              "storage":{"files":[{"path":"/a","contents":{"source":"data:,x"}, "append":[{"source":"data:,y"}]}]}}"#,
        );
        assert!(yaml.contains("version: \"1.0.0\""), "{yaml}");
        assert!(yaml.contains("- source: data:,%7B%7D\n"), "{yaml}");
        assert!(yaml.contains("inline: x\n"), "{yaml}");
        assert!(yaml.contains("- inline: \"y\"\n"), "{yaml}");
    }

    #[test]
    fn everything_else_round_trips() {
        round_trip(
            r#"{"ignition":{"version":"3.6.0","config":{"replace":{"compression":"","source":"data:,%7B%7D"}},
                "proxy":{"httpProxy":"http://p:3128","noProxy":["a","b"]},"timeouts":{"httpTotal":30}},
              "kernelArguments":{"shouldExist":["quiet","yes"],"shouldNotExist":["0644"]},
              "passwd":{"users":[{"name":"core","uid":1000,"groups":["wheel"],"sshAuthorizedKeys":["ssh-ed25519 AAA #x"],"shouldExist":true}],
                "groups":[{"name":"no","gid":900,"system":true}]},
              "storage":{"directories":[{"path":"/var/x","mode":448,"user":{"id":0},"overwrite":true}],
                "links":[{"path":"/etc/l","target":"/usr/x","hard":false,"group":{"name":"wheel"}}],
                "disks":[{"device":"/dev/vda","wipeTable":true,"partitions":[{"label":"root","number":4,"sizeMiB":8192,"resize":true}]}],
                "filesystems":[{"device":"/dev/mapper/var","format":"xfs","path":"/var","mountOptions":["noatime"],"wipeFilesystem":true}],
                "luks":[{"name":"var","device":"/dev/vdb","clevis":{"tpm2":true,"tang":[{"url":"http://t","thumbprint":"x"}],"threshold":1},"discard":true,"keyFile":{"compression":"","source":"data:,secret"}}],
                "raid":[{"name":"md0","level":"raid1","devices":["/dev/a","/dev/b"],"spares":1}]},
              "systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\nDescription= spaced  \n\n","dropins":[{"name":"10.conf","contents":"  [Service]\n"}]},{"name":"b.service","mask":true}]}}"#,
        );
    }

    #[test]
    fn fields_newer_than_the_declared_spec_are_refused() {
        let config: ign::Config = serde_json::from_str(
            r#"{"ignition":{"version":"3.0.0"},"kernelArguments":{"shouldExist":["quiet"]}}"#,
        )
        .expect("parses");
        let error = decompile(&config, Spec::V3_0).expect_err("kargs need 3.3.0");
        assert!(error.to_string().contains("$.kernelArguments"), "{error}");
    }
}
