//! Ignition JSON as `inspect` and `diff` read it: parsing (any spec),
//! the listing with decoded contents, decompiling to Butane and a
//! semantic diff against itself. No input may panic.
#![no_main]

use kindling::{diff, inspect, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((config, spec)) = source::parse_ignition(data, "fuzz.ign") else {
        return;
    };
    let _ = inspect::listing::list(&config, spec);
    let _ = inspect::decompile::decompile(&config, spec);
    let _ = diff::diff_configs(&config, &config);
});
