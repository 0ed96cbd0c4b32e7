#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pinion_fuzz::run("pylock", data));
