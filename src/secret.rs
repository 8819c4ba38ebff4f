//! The secret flag: which parts of a compiled config hold secrets.
//!
//! It is set where a secret is placed — a fleet's `secrets:` entry (render),
//! a `contents.local` or tree file read from a secret directory of the
//! files dir (translate) — and travels with the config: `write` gives a
//! config with any secret mode 0600, and `mask` hides the marked files in
//! everything kindling prints. Nothing re-derives it from the bytes later.

use std::collections::BTreeSet;

/// The secret parts of one config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Node paths of `storage.files` entries whose contents are secret.
    files: BTreeSet<String>,
    /// A secret landed outside `storage.files` (a LUKS key file, a unit's
    /// contents): the config is secret, though no file can be masked.
    elsewhere: bool,
}

impl Secrets {
    /// Whether the config holds any secret (and is written 0600).
    pub fn any(&self) -> bool {
        self.elsewhere || !self.files.is_empty()
    }

    /// Whether the file at node path `path` is secret.
    pub fn is_file(&self, path: &str) -> bool {
        self.files.contains(path)
    }

    /// Node paths of the secret files, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    pub fn mark_file(&mut self, path: impl Into<String>) {
        self.files.insert(path.into());
    }

    /// The file at `path` was replaced by a later source: its flag goes
    /// with the contents it described.
    pub fn unmark_file(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub fn mark_elsewhere(&mut self) {
        self.elsewhere = true;
    }

    /// Adds the marks of `other` (the same config's other stage).
    pub fn extend(&mut self, other: Secrets) {
        self.files.extend(other.files);
        self.elsewhere |= other.elsewhere;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_is_no_longer_secret() {
        let mut secrets = Secrets::default();
        assert!(!secrets.any());
        secrets.mark_file("/etc/key");
        assert!(secrets.any() && secrets.is_file("/etc/key"));
        secrets.unmark_file("/etc/key");
        assert!(!secrets.any());
        secrets.mark_elsewhere();
        assert!(secrets.any());
        assert_eq!(secrets.files().count(), 0);
    }
}
