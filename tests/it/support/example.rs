//! The example fleet at the repository root (the hecate realm): compiled
//! the way `kindling build --identity tests/fixtures/example-identity.txt`
//! does, or copied to a temporary directory for tests that change it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use kindling::fleet::{self, HostOutput, secrets::Identities};
use kindling::ignition::spec::Spec;

use super::paths;

/// What makes up the example fleet at the repository root.
const FLEET_PARTS: [&str; 6] = [
    "fleet.yaml",
    "hosts",
    "containers",
    "templates",
    "snippets",
    "secrets",
];

/// The example fleet's hosts: the files under `hosts/`.
pub fn host_names() -> BTreeSet<String> {
    fs::read_dir(paths::repo_root().join("hosts"))
        .expect("hosts/")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yaml")
                .or_else(|| name.strip_suffix(".bu"))
                .map(str::to_string)
        })
        .collect()
}

/// Compiles `hosts` (all when empty) for `target`; panics with the findings
/// when the fleet has errors.
pub fn compile(hosts: &[&str], target: Option<Spec>) -> Vec<HostOutput> {
    let identities =
        Identities::load(Some(&paths::identity_file()), None).expect("the example identity loads");
    let build = fleet::compile(&fleet::Options {
        root: paths::repo_root(),
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        target,
        identities,
        now: Some(super::BUILD_TIME),
        out: None,
    });
    let errors: Vec<String> = build
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.raw())
        .collect();
    assert!(errors.is_empty(), "the example fleet fails: {errors:#?}");
    build.outputs
}

/// A copy of the example fleet in a temporary directory: `(keep, root)`,
/// where `root` (`<keep>/fleet`) lives as long as `keep`.
pub fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("fleet");
    for part in FLEET_PARTS {
        let from = paths::repo_root().join(part);
        if from.exists() {
            copy_tree(&from, &root.join(part));
        }
    }
    (dir, root)
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("mkdir");
        for entry in fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::copy(from, to).expect("copy");
    }
}
