//! The official JSON Schema of each spec, compiled once on first use.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::diag::{Diagnostic, Path, Segment};
use crate::ignition::spec::Spec;

/// One compiled validator per spec, or why compiling failed.
static VALIDATORS: [OnceLock<Result<Validator, String>>; Spec::ALL.len()] =
    [const { OnceLock::new() }; Spec::ALL.len()];

fn compile(spec: Spec) -> Result<Validator, String> {
    let document: Value = serde_json::from_str(spec.json_schema())
        .map_err(|error| format!("the embedded {spec} schema is not JSON: {error}"))?;
    jsonschema::draft4::new(&document)
        .map_err(|error| format!("the embedded {spec} schema does not compile: {error}"))
}

fn validator(spec: Spec) -> Result<&'static Validator, &'static str> {
    let index = Spec::ALL.iter().position(|s| *s == spec).unwrap_or(0);
    let slot = VALIDATORS
        .get(index)
        .ok_or("no schema slot for this spec")?;
    slot.get_or_init(|| compile(spec))
        .as_ref()
        .map_err(String::as_str)
}

fn path_of(location: &jsonschema::paths::Location) -> Path {
    let segments = location
        .segments()
        .map(|segment| match segment {
            jsonschema::paths::LocationSegment::Property(name) => Segment::Key(name.into_owned()),
            jsonschema::paths::LocationSegment::Index(index) => Segment::Index(index),
        })
        .collect();
    Path::from_segments(segments)
}

/// Checks `config_json` against the official JSON Schema of `spec`. Each
/// violation is an error at the JSON path of the failing value.
pub fn schema(config_json: &Value, spec: Spec) -> Vec<Diagnostic> {
    match validator(spec) {
        Ok(validator) => validator
            .iter_errors(config_json)
            .map(|error| Diagnostic::error(error.to_string()).at(path_of(error.instance_path())))
            .collect(),
        Err(message) => vec![Diagnostic::error(message).at(Path::root())],
    }
}
