//! A build directory published as a whole: each build is one generation.
//!
//! ```text
//! build/.gen-7/                 one complete build: every output and manifest.json
//! build/.gen-6/                 the one before, kept for readers still on it
//! build/.current -> .gen-7      the published generation
//! build/beam00.ign -> .current/beam00.ign       one link per file, made once
//! build/manifest.json -> .current/manifest.json
//! ```
//!
//! A build writes its files into a new `.gen-<n>` directory (a file whose
//! bytes and mode are already in the current generation is hard-linked
//! from it, so its inode and mtime stay), flushes them to disk, and
//! publishes them all with one `rename(2)` of a new `.current` link over
//! the old one. `build/<host>.ign` stays a path anything can open; every
//! open sees one whole generation. A reader that needs several files of the
//! same generation (a config and its `manifest.json` entry) resolves
//! `build/.current` once (`realpath build/.current`) and reads there.
//!
//! A failure or a kill before the rename leaves the published generation
//! and every path as they were. A build holds an exclusive `flock(2)` on
//! the directory, so what it finds that no published generation uses
//! (generations other than the current and the previous one, temporary
//! links, the temporary files builds made before generations existed) is
//! left by a dead build, and it removes it.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{Visibility, WriteError, is_current, write_contents};

/// The link naming the published generation.
const CURRENT: &str = ".current";
/// Where `.current` is made before it is renamed over the old one.
const CURRENT_TEMP: &str = ".current.tmp";
const GENERATION_PREFIX: &str = ".gen-";
/// Where a file's link is made before it is renamed into place.
const LINK_TEMP_PREFIX: &str = ".link-";
/// The temporary files of builds that renamed outputs one by one.
const OLD_TEMP_PREFIX: &str = ".kindling-";

/// What a file of the new generation holds.
pub enum Content<'a> {
    /// These bytes, readable as `visibility` says.
    Bytes(&'a [u8], Visibility),
    /// The current generation's file of that name, as it is.
    Kept,
}

/// One file of a generation: a plain name (no `/`, not hidden) and its
/// contents.
pub struct Entry<'a> {
    pub name: &'a str,
    pub content: Content<'a>,
}

/// A build directory, locked against other builds until dropped.
#[derive(Debug)]
pub struct BuildDir {
    path: PathBuf,
    /// Holds the `flock(2)`; closing it releases the lock.
    _lock: fs::File,
    current: Option<u64>,
}

impl BuildDir {
    /// Creates `path` if needed, locks it, and removes what dead builds
    /// left. Another build holding the lock is an error.
    pub fn open(path: &Path) -> Result<BuildDir, WriteError> {
        let error = in_dir(path);
        // A dangling symlink fails `create_dir_all` with "File exists".
        if let Ok(target) = fs::read_link(path)
            && !path.exists()
        {
            return Err(error(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "it is a symlink to {}, which does not exist; create that directory or \
                     choose another --out",
                    target.display()
                ),
            )));
        }
        fs::create_dir_all(path).map_err(&error)?;
        let lock = fs::File::open(path).map_err(&error)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(error(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another kindling build is writing into this directory; run one at a time",
                )));
            }
            Err(fs::TryLockError::Error(source)) => return Err(error(source)),
        }
        let locked_at = SystemTime::now();
        let current = read_current(path);
        let dir = BuildDir {
            path: path.to_path_buf(),
            _lock: lock,
            current,
        };
        dir.remove_leftovers(locked_at);
        Ok(dir)
    }

    /// Whether no generation has been published here yet.
    pub fn is_unpublished(&self) -> bool {
        self.current.is_none()
    }

    /// The published generation's file `name`, if it has one.
    pub fn current_file(&self, name: &str) -> Option<PathBuf> {
        let path = self.generation(self.current?).join(name);
        fs::symlink_metadata(&path)
            .is_ok_and(|m| m.is_file())
            .then_some(path)
    }

    /// Takes the regular files `names` that builds before generations wrote
    /// straight into the directory as its first generation, so the next
    /// publication replaces them all at once. Each file becomes a link to
    /// the same inode: nothing a reader sees changes.
    pub fn adopt(&mut self, names: &[String]) -> Result<(), WriteError> {
        if self.current.is_some() {
            return Ok(());
        }
        let names: Vec<&String> = names
            .iter()
            .filter(|name| plain_name(name))
            .filter(|name| fs::symlink_metadata(self.path.join(name)).is_ok_and(|m| m.is_file()))
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let number = 1;
        let generation = self.generation(number);
        fs::create_dir(&generation).map_err(in_dir(&generation))?;
        for name in &names {
            let target = generation.join(name);
            fs::hard_link(self.path.join(name), &target).map_err(in_dir(&target))?;
        }
        self.point_current_at(number)?;
        for name in names {
            self.link(name)?;
        }
        Ok(())
    }

    /// Publishes `entries` as the directory's new contents: after it
    /// returns, `build/<name>` of every entry reads the new file and names
    /// of the current generation not among `entries` are gone. On an error
    /// nothing visible has changed.
    pub fn publish(mut self, entries: &[Entry<'_>]) -> Result<(), WriteError> {
        let mut names = BTreeSet::new();
        for entry in entries {
            let path = self.path.join(entry.name);
            if !plain_name(entry.name) || !names.insert(entry.name) {
                return Err(WriteError {
                    path,
                    source: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "not a plain file name, or named twice",
                    ),
                });
            }
            check_replaceable(&path)?;
        }
        let current = self.current.map(|number| self.generation(number));
        let plans = entries
            .iter()
            .map(|entry| Plan::of(entry, &self.path, current.as_deref()))
            .collect::<Result<Vec<Plan>, WriteError>>()?;
        let unchanged = current.as_ref().is_some_and(|current| {
            let on_disk = entry_names(current);
            plans.iter().all(|plan| matches!(plan, Plan::Link { .. }))
                && on_disk.len() == names.len()
                && on_disk.iter().all(|name| names.contains(name.as_str()))
        });
        if !unchanged {
            let number = self.current.map_or(1, |n| n + 1);
            self.stage(number, &plans)?;
            // Links of new names dangle until the rename below: the name
            // reads as absent, as it did.
            for name in &names {
                if fs::symlink_metadata(self.path.join(name)).is_err() {
                    self.link(name)?;
                }
            }
            self.point_current_at(number)?;
        }
        for name in &names {
            if !self.is_link(name) {
                self.link(name)?;
            }
        }
        self.remove_links_except(&names);
        self.remove_generations_except(self.current);
        Ok(())
    }

    /// Writes the generation `number` from `plans` and flushes it to disk.
    fn stage(&self, number: u64, plans: &[Plan<'_>]) -> Result<(), WriteError> {
        let generation = self.generation(number);
        fs::create_dir(&generation).map_err(in_dir(&generation))?;
        // One thread: creating files in one directory is serialised by
        // the directory's lock, and a second writer only spins on it (a
        // fifth of a 1,000-host build's CPU went to that spinning).
        let staged = plans
            .iter()
            .map(|plan| plan.stage(&generation))
            .collect::<Result<Vec<()>, WriteError>>();
        if let Err(error) = staged.and_then(|_| sync_dir(&generation)) {
            // Not published: removed now rather than by the next build.
            let _ = fs::remove_dir_all(&generation);
            return Err(error);
        }
        Ok(())
    }

    fn generation(&self, number: u64) -> PathBuf {
        self.path.join(format!("{GENERATION_PREFIX}{number}"))
    }

    /// Publishes generation `number`: one rename of a new `.current` link.
    fn point_current_at(&mut self, number: u64) -> Result<(), WriteError> {
        let temp = self.path.join(CURRENT_TEMP);
        let _ = fs::remove_file(&temp);
        symlink(Path::new(&format!("{GENERATION_PREFIX}{number}")), &temp)
            .map_err(in_dir(&temp))?;
        let current = self.path.join(CURRENT);
        fs::rename(&temp, &current).map_err(in_dir(&current))?;
        sync_dir(&self.path)?;
        self.current = Some(number);
        Ok(())
    }

    /// Makes `build/<name>` the link `.current/<name>`, replacing whatever
    /// file or link is there in one rename.
    fn link(&self, name: &str) -> Result<(), WriteError> {
        // A new name gets its link at once (creating a symlink is atomic,
        // and this build holds the lock): a first build of 1,000 hosts
        // saves 2,000 directory operations. A name taken by something else
        // is replaced through a temporary link.
        let path = self.path.join(name);
        match symlink(&link_target(name), &path) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            done => return done.map_err(in_dir(&path)),
        }
        let temp = self.path.join(format!("{LINK_TEMP_PREFIX}{name}"));
        let _ = fs::remove_file(&temp);
        symlink(&link_target(name), &temp).map_err(in_dir(&temp))?;
        fs::rename(&temp, &path).map_err(in_dir(&path))
    }

    fn is_link(&self, name: &str) -> bool {
        fs::read_link(self.path.join(name)).is_ok_and(|target| target == link_target(name))
    }

    /// Removes the links this module made for names not in `keep`.
    fn remove_links_except(&self, keep: &BTreeSet<&str>) {
        for name in entry_names(&self.path) {
            if !keep.contains(name.as_str()) && self.is_link(&name) {
                // Best effort: a link left behind dangles, and the next
                // build removes it.
                let _ = fs::remove_file(self.path.join(&name));
            }
        }
    }

    /// Removes every generation but `current` and the newest one before
    /// it, which readers that resolved `.current` just before the last
    /// publication may still be reading.
    fn remove_generations_except(&self, current: Option<u64>) {
        let numbers: Vec<u64> = entry_names(&self.path)
            .iter()
            .filter_map(|name| generation_number(name))
            .collect();
        let previous =
            current.and_then(|current| numbers.iter().copied().filter(|n| *n < current).max());
        for number in numbers {
            if Some(number) != current && Some(number) != previous {
                let path = self.generation(number);
                if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                    // Best effort: what is left is removed by the next build.
                    let _ = fs::remove_dir_all(path);
                }
            }
        }
    }

    /// What dead builds left: generations never published or superseded,
    /// temporary links, and the temporary files of builds that wrote
    /// outputs one by one (those older than this build's lock; no build of
    /// that kind holds it).
    fn remove_leftovers(&self, locked_at: SystemTime) {
        self.remove_generations_except(self.current);
        for name in entry_names(&self.path) {
            let path = self.path.join(&name);
            let Ok(metadata) = fs::symlink_metadata(&path) else {
                continue;
            };
            let temp_link = name == CURRENT_TEMP || name.starts_with(LINK_TEMP_PREFIX);
            let old_temp = name.starts_with(OLD_TEMP_PREFIX)
                && metadata.is_file()
                && metadata.modified().is_ok_and(|at| at < locked_at);
            if (temp_link && metadata.is_symlink()) || old_temp {
                // Best effort, as for generations.
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// How a file of the new generation is made.
enum Plan<'a> {
    /// A hard link to the current generation's file.
    Link {
        name: &'a str,
        from: PathBuf,
        /// Written instead when the link cannot be made.
        fallback: Option<(&'a [u8], Visibility)>,
    },
    Write {
        name: &'a str,
        bytes: &'a [u8],
        visibility: Visibility,
    },
}

impl<'a> Plan<'a> {
    fn of(entry: &Entry<'a>, dir: &Path, current: Option<&Path>) -> Result<Plan<'a>, WriteError> {
        let from = current.map(|generation| generation.join(entry.name));
        Ok(match (&entry.content, from) {
            (Content::Bytes(bytes, visibility), Some(from))
                if is_current(&from, bytes, *visibility) =>
            {
                Plan::Link {
                    name: entry.name,
                    from,
                    fallback: Some((bytes, *visibility)),
                }
            }
            (Content::Bytes(bytes, visibility), _) => Plan::Write {
                name: entry.name,
                bytes,
                visibility: *visibility,
            },
            (Content::Kept, Some(from)) => Plan::Link {
                name: entry.name,
                from,
                fallback: None,
            },
            (Content::Kept, None) => {
                return Err(WriteError {
                    path: dir.join(entry.name),
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "no build was published here to keep it from",
                    ),
                });
            }
        })
    }

    fn stage(&self, generation: &Path) -> Result<(), WriteError> {
        match self {
            Plan::Link {
                name,
                from,
                fallback,
            } => {
                let path = generation.join(name);
                match (fs::hard_link(from, &path), fallback) {
                    (Ok(()), _) => Ok(()),
                    (Err(_), Some((bytes, visibility))) => write_new(&path, bytes, *visibility),
                    (Err(_), None) => {
                        fs::copy(from, &path)
                            .map(drop)
                            .map_err(|source| WriteError {
                                path: from.clone(),
                                source,
                            })
                    }
                }
            }
            Plan::Write {
                name,
                bytes,
                visibility,
            } => write_new(&generation.join(name), bytes, *visibility),
        }
    }
}

/// Creates `path` (which must not exist) with `bytes` and exactly
/// `visibility`'s mode, whatever the umask.
fn write_new(path: &Path, bytes: &[u8], visibility: Visibility) -> Result<(), WriteError> {
    let error = in_dir(path);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(&error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(visibility.mode()))
            .map_err(&error)?;
    }
    #[cfg(not(unix))]
    let _ = visibility;
    write_contents(&file, bytes).map_err(error)
}

/// An output can replace a file or a link, never a directory or anything
/// else a user put at its name.
fn check_replaceable(path: &Path) -> Result<(), WriteError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => Err(WriteError {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::IsADirectory,
                "a directory is in the way (remove it)",
            ),
        }),
        Ok(metadata) if !metadata.is_file() && !metadata.is_symlink() => Err(WriteError {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "something other than a file is in the way (remove it)",
            ),
        }),
        _ => Ok(()),
    }
}

/// Makes what was written in `dir` durable. On Linux one `syncfs(2)` of
/// its file system: one batch of writes instead of one wait on the disk
/// per file, which on a 1,000-host build was most of the write time.
fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    let handle = fs::File::open(dir).map_err(in_dir(dir))?;
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(&handle).map_err(|e| in_dir(dir)(io::Error::from(e)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        for name in entry_names(dir) {
            let path = dir.join(name);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                fs::File::open(&path)
                    .and_then(|file| file.sync_all())
                    .map_err(in_dir(&path))?;
            }
        }
        handle.sync_all().map_err(in_dir(dir))
    }
}

/// The generation `.current` names, if it is one.
fn read_current(dir: &Path) -> Option<u64> {
    let target = fs::read_link(dir.join(CURRENT)).ok()?;
    let number = generation_number(target.to_str()?)?;
    fs::metadata(dir.join(CURRENT))
        .is_ok_and(|m| m.is_dir())
        .then_some(number)
}

fn generation_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(GENERATION_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn link_target(name: &str) -> PathBuf {
    Path::new(CURRENT).join(name)
}

/// A name an entry may have: one path component, not hidden (hidden names
/// are this module's).
fn plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains('/') && !name.contains('\0')
}

fn entry_names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn in_dir(path: &Path) -> impl Fn(io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "publishing a build needs symbolic links",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn entry<'a>(name: &'a str, bytes: &'a [u8]) -> Entry<'a> {
        Entry {
            name,
            content: Content::Bytes(bytes, Visibility::Public),
        }
    }

    fn hidden(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = entry_names(dir)
            .into_iter()
            .filter(|name| name.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn files_an_earlier_kindling_wrote_become_the_first_generation_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("h1.ign"), "one\n").expect("write");
        fs::write(dir.path().join("manifest.json"), "{}\n").expect("write");
        fs::write(dir.path().join("notes.txt"), "mine\n").expect("write");
        let inode = fs::metadata(dir.path().join("h1.ign")).expect("stat").ino();

        let mut build = BuildDir::open(dir.path()).expect("open");
        assert!(build.is_unpublished());
        build
            .adopt(&["h1.ign".to_owned(), "manifest.json".to_owned()])
            .expect("adopt");
        assert!(build.is_link("h1.ign") && build.is_link("manifest.json"));
        assert_eq!(
            fs::metadata(dir.path().join("h1.ign")).expect("stat").ino(),
            inode
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("h1.ign")).expect("read"),
            "one\n"
        );
        assert!(
            fs::symlink_metadata(dir.path().join("notes.txt"))
                .expect("stat")
                .is_file()
        );

        build
            .publish(&[entry("h1.ign", b"two\n"), entry("manifest.json", b"{}\n")])
            .expect("publish");
        assert_eq!(
            fs::read_to_string(dir.path().join("h1.ign")).expect("read"),
            "two\n"
        );
        assert_eq!(hidden(dir.path()), [".current", ".gen-1", ".gen-2"]);
    }

    #[test]
    fn what_dead_builds_left_is_removed_and_the_previous_generation_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        for round in [&b"1"[..], b"2", b"3"] {
            BuildDir::open(dir.path())
                .expect("open")
                .publish(&[entry("h1.ign", round)])
                .expect("publish");
        }
        assert_eq!(hidden(dir.path()), [".current", ".gen-2", ".gen-3"]);
        // A build killed while staging generation 4, before and after it
        // made its links, and one of the builds that renamed files one by one.
        fs::create_dir(dir.path().join(".gen-4")).expect("mkdir");
        fs::write(dir.path().join(".gen-4/h1.ign"), "4").expect("write");
        symlink(Path::new(".gen-4"), &dir.path().join(CURRENT_TEMP)).expect("ln");
        symlink(&link_target("h2.ign"), &dir.path().join(".link-h2.ign")).expect("ln");
        fs::write(dir.path().join(".kindling-AbC123"), "half").expect("write");
        std::thread::sleep(std::time::Duration::from_millis(20));

        let build = BuildDir::open(dir.path()).expect("open");
        assert_eq!(hidden(dir.path()), [".current", ".gen-2", ".gen-3"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("h1.ign")).expect("read"),
            "3"
        );
        build.publish(&[entry("h1.ign", b"5")]).expect("publish");
        assert_eq!(hidden(dir.path()), [".current", ".gen-3", ".gen-4"]);
    }

    #[test]
    fn an_unchanged_build_publishes_nothing_and_a_second_build_waits_its_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let publish = |bytes: &[u8]| {
            BuildDir::open(dir.path())
                .expect("open")
                .publish(&[entry("h1.ign", bytes), entry("h2.ign", b"same")])
                .expect("publish");
        };
        publish(b"a");
        let h2 = fs::metadata(dir.path().join("h2.ign")).expect("stat");
        publish(b"a");
        assert_eq!(hidden(dir.path()), [".current", ".gen-1"]);
        publish(b"b");
        assert_eq!(hidden(dir.path()), [".current", ".gen-1", ".gen-2"]);
        let kept = fs::metadata(dir.path().join("h2.ign")).expect("stat");
        assert_eq!((kept.ino(), kept.mtime()), (h2.ino(), h2.mtime()));

        let holding = BuildDir::open(dir.path()).expect("open");
        let error = BuildDir::open(dir.path()).expect_err("locked");
        assert_eq!(error.source.kind(), io::ErrorKind::WouldBlock);
        drop(holding);
        BuildDir::open(dir.path()).expect("free again");
    }
}
