//! Links the `kindling` binary as a position-dependent executable on
//! Linux/glibc (`-no-pie`).
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

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
