//! Writing inside a directory without ever leaving it.
//!
//! Node paths are split into plain components (absolute paths only, no
//! `..`). Every parent is checked with `lstat` as it is walked: a symlink or
//! a non-directory on the way is refused, missing directories are created.
//! Files are created with `O_CREAT|O_EXCL` (which does not follow a symlink
//! in the last component) and mode 0600, so contents being written (a
//! private key) are never readable by others; they get their own mode
//! through the open handle once complete, and are removed if anything
//! fails. Symlinks are created only when their target stays inside the
//! directory.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why one node was not written.
pub type Refusal = String;

/// The plain components of an absolute node path.
pub fn components(path: &str) -> Result<Vec<&str>, Refusal> {
    if !path.starts_with('/') {
        return Err("path is not absolute".to_owned());
    }
    let mut out = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path contains `..`".to_owned()),
            part if part.contains('\0') => return Err("path contains a NUL byte".to_owned()),
            part => out.push(part),
        }
    }
    if out.is_empty() {
        return Err("path is the root directory itself".to_owned());
    }
    Ok(out)
}

fn display(parts: &[&str]) -> String {
    format!("/{}", parts.join("/"))
}

/// Walks `parents` below `root`, creating missing directories, refusing
/// symlinks and non-directories. Returns the directory reached.
pub fn parent_dir(root: &Path, parents: &[&str]) -> Result<PathBuf, Refusal> {
    let mut current = root.to_path_buf();
    for (depth, part) in parents.iter().enumerate() {
        current.push(part);
        let shown = || display(parents.get(..=depth).unwrap_or(parents));
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!("path goes through the symlink {}", shown()));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a directory", shown())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&current)
                    .map_err(|error| format!("cannot create directory {}: {error}", shown()))?;
            }
            Err(error) => return Err(format!("cannot inspect {}: {error}", shown())),
        }
    }
    Ok(current)
}

/// `root`/`parts` after checking the parents; the last component is not
/// looked at.
pub fn prepare(root: &Path, parts: &[&str]) -> Result<PathBuf, Refusal> {
    let Some((last, parents)) = parts.split_last() else {
        return Err("empty path".to_owned());
    };
    Ok(parent_dir(root, parents)?.join(last))
}

/// Creates a directory (or accepts an existing real one).
pub fn directory(root: &Path, parts: &[&str]) -> Result<(), Refusal> {
    parent_dir(root, parts).map(|_| ())
}

/// Sets the mode of an existing directory, reached without symlinks.
pub fn chmod_directory(root: &Path, parts: &[&str], mode: u32) -> Result<(), Refusal> {
    let mut current = root.to_path_buf();
    for part in parts {
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => {}
            _ => return Err("the directory is gone or was replaced".to_owned()),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&current, fs::Permissions::from_mode(mode))
            .map_err(|error| format!("cannot set the mode: {error}"))
    }
    #[cfg(not(unix))]
    {
        let _ = (current, mode);
        Ok(())
    }
}

/// Writes a regular file. An existing regular file is replaced; an existing
/// symlink or directory is refused.
pub fn file(root: &Path, parts: &[&str], bytes: &[u8], mode: u32) -> Result<(), Refusal> {
    file_written_by(root, parts, bytes, mode, |handle, bytes| {
        handle.write_all(bytes)
    })
}

/// [`file`], with `write` putting the bytes into the new file.
pub(super) fn file_written_by(
    root: &Path,
    parts: &[&str],
    bytes: &[u8],
    mode: u32,
    write: impl FnOnce(&mut fs::File, &[u8]) -> io::Result<()>,
) -> Result<(), Refusal> {
    let target = prepare(root, parts)?;
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err("a symlink already exists at this path".to_owned());
        }
        Ok(meta) if meta.is_dir() => {
            return Err("a directory already exists at this path".to_owned());
        }
        Ok(_) => {
            fs::remove_file(&target).map_err(|error| format!("cannot replace the file: {error}"))?
        }
        Err(_) => {}
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options
        .open(&target)
        .map_err(|error| format!("cannot create the file: {error}"))?;
    let written = write(&mut handle, bytes)
        .map_err(|error| format!("cannot write the file: {error}"))
        .and_then(|()| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                handle
                    .set_permissions(fs::Permissions::from_mode(mode & 0o777))
                    .map_err(|error| format!("cannot set the mode: {error}"))?;
            }
            #[cfg(not(unix))]
            let _ = mode;
            Ok(())
        });
    if written.is_err() {
        drop(handle);
        let _ = fs::remove_file(&target);
    }
    written
}

/// The symlink text to create for `target` at node `parts`, or why not:
/// absolute targets are rewritten relative to the link (so they point into
/// the extracted tree, not the host); relative targets may climb with
/// leading `..` only as far as the directory's top, and may not use `..`
/// after a name (that would need following symlinks to check).
pub fn link_text(parts: &[&str], target: &str) -> Result<String, Refusal> {
    let depth = parts.len().saturating_sub(1);
    if target.is_empty() {
        return Err("link has an empty target".to_owned());
    }
    if target.contains('\0') {
        return Err("link target contains a NUL byte".to_owned());
    }
    let mut ups = 0usize;
    let mut names: Vec<&str> = Vec::new();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." if names.is_empty() && !target.starts_with('/') => ups += 1,
            ".." => {
                return Err(format!(
                    "link target {target} uses `..` after a name; not checked, not created"
                ));
            }
            name => names.push(name),
        }
    }
    if target.starts_with('/') {
        let mut text = "../".repeat(depth);
        text.push_str(&names.join("/"));
        if text.is_empty() {
            text.push('.');
        }
        return Ok(text.trim_end_matches('/').to_owned());
    }
    if ups > depth {
        return Err(format!(
            "link target {target} points outside the extracted tree"
        ));
    }
    Ok(target.to_owned())
}

/// Creates a symlink (the last component must not exist).
pub fn symlink(root: &Path, parts: &[&str], text: &str) -> Result<(), Refusal> {
    let path = prepare(root, parts)?;
    if fs::symlink_metadata(&path).is_ok() {
        return Err("something already exists at this path".to_owned());
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(text, &path)
            .map_err(|error| format!("cannot create the link: {error}"))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, text);
        Err("symlinks are not supported on this platform".to_owned())
    }
}

/// Creates a hard link to the node at absolute `target`, which must exist
/// inside the tree and be reachable without symlinks.
pub fn hard_link(root: &Path, parts: &[&str], target: &str) -> Result<(), Refusal> {
    let target_parts =
        components(target).map_err(|reason| format!("hard link target: {reason}"))?;
    let Some((last, parents)) = target_parts.split_last() else {
        return Err("hard link target is empty".to_owned());
    };
    let mut source = root.to_path_buf();
    for (depth, part) in parents.iter().enumerate() {
        source.push(part);
        match fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => {}
            _ => {
                let shown = display(parents.get(..=depth).unwrap_or(parents));
                return Err(format!(
                    "hard link target goes through {shown}, which is not a directory in the tree"
                ));
            }
        }
    }
    source.push(last);
    match fs::symlink_metadata(&source) {
        Ok(meta) if meta.is_dir() => return Err("hard link target is a directory".to_owned()),
        Ok(_) => {}
        Err(_) => {
            return Err(format!(
                "hard link target {target} does not exist in the tree"
            ));
        }
    }
    let path = prepare(root, parts)?;
    if fs::symlink_metadata(&path).is_ok() {
        return Err("something already exists at this path".to_owned());
    }
    // linkat(2) without AT_SYMLINK_FOLLOW: a symlink source is linked as
    // the symlink itself, never followed.
    fs::hard_link(&source, &path).map_err(|error| format!("cannot create the hard link: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_refuse_escapes() {
        assert_eq!(components("/etc//./hostname"), Ok(vec!["etc", "hostname"]));
        assert!(components("etc/hostname").is_err());
        assert!(components("/etc/../../x").is_err());
        assert!(components("/").is_err());
        assert!(components("").is_err());
    }

    #[test]
    fn link_texts() {
        let parts = ["etc", "localtime"];
        assert_eq!(
            link_text(&parts, "/usr/share/zoneinfo/UTC"),
            Ok("../usr/share/zoneinfo/UTC".to_owned())
        );
        assert_eq!(link_text(&parts, "/"), Ok("..".to_owned()));
        assert_eq!(link_text(&["x"], "/"), Ok(".".to_owned()));
        assert_eq!(link_text(&parts, "../usr/x"), Ok("../usr/x".to_owned()));
        assert!(link_text(&parts, "../../x").is_err());
        assert!(link_text(&parts, "a/../../b").is_err());
        assert!(link_text(&parts, "/a/../b").is_err());
        assert!(link_text(&parts, "").is_err());
    }

    #[test]
    fn writes_stay_inside_and_refuse_symlinked_parents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        fs::create_dir(&root).expect("root");
        file(&root, &["etc", "a"], b"x", 0o644).expect("plain file");
        assert_eq!(fs::read(root.join("etc/a")).expect("read"), b"x");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("etc/out")).expect("planted link");
            let refused =
                file(&root, &["etc", "out", "passwd"], b"pwned", 0o644).expect_err("through link");
            assert!(refused.contains("symlink /etc/out"), "{refused}");
            assert!(!dir.path().join("passwd").exists());
            std::os::unix::fs::symlink("/tmp/x", root.join("etc/last")).expect("planted link");
            assert!(file(&root, &["etc", "last"], b"pwned", 0o644).is_err());
            assert!(hard_link(&root, &["etc", "h"], "/etc/a").is_ok());
            assert!(hard_link(&root, &["etc", "h2"], "/etc/out/x").is_err());
        }
        assert!(file(&root, &["etc", "a", "b"], b"x", 0o644).is_err());
        assert!(directory(&root, &["var", "lib"]).is_ok());
        assert!(root.join("var/lib").is_dir());
    }
}
