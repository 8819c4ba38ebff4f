//! The state translation keeps while it turns a Butane config into
//! Ignition — the translation map, the findings, local-file reads (and
//! whether they read a secret) — shared by the translation of the user's
//! config ([`super::translate`]) and of the generated sugar
//! ([`super::sugar`]), which the caller runs one after the other on it.

use super::files_dir::{FilesDir, LocalFileError};
use super::model as b;
use super::translation_map::TranslationMap;
use super::version::Version;
use crate::diag::{Code, Diagnostic, DocPath};
use crate::ignition::model as ign;
use crate::secret::Secrets;

/// The result of translating one Butane config.
#[derive(Debug)]
pub struct Translation {
    pub config: ign::Config,
    pub map: TranslationMap,
    /// Findings of translation, located by YAML path.
    pub diagnostics: Vec<Diagnostic>,
    /// What was placed from the files dir's secret directories.
    pub secrets: Secrets,
}

pub(crate) struct Translator<'a> {
    pub(crate) version: Version,
    files_dir: Option<&'a FilesDir>,
    pub(crate) map: TranslationMap,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) secrets: Secrets,
    /// A local file from a secret directory was read since this was last
    /// taken: a file entry takes it as its own flag, anything else makes
    /// the config secret as a whole.
    secret_read: bool,
}

impl<'a> Translator<'a> {
    pub(crate) fn new(version: Version, files_dir: Option<&'a FilesDir>) -> Self {
        Translator {
            version,
            files_dir,
            map: TranslationMap::new(),
            diagnostics: Vec::new(),
            secrets: Secrets::default(),
            secret_read: false,
        }
    }

    /// The translation of `config`, the translated and sugared config.
    pub(crate) fn finish(mut self, config: ign::Config) -> Translation {
        if self.secret_read {
            self.secrets.mark_elsewhere();
        }
        Translation {
            config,
            map: self.map,
            diagnostics: self.diagnostics,
            secrets: self.secrets,
        }
    }
}

impl Translator<'_> {
    pub(crate) fn error(&mut self, code: Code, path: DocPath, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(code, message).at(path));
    }

    /// Sugar or a tree would write a node the config already has differently.
    pub(crate) fn node_conflict(&mut self, path: DocPath) {
        self.error(
            Code::ButaneNodeConflict,
            path,
            "matching filesystem node has existing contents or different type",
        );
    }

    pub(crate) fn local_error(&mut self, path: DocPath, error: &LocalFileError) {
        let diagnostic = Diagnostic::error(error.code(), error.to_string()).at(path);
        let diagnostic = match error {
            LocalFileError::NoFilesDir => {
                diagnostic.with_help("pass the directory holding local files with -d DIR")
            }
            LocalFileError::Traverses | LocalFileError::SymlinkEscape(_) => {
                diagnostic.with_help("keep local files inside the files directory")
            }
            LocalFileError::Refused(refusal) => diagnostic.with_help(refusal.help()),
            _ => diagnostic,
        };
        self.diagnostics.push(diagnostic);
    }

    /// Whether the local file `local` is in a secret directory.
    pub(crate) fn local_is_secret(&self, local: &str) -> bool {
        self.files_dir.is_some_and(|dir| dir.holds_secret(local))
    }

    pub(crate) fn files_dir(&mut self, path: &DocPath) -> Option<&FilesDir> {
        if self.files_dir.is_none() {
            self.local_error(path.clone(), &LocalFileError::NoFilesDir);
        }
        self.files_dir
    }

    pub(crate) fn read_local(&mut self, local: &str, path: &DocPath) -> Option<Vec<u8>> {
        let files_dir = self.files_dir(path)?;
        match files_dir.read(local) {
            Ok(bytes) => {
                self.secret_read |= files_dir.holds_secret(local);
                Some(bytes)
            }
            Err(error) => {
                self.local_error(path.clone(), &error);
                None
            }
        }
    }

    pub(crate) fn read_local_text(&mut self, local: &str, path: &DocPath) -> Option<String> {
        let files_dir = self.files_dir(path)?;
        match files_dir.read_to_string(local) {
            Ok(text) => {
                self.secret_read |= files_dir.holds_secret(local);
                Some(text)
            }
            Err(error) => {
                self.local_error(path.clone(), &error);
                None
            }
        }
    }

    /// Runs `place` (which translates the file at node path `path`) and
    /// flags the file secret if it read a secret.
    pub(crate) fn placing_file<T>(&mut self, path: &str, place: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::take(&mut self.secret_read);
        let placed = place(self);
        if std::mem::replace(&mut self.secret_read, outer) {
            self.secrets.mark_file(path);
        }
        placed
    }
}

/// A Tang server, as both the user's `luks` and `boot_device` need it.
pub(crate) fn tang(tang: &b::Tang) -> ign::Tang {
    ign::Tang {
        advertisement: tang.advertisement.clone(),
        thumbprint: tang.thumbprint.clone(),
        url: tang.url.clone(),
    }
}
