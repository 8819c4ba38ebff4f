//! Applying an Ignition config with the real Ignition (Debian's 2.14), no VM.
//!
//! [`apply`] builds a scratch root under cargo's target tmp directory
//! (account files from `tests/e2e/root-skeleton/`, a `core` user with home
//! `/var/home/core`, `/home -> var/home`, the groups configs commonly name),
//! then runs `ignition -platform file` stages `fetch-offline` and `files` as
//! PID 1's children of a private mount+PID namespace (`ignition-apply.sh`):
//! `/` and every other mount read-only, only the scratch directory writable,
//! a private tmpfs on `/run` where the systemd D-Bus stand-in listens on
//! `/run/systemd/private` (Ignition asks systemd's version when it enables a
//! template instance such as `getty@ttyS1.service`). When the namespace's
//! first process exits, the kernel kills anything left in it.
//!
//! [`AppliedTree`] answers what a test asks about the result; paths are the
//! guest's absolute paths (`/etc/hello`). [`AppliedTree::manifest`] is a
//! normalized view (varying files dropped, shadow dates blanked, preset lines
//! sorted) for comparing two applied configs, e.g. kindling's and Butane's.
//!
//! Requires root, unshare, the real Ignition and python3 (see
//! [`super::tools::VALIDATE_AND_APPLY_TOOLS`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::tools::{self, Tool};

const APPLY_SCRIPT: &str = include_str!("ignition-apply.sh");
const DBUS_STANDIN: &str = include_str!("systemd-dbus-standin.py");
const SETFILES: &str = "#!/bin/sh\n# Debian's Ignition always relabels; nothing to label here.\ncat >/dev/null\nexit 0\n";

/// The scratch root's account files: (path in the root, contents, mode).
pub const SKELETON: &[(&str, &str, u32)] = &[
    (
        "etc/passwd",
        include_str!("../../e2e/root-skeleton/etc/passwd"),
        0o644,
    ),
    (
        "etc/group",
        include_str!("../../e2e/root-skeleton/etc/group"),
        0o644,
    ),
    (
        "etc/shadow",
        include_str!("../../e2e/root-skeleton/etc/shadow"),
        0o600,
    ),
    (
        "etc/gshadow",
        include_str!("../../e2e/root-skeleton/etc/gshadow"),
        0o600,
    ),
    (
        "etc/login.defs",
        include_str!("../../e2e/root-skeleton/etc/login.defs"),
        0o644,
    ),
    (
        "etc/selinux/config",
        include_str!("../../e2e/root-skeleton/etc/selinux/config"),
        0o644,
    ),
];

/// Files that differ on every run: left out of [`AppliedTree::manifest`].
pub const VARYING: &[&str] = &["/etc/.ignition-result.json", "/etc/.pwd.lock"];

/// Where Ignition records enablement.
pub const PRESET_FILE: &str = "/etc/systemd/system-preset/20-ignition.preset";

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Run the systemd D-Bus stand-in on /run/systemd/private.
    pub dbus_standin: bool,
    /// Kill the namespace after this long.
    pub timeout: Duration,
    /// Accounts the OS image provides beyond the skeleton (Fedora CoreOS
    /// ships system users such as `dnsmasq` in its image), as
    /// `(passwd line, group line)`; added to the root before Ignition runs.
    pub image_accounts: Vec<(String, String)>,
    /// Make the root read-only except `/etc` and `/var`, as the composefs
    /// root of Fedora CoreOS is while Ignition runs.
    pub composefs_root: bool,
    /// Mount points of the config's `storage.filesystems`: a scratch
    /// directory ([`AppliedTree::disk`]) is mounted at each before the
    /// files stage, standing in for the disk Ignition's mount stage mounts.
    pub filesystems: Vec<String>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            dbus_standin: true,
            timeout: Duration::from_secs(120),
            image_accounts: Vec::new(),
            composefs_root: false,
            filesystems: Vec::new(),
        }
    }
}

/// The Ignition stage that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    FetchOffline,
    /// Creating a mount point of `storage.filesystems` (see
    /// [`ApplyOptions::filesystems`]).
    Mount,
    Files,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::FetchOffline => "fetch-offline",
            Stage::Mount => "mount",
            Stage::Files => "files",
        })
    }
}

/// Why [`apply`] gave no tree.
#[derive(Debug)]
pub enum ApplyError {
    /// A tool is missing or we are not root.
    Unavailable(String),
    /// The scratch root or the namespace could not be set up.
    Setup(String),
    /// The real Ignition rejected the config; `log` is Ignition's own log.
    Rejected { stage: Stage, log: String },
    /// Ignition did not finish in time (its log so far).
    TimedOut { log: String },
}

impl ApplyError {
    /// Ignition's log (or the setup message).
    pub fn log(&self) -> &str {
        match self {
            ApplyError::Unavailable(m) | ApplyError::Setup(m) => m,
            ApplyError::Rejected { log, .. } | ApplyError::TimedOut { log } => log,
        }
    }

    /// The lines of Ignition's log marked CRITICAL or ERROR.
    pub fn critical_lines(&self) -> Vec<&str> {
        self.log()
            .lines()
            .filter(|l| l.starts_with("CRITICAL") || l.starts_with("ERROR"))
            .collect()
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Unavailable(m) => write!(f, "cannot run the real Ignition: {m}"),
            ApplyError::Setup(m) => write!(f, "setting up the Ignition run failed: {m}"),
            ApplyError::Rejected { stage, log } => {
                write!(f, "Ignition's {stage} stage failed; its log:\n{log}")
            }
            ApplyError::TimedOut { log } => write!(f, "Ignition timed out; its log:\n{log}"),
        }
    }
}

impl std::error::Error for ApplyError {}

fn setup(what: impl fmt::Display) -> impl FnOnce(io::Error) -> ApplyError {
    let what = what.to_string();
    move |e| ApplyError::Setup(format!("{what}: {e}"))
}

/// Runs `ignition-validate CONFIG`: `Err` carries its message.
pub fn validate(config: &Path) -> Result<(), String> {
    validate_output(config).map(|_| ())
}

/// Like [`validate`], returning what ignition-validate printed on success
/// (its warnings).
pub fn validate_output(config: &Path) -> Result<String, String> {
    let tool = Tool::IgnitionValidate.locate()?;
    let out = Command::new(tool)
        .arg(config)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running ignition-validate: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// Applies `config` with the real Ignition to a fresh scratch root.
pub fn apply(config: &Path) -> Result<AppliedTree, ApplyError> {
    apply_with(config, &ApplyOptions::default())
}

/// [`apply`] with options.
pub fn apply_with(config: &Path, opts: &ApplyOptions) -> Result<AppliedTree, ApplyError> {
    if !tools::is_root() {
        return Err(ApplyError::Unavailable("not running as root".into()));
    }
    let ignition = Tool::Ignition.locate().map_err(ApplyError::Unavailable)?;
    let unshare = Tool::Unshare.locate().map_err(ApplyError::Unavailable)?;
    let python = if opts.dbus_standin {
        Some(Tool::Python3.locate().map_err(ApplyError::Unavailable)?)
    } else {
        None
    };
    let scratch = tempfile::Builder::new()
        .prefix("ignition-apply-")
        .tempdir_in(tools::shared_scratch_parent())
        .map_err(setup("creating the scratch directory"))?;
    let dir = scratch.path().to_path_buf();
    prepare_scratch(&dir, config, &opts.image_accounts)?;

    let log_path = dir.join("apply.log");
    let log_file = fs::File::create(&log_path).map_err(setup("creating apply.log"))?;
    let log_err = log_file.try_clone().map_err(setup("cloning apply.log"))?;
    let mut cmd = Command::new(unshare);
    cmd.args([
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--propagation",
        "private",
        "bash",
    ])
    .arg(dir.join("ignition-apply.sh"))
    .arg(&dir)
    .arg(&ignition);
    if let Some(python) = &python {
        cmd.arg(python);
    }
    if opts.composefs_root {
        cmd.env("KINDLING_COMPOSEFS_ROOT", "1");
    }
    cmd.env("KINDLING_FILESYSTEMS", opts.filesystems.join("\n"));
    cmd.stdin(Stdio::null()).stdout(log_file).stderr(log_err);
    let mut child = cmd.spawn().map_err(setup("starting unshare"))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ApplyError::Setup(format!("waiting for unshare: {e}")));
            }
        }
    };
    let elapsed = start.elapsed();
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    let keep = tools::keep_scratch();
    let result = match status.and_then(|s| s.code()) {
        Some(0) => {
            let (scratch, dir) = if keep {
                eprintln!("kept scratch root: {}", dir.display());
                (None, scratch.keep())
            } else {
                (Some(scratch), dir)
            };
            return Ok(AppliedTree {
                root: dir.join("root"),
                _scratch: scratch,
                log,
                elapsed,
            });
        }
        Some(10) => ApplyError::Rejected {
            stage: Stage::FetchOffline,
            log,
        },
        Some(11) => ApplyError::Rejected {
            stage: Stage::Files,
            log,
        },
        Some(12) => ApplyError::Rejected {
            stage: Stage::Mount,
            log,
        },
        _ if status.is_none() => ApplyError::TimedOut { log },
        _ => ApplyError::Setup(format!("ignition-apply.sh ended with {status:?}:\n{log}")),
    };
    if keep {
        eprintln!("kept scratch root: {}", scratch.keep().display());
    }
    Err(result)
}

fn write_mode(path: &Path, contents: &str, mode: u32) -> Result<(), ApplyError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(setup(format!("creating {}", parent.display())))?;
    }
    fs::write(path, contents).map_err(setup(format!("writing {}", path.display())))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(setup(format!("chmod {}", path.display())))
}

fn mkdir_mode(path: &Path, mode: u32) -> Result<(), ApplyError> {
    fs::create_dir_all(path).map_err(setup(format!("creating {}", path.display())))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(setup(format!("chmod {}", path.display())))
}

/// Lays out the scratch directory: root/, state/, tmp/, bin/setfiles, the
/// scripts and config.ign. Ignition writes SSH keys as the user, so every
/// directory down to the homes must be traversable (0755).
fn prepare_scratch(
    dir: &Path,
    config: &Path,
    image_accounts: &[(String, String)],
) -> Result<(), ApplyError> {
    mkdir_mode(dir, 0o755)?;
    let root = dir.join("root");
    mkdir_mode(&root, 0o755)?;
    for (path, contents, mode) in SKELETON {
        let mut contents = contents.to_string();
        for (passwd, group) in image_accounts {
            let name = passwd.split(':').next().unwrap_or_default();
            let gname = group.split(':').next().unwrap_or_default();
            let line = match *path {
                "etc/passwd" => passwd.clone(),
                "etc/group" => group.clone(),
                "etc/shadow" => format!("{name}:!*:19000:0:99999:7:::"),
                "etc/gshadow" => format!("{gname}:!::"),
                _ => continue,
            };
            contents.push_str(line.trim_end());
            contents.push('\n');
        }
        write_mode(&root.join(path), &contents, *mode)?;
    }
    mkdir_mode(&root.join("var/home"), 0o755)?;
    let core_home = root.join("var/home/core");
    mkdir_mode(&core_home, 0o700)?;
    std::os::unix::fs::chown(&core_home, Some(1000), Some(1000))
        .map_err(setup(format!("chown {}", core_home.display())))?;
    mkdir_mode(&root.join("root"), 0o700)?;
    std::os::unix::fs::symlink("var/home", root.join("home"))
        .map_err(setup("linking /home -> var/home"))?;
    mkdir_mode(&dir.join("state"), 0o755)?;
    mkdir_mode(&dir.join("tmp"), 0o1777)?;
    write_mode(&dir.join("bin/setfiles"), SETFILES, 0o755)?;
    write_mode(&dir.join("ignition-apply.sh"), APPLY_SCRIPT, 0o755)?;
    write_mode(&dir.join("systemd-dbus-standin.py"), DBUS_STANDIN, 0o644)?;
    fs::copy(config, dir.join("config.ign"))
        .map_err(setup(format!("copying {}", config.display())))?;
    Ok(())
}

/// What a path in the applied root is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink(PathBuf),
    Other,
}

/// One path in the applied root (lstat: links are not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    /// Permission bits, including setuid/setgid/sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub ino: u64,
    pub size: u64,
}

/// A line of the root's /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// A line of the root's /etc/group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// A line of the root's /etc/shadow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    pub name: String,
    /// The hash field (`*`, `!`, or a crypt hash).
    pub password: String,
    /// All nine fields as written (field 2, the last change date, varies).
    pub fields: Vec<String>,
}

/// The enable/disable lines of Ignition's preset file, order-independent.
/// Template instances appear as Ignition writes them: `getty@.service ttyS1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presets {
    pub enable: BTreeSet<String>,
    pub disable: BTreeSet<String>,
    /// Lines that are neither (should be none).
    pub other: Vec<String>,
}

/// The preset form of a unit name: `getty@ttyS1.service` -> `getty@.service ttyS1`.
pub fn preset_form(unit: &str) -> String {
    match unit.split_once('@') {
        Some((prefix, rest)) => match rest.rsplit_once('.') {
            Some((instance, suffix)) if !instance.is_empty() => {
                format!("{prefix}@.{suffix} {instance}")
            }
            _ => unit.to_string(),
        },
        None => unit.to_string(),
    }
}

impl Presets {
    /// `unit` (plain, template or instance name) has an `enable` line.
    pub fn is_enabled(&self, unit: &str) -> bool {
        self.enable.contains(&preset_form(unit))
    }

    /// `unit` has a `disable` line.
    pub fn is_disabled(&self, unit: &str) -> bool {
        self.disable.contains(&preset_form(unit))
    }
}

/// One path of [`AppliedTree::manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Regular files: normalized contents (or, for a second hard link, `None`).
    pub contents: Option<Vec<u8>>,
    /// A regular file that is a hard link to an earlier path (by sort order).
    pub hardlink_of: Option<String>,
}

/// The root the real Ignition wrote. Removed when dropped, unless
/// `KINDLING_E2E_KEEP=1`.
pub struct AppliedTree {
    root: PathBuf,
    _scratch: Option<tempfile::TempDir>,
    log: String,
    elapsed: Duration,
}

impl fmt::Debug for AppliedTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppliedTree")
            .field("root", &self.root)
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

fn split_fields(line: &str) -> Vec<String> {
    line.split(':').map(str::to_string).collect()
}

/// The entries of an `/etc/passwd` text (lines of fewer fields skipped).
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|l| {
            let f = split_fields(l);
            (f.len() >= 7).then(|| PasswdEntry {
                name: f[0].clone(),
                uid: f[2].parse().unwrap_or(u32::MAX),
                gid: f[3].parse().unwrap_or(u32::MAX),
                gecos: f[4].clone(),
                home: f[5].clone(),
                shell: f[6].clone(),
            })
        })
        .collect()
}

/// The entries of an `/etc/group` text.
pub fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter_map(|l| {
            let f = split_fields(l);
            (f.len() >= 4).then(|| GroupEntry {
                name: f[0].clone(),
                gid: f[2].parse().unwrap_or(u32::MAX),
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

impl AppliedTree {
    /// The scratch root on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The scratch directory standing in for the `n`th disk of
    /// [`ApplyOptions::filesystems`]: what Ignition wrote onto it.
    pub fn disk(&self, n: usize) -> PathBuf {
        self.root.with_file_name("disks").join(n.to_string())
    }

    /// Ignition's log (both stages).
    pub fn log(&self) -> &str {
        &self.log
    }

    /// How long the namespace ran (both stages plus setup).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The host path of the guest path `p` (links not resolved).
    pub fn host_path(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    /// lstat of the guest path `p`.
    pub fn node(&self, p: &str) -> Option<Node> {
        let m = fs::symlink_metadata(self.host_path(p)).ok()?;
        let ft = m.file_type();
        let kind = if ft.is_symlink() {
            Kind::Symlink(fs::read_link(self.host_path(p)).ok()?)
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        Some(Node {
            kind,
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            nlink: m.nlink(),
            ino: m.ino(),
            size: m.size(),
        })
    }

    pub fn exists(&self, p: &str) -> bool {
        self.node(p).is_some()
    }

    pub fn is_dir(&self, p: &str) -> bool {
        self.node(p).is_some_and(|n| n.kind == Kind::Dir)
    }

    /// The target of the symlink `p`, as written.
    pub fn symlink_target(&self, p: &str) -> Option<PathBuf> {
        match self.node(p)?.kind {
            Kind::Symlink(t) => Some(t),
            _ => None,
        }
    }

    /// `a` and `b` are the same inode (hard links).
    pub fn same_file(&self, a: &str, b: &str) -> bool {
        match (self.node(a), self.node(b)) {
            (Some(x), Some(y)) => x.ino == y.ino,
            _ => false,
        }
    }

    /// The contents of the regular file `p` (links in the root are followed
    /// by the host; the root's own links are relative or absolute-in-guest, so
    /// read the target path instead when in doubt).
    pub fn read(&self, p: &str) -> Option<Vec<u8>> {
        fs::read(self.host_path(p)).ok()
    }

    pub fn read_string(&self, p: &str) -> Option<String> {
        String::from_utf8(self.read(p)?).ok()
    }

    pub fn mode(&self, p: &str) -> Option<u32> {
        self.node(p).map(|n| n.mode)
    }

    /// (uid, gid) of `p`.
    pub fn owner(&self, p: &str) -> Option<(u32, u32)> {
        self.node(p).map(|n| (n.uid, n.gid))
    }

    /// (user, group) names of `p` from the root's passwd/group (the number
    /// as text when there is no such entry).
    pub fn owner_names(&self, p: &str) -> Option<(String, String)> {
        let (uid, gid) = self.owner(p)?;
        let user = self
            .users()
            .into_iter()
            .find(|u| u.uid == uid)
            .map_or_else(|| uid.to_string(), |u| u.name);
        let group = self
            .groups()
            .into_iter()
            .find(|g| g.gid == gid)
            .map_or_else(|| gid.to_string(), |g| g.name);
        Some((user, group))
    }

    /// The unit file `/etc/systemd/system/NAME` (None for a masked unit).
    pub fn unit(&self, name: &str) -> Option<String> {
        let p = format!("/etc/systemd/system/{name}");
        if self.is_masked(name) {
            return None;
        }
        self.read_string(&p)
    }

    /// `/etc/systemd/system/NAME` is a link to /dev/null.
    pub fn is_masked(&self, name: &str) -> bool {
        self.symlink_target(&format!("/etc/systemd/system/{name}"))
            .is_some_and(|t| t == Path::new("/dev/null"))
    }

    /// The dropin `/etc/systemd/system/UNIT.d/NAME`.
    pub fn dropin(&self, unit: &str, name: &str) -> Option<String> {
        self.read_string(&format!("/etc/systemd/system/{unit}.d/{name}"))
    }

    /// All dropins of `unit`, by file name.
    pub fn dropins(&self, unit: &str) -> BTreeMap<String, String> {
        let dir = self.host_path(&format!("/etc/systemd/system/{unit}.d"));
        let mut out = BTreeMap::new();
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                if let (Ok(name), Ok(text)) =
                    (e.file_name().into_string(), fs::read_to_string(e.path()))
                {
                    out.insert(name, text);
                }
            }
        }
        out
    }

    /// Paths under `/etc/systemd/system` that are `*.wants`/`*.requires`
    /// links (Ignition 2.14 writes none: it records enablement as presets).
    pub fn wants_links(&self) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|p| {
                p.starts_with("/etc/systemd/system/")
                    && (p.contains(".wants/") || p.contains(".requires/"))
            })
            .collect()
    }

    /// The preset file's lines ([`PRESET_FILE`]); empty when absent.
    pub fn presets(&self) -> Presets {
        let mut presets = Presets::default();
        for line in self.read_string(PRESET_FILE).unwrap_or_default().lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("enable ") {
                presets.enable.insert(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("disable ") {
                presets.disable.insert(rest.trim().to_string());
            } else {
                presets.other.push(line.to_string());
            }
        }
        presets
    }

    pub fn users(&self) -> Vec<PasswdEntry> {
        parse_passwd(&self.read_string("/etc/passwd").unwrap_or_default())
    }

    pub fn user(&self, name: &str) -> Option<PasswdEntry> {
        self.users().into_iter().find(|u| u.name == name)
    }

    pub fn groups(&self) -> Vec<GroupEntry> {
        parse_group(&self.read_string("/etc/group").unwrap_or_default())
    }

    pub fn group(&self, name: &str) -> Option<GroupEntry> {
        self.groups().into_iter().find(|g| g.name == name)
    }

    /// The groups that list `user` as a member (supplementary groups).
    pub fn supplementary_groups(&self, user: &str) -> BTreeSet<String> {
        self.groups()
            .into_iter()
            .filter(|g| g.members.iter().any(|m| m == user))
            .map(|g| g.name)
            .collect()
    }

    pub fn shadow(&self, name: &str) -> Option<ShadowEntry> {
        self.read_string("/etc/shadow")
            .unwrap_or_default()
            .lines()
            .map(split_fields)
            .find(|f| f.first().is_some_and(|n| n == name))
            .map(|f| ShadowEntry {
                name: f[0].clone(),
                password: f.get(1).cloned().unwrap_or_default(),
                fields: f,
            })
    }

    /// The keys in `~USER/.ssh/authorized_keys.d/ignition` (where Ignition
    /// 2.14 writes them; it does not touch `authorized_keys`).
    pub fn ssh_keys(&self, user: &str) -> Option<Vec<String>> {
        let home = self.user(user)?.home;
        let text = self.read_string(&format!(
            "{}/.ssh/authorized_keys.d/ignition",
            home.trim_end_matches('/')
        ))?;
        Some(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
        )
    }

    /// Every guest path in the root, sorted (without following links).
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if let Ok(rel) = path.strip_prefix(&self.root) {
                    out.push(format!("/{}", rel.display()));
                }
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(path);
                }
            }
        }
        out.sort();
        out
    }

    /// One line per path: `TYPE MODE UID:GID PATH[ -> TARGET]`, for messages.
    pub fn listing(&self) -> String {
        let mut s = String::new();
        for p in self.paths() {
            if let Some(n) = self.node(&p) {
                let (t, target) = match &n.kind {
                    Kind::File => ('f', String::new()),
                    Kind::Dir => ('d', String::new()),
                    Kind::Symlink(t) => ('l', format!(" -> {}", t.display())),
                    Kind::Other => ('o', String::new()),
                };
                s.push_str(&format!(
                    "{t} {:04o} {}:{} {p}{target}\n",
                    n.mode, n.uid, n.gid
                ));
            }
        }
        s
    }

    /// A normalized view of the whole root, for comparing two applied
    /// configs: drops [`VARYING`] files and `/etc/*-` backups, blanks the
    /// last-change field of `/etc/shadow`, sorts the preset file's lines.
    pub fn manifest(&self) -> BTreeMap<String, ManifestEntry> {
        let mut seen_inodes: BTreeMap<u64, String> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for p in self.paths() {
            if VARYING.contains(&p.as_str())
                || (p.starts_with("/etc/") && p.ends_with('-') && !p[5..].contains('/'))
            {
                continue;
            }
            let Some(n) = self.node(&p) else { continue };
            let mut entry = ManifestEntry {
                kind: n.kind.clone(),
                mode: n.mode,
                uid: n.uid,
                gid: n.gid,
                contents: None,
                hardlink_of: None,
            };
            if n.kind == Kind::File {
                if n.nlink > 1 {
                    if let Some(first) = seen_inodes.get(&n.ino) {
                        entry.hardlink_of = Some(first.clone());
                    } else {
                        seen_inodes.insert(n.ino, p.clone());
                    }
                }
                if entry.hardlink_of.is_none() {
                    entry.contents = self.read(&p).map(|c| normalize(&p, c));
                }
            }
            out.insert(p, entry);
        }
        out
    }

    /// Differences between this tree's [`manifest`](Self::manifest) and
    /// `other`'s, one line each; empty when they are the same.
    pub fn diff(&self, other: &AppliedTree) -> Vec<String> {
        diff_manifests(&self.manifest(), &other.manifest())
    }
}

fn normalize(path: &str, contents: Vec<u8>) -> Vec<u8> {
    match path {
        "/etc/shadow" => {
            let text = String::from_utf8_lossy(&contents);
            let mut out = String::new();
            for line in text.lines() {
                let mut f = split_fields(line);
                if f.len() > 2 {
                    f[2] = String::new();
                }
                out.push_str(&f.join(":"));
                out.push('\n');
            }
            out.into_bytes()
        }
        PRESET_FILE => {
            let text = String::from_utf8_lossy(&contents);
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_unstable();
            let mut out = lines.join("\n");
            out.push('\n');
            out.into_bytes()
        }
        _ => contents,
    }
}

fn describe(e: &ManifestEntry) -> String {
    let kind = match &e.kind {
        Kind::File => "file".to_string(),
        Kind::Dir => "dir".to_string(),
        Kind::Symlink(t) => format!("symlink -> {}", t.display()),
        Kind::Other => "other".to_string(),
    };
    format!("{kind} {:04o} {}:{}", e.mode, e.uid, e.gid)
}

/// Differences between two manifests, one line each.
pub fn diff_manifests(
    a: &BTreeMap<String, ManifestEntry>,
    b: &BTreeMap<String, ManifestEntry>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (p, ea) in a {
        match b.get(p) {
            None => out.push(format!("only in left: {p} ({})", describe(ea))),
            Some(eb) if ea != eb => {
                if describe(ea) != describe(eb) {
                    out.push(format!("{p}: {} vs {}", describe(ea), describe(eb)));
                }
                if ea.hardlink_of != eb.hardlink_of {
                    out.push(format!(
                        "{p}: hard link of {:?} vs {:?}",
                        ea.hardlink_of, eb.hardlink_of
                    ));
                }
                if ea.contents != eb.contents {
                    let show = |c: &Option<Vec<u8>>| {
                        c.as_ref().map_or_else(
                            || "-".to_string(),
                            |c| format!("{:?}", String::from_utf8_lossy(c)),
                        )
                    };
                    out.push(format!(
                        "{p}: contents differ: {} vs {}",
                        show(&ea.contents),
                        show(&eb.contents)
                    ));
                }
            }
            Some(_) => {}
        }
    }
    for (p, eb) in b {
        if !a.contains_key(p) {
            out.push(format!("only in right: {p} ({})", describe(eb)));
        }
    }
    out
}
