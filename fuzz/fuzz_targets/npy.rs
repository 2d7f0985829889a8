#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = polyact::model::data::parse_npy(data, std::path::Path::new("fuzz.npy"));
});
