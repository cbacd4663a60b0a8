//! What the tests share: the binary under test, the fake OpenAI server, the tiny add task set,
//! the generic cheats, and the lock that runs heavy tests one at a time.

pub mod add_tasks;
pub mod fake_openai;
pub mod hostile_cheats;

use std::sync::{Mutex, MutexGuard};

use assert_cmd::Command;

/// Tests that fork many processes or lean on timeouts run one at a time, so a fork bomb in one
/// test cannot push an honest candidate in another past its deadline. One lock for the whole
/// test binary: every module's heavy tests hold it.
static HEAVY: Mutex<()> = Mutex::new(());

/// Held for the whole of a heavy test (a panic in another one does not poison it for the rest).
pub fn serial() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

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
