#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(cert) = polyact::relax::certificate::Certificate::from_json(text, "fuzz.cert.json")
        && let Ok(pop) = polyact::pop::file::pop_from_json(
            r#"{"variables": ["x"], "objective": "x^2 + 2*x + 1", "inequalities": ["4 - x^2"]}"#,
            "sq.json",
        )
    {
        // Small certificates only: a Gram matrix of side s costs s³ to check.
        if cert.multipliers.iter().all(|m| m.basis.len() <= 64) {
            let _ = cert.verify(&pop.pop, 1e-6);
        }
    }
});
