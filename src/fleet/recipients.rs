//! The fleet's age recipients (`recipients:` in `fleet.yaml`) and
//! encrypting to them: what `kindling secret encrypt`, `edit` and `rekey`
//! write, and what `kindling init` records.
//!
//! A recipient is an age X25519 public key (`age1…`) or an SSH public key
//! age accepts (`ssh-ed25519 …`, `ssh-rsa …`, a trailing comment allowed).

use std::io::Write;

use thiserror::Error;

/// One parsed recipient and the text it was written as.
pub struct Recipient {
    pub text: String,
    key: Box<dyn age::Recipient + Send + Sync>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient")
            .field("text", &self.text)
            .finish()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecipientError {
    #[error("{0}")]
    Invalid(String),
    #[error("fleet.yaml lists no `recipients:`, so there is no one to encrypt to")]
    None,
    #[error("encrypting failed: {0}")]
    Encrypt(String),
}

impl RecipientError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            RecipientError::Invalid(_) => {
                "write an age public key (age1..., as `kindling init` records or age-keygen -y prints) or an SSH public key (ssh-ed25519 ... or ssh-rsa ..., as in ~/.ssh/id_ed25519.pub)"
            }
            RecipientError::None => {
                "add your public key under `recipients:` in fleet.yaml (age1... or ssh-ed25519 ...)"
            }
            RecipientError::Encrypt(_) => "check that the disk is writable and try again",
        }
    }
}

impl Recipient {
    /// Parses one recipient; the error says what is wrong without quoting
    /// more than the key's type.
    pub fn parse(text: &str) -> Result<Recipient, RecipientError> {
        let trimmed = text.trim();
        if trimmed.starts_with("age1") {
            return trimmed
                .parse::<age::x25519::Recipient>()
                .map(|key| Recipient {
                    text: trimmed.to_owned(),
                    key: Box::new(key),
                })
                .map_err(|_| {
                    RecipientError::Invalid(
                        "an age1... recipient that is not a valid X25519 public key (mistyped or cut short?)"
                            .to_owned(),
                    )
                });
        }
        if trimmed.starts_with("AGE-SECRET-KEY-") {
            return Err(RecipientError::Invalid(
                "a private age identity where a public recipient belongs: remove it from the file now and make a new identity, this one is exposed"
                    .to_owned(),
            ));
        }
        let kind = trimmed.split_whitespace().next().unwrap_or_default();
        match trimmed.parse::<age::ssh::Recipient>() {
            Ok(key) => Ok(Recipient {
                text: trimmed.to_owned(),
                key: Box::new(key),
            }),
            Err(age::ssh::ParseRecipientKeyError::RsaModulusTooSmall) => Err(
                RecipientError::Invalid("an ssh-rsa key under 2048 bits, which age refuses".to_owned()),
            ),
            Err(age::ssh::ParseRecipientKeyError::RsaModulusTooLarge) => Err(
                RecipientError::Invalid("an ssh-rsa key over 4096 bits, which age refuses".to_owned()),
            ),
            Err(age::ssh::ParseRecipientKeyError::Unsupported(kind)) => Err(RecipientError::Invalid(
                format!("an SSH key of type {kind}, which age cannot encrypt to (ssh-ed25519 and ssh-rsa can)"),
            )),
            Err(_) if kind.starts_with("ssh-") => Err(RecipientError::Invalid(format!(
                "a {kind} public key that does not parse (mistyped or cut short?)"
            ))),
            Err(_) => Err(RecipientError::Invalid(
                "not an age recipient (age1...) nor an SSH public key (ssh-ed25519 ..., ssh-rsa ...)"
                    .to_owned(),
            )),
        }
    }

    /// The key without a trailing comment, as recipients are compared.
    pub fn key_text(&self) -> String {
        self.text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Parses every recipient; an empty list is an error (there is no one to
/// encrypt to).
pub fn parse_all(texts: &[String]) -> Result<Vec<Recipient>, RecipientError> {
    if texts.is_empty() {
        return Err(RecipientError::None);
    }
    texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            Recipient::parse(text).map_err(|error| match error {
                RecipientError::Invalid(why) => {
                    RecipientError::Invalid(format!("fleet.yaml recipients[{index}] is {why}"))
                }
                other => other,
            })
        })
        .collect()
}

/// `plain` encrypted to every recipient, in age's binary format (as the
/// example fleet's files are).
pub fn encrypt(plain: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, RecipientError> {
    let error = |e: &dyn std::fmt::Display| RecipientError::Encrypt(e.to_string());
    let encryptor = age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r.key.as_ref() as &dyn age::Recipient),
    )
    .map_err(|e| error(&e))?;
    let mut out = Vec::with_capacity(plain.len() + 256);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| error(&e))?;
    writer.write_all(plain).map_err(|e| error(&e))?;
    writer.finish().map_err(|e| error(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = include_str!("../../tests/fixtures/ssh-ed25519-identity.pub");

    #[test]
    fn age_and_ssh_recipients_parse_and_comments_are_kept_apart() {
        let age = age::x25519::Identity::generate().to_public().to_string();
        let parsed = parse_all(&[age.clone(), ED25519.to_owned()]).expect("both parse");
        assert_eq!(parsed[0].key_text(), age);
        assert_eq!(
            parsed[1].key_text(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH4qLZ+XZIY6iw3+L9Fwicf5f2JoQNwVvbtxY7PwWaJ3"
        );
        assert_eq!(parsed[1].text, ED25519.trim());
    }

    #[test]
    fn bad_recipients_say_what_they_are_without_quoting_keys() {
        let cases = [
            ("age1notakey", "not a valid X25519 public key"),
            ("AGE-SECRET-KEY-1QQQQ", "a private age identity"),
            ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "ssh-dss"),
            ("ssh-ed25519 AAAA", "does not parse"),
            ("hello", "not an age recipient"),
        ];
        for (text, expected) in cases {
            let error = parse_all(&[text.to_owned()]).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.starts_with("fleet.yaml recipients[0] is "), "{error}");
            assert!(!error.contains("AGE-SECRET-KEY-1QQQQ"), "{error}");
        }
        assert_eq!(parse_all(&[]).expect_err("empty"), RecipientError::None);
    }

    #[test]
    fn what_is_encrypted_decrypts_with_each_recipients_identity() {
        let alice = age::x25519::Identity::generate();
        let bob = age::x25519::Identity::generate();
        let recipients = parse_all(&[alice.to_public().to_string(), bob.to_public().to_string()])
            .expect("parse");
        let sealed = encrypt(b"s3cret", &recipients).expect("encrypts");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        for identity in [&alice, &bob] {
            assert_eq!(
                age::decrypt(identity, &sealed).expect("decrypts"),
                b"s3cret"
            );
        }
    }
}
