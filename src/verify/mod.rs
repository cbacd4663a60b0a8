//! The verifier: runs a candidate against a task's hidden tests in an isolated Python process and
//! returns a verdict. Only candidates it passes become memory or training data, so it must be
//! hard to fool (an explicit verdict written by the harness after every test ran, type-strict
//! comparisons) and fast (a pool of warm Python workers that fork per candidate).
//!
//! How: [`Verifier::start`] resolves the interpreter once (`python.rs`), writes `harness.py` into
//! a private temp dir and starts a pool of workers (`pool.rs`, `worker.rs`), each a Python process
//! driven over a Unix socket with JSON lines. Per candidate, a worker forks a child that gets its
//! own process group, a fresh temp dir as cwd, a scrubbed environment, rlimits (CPU, address
//! space, file size, open files) and a Landlock domain (writes only in its dir, no TCP, signals
//! scoped), inside the worker's user + network namespace and pids cgroup. The child imports the
//! candidate as `solution`, runs the tests (fast: assert lines or plain test functions called
//! directly; pytest: `pytest.main` with the test file deleted after collection) and reports one
//! line on a private pipe, tagged with a per-run nonce and its pid, then `_exit`s. The worker
//! watches the child through a pidfd (never waiting for pipe EOF), kills its group at the
//! deadline, kills and reaps whatever it left (the worker is a child subreaper), and answers.
//! What each machine allows is reported by [`Verifier::isolation`].
//!
//! Known limits, by design of an in-process harness: the candidate shares its process with the
//! tests, so code that deliberately introspects the interpreter (`gc`, frames) can find the
//! nonce or patch the test helpers; only `builtins` are snapshot and restored, not other
//! modules; reads are not confined (Landlock is applied to writes only).

pub mod config;
mod isolation;
pub mod pass_at_k;
mod pool;
mod python;
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
