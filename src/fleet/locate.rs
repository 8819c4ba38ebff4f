//! Findings about rendered Quadlet files, moved to the place a person
//! edits: the YAML value that produced the line (the service definition,
//! the host's override of it, fleet defaults merged in), the line of a
//! template in `templates/` or of a literal `.j2` file, or the drop-in
//! text in the YAML. A file a CI annotation cannot link to (`<rendered
//! h1/web.container from …>`) is named only when nothing better is known.
//!
//! A line of a unit rendered from a service definition is traced, in this
//! order, to: the template line, when a `templates/` template wrote the
//! part of the line the finding is about literally (a typo in the
//! template); the `quadlet:` value the line repeats; the service key the
//! built-in template reads for that Quadlet key (`PublishPort=` ←
//! `ports:`); the template line that wrote it; and last the service
//! definition itself, naming the key that would change a value the
//! built-in template chose alone.

use std::cell::RefCell;
use std::collections::HashMap;

use super::load::SourceMap;
use super::provenance::{DefinitionText, TextSource};
use super::render::{QuadletText, Templates};
use crate::butane::quadlets::{Lines, block_lines};
use crate::diag::{Code, Diagnostic, Position};
use crate::yaml::{FileId, Node, Style, Value};

/// Traces findings in the rendered Quadlet files of one host.
pub struct Locator<'a> {
    sources: &'a SourceMap,
    templates: &'a Templates,
    /// Rendered label → the template line of each of its lines (one
    /// render more per file with findings, not per finding).
    origins: RefCell<HashMap<String, Option<Vec<Option<usize>>>>>,
}

/// A place in a fleet file, and what to add to the message there.
struct Place {
    file: FileId,
    position: Position,
    note: Option<String>,
}

impl Place {
    fn at(node: &Node, position: Position) -> Self {
        Place {
            file: node.file,
            position,
            note: None,
        }
    }
}

/// One `Key=value` line of a rendered unit.
struct Line<'t> {
    section: Option<&'t str>,
    key: &'t str,
    value: &'t str,
    /// 1-based column of the value's first character.
    value_column: usize,
    /// How many lines of the same section and key come before this one.
    occurrence: usize,
}

impl<'a> Locator<'a> {
    pub fn new(sources: &'a SourceMap, templates: &'a Templates) -> Self {
        Locator {
            sources,
            templates,
            origins: RefCell::new(HashMap::new()),
        }
    }

    pub fn sources(&self) -> &'a SourceMap {
        self.sources
    }

    /// The template line of line `line` of the rendered file `label`,
    /// found by `origins` the first time.
    fn origin(
        &self,
        label: &str,
        line: usize,
        origins: impl FnOnce() -> Option<Vec<Option<usize>>>,
    ) -> Option<usize> {
        let mut known = self.origins.borrow_mut();
        let lines = known.entry(label.to_owned()).or_insert_with(origins);
        *lines.as_ref()?.get(line.checked_sub(1)?)?
    }

    /// `finding`, positioned in the unit `text` (`dropin: None`) or in its
    /// drop-in number `dropin`, in the file and at the position its text
    /// came from; unchanged where that is unknown.
    pub fn place(
        &self,
        text: &QuadletText,
        dropin: Option<usize>,
        finding: Diagnostic,
    ) -> Diagnostic {
        let at = finding.position.unwrap_or(Position::START);
        let place = match (&text.source, dropin) {
            (TextSource::Definition(definition), Some(index)) => {
                return self.dropin(definition, text, index, finding);
            }
            (TextSource::Definition(definition), None) => {
                Some(self.definition(definition, text, at, finding.code))
            }
            (TextSource::Templated { file, vars }, None) => self.templated(*file, vars, text, at),
            (TextSource::File, _) | (TextSource::Templated { .. }, Some(_)) => None,
        };
        let Some(place) = place else {
            return finding;
        };
        let mut placed = finding
            .in_file(self.sources.name(place.file))
            .at_position(place.position);
        if let Some(note) = place.note {
            placed.message.push_str(&note);
        }
        placed
    }

    /// A drop-in written in the service definition's `dropins:`: the line
    /// inside a literal block scalar, else the drop-in's key.
    fn dropin(
        &self,
        definition: &DefinitionText,
        text: &QuadletText,
        index: usize,
        finding: Diagnostic,
    ) -> Diagnostic {
        let entry = text
            .dropins
            .get(index)
            .and_then(|(name, _, _)| definition.node.get("dropins")?.entry(name));
        let Some(entry) = entry else {
            return finding;
        };
        let text_of = |file| self.sources.get(file).map(|source| source.text.clone());
        let lines = block_lines(entry, &text_of).unwrap_or(Lines::At {
            file: entry.key.file,
            position: entry.key.position,
        });
        lines.place(finding, &|file| self.sources.name(file))
    }

    /// A literal `.j2` file: the line of it that wrote the line.
    fn templated(
        &self,
        file: FileId,
        vars: &minijinja::Value,
        text: &QuadletText,
        at: Position,
    ) -> Option<Place> {
        let source = self.sources.get(file)?;
        let rendered = &text.text;
        let line = self.origin(&text.label, at.line, || {
            self.templates
                .text_line_origins(&source.name, &source.text, vars, rendered)
        })?;
        let template_line = source.text.lines().nth(line.checked_sub(1)?)?;
        let rendered_line = rendered.lines().nth(at.line.checked_sub(1)?)?;
        Some(Place {
            file,
            position: Position::new(line, column_in(template_line, rendered_line, at.column)),
            note: None,
        })
    }

    fn definition(
        &self,
        definition: &DefinitionText,
        text: &QuadletText,
        at: Position,
        code: Code,
    ) -> Place {
        let node = &*definition.node;
        let rendered = &text.text;
        let line = parse_line(rendered, at.line);
        let about_key = line.as_ref().is_none_or(|l| at.column < l.value_column);
        let template_line = definition.template_file.and_then(|file| {
            let number = self.origin(&text.label, at.line, || {
                self.templates
                    .line_origins(&definition.template, &definition.vars, rendered)
            })?;
            let written = self
                .sources
                .get(file)?
                .text
                .lines()
                .nth(number.checked_sub(1)?)?;
            Some((file, number, written))
        });
        let rendered_line = rendered
            .lines()
            .nth(at.line.saturating_sub(1))
            .unwrap_or("");
        let in_template = |(file, number, written): (FileId, usize, &str)| Place {
            file,
            position: Position::new(number, column_in(written, rendered_line, at.column)),
            note: None,
        };
        // A part of the line the template wrote itself: a typo there.
        if let Some((file, number, written)) = template_line {
            let (key, value) = written.split_once('=').unwrap_or((written, ""));
            let part = if about_key { key } else { value };
            if line.is_none() || !part.contains("{{") {
                return in_template((file, number, written));
            }
        }
        if let Some(line) = &line {
            let offset = at.column.saturating_sub(line.value_column);
            let knobs = knobs(line.key, code);
            let extra = line
                .section
                .and_then(|section| node.get("quadlet")?.get(section)?.entry(line.key));
            let knob = knobs.iter().find_map(|path| lookup_entry(node, path));
            let tries = [
                (extra, Match::Exact),
                (knob, Match::Exact),
                (knob, Match::InOrder),
                (extra, Match::Any),
                (knob, Match::Any),
            ];
            for (entry, how) in tries {
                if let Some(place) =
                    entry.and_then(|e| entry_place(e, line, about_key, offset, how))
                {
                    return place;
                }
            }
            if let Some(found) = template_line {
                return in_template(found);
            }
            let mut place = Place::at(node, node.position);
            if let Some(knob) = knobs.first() {
                place.note = Some(format!(
                    " (the built-in template's default: the service sets no `{knob}:`)"
                ));
            }
            return place;
        }
        // A finding about a section or the whole unit: the key that
        // decides it, else the template line, else the definition.
        let decides = finding_knobs(code)
            .iter()
            .find_map(|path| lookup_entry(node, path));
        if let Some(entry) = decides {
            return Place::at(&entry.key, entry.key.position);
        }
        template_line.map_or_else(|| Place::at(node, node.position), in_template)
    }
}

/// The key at `path` (`health.cmd`) in `node`.
fn lookup_entry<'n>(node: &'n Node, path: &str) -> Option<&'n crate::yaml::Entry> {
    let (parents, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let mut at = node;
    for part in parents.split('.').filter(|p| !p.is_empty()) {
        at = at.get(part)?;
    }
    at.entry(last)
}

/// How sure a match of a rendered line to a YAML value must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    /// The scalar, or a list item, holds the line's value.
    Exact,
    /// That, or the list item (or lone scalar) at the line's occurrence:
    /// the built-in template writes a list's items in order, first.
    InOrder,
    /// That, or else the value as a whole.
    Any,
}

/// Where in `entry` the rendered `line` came from: its key, or the value
/// that `how` accepts.
fn entry_place(
    entry: &crate::yaml::Entry,
    line: &Line<'_>,
    about_key: bool,
    offset: usize,
    how: Match,
) -> Option<Place> {
    let matches = |node: &&Node| node.as_scalar().is_some_and(|s| s.text == line.value);
    let in_order = how != Match::Exact;
    let value = match &entry.value.value {
        Value::Sequence(items) => items
            .iter()
            .find(matches)
            .or_else(|| items.get(line.occurrence).filter(|_| in_order)),
        _ => {
            Some(&entry.value).filter(|value| matches(value) || (in_order && line.occurrence == 0))
        }
    };
    let value = value.or((how == Match::Any).then_some(&entry.value))?;
    if about_key {
        return Some(Place::at(&entry.key, entry.key.position));
    }
    Some(Place::at(value, within(value, line.value, offset)))
}

/// The position of character `offset` of the rendered `text` in `node`: exact
/// when the node is a plain scalar holding just that text on one line.
fn within(node: &Node, text: &str, offset: usize) -> Position {
    match node.as_scalar() {
        Some(scalar)
            if scalar.style == Style::Plain && scalar.text == text && !text.contains('\n') =>
        {
            Position::new(node.position.line, node.position.column + offset)
        }
        _ => node.position,
    }
}

/// Line `number` of `rendered` as a `Key=value` entry with its section.
fn parse_line(rendered: &str, number: usize) -> Option<Line<'_>> {
    let lines: Vec<&str> = rendered.lines().take(number).collect();
    let text = *lines.get(number.checked_sub(1)?)?;
    if text.trim_start().starts_with(['#', ';', '[']) {
        return None;
    }
    let (key_part, value_part) = text.split_once('=')?;
    let key = key_part.trim();
    let value = value_part.trim();
    let leading = value_part.len() - value_part.trim_start().len();
    let value_column = key_part.chars().count() + 1 + value_part[..leading].chars().count() + 1;
    let mut section = None;
    let mut occurrence = 0;
    for earlier in lines[..lines.len() - 1].iter().rev() {
        let trimmed = earlier.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = Some(name);
            break;
        }
        if trimmed
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == key)
        {
            occurrence += 1;
        }
    }
    Some(Line {
        section,
        key,
        value,
        value_column,
        occurrence,
    })
}

/// The service definition keys the built-in template reads for a Quadlet
/// key, the one to name first for a finding of kind `code` first.
fn knobs(key: &str, code: Code) -> &'static [&'static str] {
    match key {
        "Description" => &["description"],
        "After" => &["after"],
        "Requires" => &["requires"],
        "Wants" => &["wants"],
        "Image" if code == Code::QuadletImageNotPinned => &["version", "digest", "image"],
        "Image" => &["image", "version", "digest"],
        "AutoUpdate" => &["auto_update"],
        "User" => &["user", "uid", "system"],
        "Group" => &["group", "gid"],
        "EnvironmentFile" => &["env"],
        "PublishPort" => &["ports"],
        "Volume" => &["volumes"],
        "Network" => &["networks"],
        "Pod" => &["pod"],
        "Exec" => &["exec"],
        "HealthCmd" => &["health.cmd"],
        "HealthInterval" => &["health.interval"],
        "HealthTimeout" => &["health.timeout"],
        "HealthRetries" => &["health.retries"],
        "HealthStartPeriod" => &["health.start_period"],
        "HealthOnFailure" => &["health.on_failure"],
        "Restart" => &["restart"],
        "WantedBy" => &["install.wanted_by"],
        _ => &[],
    }
}

/// The service definition keys that decide a finding about a section or a
/// whole unit.
fn finding_knobs(code: Code) -> &'static [&'static str] {
    match code {
        Code::QuadletRunsAsRoot => &["system", "user", "uid"],
        _ => &[],
    }
}

/// The column in `template` (a template line) of column `column` of
/// `rendered` (the line it wrote): the same column while both lines agree
/// up to it, else where they part (the expression that wrote the rest).
fn column_in(template: &str, rendered: &str, column: usize) -> usize {
    let common = template
        .chars()
        .zip(rendered.chars())
        .take_while(|(a, b)| a == b)
        .count();
    if common + 1 >= column {
        column
    } else {
        common + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_know_their_section_value_and_occurrence() {
        let text = "[Container]\nVolume=/a:/a\nImage=x\nVolume = /b:/b\n[Service]\nVolume=c\n";
        let line = parse_line(text, 4).expect("an entry");
        assert_eq!(
            (
                line.section,
                line.key,
                line.value,
                line.value_column,
                line.occurrence
            ),
            (Some("Container"), "Volume", "/b:/b", 10, 1)
        );
        let line = parse_line(text, 6).expect("an entry");
        assert_eq!((line.section, line.occurrence), (Some("Service"), 0));
        assert!(parse_line(text, 1).is_none());
        assert!(parse_line(text, 9).is_none());
    }

    #[test]
    fn template_columns_follow_the_text_until_an_expression() {
        assert_eq!(column_in("Imagee={{ image }}", "Imagee=a:1", 1), 1);
        assert_eq!(column_in("Image={{ image }}", "Image=a:latest", 7), 7);
        assert_eq!(column_in("Image={{ image }}", "Image=a:latest", 9), 7);
        assert_eq!(column_in("  Label=x", "  Label=x", 3), 3);
    }
}
