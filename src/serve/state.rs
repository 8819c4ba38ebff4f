//! Install state: which hosts fetched their config since they were last
//! armed. A host that did is installed, and `/ipxe` sends it to its local
//! disk, so a machine that PXE-boots first does not reinstall itself on
//! every boot. Re-arming (`kindling serve --rearm HOST`, which drops a file
//! named after the host into `build/.serve/rearm/`) makes it install again.
//!
//! Kept in `build/.serve/state.json`, written atomically; a change that
//! decides what a machine gets next (installed, served once) is written
//! before the response leaves, the rest (times, counts) within a second.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::write::{Visibility, WriteError, write_atomic};

/// The state directory under the build directory.
pub const STATE_DIR: &str = ".serve";
const STATE_FILE: &str = "state.json";
const REARM_DIR: &str = "rearm";

/// One host's record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostState {
    /// Fetched its config since it was last armed.
    pub installed: bool,
    /// Config fetches since it was last armed.
    pub fetches: u64,
    /// When its config was last served (seconds since the epoch).
    pub last_fetch: Option<u64>,
    /// Who fetched it.
    pub last_peer: Option<String>,
    /// When it last asked for its iPXE script.
    pub last_ipxe: Option<u64>,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    hosts: BTreeMap<String, HostState>,
}

/// What a config fetch may get.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetch {
    Serve,
    /// `--once` and the config was already served since arming.
    Gone,
}

/// The state of every host, shared by all requests.
pub struct InstallState {
    dir: PathBuf,
    hosts: Mutex<BTreeMap<String, HostState>>,
    dirty: AtomicBool,
    /// Held while a copy of `hosts` is taken and written, so two writers
    /// never finish in the wrong order (an older copy over a newer one).
    writing: Mutex<()>,
}

/// The directory of pending re-arm requests.
pub fn rearm_dir(build: &Path) -> PathBuf {
    build.join(STATE_DIR).join(REARM_DIR)
}

/// Asks the server (running now or started later) to re-arm `host`.
pub fn request_rearm(build: &Path, host: &str) -> Result<PathBuf, WriteError> {
    let dir = rearm_dir(build);
    fs::create_dir_all(&dir).map_err(|source| WriteError {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(host);
    write_atomic(&path, b"", Visibility::Public)?;
    Ok(path)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl InstallState {
    /// Reads `build/.serve/state.json` (absent: nothing installed yet).
    pub fn open(build: &Path) -> Result<InstallState, WriteError> {
        let dir = build.join(STATE_DIR);
        let path = dir.join(STATE_FILE);
        let hosts = match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice::<File>(&bytes)
                    .map_err(|e| WriteError {
                        path: path.clone(),
                        source: io::Error::new(io::ErrorKind::InvalidData, e),
                    })?
                    .hosts
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(WriteError { path, source }),
        };
        fs::create_dir_all(&dir).map_err(|source| WriteError {
            path: dir.clone(),
            source,
        })?;
        Ok(InstallState {
            dir,
            hosts: Mutex::new(hosts),
            dirty: AtomicBool::new(false),
            writing: Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, HostState>> {
        // A panic while holding the lock cannot leave a record half
        // updated (every update is one assignment), so poison is ignored.
        self.hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Everyone's record, for the status page.
    pub fn snapshot(&self) -> BTreeMap<String, HostState> {
        self.lock().clone()
    }

    pub fn installed(&self, host: &str) -> bool {
        self.lock().get(host).is_some_and(|s| s.installed)
    }

    pub fn note_ipxe(&self, host: &str) {
        self.lock().entry(host.to_owned()).or_default().last_ipxe = Some(now());
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Records a config fetch by `peer`; with `once`, a second fetch since
    /// arming is [`Fetch::Gone`]. Writes the file when the host's install
    /// state changes.
    pub fn fetch(&self, host: &str, peer: &str, once: bool) -> Result<Fetch, WriteError> {
        let (outcome, changed) = {
            let mut hosts = self.lock();
            let state = hosts.entry(host.to_owned()).or_default();
            if once && state.fetches > 0 {
                (Fetch::Gone, false)
            } else {
                let changed = !state.installed || once;
                state.installed = true;
                state.fetches += 1;
                state.last_fetch = Some(now());
                state.last_peer = Some(peer.to_owned());
                (Fetch::Serve, changed)
            }
        };
        if changed {
            self.persist()?;
        } else {
            self.dirty.store(true, Ordering::Relaxed);
        }
        Ok(outcome)
    }

    /// Applies the re-arm files waiting in the state directory and removes
    /// them; returns the hosts re-armed.
    pub fn apply_rearms(&self) -> Result<Vec<String>, WriteError> {
        let dir = self.dir.join(REARM_DIR);
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect();
        if names.is_empty() {
            return Ok(names);
        }
        names.sort();
        {
            let mut hosts = self.lock();
            for name in &names {
                let state = hosts.entry(name.clone()).or_default();
                state.installed = false;
                state.fetches = 0;
            }
        }
        self.persist()?;
        for name in &names {
            let _ = fs::remove_file(dir.join(name));
        }
        Ok(names)
    }

    /// Writes the file if anything changed since the last write.
    pub fn flush(&self) -> Result<(), WriteError> {
        if self.dirty.load(Ordering::Relaxed) {
            self.persist()?;
        }
        Ok(())
    }

    fn persist(&self) -> Result<(), WriteError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.dirty.store(false, Ordering::Relaxed);
        let bytes = {
            let file = File {
                hosts: self.lock().clone(),
            };
            let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
            bytes.push(b'\n');
            bytes
        };
        // Peers' addresses are no secret, but nobody else needs them.
        write_atomic(&self.dir.join(STATE_FILE), &bytes, Visibility::Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_and_rearms_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = InstallState::open(dir.path()).expect("open");
        assert!(!state.installed("beam00"));
        assert_eq!(
            state.fetch("beam00", "127.0.0.1", true).expect("fetch"),
            Fetch::Serve
        );
        assert_eq!(
            state.fetch("beam00", "127.0.0.1", true).expect("fetch"),
            Fetch::Gone
        );
        let again = InstallState::open(dir.path()).expect("reopen");
        assert!(again.installed("beam00"));
        assert_eq!(
            again.fetch("beam00", "10.0.0.9", true).expect("fetch"),
            Fetch::Gone
        );
        request_rearm(dir.path(), "beam00").expect("rearm");
        assert_eq!(again.apply_rearms().expect("apply"), ["beam00"]);
        assert!(!again.installed("beam00"));
        assert_eq!(
            again.fetch("beam00", "10.0.0.9", true).expect("fetch"),
            Fetch::Serve
        );
        assert!(again.apply_rearms().expect("apply").is_empty());
    }
}
