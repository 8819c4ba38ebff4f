//! Parser for the systemd unit-file syntax, following the rules of the parser
//! Quadlet itself uses (Podman `pkg/systemd/parser`), which differ from
//! systemd's in a few corner cases:
//!
//! - every physical line is trimmed of (Unicode) whitespace first;
//! - empty lines and lines starting with `#` or `;` are comments;
//! - a line ending in `\` is joined with the next one *without* inserting a
//!   space (the backslash is dropped, the next line is trimmed first);
//!   comment and blank lines inside a continuation are skipped, and a file
//!   that ends inside a continuation silently loses that last value;
//! - `[Name]` starts a section (whitespace may follow the `]`); repeated
//!   sections are merged by Quadlet — here every occurrence is kept in
//!   [`UnitFile::sections`] and the lookup helpers merge them;
//! - `Key=Value`: the key is the text before the first `=` with trailing
//!   whitespace removed, the value has its leading ASCII whitespace removed;
//!   quoting and escapes are left verbatim in [`Entry::value`].
//!
//! Positions are 1-based; columns count Unicode scalar values (not bytes).

use std::fmt;

mod model;

pub use model::{Entry, Position, Section, UnitFile, unquote};
/// What went wrong on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// `Key=Value` before the first `[Section]` header.
    KeyOutsideSection,
    /// Neither a comment, a section header nor a `Key=Value` pair.
    InvalidLine,
    /// A line starting with `[` that has no closing `]`.
    UnterminatedSectionHeader,
    /// Text other than whitespace after the closing `]`.
    TextAfterSectionHeader,
    /// Empty section name or one containing `[`, `]` or control characters.
    InvalidSectionName,
    /// Not fatal: the file ends while a `\` continuation is still open.
    ContinuationAtEndOfFile,
    /// Not fatal: a blank line inside a `\` continuation is skipped, so the
    /// following line is glued onto the value.
    BlankLineInContinuation,
}

/// A parse problem with its position and an actionable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Category of the problem.
    pub kind: ParseErrorKind,
    /// Where it is.
    pub pos: Position,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for ParseError {}

/// All fatal problems of a file (never empty when returned by [`parse()`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrors(pub Vec<ParseError>);

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// Parse strictly: any fatal problem is an error (like Quadlet, which drops
/// the unit). Use [`parse_lenient`] to keep going after errors.
pub fn parse(src: &str) -> Result<UnitFile, ParseErrors> {
    let (file, errors) = parse_lenient(src);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(ParseErrors(errors))
    }
}

/// A physical-line fragment of a logical line: where its text starts in the
/// joined string and where that text is in the source.
struct Fragment {
    offset: usize,
    pos: Position,
}

/// Logical line being assembled from `\` continuations.
#[derive(Default)]
struct Logical {
    text: String,
    fragments: Vec<Fragment>,
    last_line: usize,
}

impl Logical {
    fn push(&mut self, text: &str, pos: Position) {
        // Empty fragments (a line that is just `\`) add nothing; like Quadlet,
        // they do not even start a continuation.
        if !text.is_empty() {
            self.fragments.push(Fragment {
                offset: self.text.len(),
                pos,
            });
            self.text.push_str(text);
        }
        self.last_line = pos.line;
    }

    /// Source position of byte `offset` of the joined text.
    fn pos_of(&self, offset: usize) -> Position {
        let Some(f) = self.fragments.iter().rev().find(|f| f.offset <= offset) else {
            return Position::START;
        };
        let chars = self
            .text
            .get(f.offset..offset)
            .map_or(0, |s| s.chars().count());
        Position {
            line: f.pos.line,
            column: f.pos.column + chars,
        }
    }
}

/// Parse, collecting every fatal problem instead of stopping at the first.
/// The returned [`UnitFile`] holds everything that could be understood.
pub fn parse_lenient(src: &str) -> (UnitFile, Vec<ParseError>) {
    let mut parser = Parser::default();
    let body = src.strip_suffix('\n').unwrap_or(src);
    let lines: Vec<&str> = body.split('\n').collect();
    let last_index = lines.len().saturating_sub(1);
    let mut pending = Logical::default();

    for (index, raw) in lines.iter().enumerate() {
        let line_no = index + 1;
        let leading = raw.len() - raw.trim_start().len();
        let mut line = raw.trim();
        let column = raw.get(..leading).map_or(0, |s| s.chars().count()) + 1;
        let pos = Position {
            line: line_no,
            column,
        };
        if is_comment(line) {
            if !pending.text.is_empty() && line.is_empty() {
                parser.file.warnings.push(ParseError {
                    kind: ParseErrorKind::BlankLineInContinuation,
                    pos,
                    message: format!(
                        "blank line inside a `\\` continuation started on line {}; Quadlet \
                         skips it and glues the next line onto the value — remove the \
                         trailing `\\` or the blank line",
                        pending.fragments.first().map_or(line_no, |f| f.pos.line)
                    ),
                });
            }
            continue;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            line = stripped;
            if index != last_index {
                pending.push(line, pos);
                continue;
            }
        }
        pending.push(line, pos);
        let logical = std::mem::take(&mut pending);
        parser.logical_line(&logical);
    }
    if !pending.text.is_empty() {
        let pos = pending.fragments.first().map_or(Position::START, |f| f.pos);
        parser.file.warnings.push(ParseError {
            kind: ParseErrorKind::ContinuationAtEndOfFile,
            pos,
            message: "the file ends inside a `\\` continuation, so Quadlet drops this line; \
                      remove the trailing `\\`"
                .to_string(),
        });
    }
    (parser.file, parser.errors)
}

fn is_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#') || line.starts_with(';')
}

#[derive(Default)]
struct Parser {
    file: UnitFile,
    errors: Vec<ParseError>,
}

impl Parser {
    fn error(&mut self, kind: ParseErrorKind, pos: Position, message: String) {
        self.errors.push(ParseError { kind, pos, message });
    }

    fn logical_line(&mut self, l: &Logical) {
        let text = l.text.as_str();
        if text.is_empty() {
            // A lone `\` on the last line: Quadlet treats it as a blank line.
            return;
        }
        let start = l.pos_of(0);
        if text.starts_with('[') {
            self.section_header(l, start);
        } else if let Some(eq) = text.find('=').filter(|&i| i > 0) {
            self.key_value(l, eq, start);
        } else {
            self.error(
                ParseErrorKind::InvalidLine,
                start,
                format!(
                    "`{}` is not a `Key=Value` pair, a `[Section]` header or a comment \
                     (`#`/`;`); fix or remove it, comment it out, or end the previous line \
                     with `\\` to continue it (template syntax such as Jinja must be rendered \
                     before validation)",
                    shorten(text)
                ),
            );
        }
    }

    fn section_header(&mut self, l: &Logical, start: Position) {
        let text = l.text.as_str();
        let Some(end) = text.find(']') else {
            self.error(
                ParseErrorKind::UnterminatedSectionHeader,
                start,
                format!(
                    "section header `{}` has no closing `]`; write it as `[Name]`",
                    shorten(text)
                ),
            );
            return;
        };
        let name = &text[1..end];
        let rest = &text[end + 1..];
        if rest.chars().any(|c| c != ' ' && c != '\t') {
            self.error(
                ParseErrorKind::TextAfterSectionHeader,
                l.pos_of(end + 1),
                format!(
                    "unexpected text `{}` after section header `[{name}]`; put the header \
                     on a line of its own",
                    shorten(rest.trim())
                ),
            );
            return;
        }
        if name.is_empty() || name.chars().any(|c| c == '[' || c == ']' || c.is_control()) {
            self.error(
                ParseErrorKind::InvalidSectionName,
                start,
                format!(
                    "invalid section name `{}`: it must be non-empty and contain no `[`, `]` \
                     or control characters",
                    name.escape_debug()
                ),
            );
            return;
        }
        self.file.sections.push(Section {
            name: name.to_string(),
            header: start,
            entries: Vec::new(),
        });
    }

    fn key_value(&mut self, l: &Logical, eq: usize, start: Position) {
        let text = l.text.as_str();
        let key = text[..eq].trim_end_matches(|c: char| c.is_ascii_whitespace());
        let after = &text[eq + 1..];
        let value = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let value_offset = text.len() - value.len();
        let Some(section) = self.file.sections.last_mut() else {
            self.error(
                ParseErrorKind::KeyOutsideSection,
                start,
                format!(
                    "`{key}=` appears before any section header; add a header such as \
                     `[Unit]` or `[Container]` above it"
                ),
            );
            return;
        };
        section.entries.push(Entry {
            key: key.to_string(),
            value: value.to_string(),
            key_pos: start,
            value_pos: l.pos_of(value_offset),
            last_line: l.last_line,
        });
    }
}

/// At most 60 characters of `s` for messages.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests;
