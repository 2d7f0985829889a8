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
