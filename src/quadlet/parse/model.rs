//! The data model produced by the parser: positions, entries, sections and
//! the unit file with Quadlet's lookup semantics.

use super::ParseError;

/// A 1-based line/column position in the source text (physical lines,
/// columns counted in characters).
pub use crate::diag::Position;

/// One `Key=Value` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, exactly as written (keys are case-sensitive).
    pub key: String,
    /// The raw value after joining continuation lines and removing leading
    /// whitespace. Quotes, escapes, `%` specifiers and `$VAR`s are kept.
    pub value: String,
    /// Where the key starts.
    pub key_pos: Position,
    /// Where the value starts (just after `=` when the value is empty).
    pub value_pos: Position,
    /// Last physical line of the entry (differs from `key_pos.line` when the
    /// value is continued with `\`).
    pub last_line: usize,
}

impl Entry {
    /// The value the way Quadlet's single-value lookup sees it: trailing
    /// whitespace removed and one pair of surrounding double quotes stripped
    /// (Podman 5.8.2+ semantics).
    pub fn unquoted(&self) -> &str {
        unquote(&self.value)
    }
}

/// Trailing whitespace removed, then one pair of surrounding `"` stripped.
pub fn unquote(value: &str) -> &str {
    let v = value.trim_end();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// One occurrence of a `[Section]` and the entries under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section name without brackets (case-sensitive).
    pub name: String,
    /// Position of the `[`.
    pub header: Position,
    /// Entries in source order.
    pub entries: Vec<Entry>,
}

/// A parsed unit file: sections in source order (repeats kept separately).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFile {
    /// Every section occurrence in source order.
    pub sections: Vec<Section>,
    /// Non-fatal observations made while parsing (continuation oddities).
    pub warnings: Vec<ParseError>,
}

impl UnitFile {
    /// Distinct section names in order of first appearance.
    pub fn section_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in &self.sections {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        names
    }

    /// True if at least one `[section]` header exists.
    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s.name == section)
    }

    /// First header of `section`, if any.
    pub fn section_header(&self, section: &str) -> Option<Position> {
        self.sections
            .iter()
            .find(|s| s.name == section)
            .map(|s| s.header)
    }

    /// Every entry of `section` (all occurrences merged, source order).
    pub fn entries<'a, 's>(
        &'a self,
        section: &'s str,
    ) -> impl Iterator<Item = &'a Entry> + use<'a, 's> {
        self.sections
            .iter()
            .filter(move |s| s.name == section)
            .flat_map(|s| s.entries.iter())
    }

    /// The last assignment of `key` in `section` (single-value semantics).
    pub fn last(&self, section: &str, key: &str) -> Option<&Entry> {
        self.entries(section).filter(|e| e.key == key).last()
    }

    /// The last assignment of `key`, unquoted, if present and non-empty.
    pub fn value(&self, section: &str, key: &str) -> Option<&str> {
        self.last(section, key)
            .map(Entry::unquoted)
            .filter(|v| !v.is_empty())
    }

    /// Every assignment of `key` with list semantics: an empty assignment
    /// clears everything before it and is itself not returned.
    pub fn all(&self, section: &str, key: &str) -> Vec<&Entry> {
        let mut out = Vec::new();
        for e in self.entries(section).filter(|e| e.key == key) {
            if e.value.is_empty() {
                out.clear();
            } else {
                out.push(e);
            }
        }
        out
    }
}
