#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| qbitrr_lite::fuzzing::arr_json(data));
