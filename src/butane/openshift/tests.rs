use std::collections::BTreeMap;

use super::{MachineConfig, ROLE_LABEL};
use crate::butane::{Options, compile};

fn run(source: &str, raw: bool) -> crate::butane::Outcome {
    compile(
        source,
        "mc.bu",
        &Options {
            raw,
            json: Some(crate::butane::JsonStyle::Compact),
            ..Options::default()
        },
    )
}

const MINIMAL: &str = "variant: openshift
version: 4.16.0
metadata:
  name: 99-worker-custom
  labels:
    machineconfiguration.openshift.io/role: worker
";

#[test]
fn machine_config_wraps_the_ignition_config() {
    let source = format!(
        "{MINIMAL}openshift:\n  kernel_arguments: [loglevel=7]\n  fips: true\n  kernel_type: realtime\n  extensions: [usbguard]\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        inline: |\n          hello\n          world\n"
    );
    let outcome = run(&source, false);
    let (Some(mc), Some(json)) = (outcome.machine_config, outcome.json) else {
        panic!("{:?}", outcome.diagnostics);
    };
    let yaml = String::from_utf8(mc.to_yaml(&json)).expect("utf-8");
    insta::assert_snapshot!(yaml);
}

#[test]
fn raw_output_warns_of_ignored_fields() {
    let source = format!("{MINIMAL}openshift:\n  fips: false\n  kernel_type: \"\"\n");
    let outcome = run(&source, true);
    let warnings: Vec<String> = outcome.diagnostics.iter().map(|d| d.butane_raw()).collect();
    insta::assert_snapshot!(warnings.join("\n"));
    assert!(outcome.config.is_some());
}

/// What a YAML reader makes of `node`: quoted and block scalars are
/// strings, plain ones numbers, booleans or null where they read as such.
fn read_back(node: &crate::yaml::Node) -> serde_json::Value {
    use crate::yaml::{Style, Value};
    match &node.value {
        Value::Scalar(scalar) if scalar.style == Style::Plain => match scalar.text.as_str() {
            "true" => true.into(),
            "false" => false.into(),
            "null" | "~" | "" => serde_json::Value::Null,
            text => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| text.into(), serde_json::Value::Number),
        },
        Value::Scalar(scalar) => scalar.text.clone().into(),
        Value::Sequence(items) => items.iter().map(read_back).collect(),
        Value::Mapping(entries) => entries
            .iter()
            .map(|entry| {
                let key = entry
                    .key
                    .as_scalar()
                    .map(|s| s.text.clone())
                    .unwrap_or_default();
                (key, read_back(&entry.value))
            })
            .collect(),
    }
}

/// Numbers as floats, as Butane's JSON round trip makes them.
fn as_floats(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        serde_json::Value::Array(items) => items.into_iter().map(as_floats).collect(),
        serde_json::Value::Object(map) => map.into_iter().map(|(k, v)| (k, as_floats(v))).collect(),
        other => other,
    }
}

/// The MachineConfig YAML reads back as the config it wraps, for every
/// Ignition config in the corpus (unit files, scripts, data URLs, odd
/// characters): the emitter quotes and blocks what it must.
#[test]
fn machine_config_yaml_reads_back_as_the_config() {
    let expected =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/butane/expected");
    let mut configs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&expected)
        .expect("corpus")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "ign").then(|| {
                let bytes = std::fs::read(&path).expect("read");
                (path.display().to_string(), bytes)
            })
        })
        .collect();
    configs.sort();
    // Text a YAML writer has to take care with.
    configs.push((
        "awkward strings".to_owned(),
        br##"{"ignition":{"version":"3.4.0"},"storage":{"files":[
            {"path":"/a","contents":{"source":"data:,x"},"user":{"name":"yes"}},
            {"path":"/b","user":{"name":"0644"},"group":{"name":"- x"}},
            {"path":"/c","user":{"name":"a: b"},"group":{"name":" lead"}},
            {"path":"/d","user":{"name":"#x"},"group":{"name":"tab\there"}}],
            "directories":[{"path":"/e","user":{"name":"1e3"},"group":{"name":"'q'"}}]},
            "systemd":{"units":[
            {"name":"a.service","contents":"  indented first\nline\n\n\n"},
            {"name":"b.service","contents":"trailing space \nx"},
            {"name":"c.service","contents":"no newline at end\nx"},
            {"name":"d.service","contents":"\u00e9t\u00e9 \u2603\n"}]}}"##
            .to_vec(),
    ));
    assert!(configs.len() > 20, "corpus outputs: {}", configs.len());
    let mc = MachineConfig {
        name: "99-worker-custom".to_owned(),
        labels: BTreeMap::from([(ROLE_LABEL.to_owned(), "worker".to_owned())]),
        kernel_arguments: vec!["a=b c".to_owned()],
        fips: Some(false),
        ..MachineConfig::default()
    };
    for (name, json) in configs {
        let config: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
        let yaml = String::from_utf8(mc.to_yaml(&json)).expect("UTF-8");
        let root = crate::yaml::parse(&yaml)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{yaml}"))
            .expect("a document");
        let back = read_back(&root);
        assert_eq!(back["spec"]["config"], as_floats(config), "{name}:\n{yaml}");
        assert_eq!(back["kind"], "MachineConfig");
        assert_eq!(back["metadata"]["labels"][ROLE_LABEL], "worker");
        assert_eq!(back["spec"]["fips"], false);
        assert_eq!(back["spec"]["kernelArguments"][0], "a=b c");
    }
}
