//! kindling: compile CoreOS fleets and Butane configs into Ignition.
//!
//! The pipeline runs one way: load (`yaml`) → decode and check
//! (`butane::model`, `butane::check`) → translate (`butane::translate`,
//! `butane::sugar`) → encode (`encode`) → validate (`validate`) → write
//! (`write`). `diag` carries findings alongside; `cli` (arguments) and
//! `cmd` (one module per command) are the binary's edge; `vm` boots a
//! compiled config in qemu. Beside the pipeline, `source` loads a config
//! from Ignition JSON, Butane or a fleet host manifest, `inspect` lists,
//! extracts and decompiles it, and `diff` compares two configs
//! semantically. `secret` is the flag, set where a secret is placed, that
//! marks what of a config is secret (written 0600); `mask` hides it in
//! everything `inspect` and `diff` print. No unsafe code anywhere in the
//! package (`unsafe_code = "forbid"` in `Cargo.toml`).

#![forbid(unsafe_code)]

pub mod build_info;
pub mod butane;
pub mod cli;
pub mod cmd;
pub mod confine;
pub mod dataurl;
pub mod diag;
pub mod diff;
pub mod digest;
pub mod encode;
pub mod fleet;
mod go;
pub mod ignition;
pub mod import;
pub mod inspect;
#[cfg(unix)]
mod large_file_io;
pub mod mask;
pub mod memo;
#[cfg(test)]
mod module_graph;
pub mod provision;
pub mod quadlet;
pub mod secret;
pub mod serve;
pub mod source;
pub mod suggest;
pub mod validate;
pub mod vm;
pub mod write;
pub mod yaml;
