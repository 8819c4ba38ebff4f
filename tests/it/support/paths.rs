//! Where the tests' inputs are: the repository (the example fleet), its
//! committed age identity, the corpora and the fixtures.

use std::path::PathBuf;

/// The repository root (the crate's manifest directory), which is also the
/// example fleet's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The throwaway age identity that decrypts the example fleet's secrets.
pub fn identity_file() -> PathBuf {
    repo_root().join("tests/fixtures/example-identity.txt")
}

/// `tests/fixtures/<relative>`.
pub fn fixture(relative: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(relative)
}

/// The Butane corpus (`tests/corpus/butane`: `*.bu`, `files/`, `expected/`).
pub fn butane_corpus() -> PathBuf {
    repo_root().join("tests/corpus/butane")
}

/// The Quadlet corpus (`tests/corpus/quadlet`).
pub fn quadlet_corpus() -> PathBuf {
    repo_root().join("tests/corpus/quadlet")
}
