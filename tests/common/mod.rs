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

/// The test binary's temporary directory (named `polyact-TAG-…` by its first caller), removed when the
/// process exits.
fn process_temp_dir(tag: &str) -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    extern "C" fn remove_dir() {
        if let Some(d) = DIR.get() {
            let _ = std::fs::remove_dir_all(d.path());
        }
    }
    DIR.get_or_init(|| {
        // A static is never dropped: remove the directory at exit instead (libtest ends with exit).
        // SAFETY: registering a handler that only removes files.
        unsafe {
            libc::atexit(remove_dir);
        }
        tempfile::Builder::new()
            .prefix(&format!("polyact-{tag}-"))
            .tempdir()
            .unwrap()
    })
    .path()
}

/// Write `text` to a file `name` in the test binary's temporary directory (tagged `tag`, removed at exit);
/// returns its path.
pub fn temp_file(tag: &str, name: &str, text: &str) -> String {
    let p = process_temp_dir(tag).join(name);
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
