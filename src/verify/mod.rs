//! The verifier: runs a candidate against a task's hidden tests and returns a verdict. Only
//! candidates it passes become memory or training data, and a self-improvement loop rewards
//! whatever passes, so the verdict must be out of the candidate's reach, and fast.
//!
//! How: [`Verifier::start`] resolves the interpreter once (`python.rs`), writes the worker script
//! (`confine.py` + `harness.py`) into a private temp dir and starts a pool of warm workers
//! (`pool.rs`, `worker.rs`), each driven over a Unix socket with JSON lines. A worker is three
//! kinds of process:
//!
//! - the worker itself, trusted and not dumpable, holds the tests and decides the verdict: fast
//!   mode runs the assert lines or plain test functions in it, pytest mode forks a judge that runs
//!   real pytest. The candidate's function there is a proxy: a call sends its arguments as plain
//!   data (exact built-in types) to the candidate's process and decodes the plain data returned.
//! - a zygote, forked before any request, so its memory never holds a test or another candidate:
//!   per candidate it forks a process and hands its socket to the worker.
//! - the candidate's process: own process group, rlimits, no capabilities, Landlock (reads of
//!   the Python installation only, writes in its own dir, no TCP, scoped signals), seccomp (no
//!   Unix sockets, ptrace or outside signals), in the zygote's user + network namespace and pids
//!   cgroup. It runs the source, then answers calls. Whatever it does changes only what it
//!   claims a call returned.
//!
//! The worker kills the candidate's group at the deadline or when the tests are done, the zygote
//! (a child subreaper) kills whatever it left. What each machine allows is reported by
//! [`Verifier::isolation`].
//!
//! Where there is no fork or no Linux (Windows, macOS; on Linux `RSLM_VERIFY_DISABLE=fork`), the
//! worker is the same trusted process but has no zygote: `spawned.py` starts each candidate as a
//! new interpreter (Windows: in its own Job Object, at Low integrity; elsewhere in its own
//! process group with rlimits), linked to the worker by a socket, and the worker talks to rslm
//! over pipes. The platform code lives in `crate::platform`.

pub mod config;
mod isolation;
pub mod pass_at_k;
mod pool;
mod project_env;
mod python;
pub mod samples;
mod verifier;
mod worker;

pub use config::{VerifierConfig, wall_limit};
pub use isolation::Isolation;
pub use verifier::Verifier;

use serde::{Deserialize, Serialize};

/// Which tests run: real pytest on `reference_tests`, or the light harness on `assert_tests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Pytest,
    Fast,
}

/// The outcome class of one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    /// The harness reported that every test ran and passed.
    Pass,
    /// A test's assertion failed.
    Fail,
    /// An exception, a syntax error or a missing function.
    Error,
    /// The CPU budget (or the wall-clock backstop) ran out; the whole process group was killed.
    Timeout,
    /// Killed by a signal or a resource limit, or exited before the harness reported.
    Crash,
    /// The harness itself failed; never counted against a model.
    Infra,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Fail => "fail",
            VerdictKind::Error => "error",
            VerdictKind::Timeout => "timeout",
            VerdictKind::Crash => "crash",
            VerdictKind::Infra => "infra",
        }
    }
}

/// The full record of one verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub tests_run: u32,
    pub tests_passed: u32,
    /// Name of the first failing test (or the stage that failed, e.g. `import`).
    pub first_failure: Option<String>,
    /// Captured output and the failure's traceback, capped.
    pub log: String,
    pub duration_ms: f64,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.verdict == VerdictKind::Pass
    }
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Pytest => "pytest",
            Mode::Fast => "fast",
        }
    }
}

impl std::fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Verdict {
    /// A verdict that no candidate code produced (the harness or the machine failed).
    pub fn infra(log: impl Into<String>) -> Verdict {
        Verdict::without_tests(VerdictKind::Infra, log, 0.0)
    }

    pub(crate) fn without_tests(
        kind: VerdictKind,
        log: impl Into<String>,
        duration_ms: f64,
    ) -> Verdict {
        Verdict {
            verdict: kind,
            tests_run: 0,
            tests_passed: 0,
            first_failure: None,
            log: log.into(),
            duration_ms,
        }
    }
}
