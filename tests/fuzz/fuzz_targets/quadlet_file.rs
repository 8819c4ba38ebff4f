//! One Quadlet file through parsing and every rule, reference check and
//! lint: no input may panic. The first byte picks the file's kind, so
//! the rules of every unit type and of drop-ins are reached.
#![no_main]

use std::collections::BTreeSet;

use kindling::quadlet::{self, ValidateOptions};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    "web.container",
    "data.volume",
    "lan.network",
    "app.pod",
    "app.kube",
    "base.image",
    "tool.build",
    "model.artifact",
    "web.container.d/10-override.conf",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let units: BTreeSet<String> = NAMES[..8].iter().map(|name| (*name).to_owned()).collect();
    let mut options = ValidateOptions::new(quadlet::DEFAULT_PODMAN_VERSION);
    options.units = Some(&units);
    let name = NAMES[usize::from(selector) % NAMES.len()];
    let _ = quadlet::validate_file(name, text, &options);
});
