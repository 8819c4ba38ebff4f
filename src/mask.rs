//! Hiding secret files in everything kindling prints: `inspect` and `diff`
//! of a fleet host, `build --diff` (the fleet's `render` listing says "not
//! shown" itself). Which files are secret comes from the config's
//! [`Secrets`] flag, set where each secret was placed.
//!
//! A hidden file shows no fingerprint of its contents. An unsalted sha256
//! of a short password or key is brute-forced from a CI log, and a keyed
//! one (an HMAC under a key drawn for one run) would tell a reader no more
//! than "changed or not" while making output differ run to run. So a diff
//! compares the two sides' plaintexts in memory and prints only that:
//! both sides [`UNCHANGED`] when equal, [`OLD`] and [`NEW`] when not; a
//! single config shows [`HIDDEN`]. The verification hash of a secret file
//! (a digest of the plaintext) is dropped too.

use crate::dataurl;
use crate::encode;
use crate::ignition::model::{Config, File, Resource};
use crate::secret::Secrets;

/// A secret file shown alone.
pub const HIDDEN: &str = "<secret: not shown>\n";
/// A secret file equal on both sides of a diff.
pub const UNCHANGED: &str = "<secret: unchanged>\n";
/// A secret file that differs, on the old side of a diff.
pub const OLD: &str = "<secret: old value>\n";
/// A secret file that differs, on the new side of a diff.
pub const NEW: &str = "<secret: new value>\n";

/// `config` with the contents of its secret files replaced by [`HIDDEN`].
pub fn hide(mut config: Config, secrets: &Secrets) -> Config {
    for file in &mut config.storage.files {
        if secrets.is_file(&file.path) {
            replace(file, HIDDEN);
        }
    }
    config
}

/// `old` and `new` with the secret files of either replaced by a line that
/// says whether they changed between the two.
pub fn hide_pair(mut old: Config, mut new: Config, secrets: &Secrets) -> (Config, Config) {
    for path in secrets.files() {
        let old_file = old.storage.files.iter_mut().find(|f| f.path == path);
        let new_file = new.storage.files.iter_mut().find(|f| f.path == path);
        match (old_file, new_file) {
            (Some(old_file), Some(new_file)) => {
                if plaintext(old_file) == plaintext(new_file) {
                    replace(old_file, UNCHANGED);
                    replace(new_file, UNCHANGED);
                } else {
                    replace(old_file, OLD);
                    replace(new_file, NEW);
                }
            }
            (Some(file), None) | (None, Some(file)) => replace(file, HIDDEN),
            (None, None) => {}
        }
    }
    (old, new)
}

/// A resource's contents as compared between the sides of a diff.
#[derive(PartialEq)]
enum Plain<'a> {
    Absent,
    Decoded(Vec<u8>),
    /// Compared as encoded.
    Undecodable(&'a Resource),
}

/// The contents and appends of `file`.
fn plaintext(file: &File) -> Vec<Plain<'_>> {
    std::iter::once(&file.contents)
        .chain(&file.append)
        .map(|resource| match resource.source.as_deref() {
            None => Plain::Absent,
            Some(source) => dataurl::decode_resource(
                source,
                resource.compression.as_deref(),
                dataurl::MAX_DECODED_BYTES,
            )
            .map_or(Plain::Undecodable(resource), Plain::Decoded),
        })
        .collect()
}

fn replace(file: &mut File, text: &str) {
    let masked = |resource: &mut Resource| {
        resource.source = Some(encode::encode_plain_data_url(text.as_bytes()));
        resource.compression = Some(String::new());
        resource.verification.hash = None;
    };
    masked(&mut file.contents);
    for append in &mut file.append {
        masked(append);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(files: &[(&str, &[u8])]) -> Config {
        let mut config = Config::default();
        for (path, contents) in files {
            config.storage.files.push(File {
                path: (*path).to_owned(),
                contents: Resource {
                    source: Some(encode::encode_plain_data_url(contents)),
                    verification: crate::ignition::model::Verification {
                        hash: Some("sha256-0000".to_owned()),
                    },
                    ..Resource::default()
                },
                ..File::default()
            });
        }
        config
    }

    fn shown(config: &Config, path: &str) -> String {
        let file = config
            .storage
            .files
            .iter()
            .find(|f| f.path == path)
            .expect("file");
        assert_eq!(file.contents.verification.hash, None, "{path}: hash kept");
        let source = file.contents.source.as_deref().expect("source");
        let bytes = dataurl::decode_resource(source, None, 1024).expect("decodes");
        String::from_utf8(bytes).expect("utf-8")
    }

    fn secrets(paths: &[&str]) -> Secrets {
        let mut secrets = Secrets::default();
        for path in paths {
            secrets.mark_file(*path);
        }
        secrets
    }

    /// Issue 16 item 3: nothing derived from the plaintext is printed, only
    /// whether it changed.
    #[test]
    fn secrets_show_no_fingerprint_only_whether_they_changed() {
        let flagged = secrets(&["/etc/a", "/etc/b", "/etc/c"]);
        let old = config(&[("/etc/a", b"hunter2"), ("/etc/b", b"same"), ("/pub", b"p")]);
        let new = config(&[
            ("/etc/a", b"hunter3"),
            ("/etc/b", b"same"),
            ("/etc/c", b"x"),
        ]);
        let (old, new) = hide_pair(old, new, &flagged);
        let single = hide(config(&[("/etc/a", b"hunter2")]), &flagged);
        insta::assert_snapshot!(
            [
                format!("old /etc/a: {}", shown(&old, "/etc/a")),
                format!("new /etc/a: {}", shown(&new, "/etc/a")),
                format!("old /etc/b: {}", shown(&old, "/etc/b")),
                format!("new /etc/b: {}", shown(&new, "/etc/b")),
                format!("new /etc/c: {}", shown(&new, "/etc/c")),
                format!("alone /etc/a: {}", shown(&single, "/etc/a")),
            ]
            .concat(),
            @r"
        old /etc/a: <secret: old value>
        new /etc/a: <secret: new value>
        old /etc/b: <secret: unchanged>
        new /etc/b: <secret: unchanged>
        new /etc/c: <secret: not shown>
        alone /etc/a: <secret: not shown>
        "
        );
        let public = old.storage.files.iter().find(|f| f.path == "/pub");
        assert_eq!(
            public.map(|f| f.contents.verification.hash.clone()),
            Some(Some("sha256-0000".to_owned())),
            "files that are not secret are left alone"
        );
    }
}
