//! Parses arbitrary bytes; every line that parses must survive being written back and parsed
//! again unchanged, and the parser must never panic. The checks are the property tests' own
//! (`tests/roundtrip.rs`), shared through `tests/common`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::check_round_trip(data);
});
