//! Resources for people: `data:` URLs decoded (by [`crate::dataurl`], with
//! its size cap) and remote URLs recognised but never fetched, text told
//! apart from binary, and `verification.hash` checked against the decoded
//! bytes.

use crate::dataurl::{self, DataUrlError, MAX_DECODED_BYTES};
use crate::ignition::model::Resource;
use serde::Serialize;

/// Where a resource's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// No `source`: the resource only sets attributes.
    None,
    /// An embedded `data:` URL.
    Data(&'a str),
    /// A URL Ignition fetches at boot (`http`, `https`, `s3`, `gs`, `tftp`,
    /// `arn`, or anything else); kindling never fetches it.
    Remote { scheme: String, url: &'a str },
}

pub fn origin(resource: &Resource) -> Origin<'_> {
    match resource.source.as_deref() {
        None => Origin::None,
        Some(url) if url.starts_with("data:") => Origin::Data(url),
        Some(url) => Origin::Remote {
            scheme: scheme_of(url),
            url,
        },
    }
}

fn scheme_of(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            scheme.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// Decodes a `data:` URL and undoes `compression`, refusing contents over
/// [`MAX_DECODED_BYTES`].
pub fn decode_data(url: &str, compression: Option<&str>) -> Result<Vec<u8>, DataUrlError> {
    dataurl::decode_resource(url, compression, MAX_DECODED_BYTES)
}

/// The bytes as text if they are UTF-8 without control characters other
/// than tab, newline and carriage return.
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let clean = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'));
    clean.then_some(text)
}

/// The result of checking `verification.hash` against decoded contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum HashCheck {
    Matches,
    Mismatch {
        actual: String,
    },
    /// Not `sha512-<hex>` or `sha256-<hex>`.
    Malformed,
}

pub fn check_hash(expected: &str, bytes: &[u8]) -> HashCheck {
    let (function, digest) = match expected.split_once('-') {
        Some(parts) => parts,
        None => return HashCheck::Malformed,
    };
    let actual = match function {
        "sha512" => crate::digest::sha512_hex(bytes),
        "sha256" => crate::digest::sha256_hex(bytes),
        _ => return HashCheck::Malformed,
    };
    if digest.len() != actual.len() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return HashCheck::Malformed;
    }
    if digest.eq_ignore_ascii_case(&actual) {
        HashCheck::Matches
    } else {
        HashCheck::Mismatch {
            actual: format!("{function}-{actual}"),
        }
    }
}

/// `s` with control characters, line separators and bidirectional
/// overrides escaped, so printing a hostile string cannot drive the
/// terminal or hide text. Newlines and tabs are escaped too unless
/// `multiline`.
pub fn printable(s: &str, multiline: bool) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        let allowed = multiline && matches!(c, '\n' | '\t');
        !allowed
            && (c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                ))
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_the_outside_cap() {
        assert_eq!(decode_data("data:,a%20b", None), Ok(b"a b".to_vec()));
        let bomb = crate::dataurl::base64_url(&crate::encode::gzip::compress(&vec![
            0;
            MAX_DECODED_BYTES
                + 1
        ]));
        assert_eq!(
            decode_data(&bomb, Some("gzip")),
            Err(DataUrlError::TooLarge {
                limit: MAX_DECODED_BYTES
            })
        );
    }

    #[test]
    fn origins() {
        let resource = |source: &str| Resource {
            source: Some(source.to_owned()),
            ..Resource::default()
        };
        assert_eq!(origin(&Resource::default()), Origin::None);
        assert_eq!(origin(&resource("data:,x")), Origin::Data("data:,x"));
        let remote = resource("S3://bucket/key");
        assert!(matches!(origin(&remote), Origin::Remote { scheme, .. } if scheme == "s3"));
        let odd = resource("no scheme");
        assert!(matches!(origin(&odd), Origin::Remote { scheme, .. } if scheme.is_empty()));
    }

    #[test]
    fn text_and_hashes() {
        assert_eq!(as_text(b"a\tb\r\n"), Some("a\tb\r\n"));
        assert_eq!(as_text(b"a\0b"), None);
        assert_eq!(as_text(&[0xff, 0xfe]), None);
        let sha = format!("sha256-{}", crate::digest::sha256_hex(b"x"));
        assert_eq!(check_hash(&sha, b"x"), HashCheck::Matches);
        assert!(matches!(check_hash(&sha, b"y"), HashCheck::Mismatch { .. }));
        assert_eq!(check_hash("md5-abc", b"x"), HashCheck::Malformed);
        assert_eq!(check_hash("sha512-zz", b"x"), HashCheck::Malformed);
    }

    #[test]
    fn printable_escapes_terminal_controls() {
        assert_eq!(printable("a\x1b[2Jb", false), "a\\u{1b}[2Jb");
        assert_eq!(printable("a\nb", true), "a\nb");
        assert_eq!(printable("a\nb", false), "a\\nb");
        assert_eq!(printable("rtl\u{202e}x", true), "rtl\\u{202e}x");
    }
}
