//! The example fleet at the repository root (the hecate realm), compiled the
//! way `kindling build --identity tests/fixtures/example-identity.txt` does.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use kindling::fleet::{self, HostOutput, secrets::Identities};
use kindling::ignition::spec::Spec;

use super::tools;

/// The age identity that decrypts the example's secrets.
pub fn identity_file() -> PathBuf {
    tools::repo_root().join("tests/fixtures/example-identity.txt")
}

/// The example fleet's hosts: the files under `hosts/`.
pub fn host_names() -> BTreeSet<String> {
    fs::read_dir(tools::repo_root().join("hosts"))
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
        Identities::load(Some(&identity_file()), None).expect("the example identity loads");
    let build = fleet::compile(&fleet::Options {
        root: tools::repo_root(),
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        target,
        identities,
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
