//! One published build: every host's config as `build/.current` named it
//! at one instant, so a request sees one generation and never a mix of an
//! old and a new build.
//!
//! The build directory's layout is [`crate::write::generations`]':
//! `build/.current` links to `.gen-<n>`, which holds `manifest.json` and
//! each `<host>.ign`. The link is resolved once and everything is read
//! below it; the manifest's sha256 of each output is checked against the
//! bytes read, so a generation a build is still writing (it never is
//! published half-written, but a copy by hand could be) is refused.
//!
//! Each config is read once, to check and hash it, and then kept as an
//! open file rather than bytes: a thousand 100 KiB configs, twice while a
//! new build replaces the old, would be the server's whole memory budget
//! (`cargo bench --bench serve_load`). The open file stays that build's
//! bytes when a later build removes its generation (builds never write a
//! published file in place), and the page cache keeps it warm.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::header::HeaderValue;
use serde::Deserialize;
use thiserror::Error;

use super::HostInfo;
use super::mac::Mac;
use crate::digest::{sha256_hex, sha512_verification};

/// The link a build publishes its generation with.
pub const CURRENT: &str = ".current";
const MANIFEST: &str = "manifest.json";

/// A build this server cannot serve; the previous generation stays.
#[derive(Debug, Error)]
pub enum GenerationError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: not a kindling build manifest: {source}", path.display())]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: output of host {host} is {output:?}, not a file name in the build", path.display())]
    Output {
        path: PathBuf,
        host: String,
        output: String,
    },
    #[error("{}: sha256 differs from manifest.json's; the build was changed after it was published", path.display())]
    Digest { path: PathBuf },
    #[error("MAC {mac} belongs to both {first} and {second}; give each NIC to one host")]
    SharedMac {
        mac: Mac,
        first: String,
        second: String,
    },
}

#[derive(Deserialize)]
struct Manifest {
    hosts: BTreeMap<String, ManifestHost>,
}

#[derive(Deserialize)]
struct ManifestHost {
    output: String,
    sha256: String,
    ignition_version: String,
    secret: bool,
}

/// A host's built config as served.
#[derive(Debug)]
pub struct Config {
    /// The config's file in its generation, open.
    pub file: Arc<fs::File>,
    pub len: u64,
    /// `"sha256-<hex>"`, the `ETag` header every response of it carries.
    pub etag: HeaderValue,
    /// The config embeds decrypted secrets.
    pub secret: bool,
    pub ignition_version: String,
}

impl Config {
    /// `sha512-<hex>`, Ignition's `verification.hash` form, for a pointer
    /// config; computed when asked, not for every config at every reload
    /// (the server itself never needs it).
    pub fn sha512(&self) -> io::Result<String> {
        let len = usize::try_from(self.len).map_err(io::Error::other)?;
        let mut bytes = vec![0; len];
        std::os::unix::fs::FileExt::read_exact_at(&*self.file, &mut bytes, 0)?;
        Ok(sha512_verification(&bytes))
    }
}

/// A host as this generation knows it: its provisioning facts and, when
/// the build has one, its config.
#[derive(Debug)]
pub struct Host {
    pub info: HostInfo,
    pub config: Option<Config>,
}

/// One build, as served.
#[derive(Debug, Default)]
pub struct Generation {
    /// The directory `build/.current` named (`.gen-<n>`), or empty before
    /// any build.
    pub name: String,
    pub hosts: BTreeMap<String, Arc<Host>>,
    by_mac: HashMap<Mac, Arc<Host>>,
}

impl Generation {
    /// The host one of whose NICs is `mac`.
    pub fn by_mac(&self, mac: Mac) -> Option<&Arc<Host>> {
        self.by_mac.get(&mac)
    }

    /// Whether any config of this generation embeds a secret.
    pub fn any_secret(&self) -> bool {
        self.hosts
            .values()
            .any(|host| host.config.as_ref().is_some_and(|c| c.secret))
    }
}

/// Where `build/.current` points now (`None`: nothing published yet).
pub fn current(build: &Path) -> Option<PathBuf> {
    fs::read_link(build.join(CURRENT)).ok()
}

/// Reads the generation `build/.current` names, with `hosts`' facts.
pub fn load(build: &Path, hosts: &[HostInfo]) -> Result<Generation, GenerationError> {
    let mut mac_names: HashMap<Mac, String> = HashMap::new();
    for host in hosts {
        for mac in &host.macs {
            if let Some(first) = mac_names.insert(*mac, host.name.clone())
                && first != host.name
            {
                return Err(GenerationError::SharedMac {
                    mac: *mac,
                    first,
                    second: host.name.clone(),
                });
            }
        }
    }
    let mut generation = Generation::default();
    let mut configs = BTreeMap::new();
    if let Some(target) = current(build) {
        let dir = build.join(&target);
        generation.name = target.to_string_lossy().into_owned();
        configs = read_configs(&dir)?;
    }
    for info in hosts {
        let config = configs.remove(&info.name);
        generation.hosts.insert(
            info.name.clone(),
            Arc::new(Host {
                info: info.clone(),
                config,
            }),
        );
    }
    // Built hosts the fleet gives no provisioning facts still have a
    // config (a pointer config fetches it by name).
    for (name, config) in configs {
        generation.hosts.insert(
            name.clone(),
            Arc::new(Host {
                info: HostInfo::named(&name),
                config: Some(config),
            }),
        );
    }
    generation.by_mac = mac_names
        .into_iter()
        .filter_map(|(mac, name)| Some((mac, generation.hosts.get(&name)?.clone())))
        .collect();
    Ok(generation)
}

/// The entity tag of a body whose sha256 is `sha256_hex`: `"sha256-<hex>"`.
pub fn etag(sha256_hex: &str) -> HeaderValue {
    // Hex digits are always a valid header value; the empty tag is never
    // reached.
    HeaderValue::from_str(&format!("\"sha256-{sha256_hex}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn read(path: &Path) -> Result<Vec<u8>, GenerationError> {
    fs::read(path).map_err(|source| GenerationError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The file at `path`, open, and its bytes.
fn read_open(path: &Path) -> Result<(fs::File, Vec<u8>), GenerationError> {
    let error = |source| GenerationError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(error)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(error)?;
    Ok((file, bytes))
}

fn read_configs(dir: &Path) -> Result<BTreeMap<String, Config>, GenerationError> {
    let manifest_path = dir.join(MANIFEST);
    let manifest: Manifest = serde_json::from_slice(&read(&manifest_path)?).map_err(|source| {
        GenerationError::Manifest {
            path: manifest_path.clone(),
            source,
        }
    })?;
    let mut configs = BTreeMap::new();
    for (host, entry) in manifest.hosts {
        let plain = Path::new(&entry.output)
            .file_name()
            .is_some_and(|name| name == entry.output.as_str());
        if !plain || entry.output.starts_with('.') {
            return Err(GenerationError::Output {
                path: manifest_path,
                host,
                output: entry.output,
            });
        }
        let path = dir.join(&entry.output);
        let (file, bytes) = read_open(&path)?;
        let sha256 = sha256_hex(&bytes);
        if sha256 != entry.sha256 {
            return Err(GenerationError::Digest { path });
        }
        configs.insert(
            host,
            Config {
                file: Arc::new(file),
                len: bytes.len() as u64,
                etag: etag(&sha256),
                secret: entry.secret,
                ignition_version: entry.ignition_version,
            },
        );
    }
    Ok(configs)
}
