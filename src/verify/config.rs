//! What a caller chooses about verification; everything else is decided by the verifier.

use std::path::PathBuf;
use std::time::Duration;

use super::Mode;

/// Address-space limit of a candidate when the config says 0.
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = 1024;

/// Settings of a [`Verifier`](super::Verifier). `VerifierConfig::new(mode)` fills in defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    pub mode: Mode,
    /// The interpreter; `None` means `RSLM_PYTHON`, else `python3` from PATH.
    pub python: Option<PathBuf>,
    /// Warm workers (candidates verified at once); 0 means one per core.
    pub workers: usize,
    /// CPU-time budget per candidate (the whole test run); zero means the mode's default. The
    /// wall clock allows [`wall_limit`] of it, for candidates that sleep or block.
    pub timeout: Duration,
    /// Address-space limit per candidate in MiB; 0 means [`DEFAULT_MEMORY_LIMIT_MB`].
    pub memory_limit_mb: u64,
    /// Start a fresh interpreter per candidate instead of forking warm workers (slower; a
    /// fallback for machines where forking a warm worker misbehaves).
    pub spawn_per_candidate: bool,
    /// pytest mode with an interpreter that has no pytest: use (or set up) the project
    /// environment `.rslm/venv` of the current directory, as the commands do. Off for library
    /// callers, who choose their interpreter.
    pub project_env: bool,
}

impl VerifierConfig {
    /// The defaults for a mode: one worker per core, the mode's timeout, 1 GiB, warm workers.
    pub fn new(mode: Mode) -> VerifierConfig {
        VerifierConfig {
            mode,
            python: None,
            workers: 0,
            timeout: default_timeout(mode),
            memory_limit_mb: DEFAULT_MEMORY_LIMIT_MB,
            spawn_per_candidate: false,
            project_env: false,
        }
    }

    pub(super) fn effective_timeout(&self) -> Duration {
        if self.timeout.is_zero() {
            default_timeout(self.mode)
        } else {
            self.timeout
        }
    }

    pub(super) fn effective_workers(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }

    pub(super) fn effective_memory_mb(&self) -> u64 {
        if self.memory_limit_mb == 0 {
            DEFAULT_MEMORY_LIMIT_MB
        } else {
            self.memory_limit_mb
        }
    }
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig::new(Mode::Pytest)
    }
}

/// Fast mode 0.2 s of CPU (the bundled tasks and HumanEval's tests use a few milliseconds;
/// every runaway loop costs a worker this long), pytest mode 5 s (pytest itself takes about
/// 0.1 s of that).
pub fn default_timeout(mode: Mode) -> Duration {
    match mode {
        Mode::Fast => Duration::from_millis(200),
        Mode::Pytest => Duration::from_secs(5),
    }
}

/// The wall-clock backstop for a CPU budget: four times the budget, at least one second more.
/// CPU time is the binding limit because a loaded machine stretches wall time, not CPU time;
/// only a candidate that sleeps, blocks, or catches SIGPROF meets this deadline.
pub fn wall_limit(cpu_budget: Duration) -> Duration {
    (cpu_budget * 4).max(cpu_budget + Duration::from_secs(1))
}

/// How many times the worker extends the wall-clock backstop by [`wall_limit`] while the
/// candidate is still runnable (a loaded machine, not a sleeping candidate); must match
/// `Channel.EXTENSIONS` in harness.py.
pub const WALL_EXTENSIONS: u32 = 4;

/// The longest a worker may take for one candidate before rslm deems it unresponsive: the
/// backstop and all its extensions.
pub fn hard_wall_limit(cpu_budget: Duration) -> Duration {
    wall_limit(cpu_budget) * (1 + WALL_EXTENSIONS)
}
