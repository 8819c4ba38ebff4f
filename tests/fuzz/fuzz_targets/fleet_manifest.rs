//! See `tests/fuzz/bodies.rs`: no input may panic. The fleet lives in one
//! directory per process (under `/dev/shm` when it exists, for speed).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[path = "../bodies.rs"]
mod bodies;

fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        base.join(format!("kindling-fuzz-{}", std::process::id()))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::fleet_manifest(root(), data));
