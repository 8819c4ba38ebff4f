//! What every test module shares.
//!
//! - [`paths`]: the repository, the example identity, the corpora, fixtures.
//! - [`cli`]: the built binary, run with an explicitly chosen identity.
//! - [`fleet`]: small fleets in temporary directories, and helpers to look
//!   at what they compile to.
//! - [`build_dir`]: what a build's output directory shows, and whether it
//!   holds one whole build.
//! - [`certs`]: a CA and the certificates it issues, with fixed dates (also
//!   included by the unit tests of `kindling::fleet::certs`).
//! - [`example`]: the example fleet at the repository root, compiled or
//!   copied.
//! - [`tools`]: where the end-to-end tools are, and the `KINDLING_E2E` gate
//!   (skip with a printed reason when a tool is missing, fail when
//!   `KINDLING_E2E=1`).
//! - [`checker`]: the generic judge "config vs applied tree" (no-VM or VM).
//! - [`ignition`]: apply a config to a scratch root with the real Ignition
//!   (Debian's 2.14) in a private namespace, and inspect the result.
//! - [`quadlet`]: trixie's Quadlet generator and `systemd-analyze verify`.
//! - [`liveiso`]: test live ISOs mastered with xorriso in each CoreOS
//!   live-ISO generation's layout, optionally bootable.
//! - [`vmboot`]: the cached kernel + initramfs that runs Ignition in a VM,
//!   and the parser for what it prints on the console.
//!
//! The end-to-end tools are installed by `tests/e2e/install-deps.sh`.

pub mod build_dir;
pub mod certs;
pub mod checker;
pub mod cli;
pub mod example;
pub mod fleet;
pub mod ignition;
pub mod liveiso;
pub mod paths;
pub mod quadlet;
pub mod tools;
pub mod vmboot;

/// The build time fleet tests compile at (2027-01-01T00:00:00Z), so
/// certificate checks do not depend on the clock.
pub const BUILD_TIME: i64 = 1_798_761_600;

/// Straight to the process's stderr, past libtest's output capture, so what
/// the end-to-end tests measure shows in a plain `cargo test` run.
pub fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{text}");
}
