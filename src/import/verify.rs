//! Compiling the originals and checking the new fleet against them.
//!
//! A layout's hosts merge the `.ign` files other `.bu` files compile to
//! (`ignition.config.merge` with `local:`); Butane embeds them as `data:`
//! URLs. Both sides are compared *flattened*: every embedded merge applied
//! as Ignition applies it at boot ([`merge_configs`]), so a part merged at
//! boot and the same part included as a snippet compare equal when they
//! place the same things. Remote merges stay as they are on both sides.

use std::collections::BTreeMap;
use std::path::Path;

use crate::butane::{self, JsonStyle, files_dir::FilesDir};
use crate::dataurl::{self, MAX_DECODED_BYTES};
use crate::diff::{ConfigDiff, diff_configs};
use crate::fleet::{self, secrets::Identities};
use crate::ignition::merge::merge_configs;
use crate::ignition::model::Config;
use crate::source::parse_ignition;

use super::{AUTO_UPDATE_TIMER, HostImport};

/// Embedded merges nested deeper than this are left as they are.
const MAX_MERGE_DEPTH: usize = 8;

/// `config` with every embedded (`data:`) merge applied, in order.
pub fn flatten(config: Config) -> Config {
    flatten_at(config, 0)
}

fn flatten_at(mut config: Config, depth: usize) -> Config {
    if depth >= MAX_MERGE_DEPTH {
        return config;
    }
    let merges = std::mem::take(&mut config.ignition.config.merge);
    let mut out = config;
    for merge in merges {
        let child = merge
            .source
            .as_deref()
            .filter(|source| source.starts_with("data:"))
            .and_then(|source| {
                dataurl::decode_resource(source, merge.compression.as_deref(), MAX_DECODED_BYTES)
                    .ok()
            })
            .and_then(|bytes| parse_ignition(&bytes, "merged config").ok());
        match child {
            Some((child, _)) => out = merge_configs(out, flatten_at(child, depth + 1)),
            None => out.ignition.config.merge.push(merge),
        }
    }
    out
}

/// Compiles a `.bu` text with `local` files from `files_dir` and the
/// generated `.ign` files in `generated` (by the path the config names).
/// The compact JSON, or the first error as a one-line finding.
pub fn compile(
    text: &str,
    name: &str,
    files_dir: &FilesDir,
    generated: BTreeMap<String, Vec<u8>>,
) -> Result<(Config, Vec<u8>), String> {
    let options = butane::Options {
        files_dir: Some(files_dir.clone().with_generated(generated)),
        target: None,
        json: Some(JsonStyle::Compact),
        raw: false,
    };
    let outcome = butane::compile(text, name, &options);
    match outcome.config {
        Some(config) => {
            let json = outcome
                .json
                .unwrap_or_else(|| butane::to_json(&config, JsonStyle::Compact));
            Ok((config, json))
        }
        None => Err(outcome
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map_or_else(|| "the config has errors".to_owned(), |d| d.raw())),
    }
}

/// How a host of the new fleet compares with its original.
#[derive(Debug)]
pub enum Verdict {
    /// The same Ignition config, entry for entry.
    Identical,
    /// The same files, units, users, storage (`kindling diff` finds nothing).
    Equal,
    Differs(ConfigDiff),
    /// The new fleet does not compile this host: its first error.
    Failed(String),
}

impl Verdict {
    pub fn is_equal(&self) -> bool {
        matches!(self, Verdict::Identical | Verdict::Equal)
    }
}

/// Compiles the fleet at `root` (writing nothing) and compares each host
/// with its flattened original; the timer a host's services enable on
/// purpose ([`HostImport::adds_timer`]) is left out of the comparison.
pub fn verify(root: &Path, hosts: &[HostImport]) -> BTreeMap<String, Verdict> {
    let build = fleet::compile(&fleet::Options {
        root: root.to_path_buf(),
        hosts: Vec::new(),
        target: None,
        identities: Identities::none(),
        now: None,
        out: None,
    });
    let built: BTreeMap<&str, &Config> = build
        .outputs
        .iter()
        .map(|output| (output.name.as_str(), &output.config))
        .collect();
    let first_error = build
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .map(|d| d.raw());
    hosts
        .iter()
        .map(|import| {
            let (host, original) = (&import.name, &import.original);
            let verdict = match built.get(host.as_str()) {
                Some(config) => {
                    let mut new = flatten((*config).clone());
                    if import.adds_timer {
                        new.systemd.units.retain(|unit| {
                            unit.name != AUTO_UPDATE_TIMER
                                || original.systemd.units.iter().any(|u| u.name == unit.name)
                        });
                    }
                    if &new == original {
                        Verdict::Identical
                    } else {
                        let diff = diff_configs(original, &new);
                        if diff.is_empty() {
                            Verdict::Equal
                        } else {
                            Verdict::Differs(diff)
                        }
                    }
                }
                None => Verdict::Failed(
                    build
                        .failed_hosts
                        .get(host)
                        .cloned()
                        .or_else(|| first_error.clone())
                        .unwrap_or_else(|| "the host was not compiled".to_owned()),
                ),
            };
            (host.clone(), verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ignition::model::{File, Resource};

    #[test]
    fn embedded_merges_are_applied_and_remote_ones_kept() {
        let child = r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/b","mode":420}]},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k2"]}]}}"#;
        let mut parent = Config::default();
        parent.ignition.version = "3.4.0".to_owned();
        parent.storage.files.push(File {
            path: "/a".to_owned(),
            ..File::default()
        });
        parent
            .passwd
            .users
            .push(crate::ignition::model::PasswdUser {
                name: "core".to_owned(),
                ssh_authorized_keys: vec!["k1".to_owned()],
                ..Default::default()
            });
        parent.ignition.config.merge = vec![
            Resource {
                source: Some(dataurl::percent_url(child.as_bytes())),
                ..Resource::default()
            },
            Resource {
                source: Some("https://example.com/x.ign".to_owned()),
                ..Resource::default()
            },
        ];
        let flat = flatten(parent);
        let paths: Vec<&str> = flat.storage.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/b"]);
        assert_eq!(flat.passwd.users[0].ssh_authorized_keys, ["k1", "k2"]);
        assert_eq!(flat.ignition.config.merge.len(), 1);
        assert_eq!(flat.ignition.version, "3.4.0");
    }
}
