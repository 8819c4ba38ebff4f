//! See `tests/fuzz/bodies.rs`: no input may panic.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::butane_yaml(data));
