//! Errors that decide the exit code. Anything that is the user's mistake in how a command was
//! called is a `UsageError` (exit 2); every other failure exits 1 with its context chain.

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a failed run (bad data, unreachable server, I/O, ...).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a usage error (bad flag, bad value, bad environment variable).
pub const EXIT_USAGE: i32 = 2;

/// A mistake in how a command was invoked: reported as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns early with a `UsageError`: `usage!("--k must be at least 1")`.
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::error::UsageError(format!($($arg)*))))
    };
}

/// The exit code for an error returned by a command.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    if error.chain().any(|e| e.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}
