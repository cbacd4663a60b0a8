//! Shared helpers: the binary under test with a clean `RSLM_*` environment.

use assert_cmd::Command;

/// `rslm` with every `RSLM_*` variable of the calling environment removed, except the Python
/// interpreter the test suite provides.
pub fn rslm() -> Command {
    let mut cmd = Command::cargo_bin("rslm").expect("rslm binary builds");
    for (key, _) in std::env::vars() {
        if key.starts_with("RSLM_") && key != "RSLM_PYTHON" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A temporary folder that lives as long as the test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}
