//! Butane YAML through the whole `kindling butane` pipeline (parse,
//! decode, translate, encode, validate, serialize): no input may panic.
#![no_main]

use kindling::butane::{self, JsonStyle, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = Options {
        json: Some(JsonStyle::Compact),
        ..Options::default()
    };
    let _ = butane::compile(text, "fuzz.bu", &options);
});
