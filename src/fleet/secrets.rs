//! Reading `secrets/`: plain files as they are, `*.age` files decrypted with
//! the age identities given by `--identity FILE` or `KINDLING_AGE_IDENTITY`
//! (a path to an identity file, or the `AGE-SECRET-KEY-1…` text itself).
//!
//! Paths are confined to the fleet's `secrets/` directory, lexically and
//! after following symlinks.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// Loaded age identities (possibly none).
pub struct Identities {
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// Where they came from, for messages.
    source: Option<String>,
}

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("secret path {0} leaves the secrets/ directory")]
    Escapes(String),
    #[error("cannot read secret secrets/{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("secrets/{0} is age-encrypted but no identity was given")]
    NoIdentity(String),
    #[error("cannot decrypt secrets/{path} with the identity from {source_name}: {reason}")]
    Decrypt {
        path: String,
        source_name: String,
        reason: String,
    },
    #[error("cannot load the age identity from {source_name}: {reason}")]
    Identity { source_name: String, reason: String },
}

impl SecretError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            SecretError::Escapes(_) => "name a file under secrets/".to_owned(),
            SecretError::Read { .. } => "create the file under secrets/ (or fix `from:`)".to_owned(),
            SecretError::NoIdentity(_) => {
                "pass --identity FILE or set KINDLING_AGE_IDENTITY to the age identity that can decrypt it".to_owned()
            }
            SecretError::Decrypt { .. } => {
                "use the identity whose recipient the file was encrypted to (age -r)".to_owned()
            }
            SecretError::Identity { .. } => {
                "give an age identity file (AGE-SECRET-KEY-1... lines), as written by age-keygen".to_owned()
            }
        }
    }
}

impl Identities {
    pub fn none() -> Self {
        Identities {
            keys: Vec::new(),
            source: None,
        }
    }

    /// Loads identities from `file`, else from `KINDLING_AGE_IDENTITY`
    /// (a path, or the key text itself).
    pub fn load(file: Option<&Path>, env: Option<&str>) -> Result<Self, SecretError> {
        let (text, source) = match (file, env) {
            (Some(path), _) => (
                fs::read_to_string(path).map_err(|e| SecretError::Identity {
                    source_name: path.display().to_string(),
                    reason: e.to_string(),
                })?,
                path.display().to_string(),
            ),
            (None, Some(value)) if value.trim_start().starts_with("AGE-SECRET-KEY-") => {
                (value.to_owned(), "KINDLING_AGE_IDENTITY".to_owned())
            }
            (None, Some(path)) => (
                fs::read_to_string(path).map_err(|e| SecretError::Identity {
                    source_name: format!("KINDLING_AGE_IDENTITY={path}"),
                    reason: e.to_string(),
                })?,
                format!("KINDLING_AGE_IDENTITY={path}"),
            ),
            (None, None) => return Ok(Identities::none()),
        };
        let identity_error = |reason: String| SecretError::Identity {
            source_name: source.clone(),
            reason,
        };
        let keys = age::IdentityFile::from_buffer(text.as_bytes())
            .map_err(|e| identity_error(e.to_string()))?
            .into_identities()
            .map_err(|e| identity_error(e.to_string()))?;
        if keys.is_empty() {
            return Err(identity_error("no identity in it".to_owned()));
        }
        Ok(Identities {
            keys,
            source: Some(source),
        })
    }
}

/// Reads secrets for one compile worker, each file once: a trust anchor
/// or certificate placed on every host is read, confined and decrypted
/// once instead of once per host, and every host of the build sees the
/// same bytes even if the file changes while the build runs.
pub struct SecretReader<'a> {
    root: &'a Path,
    identities: &'a Identities,
    read: HashMap<String, Result<Vec<u8>, SecretError>>,
}

impl<'a> SecretReader<'a> {
    pub fn new(root: &'a Path, identities: &'a Identities) -> Self {
        SecretReader {
            root,
            identities,
            read: HashMap::new(),
        }
    }

    /// `secrets/<relative>` as [`read_secret`] reads it.
    pub fn read(&mut self, relative: &str) -> Result<&[u8], &SecretError> {
        self.read
            .entry(relative.to_owned())
            .or_insert_with(|| read_secret(self.root, relative, self.identities))
            .as_deref()
    }
}

/// `root/secrets/relative`, refusing `..`, absolute paths and symlinks that
/// lead out of `secrets/`.
fn confined(root: &Path, relative: &str) -> Result<PathBuf, SecretError> {
    let secrets = root.join("secrets");
    let mut path = secrets.clone();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return Err(SecretError::Escapes(relative.to_owned())),
        }
    }
    let read_error = |e: std::io::Error| SecretError::Read {
        path: relative.to_owned(),
        reason: e.to_string(),
    };
    let real = fs::canonicalize(&path).map_err(read_error)?;
    let base = fs::canonicalize(&secrets).map_err(read_error)?;
    if !real.starts_with(&base) {
        return Err(SecretError::Escapes(relative.to_owned()));
    }
    Ok(real)
}

/// Reads `secrets/<relative>`, decrypting `.age` files.
pub fn read_secret(
    root: &Path,
    relative: &str,
    identities: &Identities,
) -> Result<Vec<u8>, SecretError> {
    let path = confined(root, relative)?;
    let bytes = fs::read(&path).map_err(|e| SecretError::Read {
        path: relative.to_owned(),
        reason: e.to_string(),
    })?;
    if !relative.ends_with(".age") {
        return Ok(bytes);
    }
    let Some(source) = &identities.source else {
        return Err(SecretError::NoIdentity(relative.to_owned()));
    };
    let decrypt_error = |reason: String| SecretError::Decrypt {
        path: relative.to_owned(),
        source_name: source.clone(),
        reason,
    };
    let armored = age::armor::ArmoredReader::new(bytes.as_slice());
    let decryptor = age::Decryptor::new(armored).map_err(|e| decrypt_error(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(
            identities
                .keys
                .iter()
                .map(|k| k.as_ref() as &dyn age::Identity),
        )
        .map_err(|e| decrypt_error(e.to_string()))?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| decrypt_error(e.to_string()))?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use age::secrecy::ExposeSecret;

    use super::*;

    fn fleet_with_secret(plain: &[u8], recipient: &age::x25519::Recipient) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("secrets/app")).expect("mkdir");
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
                .expect("encryptor");
        let mut encrypted = Vec::new();
        let mut writer = encryptor.wrap_output(&mut encrypted).expect("wrap");
        writer.write_all(plain).expect("write");
        writer.finish().expect("finish");
        fs::write(dir.path().join("secrets/app/key.pem.age"), encrypted).expect("write");
        fs::write(dir.path().join("secrets/app/cert.pem"), b"public").expect("write");
        dir
    }

    #[test]
    fn decrypts_with_the_right_key_and_refuses_others() {
        let key = age::x25519::Identity::generate();
        let dir = fleet_with_secret(b"private", &key.to_public());
        let text = key.to_string().expose_secret().to_owned();
        let identities = Identities::load(None, Some(&text)).expect("identity");
        assert_eq!(
            read_secret(dir.path(), "app/key.pem.age", &identities).expect("decrypts"),
            b"private"
        );
        assert_eq!(
            read_secret(dir.path(), "app/cert.pem", &Identities::none()).expect("plain"),
            b"public"
        );

        let other = age::x25519::Identity::generate();
        let wrong =
            Identities::load(None, Some(other.to_string().expose_secret())).expect("identity");
        assert!(matches!(
            read_secret(dir.path(), "app/key.pem.age", &wrong),
            Err(SecretError::Decrypt { .. })
        ));
        assert!(matches!(
            read_secret(dir.path(), "app/key.pem.age", &Identities::none()),
            Err(SecretError::NoIdentity(_))
        ));
    }

    #[test]
    fn paths_stay_inside_secrets() {
        let key = age::x25519::Identity::generate();
        let dir = fleet_with_secret(b"x", &key.to_public());
        assert!(matches!(
            read_secret(dir.path(), "../fleet.yaml", &Identities::none()),
            Err(SecretError::Escapes(_))
        ));
        assert!(matches!(
            read_secret(dir.path(), "/etc/passwd", &Identities::none()),
            Err(SecretError::Escapes(_))
        ));
    }
}
