//! Decoding a [`Node`] tree into typed models with serde, the way go-yaml v3
//! (Butane's parser) decodes into Go structs.
//!
//! - Integers follow Go's `ParseInt(s, 0, 64)` after removing `_`: a leading
//!   `0` means octal (`0644` → 420), `0o`, `0x`, `0b` prefixes work; text that
//!   is not an integer but a float (`0888`, `1e3`) is read as that number.
//!   Quoted scalars are never integers (`"0644"` is an error).
//! - Booleans accept `true/True/TRUE/false/False/FALSE` and, because the
//!   target is a bool, the YAML 1.1 words `y yes on n no off` in their three
//!   spellings.
//! - Strings take the raw text of any scalar (`yes` stays `"yes"`).
//! - Null (`~`, `null`, empty) makes an `Option` `None`, an empty list or an
//!   all-default struct.
//! - An explicit `!!bool`, `!!int`, `!!float`, `!!null` or `!!timestamp` tag
//!   must match what the text is (`!!int /c` is an error), and `!!binary`
//!   text is base64 that is decoded (invalid data is an error).
//! - Keys a struct does not have, and keys the declared version does not have
//!   (see [`FieldGate`]), are skipped with an `unused key` warning at the key
//!   (Butane's semantics), or are `unknown key` errors where the decoder is
//!   told so ([`UnknownKeys::Error`], kindling's own manifests).
//!
//! Every error carries the path and position of the node it is about.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use base64::Engine as _;

use super::{BINARY_TAG, Entry, FileId, Node, Scalar, TAG_PREFIX, Value};
use crate::diag::{Code, Diagnostic, DocPath, Position};

/// A struct whose name ends with this has a string form too: a scalar where
/// the struct is expected is handed to its visitor as a string (a port
/// written `127.0.0.1:80:80` or as a mapping), while a mapping is decoded
/// strictly, field by field, like any struct.
pub const STRING_FORM: &str = "+string";

/// Decides whether a field of a struct exists in the document's declared
/// version. Arguments are the Rust struct name and the field's YAML key.
pub trait FieldGate {
    /// `path` is the location of the key itself (`$.storage.files.0.mode`).
    fn allows(&self, struct_name: &'static str, field: &str, path: &DocPath) -> bool;

    /// Help for a declared field this gate refuses, when a newer version is
    /// not the answer (a key of another variant).
    fn refused_help(&self, _struct_name: &'static str, _field: &str) -> Option<String> {
        None
    }
}

/// A gate that allows every field a struct declares.
pub struct AllFields;

impl FieldGate for AllFields {
    fn allows(&self, _: &'static str, _: &str, _: &DocPath) -> bool {
        true
    }
}

/// How a decoding run treats keys a struct does not have.
#[derive(Clone, Copy)]
pub enum UnknownKeys<'g> {
    /// Butane's semantics: an `unused key` warning, the key ignored.
    Warn,
    /// An `unknown key` error. The function may say where a key of that
    /// name belongs instead (arguments: the Rust struct name and the key),
    /// which is preferred over a did-you-mean.
    Error(&'g dyn Fn(&'static str, &str) -> Option<String>),
}

/// A decoding failure at a place in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub message: String,
    pub path: DocPath,
    pub position: Option<Position>,
    pub help: Option<String>,
    /// The file of the node the error is about.
    pub file: FileId,
}

impl DecodeError {
    pub fn into_diagnostic(self) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(Code::YamlInvalidValue, self.message).at(self.path);
        diagnostic.position = self.position;
        diagnostic.help = self.help;
        diagnostic
    }

    fn at(node: &Node, path: &DocPath, message: String) -> Self {
        DecodeError {
            message,
            path: path.clone(),
            position: Some(node.position),
            help: None,
            file: node.file,
        }
    }

    fn with_help(mut self, help: &str) -> Self {
        self.help = Some(help.to_owned());
        self
    }

    /// Fills in the location of errors raised by serde-generated code, which
    /// knows neither path nor position.
    fn located(mut self, node: &Node, path: &DocPath) -> Self {
        if self.position.is_none() {
            self.position = Some(node.position);
            self.path = path.clone();
            self.file = node.file;
        }
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError {
            message: message.to_string(),
            path: DocPath::root(),
            position: None,
            help: None,
            file: FileId::default(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self::custom(format!("field \"{field}\" is required"))
    }
}

/// Shared state of one decoding run.
pub struct Decoder<'g> {
    gate: &'g dyn FieldGate,
    unknown_keys: UnknownKeys<'g>,
    warnings: RefCell<Vec<Diagnostic>>,
    file_names: Option<&'g dyn Fn(FileId) -> String>,
}

impl<'g> Decoder<'g> {
    pub fn new(gate: &'g dyn FieldGate) -> Self {
        Decoder {
            gate,
            unknown_keys: UnknownKeys::Warn,
            warnings: RefCell::new(Vec::new()),
            file_names: None,
        }
    }

    /// Reports unknown keys as `unknown`, not `unused`, and with `Error` as
    /// errors among the findings (decoding goes on, so every one is found).
    #[must_use]
    pub fn with_unknown_keys(mut self, unknown_keys: UnknownKeys<'g>) -> Self {
        self.unknown_keys = unknown_keys;
        self
    }

    /// Names the file of every warning after the node it is about (for
    /// trees merged from several files).
    #[must_use]
    pub fn with_file_names(mut self, names: &'g dyn Fn(FileId) -> String) -> Self {
        self.file_names = Some(names);
        self
    }

    /// Decodes `node` into `T`. Warnings (unused keys, lenient number forms),
    /// and unknown-key errors under [`UnknownKeys::Error`], accumulate and
    /// are returned by [`Decoder::into_warnings`].
    pub fn decode<T: de::DeserializeOwned>(&self, node: &Node) -> Result<T, DecodeError> {
        self.decode_at(node, DocPath::root())
    }

    pub fn decode_at<T: de::DeserializeOwned>(
        &self,
        node: &Node,
        path: DocPath,
    ) -> Result<T, DecodeError> {
        T::deserialize(NodeDeserializer {
            node,
            path,
            decoder: self,
        })
    }

    pub fn into_warnings(self) -> Vec<Diagnostic> {
        self.warnings.into_inner()
    }

    fn warn(&self, node: &Node, diagnostic: Diagnostic) {
        let diagnostic = match self.file_names {
            Some(names) => diagnostic.in_file(names(node.file)),
            None => diagnostic,
        };
        self.warnings.borrow_mut().push(diagnostic);
    }
}

/// Decodes with every declared field allowed, returning the warnings too.
pub fn decode<T: de::DeserializeOwned>(node: &Node) -> Result<(T, Vec<Diagnostic>), DecodeError> {
    let decoder = Decoder::new(&AllFields);
    let value = decoder.decode(node)?;
    Ok((value, decoder.into_warnings()))
}

struct NodeDeserializer<'a, 'g> {
    node: &'a Node,
    path: DocPath,
    decoder: &'a Decoder<'g>,
}

/// What a node is, for "expected X, found Y" messages.
pub fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(scalar) if scalar.is_null() => "null".to_owned(),
        Value::Scalar(scalar) if scalar.is_explicit_string() => {
            format!("the string {:?}", scalar.text)
        }
        Value::Scalar(scalar) => format!("`{}`", scalar.text),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` on text with `_` removed.
fn parse_go_int(text: &str) -> Option<i128> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let (negative, digits) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = i128::from_str_radix(body, radix).ok()?;
    Some(if negative { -value } else { value })
}

/// go-yaml's float syntax (YAML 1.2 core plus `.inf`/`.nan`).
fn parse_yaml_float(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    match cleaned.as_str() {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = cleaned.trim_start_matches(['+', '-']);
    let valid = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if !valid {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// go-yaml's type of a scalar's text when no tag says otherwise:
/// `null`, `bool`, `int`, `float`, `timestamp` or `str`.
fn implicit_type(text: &str) -> &'static str {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return "null",
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return "bool",
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return "float",
        _ => {}
    }
    let Some(first) = text.bytes().next() else {
        return "str";
    };
    if first == b'.' {
        return if go_float_syntax(text) {
            "float"
        } else {
            "str"
        };
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return "str";
    }
    if is_timestamp(text) {
        return "timestamp";
    }
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if parse_go_int(&plain).is_some_and(|v| i64::try_from(v).is_ok() || u64::try_from(v).is_ok()) {
        return "int";
    }
    if go_float_syntax(&plain) {
        return "float";
    }
    "str"
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, go-yaml's float.
fn go_float_syntax(text: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) == whole.len()
                && digits(fraction) == fraction.len()
                && (!whole.is_empty() || !fraction.is_empty())
        }
        None => !mantissa.is_empty() && digits(mantissa) == mantissa.len(),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e) == e.len()
    });
    mantissa_ok && exponent_ok
}

/// A date (`2001-12-14`) optionally followed by a time, as go-yaml's
/// timestamp formats start.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return false;
    }
    let date_end = text.find(['T', 't', ' ']).unwrap_or(text.len());
    let mut parts = text[5..date_end].split('-');
    let valid = |part: Option<&str>| {
        part.is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    valid(parts.next()) && valid(parts.next()) && parts.next().is_none()
}

/// Text shown in an error, shortened so a huge scalar does not flood it.
fn shown(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// Decodes `!!binary` text as go-yaml does: standard base64 with padding,
/// line breaks ignored.
fn decode_binary(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    GO_STD.decode(compact).ok()
}

const TRUE_WORDS: [&str; 11] = [
    "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
];
const FALSE_WORDS: [&str; 11] = [
    "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
];

impl<'a, 'g> NodeDeserializer<'a, 'g> {
    fn error(&self, message: String) -> DecodeError {
        DecodeError::at(self.node, &self.path, message)
    }

    /// Refuses a scalar whose standard tag does not fit its text, with
    /// go-yaml's message.
    fn check_tag(&self) -> Result<(), DecodeError> {
        let Value::Scalar(scalar) = &self.node.value else {
            return Ok(());
        };
        let Some(tag) = scalar
            .tag
            .as_deref()
            .and_then(|t| t.strip_prefix(TAG_PREFIX))
        else {
            return Ok(());
        };
        if !matches!(tag, "bool" | "int" | "float" | "null" | "timestamp") {
            return Ok(());
        }
        let actual = implicit_type(&scalar.text);
        if actual == tag || (tag == "float" && actual == "int") {
            return Ok(());
        }
        Err(self
            .error(format!(
                "cannot decode !!{actual} `{}` as a !!{tag}",
                shown(&scalar.text)
            ))
            .with_help("remove the tag, or write a value of that type"))
    }

    /// The text of a string scalar: a `!!binary` scalar's decoded bytes.
    fn string_bytes(&self, scalar: &'a Scalar) -> Result<std::borrow::Cow<'a, [u8]>, DecodeError> {
        if scalar.tag.as_deref() != Some(BINARY_TAG) {
            return Ok(std::borrow::Cow::Borrowed(scalar.text.as_bytes()));
        }
        decode_binary(&scalar.text)
            .map(std::borrow::Cow::Owned)
            .ok_or_else(|| {
                self.error("!!binary value contains invalid base64 data".to_owned())
                    .with_help("a !!binary value is standard base64 with `=` padding")
            })
    }

    /// Like [`Self::string_bytes`], as text.
    fn string_text(&self, scalar: &'a Scalar) -> Result<std::borrow::Cow<'a, str>, DecodeError> {
        match self.string_bytes(scalar)? {
            std::borrow::Cow::Borrowed(_) => Ok(std::borrow::Cow::Borrowed(&scalar.text)),
            std::borrow::Cow::Owned(bytes) => String::from_utf8(bytes)
                .map(std::borrow::Cow::Owned)
                .map_err(|_| {
                    self.error("the !!binary value is not UTF-8 text".to_owned())
                        .with_help("this field holds text; for binary contents use `local:` or a `data:` URL in `source:`")
                }),
        }
    }

    fn scalar(&self, expected: &str) -> Result<&'a Scalar, DecodeError> {
        self.check_tag()?;
        match &self.node.value {
            Value::Scalar(scalar) => Ok(scalar),
            _ => Err(self.error(format!(
                "expected {expected}, found {}",
                describe(self.node)
            ))),
        }
    }

    fn integer(&self) -> Result<i128, DecodeError> {
        let scalar = self.scalar("an integer")?;
        if scalar.is_explicit_string() {
            let error = self.error(format!(
                "expected an integer, found {}",
                describe(self.node)
            ));
            return Err(if parse_go_int(&scalar.text).is_some() {
                error.with_help("remove the quotes; a number such as a mode is written unquoted (0644 is octal)")
            } else {
                error
            });
        }
        if let Some(value) = parse_go_int(&scalar.text) {
            return Ok(value);
        }
        match parse_yaml_float(&scalar.text) {
            Some(value) if value.is_finite() && value.fract() == 0.0 => {
                self.decoder.warn(
                    self.node,
                    Diagnostic::warning(Code::YamlLenientInteger, format!(
                        "`{}` is not a valid integer literal; read as the decimal number {value}",
                        scalar.text
                    ))
                    .at(self.path.clone())
                    .at_position(self.node.position)
                    .with_help("digits after a leading 0 must be 0-7 for an octal number"),
                );
                #[allow(clippy::cast_possible_truncation)]
                Ok(value as i128)
            }
            _ => Err(self.error(format!(
                "expected an integer, found {}",
                describe(self.node)
            ))),
        }
    }

    fn visit_integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let value = self.integer()?;
        let result = if let Ok(small) = i64::try_from(value) {
            visitor.visit_i64(small)
        } else if let Ok(big) = u64::try_from(value) {
            visitor.visit_u64(big)
        } else {
            return Err(self.error(format!("integer {value} is out of range")));
        };
        result.map_err(|e: DecodeError| {
            let e = e.located(self.node, &self.path);
            if e.message.starts_with("invalid value") {
                DecodeError {
                    message: format!("integer {value} is out of range for this field"),
                    ..e
                }
            } else {
                e
            }
        })
    }

    fn located<T>(&self, result: Result<T, DecodeError>) -> Result<T, DecodeError> {
        result.map_err(|e| e.located(self.node, &self.path))
    }

    fn child(&self, node: &'a Node, path: DocPath) -> NodeDeserializer<'a, 'g> {
        NodeDeserializer {
            node,
            path,
            decoder: self.decoder,
        }
    }
}

impl<'de, 'a, 'g> de::Deserializer<'de> for NodeDeserializer<'a, 'g> {
    type Error = DecodeError;

    /// Untyped values (a string-or-list, a name-or-mapping) keep the raw
    /// text of scalars: YAML 1.1 would read `0644` or `yes` as numbers and
    /// booleans, which is never what such fields mean.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.check_tag()?;
        match &self.node.value {
            Value::Scalar(scalar) if scalar.is_null() => self.located(visitor.visit_unit()),
            Value::Scalar(scalar) => {
                let text = self.string_text(scalar)?;
                self.located(visitor.visit_str(&text))
            }
            Value::Sequence(_) => self.deserialize_seq(visitor),
            Value::Mapping(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let scalar = self.scalar("a boolean")?;
        let quoted_core = scalar.is_explicit_string()
            && matches!(
                scalar.text.as_str(),
                "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
            );
        if !quoted_core {
            if TRUE_WORDS.contains(&scalar.text.as_str()) {
                return self.located(visitor.visit_bool(true));
            }
            if FALSE_WORDS.contains(&scalar.text.as_str()) {
                return self.located(visitor.visit_bool(false));
            }
        }
        Err(self
            .error(format!("expected a boolean, found {}", describe(self.node)))
            .with_help("write true or false"))
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let scalar = self.scalar("a number")?;
        let value = if scalar.is_explicit_string() {
            None
        } else {
            parse_yaml_float(&scalar.text).or_else(|| {
                #[allow(clippy::cast_precision_loss)]
                parse_go_int(&scalar.text).map(|v| v as f64)
            })
        };
        match value {
            Some(value) => self.located(visitor.visit_f64(value)),
            None => Err(self.error(format!("expected a number, found {}", describe(self.node)))),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let scalar = self.scalar("a string")?;
        // go-yaml leaves a non-pointer string empty when the value is null.
        if scalar.is_null() {
            return self.located(visitor.visit_str(""));
        }
        let text = self.string_text(scalar)?;
        self.located(visitor.visit_str(&text))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let scalar = self.scalar("a string")?;
        let bytes = self.string_bytes(scalar)?;
        self.located(visitor.visit_bytes(&bytes))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.check_tag()?;
        if self.node.is_null() {
            self.located(visitor.visit_none())
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.check_tag()?;
        if self.node.is_null() {
            self.located(visitor.visit_unit())
        } else {
            Err(self.error(format!("expected nothing, found {}", describe(self.node))))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match &self.node.value {
            Value::Sequence(items) => {
                let access = SeqAccess {
                    items: items.iter().enumerate(),
                    parent: &self,
                };
                let value = visitor.visit_seq(access);
                self.located(value)
            }
            Value::Scalar(scalar) if scalar.is_null() => {
                let access = SeqAccess {
                    items: [].iter().enumerate(),
                    parent: &self,
                };
                let value = visitor.visit_seq(access);
                self.located(value)
            }
            _ => Err(self.error(format!("expected a list, found {}", describe(self.node)))),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let entries: &[Entry] = match &self.node.value {
            Value::Mapping(entries) => entries,
            Value::Scalar(scalar) if scalar.is_null() => &[],
            _ => {
                return Err(
                    self.error(format!("expected a mapping, found {}", describe(self.node)))
                );
            }
        };
        let access = MapAccess {
            entries: entries.iter(),
            parent: &self,
            fields: None,
            pending: None,
        };
        let value = visitor.visit_map(access);
        self.located(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let entries: &[Entry] = match &self.node.value {
            Value::Mapping(entries) => entries,
            Value::Scalar(scalar) if scalar.is_null() => &[],
            Value::Scalar(scalar) if name.ends_with(STRING_FORM) => {
                self.check_tag()?;
                let text = self.string_text(scalar)?;
                return self.located(visitor.visit_str(&text));
            }
            _ => {
                return Err(
                    self.error(format!("expected a mapping, found {}", describe(self.node)))
                );
            }
        };
        let access = MapAccess {
            entries: entries.iter(),
            parent: &self,
            fields: Some((name, fields)),
            pending: None,
        };
        let value = visitor.visit_map(access);
        self.located(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.check_tag()?;
        match &self.node.value {
            Value::Scalar(scalar) => {
                if !variants.contains(&scalar.text.as_str()) {
                    return Err(self
                        .error(format!("unknown value {:?}", scalar.text))
                        .with_help(&format!("use one of: {}", variants.join(", "))));
                }
                let result = visitor.visit_enum(scalar.text.as_str().into_deserializer());
                self.located(result)
            }
            Value::Mapping(entries) if entries.len() == 1 => {
                let Some(entry) = entries.first() else {
                    return Err(self.error("expected a single-key mapping".to_owned()));
                };
                let result = visitor.visit_enum(EnumAccess {
                    entry,
                    parent: &self,
                });
                self.located(result)
            }
            _ => Err(self.error(format!(
                "expected one of {}, found {}",
                variants.join(", "),
                describe(self.node)
            ))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

struct SeqAccess<'s, 'a, 'g, I: Iterator<Item = (usize, &'a Node)>> {
    items: I,
    parent: &'s NodeDeserializer<'a, 'g>,
}

impl<'de, 'a, 'g, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de>
    for SeqAccess<'_, 'a, 'g, I>
{
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.items.next() {
            Some((index, node)) => {
                let path = self.parent.path.index(index);
                let child = self.parent.child(node, path.clone());
                seed.deserialize(child)
                    .map(Some)
                    .map_err(|e| e.located(node, &path))
            }
            None => Ok(None),
        }
    }
}

struct MapAccess<'s, 'a, 'g> {
    entries: std::slice::Iter<'a, Entry>,
    parent: &'s NodeDeserializer<'a, 'g>,
    /// For structs: the struct name and its fields, to skip unknown keys.
    fields: Option<(&'static str, &'static [&'static str])>,
    pending: Option<(&'a Node, DocPath)>,
}

impl<'de, 'a, 'g> de::MapAccess<'de> for MapAccess<'_, 'a, 'g> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        for entry in self.entries.by_ref() {
            let Some((name, fields)) = self.fields else {
                let key_path = self.parent.path.clone();
                let child = self.parent.child(&entry.key, key_path.clone());
                let text = entry
                    .key
                    .as_scalar()
                    .map_or(String::new(), |s| s.text.clone());
                self.pending = Some((&entry.value, self.parent.path.key(text)));
                return seed
                    .deserialize(child)
                    .map(Some)
                    .map_err(|e| e.located(&entry.key, &key_path));
            };
            let Some(key) = entry.key.as_scalar().map(|s| s.text.as_str()) else {
                return Err(DecodeError::at(
                    &entry.key,
                    &self.parent.path,
                    "mapping keys must be plain strings".to_owned(),
                ));
            };
            // A known field's path borrows the field's static name.
            let path = match fields.iter().find(|field| **field == key) {
                Some(field) => self.parent.path.key(*field),
                None => self.parent.path.key(key.to_owned()),
            };
            if fields.contains(&key) && self.parent.decoder.gate.allows(name, key, &path) {
                self.pending = Some((&entry.value, path));
                return seed.deserialize(key.into_deserializer()).map(Some);
            }
            let placement = match self.parent.decoder.unknown_keys {
                UnknownKeys::Warn => None,
                UnknownKeys::Error(placement) => Some(placement(name, key)),
            };
            let mut warning = match &placement {
                None => Diagnostic::warning(Code::YamlUnusedKey, format!("unused key {key}")),
                Some(None) => {
                    Diagnostic::error(Code::FleetUnknownKey, format!("unknown key {key}"))
                }
                Some(Some(_)) => {
                    Diagnostic::error(Code::FleetMisplacedKey, format!("unknown key {key}"))
                }
            }
            .at(path)
            .at_position(entry.key.position);
            if let Some(Some(belongs)) = placement {
                warning = warning.with_help(belongs);
            } else if let Some(close) =
                crate::suggest::closest(key, fields.iter().copied()).filter(|close| {
                    self.parent
                        .decoder
                        .gate
                        .allows(name, close, &self.parent.path.key(*close))
                })
            {
                warning = warning.with_help(format!("did you mean `{close}`?"));
            } else if fields.contains(&key) {
                let help = self
                    .parent
                    .decoder
                    .gate
                    .refused_help(name, key)
                    .unwrap_or_else(|| {
                        format!("{key} does not exist in this version; raise `version:` to use it")
                    });
                warning = warning.with_help(help);
            }
            self.parent.decoder.warn(&entry.key, warning);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let Some((node, path)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        let child = self.parent.child(node, path.clone());
        seed.deserialize(child).map_err(|e| e.located(node, &path))
    }
}

struct EnumAccess<'s, 'a, 'g> {
    entry: &'a Entry,
    parent: &'s NodeDeserializer<'a, 'g>,
}

impl<'de, 'a, 'g> de::EnumAccess<'de> for EnumAccess<'_, 'a, 'g> {
    type Error = DecodeError;
    type Variant = VariantAccess<'a, 'g>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DecodeError> {
        let key = self
            .entry
            .key
            .as_scalar()
            .map_or(String::new(), |s| s.text.clone());
        let path = self.parent.path.key(key.clone());
        let value = seed
            .deserialize(key.as_str().into_deserializer())
            .map_err(|e: DecodeError| e.located(&self.entry.key, &path))?;
        Ok((
            value,
            VariantAccess {
                inner: self.parent.child(&self.entry.value, path),
            },
        ))
    }
}

struct VariantAccess<'a, 'g> {
    inner: NodeDeserializer<'a, 'g>,
}

impl<'de, 'a, 'g> de::VariantAccess<'de> for VariantAccess<'a, 'g> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self.inner)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_seq(self.inner, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_struct(self.inner, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::yaml::parse;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Sample {
        mode: Option<i64>,
        enabled: Option<bool>,
        name: Option<String>,
        items: Vec<String>,
        nested: Nested,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Nested {
        path: String,
    }

    fn sample(source: &str) -> Result<(Sample, Vec<Diagnostic>), DecodeError> {
        let node = parse(source).expect("valid yaml").expect("a document");
        decode(&node)
    }

    fn mode(text: &str) -> Option<i64> {
        sample(&format!("mode: {text}")).expect("decodes").0.mode
    }

    #[test]
    fn integers_follow_go_yaml_v3() {
        assert_eq!(mode("0644"), Some(420));
        assert_eq!(mode("0o644"), Some(420));
        assert_eq!(mode("0x1a4"), Some(420));
        assert_eq!(mode("0b110100100"), Some(420));
        assert_eq!(mode("0_644"), Some(420));
        assert_eq!(mode("644"), Some(644));
        assert_eq!(mode("420"), Some(420));
        assert_eq!(mode("-1"), Some(-1));
        assert_eq!(mode("+7"), Some(7));
        assert_eq!(mode("0"), Some(0));
        assert_eq!(mode("~"), None);
        assert_eq!(mode(""), None);
    }

    #[test]
    fn invalid_octal_reads_as_decimal_with_a_warning() {
        let (value, warnings) = sample("mode: 0888").expect("decodes");
        assert_eq!(value.mode, Some(888));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn quoted_numbers_are_not_integers() {
        let error = sample("mode: \"0644\"").expect_err("quoted");
        assert_eq!(
            error.message,
            "expected an integer, found the string \"0644\""
        );
        assert_eq!(error.position, Some(Position::new(1, 7)));
        assert_eq!(error.path.to_string(), "$.mode");
        assert!(error.help.is_some());
    }

    #[test]
    fn yaml_1_1_booleans_only_for_bool_fields() {
        for word in ["yes", "Yes", "YES", "on", "y", "true", "True", "\"yes\""] {
            let (value, _) = sample(&format!("enabled: {word}")).expect("decodes");
            assert_eq!(value.enabled, Some(true), "{word}");
        }
        for word in ["no", "Off", "N", "false", "FALSE"] {
            let (value, _) = sample(&format!("enabled: {word}")).expect("decodes");
            assert_eq!(value.enabled, Some(false), "{word}");
        }
        assert!(sample("enabled: \"true\"").is_err());
        assert!(sample("enabled: 1").is_err());
        let (value, _) = sample("name: yes").expect("decodes");
        assert_eq!(value.name.as_deref(), Some("yes"));
        let (value, _) = sample("name: 0644").expect("decodes");
        assert_eq!(value.name.as_deref(), Some("0644"));
    }

    #[test]
    fn unknown_keys_warn_at_the_key() {
        let (_, warnings) = sample("nested:\n  path: /a\n  pth: /b\n").expect("decodes");
        assert_eq!(warnings.len(), 1);
        let warning = &warnings[0];
        assert_eq!(warning.message, "unused key pth");
        assert_eq!(
            warning.path.as_ref().map(ToString::to_string).as_deref(),
            Some("$.nested.pth")
        );
        assert_eq!(warning.position, Some(Position::new(3, 3)));
    }

    #[test]
    fn unknown_keys_are_errors_when_asked() {
        let node = parse("nested:\n  pth: /b\nitem: [a]\n")
            .expect("yaml")
            .expect("doc");
        let belongs = |_: &'static str, key: &str| (key == "item").then(|| "not here".to_owned());
        let decoder = Decoder::new(&AllFields).with_unknown_keys(UnknownKeys::Error(&belongs));
        let _: Sample = decoder.decode(&node).expect("decodes");
        let findings: Vec<_> = decoder
            .into_warnings()
            .into_iter()
            .map(|d| {
                let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
                (d.is_error(), d.code, d.message, path, d.position, d.help)
            })
            .collect();
        let not_here = Some("not here".to_owned());
        let did_you_mean = Some("did you mean `path`?".to_owned());
        assert_eq!(
            findings,
            [
                (
                    true,
                    Code::FleetUnknownKey,
                    "unknown key pth".into(),
                    "$.nested.pth".into(),
                    Some(Position::new(2, 3)),
                    did_you_mean
                ),
                (
                    true,
                    Code::FleetMisplacedKey,
                    "unknown key item".into(),
                    "$.item".into(),
                    Some(Position::new(3, 1)),
                    not_here
                ),
            ]
        );
    }

    #[test]
    fn type_errors_point_at_the_node() {
        let error = sample("items:\n  - a\n  - [b]\n").expect_err("list in list");
        assert_eq!(error.path.to_string(), "$.items.1");
        assert_eq!(error.position, Some(Position::new(3, 5)));
        assert_eq!(error.message, "expected a string, found a list");
    }

    #[test]
    fn null_gives_defaults() {
        let (value, _) = sample("items:\nnested:\n").expect("decodes");
        assert_eq!(value, Sample::default());
    }

    struct OnlyPath;
    impl FieldGate for OnlyPath {
        fn allows(&self, struct_name: &'static str, field: &str, _: &DocPath) -> bool {
            !(struct_name == "Sample" && field == "enabled")
        }
    }

    #[test]
    fn gated_fields_are_unused_keys() {
        let node = parse("enabled: true\nname: x\n")
            .expect("yaml")
            .expect("doc");
        let decoder = Decoder::new(&OnlyPath);
        let value: Sample = decoder.decode(&node).expect("decodes");
        assert_eq!(value.enabled, None);
        let warnings = decoder.into_warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].message, "unused key enabled");
    }

    #[test]
    fn out_of_range_integers_are_errors() {
        #[derive(Debug, Deserialize)]
        struct Small {
            #[allow(dead_code)]
            n: u8,
        }
        let node = parse("n: 300").expect("yaml").expect("doc");
        let error = decode::<Small>(&node).expect_err("too big");
        assert_eq!(error.position, Some(Position::new(1, 4)));
    }
}
