//! Proves a config valid under a [`Subset`] schema without building a
//! `serde_json::Value` of it. The checker is a `serde::Serializer`: it
//! receives exactly the events `serde_json::to_value` would turn into a
//! `Value`, and walks the schema tables alongside, so its verdict is the
//! one a check of that `Value` would give, while the config (data URLs
//! included) is neither copied nor allocated. Building the `Value` was
//! ~5-6% of a 1,000-host build's CPU.
//!
//! Like the tables it only answers "valid": a violation, a float where a
//! type is required, a map key that is not a string, an error from a
//! `Serialize` impl, or anything else it cannot account for stops the
//! serialization with [`NotProven`], and the official validator decides.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

use super::subset::{Link, Subset, types};

/// Whether `value`, as `serde_json::to_value` would write it, is certainly
/// valid under `subset`. `false` means "not proven".
pub(super) fn proves_valid<T: Serialize + ?Sized>(subset: &Subset<'_>, value: &T) -> bool {
    let mut walk = Walk {
        subset,
        active: Vec::new(),
        required: Vec::new(),
    };
    walk.expand(0, 0).is_ok()
        && value
            .serialize(Checker {
                walk: &mut walk,
                from: 0,
            })
            .is_ok()
}

/// Why the checker stopped: it could not prove the value valid.
#[derive(Debug)]
pub(super) struct NotProven;

impl fmt::Display for NotProven {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not proven valid by the subset schema")
    }
}

impl std::error::Error for NotProven {}

impl ser::Error for NotProven {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        NotProven
    }
}

type Proof = Result<(), NotProven>;

/// The walk's state, shared by every value of one serialization.
struct Walk<'t, 's> {
    subset: &'t Subset<'s>,
    /// A stack of sets of schema nodes (after `$ref` and `allOf`): the
    /// value being serialized must satisfy `active[from..]`, its enclosing
    /// values the sets below. Serializing a value leaves it as it was.
    active: Vec<usize>,
    /// The required keys of the objects being serialized, and whether each
    /// was seen; an object's are on top while its keys come.
    required: Vec<(&'s str, bool)>,
}

impl<'t, 's> Walk<'t, 's> {
    /// Pushes node `index` onto the innermost set, resolved: a lone `$ref`
    /// by its target, with its `allOf` parts. `depth` bounds a `$ref` or
    /// `allOf` cycle, which the Ignition schemas do not have.
    fn expand(&mut self, index: usize, depth: usize) -> Proof {
        let subset = self.subset;
        if depth > subset.nodes.len() {
            return Err(NotProven);
        }
        let node = subset.nodes.get(index).ok_or(NotProven)?;
        match node.link {
            Link::None => {}
            Link::Ref(target) => return self.expand(target, depth + 1),
            Link::Unproven => return Err(NotProven),
        }
        self.active.push(index);
        for &part in node.all_of.iter() {
            self.expand(part, depth + 1)?;
        }
        Ok(())
    }

    /// Whether every node of the set at `from` allows a value of type
    /// `found` (bits of [`types`]; 0 for a float, which the tables cannot
    /// tell from an integer as draft 4 does, so only an untyped node
    /// allows it).
    fn check_type(&self, from: usize, found: u8) -> Proof {
        let subset = self.subset;
        let set = self.active.get(from..).unwrap_or_default();
        let allowed = set.iter().all(|&index| {
            subset
                .nodes
                .get(index)
                .is_some_and(|node| node.types == 0 || node.types & found != 0)
        });
        if allowed { Ok(()) } else { Err(NotProven) }
    }
}

/// Checks one value against the set `walk.active[from..]`.
struct Checker<'w, 't, 's> {
    walk: &'w mut Walk<'t, 's>,
    from: usize,
}

/// An object being serialized: its set is `active[from..to]`; the set of
/// the value of the current key is pushed above `to`.
struct ObjectState {
    from: usize,
    to: usize,
    required_from: usize,
}

impl ObjectState {
    fn open(walk: &mut Walk<'_, '_>, from: usize) -> Result<Self, NotProven> {
        walk.check_type(from, types::OBJECT)?;
        let subset = walk.subset;
        let to = walk.active.len();
        let required_from = walk.required.len();
        for position in from..to {
            let index = walk.active.get(position).copied().ok_or(NotProven)?;
            let node = subset.nodes.get(index).ok_or(NotProven)?;
            walk.required
                .extend(node.required.iter().map(|&name| (name, false)));
        }
        Ok(ObjectState {
            from,
            to,
            required_from,
        })
    }

    /// Marks `key` seen and pushes the set its value must satisfy: each
    /// node's `properties` entry for it (none for a key no node names).
    fn key(&self, walk: &mut Walk<'_, '_>, key: &str) -> Proof {
        walk.active.truncate(self.to);
        if let Some(required) = walk.required.get_mut(self.required_from..) {
            for (name, seen) in required {
                *seen |= *name == key;
            }
        }
        let subset = walk.subset;
        for position in self.from..self.to {
            let index = walk.active.get(position).copied().ok_or(NotProven)?;
            let node = subset.nodes.get(index).ok_or(NotProven)?;
            if let Ok(found) = node
                .properties
                .binary_search_by(|(name, _)| (*name).cmp(key))
            {
                let &(_, child) = node.properties.get(found).ok_or(NotProven)?;
                walk.expand(child, 0)?;
            }
        }
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&self, walk: &mut Walk<'_, '_>, value: &T) -> Proof {
        value.serialize(Checker {
            walk: &mut *walk,
            from: self.to,
        })?;
        walk.active.truncate(self.to);
        Ok(())
    }

    /// Every required key was seen.
    fn close(&self, walk: &mut Walk<'_, '_>) -> Proof {
        walk.active.truncate(self.to);
        let complete = walk
            .required
            .get(self.required_from..)
            .unwrap_or_default()
            .iter()
            .all(|&(_, seen)| seen);
        walk.required.truncate(self.required_from);
        if complete { Ok(()) } else { Err(NotProven) }
    }
}

/// An array being serialized: the set of its items is pushed once, at
/// `items_from`.
struct ArrayState {
    items_from: usize,
}

impl ArrayState {
    fn open(walk: &mut Walk<'_, '_>, from: usize) -> Result<Self, NotProven> {
        walk.check_type(from, types::ARRAY)?;
        let subset = walk.subset;
        let items_from = walk.active.len();
        for position in from..items_from {
            let index = walk.active.get(position).copied().ok_or(NotProven)?;
            let node = subset.nodes.get(index).ok_or(NotProven)?;
            if let Some(items) = node.items {
                walk.expand(items, 0)?;
            }
        }
        Ok(ArrayState { items_from })
    }

    fn element<T: Serialize + ?Sized>(&self, walk: &mut Walk<'_, '_>, value: &T) -> Proof {
        value.serialize(Checker {
            walk,
            from: self.items_from,
        })
    }

    fn close(&self, walk: &mut Walk<'_, '_>) -> Proof {
        walk.active.truncate(self.items_from);
        Ok(())
    }
}

/// What `serialize_map` and `serialize_struct` return.
struct Object<'w, 't, 's> {
    walk: &'w mut Walk<'t, 's>,
    state: ObjectState,
}

/// What `serialize_seq` and the tuple methods return.
struct Array<'w, 't, 's> {
    walk: &'w mut Walk<'t, 's>,
    state: ArrayState,
}

/// A tuple or struct variant: serde_json writes `{"Variant": inner}`.
struct Variant<'w, 't, 's, S> {
    walk: &'w mut Walk<'t, 's>,
    outer: ObjectState,
    inner: S,
}

impl<'w, 't, 's> Checker<'w, 't, 's> {
    fn scalar(self, found: u8) -> Proof {
        self.walk.check_type(self.from, found)
    }

    /// Opens `{"variant": …}` and returns its state, with the set of the
    /// inner value pushed at `outer.to`.
    fn variant(&mut self, variant: &str) -> Result<ObjectState, NotProven> {
        let outer = ObjectState::open(self.walk, self.from)?;
        outer.key(self.walk, variant)?;
        Ok(outer)
    }
}

impl<'w, 't, 's> ser::Serializer for Checker<'w, 't, 's> {
    type Ok = ();
    type Error = NotProven;
    type SerializeSeq = Array<'w, 't, 's>;
    type SerializeTuple = Array<'w, 't, 's>;
    type SerializeTupleStruct = Array<'w, 't, 's>;
    type SerializeTupleVariant = Variant<'w, 't, 's, ArrayState>;
    type SerializeMap = Object<'w, 't, 's>;
    type SerializeStruct = Object<'w, 't, 's>;
    type SerializeStructVariant = Variant<'w, 't, 's, ObjectState>;

    fn serialize_bool(self, _: bool) -> Proof {
        self.scalar(types::BOOLEAN)
    }

    fn serialize_i8(self, _: i8) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_i16(self, _: i16) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_i32(self, _: i32) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_i64(self, _: i64) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    /// serde_json keeps it if it fits an `i64` or `u64`, else fails.
    fn serialize_i128(self, value: i128) -> Proof {
        if i64::try_from(value).is_ok() || u64::try_from(value).is_ok() {
            self.scalar(types::INTEGER | types::NUMBER)
        } else {
            Err(NotProven)
        }
    }

    fn serialize_u8(self, _: u8) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_u16(self, _: u16) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_u32(self, _: u32) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_u64(self, _: u64) -> Proof {
        self.scalar(types::INTEGER | types::NUMBER)
    }

    fn serialize_u128(self, value: u128) -> Proof {
        if u64::try_from(value).is_ok() {
            self.scalar(types::INTEGER | types::NUMBER)
        } else {
            Err(NotProven)
        }
    }

    fn serialize_f32(self, value: f32) -> Proof {
        self.serialize_f64(f64::from(value))
    }

    /// serde_json writes a non-finite float as `null`.
    fn serialize_f64(self, value: f64) -> Proof {
        self.scalar(if value.is_finite() { 0 } else { types::NULL })
    }

    fn serialize_char(self, _: char) -> Proof {
        self.scalar(types::STRING)
    }

    fn serialize_str(self, _: &str) -> Proof {
        self.scalar(types::STRING)
    }

    /// serde_json writes bytes as an array of integers.
    fn serialize_bytes(self, bytes: &[u8]) -> Proof {
        let array = ArrayState::open(self.walk, self.from)?;
        if !bytes.is_empty() {
            self.walk
                .check_type(array.items_from, types::INTEGER | types::NUMBER)?;
        }
        array.close(self.walk)
    }

    fn serialize_none(self) -> Proof {
        self.scalar(types::NULL)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Proof {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Proof {
        self.scalar(types::NULL)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Proof {
        self.scalar(types::NULL)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Proof {
        self.scalar(types::STRING)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Proof {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Proof {
        let outer = self.variant(variant)?;
        outer.value(self.walk, value)?;
        outer.close(self.walk)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotProven> {
        let state = ArrayState::open(self.walk, self.from)?;
        Ok(Array {
            walk: self.walk,
            state,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, NotProven> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotProven> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotProven> {
        let outer = self.variant(variant)?;
        let inner = ArrayState::open(self.walk, outer.to)?;
        Ok(Variant {
            walk: self.walk,
            outer,
            inner,
        })
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotProven> {
        let state = ObjectState::open(self.walk, self.from)?;
        Ok(Object {
            walk: self.walk,
            state,
        })
    }

    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, NotProven> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotProven> {
        let outer = self.variant(variant)?;
        let inner = ObjectState::open(self.walk, outer.to)?;
        Ok(Variant {
            walk: self.walk,
            outer,
            inner,
        })
    }

    /// A string, without formatting it.
    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Proof {
        self.scalar(types::STRING)
    }
}

impl ser::SerializeSeq for Array<'_, '_, '_> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Proof {
        self.state.element(self.walk, value)
    }

    fn end(self) -> Proof {
        self.state.close(self.walk)
    }
}

impl ser::SerializeTuple for Array<'_, '_, '_> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Proof {
        self.state.element(self.walk, value)
    }

    fn end(self) -> Proof {
        self.state.close(self.walk)
    }
}

impl ser::SerializeTupleStruct for Array<'_, '_, '_> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Proof {
        self.state.element(self.walk, value)
    }

    fn end(self) -> Proof {
        self.state.close(self.walk)
    }
}

impl ser::SerializeTupleVariant for Variant<'_, '_, '_, ArrayState> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Proof {
        self.inner.element(self.walk, value)
    }

    fn end(self) -> Proof {
        self.inner.close(self.walk)?;
        self.outer.close(self.walk)
    }
}

impl ser::SerializeMap for Object<'_, '_, '_> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Proof {
        key.serialize(KeyChecker {
            walk: &mut *self.walk,
            object: &self.state,
        })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Proof {
        self.state.value(self.walk, value)
    }

    fn end(self) -> Proof {
        self.state.close(self.walk)
    }
}

impl ser::SerializeStruct for Object<'_, '_, '_> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Proof {
        self.state.key(self.walk, key)?;
        self.state.value(self.walk, value)
    }

    fn end(self) -> Proof {
        self.state.close(self.walk)
    }
}

impl ser::SerializeStructVariant for Variant<'_, '_, '_, ObjectState> {
    type Ok = ();
    type Error = NotProven;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Proof {
        self.inner.key(self.walk, key)?;
        self.inner.value(self.walk, value)
    }

    fn end(self) -> Proof {
        self.inner.close(self.walk)?;
        self.outer.close(self.walk)
    }
}

/// A map key: a string (or what serde_json writes as one without
/// converting it); any other key is not proven.
struct KeyChecker<'a, 'w, 't, 's> {
    walk: &'w mut Walk<'t, 's>,
    object: &'a ObjectState,
}

impl ser::Serializer for KeyChecker<'_, '_, '_, '_> {
    type Ok = ();
    type Error = NotProven;
    type SerializeSeq = Impossible<(), NotProven>;
    type SerializeTuple = Impossible<(), NotProven>;
    type SerializeTupleStruct = Impossible<(), NotProven>;
    type SerializeTupleVariant = Impossible<(), NotProven>;
    type SerializeMap = Impossible<(), NotProven>;
    type SerializeStruct = Impossible<(), NotProven>;
    type SerializeStructVariant = Impossible<(), NotProven>;

    fn serialize_str(self, key: &str) -> Proof {
        self.object.key(self.walk, key)
    }

    fn serialize_char(self, key: char) -> Proof {
        self.object.key(self.walk, key.encode_utf8(&mut [0; 4]))
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Proof {
        self.object.key(self.walk, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Proof {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Proof {
        Err(NotProven)
    }

    fn serialize_i8(self, _: i8) -> Proof {
        Err(NotProven)
    }

    fn serialize_i16(self, _: i16) -> Proof {
        Err(NotProven)
    }

    fn serialize_i32(self, _: i32) -> Proof {
        Err(NotProven)
    }

    fn serialize_i64(self, _: i64) -> Proof {
        Err(NotProven)
    }

    fn serialize_u8(self, _: u8) -> Proof {
        Err(NotProven)
    }

    fn serialize_u16(self, _: u16) -> Proof {
        Err(NotProven)
    }

    fn serialize_u32(self, _: u32) -> Proof {
        Err(NotProven)
    }

    fn serialize_u64(self, _: u64) -> Proof {
        Err(NotProven)
    }

    fn serialize_f32(self, _: f32) -> Proof {
        Err(NotProven)
    }

    fn serialize_f64(self, _: f64) -> Proof {
        Err(NotProven)
    }

    fn serialize_bytes(self, _: &[u8]) -> Proof {
        Err(NotProven)
    }

    fn serialize_none(self) -> Proof {
        Err(NotProven)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Proof {
        Err(NotProven)
    }

    fn serialize_unit(self) -> Proof {
        Err(NotProven)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Proof {
        Err(NotProven)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Proof {
        Err(NotProven)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotProven> {
        Err(NotProven)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotProven> {
        Err(NotProven)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotProven> {
        Err(NotProven)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotProven> {
        Err(NotProven)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotProven> {
        Err(NotProven)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotProven> {
        Err(NotProven)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotProven> {
        Err(NotProven)
    }
}

#[cfg(test)]
mod tests;
