//! A build's outputs in its output directory: `<host>.ign` per host and
//! `manifest.json`, published together as one generation
//! ([`crate::write::generations`]), so readers see the whole previous build
//! or the whole new one, never a mix, whatever fails or kills the build.
//!
//! A full build publishes exactly its hosts (outputs of hosts that no
//! longer exist go); a build of named hosts keeps the other hosts' outputs
//! and manifest entries as they were and updates the named ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::HostOutput;
use crate::confine::{DATA_LIMIT, Exclusions, FleetRoot};
use crate::digest::sha256_hex;
use crate::secret::Secrets;
use crate::write::generations::{BuildDir, Content, Entry};
use crate::write::{Visibility, WriteError};

const MANIFEST: &str = "manifest.json";

/// `build/manifest.json`.
#[derive(Serialize, Deserialize)]
struct Manifest {
    generator: String,
    hosts: BTreeMap<String, HostEntry>,
}

#[derive(Serialize, Deserialize)]
struct HostEntry {
    output: String,
    sha256: String,
    ignition_version: String,
    secret: bool,
    /// Node paths of the files whose contents are secret: what `kindling
    /// inspect` of the output masks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    secret_files: Vec<String>,
    inputs: BTreeMap<String, String>,
}

/// `build/manifest.json` for `outputs`: the sha256 of every output and of
/// every input file that went into it. Deterministic: sorted keys, no
/// timestamps.
pub fn manifest_json(root: &Path, outputs: &[HostOutput]) -> Vec<u8> {
    manifest_bytes(&Manifest {
        generator: generator(),
        hosts: host_entries(root, outputs),
    })
}

/// Publishes `outputs` and the manifest into `out`. Call only for a build
/// without errors. With `all_hosts`, the outputs are the whole build;
/// otherwise the published build's other hosts are kept.
pub fn write(
    root: &Path,
    out: &Path,
    outputs: &[HostOutput],
    all_hosts: bool,
) -> Result<(), WriteError> {
    let mut dir = BuildDir::open(out)?;
    if dir.is_unpublished() {
        dir.adopt(&unpublished_outputs(out))?;
    }
    let mut hosts = host_entries(root, outputs);
    let mut kept = Vec::new();
    if !all_hosts && let Some(path) = dir.current_file(MANIFEST) {
        let previous = read_manifest(&path)?;
        for (name, entry) in previous.hosts {
            if let std::collections::btree_map::Entry::Vacant(slot) = hosts.entry(name) {
                kept.push(entry.output.clone());
                slot.insert(entry);
            }
        }
    }
    let manifest = manifest_bytes(&Manifest {
        generator: generator(),
        hosts,
    });
    let names: Vec<String> = outputs
        .iter()
        .map(|output| format!("{}.ign", output.name))
        .collect();
    let mut entries: Vec<Entry<'_>> = outputs
        .iter()
        .zip(&names)
        .map(|(output, name)| Entry {
            name,
            content: Content::Bytes(
                &output.json,
                if output.secrets.any() {
                    Visibility::Secret
                } else {
                    Visibility::Public
                },
            ),
        })
        .collect();
    entries.extend(kept.iter().map(|name| Entry {
        name,
        content: Content::Kept,
    }));
    entries.push(Entry {
        name: MANIFEST,
        content: Content::Bytes(&manifest, Visibility::Public),
    });
    dir.publish(&entries)
}

fn generator() -> String {
    format!("kindling {}", env!("CARGO_PKG_VERSION"))
}

fn manifest_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn host_entries(root: &Path, outputs: &[HostOutput]) -> BTreeMap<String, HostEntry> {
    // Most inputs (fleet.yaml, service definitions, templates, snippets)
    // are shared by many hosts: read and hash each file once, on every
    // core, through the same confinement as the build read them.
    let dir =
        FleetRoot::open(root, Exclusions::none()).unwrap_or_else(|_| FleetRoot::unopened(root));
    let distinct: BTreeSet<&str> = outputs
        .iter()
        .flat_map(|output| output.inputs.iter().map(String::as_str))
        .collect();
    let digests: HashMap<&str, String> = distinct
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|input| {
            let digest = dir
                .read(input, DATA_LIMIT)
                .map_or_else(|_| "unreadable".to_owned(), |b| sha256_hex(&b));
            (input, digest)
        })
        .collect();
    outputs
        .iter()
        .map(|output| {
            let inputs = output
                .inputs
                .iter()
                .map(|input| {
                    let digest = digests.get(input.as_str()).cloned().unwrap_or_default();
                    (input.clone(), digest)
                })
                .collect();
            (
                output.name.clone(),
                HostEntry {
                    output: format!("{}.ign", output.name),
                    sha256: output.sha256.clone(),
                    ignition_version: output.config.ignition.version.clone(),
                    secret: output.secrets.any(),
                    secret_files: output.secrets.files().map(str::to_owned).collect(),
                    inputs,
                },
            )
        })
        .collect()
}

/// The secret files of the published output at `path` (`build/<host>.ign`),
/// as its directory's `manifest.json` lists them; empty when `path` is not
/// a published output.
pub fn published_secrets(path: &Path) -> Secrets {
    let mut secrets = Secrets::default();
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return secrets;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(manifest) = read_manifest(&dir.join(MANIFEST)) else {
        return secrets;
    };
    for entry in manifest.hosts.values() {
        if std::ffi::OsStr::new(&entry.output) == name {
            for file in &entry.secret_files {
                secrets.mark_file(file.clone());
            }
        }
    }
    secrets
}

/// The published manifest, which a build of named hosts updates.
fn read_manifest(path: &Path) -> Result<Manifest, WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(error)?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot update it ({e}); build every host once to replace it"),
        ))
    })?;
    match manifest
        .hosts
        .values()
        .find(|entry| entry.output.contains('/') || !entry.output.ends_with(".ign"))
    {
        Some(entry) => Err(error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "names {:?} as an output; build every host once to replace it",
                entry.output
            ),
        ))),
        None => Ok(manifest),
    }
}

/// What a build before generations wrote into `out`: `manifest.json` and
/// the outputs it names.
fn unpublished_outputs(out: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    let mut names: Vec<String> = manifest
        .get("hosts")
        .and_then(|hosts| hosts.as_object())
        .map(|hosts| {
            hosts
                .values()
                .filter_map(|host| host.get("output")?.as_str().map(str::to_owned))
                .filter(|name| name.ends_with(".ign"))
                .collect()
        })
        .unwrap_or_default();
    names.push(MANIFEST.to_owned());
    names
}
