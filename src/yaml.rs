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
//! keys win), aliases are expanded, and only the first document of a stream is
//! read.

pub mod de;

use std::collections::HashMap;

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
    pub fn is_explicit_string(&self) -> bool {
        self.style != Style::Plain || self.tag.as_deref() == Some(STR_TAG)
    }
}

const STR_TAG: &str = "tag:yaml.org,2002:str";
const NULL_TAG: &str = "tag:yaml.org,2002:null";
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
                for entry in entries {
                    let key = entry.key.as_scalar().map(|s| s.text.clone());
                    let existing = key.as_ref().and_then(|key| {
                        base.iter()
                            .position(|e| e.key.as_scalar().is_some_and(|s| &s.text == key))
                    });
                    match existing {
                        Some(index) => {
                            let old = base.remove(index);
                            let value = old.value.deep_merge(entry.value);
                            base.insert(
                                index,
                                Entry {
                                    key: entry.key,
                                    value,
                                },
                            );
                        }
                        None => base.push(entry),
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
    pub position: Position,
}

/// Upper bound on nodes created by alias expansion ("billion laughs").
const MAX_EXPANDED_NODES: usize = 1_000_000;

/// Parses the first document of `source`. `Ok(None)` means the stream holds
/// no document (empty input or only comments).
pub fn parse(source: &str) -> Result<Option<Node>, YamlError> {
    parse_file(source, FileId::default())
}

/// Like [`parse`], tagging every node with `file`.
pub fn parse_file(source: &str, file: FileId) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(source),
        anchors: HashMap::new(),
        created: 0,
        file,
    };
    builder.document()
}

struct Builder<'input> {
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    anchors: HashMap<usize, Node>,
    created: usize,
    file: FileId,
}

fn position(span: &Span) -> Position {
    Position::new(span.start.line(), span.start.col() + 1)
}

fn scan_error(error: &ScanError) -> YamlError {
    let marker = error.marker();
    YamlError {
        message: format!("invalid YAML: {}", error.info()),
        position: Position::new(marker.line(), marker.col() + 1),
    }
}

impl<'input> Builder<'input> {
    fn next(&mut self) -> Result<(Event<'input>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(scan_error(&error)),
            None => Err(YamlError {
                message: "invalid YAML: unexpected end of input".to_owned(),
                position: Position::new(1, 1),
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
                    return self.node(event, span).map(Some);
                }
                _ => {
                    return Err(YamlError {
                        message: "invalid YAML: unexpected event before the document".to_owned(),
                        position: position(&span),
                    });
                }
            }
        }
    }

    fn count(&mut self, span: &Span) -> Result<(), YamlError> {
        self.created += 1;
        if self.created > MAX_EXPANDED_NODES {
            return Err(YamlError {
                message: "document is too large after expanding aliases".to_owned(),
                position: position(span),
            });
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'input>, span: Span) -> Result<Node, YamlError> {
        self.count(&span)?;
        match event {
            Event::Scalar(text, style, anchor, tag) => {
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
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                        tag,
                    }),
                    position: position(&span),
                    file: self.file,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, item_span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, item_span)?);
                }
                let node = Node {
                    value: Value::Sequence(items),
                    position: position(&span),
                    file: self.file,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries: Vec<Entry> = Vec::new();
                loop {
                    let (event, key_span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, key_span)?;
                    let (event, value_span) = self.next()?;
                    let value = self.node(event, value_span)?;
                    if let Some(text) = key.as_scalar().map(|s| s.text.as_str()) {
                        let is_merge = text == MERGE_KEY
                            && key.as_scalar().is_some_and(|s| s.style == Style::Plain);
                        if !is_merge
                            && let Some(first) = entries
                                .iter()
                                .find(|e| e.key.as_scalar().is_some_and(|s| s.text == text))
                        {
                            return Err(YamlError {
                                message: format!(
                                    "mapping key \"{text}\" already defined at line {}",
                                    first.key.position.line
                                ),
                                position: key.position,
                            });
                        }
                    }
                    entries.push(Entry { key, value });
                }
                let entries = expand_merge_keys(entries);
                let node = Node {
                    value: Value::Mapping(entries),
                    position: position(&span),
                    file: self.file,
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let node = node.clone();
                    self.created += count_nodes(&node);
                    if self.created > MAX_EXPANDED_NODES {
                        return Err(YamlError {
                            message: "document is too large after expanding aliases".to_owned(),
                            position: position(&span),
                        });
                    }
                    Ok(node)
                }
                None => Err(YamlError {
                    message: "unknown anchor".to_owned(),
                    position: position(&span),
                }),
            },
            _ => Err(YamlError {
                message: "invalid YAML: unexpected structure".to_owned(),
                position: position(&span),
            }),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        // saphyr numbers anchors from 1; 0 means "no anchor".
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|e| count_nodes(&e.key) + count_nodes(&e.value))
                .sum::<usize>()
        }
    }
}

/// Adds the entries of `<<: *anchor` (or a list of anchors) that the mapping
/// does not define itself. The `<<` entry stays, so that decoding reports it
/// as an unused key the way Butane does.
fn expand_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let merge_sources: Vec<Node> = entries
        .iter()
        .filter(|e| {
            e.key
                .as_scalar()
                .is_some_and(|s| s.text == MERGE_KEY && s.style == Style::Plain)
        })
        .map(|e| e.value.clone())
        .collect();
    if merge_sources.is_empty() {
        return entries;
    }
    let mut merged = entries;
    let mut inherited = Vec::new();
    for source in merge_sources {
        let maps: Vec<Node> = match source.value {
            Value::Mapping(_) => vec![source],
            Value::Sequence(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for map in maps {
            if let Value::Mapping(map_entries) = map.value {
                inherited.extend(map_entries);
            }
        }
    }
    for entry in inherited {
        let Some(text) = entry.key.as_scalar().map(|s| s.text.clone()) else {
            continue;
        };
        if text == MERGE_KEY {
            continue;
        }
        let present = merged
            .iter()
            .any(|e| e.key.as_scalar().is_some_and(|s| s.text == text));
        if !present {
            merged.push(entry);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
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
