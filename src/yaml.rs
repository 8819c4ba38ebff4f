//! The load stage for YAML: text → a node tree that keeps every position.
//!
//! Scalars are kept as their raw text plus their style (plain, quoted, block)
//! and tag; what a scalar *means* is decided later by the type it is decoded
//! into ([`de`]), exactly as go-yaml v3 (Butane's parser) does: `0644` is the
//! octal integer 420 in an integer field and the text `"0644"` in a string
//! field. Mappings keep their entries in order with the key's own position, so
//! errors found long after parsing (a duplicate path, an unknown key) still
//! point at the source.
//!
//! Parsing follows go-yaml v3 where it differs from plain YAML 1.2: duplicate
//! keys in one mapping are an error, `<<` merge keys are expanded (explicit
//! keys win; a value that is not a mapping or a list of mappings is an error),
//! aliases are expanded, and only the first document of a stream is read.
//!
//! Hostile input is bounded: nesting deeper than [`MAX_DEPTH`] is refused
//! (building the tree, and every later walk over it, recurses once per level),
//! alias expansion is capped both in nodes and in bytes of scalar text, and a
//! byte-order mark starting a line after the first is refused (YAML 1.2 reads
//! it as the start of a new document, which would silently drop the rest of
//! the file; go-yaml skips it).

pub mod de;
pub mod explain;
#[cfg(test)]
mod hostile_tests;
pub mod quote;

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use thiserror::Error;

use crate::diag::{DocPath, Position, Segment};

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
    /// The resolved tag, e.g. `tag:yaml.org,2002:str` for `!!str`.
    pub tag: Option<String>,
}

impl Scalar {
    /// Whether go-yaml would resolve this scalar as null.
    pub fn is_null(&self) -> bool {
        if let Some(tag) = &self.tag {
            return tag == NULL_TAG;
        }
        self.style == Style::Plain
            && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// Whether the scalar was written so that it can only be a string
    /// (quoted, block, or tagged `!!str`).
    /// A quoted or block scalar with another tag (`!!int "5"`) is not one:
    /// go-yaml resolves it by its tag.
    pub fn is_explicit_string(&self) -> bool {
        match self.tag.as_deref() {
            Some(STR_TAG) => true,
            None | Some("!") => self.style != Style::Plain,
            Some(_) => false,
        }
    }
}

/// The long form of go-yaml's standard tags (`!!str` and so on).
const TAG_PREFIX: &str = "tag:yaml.org,2002:";
const STR_TAG: &str = "tag:yaml.org,2002:str";
const NULL_TAG: &str = "tag:yaml.org,2002:null";
const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
const MERGE_KEY: &str = "<<";

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// Which loaded file a node came from (an index the loader hands out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A YAML node and where it starts in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub position: Position,
    /// The file the node was read from; nodes of one tree can come from
    /// several files after [`Node::deep_merge`].
    pub file: FileId,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// The entry of a mapping whose key is the plain text `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Mapping(entries) => entries
                .iter()
                .find(|entry| entry.key.as_scalar().is_some_and(|s| s.text == key)),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The node at `path`, and the position of its key if the last step was
    /// a mapping key.
    pub fn lookup(&self, path: &DocPath) -> Option<(&Node, Option<Position>)> {
        let mut node = self;
        let mut key_position = None;
        for segment in path.segments() {
            match (segment, &node.value) {
                (Segment::Key(key), Value::Mapping(_)) => {
                    let entry = node.entry(key)?;
                    key_position = Some(entry.key.position);
                    node = &entry.value;
                }
                (Segment::Index(index), Value::Sequence(items)) => {
                    node = items.get(*index)?;
                    key_position = None;
                }
                _ => return None,
            }
        }
        Some((node, key_position))
    }

    /// Merges `overlay` onto this node: mappings merge key by key
    /// (recursively), anything else — scalars and lists — is replaced by the
    /// overlay. Each node keeps its own position and file.
    #[must_use]
    pub fn deep_merge(self, overlay: Node) -> Node {
        match (self.value, overlay.value) {
            (Value::Mapping(mut base), Value::Mapping(entries)) => {
                // Key text → index in `base` (the first entry of that text).
                let mut index_of: HashMap<String, usize> = HashMap::new();
                for (index, entry) in base.iter().enumerate() {
                    if let Some(scalar) = entry.key.as_scalar() {
                        index_of.entry(scalar.text.clone()).or_insert(index);
                    }
                }
                for entry in entries {
                    let key = entry.key.as_scalar().map(|s| s.text.clone());
                    match key.as_ref().and_then(|key| index_of.get(key)) {
                        Some(&index) => {
                            let null = Node {
                                value: Value::Scalar(Scalar {
                                    text: String::new(),
                                    style: Style::Plain,
                                    tag: None,
                                }),
                                position: entry.key.position,
                                file: entry.key.file,
                            };
                            let old = std::mem::replace(&mut base[index].value, null);
                            base[index] = Entry {
                                key: entry.key,
                                value: old.deep_merge(entry.value),
                            };
                        }
                        None => {
                            if let Some(key) = key {
                                index_of.insert(key, base.len());
                            }
                            base.push(entry);
                        }
                    }
                }
                Node {
                    value: Value::Mapping(base),
                    position: overlay.position,
                    file: overlay.file,
                }
            }
            (_, value) => Node {
                value,
                position: overlay.position,
                file: overlay.file,
            },
        }
    }

    /// The best position for a diagnostic about `path`: the node itself, or
    /// the deepest ancestor that exists.
    pub fn position_of(&self, path: &DocPath) -> Position {
        let segments = path.segments();
        for len in (0..=segments.len()).rev() {
            let prefix = DocPath::from_segments(segments[..len].to_vec());
            if let Some((node, key_position)) = self.lookup(&prefix) {
                // A null value written as nothing (`key:`) has no text of its
                // own; point at the key instead.
                if node
                    .as_scalar()
                    .is_some_and(|s| s.text.is_empty() && s.style == Style::Plain)
                {
                    return key_position.unwrap_or(node.position);
                }
                return node.position;
            }
        }
        self.position
    }
}

#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    /// Where the offending token is.
    pub position: Position,
    /// How go-yaml v3 (Butane's parser) reports the same syntax error, for
    /// `kindling butane`; `None` for kindling's own refusals (duplicate
    /// keys, depth and alias limits).
    pub go_yaml: Option<GoYamlLine>,
}

/// A syntax error as go-yaml v3 reports it: `yaml: line L: problem`, one
/// line and no column (`decode.go`, `parser.fail`).
///
/// go-yaml takes the line from the error's *context* mark unless that mark
/// is on the first line, else from its *problem* mark (the offending token).
/// A parser error ("did not find expected key", "... '-' indicator", "...
/// ',' or ']'") has the start of the enclosing block mapping, block
/// sequence or flow collection as its context; "did not find expected node
/// content" and the scanner's errors (a `:` or `-` where none may be, a
/// tab, a simple key without `:`) have the token itself. Marks count lines
/// from 0 and only scanner errors add 1, so a parser error names the line
/// *before* its mark, and a mark on the first line names none. kindling's
/// own position (the token) is more useful and stays in fleet commands;
/// `kindling butane` reports go-yaml's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoYamlLine {
    /// The line go-yaml names, if any.
    pub line: Option<usize>,
    /// The 1-based column of the mark on that line (go-yaml prints none; an
    /// annotated report needs one): 1 for a parser error, whose line holds
    /// no mark.
    pub column: usize,
    /// go-yaml's words, e.g. `did not find expected key`.
    pub problem: String,
}

impl GoYamlLine {
    /// `yaml: line L: problem`, as Butane prints it after `Error
    /// unmarshaling yaml: `.
    pub fn message(&self) -> String {
        match self.line {
            Some(line) => format!("yaml: line {line}: {}", self.problem),
            None => format!("yaml: {}", self.problem),
        }
    }

    /// Works out go-yaml's report of the error saphyr describes as `info` at
    /// `problem` (1-based), inside collections that start at `open`
    /// (outermost first).
    fn of(info: &str, problem: Position, open: &[Position]) -> Self {
        const PARSER_ERRORS: &[(&str, &str, bool)] = &[
            (
                "while parsing a block mapping, ",
                "did not find expected key",
                true,
            ),
            (
                "while parsing a block collection, ",
                "did not find expected '-' indicator",
                true,
            ),
            (
                "while parsing a flow sequence, ",
                "did not find expected ',' or ']'",
                true,
            ),
            (
                "while parsing a flow mapping, ",
                "did not find expected ',' or '}'",
                true,
            ),
            (
                "while parsing a node, ",
                "did not find expected node content",
                false,
            ),
            (
                "did not find expected <document start>",
                "did not find expected <document start>",
                false,
            ),
        ];
        if let Some((_, words, enclosed)) = PARSER_ERRORS
            .iter()
            .find(|(prefix, _, _)| info.starts_with(prefix))
        {
            let context = open.last().copied().filter(|_| *enclosed);
            // 0-based lines, not incremented: the 1-based line minus one,
            // where no mark is (so no column either).
            let line = match context {
                Some(mark) if mark.line > 1 => Some(mark.line - 1),
                _ if problem.line > 1 => Some(problem.line - 1),
                _ => None,
            };
            return GoYamlLine {
                line,
                column: 1,
                problem: (*words).to_owned(),
            };
        }
        let problem_words = match info {
            "simple key expect ':'" => "could not find expected ':'".to_owned(),
            "tabs disallowed within this context (block indentation)" => {
                "found character that cannot start any token".to_owned()
            }
            other => other
                .strip_prefix("while ")
                .and_then(|rest| rest.split_once(", "))
                .map_or(other, |(_, words)| words)
                .to_owned(),
        };
        GoYamlLine {
            line: (problem.line > 1).then_some(problem.line),
            column: problem.column,
            problem: problem_words,
        }
    }
}

/// Deepest nesting of sequences and mappings accepted. No Butane, Ignition
/// or fleet field nests beyond a dozen levels; the bound keeps the recursion
/// of building, decoding and dropping a tree within the stack of any thread
/// (see the `deep_nesting_fits_a_small_stack` test for what a level costs).
pub const MAX_DEPTH: usize = 128;

/// Upper bound on nodes created by alias expansion ("billion laughs").
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Upper bound on scalar bytes created by alias expansion: a large string
/// aliased many times copies few nodes but many bytes.
pub const MAX_ALIAS_BYTES: usize = 64 << 20;

/// Parses the first document of `source`. `Ok(None)` means the stream holds
/// no document (empty input or only comments).
pub fn parse(source: &str) -> Result<Option<Node>, YamlError> {
    parse_file(source, FileId::default())
}

/// Like [`parse`], tagging every node with `file`.
pub fn parse_file(source: &str, file: FileId) -> Result<Option<Node>, YamlError> {
    check_line_start_bom(source)?;
    let mut builder = Builder {
        parser: Parser::new_from_str(source),
        anchors: HashMap::new(),
        aliased: Weight::default(),
        depth: 0,
        open: Vec::new(),
        file,
    };
    builder.document()
}

/// Refuses U+FEFF at the start of any line but the first.
fn check_line_start_bom(source: &str) -> Result<(), YamlError> {
    const BOM: &str = "\u{FEFF}";
    let mut search_from = 0;
    while let Some(found) = source.get(search_from..).and_then(|rest| rest.find(BOM)) {
        let index = search_from + found;
        search_from = index + BOM.len();
        if index == 0 || !source[..index].ends_with(['\n', '\r']) {
            // A leading BOM is allowed; one inside a line is the scanner's
            // error, with its own position.
            continue;
        }
        let line = source[..index].lines().count() + 1;
        return Err(YamlError {
            message: "a byte-order mark (U+FEFF) starts this line; YAML would read the rest of \
                      the file as another document, which is ignored: remove the mark (it is \
                      left by joining files saved with one)"
                .to_owned(),
            position: Position::new(line, 1),
            go_yaml: None,
        });
    }
    Ok(())
}

/// The size of a subtree: its nodes and the bytes of its scalars' text.
#[derive(Clone, Copy, Debug, Default)]
struct Weight {
    nodes: usize,
    bytes: usize,
}

impl Weight {
    fn add(&mut self, other: Weight) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

struct Builder<'input> {
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    /// Anchored nodes and their weights (counted once, when defined).
    anchors: HashMap<usize, (Node, Weight)>,
    /// What alias expansion has created so far.
    aliased: Weight,
    /// Collections open around the node being built.
    depth: usize,
    /// Where each of them starts, outermost first (go-yaml reports some
    /// syntax errors at the innermost one).
    open: Vec<Position>,
    file: FileId,
}

fn position(span: &Span) -> Position {
    Position::new(span.start.line(), span.start.col() + 1)
}

fn scan_error(error: &ScanError, open: &[Position]) -> YamlError {
    let marker = error.marker();
    let position = Position::new(marker.line(), marker.col() + 1);
    YamlError {
        message: format!("invalid YAML: {}", error.info()),
        position,
        go_yaml: Some(GoYamlLine::of(error.info(), position, open)),
    }
}

impl<'input> Builder<'input> {
    fn next(&mut self) -> Result<(Event<'input>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(scan_error(&error, &self.open)),
            None => Err(YamlError {
                message: "invalid YAML: unexpected end of input".to_owned(),
                position: Position::new(1, 1),
                go_yaml: None,
            }),
        }
    }

    fn document(&mut self) -> Result<Option<Node>, YamlError> {
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    return self.node(event, span).map(|(node, _)| Some(node));
                }
                _ => {
                    return Err(YamlError {
                        message: "invalid YAML: unexpected event before the document".to_owned(),
                        position: position(&span),
                        go_yaml: None,
                    });
                }
            }
        }
    }

    /// Enters a sequence or mapping starting at `span`.
    fn enter(&mut self, span: &Span) -> Result<(), YamlError> {
        self.depth += 1;
        self.open.push(position(span));
        if self.depth > MAX_DEPTH {
            return Err(YamlError {
                message: format!(
                    "sequences and mappings are nested more than {MAX_DEPTH} levels deep; no \
                     configuration needs this many: flatten the document"
                ),
                position: position(span),
                go_yaml: None,
            });
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'input>, span: Span) -> Result<(Node, Weight), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                Ok(self.scalar(text, style, anchor, tag, &span))
            }
            Event::SequenceStart(anchor, _) => self.sequence(anchor, &span),
            Event::MappingStart(anchor, _) => self.mapping(anchor, &span),
            Event::Alias(id) => {
                let Some((node, weight)) = self.anchors.get(&id) else {
                    return Err(YamlError {
                        message: "unknown anchor".to_owned(),
                        position: position(&span),
                        go_yaml: None,
                    });
                };
                let weight = *weight;
                // Checked before copying, so a bomb is refused before it
                // costs time or memory.
                let mut total = self.aliased;
                total.add(weight);
                if total.nodes > MAX_ALIAS_NODES || total.bytes > MAX_ALIAS_BYTES {
                    return Err(YamlError {
                        message: format!(
                            "document is too large after expanding aliases (over {} nodes or \
                             {} MiB of text); use fewer aliases or smaller anchored values",
                            MAX_ALIAS_NODES,
                            MAX_ALIAS_BYTES >> 20
                        ),
                        position: position(&span),
                        go_yaml: None,
                    });
                }
                self.aliased = total;
                Ok((node.clone(), weight))
            }
            _ => Err(YamlError {
                message: "invalid YAML: unexpected structure".to_owned(),
                position: position(&span),
                go_yaml: None,
            }),
        }
    }

    fn scalar(
        &mut self,
        text: std::borrow::Cow<'input, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<std::borrow::Cow<'input, saphyr_parser::Tag>>,
        span: &Span,
    ) -> (Node, Weight) {
        let tag = tag.map(|tag| {
            if tag.handle == "!!" {
                format!("tag:yaml.org,2002:{}", tag.suffix)
            } else {
                format!("{}{}", tag.handle, tag.suffix)
            }
        });
        let style = match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        };
        let weight = Weight {
            nodes: 1,
            bytes: text.len(),
        };
        let node = Node {
            value: Value::Scalar(Scalar {
                text: text.into_owned(),
                style,
                tag,
            }),
            position: position(span),
            file: self.file,
        };
        self.remember(anchor, &node, weight);
        (node, weight)
    }

    // Sequences and mappings are built in functions of their own so that the
    // frame repeated per nesting level holds only their locals (see
    // MAX_DEPTH).
    fn sequence(&mut self, anchor: usize, span: &Span) -> Result<(Node, Weight), YamlError> {
        self.enter(span)?;
        let mut weight = Weight { nodes: 1, bytes: 0 };
        let mut items = Vec::new();
        loop {
            let (event, item_span) = self.next()?;
            if matches!(event, Event::SequenceEnd) {
                break;
            }
            let (item, item_weight) = self.node(event, item_span)?;
            weight.add(item_weight);
            items.push(item);
        }
        self.depth -= 1;
        self.open.pop();
        let node = Node {
            value: Value::Sequence(items),
            position: position(span),
            file: self.file,
        };
        self.remember(anchor, &node, weight);
        Ok((node, weight))
    }

    fn mapping(&mut self, anchor: usize, span: &Span) -> Result<(Node, Weight), YamlError> {
        self.enter(span)?;
        let mut weight = Weight { nodes: 1, bytes: 0 };
        let mut entries: Vec<Entry> = Vec::new();
        // Key text → index of its entry, for the duplicate check.
        let mut seen: HashMap<String, usize> = HashMap::new();
        loop {
            let (event, key_span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let (key, key_weight) = self.node(event, key_span)?;
            let (event, value_span) = self.next()?;
            let (value, value_weight) = self.node(event, value_span)?;
            weight.add(key_weight);
            weight.add(value_weight);
            if let Some(scalar) = key.as_scalar()
                && !is_merge_key(&key)
            {
                match seen.entry(scalar.text.clone()) {
                    MapEntry::Occupied(first) => {
                        return Err(duplicate_key(entries.get(*first.get()), &key));
                    }
                    MapEntry::Vacant(slot) => {
                        slot.insert(entries.len());
                    }
                }
            }
            entries.push(Entry { key, value });
        }
        self.depth -= 1;
        self.open.pop();
        let entries = expand_merge_keys(entries, &seen)?;
        let node = Node {
            value: Value::Mapping(entries),
            position: position(span),
            file: self.file,
        };
        self.remember(anchor, &node, weight);
        Ok((node, weight))
    }

    fn remember(&mut self, anchor: usize, node: &Node, weight: Weight) {
        // saphyr numbers anchors from 1; 0 means "no anchor".
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), weight));
        }
    }
}

#[cold]
fn duplicate_key(first: Option<&Entry>, key: &Node) -> YamlError {
    let text = key.as_scalar().map_or("", |s| s.text.as_str());
    YamlError {
        message: format!(
            "mapping key \"{text}\" already defined at line {}",
            first.map_or(0, |e| e.key.position.line)
        ),
        position: key.position,
        go_yaml: None,
    }
}

/// Whether `key` is go-yaml's merge key: a plain `<<`.
fn is_merge_key(key: &Node) -> bool {
    key.as_scalar()
        .is_some_and(|s| s.text == MERGE_KEY && s.style == Style::Plain)
}

/// Adds the entries of `<<: *anchor` (or a list of anchors) that the mapping
/// does not define itself (`seen` holds its own keys). The `<<` entry stays,
/// so that decoding reports it as an unused key the way Butane does. As in
/// go-yaml, a merge value that is not a mapping or a list of mappings is an
/// error.
fn expand_merge_keys(
    entries: Vec<Entry>,
    seen: &HashMap<String, usize>,
) -> Result<Vec<Entry>, YamlError> {
    let not_a_map = |node: &Node| YamlError {
        message: "the value of a `<<` merge key must be a mapping or a list of mappings".to_owned(),
        position: node.position,
        go_yaml: None,
    };
    let mut inherited = Vec::new();
    for entry in entries.iter().filter(|e| is_merge_key(&e.key)) {
        match &entry.value.value {
            Value::Mapping(map_entries) => inherited.extend(map_entries.iter().cloned()),
            Value::Sequence(items) => {
                for item in items {
                    let Value::Mapping(map_entries) = &item.value else {
                        return Err(not_a_map(item));
                    };
                    inherited.extend(map_entries.iter().cloned());
                }
            }
            Value::Scalar(_) => return Err(not_a_map(&entry.value)),
        }
    }
    if inherited.is_empty() {
        return Ok(entries);
    }
    let mut merged = entries;
    let mut present: std::collections::HashSet<String> = seen.keys().cloned().collect();
    for entry in inherited {
        let Some(text) = entry.key.as_scalar().map(|s| s.text.clone()) else {
            continue;
        };
        if text == MERGE_KEY {
            continue;
        }
        if present.insert(text) {
            merged.push(entry);
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {

    /// go-yaml's report of a syntax error: the line it names and its words.
    fn go_yaml(source: &str) -> (Option<usize>, String) {
        let error = parse(source).expect_err("a syntax error");
        let go = error.go_yaml.expect("a syntax error go-yaml reports");
        (go.line, go.problem)
    }

    #[test]
    fn syntax_errors_are_placed_where_go_yaml_places_them() {
        // A scanner error: its own line (0-based, plus one).
        assert_eq!(
            go_yaml("a: b\n c: d\n"),
            (
                Some(2),
                "mapping values are not allowed in this context".to_owned()
            )
        );
        // A parser error in a block mapping: the line before the mapping's
        // start (0-based, not incremented), not the offending key's line.
        assert_eq!(
            go_yaml("variant: fcos\nstorage:\n  files:\n    - path: /a\n   mode: 1\n"),
            (Some(2), "did not find expected key".to_owned())
        );
        // ... unless the mapping starts on the first line: then the
        // problem's line, also 0-based.
        assert_eq!(
            go_yaml("a: 1\nb: 2\n- c\n"),
            (Some(2), "did not find expected key".to_owned())
        );
        assert_eq!(
            go_yaml("foo: [\n"),
            (Some(1), "did not find expected node content".to_owned())
        );
        // A tab where indentation goes.
        assert_eq!(
            go_yaml("a:\n\tb: 1\n"),
            (
                Some(2),
                "found character that cannot start any token".to_owned()
            )
        );
        // On the first line go-yaml names no line at all.
        assert_eq!(go_yaml("a: b: c\n").0, None);
    }
    use super::*;

    fn parse_ok(source: &str) -> Node {
        match parse(source) {
            Ok(Some(node)) => node,
            other => panic!("unexpected parse result {other:?}"),
        }
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = parse_ok("variant: fcos\nstorage:\n  files:\n    - path: /a\n");
        let (value, key) = node
            .lookup(&DocPath::parse("$.storage.files.0.path"))
            .expect("path exists");
        assert_eq!(value.position, Position::new(4, 13));
        assert_eq!(key, Some(Position::new(4, 7)));
    }

    #[test]
    fn keeps_scalar_style() {
        let node = parse_ok("a: 0644\nb: \"0644\"\nc: |\n  x\n");
        let style = |key| node.get(key).and_then(Node::as_scalar).map(|s| s.style);
        assert_eq!(style("a"), Some(Style::Plain));
        assert_eq!(style("b"), Some(Style::DoubleQuoted));
        assert_eq!(style("c"), Some(Style::Literal));
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let error = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert_eq!(error.message, "mapping key \"a\" already defined at line 1");
        assert_eq!(error.position, Position::new(3, 1));
    }

    #[test]
    fn merge_keys_expand_and_explicit_keys_win() {
        let node = parse_ok("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n");
        let item = node.get("item").expect("item");
        let text = |key| {
            item.get(key)
                .and_then(Node::as_scalar)
                .map(|s| s.text.clone())
        };
        assert_eq!(text("x").as_deref(), Some("1"));
        assert_eq!(text("y").as_deref(), Some("3"));
        assert!(item.get("<<").is_some());
    }

    #[test]
    fn deep_merge_merges_mappings_and_replaces_lists() {
        let base = parse_file("a: {x: 1, y: [1, 2]}\nb: 1\n", FileId(0))
            .expect("yaml")
            .expect("doc");
        let overlay = parse_file("a: {y: [3], z: 4}\n", FileId(1))
            .expect("yaml")
            .expect("doc");
        let merged = base.deep_merge(overlay);
        let a = merged.get("a").expect("a");
        assert_eq!(
            a.get("x")
                .and_then(Node::as_scalar)
                .map(|s| s.text.as_str()),
            Some("1")
        );
        assert_eq!(a.get("z").map(|n| n.file), Some(FileId(1)));
        assert!(
            matches!(&a.get("y").expect("y").value, Value::Sequence(items) if items.len() == 1)
        );
        assert_eq!(merged.get("b").map(|n| n.file), Some(FileId(0)));
    }

    #[test]
    fn only_the_first_document_is_read() {
        let node = parse_ok("a: 1\n---\nb: 2\n");
        assert!(node.get("a").is_some());
        assert!(node.get("b").is_none());
    }

    #[test]
    fn empty_stream_has_no_document() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("# just a comment\n"), Ok(None));
    }

    #[test]
    fn tabs_are_a_syntax_error_with_position() {
        let error = parse("a:\n\tb: 1\n").expect_err("tab");
        assert_eq!(error.position.line, 2);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut source = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let prev = level - 1;
            source.push_str(&format!(
                "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let error = parse(&source).expect_err("bomb");
        assert!(error.message.contains("too large"));
    }

    #[test]
    fn null_forms() {
        let node = parse_ok("a:\nb: ~\nc: null\nd: \"\"\ne: !!null x\n");
        for key in ["a", "b", "c", "e"] {
            assert!(node.get(key).is_some_and(Node::is_null), "{key}");
        }
        assert!(!node.get("d").is_some_and(Node::is_null));
    }
}
