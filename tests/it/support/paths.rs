//! Where the tests' inputs are: the repository (the example fleet), its
//! committed age identity, the corpora and the fixtures.

use std::path::PathBuf;

/// The repository root (the crate's manifest directory), which is also the
/// example fleet's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The throwaway age identity that decrypts the example fleet's secrets,
/// copied once per test run with mode 0600: kindling warns about an
/// identity file other users can read, and a checkout gives it 0644.
pub fn identity_file() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("example-identity-{}.txt", std::process::id()));
        let text = std::fs::read(repo_root().join("tests/fixtures/example-identity.txt"))
            .expect("the example identity");
        std::fs::write(&path, text).expect("copy the example identity");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod the example identity");
        }
        path
    })
    .clone()
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
