//! The JSON Schemas editors use (`templates/schemas/*.schema.json`, named by
//! the example manifests' `yaml-language-server` comments) are exactly what
//! `kindling schema` prints, and the example manifests validate against them;
//! `docs/manifest.md` is what `kindling schema --markdown` prints.

use crate::support::cli::kindling;
use crate::support::paths;

use kindling::fleet::manifest::{Kind, json_schema};
use kindling::yaml::{self, Node, Style, Value};

#[test]
fn committed_schemas_are_current() {
    for (kind, name) in [
        (Kind::Fleet, "fleet"),
        (Kind::Host, "host"),
        (Kind::Service, "service"),
    ] {
        let path = paths::repo_root().join(format!("templates/schemas/{name}.schema.json"));
        let committed = std::fs::read_to_string(&path).expect("schema file");
        assert_eq!(
            committed,
            json_schema(kind),
            "{} is stale: run `cargo run -- schema {name} > templates/schemas/{name}.schema.json`",
            path.display()
        );
    }
}

/// YAML as an editor's language server reads it (YAML 1.2 core schema).
fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Mapping(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter_map(|e| Some((e.key.as_scalar()?.text.clone(), to_json(&e.value))))
                .collect(),
        ),
        Value::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Scalar(scalar) if scalar.style != Style::Plain => {
            serde_json::Value::String(scalar.text.clone())
        }
        Value::Scalar(scalar) => match scalar.text.as_str() {
            "" | "~" | "null" => serde_json::Value::Null,
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            text => text
                .parse::<i64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_owned())),
        },
    }
}

#[test]
fn example_manifests_validate_against_their_schemas() {
    let mut checked = 0;
    let mut files = vec![("fleet.yaml".to_owned(), Kind::Fleet)];
    for (dir, kind) in [("hosts", Kind::Host), ("containers", Kind::Service)] {
        for entry in std::fs::read_dir(paths::repo_root().join(dir)).expect("dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if name.ends_with(".yaml") {
                files.push((format!("{dir}/{name}"), kind));
            }
        }
    }
    for (file, kind) in files {
        let text = std::fs::read_to_string(paths::repo_root().join(&file)).expect("manifest");
        let node = yaml::parse(&text).expect("yaml").expect("document");
        let schema: serde_json::Value =
            serde_json::from_str(&json_schema(kind)).expect("schema json");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let instance = to_json(&node);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} manifests checked");
}

#[test]
fn manifest_reference_is_current() {
    let path = paths::repo_root().join("docs/manifest.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == kindling::fleet::reference::markdown(),
        "{} is stale: run `cargo run -- schema --markdown > docs/manifest.md`",
        path.display()
    );
}

#[test]
fn schema_markdown_prints_the_reference() {
    let out = kindling()
        .args(["schema", "--markdown"])
        .output()
        .expect("run kindling");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text, kindling::fleet::reference::markdown());
    insta::assert_snapshot!(
        "schema_markdown_service_health",
        text.split("\n### ")
            .filter(|s| s.starts_with("`health"))
            .collect::<Vec<_>>()
            .join("\n### ")
    );
}

/// `kindling man` carries the manifest reference as kindling-manifest(5),
/// built from the same entries as docs/manifest.md.
#[test]
fn man_covers_the_manifests() {
    let out = kindling()
        .args(["man", "--manifest"])
        .output()
        .expect("run kindling");
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).expect("utf-8");
    for (_, kind) in kindling::fleet::reference::MANIFESTS {
        for entry in kindling::fleet::reference::entries(kind) {
            let key = entry.dotted().replace('-', "\\-");
            assert!(page.contains(&format!("\\fB{key}\\fR")), "{key} missing");
        }
    }
    insta::assert_snapshot!(
        "man_manifest_head",
        page.lines().take(12).collect::<Vec<_>>().join("\n")
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = kindling()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .expect("run kindling");
    assert!(out.status.success());
    let written = std::fs::read_to_string(dir.path().join("kindling-manifest.5")).expect("page");
    assert_eq!(written, page);
}
