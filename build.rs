//! Two jobs: the Ignition JSON schemas are embedded without their
//! indentation, and the `kindling` binary is linked as a position-dependent
//! executable on Linux/glibc (`-no-pie`).
//!
//! The schemas under `src/ignition/schema/` are the official documents,
//! pretty-printed (~16 KB each); `kindling butane` parses one on every run
//! for its schema check, and half of that text is whitespace. The copies
//! in `OUT_DIR` that `src/ignition/spec.rs` embeds are the same JSON with
//! the whitespace between tokens removed (a test checks they parse to the
//! same document).
//!
//! The repository's `.cargo/config.toml` already builds a static,
//! position-dependent binary there; this covers builds without it (a
//! `RUSTFLAGS` of one's own, `cargo install` from elsewhere), which link
//! glibc dynamically. A PIE binary of this size carries ~18,000 relative
//! relocations that the dynamic loader applies at every start,
//! copy-on-writing ~85 pages of `.data.rel.ro`; a `kindling butane` run on
//! a typical file is only a couple of milliseconds, and this start-up work
//! was ~0.3-0.4 ms of it (measured with `cargo bench --bench butane`). The
//! cost: the executable's own image is not address-randomised (its
//! libraries, heap and stack still are). Only the binary is affected, not
//! tests or benches.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    minify_schemas();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

fn minify_schemas() {
    let source = Path::new("src/ignition/schema");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let entries = std::fs::read_dir(source).expect("src/ignition/schema is readable");
    for entry in entries {
        let path = entry.expect("a schema directory entry").path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("a schema is UTF-8 text");
        let name = path.file_name().expect("a schema file has a name");
        std::fs::write(Path::new(&out).join(name), minify(&text)).expect("OUT_DIR is writable");
    }
}

/// `json` without the whitespace between tokens (strings are kept whole).
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}
