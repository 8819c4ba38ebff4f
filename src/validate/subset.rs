//! The tables of a checker for the subset of draft-4 JSON Schema the
//! Ignition schemas use: `type`, `properties`, `items` (one schema),
//! `required`, `allOf` and `$ref` (a lone JSON pointer into the same
//! document). `proof.rs` walks them; it only answers "valid": when it
//! cannot prove a config valid, the official validator decides.
//!
//! This file is also compiled into `build.rs`, which parses each embedded
//! schema with [`Subset::parse`] and writes the resulting tables out as
//! Rust statics, so a `kindling butane` run does not parse a schema at all
//! (parsing one was ~40% of the instructions of a typical run). The tables
//! borrow (`Cow::Borrowed`) when generated and own when parsed at run time
//! (tests); a test checks the two are equal for every spec. It may use
//! only `std`, `serde` and `serde_json`, the build script's dependencies.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::IgnoredAny;

/// JSON types as bits, for draft-4 `type`.
pub(super) mod types {
    pub const NULL: u8 = 1;
    pub const BOOLEAN: u8 = 2;
    pub const INTEGER: u8 = 4;
    pub const NUMBER: u8 = 8;
    pub const STRING: u8 = 16;
    pub const ARRAY: u8 = 32;
    pub const OBJECT: u8 = 64;

    pub fn parse(name: &str) -> Option<u8> {
        Some(match name {
            "null" => NULL,
            "boolean" => BOOLEAN,
            "integer" => INTEGER,
            "number" => NUMBER,
            "string" => STRING,
            "array" => ARRAY,
            "object" => OBJECT,
            _ => return None,
        })
    }
}

/// A draft-4 schema restricted to `type`, `properties`, `items` (one
/// schema), `required`, `allOf` and `$ref` (a lone JSON pointer into the
/// same document), as read from the schema text: straight into these
/// structs (no intermediate `Value`, names borrowed). Any other keyword
/// fails the deserialization, and then the official validator does all the
/// work.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema<'s> {
    #[serde(rename = "type", default)]
    types: Types,
    #[serde(default, borrow)]
    properties: BTreeMap<&'s str, RawSchema<'s>>,
    #[serde(default, borrow)]
    items: Option<Box<RawSchema<'s>>>,
    #[serde(default, borrow)]
    required: Vec<&'s str>,
    #[serde(rename = "allOf", default, borrow)]
    all_of: Vec<RawSchema<'s>>,
    #[serde(rename = "$ref", default, borrow)]
    reference: Option<&'s str>,
    /// Only reachable through `$ref`.
    #[serde(default, borrow)]
    definitions: BTreeMap<&'s str, RawSchema<'s>>,
    #[serde(rename = "$schema", default)]
    _schema: Option<IgnoredAny>,
    #[serde(rename = "title", default)]
    _title: Option<IgnoredAny>,
    #[serde(rename = "description", default)]
    _description: Option<IgnoredAny>,
}

/// Allowed types as bits; 0 allows any.
#[derive(Debug, Default, Clone, Copy)]
struct Types(u8);

impl<'de> Deserialize<'de> for Types {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TypesVisitor;
        impl<'de> serde::de::Visitor<'de> for TypesVisitor {
            type Value = Types;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON type name or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Types, E> {
                types::parse(name)
                    .map(Types)
                    .ok_or_else(|| E::custom("unknown type"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Types, A::Error> {
                let mut bits = 0;
                while let Some(name) = seq.next_element::<&str>()? {
                    bits |= types::parse(name)
                        .ok_or_else(|| serde::de::Error::custom("unknown type"))?;
                }
                Ok(Types(bits))
            }
        }
        deserializer.deserialize_any(TypesVisitor)
    }
}

impl<'s> RawSchema<'s> {
    /// A `$ref` with no other keyword (draft 4 would ignore the others;
    /// the official validator decides such cases).
    fn is_lone_ref(&self) -> bool {
        self.types.0 == 0
            && self.properties.is_empty()
            && self.items.is_none()
            && self.required.is_empty()
            && self.all_of.is_empty()
            && self.definitions.is_empty()
    }

    /// The node a `$ref` such as `#/definitions/storage/definitions/file`
    /// points at (only `definitions`, `properties` and `items` steps).
    fn resolve(&self, pointer: &str) -> Option<&RawSchema<'s>> {
        let rest = pointer.strip_prefix('#')?;
        if rest.contains(['~', '%']) {
            return None;
        }
        let mut node = self;
        let mut steps = rest.split('/').skip(1);
        while let Some(step) = steps.next() {
            node = match step {
                "definitions" => node.definitions.get(steps.next()?)?,
                "properties" => node.properties.get(steps.next()?)?,
                "items" => node.items.as_deref()?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// The subset schema compiled to an arena: `$ref`s resolved to indices,
/// property names sorted for binary search. Node 0 is the root. Fields are
/// visible to the parent module because `build.rs` writes them out.
#[derive(Debug, PartialEq)]
pub(crate) struct Subset<'s> {
    pub(super) nodes: Cow<'s, [SubsetNode<'s>]>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct SubsetNode<'s> {
    pub(super) types: u8,
    /// Sorted by name.
    pub(super) properties: Cow<'s, [(&'s str, usize)]>,
    pub(super) items: Option<usize>,
    pub(super) required: Cow<'s, [&'s str]>,
    pub(super) all_of: Cow<'s, [usize]>,
    pub(super) link: Link,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) enum Link {
    #[default]
    None,
    /// A lone `$ref` to this node.
    Ref(usize),
    /// A `$ref` with siblings or one that does not resolve: nothing that
    /// reaches it is proven valid.
    Unproven,
}

impl<'s> Subset<'s> {
    /// `None` if `text` uses anything outside the subset. The library
    /// itself uses the tables `build.rs` made with this; tests parse.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn parse(text: &'s str) -> Option<Subset<'s>> {
        let raw: RawSchema<'s> = serde_json::from_str(text).ok()?;
        let mut builder = Builder {
            root: &raw,
            nodes: Vec::new(),
            refs: HashMap::new(),
        };
        builder.node(&raw);
        Some(Subset {
            nodes: Cow::Owned(builder.nodes),
        })
    }
}

struct Builder<'r, 's> {
    root: &'r RawSchema<'s>,
    nodes: Vec<SubsetNode<'s>>,
    /// `$ref` pointer → arena index, so a definition referenced many times
    /// is compiled once (definitions are only reached through `$ref`).
    refs: HashMap<&'s str, usize>,
}

impl<'r, 's> Builder<'r, 's> {
    fn node(&mut self, raw: &'r RawSchema<'s>) -> usize {
        let index = self.nodes.len();
        self.nodes.push(SubsetNode::default());
        let mut node = SubsetNode {
            types: raw.types.0,
            required: Cow::Owned(raw.required.clone()),
            ..SubsetNode::default()
        };
        if let Some(pointer) = raw.reference {
            node.link = match (raw.is_lone_ref(), self.refs.get(pointer)) {
                (false, _) => Link::Unproven,
                (true, Some(&target)) => Link::Ref(target),
                (true, None) => match self.root.resolve(pointer) {
                    Some(target) => {
                        // Recorded before compiling, so a cycle ends here.
                        self.refs.insert(pointer, self.nodes.len());
                        Link::Ref(self.node(target))
                    }
                    None => Link::Unproven,
                },
            };
        } else {
            // BTreeMap iteration is already sorted by name.
            node.properties = raw
                .properties
                .iter()
                .map(|(name, child)| (*name, self.node(child)))
                .collect();
            node.items = raw.items.as_deref().map(|child| self.node(child));
            node.all_of = raw.all_of.iter().map(|child| self.node(child)).collect();
        }
        if let Some(slot) = self.nodes.get_mut(index) {
            *slot = node;
        }
        index
    }
}
