//! Diagnostics: errors and warnings as values, each pointing at its source.
//!
//! Every stage returns its findings as [`Diagnostic`]s instead of printing, so
//! that `--strict` can promote warnings and tests can snapshot them. A
//! diagnostic names the source file, the 1-based line and column of the node
//! it is about, and a JSON-path-like location (`$.storage.files.0.path`) in the
//! style of Butane's reports.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column in a source file (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }
}

/// One step of a [`DocPath`]. Keys are mostly names from the schema
/// (`storage`, `files`), borrowed rather than copied: validation builds a
/// path for every field it looks at, error or not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

/// A location inside a document, written as `$.storage.files.0.path`.
///
/// Used for YAML paths (Butane and manifest input) and JSON paths (Ignition
/// output) alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DocPath(Vec<Segment>);

impl DocPath {
    pub const fn root() -> Self {
        DocPath(Vec::new())
    }

    /// The path one key further down (`&'static str` keys are not copied).
    #[must_use]
    pub fn key(&self, key: impl Into<Cow<'static, str>>) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(Segment::Key(key.into()));
        DocPath(segments)
    }

    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(Segment::Index(index));
        DocPath(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn from_segments(segments: Vec<Segment>) -> Self {
        DocPath(segments)
    }

    /// Parses `$.a.0.b` back into a path (numeric components become indices).
    pub fn parse(text: &str) -> Self {
        let rest = text.strip_prefix('$').unwrap_or(text);
        let segments = rest
            .split('.')
            .filter(|part| !part.is_empty())
            .map(|part| match part.parse::<usize>() {
                Ok(index) => Segment::Index(index),
                Err(_) => Segment::Key(part.to_owned().into()),
            })
            .collect();
        DocPath(segments)
    }

    pub fn starts_with(&self, prefix: &DocPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, ".{index}")?,
            }
        }
        Ok(())
    }
}

impl Serialize for DocPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One finding: what is wrong, where, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// The source file (as given by the user), if the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Location inside the document (`$.storage.files.0.path`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<DocPath>,
    /// What to do about it, when that is not obvious from the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            file: None,
            position: None,
            path: None,
            help: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    #[must_use]
    pub fn at(mut self, path: DocPath) -> Self {
        self.path = Some(path);
        self
    }

    #[must_use]
    pub fn at_position(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line form: `file:line:col: error at $.path: message`.
    pub fn raw(&self) -> String {
        let mut line = String::new();
        if let Some(file) = &self.file {
            line.push_str(file);
            if let Some(position) = self.position {
                line.push_str(&format!(":{}:{}", position.line, position.column));
            }
            line.push_str(": ");
        } else if let Some(position) = self.position {
            line.push_str(&format!("line {} col {}: ", position.line, position.column));
        }
        line.push_str(&self.severity.to_string());
        if let Some(path) = self.path.as_ref().filter(|path| !path.is_empty()) {
            line.push_str(&format!(" at {path}"));
        }
        line.push_str(": ");
        line.push_str(&self.message);
        if let Some(help) = &self.help {
            line.push_str(&format!(" (help: {help})"));
        }
        line
    }

    /// The annotated form with source context, in the style of Butane 0.29's
    /// default reports. `source` is the text of `self.file`, if available.
    pub fn pretty(&self, source: Option<&str>) -> String {
        let (Some(file), Some(position), Some(source)) = (&self.file, self.position, source) else {
            return self.raw();
        };
        let lines: Vec<&str> = source.lines().collect();
        if position.line == 0 || position.line > lines.len() {
            return self.raw();
        }
        let mut out = String::new();
        out.push_str(&self.severity.to_string());
        if let Some(path) = self.path.as_ref().filter(|path| !path.is_empty()) {
            out.push_str(&format!("[{path}]"));
        }
        out.push_str(":\n");
        let first = position.line.saturating_sub(2).max(1);
        let last = (position.line + 2).min(lines.len());
        let width = last.to_string().len();
        let blank = " ".repeat(width);
        out.push_str(&format!(
            "{blank} --> {file}:{}:{}\n",
            position.line, position.column
        ));
        out.push_str(&format!("{blank} |\n"));
        // Lines wider than the snippet show the same window of columns,
        // chosen so the reported column is in it.
        let column = position.column.saturating_sub(1);
        let skip = if lines
            .iter()
            .take(last)
            .skip(first - 1)
            .all(|line| line.len() <= SNIPPET_WIDTH)
        {
            0
        } else {
            column.saturating_sub(SNIPPET_WIDTH / 4)
        };
        for number in first..=last {
            let text = snippet(lines.get(number - 1).copied().unwrap_or(""), skip);
            let text = text.as_str();
            out.push_str(&format!("{number:>width$} | {text}\n"));
            if number == position.line {
                // The window's leading `…` stands for the skipped columns.
                let shown_column = column - skip + usize::from(skip > 0);
                let before: String = text
                    .chars()
                    .take(shown_column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let underlined = text
                    .chars()
                    .skip(shown_column)
                    .take_while(|c| !c.is_whitespace() && *c != '…')
                    .count()
                    .max(1);
                out.push_str(&format!(
                    "{blank} | {before}{} {}\n",
                    "^".repeat(underlined),
                    self.message
                ));
            }
        }
        out.push_str(&format!("{blank} |\n"));
        if let Some(help) = &self.help {
            out.push_str(&format!("{blank} = help: {help}\n"));
        }
        out
    }
}

/// Widest part of a source line a snippet shows, in characters.
const SNIPPET_WIDTH: usize = 120;

/// At most [`SNIPPET_WIDTH`] characters of `line` from character `skip`,
/// with `…` marking text left out on either side.
fn snippet(line: &str, skip: usize) -> String {
    if skip == 0 && line.len() <= SNIPPET_WIDTH {
        return visible(line);
    }
    let mut chars = line.chars().skip(skip);
    let window: String = chars.by_ref().take(SNIPPET_WIDTH).collect();
    if window.is_empty() {
        return window;
    }
    let mut out = String::with_capacity(window.len() + 8);
    if skip > 0 {
        out.push('…');
    }
    out.push_str(&visible(&window));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Shows control characters (other than tab) as their Unicode control
/// pictures, one character each so columns stay aligned.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'),
            '\u{7f}' => '\u{2421}',
            _ => c,
        })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw())
    }
}

/// An ordered collection of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn has_warnings(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Warning)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// Sets the file name on every diagnostic that has none yet.
    pub fn set_file(&mut self, file: &str) {
        for diagnostic in &mut self.0 {
            if diagnostic.file.is_none() {
                diagnostic.file = Some(file.to_owned());
            }
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_displays_and_parses() {
        let path = DocPath::root()
            .key("storage")
            .key("files")
            .index(0)
            .key("path");
        assert_eq!(path.to_string(), "$.storage.files.0.path");
        assert_eq!(DocPath::parse("$.storage.files.0.path"), path);
        assert_eq!(DocPath::root().to_string(), "$");
    }

    #[test]
    fn raw_form_names_file_line_and_column() {
        let diagnostic = Diagnostic::error("path not absolute")
            .at(DocPath::parse("$.storage.files.0.path"))
            .at_position(Position::new(5, 13))
            .in_file("config.bu");
        assert_eq!(
            diagnostic.raw(),
            "config.bu:5:13: error at $.storage.files.0.path: path not absolute"
        );
    }

    #[test]
    fn pretty_form_underlines_the_value() {
        let source = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: etc/a\n";
        let diagnostic = Diagnostic::error("path not absolute")
            .at(DocPath::parse("$.storage.files.0.path"))
            .at_position(Position::new(5, 13))
            .in_file("config.bu")
            .with_help("start the path with /");
        let expected = "\
error[$.storage.files.0.path]:
  --> config.bu:5:13
  |
3 | storage:
4 |   files:
5 |     - path: etc/a
  |             ^^^^^ path not absolute
  |
  = help: start the path with /
";
        assert_eq!(diagnostic.pretty(Some(source)), expected);
    }

    #[test]
    fn pretty_form_of_a_huge_line_shows_a_window_around_the_column() {
        // A 50 MB line used to be printed whole, with 50 MB of carets.
        let line = format!("data: {}x {}", "a".repeat(25 << 20), "b".repeat(25 << 20));
        let column = 6 + (25 << 20) + 1;
        let diagnostic = Diagnostic::error("here")
            .at_position(Position::new(1, column))
            .in_file("big.bu");
        let pretty = diagnostic.pretty(Some(&line));
        assert!(pretty.len() < 1_000, "{} bytes", pretty.len());
        let expected = format!(
            "error:\n  --> big.bu:1:{column}\n  |\n1 | …{}x {}…\n  | {}^ here\n  |\n",
            "a".repeat(30),
            "b".repeat(88),
            " ".repeat(31),
        );
        assert_eq!(pretty, expected);
    }

    #[test]
    fn pretty_falls_back_to_raw_without_position() {
        let diagnostic = Diagnostic::warning("something").in_file("x.bu");
        assert_eq!(diagnostic.pretty(Some("a")), "x.bu: warning: something");
    }
}
