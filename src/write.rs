//! The write stage: outputs land whole or not at all.
//!
//! A single file ([`write_atomic`]: `butane -o`, a VM's config) is written
//! to a temporary file in the destination directory, flushed to disk, given
//! its final mode, and renamed over the destination, so a failed or
//! interrupted write never leaves a partial or truncated file behind. A
//! destination that is a symlink keeps being one (the file it points to is
//! replaced), and one that is no file at all (`/dev/null`, `/dev/stdout`, a
//! FIFO) is written to as it is: renaming over it would replace a device
//! node (as root) or a link with a regular file. A
//! fleet build's directory is published as a whole, one generation per
//! build ([`generations`]). Outputs that embed secrets get mode 0600 from
//! the start.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub mod generations;

/// The OS error is part of the message, and not the error's `source`:
/// reported through a chain (`{:#}`) it would otherwise be printed twice.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot write {}: {}",
            self.path.display(),
            os_error(&self.source)
        )
    }
}

impl std::error::Error for WriteError {}

/// The OS's words for `error`, without the temporary file name `tempfile`
/// appends (` at path "..."`: not a path the user gave).
fn os_error(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" at path \"") {
        Some(end) if error.get_ref().is_some() => text[..end].to_owned(),
        _ => text,
    }
}

/// Who may read an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// 0644: the usual mode for configs.
    Public,
    /// 0600: the output embeds a secret.
    Secret,
}

impl Visibility {
    #[cfg(unix)]
    const fn mode(self) -> u32 {
        match self {
            Visibility::Public => 0o644,
            Visibility::Secret => 0o600,
        }
    }
}

/// Whether `path` already is a regular file holding exactly `bytes` with
/// `visibility`'s mode, so writing it again would change nothing but its
/// mtime. Any doubt (unreadable, a symlink, another mode) answers no.
pub fn is_current(path: &Path, bytes: &[u8], visibility: Visibility) -> bool {
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return false;
    };
    if !metadata.is_file() || metadata.len() != bytes.len() as u64 {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o7777 != visibility.mode() {
            return false;
        }
    }
    fs::read(path).is_ok_and(|existing| existing == bytes)
}

/// Writes `bytes` to `path` atomically with the given visibility.
pub fn write_atomic(path: &Path, bytes: &[u8], visibility: Visibility) -> Result<(), WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    match Destination::of(path).map_err(error)? {
        Destination::File(file) => prepare_atomic(&file, bytes, visibility)?.commit(),
        Destination::Stream => {
            let mut stream = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(error)?;
            stream.write_all(bytes).map_err(error)
        }
    }
}

/// Where [`write_atomic`] puts its bytes.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    /// A regular file (or none yet) at this path, symlinks resolved.
    File(PathBuf),
    /// Something that is not a file (device, FIFO, socket), written in place.
    Stream,
}

/// Symlinks followed at most this often, as the kernel's `ELOOP` limit.
const MAX_SYMLINKS: usize = 40;

impl Destination {
    fn of(path: &Path) -> io::Result<Self> {
        let mut candidate = path.to_path_buf();
        for _ in 0..MAX_SYMLINKS {
            let link = match fs::symlink_metadata(&candidate) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Ok(Destination::File(candidate));
                }
                Err(e) => return Err(e),
                Ok(metadata) if !metadata.file_type().is_symlink() => {
                    return Ok(Self::kind(&metadata, candidate));
                }
                Ok(_) => candidate,
            };
            // The kernel follows links the way `metadata` does, including
            // /proc's (`/dev/stdout` -> `/proc/self/fd/1` -> `pipe:[…]`), so
            // a live link is resolved by it; only a dangling one is walked
            // by hand, to create the file it names as `butane -o` would.
            match fs::metadata(&link) {
                Ok(metadata) if metadata.is_file() => {
                    return Ok(Destination::File(fs::canonicalize(&link)?));
                }
                Ok(metadata) => return Ok(Self::kind(&metadata, link)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let target = fs::read_link(&link)?;
                    candidate = match link.parent() {
                        Some(parent) => parent.join(target),
                        None => target,
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("too many levels of symbolic links"))
    }

    /// A directory stays a file destination: the rename then fails with the
    /// OS's own "is a directory".
    fn kind(metadata: &fs::Metadata, path: PathBuf) -> Self {
        if metadata.is_file() || metadata.is_dir() {
            Destination::File(path)
        } else {
            Destination::Stream
        }
    }
}

/// A file written and flushed to disk under a temporary name next to its
/// destination, not visible yet; dropping it removes the temporary file.
/// Holds no open file descriptor.
#[derive(Debug)]
pub struct Prepared {
    temp: tempfile::TempPath,
    path: PathBuf,
}

/// The first half of [`write_atomic`]: everything but the rename, so many
/// files can be written and synced concurrently and then made visible in
/// order with [`Prepared::commit`].
pub fn prepare_atomic(
    path: &Path,
    bytes: &[u8],
    visibility: Visibility,
) -> Result<Prepared, WriteError> {
    let (prepared, file) = stage(path, bytes, visibility)?;
    file.sync_all().map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(prepared)
}

/// Writes `bytes` under a temporary name next to `path`, with its final
/// mode; the open file is handed back for syncing.
fn stage(
    path: &Path,
    bytes: &[u8],
    visibility: Visibility,
) -> Result<(Prepared, fs::File), WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".kindling-")
        .tempfile_in(&dir)
        .map_err(error)?;
    // tempfile creates 0600; widen only for public outputs.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(file.path(), fs::Permissions::from_mode(visibility.mode()))
            .map_err(error)?;
    }
    write_contents(file.as_file(), bytes).map_err(error)?;
    let (handle, temp) = file.into_parts();
    Ok((
        Prepared {
            temp,
            path: path.to_path_buf(),
        },
        handle,
    ))
}

/// Writes `bytes` at the start of the empty `file`; a large output (a
/// config embedding a big file) in one piece per core ([`crate::large_file_io`]).
fn write_contents(file: &fs::File, bytes: &[u8]) -> io::Result<()> {
    #[cfg(unix)]
    if crate::large_file_io::worth_it(bytes.len()) {
        return crate::large_file_io::write_all(file, bytes);
    }
    let mut file = file;
    file.write_all(bytes)
}

impl Prepared {
    /// Renames the temporary file over the destination.
    pub fn commit(self) -> Result<(), WriteError> {
        let path = self.path;
        self.temp.persist(&path).map_err(|e| WriteError {
            path,
            source: e.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn large_outputs_written_in_pieces_come_out_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.ign");
        let bytes: Vec<u8> = (0..crate::large_file_io::MIN_BYTES + 4_321)
            .map(|i| (i % 253) as u8)
            .collect();
        write_atomic(&path, &bytes, Visibility::Secret).expect("write");
        assert!(fs::read(&path).expect("read") == bytes);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn writes_whole_file_with_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.ign");
        write_atomic(&path, b"{}\n", Visibility::Secret).expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"{}\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        write_atomic(&path, b"[]\n", Visibility::Public).expect("overwrite");
        assert_eq!(fs::read(&path).expect("read"), b"[]\n");
        let leftovers = fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(leftovers, 1);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no/such/dir/out.ign");
        let error = write_atomic(&path, b"x", Visibility::Public).expect_err("fails");
        assert!(error.to_string().contains("out.ign"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_a_device_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("out.ign");
        std::os::unix::fs::symlink("/dev/null", &link).expect("symlink");
        write_atomic(&link, b"{}\n", Visibility::Public).expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        use std::os::unix::fs::FileTypeExt;
        let null = fs::metadata("/dev/null").expect("stat /dev/null");
        assert!(null.file_type().is_char_device());
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("run mkfifo");
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).expect("read fifo"))
        };
        write_atomic(&fifo, b"{}\n", Visibility::Secret).expect("write");
        // Checked before joining: had the FIFO been renamed over, the reader
        // would wait forever on the old one.
        use std::os::unix::fs::FileTypeExt;
        let kind = fs::symlink_metadata(&fifo).expect("lstat").file_type();
        assert!(kind.is_fifo());
        assert_eq!(reader.join().expect("reader"), b"{}\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_a_file_replaces_the_file_and_keeps_the_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("real.ign");
        fs::write(&target, b"old").expect("write target");
        let link = dir.path().join("out.ign");
        std::os::unix::fs::symlink("real.ign", &link).expect("symlink");
        write_atomic(&link, b"new", Visibility::Public).expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).expect("read"), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_creates_the_file_it_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("out.ign");
        std::os::unix::fs::symlink("made.ign", &link).expect("symlink");
        write_atomic(&link, b"{}", Visibility::Public).expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(dir.path().join("made.ign")).expect("read"), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("out.ign");
        std::os::unix::fs::symlink("out.ign", &link).expect("symlink");
        let error = write_atomic(&link, b"{}", Visibility::Public).expect_err("loop");
        assert!(error.to_string().contains("out.ign"), "{error}");
    }
}
