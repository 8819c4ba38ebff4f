//! The official JSON Schema of each spec, compiled once on first use.
//!
//! Compiling a schema with `jsonschema` costs about 1.2 ms (parsing,
//! checking it against the draft-4 meta-schema, building validators), more
//! than everything else a typical `kindling butane` run does. Nearly every
//! config is valid, so a config is first checked by a [`Subset`] checker
//! whose tables `build.rs` made from the same schema at compile time. It
//! only answers "valid": when it cannot prove a config valid, the official
//! `jsonschema` validator runs and produces the findings, so reports are
//! the official validator's.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde::Serialize;
use serde_json::Value;

use super::proof::proves_valid;
use super::subset::Subset;
use crate::diag::{Code, Diagnostic, DocPath, Segment};
use crate::ignition::spec::Spec;

/// `IGNITION_<version>` statics, one per file under
/// `src/ignition/schema/`, written by `build.rs`.
mod tables {
    use std::borrow::Cow;

    use crate::validate::subset::{Link, Subset, SubsetNode};

    include!(concat!(env!("OUT_DIR"), "/subset_tables.rs"));
}

/// One compiled validator per spec, or why compiling failed.
static VALIDATORS: [OnceLock<Result<Validator, String>>; Spec::ALL.len()] =
    [const { OnceLock::new() }; Spec::ALL.len()];

fn compile(spec: Spec) -> Result<Validator, String> {
    let document: Value = serde_json::from_str(spec.json_schema())
        .map_err(|error| format!("the embedded {spec} schema is not JSON: {error}"))?;
    jsonschema::draft4::new(&document)
        .map_err(|error| format!("the embedded {spec} schema does not compile: {error}"))
}

fn slot_index(spec: Spec) -> usize {
    Spec::ALL.iter().position(|s| *s == spec).unwrap_or(0)
}

fn validator(spec: Spec) -> Result<&'static Validator, &'static str> {
    let slot = VALIDATORS
        .get(slot_index(spec))
        .ok_or("no schema slot for this spec")?;
    slot.get_or_init(|| compile(spec))
        .as_ref()
        .map_err(String::as_str)
}

/// The subset checker for `spec`; `None` if its schema uses anything
/// outside the subset (then the official validator always runs).
pub(super) fn subset(spec: Spec) -> Option<&'static Subset<'static>> {
    match spec {
        Spec::V3_0 => tables::IGNITION_3_0_0.as_ref(),
        Spec::V3_1 => tables::IGNITION_3_1_0.as_ref(),
        Spec::V3_2 => tables::IGNITION_3_2_0.as_ref(),
        Spec::V3_3 => tables::IGNITION_3_3_0.as_ref(),
        Spec::V3_4 => tables::IGNITION_3_4_0.as_ref(),
        Spec::V3_5 => tables::IGNITION_3_5_0.as_ref(),
        Spec::V3_6 => tables::IGNITION_3_6_0.as_ref(),
        Spec::V3_7Experimental => tables::IGNITION_3_7_0_EXPERIMENTAL.as_ref(),
    }
}

fn path_of(location: &jsonschema::paths::Location) -> DocPath {
    let segments = location
        .segments()
        .map(|segment| match segment {
            jsonschema::paths::LocationSegment::Property(name) => {
                Segment::Key(name.into_owned().into())
            }
            jsonschema::paths::LocationSegment::Index(index) => Segment::Index(index),
        })
        .collect();
    DocPath::from_segments(segments)
}

/// Checks `config` (as `serde_json::to_value` writes it) against the
/// official JSON Schema of `spec`. Each violation is an error at the JSON
/// path of the failing value.
pub fn schema<T: Serialize + ?Sized>(config: &T, spec: Spec) -> Vec<Diagnostic> {
    if subset(spec).is_some_and(|subset| proves_valid(subset, config)) {
        return Vec::new();
    }
    let config_json = match serde_json::to_value(config) {
        Ok(value) => value,
        Err(error) => {
            return vec![
                Diagnostic::error(
                    Code::IgnitionSchema,
                    format!("the config cannot be written as JSON: {error}"),
                )
                .at(DocPath::root()),
            ];
        }
    };
    match validator(spec) {
        Ok(validator) => validator
            .iter_errors(&config_json)
            .map(|error| {
                Diagnostic::error(Code::IgnitionSchema, error.to_string())
                    .at(path_of(error.instance_path()))
            })
            .collect(),
        Err(message) => vec![Diagnostic::error(Code::IgnitionSchema, message).at(DocPath::root())],
    }
}
