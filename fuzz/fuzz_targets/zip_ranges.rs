#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pinion_fuzz::run("zip_ranges", data));
