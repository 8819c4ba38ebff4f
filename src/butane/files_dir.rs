//! Reading `local` files under the files directory (`-d/--files-dir`).
//!
//! Butane joins the local path onto the directory and cleans it lexically, so
//! `/hello.txt` reads `DIR/hello.txt` and `sub/../x` is fine, while a path that
//! climbs out with `..` is refused. Butane then follows symlinks wherever they
//! point; kindling is stricter and also refuses a path that a symlink takes
//! outside the directory, so a build can never embed `/etc/shadow` because of
//! a stray link.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use thiserror::Error;

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
        }
    }
}

/// The files directory, resolved once.
#[derive(Clone, Debug)]
pub struct FilesDir {
    /// As given, for messages.
    given: PathBuf,
    /// Canonical form, for containment checks.
    canonical: PathBuf,
    /// Every file read through this handle (for build manifests).
    reads: Arc<Mutex<BTreeSet<PathBuf>>>,
    /// Canonical directories whose files are secrets wherever a config
    /// places them (a fleet's `secrets/`).
    secret_dirs: Vec<PathBuf>,
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
        let canonical = fs::canonicalize(dir)?;
        if !canonical.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(FilesDir {
            given: dir.to_path_buf(),
            canonical,
            reads: Arc::default(),
            secret_dirs: Vec::new(),
        })
    }

    /// Marks the files under `relative` as secrets (see [`Self::holds_secret`]).
    #[must_use]
    pub fn with_secret_dir(mut self, relative: &str) -> Self {
        let joined = self.canonical.join(relative);
        self.secret_dirs
            .push(fs::canonicalize(&joined).unwrap_or(joined));
        self
    }

    /// Whether `local` resolves to a file under a secret directory: the
    /// translator flags what it places from there as secret.
    pub fn holds_secret(&self, local: &str) -> bool {
        !self.secret_dirs.is_empty()
            && self
                .resolve(local)
                .is_ok_and(|real| self.secret_dirs.iter().any(|dir| real.starts_with(dir)))
    }

    /// The files read so far, relative to the directory.
    pub fn reads(&self) -> Vec<PathBuf> {
        let reads = self.reads.lock().map(|r| r.clone()).unwrap_or_default();
        reads
            .into_iter()
            .filter_map(|p| p.strip_prefix(&self.canonical).ok().map(Path::to_path_buf))
            .collect()
    }

    fn record(&self, path: &Path) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.insert(path.to_path_buf());
        }
    }

    pub fn path(&self) -> &Path {
        &self.given
    }

    /// Joins `local` onto the directory lexically; refuses `..` escapes.
    fn join(&self, local: &str) -> Result<PathBuf, LocalFileError> {
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
        let mut path = self.canonical.clone();
        path.extend(parts);
        Ok(path)
    }

    /// Resolves `local` and checks that it stays inside the directory after
    /// following symlinks.
    pub fn resolve(&self, local: &str) -> Result<PathBuf, LocalFileError> {
        let joined = self.join(local)?;
        let real = fs::canonicalize(&joined).map_err(|source| LocalFileError::Read {
            path: self.display(local),
            source,
        })?;
        if !real.starts_with(&self.canonical) {
            return Err(LocalFileError::SymlinkEscape(local.to_owned()));
        }
        Ok(real)
    }

    fn display(&self, local: &str) -> String {
        self.given
            .join(local.trim_start_matches('/'))
            .display()
            .to_string()
    }

    pub fn read(&self, local: &str) -> Result<Vec<u8>, LocalFileError> {
        let path = self.resolve(local)?;
        self.record(&path);
        read_file(&path).map_err(|source| LocalFileError::Read {
            path: self.display(local),
            source,
        })
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
        let root = self.resolve(local)?;
        if !root.is_dir() {
            return Err(LocalFileError::TreeRootNotDirectory);
        }
        let mut entries = vec![TreeEntry::Directory {
            relative: String::new(),
        }];
        self.walk_into(&root, "", local, &mut entries)?;
        Ok(entries)
    }

    fn walk_into(
        &self,
        dir: &Path,
        prefix: &str,
        local: &str,
        out: &mut Vec<TreeEntry>,
    ) -> Result<(), LocalFileError> {
        let read_error = |source| LocalFileError::Read {
            path: self.display(&format!("{local}/{prefix}")),
            source,
        };
        let mut names: Vec<(String, PathBuf)> = fs::read_dir(dir)
            .map_err(read_error)?
            .map(|entry| entry.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
            .collect::<Result<_, _>>()
            .map_err(read_error)?;
        names.sort();
        for (name, path) in names {
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let metadata = fs::symlink_metadata(&path).map_err(read_error)?;
            let kind = metadata.file_type();
            if kind.is_symlink() {
                let target = fs::read_link(&path).map_err(read_error)?;
                out.push(TreeEntry::Symlink {
                    relative,
                    target: target.to_string_lossy().into_owned(),
                });
            } else if kind.is_dir() {
                out.push(TreeEntry::Directory {
                    relative: relative.clone(),
                });
                self.walk_into(&path, &relative, local, out)?;
            } else if kind.is_file() {
                let contents = fs::read(&path).map_err(read_error)?;
                self.record(&path);
                out.push(TreeEntry::File {
                    relative,
                    contents,
                    executable: is_executable(&metadata),
                });
            } else {
                return Err(LocalFileError::UnsupportedTreeEntry(relative));
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}

/// The whole file; a large one (a log archive placed with
/// `contents.local`) is read in one piece per core ([`crate::large_file_io`]).
#[cfg(unix)]
fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _, SeekFrom};

    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    let size = usize::try_from(len).unwrap_or(0);
    let mut contents = if crate::large_file_io::worth_it(size) {
        // Zeroed by the allocator (fresh pages from the OS come zeroed)
        // rather than by a 64 MiB memset on this thread; the pages are
        // faulted in by the reading threads, in parallel.
        let mut contents = vec![0; size];
        match crate::large_file_io::read_exact(&file, &mut contents) {
            // Anything appended since the length was taken is read below,
            // as `fs::read` would.
            Ok(()) => {
                file.seek(SeekFrom::Start(len))?;
            }
            // Shrunk while being read: start over the simple way.
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                contents.clear();
                file.rewind()?;
            }
            Err(error) => return Err(error),
        }
        contents
    } else {
        Vec::with_capacity(size)
    };
    file.read_to_end(&mut contents)?;
    Ok(contents)
}

#[cfg(not(unix))]
fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path)
}

#[cfg(test)]
mod tests {
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
