//! `/assets/...`: files under `--assets`, and nothing else.
//!
//! A request path is decoded once and refused unless every component is a
//! plain name: no `..` or `.`, no empty component, no hidden names, no
//! byte that decodes to `/`, `\` or NUL. The file is then opened with
//! `openat2(RESOLVE_BENEATH)` relative to the assets directory, so the
//! kernel refuses any symlink (or race) that leads out of it; symlinks
//! that stay inside work.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// The directory assets are served from, opened once.
#[derive(Debug)]
pub struct Assets {
    root: PathBuf,
    #[cfg(target_os = "linux")]
    dir: std::os::fd::OwnedFd,
}

/// The relative path `raw` (what follows `/assets/`, still
/// percent-encoded) names, or `None` if it could lead anywhere else.
pub fn relative_path(raw: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for encoded in raw.split('/') {
        let decoded = percent_decode_str(encoded).decode_utf8().ok()?;
        let plain = !decoded.is_empty()
            && !decoded.starts_with('.')
            && !decoded.contains(['/', '\\', '\0']);
        if !plain {
            return None;
        }
        path.push(decoded.as_ref());
    }
    Some(path)
}

impl Assets {
    pub fn open(root: &Path) -> io::Result<Assets> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{Mode, OFlags, open};
            let dir = open(
                root,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            Ok(Assets {
                root: root.to_path_buf(),
                dir,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(Assets {
                root: root.canonicalize()?,
            })
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens `relative` (from [`relative_path`]) if it is a regular file
    /// inside the assets directory.
    pub fn open_file(&self, relative: &Path) -> io::Result<(File, u64)> {
        let file = self.open_beneath(relative)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not a file"));
        }
        Ok((file, metadata.len()))
    }

    #[cfg(target_os = "linux")]
    fn open_beneath(&self, relative: &Path) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
        let fd = openat2(
            &self.dir,
            relative,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        )?;
        Ok(File::from(fd))
    }

    #[cfg(not(target_os = "linux"))]
    fn open_beneath(&self, relative: &Path) -> io::Result<File> {
        let path = self.root.join(relative).canonicalize()?;
        if !path.starts_with(&self.root) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "outside the assets",
            ));
        }
        File::open(path)
    }
}

/// A request's `Range` against a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// The whole file (no range, or one this server answers in full, like
    /// several ranges at once).
    Full,
    /// Bytes `start..end` (end exclusive).
    Part { start: u64, end: u64 },
    /// Nothing of the file: 416.
    Unsatisfiable,
}

/// Reads one `bytes=` range (`a-b`, `a-`, `-n`) from a `Range` header.
pub fn range(header: Option<&str>, len: u64) -> Range {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Range::Full;
    };
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Full;
    };
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.is_empty(), last.is_empty()) {
        (true, true) => Range::Full,
        (true, false) => match number(last) {
            Some(0) => Range::Unsatisfiable,
            Some(suffix) if len > 0 => Range::Part {
                start: len.saturating_sub(suffix),
                end: len,
            },
            Some(_) => Range::Unsatisfiable,
            None => Range::Full,
        },
        (false, _) => {
            let Some(start) = number(first) else {
                return Range::Full;
            };
            let end = if last.is_empty() {
                len
            } else {
                match number(last) {
                    Some(last) if last >= start => last.saturating_add(1).min(len),
                    _ => return Range::Full,
                }
            };
            if start >= len {
                Range::Unsatisfiable
            } else {
                Range::Part { start, end }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_pass() {
        assert_eq!(
            relative_path("fcos/kernel"),
            Some(PathBuf::from("fcos/kernel"))
        );
        assert_eq!(relative_path("a%20b"), Some(PathBuf::from("a b")));
        for bad in [
            "../build/beam00.ign",
            "%2e%2e/build/beam00.ign",
            "%2E%2E%2Fbuild",
            "a/../../b",
            "a//b",
            "",
            ".hidden",
            "a%2fb",
            "a%5c..%5cb",
            "a%00",
            "%ff",
            "./a",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(range(None, 10), Range::Full);
        assert_eq!(
            range(Some("bytes=0-4"), 10),
            Range::Part { start: 0, end: 5 }
        );
        assert_eq!(
            range(Some("bytes=5-"), 10),
            Range::Part { start: 5, end: 10 }
        );
        assert_eq!(
            range(Some("bytes=-3"), 10),
            Range::Part { start: 7, end: 10 }
        );
        assert_eq!(
            range(Some("bytes=-30"), 10),
            Range::Part { start: 0, end: 10 }
        );
        assert_eq!(
            range(Some("bytes=8-100"), 10),
            Range::Part { start: 8, end: 10 }
        );
        assert_eq!(range(Some("bytes=10-"), 10), Range::Unsatisfiable);
        assert_eq!(range(Some("bytes=-0"), 10), Range::Unsatisfiable);
        assert_eq!(range(Some("bytes=0-1,4-5"), 10), Range::Full);
        assert_eq!(range(Some("bytes=5-2"), 10), Range::Full);
        assert_eq!(range(Some("items=0-1"), 10), Range::Full);
        assert_eq!(range(Some("bytes=+1-2"), 10), Range::Full);
    }
}
