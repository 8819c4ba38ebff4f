//! Test support: the real tools that judge kindling's output.
//!
//! - [`tools`]: where the tools are, and the `KINDLING_E2E` gate (skip with a
//!   printed reason when a tool is missing, fail when `KINDLING_E2E=1`).
//! - [`checker`]: the generic judge "config vs applied tree" (no-VM or VM).
//! - [`example`]: the example fleet, compiled.
//! - [`ignition`]: apply a config to a scratch root with the real Ignition
//!   (Debian's 2.14) in a private namespace, and inspect the result.
//! - [`quadlet`]: trixie's Quadlet generator and `systemd-analyze verify`.
//! - [`vmboot`]: the cached kernel + initramfs that runs Ignition in a VM,
//!   and the parser for what it prints on the console.
//!
//! The tools are installed by `tests/e2e/install-deps.sh`.
#![allow(dead_code)]

pub mod checker;
pub mod example;
pub mod ignition;
pub mod quadlet;
pub mod tools;
pub mod vmboot;
