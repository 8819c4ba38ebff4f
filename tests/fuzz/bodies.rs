//! What each fuzz target does with one input, shared by the cargo-fuzz
//! targets (`tests/fuzz/fuzz_targets/`) and by the integration test
//! `fuzz_bodies`, which runs every seed through them on every `cargo test`
//! (so the bodies always compile against the library, and the seeds never
//! panic).

use std::collections::BTreeSet;
use std::path::Path;

use kindling::butane::{self, JsonStyle, Options};
use kindling::fleet::{self, secrets::Identities};
use kindling::quadlet::{self, ValidateOptions};
use kindling::{diff, inspect, source};

/// Butane YAML through the whole `kindling butane` pipeline.
pub fn butane_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = Options {
        json: Some(JsonStyle::Compact),
        ..Options::default()
    };
    let _ = butane::compile(text, "fuzz.bu", &options);
}

const QUADLET_NAMES: [&str; 9] = [
    "web.container",
    "data.volume",
    "lan.network",
    "app.pod",
    "app.kube",
    "base.image",
    "tool.build",
    "model.artifact",
    "web.container.d/10-override.conf",
];

/// One Quadlet file through parsing, every rule, reference check and
/// lint; the first byte picks the file's kind.
pub fn quadlet_file(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let units: BTreeSet<String> = QUADLET_NAMES[..8]
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    let mut options = ValidateOptions::new(quadlet::DEFAULT_PODMAN_VERSION);
    options.units = Some(&units);
    let name = QUADLET_NAMES[usize::from(selector) % QUADLET_NAMES.len()];
    let _ = quadlet::validate_file(name, text, &options);
}

/// Ignition JSON as `inspect` and `diff` read it.
pub fn ignition_json(data: &[u8]) {
    let Ok((config, spec)) = source::parse_ignition(data, "fuzz.ign") else {
        return;
    };
    let _ = inspect::listing::list(&config, spec);
    let _ = inspect::decompile::decompile(&config, spec);
    let _ = diff::diff_configs(&config, &config);
}

const FLEET: &str = "org: fuzz\nregistry: ghcr.io/fuzz\n";
const HOST: &str = "services:\n  - web\n  - cache\n";
const SERVICE: &str = "version: 1.0.0\nports: [\"8080:80\"]\nenv: { A: b }\n";
const QUADLET: &str = "[Container]\nImage=ghcr.io/fuzz/cache:1.0\n";

/// Fleet manifests through the whole fleet compiler, in a small fleet at
/// `root`; the first byte picks which file the rest becomes: `fleet.yaml`,
/// a host manifest, a service definition or a literal Quadlet file.
pub fn fleet_manifest(root: &Path, data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut files = [
        ("fleet.yaml", FLEET.as_bytes()),
        ("hosts/h.yaml", HOST.as_bytes()),
        ("containers/web.yaml", SERVICE.as_bytes()),
        ("containers/cache.container", QUADLET.as_bytes()),
    ];
    files[usize::from(selector) % files.len()].1 = rest;
    for dir in ["hosts", "containers"] {
        std::fs::create_dir_all(root.join(dir)).expect("fuzz fleet directory");
    }
    for (name, bytes) in files {
        std::fs::write(root.join(name), bytes).expect("fuzz fleet file");
    }
    let options = fleet::Options {
        root: root.to_path_buf(),
        hosts: Vec::new(),
        target: None,
        identities: Identities::none(),
        // A fixed build time keeps certificate checks reproducible.
        now: Some(1_800_000_000),
        out: Some(root.join("build")),
    };
    let _ = fleet::compile(&options);
}
