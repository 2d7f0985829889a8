//! Helpers shared by the integration tests that run the `polyact` binary.
#![allow(dead_code)]

use std::process::Command;

/// Run `polyact` with `args`: (success, stdout, stderr).
pub fn polyact(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_polyact"))
        .args(args)
        .output()
        .expect("run polyact");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Write `text` to a file `name` in a per-process temporary directory tagged `tag`; returns its path.
pub fn temp_file(tag: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("polyact-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// `polyact args` fails with a one-line `error: …` message containing `needle`, and does not panic.
pub fn assert_clean_failure(args: &[&str], needle: &str) {
    let (ok, _, err) = polyact(args);
    assert!(!ok, "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one-line error expected, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}
