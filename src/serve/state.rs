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
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::write::{Visibility, WriteError, prepare_atomic};

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
    /// When its installed system last reported in (`POST /installed`).
    pub last_report: Option<u64>,
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
    /// Counts changes to `hosts` (bumped under its lock).
    changes: AtomicU64,
    /// Held while a copy of `hosts` is taken and written, so two writers
    /// never finish in the wrong order (an older copy over a newer one);
    /// holds the change count the file has. A change that must be written
    /// finds it written already when another writer took its copy later
    /// (a thousand machines installing at once cost a few writes, not a
    /// thousand).
    writing: Mutex<u64>,
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
    check_own(&build.join(STATE_DIR), Kind::Dir)?;
    check_own(&dir, Kind::Dir)?;
    let path = dir.join(host);
    // Renamed over the name itself: a symlink there is replaced, its
    // target never written.
    prepare_atomic(&path, b"", Visibility::Public)?.commit()?;
    Ok(path)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dir,
    File,
}

/// Refuses `path` unless it is absent or a `kind` of its own: through a
/// symlink the server would read, write or delete files outside the build
/// directory, and reading a FIFO would block its start.
fn check_own(path: &Path, kind: Kind) -> Result<(), WriteError> {
    let file_type = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(WriteError {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let own = match kind {
        Kind::Dir => file_type.is_dir(),
        Kind::File => file_type.is_file(),
    };
    if own {
        return Ok(());
    }
    let what = if file_type.is_symlink() {
        "a symlink"
    } else if kind == Kind::Dir {
        "not a directory"
    } else {
        "not a regular file"
    };
    Err(WriteError {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "is {what}; kindling serve keeps its install state only in a {} of its own: remove it",
                if kind == Kind::Dir {
                    "directory"
                } else {
                    "file"
                }
            ),
        ),
    })
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
        check_own(&dir, Kind::Dir)?;
        check_own(&dir.join(REARM_DIR), Kind::Dir)?;
        check_own(&path, Kind::File)?;
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
            changes: AtomicU64::new(0),
            writing: Mutex::new(0),
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

    /// Applies `change` to `host`'s record (created if need be); returns
    /// what it returned and the change's number.
    fn update<R>(&self, host: &str, change: impl FnOnce(&mut HostState) -> R) -> (R, u64) {
        let mut hosts = self.lock();
        let state = match hosts.get_mut(host) {
            Some(state) => state,
            None => hosts.entry(host.to_owned()).or_default(),
        };
        let outcome = change(state);
        (outcome, self.changes.fetch_add(1, Ordering::Relaxed) + 1)
    }

    pub fn note_ipxe(&self, host: &str) {
        self.update(host, |state| state.last_ipxe = Some(now()));
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Records a config fetch by `peer`; with `once`, a second fetch since
    /// arming is [`Fetch::Gone`]. With `decides` (what the host gets next
    /// depends on it), the file is written before this returns when the
    /// host's install state changed; else within the next flush.
    pub fn fetch(
        &self,
        host: &str,
        peer: IpAddr,
        once: bool,
        decides: bool,
    ) -> Result<Fetch, WriteError> {
        let ((outcome, changed), change) = self.update(host, |state| {
            if once && state.fetches > 0 {
                (Fetch::Gone, false)
            } else {
                let changed = !state.installed || once;
                state.installed = true;
                state.fetches += 1;
                state.last_fetch = Some(now());
                state.last_peer = Some(peer.to_string());
                (Fetch::Serve, changed)
            }
        });
        self.dirty.store(true, Ordering::Relaxed);
        if changed && decides {
            self.persist(change)?;
        }
        Ok(outcome)
    }

    /// Records that `host`'s installed system reported in from `peer`: it
    /// is installed. Written before this returns; returns whether it was
    /// not installed before.
    pub fn report_in(&self, host: &str, peer: IpAddr) -> Result<bool, WriteError> {
        let (newly, change) = self.update(host, |state| {
            let newly = !state.installed;
            state.installed = true;
            state.last_report = Some(now());
            state.last_peer = Some(peer.to_string());
            newly
        });
        self.dirty.store(true, Ordering::Relaxed);
        self.persist(change)?;
        Ok(newly)
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
        let change = {
            let mut hosts = self.lock();
            for name in &names {
                let state = hosts.entry(name.clone()).or_default();
                state.installed = false;
                state.fetches = 0;
            }
            self.changes.fetch_add(1, Ordering::Relaxed) + 1
        };
        self.persist(change)?;
        for name in &names {
            let _ = fs::remove_file(dir.join(name));
        }
        Ok(names)
    }

    /// Writes the file if anything changed since the last write.
    pub fn flush(&self) -> Result<(), WriteError> {
        if self.dirty.load(Ordering::Relaxed) {
            self.persist(self.changes.load(Ordering::Relaxed))?;
        }
        Ok(())
    }

    /// Writes the file unless it already holds change number `change`.
    fn persist(&self, change: u64) -> Result<(), WriteError> {
        let mut written = self
            .writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *written >= change {
            return Ok(());
        }
        self.dirty.store(false, Ordering::Relaxed);
        let (file, copied) = {
            let hosts = self.lock();
            let file = File {
                hosts: hosts.clone(),
            };
            (file, self.changes.load(Ordering::Relaxed))
        };
        let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        bytes.push(b'\n');
        // Peers' addresses are no secret, but nobody else needs them.
        // Renamed over the name itself, never written through a symlink.
        let written_now = prepare_atomic(&self.dir.join(STATE_FILE), &bytes, Visibility::Secret)
            .and_then(|prepared| prepared.commit());
        if written_now.is_err() {
            self.dirty.store(true, Ordering::Relaxed);
        } else {
            *written = copied;
        }
        written_now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> IpAddr {
        IpAddr::from([127, 0, 0, 1])
    }

    fn other() -> IpAddr {
        IpAddr::from([10, 0, 0, 9])
    }

    #[test]
    fn a_fetch_that_decides_nothing_is_written_at_the_next_flush() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = InstallState::open(dir.path()).expect("open");
        state
            .fetch("relay01", local(), false, false)
            .expect("fetch");
        assert!(state.installed("relay01"));
        assert!(
            !InstallState::open(dir.path())
                .expect("reopen")
                .installed("relay01")
        );
        state.flush().expect("flush");
        assert!(
            InstallState::open(dir.path())
                .expect("reopen")
                .installed("relay01")
        );
    }

    #[test]
    fn a_report_in_installs_at_once_and_again_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = InstallState::open(dir.path()).expect("open");
        assert!(state.report_in("beam00", other()).expect("report"));
        let again = InstallState::open(dir.path()).expect("reopen");
        assert!(again.installed("beam00"));
        assert!(!again.report_in("beam00", other()).expect("report"));
        let record = again.snapshot().remove("beam00").expect("record");
        assert_eq!(record.fetches, 0);
        assert!(record.last_report.is_some());
        assert_eq!(record.last_peer.as_deref(), Some("10.0.0.9"));
    }

    #[cfg(unix)]
    #[test]
    fn a_state_file_or_directory_that_is_not_its_own_is_refused_and_never_written_through() {
        let outside = tempfile::tempdir().expect("tempdir");
        let victim = outside.path().join("victim");
        fs::write(&victim, b"{\"hosts\":{}}").expect("victim");
        let dir = tempfile::tempdir().expect("tempdir");
        let state_dir = dir.path().join(STATE_DIR);
        fs::create_dir_all(&state_dir).expect("state dir");
        let state_file = state_dir.join(STATE_FILE);
        std::os::unix::fs::symlink(&victim, &state_file).expect("symlink");
        let error = InstallState::open(dir.path()).err().expect("refused");
        assert!(error.to_string().contains("symlink"), "{error}");
        fs::remove_file(&state_file).expect("unlink");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &state_file,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("fifo");
        assert!(InstallState::open(dir.path()).is_err());
        fs::remove_file(&state_file).expect("unlink");
        std::os::unix::fs::symlink(outside.path(), state_dir.join(REARM_DIR)).expect("symlink");
        fs::write(outside.path().join("beam00"), b"keep").expect("file");
        assert!(InstallState::open(dir.path()).is_err());
        assert!(request_rearm(dir.path(), "beam00").is_err());
        assert_eq!(
            fs::read(outside.path().join("beam00")).expect("kept"),
            b"keep"
        );
        fs::remove_file(state_dir.join(REARM_DIR)).expect("unlink");
        let state = InstallState::open(dir.path()).expect("open");
        std::os::unix::fs::symlink(&victim, &state_file).expect("symlink");
        state.report_in("beam00", local()).expect("report");
        assert_eq!(fs::read(&victim).expect("victim"), b"{\"hosts\":{}}");
        assert!(fs::symlink_metadata(&state_file).expect("state").is_file());
    }

    #[test]
    fn installs_once_and_rearms_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = InstallState::open(dir.path()).expect("open");
        assert!(!state.installed("beam00"));
        assert_eq!(
            state.fetch("beam00", local(), true, true).expect("fetch"),
            Fetch::Serve
        );
        assert_eq!(
            state.fetch("beam00", local(), true, true).expect("fetch"),
            Fetch::Gone
        );
        let again = InstallState::open(dir.path()).expect("reopen");
        assert!(again.installed("beam00"));
        assert_eq!(
            again.fetch("beam00", other(), true, true).expect("fetch"),
            Fetch::Gone
        );
        request_rearm(dir.path(), "beam00").expect("rearm");
        assert_eq!(again.apply_rearms().expect("apply"), ["beam00"]);
        assert!(!again.installed("beam00"));
        assert_eq!(
            again.fetch("beam00", other(), true, true).expect("fetch"),
            Fetch::Serve
        );
        assert!(again.apply_rearms().expect("apply").is_empty());
    }
}
