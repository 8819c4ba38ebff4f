//! A small, careful YAML emitter for decompiled Butane configs.
//!
//! Output is block style only (mappings, sequences, literal block scalars).
//! Every scalar is written so that YAML 1.1 readers (go-yaml v3, which Butane
//! uses, still reads `yes`, `on` and `0644` the 1.1 way) and YAML 1.2 readers
//! read back exactly the same value:
//!
//! * strings are plain only when they cannot be read as anything else (no
//!   null/bool words of either YAML version, nothing number-like, no
//!   indicator characters, no leading or trailing spaces, printable only);
//! * multi-line strings become literal block scalars (`|`, `|-`, `|+`, with
//!   an indentation indicator when the first line starts with whitespace);
//! * everything else is double-quoted with escapes.
//!
//! Keys are emitted plain and must be simple identifiers (the Butane keys).

use crate::yaml::quote::{self, Escapes};

/// A YAML value to emit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Yaml {
    Str(String),
    Int(i64),
    /// A file mode, written in octal with a leading zero (`0644`).
    Mode(i64),
    Bool(bool),
    /// A scalar written exactly as given: the text of a plain (or tagged)
    /// scalar read from another document, which means what it meant there
    /// (`0644`, `true`, `!!binary aGk=`). The caller vouches that it is one
    /// line and valid where a value goes.
    Raw(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn str(text: impl Into<String>) -> Self {
        Yaml::Str(text.into())
    }
}

/// `doc` as a YAML document (no `---` marker, trailing newline).
pub fn to_string(doc: &Yaml) -> String {
    let mut out = String::new();
    match doc {
        Yaml::Map(entries) if !entries.is_empty() => emit_map(&mut out, entries, 0),
        Yaml::Seq(items) if !items.is_empty() => emit_seq(&mut out, items, 0),
        other => {
            out.push_str(&inline_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn emit_map(out: &mut String, entries: &[(String, Yaml)], indent: usize) {
    for (index, (key, value)) in entries.iter().enumerate() {
        // The first key of a map inside a sequence item follows the "- ".
        if index > 0 || !out.ends_with("- ") {
            push_indent(out, indent);
        }
        out.push_str(&key_text(key));
        out.push(':');
        emit_value(out, value, indent);
    }
}

fn emit_seq(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        push_indent(out, indent);
        out.push_str("- ");
        match item {
            Yaml::Map(entries) if !entries.is_empty() => emit_map(out, entries, indent + 2),
            Yaml::Seq(nested) if !nested.is_empty() => {
                // "- - x" is valid YAML but hard to read; nest on a new line.
                out.truncate(out.trim_end_matches(' ').len());
                out.push('\n');
                emit_seq(out, nested, indent + 2);
            }
            // Block scalars in sequences would need indentation indicators
            // relative to the dash; a quoted scalar is always unambiguous.
            Yaml::Str(text) => {
                out.push_str(&flow_string(text));
                out.push('\n');
            }
            other => {
                out.push_str(&inline_scalar(other));
                out.push('\n');
            }
        }
    }
}

/// Emits what follows `key:` for a key at column `indent`.
fn emit_value(out: &mut String, value: &Yaml, indent: usize) {
    match value {
        Yaml::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            emit_map(out, entries, indent + 2);
        }
        Yaml::Seq(items) if !items.is_empty() => {
            out.push('\n');
            emit_seq(out, items, indent + 2);
        }
        Yaml::Str(text) => match block_literal(text, indent + 2) {
            Some(block) => {
                out.push(' ');
                out.push_str(&block);
            }
            None => {
                out.push(' ');
                out.push_str(&flow_string(text));
                out.push('\n');
            }
        },
        other => {
            out.push(' ');
            out.push_str(&inline_scalar(other));
            out.push('\n');
        }
    }
}

fn key_text(key: &str) -> String {
    let simple = !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !quote::might_read_as_non_string(key);
    if simple {
        key.to_owned()
    } else {
        quote::double_quoted(key, Escapes::Visible)
    }
}

fn inline_scalar(value: &Yaml) -> String {
    match value {
        Yaml::Str(text) => flow_string(text),
        Yaml::Int(number) => number.to_string(),
        Yaml::Mode(mode) => mode_text(*mode),
        Yaml::Bool(flag) => flag.to_string(),
        Yaml::Raw(text) => text.clone(),
        Yaml::Seq(_) => "[]".to_owned(),
        Yaml::Map(_) => "{}".to_owned(),
    }
}

/// `0644` for modes in range; anything else (negative, huge) in decimal so
/// the value still reads back unchanged.
pub fn mode_text(mode: i64) -> String {
    if (0..=0o7777).contains(&mode) {
        format!("0{mode:03o}")
    } else {
        mode.to_string()
    }
}

/// A single-line representation: plain if safe, else double-quoted.
pub fn flow_string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        quote::double_quoted(text, Escapes::Visible)
    }
}

/// Whether `text` may stand plain. Broader than the openshift emitter's
/// `plain_allowed`, which must follow go-yaml's analysis exactly: here only
/// reading back unchanged in any reader matters.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return false;
    }
    // Indicators (and '.', '+' for numbers and document markers) at the start.
    if "-?:,[]{}#&*!|>'\"%@`.+=<~\\".contains(first) {
        return false;
    }
    if text
        .chars()
        .any(|c| c == '\n' || c == '\t' || Escapes::Visible.must_escape(c))
    {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    !quote::might_read_as_non_string(text)
}

/// A literal block scalar (header line plus content lines at `indent`), or
/// `None` when the text is better written quoted: single-line text, text
/// with characters a block scalar cannot carry (CR, controls, line
/// separators), or text that is only whitespace.
fn block_literal(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') || text.chars().any(|c| Escapes::Visible.must_escape(c)) {
        return None;
    }
    if text.chars().all(char::is_whitespace) {
        return None;
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // Indentation is detected from the first non-empty line, so give it
    // explicitly when the text starts with whitespace or an empty line.
    let indicator = if text.starts_with([' ', '\t', '\n']) {
        "2"
    } else {
        ""
    };
    let mut out = format!("|{indicator}{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            push_indent(&mut out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    // Keep chomping: every extra trailing newline is an empty line.
    for _ in 1..trailing {
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests;
