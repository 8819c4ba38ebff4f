//! Fleet manifests through the whole fleet compiler (load, resolve,
//! render, assemble, translate, encode, validate): no input may panic.
//! The first byte picks which file the rest becomes: a host manifest, a
//! service definition, `fleet.yaml`, or a literal Quadlet file, beside a
//! small valid fleet. The fleet lives in one directory per process under
//! the system's temporary directory (`/dev/shm` when it exists).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kindling::fleet::{self, secrets::Identities};
use libfuzzer_sys::fuzz_target;

const FLEET: &str = "org: fuzz\nregistry: ghcr.io/fuzz\n";
const HOST: &str = "services:\n  - web\n  - cache\n";
const SERVICE: &str = "version: 1.0.0\nports: [\"8080:80\"]\nenv: { A: b }\n";
const QUADLET: &str = "[Container]\nImage=ghcr.io/fuzz/cache:1.0\n";

fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("kindling-fuzz-{}", std::process::id()));
        for dir in ["hosts", "containers"] {
            std::fs::create_dir_all(root.join(dir)).expect("fuzz fleet directory");
        }
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let root = root();
    let mut files = [
        ("fleet.yaml", FLEET.as_bytes()),
        ("hosts/h.yaml", HOST.as_bytes()),
        ("containers/web.yaml", SERVICE.as_bytes()),
        ("containers/cache.container", QUADLET.as_bytes()),
    ];
    files[usize::from(selector) % files.len()].1 = rest;
    for (name, bytes) in files {
        std::fs::write(root.join(name), bytes).expect("fuzz fleet file");
    }
    let options = fleet::Options {
        root: root.to_path_buf(),
        hosts: Vec::new(),
        target: None,
        identities: Identities::none(),
    };
    let _ = fleet::compile(&options);
});
