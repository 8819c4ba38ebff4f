//! The serializing checker against the verdicts on `serde_json::to_value`:
//! its own on the `Value` (the same events, so the same answer) and the
//! official validator's (which it may only be stricter than, never laxer).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::proves_valid;
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;
use crate::validate::schema::subset;

fn official(spec: Spec) -> jsonschema::Validator {
    let document: Value = serde_json::from_str(spec.json_schema()).expect("schema JSON");
    jsonschema::draft4::new(&document).expect("schema compiles")
}

/// The checker's verdict on `typed` for `spec`, after checking it equals
/// its verdict on the `Value` serde_json makes of `typed`, and that it
/// says "valid" only where the official validator does.
fn verdict<T: Serialize>(typed: &T, spec: Spec, validator: &jsonschema::Validator) -> bool {
    let subset = subset(spec).expect("a table for every spec");
    let proven = proves_valid(subset, typed);
    let value = serde_json::to_value(typed).expect("serializes");
    assert_eq!(proven, proves_valid(subset, &value), "{spec}: {value}");
    assert!(!proven || validator.is_valid(&value), "{spec}: {value}");
    proven
}

/// Every typed config compiled from the Butane corpora and every example
/// host: for every spec, the checker's verdict equals the official one
/// (the model writes no floats, the one case it leaves open).
#[test]
fn typed_configs_get_the_official_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut configs: Vec<(String, Config)> = Vec::new();
    let files = crate::butane::files_dir::FilesDir::open(&root.join("tests/corpus/butane/files"))
        .expect("the corpus files dir");
    for dir in [
        "tests/corpus/butane",
        "tests/corpus/butane-docs/butane",
        "tests/corpus/butane-docs/fcos",
        "tests/corpus/butane-docs/flatcar",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("the corpus")
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "bu"))
            .collect();
        paths.sort();
        for path in paths {
            let source = std::fs::read_to_string(&path).expect("readable");
            let options = crate::butane::Options {
                files_dir: Some(files.clone()),
                ..Default::default()
            };
            let name = path.display().to_string();
            if let Some(config) = crate::butane::compile(&source, &name, &options).config {
                configs.push((name, config));
            }
        }
    }
    let corpus = configs.len();
    assert!(corpus > 200, "only {corpus} corpus configs compiled");
    let identity = root.join("tests/fixtures/example-identity.txt");
    let build = crate::fleet::compile(&crate::fleet::Options {
        root: root.to_path_buf(),
        hosts: Vec::new(),
        target: None,
        identities: crate::fleet::secrets::Identities::load(Some(&identity), None)
            .expect("the example identity"),
        now: None,
        out: None,
    });
    assert!(!build.failed(), "the example fleet builds");
    configs.extend(
        build
            .outputs
            .into_iter()
            .map(|output| (output.name, output.config)),
    );
    assert!(configs.len() >= corpus + 3, "the example hosts are missing");

    let validators: Vec<_> = Spec::ALL.iter().map(|&spec| official(spec)).collect();
    let (mut proven, mut refused) = (0, 0);
    for (name, config) in &configs {
        let own = Spec::parse(&config.ignition.version).expect("a known version");
        // The same typed parts under the wrong keys: a unit has no `path`
        // and a file no `name`, and their `contents` differ in type.
        let swapped = Swapped {
            ignition: &config.ignition,
            storage: Files {
                files: &config.systemd.units,
            },
            systemd: Units {
                units: &config.storage.files,
            },
        };
        let swapped_value = serde_json::to_value(&swapped).expect("serializes");
        let value = serde_json::to_value(config).expect("serializes");
        for (&spec, validator) in Spec::ALL.iter().zip(&validators) {
            let valid = verdict(config, spec, validator);
            assert_eq!(valid, validator.is_valid(&value), "{name} for {spec}");
            if spec == own {
                assert!(valid, "{name} is valid for its own spec");
            }
            let valid_swapped = verdict(&swapped, spec, validator);
            assert_eq!(
                valid_swapped,
                validator.is_valid(&swapped_value),
                "{name} swapped for {spec}"
            );
            for valid in [valid, valid_swapped] {
                proven += usize::from(valid);
                refused += usize::from(!valid);
            }
        }
    }
    assert!(
        proven > 1000 && refused > 1000,
        "{proven} proven, {refused} refused"
    );
}

#[derive(Serialize)]
struct Swapped<'a> {
    ignition: &'a crate::ignition::model::Ignition,
    storage: Files<'a, crate::ignition::model::Unit>,
    systemd: Units<'a, crate::ignition::model::File>,
}

#[derive(Serialize)]
struct Files<'a, T> {
    files: &'a [T],
}

#[derive(Serialize)]
struct Units<'a, T> {
    units: &'a [T],
}

#[derive(Serialize)]
struct Ignition<V> {
    version: V,
}

#[derive(Serialize)]
struct Top<V, S> {
    ignition: Ignition<V>,
    storage: S,
}

#[derive(Serialize)]
struct Storage<F> {
    files: Vec<F>,
}

#[derive(Serialize)]
struct File<M> {
    path: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<M>,
}

fn with_mode<M: Serialize>(mode: M) -> Top<&'static str, Storage<File<M>>> {
    Top {
        ignition: Ignition { version: "3.4.0" },
        storage: Storage {
            files: vec![File {
                path: "/a",
                mode: Some(mode),
            }],
        },
    }
}

#[test]
fn hand_made_typed_configs() {
    let spec = Spec::V3_4;
    let validator = official(spec);
    // Integers of every width and at the borders are integers.
    assert!(verdict(&with_mode(420_u16), spec, &validator));
    assert!(verdict(&with_mode(u64::MAX), spec, &validator));
    assert!(verdict(&with_mode(i64::MIN), spec, &validator));
    assert!(verdict(&with_mode(i128::from(u64::MAX)), spec, &validator));
    assert!(verdict(&with_mode(i128::from(i64::MIN)), spec, &validator));
    // Past them serde_json fails, and so does the proof.
    let subset = subset(spec).expect("a table");
    assert!(!proves_valid(subset, &with_mode(i128::from(u64::MAX) + 1)));
    assert!(!proves_valid(subset, &with_mode(u128::from(u64::MAX) + 1)));
    assert!(!proves_valid(subset, &with_mode(i128::from(i64::MIN) - 1)));
    // A float is never proven where a type is required, even a whole one
    // (draft 4 and its validators disagree on 420.0).
    assert!(!verdict(&with_mode(1.5_f64), spec, &validator));
    assert!(!verdict(&with_mode(420.0_f64), spec, &validator));
    assert!(!verdict(&with_mode(420.0_f32), spec, &validator));
    // Where no type is required (an unknown key), a float is fine.
    let unknown = json!({"ignition": {"version": "3.4.0"}, "x": 1.5});
    assert!(verdict(&unknown, spec, &validator));
    // Wrong types.
    assert!(!verdict(&with_mode("420"), spec, &validator));
    assert!(!verdict(&with_mode(true), spec, &validator));
    assert!(!verdict(&with_mode(vec![4_u8]), spec, &validator));
    let version_number = Top {
        ignition: Ignition { version: 3 },
        storage: Storage::<File<u8>> { files: Vec::new() },
    };
    assert!(!verdict(&version_number, spec, &validator));
    // `null` where the schema allows it, and where it does not.
    assert!(verdict(&with_mode(Option::<u8>::None), spec, &validator));
    let no_version = Top {
        ignition: Ignition {
            version: Option::<&str>::None,
        },
        storage: Storage::<File<u8>> { files: Vec::new() },
    };
    assert!(!verdict(&no_version, spec, &validator));
    // A missing required key: files need a path, and from 3.4.0 the
    // config a version.
    #[derive(Serialize)]
    struct Pathless {
        mode: u16,
    }
    let pathless = Top {
        ignition: Ignition { version: "3.4.0" },
        storage: Storage {
            files: vec![Pathless { mode: 420 }],
        },
    };
    assert!(!verdict(&pathless, spec, &validator));
    #[derive(Serialize)]
    struct Versionless {
        ignition: BTreeMap<String, String>,
    }
    let versionless = Versionless {
        ignition: BTreeMap::new(),
    };
    assert!(!verdict(&versionless, spec, &validator));
    assert!(verdict(&versionless, Spec::V3_3, &official(Spec::V3_3)));
    // The schemas are open: an unknown key is allowed, whatever its value.
    #[derive(Serialize)]
    struct Extra {
        ignition: Ignition<&'static str>,
        bogus: Vec<Option<f64>>,
    }
    let extra = Extra {
        ignition: Ignition { version: "3.4.0" },
        bogus: vec![Some(1.5), None],
    };
    assert!(verdict(&extra, spec, &validator));
}

/// Enums, bytes, tuples and map keys, as serde_json writes them.
#[test]
fn every_shape_serde_can_emit() {
    let spec = Spec::V3_4;
    let validator = official(spec);
    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, u8),
        Struct { path: &'static str },
    }
    #[derive(Serialize)]
    struct Mapped<T> {
        ignition: Ignition<&'static str>,
        storage: BTreeMap<&'static str, T>,
    }
    let files = |shape| Mapped {
        ignition: Ignition { version: "3.4.0" },
        storage: BTreeMap::from([("files", vec![shape])]),
    };
    // A unit variant is a string, the others `{"Variant": …}`: an object
    // without the file's `path`.
    for shape in [
        Shape::Unit,
        Shape::Newtype(1),
        Shape::Tuple(1, 2),
        Shape::Struct { path: "/a" },
    ] {
        assert!(!verdict(&files(shape), spec, &validator));
    }
    // Under an unknown key every shape is fine.
    for shape in [
        Shape::Unit,
        Shape::Newtype(1),
        Shape::Tuple(1, 2),
        Shape::Struct { path: "/a" },
    ] {
        let config = Mapped {
            ignition: Ignition { version: "3.4.0" },
            storage: BTreeMap::from([("other", shape)]),
        };
        assert!(verdict(&config, spec, &validator));
    }
    // A struct variant named like a property is checked by its schema.
    #[derive(Serialize)]
    enum Wrapped {
        #[serde(rename = "ignition")]
        Ignition { version: u8 },
    }
    assert!(!verdict(
        &Wrapped::Ignition { version: 3 },
        spec,
        &validator
    ));
    // So are a tuple variant's items and a newtype variant's value.
    #[derive(Serialize)]
    enum Listed {
        #[serde(rename = "files")]
        Pair(File<u16>, File<u16>),
        #[serde(rename = "files")]
        Odd(File<u16>, u8),
        #[serde(rename = "files")]
        One(Vec<File<&'static str>>),
    }
    let listed = |files| Top {
        ignition: Ignition { version: "3.4.0" },
        storage: files,
    };
    let file = || File {
        path: "/a",
        mode: Some(420),
    };
    assert!(verdict(
        &listed(Listed::Pair(file(), file())),
        spec,
        &validator
    ));
    assert!(!verdict(&listed(Listed::Odd(file(), 1)), spec, &validator));
    let named = File {
        path: "/a",
        mode: Some("420"),
    };
    assert!(!verdict(
        &listed(Listed::One(vec![named])),
        spec,
        &validator
    ));
    // Bytes are an array of integers; a tuple an array.
    #[derive(Serialize)]
    struct Arguments {
        ignition: Ignition<&'static str>,
        #[serde(rename = "kernelArguments")]
        kernel_arguments: BTreeMap<&'static str, Bytes>,
    }
    let arguments = |bytes| Arguments {
        ignition: Ignition { version: "3.4.0" },
        kernel_arguments: BTreeMap::from([("shouldExist", Bytes(bytes))]),
    };
    assert!(!verdict(&arguments(b"ab"), spec, &validator));
    assert!(verdict(&arguments(b""), spec, &validator));
    assert!(!verdict(
        &(Ignition { version: "3.4.0" }, 1),
        spec,
        &validator
    ));
    // A map key serde_json would turn into a string is not proven.
    let numbered = BTreeMap::from([(1_u8, "x")]);
    let subset = subset(spec).expect("a table");
    assert!(!proves_valid(subset, &numbered));
    // A `Serialize` impl that fails is not proven.
    struct Failing;
    impl Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }
    assert!(!proves_valid(subset, &Failing));
}

/// Serializes as bytes (what `serde_bytes` does), without the dependency.
struct Bytes(&'static [u8]);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}
