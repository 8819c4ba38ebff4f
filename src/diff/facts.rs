//! Every config entry as an identity plus an ordered list of facts: the
//! attributes that matter to the node, with embedded contents decoded.
//! Two entries are equal when their facts are, so the encoding of a `data:`
//! URL (percent, base64, gzip) never shows up as a change.

use super::Kind;
use crate::ignition::model as ign;
use crate::inspect::content::{self, Origin};
use crate::inspect::listing::{decode, mode_string};

/// One attribute's value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Fact {
    /// A short value, shown inline.
    Value(String),
    /// Text shown as a unified diff when it changes (decoded file
    /// contents, unit contents, lists of keys).
    Text(String),
}

/// One entry of a config.
pub struct Entity {
    pub kind: Kind,
    pub key: String,
    pub facts: Vec<(String, Fact)>,
}

#[derive(Default)]
struct Facts(Vec<(String, Fact)>);

impl Facts {
    fn value(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_owned(), Fact::Value(value.into())));
    }

    fn opt<T: ToString>(&mut self, name: &str, value: Option<T>) {
        if let Some(value) = value {
            self.value(name, value.to_string());
        }
    }

    fn list(&mut self, name: &str, values: &[String]) {
        if !values.is_empty() {
            self.value(name, values.join(", "));
        }
    }

    fn lines(&mut self, name: &str, values: &[String]) {
        if !values.is_empty() {
            let mut text = values.join("\n");
            text.push('\n');
            self.0.push((name.to_owned(), Fact::Text(text)));
        }
    }

    fn text(&mut self, name: &str, text: Option<&String>) {
        if let Some(text) = text {
            self.0.push((name.to_owned(), Fact::Text(text.clone())));
        }
    }

    fn owner(&mut self, name: &str, owner: &ign::NodeOwner) {
        self.opt(&format!("{name}.id"), owner.id);
        self.opt(&format!("{name}.name"), owner.name.as_ref());
    }

    /// A resource: decoded contents for `data:` URLs (whatever their
    /// encoding), the URL and compression for remote ones.
    fn resource(&mut self, name: &str, resource: &ign::Resource) {
        let compression = resource.compression.as_deref().filter(|c| !c.is_empty());
        match (content::origin(resource), decode(resource)) {
            (Origin::Data(_), Some(Ok(bytes))) => match content::as_text(&bytes) {
                Some(text) => self.0.push((name.to_owned(), Fact::Text(text.to_owned()))),
                None => self.value(
                    name,
                    format!(
                        "binary, {} bytes, sha256 {}",
                        bytes.len(),
                        crate::digest::sha256_hex(&bytes)
                    ),
                ),
            },
            (Origin::Data(url), _) => {
                self.value(name, format!("undecodable {url}"));
                self.opt(&format!("{name}.compression"), compression);
            }
            (Origin::Remote { url, .. }, _) => {
                self.value(name, format!("remote {url}"));
                self.opt(&format!("{name}.compression"), compression);
            }
            (Origin::None, _) => self.opt(&format!("{name}.compression"), compression),
        }
        self.opt(
            &format!("{name}.verification"),
            resource.verification.hash.as_ref(),
        );
        let headers: Vec<String> = resource
            .http_headers
            .iter()
            .map(|h| format!("{}: {}", h.name, h.value.as_deref().unwrap_or("")))
            .collect();
        self.list(&format!("{name}.httpHeaders"), &headers);
    }
}

fn entity(kind: Kind, key: &str, facts: Facts) -> Entity {
    Entity {
        kind,
        key: key.to_owned(),
        facts: facts.0,
    }
}

/// Every entry of `config`, in a stable order (by kind, then as listed).
/// Facts carry Ignition's JSON names; `inspect::decompile` walks the same
/// fields to write Butane's, a different output, so a separate walk.
pub fn entities(config: &ign::Config) -> Vec<Entity> {
    let mut out = vec![ignition(&config.ignition)];
    for arg in &config.kernel_arguments.should_exist {
        let mut facts = Facts::default();
        facts.value("state", "should exist");
        out.push(entity(Kind::KernelArgument, arg, facts));
    }
    for arg in &config.kernel_arguments.should_not_exist {
        let mut facts = Facts::default();
        facts.value("state", "should not exist");
        out.push(entity(Kind::KernelArgument, arg, facts));
    }
    let storage = &config.storage;
    out.extend(storage.files.iter().map(file));
    out.extend(storage.directories.iter().map(|d| {
        let mut facts = Facts::default();
        node(&mut facts, &d.user, &d.group, d.overwrite);
        facts.opt("mode", mode_string(d.mode));
        entity(Kind::Directory, &d.path, facts)
    }));
    out.extend(storage.links.iter().map(|l| {
        let mut facts = Facts::default();
        node(&mut facts, &l.user, &l.group, l.overwrite);
        facts.opt("target", l.target.as_ref());
        facts.value("hard", l.hard.unwrap_or(false).to_string());
        entity(Kind::Link, &l.path, facts)
    }));
    out.extend(config.systemd.units.iter().map(unit));
    out.extend(config.passwd.users.iter().map(user));
    out.extend(config.passwd.groups.iter().map(|g| {
        let mut facts = Facts::default();
        facts.opt("gid", g.gid);
        facts.opt("passwordHash", g.password_hash.as_ref());
        facts.opt("system", g.system);
        facts.opt("shouldExist", g.should_exist);
        entity(Kind::Group, &g.name, facts)
    }));
    out.extend(storage.disks.iter().map(disk));
    out.extend(storage.raid.iter().map(|r| {
        let mut facts = Facts::default();
        facts.opt("level", r.level.as_ref());
        facts.list("devices", &r.devices);
        facts.opt("spares", r.spares);
        facts.list("options", &r.options);
        entity(Kind::Raid, &r.name, facts)
    }));
    out.extend(storage.luks.iter().map(luks));
    out.extend(storage.filesystems.iter().map(|f| {
        let mut facts = Facts::default();
        facts.opt("format", f.format.as_ref());
        facts.opt("path", f.path.as_ref());
        facts.opt("label", f.label.as_ref());
        facts.opt("uuid", f.uuid.as_ref());
        facts.opt("wipeFilesystem", f.wipe_filesystem);
        facts.list("options", &f.options);
        facts.list("mountOptions", &f.mount_options);
        entity(Kind::Filesystem, &f.device, facts)
    }));
    out
}

fn ignition(ignition: &ign::Ignition) -> Entity {
    let mut facts = Facts::default();
    facts.value("version", &ignition.version);
    for (index, merge) in ignition.config.merge.iter().enumerate() {
        facts.resource(&format!("config.merge.{index}"), merge);
    }
    if ignition.config.replace != ign::Resource::default() {
        facts.resource("config.replace", &ignition.config.replace);
    }
    for (index, ca) in ignition
        .security
        .tls
        .certificate_authorities
        .iter()
        .enumerate()
    {
        facts.resource(&format!("security.tls.certificateAuthorities.{index}"), ca);
    }
    facts.opt("proxy.httpProxy", ignition.proxy.http_proxy.as_ref());
    facts.opt("proxy.httpsProxy", ignition.proxy.https_proxy.as_ref());
    facts.list("proxy.noProxy", &ignition.proxy.no_proxy);
    facts.opt(
        "timeouts.httpResponseHeaders",
        ignition.timeouts.http_response_headers,
    );
    facts.opt("timeouts.httpTotal", ignition.timeouts.http_total);
    entity(Kind::Ignition, "settings", facts)
}

fn node(facts: &mut Facts, user: &ign::NodeOwner, group: &ign::NodeOwner, overwrite: Option<bool>) {
    facts.owner("user", user);
    facts.owner("group", group);
    facts.opt("overwrite", overwrite);
}

fn file(file: &ign::File) -> Entity {
    let mut facts = Facts::default();
    facts.opt("mode", mode_string(file.mode));
    node(&mut facts, &file.user, &file.group, file.overwrite);
    if file.contents != ign::Resource::default() {
        facts.resource("contents", &file.contents);
    }
    for (index, append) in file.append.iter().enumerate() {
        facts.resource(&format!("append.{index}"), append);
    }
    entity(Kind::File, &file.path, facts)
}

fn unit(unit: &ign::Unit) -> Entity {
    let mut facts = Facts::default();
    facts.opt("enabled", unit.enabled);
    facts.opt("mask", unit.mask);
    facts.text("contents", unit.contents.as_ref());
    for dropin in &unit.dropins {
        let name = format!("dropin {}", dropin.name);
        match &dropin.contents {
            Some(_) => facts.text(&name, dropin.contents.as_ref()),
            None => facts.value(&name, "(no contents)"),
        }
    }
    entity(Kind::Unit, &unit.name, facts)
}

fn user(user: &ign::PasswdUser) -> Entity {
    let mut facts = Facts::default();
    facts.opt("uid", user.uid);
    facts.opt("gecos", user.gecos.as_ref());
    facts.opt("homeDir", user.home_dir.as_ref());
    facts.opt("shell", user.shell.as_ref());
    facts.opt("primaryGroup", user.primary_group.as_ref());
    facts.list("groups", &user.groups);
    facts.opt("passwordHash", user.password_hash.as_ref());
    facts.lines("sshAuthorizedKeys", &user.ssh_authorized_keys);
    facts.opt("system", user.system);
    facts.opt("noCreateHome", user.no_create_home);
    facts.opt("noUserGroup", user.no_user_group);
    facts.opt("noLogInit", user.no_log_init);
    facts.opt("shouldExist", user.should_exist);
    entity(Kind::User, &user.name, facts)
}

fn disk(disk: &ign::Disk) -> Entity {
    let mut facts = Facts::default();
    facts.opt("wipeTable", disk.wipe_table);
    for (index, p) in disk.partitions.iter().enumerate() {
        let id = match (&p.label, p.number) {
            (Some(label), _) => format!("partition {label}"),
            (None, 0) => format!("partition #{index}"),
            (None, number) => format!("partition {number}"),
        };
        let field = |name: &str| format!("{id}.{name}");
        // Present even with all defaults, so adding one shows.
        facts.value(&id, "present");
        facts.opt(&field("number"), (p.number != 0).then_some(p.number));
        facts.opt(&field("sizeMiB"), p.size_mib);
        facts.opt(&field("startMiB"), p.start_mib);
        facts.opt(&field("typeGuid"), p.type_guid.as_ref());
        facts.opt(&field("guid"), p.guid.as_ref());
        facts.opt(&field("resize"), p.resize);
        facts.opt(&field("shouldExist"), p.should_exist);
        facts.opt(&field("wipePartitionEntry"), p.wipe_partition_entry);
    }
    entity(Kind::Disk, &disk.device, facts)
}

fn luks(luks: &ign::Luks) -> Entity {
    let mut facts = Facts::default();
    facts.opt("device", luks.device.as_ref());
    facts.opt("label", luks.label.as_ref());
    facts.opt("uuid", luks.uuid.as_ref());
    if luks.key_file != ign::Resource::default() {
        facts.resource("keyFile", &luks.key_file);
    }
    facts.list("options", &luks.options);
    facts.list("openOptions", &luks.open_options);
    facts.opt("discard", luks.discard);
    facts.opt("wipeVolume", luks.wipe_volume);
    facts.opt("cex.enabled", luks.cex.enabled);
    let clevis = &luks.clevis;
    facts.opt("clevis.tpm2", clevis.tpm2);
    facts.opt("clevis.threshold", clevis.threshold);
    let tang: Vec<String> = clevis
        .tang
        .iter()
        .map(|t| {
            let mut text = t.url.clone();
            if let Some(thumbprint) = &t.thumbprint {
                text.push_str(&format!(" thumbprint {thumbprint}"));
            }
            if let Some(advertisement) = &t.advertisement {
                text.push_str(&format!(" advertisement {advertisement}"));
            }
            text
        })
        .collect();
    facts.lines("clevis.tang", &tang);
    facts.opt("clevis.custom.pin", clevis.custom.pin.as_ref());
    facts.opt("clevis.custom.config", clevis.custom.config.as_ref());
    facts.opt("clevis.custom.needsNetwork", clevis.custom.needs_network);
    entity(Kind::Luks, &luks.name, facts)
}
