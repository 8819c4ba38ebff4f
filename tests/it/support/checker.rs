//! The generic judge "config vs applied tree": what an Ignition config says
//! must be in the root the real Ignition wrote.
//!
//! [`check`] walks a typed [`Config`] and asserts, against any [`TreeView`]
//! (the no-VM [`AppliedTree`] or a VM's [`ConsoleReport`]):
//!
//! - `storage.files`: a regular file with the decoded contents (data URLs
//!   decoded with `kindling::dataurl::decode_resource`, `append` added), the
//!   mode (default 0644) and the owner and group (by id, or by name through
//!   the tree's own `/etc/passwd` and `/etc/group`; default root);
//! - `storage.directories`: a directory with mode (default 0755) and owner;
//! - `storage.links`: a symlink with the target as written and its owner, or
//!   a hard link sharing the target's inode;
//! - `systemd.units`: the unit file (`/etc/systemd/system/NAME`, 0644) with
//!   its contents, masks as links to `/dev/null`, each dropin in `NAME.d/`,
//!   and enablement as lines of Ignition's preset file (exactly the expected
//!   set: no line more, none less);
//! - `passwd.users` / `passwd.groups`: entries in passwd/group/shadow/gshadow
//!   with uid/gid, gecos, home, shell, primary and supplementary groups,
//!   password hashes, SSH keys in `~/.ssh/authorized_keys.d/ignition`, a home
//!   directory unless `noCreateHome`, `shouldExist: false` honoured;
//! - nothing else: every path in the tree is accounted for (the skeleton,
//!   what the config names and the parents of it, homes, Ignition's own
//!   bookkeeping). A stray path is a failure.
//!
//! Paths are resolved the way Ignition resolves them inside the root: links
//! in the parent components are followed (e.g. `/home -> var/home`), the last
//! component is not.
//!
//! Two behaviours of Ignition 2.14 are modelled, not hidden: a file's setuid
//! bit (and setgid when group-executable) is cleared because Ignition chmods
//! before it chowns (coreos/ignition#2042, fixed upstream in #2049), which
//! [`CheckReport::notes`] records; and the sections the `files` stage does
//! not apply (`storage.disks`, `filesystems`, `raid`, `luks` and
//! `kernelArguments`; other stages handle them) are listed as notes too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use kindling::dataurl;
use kindling::ignition::model::{Config, NodeOwner, Resource};

use super::ignition::{
    AppliedTree, GroupEntry, Kind, PRESET_FILE, PasswdEntry, SKELETON, parse_group, parse_passwd,
    preset_form,
};
use super::vmboot::ConsoleReport;

/// What a path in the tree is (lstat: links not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
    Symlink(String),
    Other,
}

/// One path of a [`TreeView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub kind: NodeKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ino: u64,
    pub size: u64,
}

/// A root the real Ignition wrote, seen from its own `/`.
pub trait TreeView {
    /// lstat of the guest path `path`.
    fn node(&self, path: &str) -> Option<NodeView>;
    /// The contents of the regular file `path`, when the view has them.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
    /// Every guest path, sorted.
    fn paths(&self) -> Vec<String>;
    /// Where the tree came from, for messages.
    fn describe(&self) -> String;
}

impl TreeView for AppliedTree {
    fn node(&self, path: &str) -> Option<NodeView> {
        let n = AppliedTree::node(self, path)?;
        Some(NodeView {
            kind: match n.kind {
                Kind::File => NodeKind::File,
                Kind::Dir => NodeKind::Dir,
                Kind::Symlink(t) => NodeKind::Symlink(t.display().to_string()),
                Kind::Other => NodeKind::Other,
            },
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            ino: n.ino,
            size: n.size,
        })
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        match TreeView::node(self, path)?.kind {
            NodeKind::File => AppliedTree::read(self, path),
            _ => None,
        }
    }

    fn paths(&self) -> Vec<String> {
        AppliedTree::paths(self)
    }

    fn describe(&self) -> String {
        format!("the scratch root {}", self.root().display())
    }
}

impl TreeView for ConsoleReport {
    fn node(&self, path: &str) -> Option<NodeView> {
        let n = self.nodes.get(path)?;
        Some(NodeView {
            kind: match n.kind {
                'f' => NodeKind::File,
                'd' => NodeKind::Dir,
                'l' => NodeKind::Symlink(n.target.clone().unwrap_or_default()),
                _ => NodeKind::Other,
            },
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            ino: n.ino,
            size: n.size,
        })
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.data.get(path).cloned()
    }

    fn paths(&self) -> Vec<String> {
        self.nodes.keys().cloned().collect()
    }

    fn describe(&self) -> String {
        "the VM's root (from its serial console)".to_string()
    }
}

/// The verdict of [`check`].
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// How many facts were checked and held.
    pub passed: usize,
    /// Facts that did not hold, one line each.
    pub failures: Vec<String>,
    /// What was not checked, or checked against a modelled Ignition quirk.
    pub notes: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }

    fn expect(&mut self, holds: bool, failure: impl FnOnce() -> String) {
        if holds {
            self.passed += 1;
        } else {
            self.failures.push(failure());
        }
    }

    fn fail(&mut self, failure: String) {
        self.failures.push(failure);
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// The failures (and notes) as one message.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} fact(s) held, {} failed",
            self.passed,
            self.failures.len()
        );
        for f in &self.failures {
            let _ = write!(s, "\n  FAIL {f}");
        }
        for n in &self.notes {
            let _ = write!(s, "\n  note {n}");
        }
        s
    }
}

fn text(view: &dyn TreeView, path: &str) -> String {
    view.read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn passwd(view: &dyn TreeView) -> Vec<PasswdEntry> {
    parse_passwd(&text(view, "/etc/passwd"))
}

fn groups(view: &dyn TreeView) -> Vec<GroupEntry> {
    parse_group(&text(view, "/etc/group"))
}

/// Field 2 (the hash) of `name`'s line in a shadow-style file.
fn shadow_hash(view: &dyn TreeView, file: &str, name: &str) -> Option<String> {
    text(view, file).lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name)).then(|| f.next().unwrap_or_default().to_string())
    })
}

/// The skeleton's users (present before Ignition ran).
fn skeleton_users() -> BTreeSet<String> {
    SKELETON
        .iter()
        .find(|(p, _, _)| *p == "etc/passwd")
        .map(|(_, text, _)| {
            text.lines()
                .filter_map(|l| l.split(':').next())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

/// Resolves links in the parent components of `path` inside the root (not
/// the last component), as Ignition does when it writes a node.
pub fn resolve_parents(view: &dyn TreeView, path: &str) -> String {
    let path = normalize(path);
    let (parent, last) = match path.rsplit_once('/') {
        Some((p, l)) => (p.to_string(), l.to_string()),
        None => (String::new(), path.clone()),
    };
    let parent = resolve_all(view, &parent);
    if parent == "/" {
        format!("/{last}")
    } else {
        format!("{parent}/{last}")
    }
}

/// Resolves every link in `path` inside the root.
pub fn resolve_all(view: &dyn TreeView, path: &str) -> String {
    let mut pending: Vec<String> = normalize(path)
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut done = String::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        let candidate = format!("{done}/{c}");
        match view.node(&candidate).map(|n| n.kind) {
            Some(NodeKind::Symlink(target)) if hops < 40 => {
                hops += 1;
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    done.clone()
                };
                let full = normalize(&format!("{base}/{target}"));
                for t in full.split('/').filter(|c| !c.is_empty()).rev() {
                    pending.push(t.to_string());
                }
                done.clear();
            }
            _ => done = candidate,
        }
    }
    if done.is_empty() {
        "/".to_string()
    } else {
        done
    }
}

fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = normalize(path);
    while let Some((parent, _)) = p.rsplit_once('/') {
        if parent.is_empty() {
            break;
        }
        out.push(parent.to_string());
        p = parent.to_string();
    }
    out
}

fn decode(resource: &Resource) -> Result<Option<Vec<u8>>, String> {
    match resource.source.as_deref() {
        None => Ok(None),
        Some(src) if src.starts_with("data:") => {
            dataurl::decode_resource(src, resource.compression.as_deref(), usize::MAX)
                .map(Some)
                .map_err(|e| format!("undecodable data URL: {e}"))
        }
        Some(src) => Err(format!("remote source {src}")),
    }
}

fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{:?}… ({} bytes)", &s[..cut], bytes.len())
    } else {
        format!("{s:?}")
    }
}

/// The effective mode of a regular file after Ignition 2.14 chmods and then
/// chowns it: chown(2) clears setuid, and setgid when group-executable.
fn after_chown(mode: u32) -> u32 {
    let mut m = mode & !0o4000;
    if m & 0o2010 == 0o2010 {
        m &= !0o2000;
    }
    m
}

struct Ctx<'a> {
    view: &'a dyn TreeView,
    users: Vec<PasswdEntry>,
    groups: Vec<GroupEntry>,
    report: CheckReport,
    /// Paths (resolved) the config accounts for, with their ancestors.
    accounted: BTreeSet<String>,
    /// Subtrees accounted for as a whole (homes).
    accounted_trees: BTreeSet<String>,
}

impl Ctx<'_> {
    /// Accounts for `path` and returns where it is once its parents are
    /// resolved and what the tree holds there, or reports `{what}: missing`.
    fn placed_node(&mut self, what: &str, path: &str) -> Option<(String, NodeView)> {
        self.account(path);
        let at = resolve_parents(self.view, path);
        let Some(node) = self.view.node(&at) else {
            self.report.fail(format!("{what}: missing"));
            return None;
        };
        Some((at, node))
    }

    fn account(&mut self, path: &str) {
        let resolved = resolve_parents(self.view, path);
        for p in [path.to_string(), resolved] {
            for a in ancestors(&p) {
                self.accounted.insert(a);
            }
            self.accounted.insert(normalize(&p));
        }
    }

    fn uid_of(&self, owner: &NodeOwner) -> Result<u32, String> {
        match (owner.id, owner.name.as_deref()) {
            (Some(id), _) => Ok(id as u32),
            (None, Some(name)) => self
                .users
                .iter()
                .find(|u| u.name == name)
                .map(|u| u.uid)
                .ok_or_else(|| format!("no user {name:?} in the tree's /etc/passwd")),
            (None, None) => Ok(0),
        }
    }

    fn gid_of(&self, owner: &NodeOwner) -> Result<u32, String> {
        match (owner.id, owner.name.as_deref()) {
            (Some(id), _) => Ok(id as u32),
            (None, Some(name)) => self
                .groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.gid)
                .ok_or_else(|| format!("no group {name:?} in the tree's /etc/group")),
            (None, None) => Ok(0),
        }
    }

    fn check_owner(&mut self, what: &str, node: &NodeView, user: &NodeOwner, group: &NodeOwner) {
        match self.uid_of(user) {
            Ok(uid) => self.report.expect(node.uid == uid, || {
                format!("{what}: owner uid {} but the config says {uid}", node.uid)
            }),
            Err(e) => self.report.fail(format!("{what}: {e}")),
        }
        match self.gid_of(group) {
            Ok(gid) => self.report.expect(node.gid == gid, || {
                format!("{what}: group gid {} but the config says {gid}", node.gid)
            }),
            Err(e) => self.report.fail(format!("{what}: {e}")),
        }
    }

    fn check_mode(&mut self, what: &str, node: &NodeView, configured: u32, is_file: bool) {
        let expected = if is_file {
            after_chown(configured)
        } else {
            configured
        };
        if expected != configured {
            self.report.note(format!(
                "{what}: mode {configured:04o} in the config, {expected:04o} expected: Ignition 2.14 clears setuid/setgid when it chowns after chmod (coreos/ignition#2042)"
            ));
        }
        self.report.expect(node.mode == expected, || {
            format!("{what}: mode {:04o} but expected {expected:04o}", node.mode)
        });
    }

    fn check_contents(&mut self, what: &str, at: &str, node: &NodeView, expected: &[u8]) {
        match self.view.read(at) {
            Some(actual) => self.report.expect(actual == expected, || {
                format!(
                    "{what}: contents differ: got {}, the config says {}",
                    show(&actual),
                    show(expected)
                )
            }),
            None => {
                // The VM console carries files up to 64 KiB only.
                self.report.note(format!(
                    "{what}: contents not available from {}; size compared",
                    self.view.describe()
                ));
                self.report.expect(node.size == expected.len() as u64, || {
                    format!(
                        "{what}: size {} but the config's contents are {} bytes",
                        node.size,
                        expected.len()
                    )
                });
            }
        }
    }
}

/// Checks `tree` against what `config` says (see the module docs).
pub fn check(config: &Config, tree: &dyn TreeView) -> CheckReport {
    let mut ctx = Ctx {
        view: tree,
        users: passwd(tree),
        groups: groups(tree),
        report: CheckReport::default(),
        accounted: BTreeSet::new(),
        accounted_trees: BTreeSet::new(),
    };
    let skel_users = skeleton_users();

    // What the files stage does not apply.
    let s = &config.storage;
    for (what, n) in [
        ("storage.disks", s.disks.len()),
        ("storage.raid", s.raid.len()),
        ("storage.filesystems", s.filesystems.len()),
        ("storage.luks", s.luks.len()),
    ] {
        if n > 0 {
            ctx.report.note(format!(
                "{what} ({n}) is for the disks/mount stages (a real disk); the files stage does not apply it"
            ));
        }
    }
    let kargs = &config.kernel_arguments;
    if !kargs.should_exist.is_empty() || !kargs.should_not_exist.is_empty() {
        ctx.report.note(
            "kernelArguments are for the kargs stage (a real boot loader); not applied here"
                .to_string(),
        );
    }

    check_passwd(&mut ctx, config, &skel_users);
    check_files(&mut ctx, config);
    check_directories(&mut ctx, config);
    check_links(&mut ctx, config);
    check_units(&mut ctx, config);
    check_nothing_else(&mut ctx);
    ctx.report
}

fn check_files(ctx: &mut Ctx<'_>, config: &Config) {
    let skeleton: BTreeMap<String, &str> = SKELETON
        .iter()
        .map(|(p, text, _)| (format!("/{p}"), *text))
        .collect();
    for file in &config.storage.files {
        let what = format!("file {}", file.path);
        let Some((at, node)) = ctx.placed_node(&what, &file.path) else {
            continue;
        };
        if node.kind != NodeKind::File {
            ctx.report
                .fail(format!("{what}: a {:?}, not a regular file", node.kind));
            continue;
        }
        ctx.report.passed += 1;
        // Contents: the source (or what was there, or nothing), then appends.
        let mut expected = match decode(&file.contents) {
            Ok(Some(bytes)) => Some(bytes),
            Ok(None) => Some(
                skeleton
                    .get(&normalize(&file.path))
                    .map(|t| t.as_bytes().to_vec())
                    .unwrap_or_default(),
            ),
            Err(e) => {
                ctx.report
                    .note(format!("{what}: contents not checked ({e})"));
                None
            }
        };
        for append in &file.append {
            match (decode(append), expected.as_mut()) {
                (Ok(Some(bytes)), Some(buf)) => buf.extend_from_slice(&bytes),
                (Ok(None), _) | (_, None) => {}
                (Err(e), Some(_)) => {
                    ctx.report
                        .note(format!("{what}: contents not checked (append: {e})"));
                    expected = None;
                }
            }
        }
        if let Some(expected) = expected {
            if skeleton.contains_key(&normalize(&file.path))
                && ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"]
                    .contains(&normalize(&file.path).as_str())
                && (!config.passwd.users.is_empty() || !config.passwd.groups.is_empty())
            {
                ctx.report.note(format!(
                    "{what}: contents not compared (users/groups also change it)"
                ));
            } else {
                ctx.check_contents(&what, &at, &node, &expected);
            }
        }
        let mode = file.mode.map_or(0o644, |m| m as u32);
        ctx.check_mode(&what, &node, mode, true);
        ctx.check_owner(&what, &node, &file.user, &file.group);
    }
}

fn check_directories(ctx: &mut Ctx<'_>, config: &Config) {
    for dir in &config.storage.directories {
        let what = format!("directory {}", dir.path);
        let Some((_, node)) = ctx.placed_node(&what, &dir.path) else {
            continue;
        };
        if node.kind != NodeKind::Dir {
            ctx.report
                .fail(format!("{what}: a {:?}, not a directory", node.kind));
            continue;
        }
        ctx.report.passed += 1;
        let mode = dir.mode.map_or(0o755, |m| m as u32);
        ctx.check_mode(&what, &node, mode, false);
        ctx.check_owner(&what, &node, &dir.user, &dir.group);
    }
}

fn check_links(ctx: &mut Ctx<'_>, config: &Config) {
    for link in &config.storage.links {
        let what = format!("link {}", link.path);
        let Some((_, node)) = ctx.placed_node(&what, &link.path) else {
            continue;
        };
        let target = link.target.clone().unwrap_or_default();
        if link.hard == Some(true) {
            let target_at = resolve_all(ctx.view, &target);
            match ctx.view.node(&target_at) {
                Some(t) => {
                    ctx.report
                        .expect(node.kind == NodeKind::File && node.ino == t.ino, || {
                            format!(
                                "{what}: not a hard link of {target} (inodes {} and {})",
                                node.ino, t.ino
                            )
                        })
                }
                None => ctx
                    .report
                    .fail(format!("{what}: its target {target} is missing")),
            }
        } else {
            ctx.report
                .expect(node.kind == NodeKind::Symlink(target.clone()), || {
                    format!("{what}: a {:?}, not a symlink to {target}", node.kind)
                });
            ctx.check_owner(&what, &node, &link.user, &link.group);
        }
    }
}

fn check_units(ctx: &mut Ctx<'_>, config: &Config) {
    // Unit files may also come from storage.files/links (e.g. Butane trees).
    let storage_paths: BTreeSet<String> = config
        .storage
        .files
        .iter()
        .map(|f| normalize(&f.path))
        .chain(config.storage.links.iter().map(|l| normalize(&l.path)))
        .collect();
    let mut enable = BTreeSet::new();
    let mut disable = BTreeSet::new();
    for unit in &config.systemd.units {
        let what = format!("unit {}", unit.name);
        let path = format!("/etc/systemd/system/{}", unit.name);
        if unit.mask == Some(true) {
            ctx.account(&path);
            ctx.report.expect(
                ctx.view.node(&path).map(|n| n.kind)
                    == Some(NodeKind::Symlink("/dev/null".to_string())),
                || format!("{what}: masked in the config but {path} is not a link to /dev/null"),
            );
        } else if let Some(contents) = &unit.contents {
            ctx.account(&path);
            match ctx.view.node(&path) {
                Some(node) if node.kind == NodeKind::File => {
                    ctx.report.passed += 1;
                    ctx.check_contents(&what, &path, &node, contents.as_bytes());
                    ctx.check_mode(&what, &node, 0o644, true);
                    ctx.check_owner(&what, &node, &NodeOwner::default(), &NodeOwner::default());
                }
                other => ctx
                    .report
                    .fail(format!("{what}: {path} is {other:?}, not the unit file")),
            }
        } else if !storage_paths.contains(&path) {
            ctx.report.expect(ctx.view.node(&path).is_none(), || {
                format!("{what}: no contents in the config, yet {path} exists")
            });
        }
        for dropin in &unit.dropins {
            let dpath = format!("/etc/systemd/system/{}.d/{}", unit.name, dropin.name);
            let dwhat = format!("dropin {}/{}", unit.name, dropin.name);
            ctx.account(&dpath);
            match (&dropin.contents, ctx.view.node(&dpath)) {
                (Some(contents), Some(node)) if node.kind == NodeKind::File => {
                    ctx.report.passed += 1;
                    ctx.check_contents(&dwhat, &dpath, &node, contents.as_bytes());
                    ctx.check_mode(&dwhat, &node, 0o644, true);
                }
                (Some(_), other) => ctx
                    .report
                    .fail(format!("{dwhat}: {dpath} is {other:?}, not a file")),
                (None, _) => ctx
                    .report
                    .note(format!("{dwhat}: no contents in the config")),
            }
        }
        match unit.enabled {
            Some(true) => {
                enable.insert(preset_form(&unit.name));
            }
            Some(false) => {
                disable.insert(preset_form(&unit.name));
            }
            None => {}
        }
    }
    let mut got_enable = BTreeSet::new();
    let mut got_disable = BTreeSet::new();
    let mut other = Vec::new();
    let preset = ctx.view.read(PRESET_FILE);
    if preset.is_some() || ctx.view.node(PRESET_FILE).is_some() {
        ctx.account(PRESET_FILE);
    }
    for line in String::from_utf8_lossy(&preset.unwrap_or_default()).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("enable ") {
            got_enable.insert(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("disable ") {
            got_disable.insert(rest.trim().to_string());
        } else {
            other.push(line.to_string());
        }
    }
    ctx.report.expect(got_enable == enable, || {
        format!("preset file: enabled {got_enable:?} but the config enables {enable:?}")
    });
    ctx.report.expect(got_disable == disable, || {
        format!("preset file: disabled {got_disable:?} but the config disables {disable:?}")
    });
    ctx.report.expect(other.is_empty(), || {
        format!("preset file: unexpected lines {other:?}")
    });
}

fn check_passwd(ctx: &mut Ctx<'_>, config: &Config, skel_users: &BTreeSet<String>) {
    for group in &config.passwd.groups {
        let what = format!("group {}", group.name);
        let found = ctx.groups.iter().find(|g| g.name == group.name).cloned();
        if group.should_exist == Some(false) {
            ctx.report.expect(found.is_none(), || {
                format!("{what}: shouldExist false, but it exists")
            });
            continue;
        }
        let Some(found) = found else {
            ctx.report.fail(format!("{what}: not in /etc/group"));
            continue;
        };
        ctx.report.passed += 1;
        if let Some(gid) = group.gid {
            ctx.report.expect(i64::from(found.gid) == gid, || {
                format!("{what}: gid {} but the config says {gid}", found.gid)
            });
        } else if group.system == Some(true) {
            ctx.report.expect(found.gid < 1000, || {
                format!("{what}: a system group with gid {}", found.gid)
            });
        }
        if let Some(hash) = &group.password_hash {
            let got = shadow_hash(ctx.view, "/etc/gshadow", &group.name);
            ctx.report
                .expect(got.as_deref() == Some(hash.as_str()), || {
                    format!("{what}: gshadow hash {got:?} but the config says {hash:?}")
                });
        }
    }
    for user in &config.passwd.users {
        let what = format!("user {}", user.name);
        let found = ctx.users.iter().find(|u| u.name == user.name).cloned();
        if user.should_exist == Some(false) {
            ctx.report.expect(found.is_none(), || {
                format!("{what}: shouldExist false, but it exists")
            });
            continue;
        }
        let Some(found) = found else {
            ctx.report.fail(format!("{what}: not in /etc/passwd"));
            continue;
        };
        ctx.report.passed += 1;
        let existed = skel_users.contains(&user.name);
        if let Some(uid) = user.uid {
            ctx.report.expect(i64::from(found.uid) == uid, || {
                format!("{what}: uid {} but the config says {uid}", found.uid)
            });
        } else if user.system == Some(true) && !existed {
            ctx.report.expect(found.uid < 1000, || {
                format!("{what}: a system user with uid {}", found.uid)
            });
        }
        if let Some(gecos) = &user.gecos {
            ctx.report.expect(&found.gecos == gecos, || {
                format!(
                    "{what}: gecos {:?} but the config says {gecos:?}",
                    found.gecos
                )
            });
        }
        if let Some(shell) = &user.shell {
            ctx.report.expect(&found.shell == shell, || {
                format!(
                    "{what}: shell {:?} but the config says {shell:?}",
                    found.shell
                )
            });
        }
        let home = match (&user.home_dir, existed) {
            (Some(h), _) => h.clone(),
            (None, true) => found.home.clone(),
            (None, false) => format!("/home/{}", user.name),
        };
        ctx.report.expect(found.home == home, || {
            format!("{what}: home {:?} but expected {home:?}", found.home)
        });
        // Primary group: the named one, else (new users, USERGROUPS_ENAB)
        // a group of the user's own name.
        if let Some(primary) = &user.primary_group {
            let gid = ctx
                .groups
                .iter()
                .find(|g| &g.name == primary)
                .map(|g| g.gid);
            ctx.report.expect(gid == Some(found.gid), || {
                format!(
                    "{what}: primary gid {} but group {primary} is {gid:?}",
                    found.gid
                )
            });
        } else if !existed && user.no_user_group != Some(true) {
            let gid = ctx
                .groups
                .iter()
                .find(|g| g.name == user.name)
                .map(|g| g.gid);
            ctx.report.expect(gid == Some(found.gid), || {
                format!(
                    "{what}: primary gid {} but its own group is {gid:?}",
                    found.gid
                )
            });
        }
        // Supplementary groups: replaced by the list when one is given
        // (usermod --groups), none for a new user without one.
        let got: BTreeSet<String> = ctx
            .groups
            .iter()
            .filter(|g| g.members.contains(&user.name))
            .map(|g| g.name.clone())
            .collect();
        if !user.groups.is_empty() || !existed {
            let want: BTreeSet<String> = user.groups.iter().cloned().collect();
            ctx.report.expect(got == want, || {
                format!("{what}: supplementary groups {got:?} but the config says {want:?}")
            });
        }
        if let Some(hash) = &user.password_hash {
            let got = shadow_hash(ctx.view, "/etc/shadow", &user.name);
            ctx.report
                .expect(got.as_deref() == Some(hash.as_str()), || {
                    format!("{what}: shadow hash {got:?} but the config says {hash:?}")
                });
        }
        // The home directory (created unless noCreateHome; kept for users
        // that existed) and what Ignition puts in it.
        let home_at = resolve_all(ctx.view, &found.home);
        if user.no_create_home != Some(true) || existed {
            match ctx.view.node(&home_at) {
                Some(n) if n.kind == NodeKind::Dir => {
                    ctx.report.passed += 1;
                    if !existed {
                        ctx.report.expect(n.uid == found.uid, || {
                            format!("{what}: home {} owned by uid {}", found.home, n.uid)
                        });
                    }
                }
                other => ctx
                    .report
                    .fail(format!("{what}: home {} is {other:?}", found.home)),
            }
            ctx.account(&found.home);
            ctx.accounted_trees.insert(home_at.clone());
        }
        if !user.ssh_authorized_keys.is_empty() {
            let keys_path = format!("{home_at}/.ssh/authorized_keys.d/ignition");
            let keys: Vec<String> = text(ctx.view, &keys_path)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            ctx.report.expect(keys == user.ssh_authorized_keys, || {
                format!(
                    "{what}: {keys_path} holds {keys:?} but the config says {:?}",
                    user.ssh_authorized_keys
                )
            });
            if let Some(n) = ctx.view.node(&keys_path) {
                ctx.report
                    .expect(n.mode == 0o600 && n.uid == found.uid, || {
                        format!("{what}: {keys_path} has mode {:04o} uid {}", n.mode, n.uid)
                    });
            }
            ctx.account(&keys_path);
            ctx.accounted_trees.insert(home_at);
        }
    }
}

/// Every path of the tree is the skeleton's, the config's (or a parent), in
/// a home, or Ignition's own bookkeeping.
fn check_nothing_else(ctx: &mut Ctx<'_>) {
    for (p, _, _) in SKELETON {
        ctx.account(&format!("/{p}"));
    }
    for p in [
        "/var/home/core",
        "/root",
        "/home",
        "/etc/.ignition-result.json",
        "/etc/.pwd.lock",
    ] {
        ctx.account(p);
    }
    let mut stray = Vec::new();
    for p in ctx.view.paths() {
        let backup = p.starts_with("/etc/") && p.ends_with('-') && !p[5..].contains('/');
        let in_tree = ctx
            .accounted_trees
            .iter()
            .any(|t| p == *t || p.starts_with(&format!("{t}/")));
        if backup || in_tree || ctx.accounted.contains(&p) {
            continue;
        }
        stray.push(p);
    }
    ctx.report.expect(stray.is_empty(), || {
        format!("paths the config does not account for: {stray:?}")
    });
}
