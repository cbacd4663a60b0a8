//! What the tests share: the `rslm` builder, the fake OpenAI server, the tiny add task set, the
//! generic cheats, the snapshot filters, and the lock that runs heavy tests one at a time.

pub mod add_tasks;
pub mod command;
pub mod fake_openai;
pub mod hostile_cheats;
pub mod snapshot;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Tests that fork many processes or lean on timeouts run one at a time, so a fork bomb in one
/// test cannot push an honest candidate in another past its deadline. One lock for the whole
/// test binary: every module's heavy tests hold it.
static HEAVY: Mutex<()> = Mutex::new(());

/// Held for the whole of a heavy test (a panic in another one does not poison it for the rest).
pub fn serial() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary folder that lives as long as the test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

/// The one number a query on an rslm database returns.
pub fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}
