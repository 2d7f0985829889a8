#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let vars: Vec<String> = ["x1", "x2", "x3", "e"].iter().map(|s| s.to_string()).collect();
        let _ = polyact::pop::parse::parse_polynomial(text, &vars);
        let _ = polyact::pop::parse::variable_names(text);
    }
});
