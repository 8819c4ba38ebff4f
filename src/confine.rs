//! The one rule for reading inputs: every file kindling reads from a fleet
//! (or from a Butane files directory) goes through [`FleetRoot`].
//!
//! - A path is resolved beneath the root one component at a time, each
//!   directory opened relative to the one before (`openat` with
//!   `O_NOFOLLOW`), so nothing can be swapped in between a check and a read.
//!   `..` may climb back up, but never above the root.
//! - A symlink is followed only while it stays inside the root: its target
//!   must be relative and may not climb above the root. Absolute targets are
//!   refused even when they name a place inside the root, because they name
//!   the build machine's filesystem rather than the fleet's.
//! - Only regular files are read. FIFOs, devices and sockets are refused
//!   before they are opened, and the file actually opened (non-blocking) is
//!   checked again through its descriptor.
//! - Every read is capped ([`SOURCE_LIMIT`], [`DATA_LIMIT`]).
//! - The build output directory and the age identity file are never inputs
//!   ([`Exclusions`]), whatever path or link leads to them.
//!
//! Files named on the command line (`kindling butane FILE`, `--identity`)
//! are the user's explicit choice and are not confined to a directory, but
//! [`read_named_file`] applies the same regular-file rule and caps.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::diag::Code;

/// Cap on text inputs: manifests, Butane configs, snippets, templates,
/// Quadlet files.
pub const SOURCE_LIMIT: u64 = 128 << 20;
/// Cap on files placed on nodes (`contents.local`, trees, secrets).
pub const DATA_LIMIT: u64 = 1 << 30;
/// Cap on an age identity file.
pub const IDENTITY_LIMIT: u64 = 1 << 20;

const FLEET_SCOPE: &str = "the fleet directory";

/// Symlinks followed in one path before giving up (the kernel's limit).
#[cfg(target_os = "linux")]
const MAX_SYMLINKS: usize = 40;

/// Why an input was not read. Every variant names the path as the user
/// wrote it (relative to the fleet root, or under the files directory); none
/// quotes the file's contents.
#[derive(Debug, Error)]
pub enum ConfineError {
    #[error("{path} is outside {scope} (paths are relative to it and may not climb out)")]
    Escapes { path: String, scope: String },
    #[error("{}", symlink_escape(path, link, scope))]
    SymlinkEscapes {
        path: String,
        link: String,
        scope: String,
    },
    #[error("{path}: too many levels of symlinks")]
    SymlinkLoop { path: String },
    #[error("{path} is in the build output directory {out}; build outputs are never inputs")]
    Output { path: String, out: String },
    #[error("{path} is the age identity file; it is never an input")]
    Identity { path: String },
    #[error("{path} is a {kind}, not a regular file")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path} is not a directory")]
    NotDirectory { path: String },
    #[error("{path} is larger than {limit} bytes, the limit for this kind of input")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path} contains a NUL byte")]
    Nul { path: String },
    #[error("{path} is not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: io::Error },
}

fn symlink_escape(path: &str, link: &str, scope: &str) -> String {
    if path == link {
        format!("{path} is a symlink that points outside {scope}")
    } else {
        format!("{path} leads through the symlink {link}, which points outside {scope}")
    }
}

impl ConfineError {
    /// Whether the path simply does not exist (as opposed to being refused).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ConfineError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    /// The stable code of this kind of refusal.
    pub const fn code(&self) -> Code {
        match self {
            ConfineError::Escapes { .. } | ConfineError::SymlinkEscapes { .. } => {
                Code::InputOutside
            }
            ConfineError::Output { .. } | ConfineError::Identity { .. } => Code::InputExcluded,
            ConfineError::NotRegular { .. } | ConfineError::NotDirectory { .. } => {
                Code::InputNotRegular
            }
            ConfineError::TooLarge { .. } => Code::InputTooLarge,
            ConfineError::Nul { .. } | ConfineError::SymlinkLoop { .. } => Code::InputBadPath,
            ConfineError::NotUtf8 { .. } | ConfineError::Io { .. } => Code::FleetUnreadableFile,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            ConfineError::Escapes { .. } | ConfineError::SymlinkEscapes { .. } => {
                "keep inputs inside the fleet directory (copy the file in, or use a relative symlink that stays inside)"
            }
            ConfineError::SymlinkLoop { .. } => "fix the symlinks on this path",
            ConfineError::Output { .. } => {
                "build outputs cannot be inputs; reference the sources they were built from"
            }
            ConfineError::Identity { .. } => {
                "keep the age identity out of the inputs; reference an encrypted secrets/*.age file instead"
            }
            ConfineError::NotRegular { .. } | ConfineError::NotDirectory { .. } => {
                "replace it with a regular file"
            }
            ConfineError::TooLarge { .. } => "use a smaller file",
            ConfineError::Nul { .. } => "remove the NUL byte from the path",
            ConfineError::NotUtf8 { .. } => "save the file as UTF-8",
            ConfineError::Io { .. } => "check that the file exists and is readable",
        }
    }
}

/// A file or directory that is never read as input, identified by device
/// and inode so that no spelling of its path and no link reaches it.
#[derive(Clone, Debug)]
struct Excluded {
    shown: String,
    dev: u64,
    ino: u64,
}

impl Excluded {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<Excluded> {
        use std::os::unix::fs::MetadataExt as _;
        let metadata = fs::metadata(path).ok()?;
        Some(Excluded {
            shown: path.display().to_string(),
            dev: metadata.dev(),
            ino: metadata.ino(),
        })
    }

    /// Without inode numbers nothing can be recognized whatever its path.
    #[cfg(not(unix))]
    fn of(_: &Path) -> Option<Excluded> {
        None
    }

    #[cfg(unix)]
    fn matches(&self, metadata: &fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        metadata.dev() == self.dev && metadata.ino() == self.ino
    }
}

/// What a build writes or holds privately, so never reads as an input.
#[derive(Clone, Debug, Default)]
pub struct Exclusions {
    output: Option<Excluded>,
    identity: Option<Excluded>,
}

impl Exclusions {
    /// Nothing excluded (Butane's files directory, which has no outputs).
    pub fn none() -> Exclusions {
        Exclusions::default()
    }

    /// Excludes the output directory and everything under it. A directory
    /// that does not exist yet holds nothing to read.
    #[must_use]
    pub fn output_dir(mut self, path: &Path) -> Exclusions {
        self.output = Excluded::of(path);
        self
    }

    /// Excludes the age identity file (by inode, so hard links count too).
    #[must_use]
    pub fn identity_file(mut self, path: Option<&Path>) -> Exclusions {
        self.identity = path.and_then(Excluded::of);
        self
    }
}

/// An opened regular file beneath a root, checked and not yet read.
pub struct OpenedFile {
    file: File,
    shown: String,
    /// Where it was found, relative to the root, after symlinks.
    pub resolved: PathBuf,
    pub len: u64,
    pub executable: bool,
    /// Permission bits (0 where there are none).
    pub mode: u32,
    limit: u64,
}

impl OpenedFile {
    /// The whole file, at most the limit it was opened with. A large file
    /// (a log archive placed with `contents.local`) is read in one piece
    /// per core.
    pub fn read_all(self) -> Result<Vec<u8>, ConfineError> {
        let io_error = |source| ConfineError::Io {
            path: self.shown.clone(),
            source,
        };
        let mut contents = read_pieces(&self.file, self.len).map_err(io_error)?;
        // Anything appended since the length was taken is read too, as
        // `fs::read` would, up to the limit.
        let room = self.limit.saturating_sub(contents.len() as u64);
        (&self.file)
            .take(room.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(io_error)?;
        if contents.len() as u64 > self.limit {
            return Err(ConfineError::TooLarge {
                path: self.shown,
                size: contents.len() as u64,
                limit: self.limit,
            });
        }
        Ok(contents)
    }
}

/// The file's first `len` bytes, split over threads when large; what a
/// shrinking file lacks is left for the caller's tail read.
#[cfg(unix)]
fn read_pieces(file: &File, len: u64) -> io::Result<Vec<u8>> {
    use std::io::{Seek as _, SeekFrom};
    let size = usize::try_from(len).unwrap_or(0);
    if !crate::large_file_io::worth_it(size) {
        return Ok(Vec::with_capacity(size));
    }
    // Zeroed by the allocator (fresh pages from the OS come zeroed) rather
    // than by a memset on this thread; the reading threads fault them in.
    let mut contents = vec![0; size];
    let mut handle = file;
    match crate::large_file_io::read_exact(file, &mut contents) {
        Ok(()) => {
            handle.seek(SeekFrom::Start(len))?;
            Ok(contents)
        }
        // Shrunk while being read: start over the simple way.
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
            handle.rewind()?;
            Ok(Vec::new())
        }
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn read_pieces(_: &File, len: u64) -> io::Result<Vec<u8>> {
    Ok(Vec::with_capacity(usize::try_from(len).unwrap_or(0)))
}

/// What a directory entry is, without following it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
    /// A FIFO, device or socket: listed so that reading it reports it.
    Other,
}

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
}

/// A directory inputs are read beneath: the fleet root, `secrets/`, or a
/// Butane files directory. Cheap to clone; the directory is held open, so a
/// rename of the path while a build runs changes nothing.
#[derive(Clone, Debug)]
pub struct FleetRoot {
    dir: Option<Arc<imp::Dir>>,
    /// As given, for messages.
    path: PathBuf,
    /// Prefix of every path shown in messages (empty for the fleet root).
    label: PathBuf,
    /// What paths may not leave, as messages say it.
    scope: String,
    exclusions: Arc<Exclusions>,
}

impl FleetRoot {
    pub fn open(path: &Path, exclusions: Exclusions) -> io::Result<FleetRoot> {
        Ok(FleetRoot {
            dir: Some(Arc::new(imp::Dir::open(path)?)),
            path: path.to_path_buf(),
            label: PathBuf::new(),
            scope: FLEET_SCOPE.to_owned(),
            exclusions: Arc::new(exclusions),
        })
    }

    /// A root that could not be opened: every read says the file is missing.
    pub fn unopened(path: &Path) -> FleetRoot {
        FleetRoot {
            dir: None,
            path: path.to_path_buf(),
            label: PathBuf::new(),
            scope: FLEET_SCOPE.to_owned(),
            exclusions: Arc::default(),
        }
    }

    /// The same root with paths shown under `label` (a files directory is
    /// shown as given on the command line).
    #[must_use]
    pub fn labeled(&self, label: &Path) -> FleetRoot {
        FleetRoot {
            label: label.to_path_buf(),
            ..self.clone()
        }
    }

    /// The directory as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `relative` as shown in messages.
    pub fn shown(&self, relative: &str) -> String {
        if self.label.as_os_str().is_empty() {
            relative.to_owned()
        } else {
            self.label
                .join(relative.trim_start_matches('/'))
                .display()
                .to_string()
        }
    }

    fn dir(&self, relative: &str) -> Result<&imp::Dir, ConfineError> {
        self.dir.as_deref().ok_or_else(|| ConfineError::Io {
            path: self.shown(relative),
            source: io::Error::new(io::ErrorKind::NotFound, "the directory cannot be opened"),
        })
    }

    /// Opens the regular file at `relative` (see the module header),
    /// refusing it if it is larger than `limit`.
    pub fn open_file(&self, relative: &str, limit: u64) -> Result<OpenedFile, ConfineError> {
        let shown = self.shown(relative);
        check_text(relative, &shown)?;
        let (file, resolved) = self
            .dir(relative)?
            .open_file(relative, &shown, &self.shown_of())?;
        let metadata = file.metadata().map_err(|source| ConfineError::Io {
            path: shown.clone(),
            source,
        })?;
        if !metadata.is_file() {
            return Err(ConfineError::NotRegular {
                path: shown,
                kind: kind_name(&metadata.file_type()),
            });
        }
        self.check_excluded(&metadata, &shown)?;
        if metadata.len() > limit {
            return Err(ConfineError::TooLarge {
                path: shown,
                size: metadata.len(),
                limit,
            });
        }
        Ok(OpenedFile {
            file,
            shown,
            resolved,
            len: metadata.len(),
            executable: is_executable(&metadata),
            mode: mode_of(&metadata),
            limit,
        })
    }

    /// Where `relative` leads, relative to the root, after symlinks (which
    /// must stay inside); nothing is opened.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, ConfineError> {
        let shown = self.shown(relative);
        check_text(relative, &shown)?;
        self.dir(relative)?
            .resolved(relative, &shown, &self.shown_of())
    }

    /// The bytes of the regular file at `relative`.
    pub fn read(&self, relative: &str, limit: u64) -> Result<Vec<u8>, ConfineError> {
        self.open_file(relative, limit)?.read_all()
    }

    /// The text of the regular file at `relative`.
    pub fn read_text(&self, relative: &str, limit: u64) -> Result<String, ConfineError> {
        let bytes = self.read(relative, limit)?;
        String::from_utf8(bytes).map_err(|_| ConfineError::NotUtf8 {
            path: self.shown(relative),
        })
    }

    /// The entries of the directory at `relative` (`""` for the root),
    /// sorted by name, `.` and `..` left out.
    pub fn list(&self, relative: &str) -> Result<Vec<Entry>, ConfineError> {
        let shown = self.shown(relative);
        check_text(relative, &shown)?;
        let mut entries: Vec<Entry> = self
            .dir(relative)?
            .list(relative, &shown, &self.shown_of())?
            .into_iter()
            .map(|(name, kind)| Entry {
                name,
                kind: kind.entry(),
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// The target of the symlink `name` in the directory `dir`, not followed.
    pub fn read_link(&self, dir: &str, name: &str) -> Result<PathBuf, ConfineError> {
        let relative = if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        };
        let shown = self.shown(&relative);
        check_text(&relative, &shown)?;
        self.dir(&relative)?
            .read_link(dir, name, &shown, &self.shown_of())
    }

    /// The directory `relative` as a root of its own: paths beneath it may
    /// not climb out of it (`secrets/`).
    pub fn sub(&self, relative: &str) -> Result<FleetRoot, ConfineError> {
        let shown = self.shown(relative);
        check_text(relative, &shown)?;
        let dir = self
            .dir(relative)?
            .sub(relative, &shown, &self.shown_of())?;
        Ok(FleetRoot {
            dir: Some(Arc::new(dir)),
            path: self.path.join(relative),
            scope: format!("{shown}/"),
            label: PathBuf::from(shown),
            exclusions: Arc::clone(&self.exclusions),
        })
    }

    /// How to show paths found while walking, and what is excluded.
    fn shown_of(&self) -> Walk<'_> {
        Walk {
            label: &self.label,
            scope: &self.scope,
            exclusions: &self.exclusions,
        }
    }

    fn check_excluded(&self, metadata: &fs::Metadata, shown: &str) -> Result<(), ConfineError> {
        self.shown_of().check_file(metadata, shown)
    }
}

/// What the platform walkers need from the root.
struct Walk<'a> {
    label: &'a Path,
    scope: &'a str,
    exclusions: &'a Exclusions,
}

impl Walk<'_> {
    fn escapes(&self, shown: &str) -> ConfineError {
        ConfineError::Escapes {
            path: shown.to_owned(),
            scope: self.scope.to_owned(),
        }
    }

    fn symlink_escapes(&self, shown: &str, link: String) -> ConfineError {
        ConfineError::SymlinkEscapes {
            path: shown.to_owned(),
            link,
            scope: self.scope.to_owned(),
        }
    }

    /// `parts` (resolved components) as shown in messages.
    fn show(&self, parts: &[OsString]) -> String {
        let mut path = self.label.to_path_buf();
        path.extend(parts);
        path.display().to_string()
    }

    #[cfg(unix)]
    fn check_dir(&self, metadata: &fs::Metadata, shown: &str) -> Result<(), ConfineError> {
        match &self.exclusions.output {
            Some(out) if out.matches(metadata) => Err(ConfineError::Output {
                path: shown.to_owned(),
                out: out.shown.clone(),
            }),
            _ => Ok(()),
        }
    }

    #[cfg(unix)]
    fn check_file(&self, metadata: &fs::Metadata, shown: &str) -> Result<(), ConfineError> {
        match &self.exclusions.identity {
            Some(identity) if identity.matches(metadata) => Err(ConfineError::Identity {
                path: shown.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    #[cfg(not(unix))]
    fn check_file(&self, _: &fs::Metadata, _: &str) -> Result<(), ConfineError> {
        Ok(())
    }
}

/// Paths with a NUL byte cannot name a file; say so instead of letting the
/// system call fail with a vaguer message.
fn check_text(relative: &str, shown: &str) -> Result<(), ConfineError> {
    if relative.contains('\0') {
        return Err(ConfineError::Nul {
            path: shown.replace('\0', "\\0"),
        });
    }
    Ok(())
}

/// What a file is, whichever back-end looked: the one mapping to the
/// names messages use and to [`EntryKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Unknown,
}

impl Kind {
    fn of(kind: &fs::FileType) -> Kind {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if kind.is_fifo() {
                return Kind::Fifo;
            }
            if kind.is_char_device() {
                return Kind::CharDevice;
            }
            if kind.is_block_device() {
                return Kind::BlockDevice;
            }
            if kind.is_socket() {
                return Kind::Socket;
            }
        }
        if kind.is_file() {
            Kind::File
        } else if kind.is_dir() {
            Kind::Directory
        } else if kind.is_symlink() {
            Kind::Symlink
        } else {
            Kind::Unknown
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Kind::File => "regular file",
            Kind::Directory => "directory",
            Kind::Symlink => "symlink",
            Kind::Fifo => "FIFO (named pipe)",
            Kind::CharDevice => "character device",
            Kind::BlockDevice => "block device",
            Kind::Socket => "socket",
            Kind::Unknown => "special file",
        }
    }

    const fn entry(self) -> EntryKind {
        match self {
            Kind::File => EntryKind::File,
            Kind::Directory => EntryKind::Directory,
            Kind::Symlink => EntryKind::Symlink,
            _ => EntryKind::Other,
        }
    }
}

fn kind_name(kind: &fs::FileType) -> &'static str {
    Kind::of(kind).name()
}

fn is_executable(metadata: &fs::Metadata) -> bool {
    mode_of(metadata) & 0o111 != 0
}

#[cfg(unix)]
fn mode_of(metadata: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode()
}

#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> u32 {
    0
}

/// Reads a file named on the command line (`kindling butane FILE`,
/// `--identity`): symlinks are followed (the user named it), but only a
/// regular file is read, it is opened without blocking (a FIFO never
/// hangs the build), and at most `limit` bytes.
pub fn read_named_file(path: &Path, limit: u64) -> Result<Vec<u8>, ConfineError> {
    open_named_file(path, limit)?.read_all()
}

/// [`read_named_file`] in two steps, for a caller that checks the opened
/// file (its mode) before reading it.
pub fn open_named_file(path: &Path, limit: u64) -> Result<OpenedFile, ConfineError> {
    let shown = path.display().to_string();
    let io_error = |source| ConfineError::Io {
        path: shown.clone(),
        source,
    };
    let file = imp::open_nonblocking(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(ConfineError::NotRegular {
            path: shown,
            kind: kind_name(&metadata.file_type()),
        });
    }
    if metadata.len() > limit {
        return Err(ConfineError::TooLarge {
            path: shown,
            size: metadata.len(),
            limit,
        });
    }
    Ok(OpenedFile {
        file,
        shown,
        resolved: path.to_path_buf(),
        len: metadata.len(),
        executable: is_executable(&metadata),
        mode: mode_of(&metadata),
        limit,
    })
}

/// Whether `relative` leaves the directory it is relative to on its face
/// (absolute, or more `..` than names before them), before any lookup.
pub fn leaves(relative: &str) -> bool {
    let Some(parts) = components(Path::new(relative)) else {
        return true;
    };
    let mut depth = 0usize;
    for part in parts {
        if part == ".." {
            let Some(up) = depth.checked_sub(1) else {
                return true;
            };
            depth = up;
        } else {
            depth += 1;
        }
    }
    false
}

/// Splits a relative path into the components to walk; an absolute path is
/// refused.
fn components(relative: &Path) -> Option<VecDeque<OsString>> {
    let mut parts = VecDeque::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push_back(part.to_os_string()),
            Component::ParentDir => parts.push_back(OsString::from("..")),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

#[cfg(target_os = "linux")]
mod imp {
    //! The walk on Linux: `openat`/`readlinkat` beneath held directory
    //! descriptors, so every step is checked where it is taken.

    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::{Path, PathBuf};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::{ConfineError, Kind, MAX_SYMLINKS, Walk, components};

    #[derive(Debug)]
    pub struct Dir(OwnedFd);

    const DIRECTORY: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);
    const REGULAR: OFlags = OFlags::RDONLY
        .union(OFlags::NOFOLLOW)
        .union(OFlags::NONBLOCK)
        .union(OFlags::NOCTTY)
        .union(OFlags::CLOEXEC);

    pub fn open_nonblocking(path: &Path) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
    }

    /// Where a walk ended: the directory holding the last component (none
    /// for the root itself) and that component.
    struct Walked {
        stack: Vec<(OwnedFd, OsString)>,
        /// The last component, not a symlink, with what `lstat` said of it.
        last: Option<(OsString, rustix::fs::Stat)>,
    }

    impl Walked {
        fn dir<'a>(&'a self, root: &'a Dir) -> BorrowedFd<'a> {
            self.stack
                .last()
                .map_or(root.0.as_fd(), |(fd, _)| fd.as_fd())
        }

        fn resolved(&self) -> PathBuf {
            self.stack
                .iter()
                .map(|(_, name)| name.as_os_str())
                .chain(self.last.as_ref().map(|(name, _)| name.as_os_str()))
                .collect()
        }

        fn parts(&self) -> Vec<OsString> {
            self.stack
                .iter()
                .map(|(_, name)| name.clone())
                .chain(self.last.as_ref().map(|(name, _)| name.clone()))
                .collect()
        }
    }

    /// The directory `fd` (shown as `shown`) with its metadata.
    fn metadata_of(fd: OwnedFd, shown: &str) -> Result<(OwnedFd, std::fs::Metadata), ConfineError> {
        let dir = File::from(fd);
        let metadata = dir.metadata().map_err(|source| ConfineError::Io {
            path: shown.to_owned(),
            source,
        })?;
        Ok((OwnedFd::from(dir), metadata))
    }

    fn io_error(shown: &str) -> impl Fn(Errno) -> ConfineError + '_ {
        move |errno| ConfineError::Io {
            path: shown.to_owned(),
            source: errno.into(),
        }
    }

    impl Dir {
        pub fn open(path: &Path) -> io::Result<Dir> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            Ok(Dir(rustix::fs::open(path, flags, Mode::empty())?))
        }

        /// Walks `relative` beneath this directory, following symlinks that
        /// stay beneath it, up to its last component (not opened). Every
        /// directory entered is checked against the exclusions.
        ///
        /// A component before the last is opened as a directory without
        /// following a symlink, and read as a link only when that fails; the
        /// last one is looked at without following it. Whatever a step finds
        /// is what the next step uses: no name is looked up twice.
        fn walk(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<Walked, ConfineError> {
            let mut pending = components(Path::new(relative)).ok_or_else(|| walk.escapes(shown))?;
            let mut walked = Walked {
                stack: Vec::new(),
                last: None,
            };
            let mut links = 0;
            let mut via: Option<String> = None;
            while let Some(name) = pending.pop_front() {
                if name == ".." {
                    if walked.stack.pop().is_none() {
                        return Err(match via {
                            Some(link) => walk.symlink_escapes(shown, link),
                            None => walk.escapes(shown),
                        });
                    }
                    continue;
                }
                let dir = walked.dir(self);
                let target = if pending.is_empty() {
                    let stat = rustix::fs::statat(dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
                        .map_err(io_error(shown))?;
                    if FileType::from_raw_mode(stat.st_mode) != FileType::Symlink {
                        walked.last = Some((name, stat));
                        continue;
                    }
                    rustix::fs::readlinkat(dir, name.as_os_str(), Vec::new())
                        .map_err(io_error(shown))?
                } else {
                    match rustix::fs::openat(dir, name.as_os_str(), DIRECTORY, Mode::empty()) {
                        Ok(fd) => {
                            let (fd, metadata) = metadata_of(fd, shown)?;
                            walk.check_dir(&metadata, shown)?;
                            walked.stack.push((fd, name));
                            continue;
                        }
                        // A symlink (ELOOP, or ENOTDIR with O_DIRECTORY), or
                        // something that is no directory.
                        Err(Errno::LOOP | Errno::NOTDIR) => {
                            match rustix::fs::readlinkat(dir, name.as_os_str(), Vec::new()) {
                                Ok(target) => target,
                                Err(Errno::INVAL) => {
                                    return Err(ConfineError::NotDirectory {
                                        path: walk.show(&walked.parts_with(&name)),
                                    });
                                }
                                Err(errno) => return Err(io_error(shown)(errno)),
                            }
                        }
                        Err(errno) => return Err(io_error(shown)(errno)),
                    }
                };
                let link = walk.show(&walked.parts_with(&name));
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(ConfineError::SymlinkLoop {
                        path: shown.to_owned(),
                    });
                }
                let target = Path::new(OsStr::from_bytes(target.as_bytes()));
                let Some(parts) = components(target) else {
                    return Err(walk.symlink_escapes(shown, link));
                };
                for part in parts.into_iter().rev() {
                    pending.push_front(part);
                }
                via = Some(link);
            }
            Ok(walked)
        }

        pub fn resolved(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<PathBuf, ConfineError> {
            Ok(self.walk(relative, shown, walk)?.resolved())
        }

        pub fn open_file(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<(File, PathBuf), ConfineError> {
            let walked = self.walk(relative, shown, walk)?;
            let Some((name, stat)) = &walked.last else {
                return Err(ConfineError::NotRegular {
                    path: shown.to_owned(),
                    kind: "directory",
                });
            };
            let dir = walked.dir(self);
            // FIFOs and devices are refused before they are opened (opening
            // one can have effects); the descriptor is checked again after.
            let kind = FileType::from_raw_mode(stat.st_mode);
            if kind != FileType::RegularFile {
                return Err(ConfineError::NotRegular {
                    path: shown.to_owned(),
                    kind: kind_of(kind).name(),
                });
            }
            let fd = rustix::fs::openat(dir, name.as_os_str(), REGULAR, Mode::empty())
                .map_err(io_error(shown))?;
            Ok((File::from(fd), walked.resolved()))
        }

        /// The directory at `relative`, opened and checked.
        fn open_dir(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<OwnedFd, ConfineError> {
            let walked = self.walk(relative, shown, walk)?;
            let fd = match &walked.last {
                Some((name, _)) => {
                    rustix::fs::openat(walked.dir(self), name.as_os_str(), DIRECTORY, Mode::empty())
                        .map_err(|errno| match errno {
                            Errno::NOTDIR => ConfineError::NotDirectory {
                                path: shown.to_owned(),
                            },
                            _ => io_error(shown)(errno),
                        })?
                }
                None => rustix::fs::openat(walked.dir(self), ".", DIRECTORY, Mode::empty())
                    .map_err(io_error(shown))?,
            };
            let (fd, metadata) = metadata_of(fd, shown)?;
            walk.check_dir(&metadata, shown)?;
            Ok(fd)
        }

        pub fn sub(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<Dir, ConfineError> {
            self.open_dir(relative, shown, walk).map(Dir)
        }

        /// The directory's entries (`.` and `..` left out) and what each is,
        /// not followed.
        pub fn list(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<Vec<(String, Kind)>, ConfineError> {
            let fd = self.open_dir(relative, shown, walk)?;
            let mut entries = Vec::new();
            for entry in rustix::fs::Dir::read_from(&fd).map_err(io_error(shown))? {
                let entry = entry.map_err(io_error(shown))?;
                let name = entry.file_name().to_bytes();
                if name == b"." || name == b".." {
                    continue;
                }
                let mut kind = entry.file_type();
                if kind == FileType::Unknown {
                    kind = rustix::fs::statat(&fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                        .map(|stat| FileType::from_raw_mode(stat.st_mode))
                        .map_err(io_error(shown))?;
                }
                entries.push((String::from_utf8_lossy(name).into_owned(), kind_of(kind)));
            }
            Ok(entries)
        }

        pub fn read_link(
            &self,
            dir: &str,
            name: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<PathBuf, ConfineError> {
            let fd = self.open_dir(dir, shown, walk)?;
            let target = rustix::fs::readlinkat(&fd, name, Vec::new()).map_err(io_error(shown))?;
            Ok(PathBuf::from(OsStr::from_bytes(target.as_bytes())))
        }
    }

    impl Walked {
        fn parts_with(&self, name: &OsString) -> Vec<OsString> {
            let mut parts = self.parts();
            parts.push(name.clone());
            parts
        }
    }

    /// rustix's file type as [`Kind`].
    fn kind_of(kind: FileType) -> Kind {
        match kind {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Directory,
            FileType::Symlink => Kind::Symlink,
            FileType::Fifo => Kind::Fifo,
            FileType::CharacterDevice => Kind::CharDevice,
            FileType::BlockDevice => Kind::BlockDevice,
            FileType::Socket => Kind::Socket,
            FileType::Unknown => Kind::Unknown,
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    //! Elsewhere: the path is canonicalized and checked to lie beneath the
    //! root, then opened. This is the same rule without the guarantee that
    //! nothing changes between the check and the open.

    use std::fs::{self, File};
    use std::io;
    use std::path::{Path, PathBuf};

    use super::{ConfineError, Kind, Walk, components};

    #[derive(Debug)]
    pub struct Dir(PathBuf);

    /// Without `O_NONBLOCK` at hand, a FIFO is kept from blocking the open
    /// by a look at the path first.
    pub fn open_nonblocking(path: &Path) -> io::Result<File> {
        if !fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        File::open(path)
    }

    impl Dir {
        pub fn open(path: &Path) -> io::Result<Dir> {
            let canonical = fs::canonicalize(path)?;
            if !canonical.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            Ok(Dir(canonical))
        }

        fn resolve(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<(PathBuf, PathBuf), ConfineError> {
            let parts = components(Path::new(relative)).ok_or_else(|| walk.escapes(shown))?;
            let joined: PathBuf = std::iter::once(self.0.clone().into_os_string())
                .chain(parts)
                .collect();
            let real = fs::canonicalize(&joined).map_err(|source| ConfineError::Io {
                path: shown.to_owned(),
                source,
            })?;
            let Ok(inside) = real.strip_prefix(&self.0).map(Path::to_path_buf) else {
                return Err(walk.symlink_escapes(shown, shown.to_owned()));
            };
            #[cfg(unix)]
            for ancestor in real.ancestors().filter(|a| a.starts_with(&self.0)) {
                if let Ok(metadata) = fs::metadata(ancestor)
                    && metadata.is_dir()
                {
                    walk.check_dir(&metadata, shown)?;
                }
            }
            Ok((real, inside))
        }

        pub fn resolved(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<PathBuf, ConfineError> {
            Ok(self.resolve(relative, shown, walk)?.1)
        }

        pub fn open_file(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<(File, PathBuf), ConfineError> {
            let (real, inside) = self.resolve(relative, shown, walk)?;
            let file = open_nonblocking(&real).map_err(|source| ConfineError::Io {
                path: shown.to_owned(),
                source,
            })?;
            Ok((file, inside))
        }

        pub fn sub(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<Dir, ConfineError> {
            let (real, _) = self.resolve(relative, shown, walk)?;
            if !real.is_dir() {
                return Err(ConfineError::NotDirectory {
                    path: shown.to_owned(),
                });
            }
            Ok(Dir(real))
        }

        /// The directory's entries and what each is, not followed.
        pub fn list(
            &self,
            relative: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<Vec<(String, Kind)>, ConfineError> {
            let dir = self.sub(relative, shown, walk)?;
            let io_error = |source| ConfineError::Io {
                path: shown.to_owned(),
                source,
            };
            let mut entries = Vec::new();
            for entry in fs::read_dir(&dir.0).map_err(io_error)? {
                let entry = entry.map_err(io_error)?;
                let kind = entry.file_type().map_err(io_error)?;
                entries.push((
                    entry.file_name().to_string_lossy().into_owned(),
                    Kind::of(&kind),
                ));
            }
            Ok(entries)
        }

        pub fn read_link(
            &self,
            dir: &str,
            name: &str,
            shown: &str,
            walk: &Walk<'_>,
        ) -> Result<PathBuf, ConfineError> {
            let dir = self.sub(dir, shown, walk)?;
            fs::read_link(dir.0.join(name)).map_err(|source| ConfineError::Io {
                path: shown.to_owned(),
                source,
            })
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn root_with(exclusions: Exclusions) -> (tempfile::TempDir, FleetRoot) {
        let dir = tempfile::tempdir().expect("tempdir");
        let fleet = dir.path().join("fleet");
        fs::create_dir_all(fleet.join("a/b")).expect("mkdir");
        fs::write(fleet.join("a/b/file"), "inside").expect("write");
        fs::write(dir.path().join("outside"), "outside").expect("write");
        let root = FleetRoot::open(&fleet, exclusions).expect("open");
        (dir, root)
    }

    fn refusal(result: Result<Vec<u8>, ConfineError>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn dotdot_may_climb_back_but_never_above_the_root() {
        let (_dir, root) = root_with(Exclusions::none());
        assert_eq!(root.read("a/b/../b/file", 100).expect("read"), b"inside");
        assert_eq!(
            refusal(root.read("a/../../outside", 100)),
            "a/../../outside is outside the fleet directory (paths are relative to it and may not climb out)"
        );
        assert!(leaves("a/../../x") && leaves("/etc/x") && !leaves("a/../b"));
    }

    #[test]
    fn symlinks_are_followed_only_while_they_stay_inside() {
        let (dir, root) = root_with(Exclusions::none());
        let fleet = dir.path().join("fleet");
        symlink("b/file", fleet.join("a/in")).expect("symlink");
        symlink("../../outside", fleet.join("a/out")).expect("symlink");
        symlink("..", fleet.join("a/up")).expect("symlink");
        symlink("loop", fleet.join("loop")).expect("symlink");
        assert_eq!(root.read("a/in", 100).expect("read"), b"inside");
        assert_eq!(
            refusal(root.read("a/out", 100)),
            "a/out is a symlink that points outside the fleet directory"
        );
        assert_eq!(
            refusal(root.read("a/up/../outside", 100)),
            "a/up/../outside leads through the symlink a/up, which points outside the fleet directory"
        );
        assert_eq!(
            refusal(root.read("loop", 100)),
            "loop: too many levels of symlinks"
        );
        // Links before the last component: followed to a directory, and
        // judged where they lead otherwise.
        symlink("b", fleet.join("a/dir")).expect("symlink");
        assert_eq!(root.read("a/dir/file", 100).expect("read"), b"inside");
        assert_eq!(
            refusal(root.read("a/in/x", 100)),
            "a/b/file is not a directory"
        );
        assert_eq!(
            refusal(root.read("loop/x", 100)),
            "loop/x: too many levels of symlinks"
        );
        assert_eq!(
            refusal(root.read("a/out/x", 100)),
            "a/out/x leads through the symlink a/out, which points outside the fleet directory"
        );
        // `secrets/` as its own root: a link to elsewhere in the fleet leaves it.
        let sub = root.sub("a/b").expect("sub");
        symlink("../../a/b/file", fleet.join("a/b/back")).expect("symlink");
        assert_eq!(
            refusal(sub.read("back", 100)),
            "a/b/back is a symlink that points outside a/b/"
        );
    }

    #[test]
    fn exclusions_hold_whatever_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fleet = dir.path().join("fleet");
        fs::create_dir_all(fleet.join("build")).expect("mkdir");
        fs::write(fleet.join("build/h.ign"), "{}").expect("write");
        fs::write(fleet.join("key.txt"), "AGE-SECRET-KEY-1").expect("write");
        fs::hard_link(fleet.join("key.txt"), fleet.join("copy.txt")).expect("link");
        symlink("build", fleet.join("alias")).expect("symlink");
        let exclusions = Exclusions::none()
            .output_dir(&fleet.join("build"))
            .identity_file(Some(&fleet.join("key.txt")));
        let root = FleetRoot::open(&fleet, exclusions).expect("open");
        for path in ["build/h.ign", "alias/h.ign", "./build/../build/h.ign"] {
            assert!(
                matches!(root.read(path, 100), Err(ConfineError::Output { .. })),
                "{path}"
            );
        }
        assert!(matches!(
            root.list("alias"),
            Err(ConfineError::Output { .. })
        ));
        for path in ["key.txt", "copy.txt"] {
            assert!(
                matches!(root.read(path, 100), Err(ConfineError::Identity { .. })),
                "{path}"
            );
        }
    }

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let (dir, root) = root_with(Exclusions::none());
        let fleet = dir.path().join("fleet");
        let status = std::process::Command::new("mkfifo")
            .arg(fleet.join("pipe"))
            .status()
            .expect("mkfifo");
        assert!(status.success());
        assert_eq!(
            refusal(root.read("pipe", 100)),
            "pipe is a FIFO (named pipe), not a regular file"
        );
        assert_eq!(
            refusal(root.read("a", 100)),
            "a is a directory, not a regular file"
        );
        assert_eq!(
            refusal(root.read("a/b/file/x", 100)),
            "a/b/file is not a directory"
        );
        assert_eq!(refusal(root.read("pipe/x", 100)), "pipe is not a directory");
        assert_eq!(
            refusal(root.read("a/missing/x", 100)),
            refusal(root.read("a/missing", 100)).replace("a/missing", "a/missing/x")
        );
        assert_eq!(
            refusal(root.read("a/b/file", 3)),
            "a/b/file is larger than 3 bytes, the limit for this kind of input"
        );
        assert_eq!(refusal(root.read("a\0b", 3)), "a\\0b contains a NUL byte");
        assert_eq!(
            refusal(read_named_file(Path::new("/dev/zero"), 100)),
            "/dev/zero is a character device, not a regular file"
        );
    }

    #[test]
    fn listing_names_every_kind_without_following() {
        let (dir, root) = root_with(Exclusions::none());
        let fleet = dir.path().join("fleet");
        symlink("../outside", fleet.join("a/link")).expect("symlink");
        let entries = root.list("a").expect("list");
        let kinds: Vec<(&str, EntryKind)> =
            entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            kinds,
            [("b", EntryKind::Directory), ("link", EntryKind::Symlink)]
        );
    }
}
