//! The JSON Schema check.

use serde_json::json;

use super::lines;
use crate::ignition::spec::Spec;
use crate::validate::proof::proves_valid;
use crate::validate::schema;

#[test]
fn valid_configs_pass_every_schema() {
    for spec in Spec::ALL {
        let config = json!({
            "ignition": {"version": spec.as_str()},
            "storage": {"files": [{"path": "/etc/hostname", "mode": 420, "contents": {"source": "data:,n"}}]},
            "systemd": {"units": [{"name": "a.service", "enabled": true}]}
        });
        assert!(schema(&config, spec).is_empty(), "{spec}");
        // Compiled once, reused.
        assert!(schema(&config, spec).is_empty(), "{spec}");
    }
}

#[test]
fn findings_carry_the_instance_path() {
    let config = json!({
        "ignition": {"version": "3.2.0"},
        "storage": {
            "files": [{"path": "/a", "mode": "420"}],
            "links": [{"path": "/l"}]
        }
    });
    let found = lines(&schema(&config, Spec::V3_2));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("error at $.storage.files.0.mode: ")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("error at $.storage.links.0: ") && l.contains("target")),
        "{found:?}"
    );
    // From 3.3.0 the link target is checked by Ignition's code, not the schema.
    let config = json!({"ignition": {"version": "3.3.0"}, "storage": {"links": [{"path": "/l"}]}});
    assert!(schema(&config, Spec::V3_3).is_empty());
}

#[test]
fn version_required_from_3_4() {
    let config = json!({"ignition": {}});
    assert!(schema(&config, Spec::V3_3).is_empty());
    let found = lines(&schema(&config, Spec::V3_4));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("error at $.ignition: ") && found[0].contains("version"),
        "{found:?}"
    );
}

#[test]
fn unknown_keys_are_not_schema_errors() {
    let config = json!({"ignition": {"version": "3.6.0"}, "bogus": 1, "storage": {"files": [{"path": "/a", "nope": true}]}});
    assert!(schema(&config, Spec::V3_6).is_empty());
}

/// A value for `schema` with every property it names, of the first
/// non-null type allowed (arrays hold one item).
fn maximal(document: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Some(object) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(pointer) = object.get("$ref").and_then(Value::as_str) {
        let target = document
            .pointer(pointer.trim_start_matches('#'))
            .expect("the $ref resolves");
        return maximal(document, target);
    }
    let mut result = match object.get("allOf").and_then(Value::as_array) {
        Some(parts) => {
            let mut merged = serde_json::Map::new();
            for part in parts {
                if let Value::Object(fields) = maximal(document, part) {
                    merged.extend(fields);
                }
            }
            Value::Object(merged)
        }
        None => Value::Null,
    };
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ => "",
    };
    match kind {
        "string" => result = json!("x"),
        "integer" => result = json!(420),
        "boolean" => result = json!(true),
        "array" => {
            let item = object
                .get("items")
                .map_or(Value::Null, |items| maximal(document, items));
            result = json!([item]);
        }
        "object" => {
            let mut fields = result.as_object().cloned().unwrap_or_default();
            if let Some(properties) = object.get("properties").and_then(Value::as_object) {
                for (name, child) in properties {
                    fields.insert(name.clone(), maximal(document, child));
                }
            }
            result = Value::Object(fields);
        }
        _ => {}
    }
    result
}

/// `value` with the node at each position replaced by each of a set of
/// values of every JSON type, and with each object key removed in turn.
fn mutations(value: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::Value;
    let replacements = [
        Value::Null,
        json!(false),
        json!(7),
        json!(u64::MAX),
        json!(-3),
        json!(1.5),
        json!(""),
        json!([]),
        json!([1]),
        json!({}),
    ];
    let mut found: Vec<Value> = replacements.to_vec();
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                let mut without = fields.clone();
                without.remove(key);
                found.push(Value::Object(without));
                for mutated in mutations(child) {
                    let mut with = fields.clone();
                    with.insert(key.clone(), mutated);
                    found.push(Value::Object(with));
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                for mutated in mutations(child) {
                    let mut with = items.clone();
                    with[index] = mutated;
                    found.push(Value::Array(with));
                }
            }
        }
        _ => {}
    }
    found
}

/// The fast subset checker only ever says "valid" when the official
/// validator agrees; the official one is not consulted for valid configs.
#[test]
fn subset_checker_agrees_with_the_official_validator() {
    for spec in Spec::ALL {
        let document: serde_json::Value =
            serde_json::from_str(spec.json_schema()).expect("schema JSON");
        let subset =
            crate::validate::schema::subset(spec).expect("every Ignition schema is in the subset");
        let official = jsonschema::draft4::new(&document).expect("schema compiles");
        let base = maximal(&document, &document);
        assert!(official.is_valid(&base), "{spec}: {base}");
        let instances = mutations(&base);
        assert!(instances.len() > 1000, "{spec}: {}", instances.len());
        let mut invalid = 0;
        for instance in &instances {
            let expected = official.is_valid(instance);
            invalid += usize::from(!expected);
            // A float is left to the official validator (never "valid").
            let has_float = instance.to_string().contains("1.5");
            if has_float {
                assert!(
                    !proves_valid(subset, instance) || expected,
                    "{spec}: {instance}"
                );
            } else {
                assert_eq!(
                    proves_valid(subset, instance),
                    expected,
                    "{spec}: {instance}"
                );
            }
        }
        assert!(invalid > 100, "{spec}: only {invalid} invalid instances");
        assert!(proves_valid(
            subset,
            &json!({"ignition": {"version": spec.as_str()}})
        ));
    }
}

/// The tables `build.rs` wrote are the ones the checker builds from the
/// embedded schema at run time.
#[test]
fn subset_tables_from_the_build_equal_the_parsed_schemas() {
    use crate::validate::subset::Subset;
    for spec in Spec::ALL {
        let parsed = Subset::parse(spec.json_schema()).expect("in the subset");
        let built = crate::validate::schema::subset(spec).expect("a table for every spec");
        assert!(parsed.nodes.len() > 50, "{spec}: {}", parsed.nodes.len());
        assert_eq!(&parsed, built, "{spec}");
    }
}

#[test]
fn subset_checker_is_conservative() {
    use crate::validate::subset::Subset;
    let unknown_keyword =
        json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}})
            .to_string();
    assert!(Subset::parse(&unknown_keyword).is_none());
    // A `$ref` with siblings, or one that does not resolve, is never "valid".
    let ref_with_sibling = json!({"definitions": {"a": {"type": "string"}}, "properties": {"b": {"$ref": "#/definitions/a", "type": "string"}}}).to_string();
    let subset = Subset::parse(&ref_with_sibling).expect("parses");
    assert!(!proves_valid(&subset, &json!({"b": "x"})));
    assert!(proves_valid(&subset, &json!({"c": "x"})));
    let dangling_ref = json!({"properties": {"b": {"$ref": "#/definitions/a"}}}).to_string();
    let subset = Subset::parse(&dangling_ref).expect("parses");
    assert!(!proves_valid(&subset, &json!({"b": "x"})));
    let text = json!({"definitions": {"a": {"type": "string"}}, "properties": {"b": {"$ref": "#/definitions/a"}}}).to_string();
    let subset = Subset::parse(&text).expect("in the subset");
    assert!(proves_valid(&subset, &json!({"b": "x"})));
    assert!(!proves_valid(&subset, &json!({"b": 1})));
    assert!(!proves_valid(&subset, &json!({"b": 1.5})));
}
