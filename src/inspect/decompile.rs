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

mod entries;

use thiserror::Error;

use super::content;
use super::listing::decode;
use super::yaml_emit::{self, Yaml};
use crate::ignition::model as ign;
use crate::ignition::spec::{self, Spec};
use entries::{disk, filesystem, passwd, raid, systemd};

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
        let mut map = node(
            &file.path,
            file.mode,
            &file.user,
            &file.group,
            file.overwrite,
        );
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

fn node(
    path: &str,
    mode: Option<i64>,
    user: &ign::NodeOwner,
    group: &ign::NodeOwner,
    overwrite: Option<bool>,
) -> Map {
    let mut map = Map::new();
    map.str("path", path);
    map.mode(mode);
    map.map("user", owner(user));
    map.map("group", owner(group));
    map.opt_bool("overwrite", overwrite);
    map
}

fn directory(directory: &ign::Directory) -> Map {
    node(
        &directory.path,
        directory.mode,
        &directory.user,
        &directory.group,
        directory.overwrite,
    )
}

fn link(link: &ign::Link) -> Map {
    let mut map = node(&link.path, None, &link.user, &link.group, link.overwrite);
    map.opt_str("target", link.target.as_ref());
    map.opt_bool("hard", link.hard);
    map
}

#[cfg(test)]
mod tests;
