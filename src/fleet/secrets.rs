//! Reading `secrets/`: plain files as they are, `*.age` files decrypted with
//! the age identities given by `--identity FILE` or `KINDLING_AGE_IDENTITY`
//! (a path to an identity file, or the `AGE-SECRET-KEY-1…` text itself).
//!
//! Paths are confined to the fleet's `secrets/` directory by
//! [`crate::confine`]: `secrets/` itself and every path beneath it resolve
//! inside the fleet without leaving through a symlink.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::confine::{
    ConfineError, DATA_LIMIT, FleetRoot, IDENTITY_LIMIT, leaves, open_named_file,
};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Loaded age identities (possibly none).
pub struct Identities {
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// Where they came from, for messages (never the key itself).
    source: Option<String>,
    /// Warnings about how the identity is kept (its file's mode), coded
    /// like every finding; a build reports and counts them with its own.
    diagnostics: Diagnostics,
    /// The identity file, never read as a fleet input.
    file: Option<PathBuf>,
    /// The public keys of the identities (without comments), to tell
    /// whether the operator stays a recipient of what is encrypted.
    recipients: Vec<String>,
}

/// Where an identity was given, for messages.
const ENV: &str = "KINDLING_AGE_IDENTITY";

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("secret path {0} leaves the secrets/ directory")]
    Escapes(String),
    #[error("cannot read secret secrets/{path}: {reason}")]
    Read { path: String, reason: String },
    /// `secrets/` or the file is not something that may be read.
    #[error("{0}")]
    Refused(ConfineError),
    #[error("secrets/{0} is age-encrypted but no identity was given")]
    NoIdentity(String),
    #[error(
        "cannot decrypt secrets/{path}: no identity from {source_name} is one of its recipients"
    )]
    NotARecipient { path: String, source_name: String },
    #[error("secrets/{path} is damaged: {reason}")]
    Damaged { path: String, reason: String },
    #[error("cannot decrypt secrets/{path} with the identity from {source_name}: {reason}")]
    Decrypt {
        path: String,
        source_name: String,
        reason: String,
    },
    #[error("cannot load the age identity from {source_name}: {reason}")]
    Identity { source_name: String, reason: String },
    #[error("--identity was given an age identity itself, not the path of a file holding it")]
    IdentityAsArgument,
    #[error("the age identity file {path} is writable by every user (mode {mode:04o})")]
    IdentityWritable { path: String, mode: u32 },
    #[error(
        "the SSH key from {source_name} is protected by a passphrase, which kindling does not ask for"
    )]
    SshPassphrase { source_name: String },
}

impl SecretError {
    /// The stable code of this kind of finding.
    pub const fn code(&self) -> Code {
        match self {
            SecretError::Escapes(_) => Code::FleetSecretEscapes,
            SecretError::Read { .. } => Code::FleetSecretUnreadable,
            SecretError::Refused(error) => error.code(),
            SecretError::NoIdentity(_) => Code::FleetSecretNoIdentity,
            SecretError::NotARecipient { .. } => Code::FleetSecretNotARecipient,
            SecretError::Damaged { .. } => Code::FleetSecretDamaged,
            SecretError::Decrypt { .. } => Code::FleetSecretDecrypt,
            SecretError::IdentityAsArgument => Code::FleetIdentityAsArgument,
            SecretError::IdentityWritable { .. } => Code::FleetIdentityWritable,
            SecretError::Identity { .. } | SecretError::SshPassphrase { .. } => {
                Code::FleetIdentityUnreadable
            }
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            SecretError::Escapes(_) => "name a file under secrets/".to_owned(),
            SecretError::Read { .. } => "create the file under secrets/ (or fix `from:`)".to_owned(),
            SecretError::Refused(error) => error.help().to_owned(),
            SecretError::NoIdentity(_) => {
                "pass --identity FILE or set KINDLING_AGE_IDENTITY to the age identity that can decrypt it".to_owned()
            }
            SecretError::NotARecipient { .. } => {
                "use the identity whose recipient the file was encrypted to (age -r)".to_owned()
            }
            SecretError::Damaged { .. } => {
                "this file is damaged (truncated, altered or not an age file): restore it, or encrypt the secret again with age -r RECIPIENT".to_owned()
            }
            SecretError::Decrypt { .. } => {
                "kindling decrypts files encrypted to X25519 recipients (age1...) and to ssh-ed25519 and ssh-rsa keys".to_owned()
            }
            SecretError::Identity { .. } => {
                "give an age identity file (AGE-SECRET-KEY-1... lines, as `kindling init` or age-keygen writes) or an unencrypted ssh-ed25519 or ssh-rsa private key; KINDLING_AGE_IDENTITY may also hold the identity itself".to_owned()
            }
            SecretError::SshPassphrase { .. } => {
                "use an age identity (kindling init makes one), or a copy of the key without a passphrase kept 0600 (ssh-keygen -p -N '' -f COPY)".to_owned()
            }
            SecretError::IdentityAsArgument => {
                "write the identity to a file only you can read (chmod 600) and pass its path: a key on the command line is visible to every user in the process list; KINDLING_AGE_IDENTITY may hold the identity itself".to_owned()
            }
            SecretError::IdentityWritable { .. } => {
                "anyone who can write it can swap the key: chmod 600 it and check that it is the key you made".to_owned()
            }
        }
    }
}

/// Whether `text` given as an identity's path holds key material instead
/// (`export KINDLING_AGE_IDENTITY="$(cat key.txt)"` starts with a comment
/// line): such a value is parsed as an identity, never printed.
fn holds_key(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.contains("AGE-SECRET-KEY-")
        || upper.contains("AGE-PLUGIN-")
        || upper.contains("PRIVATE KEY-----")
        || text.contains('\n')
}

/// Whether an identity's text is an SSH private key (OpenSSH or PEM RSA)
/// rather than an age identity file.
fn is_ssh_key(text: &str) -> bool {
    text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        || text.contains("-----BEGIN RSA PRIVATE KEY-----")
}

/// Age identities with their recipients' texts.
type Keys = (Vec<Box<dyn age::Identity + Send + Sync>>, Vec<String>);

/// An unencrypted ssh-ed25519 or ssh-rsa private key as age reads it.
fn ssh_identity(text: &str, source: &str) -> Result<Keys, SecretError> {
    let identity_error = |reason: String| SecretError::Identity {
        source_name: source.to_owned(),
        reason,
    };
    let identity = age::ssh::Identity::from_buffer(text.as_bytes(), None)
        .map_err(|_| identity_error("it is not an SSH private key age can read".to_owned()))?;
    match identity {
        age::ssh::Identity::Unencrypted(_) => {
            let recipient = age::ssh::Recipient::try_from(identity.clone())
                .map(|r| r.to_string())
                .map_err(|_| identity_error("its public key cannot be derived".to_owned()))?;
            Ok((vec![Box::new(identity)], vec![recipient]))
        }
        age::ssh::Identity::Encrypted(_)
        | age::ssh::Identity::Unsupported(age::ssh::UnsupportedKey::EncryptedSsh(_))
        | age::ssh::Identity::Unsupported(age::ssh::UnsupportedKey::EncryptedPem) => {
            Err(SecretError::SshPassphrase {
                source_name: source.to_owned(),
            })
        }
        age::ssh::Identity::Unsupported(age::ssh::UnsupportedKey::Hardware(kind)) => {
            Err(identity_error(format!(
                "it is a {kind} key on a hardware token, which needs an age plugin"
            )))
        }
        age::ssh::Identity::Unsupported(age::ssh::UnsupportedKey::Type(kind)) => {
            Err(identity_error(format!(
                "it is a {kind} key; age reads ssh-ed25519 and ssh-rsa keys"
            )))
        }
    }
}

/// The identities of an age identity file (`AGE-SECRET-KEY-1…` lines).
fn age_identities(text: &str, source: &str) -> Result<Keys, SecretError> {
    let identity_error = |reason: String| SecretError::Identity {
        source_name: source.to_owned(),
        reason,
    };
    // age's parse errors name a line number, never the line.
    let keys = age::IdentityFile::from_buffer(text.as_bytes())
        .map_err(|e| identity_error(e.to_string()))?
        .into_identities()
        .map_err(|e| identity_error(e.to_string()))?;
    let recipients = text
        .lines()
        .filter_map(|line| line.trim().parse::<age::x25519::Identity>().ok())
        .map(|identity| identity.to_public().to_string())
        .collect();
    Ok((keys, recipients))
}

/// Reads the identity file at `path` (named `name` in messages): an error
/// if others can write it, a warning if others can read it.
fn read_identity_file(
    path: &Path,
    name: &str,
    diagnostics: &mut Diagnostics,
) -> Result<String, SecretError> {
    // A FIFO or a device is refused without blocking, and the mode is
    // that of the file actually opened; the size is capped.
    let refused = |error: ConfineError| SecretError::Identity {
        source_name: name.to_owned(),
        reason: match error {
            ConfineError::Io { source, .. } => source.to_string(),
            other => other.to_string(),
        },
    };
    let opened = open_named_file(path, IDENTITY_LIMIT).map_err(refused)?;
    #[cfg(unix)]
    {
        let mode = opened.mode & 0o7777;
        if mode & 0o002 != 0 {
            return Err(SecretError::IdentityWritable {
                path: name.to_owned(),
                mode,
            });
        }
        if mode & 0o064 != 0 {
            diagnostics.push(
                Diagnostic::warning(
                    Code::FleetIdentityReadable,
                    format!(
                        "the age identity file {name} can be read or written by other users (mode {mode:04o})"
                    ),
                )
                .with_help("chmod 600 it"),
            );
        }
    }
    let bytes = opened.read_all().map_err(refused)?;
    String::from_utf8(bytes).map_err(|_| SecretError::Identity {
        source_name: name.to_owned(),
        reason: "it is not UTF-8 text".to_owned(),
    })
}

impl Identities {
    pub fn none() -> Self {
        Identities {
            keys: Vec::new(),
            source: None,
            diagnostics: Diagnostics::new(),
            file: None,
            recipients: Vec::new(),
        }
    }

    /// Loads identities from `file`, else from `KINDLING_AGE_IDENTITY`
    /// (a path, or the identity itself). No message ever quotes a key.
    pub fn load(file: Option<&Path>, env: Option<&str>) -> Result<Self, SecretError> {
        let mut diagnostics = Diagnostics::new();
        let (text, source, file) = match (file, env) {
            (Some(path), _) if holds_key(&path.to_string_lossy()) => {
                return Err(SecretError::IdentityAsArgument);
            }
            (Some(path), _) => {
                let name = path.display().to_string();
                let text = read_identity_file(path, &name, &mut diagnostics)?;
                (text, name, Some(path.to_path_buf()))
            }
            (None, Some(value)) if holds_key(value) => (value.to_owned(), ENV.to_owned(), None),
            (None, Some(path)) => {
                let name = format!("{path} ({ENV})");
                let text = read_identity_file(Path::new(path), &name, &mut diagnostics)?;
                (text, name, Some(PathBuf::from(path)))
            }
            (None, None) => return Ok(Identities::none()),
        };
        let (keys, recipients) = if is_ssh_key(&text) {
            ssh_identity(&text, &source)?
        } else {
            age_identities(&text, &source)?
        };
        if keys.is_empty() {
            return Err(SecretError::Identity {
                source_name: source,
                reason: "no identity in it".to_owned(),
            });
        }
        Ok(Identities {
            keys,
            source: Some(source),
            diagnostics,
            file,
            recipients,
        })
    }

    /// Whether any identity was given.
    pub fn given(&self) -> bool {
        self.source.is_some()
    }

    /// The public keys of the identities (`age1…`, `ssh-ed25519 AAAA…`).
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }

    /// The identity file they were read from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Findings about how the identity is kept (warnings), which
    /// [`crate::fleet::compile`] reports first among a build's.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }
}

/// Whether `secrets/<relative>` is decrypted when read: what is decrypted
/// is a secret wherever it goes.
pub fn is_encrypted(relative: &str) -> bool {
    relative.ends_with(".age")
}

/// Whether `bytes` hold a PEM private key that is not itself encrypted
/// (`-----BEGIN ... PRIVATE KEY-----`, but not `ENCRYPTED PRIVATE KEY`).
pub fn holds_private_key(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"PRIVATE KEY-----")
        .any(|at| !bytes[..at].ends_with(b"ENCRYPTED "))
}

/// Reads secrets for one compile worker, each file once: a trust anchor
/// or certificate placed on every host is read, confined and decrypted
/// once instead of once per host, and every host of the build sees the
/// same bytes even if the file changes while the build runs.
pub struct SecretReader<'a> {
    root: &'a FleetRoot,
    identities: &'a Identities,
    read: HashMap<String, Result<Vec<u8>, SecretError>>,
}

impl<'a> SecretReader<'a> {
    pub fn new(root: &'a FleetRoot, identities: &'a Identities) -> Self {
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

/// The bytes of `secrets/<relative>` under the fleet's confinement; a path
/// that climbs out of `secrets/` is refused.
fn read_confined(root: &FleetRoot, relative: &str) -> Result<Vec<u8>, SecretError> {
    if leaves(relative) {
        return Err(SecretError::Escapes(relative.to_owned()));
    }
    let secrets = root.sub("secrets").map_err(|error| match error {
        ConfineError::Io { source, .. } => SecretError::Read {
            path: relative.to_owned(),
            reason: source.to_string(),
        },
        other => SecretError::Refused(other),
    })?;
    secrets
        .read(relative, DATA_LIMIT)
        .map_err(|error| match error {
            ConfineError::Escapes { .. } => SecretError::Escapes(relative.to_owned()),
            ConfineError::Io { source, .. } => SecretError::Read {
                path: relative.to_owned(),
                reason: source.to_string(),
            },
            other => SecretError::Refused(other),
        })
}

/// Reads `secrets/<relative>`, decrypting `.age` files.
pub fn read_secret(
    root: &FleetRoot,
    relative: &str,
    identities: &Identities,
) -> Result<Vec<u8>, SecretError> {
    let bytes = read_confined(root, relative)?;
    if !is_encrypted(relative) {
        return Ok(bytes);
    }
    let Some(source) = &identities.source else {
        return Err(SecretError::NoIdentity(relative.to_owned()));
    };
    let damaged = |reason: &str| SecretError::Damaged {
        path: relative.to_owned(),
        reason: reason.to_owned(),
    };
    const ALTERED: &str = "its contents fail their integrity check (truncated or altered)";
    let decrypt_error = |error: age::DecryptError| match error {
        age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
            SecretError::NotARecipient {
                path: relative.to_owned(),
                source_name: source.clone(),
            }
        }
        age::DecryptError::InvalidMac => damaged("its header fails its integrity check"),
        age::DecryptError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            damaged("it ends before its age header does (truncated, or not an age file)")
        }
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            damaged("it has no valid age header (not an age file, or from a newer age)")
        }
        age::DecryptError::DecryptionFailed => damaged(ALTERED),
        age::DecryptError::Io(io) => damaged(&format!("it cannot be read as an age file ({io})")),
        // Plugins, passphrases and variants of later age versions.
        other => SecretError::Decrypt {
            path: relative.to_owned(),
            source_name: source.clone(),
            reason: other.to_string(),
        },
    };
    let armored = age::armor::ArmoredReader::new(bytes.as_slice());
    let decryptor = age::Decryptor::new(armored).map_err(decrypt_error)?;
    let mut reader = decryptor
        .decrypt(
            identities
                .keys
                .iter()
                .map(|k| k.as_ref() as &dyn age::Identity),
        )
        .map_err(decrypt_error)?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|_| damaged(ALTERED))?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use age::secrecy::ExposeSecret;

    use super::*;

    fn root(dir: &tempfile::TempDir) -> FleetRoot {
        FleetRoot::open(dir.path(), crate::confine::Exclusions::none()).expect("open")
    }

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
            read_secret(&root(&dir), "app/key.pem.age", &identities).expect("decrypts"),
            b"private"
        );
        assert_eq!(
            read_secret(&root(&dir), "app/cert.pem", &Identities::none()).expect("plain"),
            b"public"
        );

        let other = age::x25519::Identity::generate();
        let wrong =
            Identities::load(None, Some(other.to_string().expose_secret())).expect("identity");
        assert!(matches!(
            read_secret(&root(&dir), "app/key.pem.age", &wrong),
            Err(SecretError::NotARecipient { .. })
        ));
        assert!(matches!(
            read_secret(&root(&dir), "app/key.pem.age", &Identities::none()),
            Err(SecretError::NoIdentity(_))
        ));
    }

    #[test]
    fn paths_stay_inside_secrets() {
        let key = age::x25519::Identity::generate();
        let dir = fleet_with_secret(b"x", &key.to_public());
        assert!(matches!(
            read_secret(&root(&dir), "../fleet.yaml", &Identities::none()),
            Err(SecretError::Escapes(_))
        ));
        assert!(matches!(
            read_secret(&root(&dir), "/etc/passwd", &Identities::none()),
            Err(SecretError::Escapes(_))
        ));
    }
}
