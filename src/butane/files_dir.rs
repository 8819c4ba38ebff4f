//! Reading `local` files under the files directory (`-d/--files-dir`).
//!
//! Butane joins the local path onto the directory and cleans it lexically, so
//! `/hello.txt` reads `DIR/hello.txt` and `sub/../x` is fine, while a path that
//! climbs out with `..` is refused. Butane then follows symlinks wherever they
//! point; kindling reads through [`crate::confine`] and so also refuses a path
//! that a symlink takes outside the directory (a build can never embed
//! `/etc/shadow` because of a stray link), FIFOs and devices, and files over
//! [`DATA_LIMIT`].

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::confine::{ConfineError, DATA_LIMIT, EntryKind, Exclusions, FleetRoot};
use crate::diag::Code;

#[derive(Debug, Error)]
pub enum LocalFileError {
    #[error(
        "local file paths are relative to a files directory that must be specified with -d/--files-dir"
    )]
    NoFilesDir,
    #[error("local file path traverses outside the files directory")]
    Traverses,
    #[error("local file path {0} leads through a symlink outside the files directory")]
    SymlinkEscape(String),
    #[error("cannot read local file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("root of tree must be a directory")]
    TreeRootNotDirectory,
    #[error("trees may only contain files, directories, and symlinks (found {0})")]
    UnsupportedTreeEntry(String),
    /// Not a regular file, too large, a build output, a NUL in the path.
    #[error("{0}")]
    Refused(ConfineError),
}

impl LocalFileError {
    /// The stable code of this kind of finding.
    pub const fn code(&self) -> Code {
        match self {
            LocalFileError::NoFilesDir => Code::ButaneNoFilesDir,
            LocalFileError::Traverses | LocalFileError::SymlinkEscape(_) => {
                Code::ButaneLocalEscapes
            }
            LocalFileError::Read { .. } => Code::ButaneLocalUnreadable,
            LocalFileError::TreeRootNotDirectory => Code::ButaneTreeNotDirectory,
            LocalFileError::UnsupportedTreeEntry(_) => Code::ButaneTreeEntry,
            LocalFileError::Refused(error) => error.code(),
        }
    }
}

/// The files directory, opened once.
#[derive(Clone, Debug)]
pub struct FilesDir {
    root: FleetRoot,
    /// Every file read through this handle, relative to the directory after
    /// symlinks (for build manifests).
    reads: Arc<Mutex<BTreeSet<PathBuf>>>,
    /// Canonical directories whose files are secrets wherever a config
    /// places them (a fleet's `secrets/`).
    secret_dirs: Vec<PathBuf>,
    /// Files that are not on disk but stand at these (cleaned) paths: the
    /// `.ign` outputs a Butane layout generates and merges (`kindling
    /// import` compiles them first).
    generated: Arc<BTreeMap<String, Vec<u8>>>,
}

/// One entry of a local tree, in Butane's walk order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeEntry {
    File {
        relative: String,
        contents: Vec<u8>,
        executable: bool,
    },
    Directory {
        relative: String,
    },
    Symlink {
        relative: String,
        target: String,
    },
}

impl FilesDir {
    pub fn open(dir: &Path) -> io::Result<FilesDir> {
        Ok(FilesDir::within(&FleetRoot::open(dir, Exclusions::none())?))
    }

    /// `local` files read beneath an already opened root (a fleet's, with
    /// its exclusions), shown under the root's path as given.
    pub fn within(root: &FleetRoot) -> FilesDir {
        FilesDir {
            root: root.labeled(root.path()),
            reads: Arc::default(),
            secret_dirs: Vec::new(),
            generated: Arc::default(),
        }
    }

    /// These files read as if they were in the directory (and over any
    /// that is), by their path in it.
    #[must_use]
    pub fn with_generated(mut self, files: BTreeMap<String, Vec<u8>>) -> Self {
        let files = files
            .into_iter()
            .filter_map(|(path, bytes)| FilesDir::join(&path).ok().map(|path| (path, bytes)))
            .collect();
        self.generated = Arc::new(files);
        self
    }

    /// Whether `local` is a generated file (see [`Self::with_generated`]).
    pub fn is_generated(&self, local: &str) -> bool {
        FilesDir::join(local).is_ok_and(|path| self.generated.contains_key(&path))
    }

    /// Marks the files under `relative` as secrets (see [`Self::holds_secret`]).
    #[must_use]
    pub fn with_secret_dir(mut self, relative: &str) -> Self {
        let resolved = self
            .root
            .resolve(relative)
            .unwrap_or_else(|_| PathBuf::from(relative));
        self.secret_dirs.push(resolved);
        self
    }

    /// Whether `local` resolves to a file under a secret directory: the
    /// translator flags what it places from there as secret.
    pub fn holds_secret(&self, local: &str) -> bool {
        !self.secret_dirs.is_empty()
            && FilesDir::join(local)
                .ok()
                .and_then(|relative| self.root.resolve(&relative).ok())
                .is_some_and(|real| self.secret_dirs.iter().any(|dir| real.starts_with(dir)))
    }

    /// The files read so far, relative to the directory.
    pub fn reads(&self) -> Vec<PathBuf> {
        let reads = self.reads.lock().map(|r| r.clone()).unwrap_or_default();
        reads.into_iter().collect()
    }

    fn record(&self, path: PathBuf) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.insert(path);
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// Cleans `local` lexically as Butane does; refuses `..` escapes.
    fn join(local: &str) -> Result<String, LocalFileError> {
        let mut parts: Vec<&str> = Vec::new();
        for component in Path::new(local).components() {
            match component {
                Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(LocalFileError::Traverses);
                    }
                }
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        Ok(parts.join("/"))
    }

    fn display(&self, local: &str) -> String {
        self.root.shown(local)
    }

    /// Butane's messages where Butane has one, kindling's refusals otherwise.
    fn refused(&self, local: &str, error: ConfineError) -> LocalFileError {
        match error {
            ConfineError::Escapes { .. } | ConfineError::SymlinkEscapes { .. } => {
                LocalFileError::SymlinkEscape(local.to_owned())
            }
            ConfineError::Io { source, .. } => LocalFileError::Read {
                path: self.display(local),
                source,
            },
            other => LocalFileError::Refused(other),
        }
    }

    pub fn read(&self, local: &str) -> Result<Vec<u8>, LocalFileError> {
        let relative = FilesDir::join(local)?;
        if let Some(bytes) = self.generated.get(&relative) {
            return Ok(bytes.clone());
        }
        let opened = self
            .root
            .open_file(&relative, DATA_LIMIT)
            .map_err(|error| self.refused(local, error))?;
        self.record(opened.resolved.clone());
        opened
            .read_all()
            .map_err(|error| self.refused(local, error))
    }

    pub fn read_to_string(&self, local: &str) -> Result<String, LocalFileError> {
        let bytes = self.read(local)?;
        String::from_utf8(bytes).map_err(|_| LocalFileError::Read {
            path: self.display(local),
            source: io::Error::new(io::ErrorKind::InvalidData, "file is not valid UTF-8 text"),
        })
    }

    /// Walks a local tree: lexical order, each directory before its contents
    /// (Go's `filepath.Walk`). The root itself is included as the directory
    /// with an empty relative path.
    pub fn walk(&self, local: &str) -> Result<Vec<TreeEntry>, LocalFileError> {
        let root = FilesDir::join(local)?;
        let mut entries = vec![TreeEntry::Directory {
            relative: String::new(),
        }];
        self.walk_into(&root, "", local, &mut entries)?;
        Ok(entries)
    }

    fn walk_into(
        &self,
        dir: &str,
        prefix: &str,
        local: &str,
        out: &mut Vec<TreeEntry>,
    ) -> Result<(), LocalFileError> {
        let listed = self.root.list(dir).map_err(|error| match error {
            ConfineError::NotDirectory { .. } if prefix.is_empty() => {
                LocalFileError::TreeRootNotDirectory
            }
            ConfineError::Io { source, .. } => LocalFileError::Read {
                path: if prefix.is_empty() {
                    self.display(local)
                } else {
                    self.display(&format!("{local}/{prefix}"))
                },
                source,
            },
            other => self.refused(local, other),
        })?;
        for entry in listed {
            let relative = if prefix.is_empty() {
                entry.name.clone()
            } else {
                format!("{prefix}/{}", entry.name)
            };
            let inside = if dir.is_empty() {
                entry.name.clone()
            } else {
                format!("{dir}/{}", entry.name)
            };
            match entry.kind {
                EntryKind::Symlink => {
                    let target = self
                        .root
                        .read_link(dir, &entry.name)
                        .map_err(|error| self.refused(&format!("{local}/{relative}"), error))?;
                    out.push(TreeEntry::Symlink {
                        relative,
                        target: target.to_string_lossy().into_owned(),
                    });
                }
                EntryKind::Directory => {
                    out.push(TreeEntry::Directory {
                        relative: relative.clone(),
                    });
                    self.walk_into(&inside, &relative, local, out)?;
                }
                EntryKind::File => {
                    let shown = format!("{local}/{relative}");
                    let opened = self
                        .root
                        .open_file(&inside, DATA_LIMIT)
                        .map_err(|error| self.refused(&shown, error))?;
                    let executable = opened.executable;
                    self.record(opened.resolved.clone());
                    let contents = opened
                        .read_all()
                        .map_err(|error| self.refused(&shown, error))?;
                    out.push(TreeEntry::File {
                        relative,
                        contents,
                        executable,
                    });
                }
                EntryKind::Other => return Err(LocalFileError::UnsupportedTreeEntry(relative)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn setup() -> (tempfile::TempDir, FilesDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = dir.path().join("files");
        fs::create_dir_all(files.join("sub")).expect("mkdir");
        fs::write(files.join("hello.txt"), "hi\n").expect("write");
        fs::write(files.join("sub/b.txt"), "b").expect("write");
        fs::write(dir.path().join("secret"), "s").expect("write");
        let files_dir = FilesDir::open(&files).expect("open");
        (dir, files_dir)
    }

    #[cfg(unix)]
    #[test]
    fn large_files_read_in_pieces_come_back_whole() {
        let (dir, files) = setup();
        // Not a multiple of any thread count, every byte tied to its offset.
        let size = crate::large_file_io::MIN_BYTES + 12_345;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        fs::write(dir.path().join("files/big.bin"), &data).expect("write");
        assert!(files.read("big.bin").expect("read") == data);
        assert_eq!(files.reads(), vec![PathBuf::from("big.bin")]);
    }

    #[test]
    fn absolute_and_dotted_paths_stay_inside() {
        let (_dir, files) = setup();
        assert_eq!(files.read("/hello.txt").expect("read"), b"hi\n");
        assert_eq!(files.read("sub/../hello.txt").expect("read"), b"hi\n");
    }

    #[test]
    fn dotdot_escape_is_refused() {
        let (_dir, files) = setup();
        assert!(matches!(
            files.read("../secret"),
            Err(LocalFileError::Traverses)
        ));
        assert!(matches!(
            files.read("sub/../../secret"),
            Err(LocalFileError::Traverses)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_escape_is_refused() {
        let (dir, files) = setup();
        std::os::unix::fs::symlink(dir.path().join("secret"), files.path().join("link"))
            .expect("symlink");
        assert!(matches!(
            files.read("link"),
            Err(LocalFileError::SymlinkEscape(_))
        ));
    }

    #[test]
    fn missing_file_names_the_path() {
        let (_dir, files) = setup();
        let error = files.read("nope").expect_err("missing");
        assert!(error.to_string().contains("nope"), "{error}");
    }

    #[test]
    fn walk_is_lexical_and_directories_first() {
        let (_dir, files) = setup();
        let entries = files.walk(".").expect("walk");
        let names: Vec<String> = entries
            .iter()
            .map(|e| match e {
                TreeEntry::File { relative, .. } => format!("f:{relative}"),
                TreeEntry::Directory { relative } => format!("d:{relative}"),
                TreeEntry::Symlink { relative, .. } => format!("l:{relative}"),
            })
            .collect();
        assert_eq!(names, ["d:", "f:hello.txt", "d:sub", "f:sub/b.txt"]);
    }
}
