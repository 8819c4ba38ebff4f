//! `data:` URLs (RFC 2397): the one owner of their grammar. Parsing and
//! checking follow Ignition's decoder (`vincent-petithory/dataurl`) with its
//! messages, so the validator, the decoders (inspect, diff, fleet listings,
//! tests) and the writers agree on what a data URL is: a URL the validator
//! accepts always decodes. Decoding undoes `compression: gzip` with a size
//! cap, so a gzip bomb is an error rather than an out-of-memory.
//!
//! Grammar as that decoder reads it: `data:` then an optional media type
//! (`type/subtype`, where `type` must start with one of the RFC 2045 discrete
//! or composite types unless it is an `x-` token), parameters
//! (`;attr=value`, value a token with `%XX` escapes or a quoted string with
//! Go escapes), an optional final `;base64`, a comma, and the data: printable
//! URL characters with `%XX` escapes, or padded standard base64.
//!
//! Percent escapes are written and read with the `percent-encoding` crate:
//! its output for [`PERCENT_ESCAPED`] (upper-case `%XX` for every byte
//! outside Go's RFC 2396 unreserved set, all non-ASCII bytes included) is
//! byte for byte what Butane's `dataurl.Escape` writes, and it decodes the
//! escapes [`DataUrl::parse`] has checked as Go's `Unescape` does. Checking
//! stays here because the crate accepts malformed escapes silently.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::go::base64::{alphabet_run, decode_check};
use crate::go::strconv::unquote_check;

/// Decoded contents larger than this are refused when decoding input from
/// outside (64 MiB).
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

const PERCENT_PREFIX: &str = "data:,";
const BASE64_PREFIX: &str = "data:;base64,";

/// A checked `data:` URL, borrowing from its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataUrl<'a> {
    /// `type/subtype` as written; empty when the URL names none.
    pub media_type: &'a str,
    /// Whether the data is base64 (else percent-encoded).
    pub base64: bool,
    /// The data as written, after the comma: valid for its form.
    pub data: &'a str,
}

/// Why a text is not a data URL Ignition's decoder accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid data URL at byte {offset}: {message}")]
pub struct SyntaxError {
    /// Byte offset in the URL of the character found wrong (its length at
    /// the end of the text).
    pub offset: usize,
    /// The decoder's own message, as Ignition reports it.
    pub message: String,
}

/// Why a resource's contents could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataUrlError {
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    #[error("unsupported compression {0:?} (only \"\" and \"gzip\" are valid)")]
    UnsupportedCompression(String),
    #[error("invalid gzip data: {0}")]
    Gzip(String),
    #[error("decoded contents exceed {limit} bytes; not decoded")]
    TooLarge { limit: usize },
}

impl<'a> DataUrl<'a> {
    /// Parses and checks `url` (the whole URL) as Ignition's decoder does.
    pub fn parse(url: &'a str) -> Result<Self, SyntaxError> {
        let mut lexer = Lexer {
            text: url,
            pos: 0,
            at: 0,
            quote_pending: false,
            media_type: "",
        };
        lexer.run()
    }

    /// The data's bytes.
    pub fn decode(&self) -> Result<Vec<u8>, SyntaxError> {
        if !self.base64 {
            return Ok(percent_encoding::percent_decode_str(self.data).collect());
        }
        let data = self.data.as_bytes();
        let decoded = if data.contains(&b'\n') {
            let stripped: Vec<u8> = data.iter().copied().filter(|&b| b != b'\n').collect();
            GO_STD_BASE64.decode(stripped)
        } else {
            GO_STD_BASE64.decode(data)
        };
        // `parse` has run Go's acceptance check, which this decoder agrees
        // with (tested); an error here is reported, not assumed away.
        decoded.map_err(|error| SyntaxError {
            offset: 0,
            message: format!("illegal base64 data: {error}"),
        })
    }
}

/// Go's `base64.StdEncoding`: padding required, non-zero trailing bits
/// tolerated (it is not `.Strict()`).
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// The bytes of a `data:` URL (without undoing any `compression`).
pub fn decode_data_url(url: &str) -> Result<Vec<u8>, DataUrlError> {
    Ok(DataUrl::parse(url)?.decode()?)
}

/// Decodes a resource's `source` and undoes its `compression` (`None`/`""`:
/// none, `"gzip"`: gunzip; anything else is an error), refusing contents
/// over `limit` bytes ([`MAX_DECODED_BYTES`] for input from outside).
pub fn decode_resource(
    url: &str,
    compression: Option<&str>,
    limit: usize,
) -> Result<Vec<u8>, DataUrlError> {
    let raw = decode_data_url(url)?;
    match compression.unwrap_or("") {
        "" if raw.len() > limit => Err(DataUrlError::TooLarge { limit }),
        "" => Ok(raw),
        "gzip" => gunzip(&raw, limit),
        other => Err(DataUrlError::UnsupportedCompression(other.to_owned())),
    }
}

/// gunzip of a possibly multi-member stream (as Go's `gzip.Reader`, which
/// Ignition uses, reads it) that stops at `limit` bytes of output. Empty
/// input and trailing garbage are errors.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, DataUrlError> {
    if bytes.is_empty() {
        return Err(DataUrlError::Gzip("empty input".to_owned()));
    }
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    // The `bufread` decoder reads the slice itself: `read`'s would copy it
    // through a zeroed 32 KiB buffer first, most of the cost of a small
    // file (a fleet's certificate check gunzips a few per host).
    flate2::bufread::MultiGzDecoder::new(bytes)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|error| DataUrlError::Gzip(error.to_string()))?;
    if out.len() > limit {
        return Err(DataUrlError::TooLarge { limit });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// The bytes Butane's `dataurl.Escape` writes as `%XX`: everything but the
/// RFC 2396 unreserved `A–Z a–z 0–9 - _ . ! ~ * ' ( )` (the crate escapes
/// non-ASCII bytes whatever the set).
pub const PERCENT_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Whether `byte` is written as itself in the percent form: the complement
/// of [`PERCENT_ESCAPED`] (a test holds them together), as a predicate the
/// compiler vectorises for counting.
const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Length of `"data:," + percent(bytes)`.
pub fn percent_url_len(bytes: &[u8]) -> usize {
    // Summing in u8 lanes over blocks of at most 255 bytes lets the compiler
    // vectorise the predicate; widen once per block.
    let mut escaped = 0usize;
    for block in bytes.chunks(255) {
        let mut kept: u8 = 0;
        for &b in block {
            kept += u8::from(is_unreserved(b));
        }
        escaped += block.len() - usize::from(kept);
    }
    PERCENT_PREFIX
        .len()
        .saturating_add(bytes.len())
        .saturating_add(escaped.saturating_mul(2))
}

/// Length of `"data:;base64," + base64(n bytes)`.
pub fn base64_url_len(n: usize) -> usize {
    BASE64_PREFIX
        .len()
        .saturating_add(n.div_ceil(3).saturating_mul(4))
}

/// `"data:," + percent(bytes)`, as Butane writes it.
pub fn percent_url(bytes: &[u8]) -> String {
    let mut url = String::with_capacity(percent_url_len(bytes));
    url.push_str(PERCENT_PREFIX);
    url.extend(percent_encoding::percent_encode(bytes, PERCENT_ESCAPED));
    url
}

/// A `data:;base64,` URL written piece by piece: the base64 of the
/// concatenation of every pushed slice, without materialising it.
pub struct Base64Url {
    out: String,
    /// Up to two bytes held back so every encode call but the last sees a
    /// multiple of three bytes (and therefore emits no padding).
    carry: Vec<u8>,
}

impl Base64Url {
    /// Starts a URL whose data will be `len` bytes (a capacity hint).
    pub fn with_capacity(len: usize) -> Self {
        let mut out = String::with_capacity(base64_url_len(len));
        out.push_str(BASE64_PREFIX);
        Base64Url {
            out,
            carry: Vec::with_capacity(3),
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        if !self.carry.is_empty() {
            let take = (3 - self.carry.len()).min(bytes.len());
            let (head, rest) = bytes.split_at(take);
            self.carry.extend_from_slice(head);
            bytes = rest;
            if self.carry.len() < 3 {
                return;
            }
            B64.encode_string(&self.carry, &mut self.out);
            self.carry.clear();
        }
        let (aligned, rest) = bytes.split_at(bytes.len() - bytes.len() % 3);
        B64.encode_string(aligned, &mut self.out);
        self.carry.extend_from_slice(rest);
    }

    pub fn finish(mut self) -> String {
        B64.encode_string(&self.carry, &mut self.out);
        self.out
    }
}

/// `"data:;base64," + base64(bytes)`.
pub fn base64_url(bytes: &[u8]) -> String {
    let mut url = Base64Url::with_capacity(bytes.len());
    url.push(bytes);
    url.finish()
}

// ---------------------------------------------------------------------------
// Parsing: a port of the decoder's lexer
// ---------------------------------------------------------------------------

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    /// Where the character `next` returned last starts (the end of the
    /// text once it ran out): where an error points.
    at: usize,
    /// A `"` opened a parameter value whose text has not been decoded yet
    /// (an empty quoted value leaves it set for the next value).
    quote_pending: bool,
    media_type: &'a str,
}

/// RFC 2045 token characters.
fn is_token(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '(' | ')'
                | '<'
                | '>'
                | '@'
                | ','
                | ';'
                | ':'
                | '\\'
                | '"'
                | '/'
                | '['
                | ']'
                | '?'
                | '='
        )
}

/// Characters allowed unescaped in the (non-base64) data.
fn is_url_char(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '<' | '>' | '#' | '"' | '{' | '}' | '|' | '\\' | '^' | '[' | ']' | '`'
        )
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '\n')
}

fn is_known_type(text: &str) -> bool {
    [
        "text",
        "image",
        "audio",
        "video",
        "application",
        "message",
        "multipart",
    ]
    .iter()
    .any(|prefix| text.starts_with(prefix))
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<char> {
        self.at = self.pos;
        let c = self.text.get(self.pos..)?.chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn back(&mut self, c: char) {
        self.pos -= c.len_utf8();
    }

    fn slice(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        self.fail_at(self.at, message)
    }

    fn fail_at<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset,
            message: message.into(),
        })
    }

    fn run(&mut self) -> Result<DataUrl<'a>, SyntaxError> {
        if !self.text.starts_with("data:") {
            return self.fail("missing data prefix");
        }
        self.pos = 5;
        let start = self.pos;
        match self.next() {
            Some(';') => self.parameters(),
            Some(',') => self.data(false),
            None => self.fail("missing comma before data"),
            Some('x' | 'X') => {
                // The character after the `x` is consumed unchecked.
                let extension = self.next() == Some('-');
                self.media_type(start, !extension)
            }
            Some(c) if is_token(c) => self.media_type(start, true),
            Some(_) => self.fail("invalid character after data prefix"),
        }
    }

    fn media_type(&mut self, start: usize, check_type: bool) -> Result<DataUrl<'a>, SyntaxError> {
        loop {
            match self.next() {
                Some('/') => {
                    let kind = self.text.get(start..self.at).unwrap_or("");
                    if check_type && !is_known_type(kind) {
                        return self.fail_at(start, "invalid media type");
                    }
                    break;
                }
                None => return self.fail("missing media type slash"),
                Some(c) if is_token(c) => {}
                Some(_) => return self.fail("invalid character for media type"),
            }
        }
        loop {
            match self.next() {
                Some(c @ (';' | ',')) => {
                    self.media_type = self.text.get(start..self.at).unwrap_or("");
                    return if c == ';' {
                        self.parameters()
                    } else {
                        self.data(false)
                    };
                }
                None => return self.fail("incomplete media type"),
                Some(c) if is_token(c) => {}
                Some(_) => return self.fail("invalid character for media subtype"),
            }
        }
    }

    /// Called just after a `;`.
    fn parameters(&mut self) -> Result<DataUrl<'a>, SyntaxError> {
        loop {
            match self.next() {
                None | Some('=' | ',') => return self.fail("unterminated parameter sequence"),
                Some(c) if is_token(c) => self.back(c),
                Some(_) => return self.fail("invalid character for parameter attribute"),
            }
            let attribute = self.pos;
            loop {
                match self.next() {
                    Some('=') => break,
                    Some(',') => {
                        self.back(',');
                        let name = self.slice(attribute);
                        if name != "base64" {
                            return self.fail_at(attribute, format!("expected base64, got {name}"));
                        }
                        self.pos += 1;
                        return self.data(true);
                    }
                    None => return self.fail("unterminated parameter sequence"),
                    Some(c) if is_token(c) => {}
                    Some(_) => return self.fail("invalid character for parameter attribute"),
                }
            }
            self.value()?;
            match self.next() {
                Some(';') => {}
                Some(',') => return self.data(false),
                None => return self.fail("missing comma before data"),
                Some(_) => return self.fail("expected semicolon or comma"),
            }
        }
    }

    /// A parameter value, just after its `=`.
    fn value(&mut self) -> Result<(), SyntaxError> {
        match self.next() {
            Some('"') => {
                self.quote_pending = true;
                let start = self.pos;
                loop {
                    match self.next() {
                        None => return self.fail("unclosed quoted string"),
                        Some('\\') => match self.next() {
                            None => {}
                            Some(c) if c.is_ascii() => {}
                            Some(_) => return self.fail("invalid escaped character"),
                        },
                        Some('"') => {
                            let text = self.text.get(start..self.at).unwrap_or("");
                            if !text.is_empty() {
                                self.decode_value(start, text)?;
                            }
                            return Ok(());
                        }
                        Some(c) if c.is_ascii() => {}
                        Some(_) => return self.fail("invalid character for parameter value"),
                    }
                }
            }
            None => self.fail("missing comma before data"),
            Some(c) if is_token(c) => {
                let start = self.at;
                loop {
                    match self.next() {
                        Some(c @ (';' | ',')) => {
                            self.back(c);
                            let text = self.slice(start);
                            return self.decode_value(start, text);
                        }
                        None => return self.fail("missing comma before data"),
                        Some(c) if is_token(c) => {}
                        Some(_) => return self.fail("invalid character for parameter value"),
                    }
                }
            }
            Some(_) => self.fail("invalid character for parameter value"),
        }
    }

    /// Checks a parameter value starting at byte `start`.
    fn decode_value(&mut self, start: usize, text: &str) -> Result<(), SyntaxError> {
        let result = if std::mem::take(&mut self.quote_pending) {
            unquote_check(text).map_err(|message| (0, message))
        } else {
            percent_check(text)
        };
        result.or_else(|(offset, message)| self.fail_at(start + offset, message))
    }

    /// The data, just after the comma.
    fn data(&mut self, base64: bool) -> Result<DataUrl<'a>, SyntaxError> {
        let start = self.pos;
        if base64 {
            // The base64 alphabet passes `is_base64_char`: skip its runs in
            // bulk (data URLs run to tens of megabytes).
            let rest = self.text.get(start..).unwrap_or_default();
            self.pos += alphabet_run(rest.as_bytes());
        }
        while let Some(c) = self.next() {
            let ok = if base64 {
                is_base64_char(c)
            } else {
                is_url_char(c)
            };
            if !ok {
                return self.fail("invalid data character");
            }
        }
        let data = self.slice(start);
        let checked = if base64 {
            decode_check(data.as_bytes()).map_err(|offset| {
                (
                    offset,
                    format!("illegal base64 data at input byte {offset}"),
                )
            })
        } else {
            percent_check(data)
        };
        match checked {
            Ok(()) => Ok(DataUrl {
                media_type: self.media_type,
                base64,
                data,
            }),
            Err((offset, message)) => self.fail_at(start + offset, message),
        }
    }
}

/// The decoder's RFC 2396 unescaping check: `%` must be followed by two hex
/// digits. The error is the offset of the `%` (or of the non-ASCII byte)
/// and the decoder's message.
fn percent_check(text: &str) -> Result<(), (usize, String)> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte >= 0x80 {
            return Err((index, "rfc2396: non-ASCII char detected".to_owned()));
        }
        let percent = index;
        index += 1;
        if byte == b'%' {
            for _ in 0..2 {
                match bytes.get(index) {
                    None => {
                        return Err((
                            percent,
                            "rfc2396: unexpected end of unescape sequence".to_owned(),
                        ));
                    }
                    Some(b) if b.is_ascii_hexdigit() => index += 1,
                    // The decoder names the `%`, not the bad character.
                    Some(_) => {
                        return Err((
                            percent,
                            "rfc2396: invalid char 0x25 in unescape sequence".to_owned(),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
