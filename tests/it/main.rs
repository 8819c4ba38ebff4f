//! kindling's integration tests: one binary (linked once), one module per
//! area, all sharing [`support`] (how the binary is run, with which age
//! identity; small fleets; corpus paths; the end-to-end tools).
//!
//! `cargo test --test it MODULE::` runs one area, e.g. `fleet::` or
//! `e2e_vm_boot::`. The `e2e_*` modules need the tools from
//! `tests/e2e/install-deps.sh`: without them they print `skipped: ...` and
//! pass, and `KINDLING_E2E=1` makes them mandatory.

mod support;

mod butane_corpus;
mod butane_docs;
mod butane_dropin;
mod butane_variants;
mod certs;
mod cli_errors;
mod completions;
mod confine;
mod e2e_bulk_drive;
mod e2e_configs_apply;
mod e2e_ignition_harness;
mod e2e_iso_boot;
mod e2e_pxe_boot;
mod e2e_quadlet_judge;
mod e2e_vm_boot;
mod fleet;
mod fleet_diff;
mod fleet_example;
mod fuzz_bodies;
mod hostile_fleet;
mod import;
mod init;
mod inspect;
mod install_block;
mod iso;
mod manifest_keys;
mod named_ports;
mod os_target;
mod platform_rules;
mod provision_install;
mod publication;
mod pxe;
mod quadlet_corpus;
mod quadlet_escapes;
mod quadlet_routes;
mod rendered_locations;
mod schemas;
mod secret_cmd;
mod secrets;
mod serve;
mod tutorial;
mod vm_inputs;
mod yaml_errors;
