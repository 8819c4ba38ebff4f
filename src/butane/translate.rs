//! The translate stage: typed Butane → typed Ignition of the version's spec.
//!
//! Renames every key (snake_case → camelCase by construction of the two
//! models), desugars `inline`/`local` contents into data URLs (the encode
//! stage picks the encoding), reads `contents_local` and
//! `ssh_authorized_keys_local` and expands trees. The generated configs of
//! the sugar are merged afterwards by the caller (`sugar::apply`), on the
//! same `Translator`. Every emitted list entry and renamed field is
//! recorded in the translator's `TranslationMap` so later findings are
//! reported at their source.

mod storage;

use super::model as b;
use super::translator::Translator;
use super::version::Feature;
use crate::diag::{Code, DocPath};
use crate::encode;
use crate::ignition::model as ign;

/// Translates the user's `config` (the caller applies the sugar after it,
/// `sugar::apply`).
pub(crate) fn translate(translator: &mut Translator<'_>, config: &b::Config) -> ign::Config {
    translator.config(config)
}

fn root() -> DocPath {
    DocPath::root()
}

impl Translator<'_> {
    fn config(&mut self, config: &b::Config) -> ign::Config {
        ign::Config {
            ignition: self.ignition(&config.ignition),
            kernel_arguments: ign::KernelArguments {
                should_exist: config.kernel_arguments.should_exist.clone(),
                should_not_exist: config.kernel_arguments.should_not_exist.clone(),
            },
            passwd: self.passwd(&config.passwd),
            storage: self.storage(&config.storage),
            systemd: self.systemd(&config.systemd),
        }
    }

    fn ignition(&mut self, ignition: &b::Ignition) -> ign::Ignition {
        let config_path = root().key("ignition").key("config");
        let merge = ignition
            .config
            .merge
            .iter()
            .enumerate()
            .map(|(index, resource)| {
                let path = config_path.key("merge").index(index);
                self.resource(resource, &path, &path, false)
            })
            .collect();
        let replace_path = config_path.key("replace");
        let replace = self.resource(
            &ignition.config.replace,
            &replace_path,
            &replace_path,
            false,
        );
        let tls_path = root().key("ignition").key("security").key("tls");
        let certificate_authorities = ignition
            .security
            .tls
            .certificate_authorities
            .iter()
            .enumerate()
            .map(|(index, resource)| {
                let yaml = tls_path.key("certificate_authorities").index(index);
                let json = tls_path.key("certificateAuthorities").index(index);
                self.resource(resource, &yaml, &json, false)
            })
            .collect();
        ign::Ignition {
            config: ign::IgnitionConfig { merge, replace },
            proxy: ign::Proxy {
                http_proxy: ignition.proxy.http_proxy.clone(),
                https_proxy: ignition.proxy.https_proxy.clone(),
                no_proxy: ignition.proxy.no_proxy.clone(),
            },
            security: ign::Security {
                tls: ign::Tls {
                    certificate_authorities,
                },
            },
            timeouts: ign::Timeouts {
                http_response_headers: ignition.timeouts.http_response_headers,
                http_total: ignition.timeouts.http_total,
            },
            version: self.version.spec().as_str().to_owned(),
        }
    }

    /// Translates a resource at YAML path `yaml` to JSON path `json`.
    /// `file_content` marks a file's `contents`/`append`.
    pub(crate) fn resource(
        &mut self,
        resource: &b::Resource,
        yaml: &DocPath,
        json: &DocPath,
        file_content: bool,
    ) -> ign::Resource {
        let given: Vec<&str> = [
            ("local", resource.local.is_some()),
            ("inline", resource.inline.is_some()),
            ("source", resource.source.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        let mut out = ign::Resource {
            compression: resource.compression.clone(),
            http_headers: resource
                .http_headers
                .iter()
                .map(|header| ign::HttpHeader {
                    name: header.name.clone(),
                    value: header.value.clone(),
                })
                .collect(),
            source: resource.source.clone(),
            verification: ign::Verification {
                hash: resource.verification.hash.clone(),
            },
        };
        if let [_, .., last] = given.as_slice()
            && given.len() > 1
        {
            self.error(
                Code::ButaneExclusiveFields,
                yaml.key(last.to_string()),
                "only one of the following can be set: inline, local, source",
            );
            return out;
        }
        let (contents, from) = match (&resource.inline, &resource.local) {
            (Some(inline), _) => (Some(inline.clone()), "inline"),
            (None, Some(local)) => (self.read_local(local, &yaml.key("local")), "local"),
            (None, None) => (None, ""),
        };
        let Some(contents) = contents else {
            return out;
        };
        if file_content && !self.version.has(Feature::CompressedContents) {
            out.source = Some(encode::encode_plain_data_url(&contents));
        } else {
            let user = resource.compression.as_deref().filter(|c| !c.is_empty());
            let encoded = encode::encode_data_url(&contents, user, self.version.auto_compresses());
            out.source = Some(encoded.source);
            out.compression = encoded.compression;
            self.map.add(json.key("compression"), yaml.key(from));
        }
        self.map.add(json.key("source"), yaml.key(from));
        out
    }

    fn passwd(&mut self, passwd: &b::Passwd) -> ign::Passwd {
        let groups = passwd
            .groups
            .iter()
            .map(|group| ign::PasswdGroup {
                gid: group.gid,
                name: group.name.clone(),
                password_hash: group.password_hash.clone(),
                should_exist: group.should_exist,
                system: group.system,
            })
            .collect();
        let users = passwd
            .users
            .iter()
            .enumerate()
            .map(|(index, user)| self.user(user, &root().key("passwd").key("users").index(index)))
            .collect();
        ign::Passwd { groups, users }
    }

    fn user(&mut self, user: &b::PasswdUser, yaml: &DocPath) -> ign::PasswdUser {
        let mut keys = user.ssh_authorized_keys.clone();
        for (index, local) in user.ssh_authorized_keys_local.iter().enumerate() {
            let path = yaml.key("ssh_authorized_keys_local").index(index);
            if let Some(text) = self.read_local_text(local, &path) {
                let first = keys.len();
                keys.extend(
                    text.split('\n')
                        .map(|line| line.strip_suffix('\r').unwrap_or(line))
                        .filter(|line| !line.is_empty())
                        .map(str::to_owned),
                );
                for key_index in first..keys.len() {
                    self.map
                        .add(yaml.key("sshAuthorizedKeys").index(key_index), path.clone());
                }
            }
        }
        ign::PasswdUser {
            gecos: user.gecos.clone(),
            groups: user.groups.clone(),
            home_dir: user.home_dir.clone(),
            name: user.name.clone(),
            no_create_home: user.no_create_home,
            no_log_init: user.no_log_init,
            no_user_group: user.no_user_group,
            password_hash: user.password_hash.clone(),
            primary_group: user.primary_group.clone(),
            should_exist: user.should_exist,
            ssh_authorized_keys: keys,
            shell: user.shell.clone(),
            system: user.system,
            uid: user.uid,
        }
    }

    /// `contents` or the text of `contents_local`, refusing both.
    fn unit_contents(
        &mut self,
        contents: Option<&String>,
        contents_local: Option<&String>,
        yaml: &DocPath,
        json: &DocPath,
    ) -> Option<String> {
        match (contents, contents_local) {
            (Some(_), Some(_)) => {
                self.error(
                    Code::ButaneExclusiveFields,
                    yaml.key("contents_local"),
                    "only one of the following can be set: contents, contents_local",
                );
                None
            }
            (Some(text), None) => Some(text.clone()),
            (None, Some(local)) => {
                self.map
                    .add(json.key("contents"), yaml.key("contents_local"));
                self.read_local_text(local, &yaml.key("contents_local"))
            }
            (None, None) => None,
        }
    }

    fn systemd(&mut self, systemd: &b::Systemd) -> ign::Systemd {
        let mut units = Vec::with_capacity(systemd.units.len());
        for (index, unit) in systemd.units.iter().enumerate() {
            let path = root().key("systemd").key("units").index(index);
            self.map.add(path.clone(), path.clone());
            let contents = self.unit_contents(
                unit.contents.as_ref(),
                unit.contents_local.as_ref(),
                &path,
                &path,
            );
            let mut dropins = Vec::with_capacity(unit.dropins.len());
            for (dropin_index, dropin) in unit.dropins.iter().enumerate() {
                let dropin_path = path.key("dropins").index(dropin_index);
                let contents = self.unit_contents(
                    dropin.contents.as_ref(),
                    dropin.contents_local.as_ref(),
                    &dropin_path,
                    &dropin_path,
                );
                dropins.push(ign::Dropin {
                    contents,
                    name: dropin.name.clone(),
                });
            }
            units.push(ign::Unit {
                contents,
                dropins,
                enabled: unit.enabled,
                mask: unit.mask,
                name: unit.name.clone(),
            });
        }
        ign::Systemd { units }
    }
}

pub(crate) fn owner_user(user: &b::NodeUser) -> ign::NodeOwner {
    ign::NodeOwner {
        id: user.id,
        name: user.name.clone(),
    }
}

pub(crate) fn owner_group(group: &b::NodeGroup) -> ign::NodeOwner {
    ign::NodeOwner {
        id: group.id,
        name: group.name.clone(),
    }
}
