//! The fuzz targets' bodies (`tests/fuzz/bodies.rs`) run on their seeds:
//! every corpus Butane file and reference output, every corpus Quadlet
//! file as each unit kind, and the example fleet's manifests in each role.
//! This keeps the bodies compiling against the library and proves the seeds
//! a fuzzing run starts from do not panic.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::paths;

#[path = "../fuzz/bodies.rs"]
mod bodies;

fn files(dir: &Path, extension: Option<&str>) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .filter(|path| extension.is_none_or(|ext| path.extension().is_some_and(|e| e == ext)))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no seeds in {}", dir.display());
    found
}

fn with_selector(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut input = vec![selector];
    input.extend_from_slice(bytes);
    input
}

#[test]
fn butane_and_ignition_seeds_do_not_panic() {
    for file in files(&paths::butane_corpus(), Some("bu")) {
        bodies::butane_yaml(&fs::read(&file).expect("seed"));
    }
    for file in files(&paths::butane_corpus().join("expected"), Some("ign")) {
        bodies::ignition_json(&fs::read(&file).expect("seed"));
    }
}

#[test]
fn quadlet_seeds_do_not_panic_as_any_kind() {
    for file in files(&paths::quadlet_corpus(), None) {
        let bytes = fs::read(&file).expect("seed");
        for selector in 0..9 {
            bodies::quadlet_file(&with_selector(selector, &bytes));
        }
    }
}

#[test]
fn example_manifests_do_not_panic_in_any_role() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = paths::repo_root();
    let mut seeds = vec![repo.join("fleet.yaml")];
    seeds.extend(files(&repo.join("hosts"), Some("yaml")));
    seeds.extend(files(&repo.join("containers"), Some("yaml")));
    seeds.extend(files(&repo.join("containers"), Some("container")));
    for seed in seeds {
        let bytes = fs::read(&seed).expect("seed");
        for selector in 0..4 {
            bodies::fleet_manifest(root.path(), &with_selector(selector, &bytes));
        }
    }
}
