//! The public verifier: resolves the interpreter once, starts a pool of warm workers, and turns
//! each candidate into a [`Verdict`]. Thread-safe: the pipeline calls `verify` from many threads.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::pool::Pool;
use super::python;
use super::worker::{self, Failure, Launch, Request};
use super::{Isolation, Mode, Verdict, VerdictKind, VerifierConfig};
use crate::tasks::Task;

/// The worker script, written into the verifier's private temp dir at start: on Linux the
/// confinement layers (Landlock, seccomp, capabilities, pids cgroups), then the worker itself,
/// then its way of spawning candidates where it cannot fork them (and the entry point).
#[cfg(target_os = "linux")]
const HARNESS_PY: &str = concat!(
    include_str!("confine.py"),
    include_str!("harness.py"),
    include_str!("spawned.py")
);
#[cfg(not(target_os = "linux"))]
const HARNESS_PY: &str = concat!(include_str!("harness.py"), include_str!("spawned.py"));

/// Time a worker gets beyond the candidate's deadline to kill, reap and clean up.
const CLEANUP_GRACE: Duration = Duration::from_secs(10);

/// Longest log kept in a verdict, in bytes.
pub const LOG_CAP: usize = 8000;

/// Environment variable naming isolation layers or optimisations to leave out (`landlock`,
/// `seccomp`, `netns`, `pids`, `pytest-config`; `fork`: spawn each candidate as a fresh
/// interpreter, as on Windows and macOS), for diagnosing a machine where one misbehaves.
/// Never needed in normal use; the judge's separation from the candidate cannot be left out.
pub const DISABLE_ENV: &str = "RSLM_VERIFY_DISABLE";

/// Runs candidates against hidden tests in isolated, forked Python processes.
pub struct Verifier {
    mode: Mode,
    timeout: Duration,
    memory_mb: u64,
    spawn_per_candidate: bool,
    workers: usize,
    python: std::path::PathBuf,
    isolation: Isolation,
    pytest_version: Option<String>,
    // Declared before `root` so workers die before their directory is removed.
    pool: Pool,
    root: tempfile::TempDir,
}

impl Verifier {
    /// Resolves the interpreter, starts the workers and checks they can run the mode (pytest
    /// mode fails here, with how to fix it, when pytest is not importable).
    pub fn start(config: VerifierConfig) -> anyhow::Result<Verifier> {
        let disable = std::env::var(DISABLE_ENV).unwrap_or_default();
        Verifier::start_with_disabled(config, &disable)
    }

    /// Like [`Verifier::start`], leaving out the named layers (`landlock`, `netns`, `pids`,
    /// `pytest-config`; comma-separated). For diagnosis and for tests of the paths taken
    /// without them.
    pub fn start_with_disabled(config: VerifierConfig, disable: &str) -> anyhow::Result<Verifier> {
        // Nothing a candidate runs may read this process's memory or /proc/<pid>/environ (which
        // holds RSLM_API_KEY): a non-dumpable process needs CAP_SYS_PTRACE for either, and every
        // candidate has dropped all capabilities. Harmless where it fails.
        crate::platform::forbid_memory_reading();
        let requested = python::requested(config.python.as_deref());
        let mut interpreter = python::resolve(&requested)?;
        if config.mode == Mode::Pytest && config.project_env && !interpreter.has_pytest {
            if let Some(found) = super::project_env::find_or_set_up(&interpreter)? {
                interpreter = found;
            }
        }
        remove_stale_work_dirs();
        let root = tempfile::Builder::new()
            .prefix(&format!("{WORK_DIR_PREFIX}{}-", std::process::id()))
            .tempdir()
            .context("cannot create the verifier's temp dir")?;
        let harness = root.path().join("harness.py");
        std::fs::write(&harness, HARNESS_PY)
            .with_context(|| format!("cannot write {}", harness.display()))?;
        let launch = Launch {
            python: interpreter.executable.clone(),
            python_version: interpreter.version,
            harness,
            root: root.path().to_path_buf(),
            mode: config.mode,
            disable: disable.to_string(),
            spawned: !crate::platform::FORKS_CANDIDATES || disable.split(',').any(|d| d == "fork"),
        };
        let workers = config.effective_workers();
        let pool = Pool::new(launch, workers);
        let first = if config.spawn_per_candidate {
            1
        } else {
            workers
        };
        let ready = pool
            .fill(first)
            .map_err(|e| start_error(config.mode, &interpreter.executable, &format!("{e:#}")))?;
        let mut isolation = ready
            .isolation
            .context("the worker did not report its isolation")?;
        isolation.warm_workers = !config.spawn_per_candidate;
        Ok(Verifier {
            mode: config.mode,
            timeout: config.effective_timeout(),
            memory_mb: config.effective_memory_mb(),
            spawn_per_candidate: config.spawn_per_candidate,
            workers,
            python: interpreter.executable,
            isolation,
            pytest_version: ready.pytest,
            pool,
            root,
        })
    }

    /// Runs `code` against the task's hidden tests. Never panics and never returns an error: a
    /// broken harness or machine is an `infra` verdict, which no caller counts against a model.
    pub fn verify(&self, task: &Task, code: &str) -> Verdict {
        let started = Instant::now();
        let (kind, tests) = match self.tests_for(task) {
            Ok(found) => found,
            Err(why) => return Verdict::infra(why),
        };
        let request = Request {
            code,
            function_name: &task.function_name,
            kind,
            tests,
            cpu_budget: self.timeout.as_secs_f64(),
            timeout: super::config::wall_limit(self.timeout).as_secs_f64(),
            memory_mb: self.memory_mb,
        };
        let mut worker = match self.pool.acquire() {
            Ok(worker) => worker,
            Err(e) => return Verdict::infra(format!("cannot start a Python worker: {e:#}")),
        };
        let deadline =
            Instant::now() + super::config::hard_wall_limit(self.timeout) + CLEANUP_GRACE;
        match worker.run(&request, deadline) {
            Ok(response) => {
                if self.spawn_per_candidate || response.retire {
                    self.pool.discard(worker);
                } else {
                    self.pool.release(worker);
                }
                Verdict {
                    verdict: response.verdict,
                    tests_run: response.tests_run,
                    tests_passed: response.tests_passed,
                    first_failure: response.first_failure,
                    log: cap(response.log),
                    duration_ms: response.duration_ms,
                }
            }
            Err(failure) => {
                let candidate = failure.candidate();
                self.pool.discard(worker);
                if let Some(pid) = candidate {
                    worker::kill_candidate(pid);
                }
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                let (kind, log) = match failure {
                    Failure::Died { candidate: Some(_) } => (
                        VerdictKind::Crash,
                        "the worker process died while running this candidate (did the candidate kill its parent?); it was replaced".to_string(),
                    ),
                    Failure::Unresponsive { candidate: Some(_) } => (
                        VerdictKind::Timeout,
                        "the worker stopped answering while running this candidate (frozen or stopped); it was killed and replaced".to_string(),
                    ),
                    Failure::Died { candidate: None } => (
                        VerdictKind::Infra,
                        "the worker died before the candidate started".to_string(),
                    ),
                    Failure::Unresponsive { candidate: None } => (
                        VerdictKind::Infra,
                        "the worker did not start the candidate in time".to_string(),
                    ),
                    Failure::Protocol(why) => (VerdictKind::Infra, why),
                };
                Verdict::without_tests(kind, log, ms)
            }
        }
    }

    /// The isolation layers in force for every candidate.
    pub fn isolation(&self) -> &Isolation {
        &self.isolation
    }

    /// The real interpreter the workers run.
    pub fn python(&self) -> &Path {
        &self.python
    }

    /// How many candidates run at once (the pool's size).
    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The wall-clock limit per candidate.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// pytest's version, in pytest mode.
    pub fn pytest_version(&self) -> Option<&str> {
        self.pytest_version.as_deref()
    }

    /// The private directory holding the harness and the candidates' temp dirs.
    pub fn work_dir(&self) -> &Path {
        self.root.path()
    }

    fn tests_for(&self, task: &Task) -> Result<(&'static str, serde_json::Value), String> {
        let has_module = !task.reference_tests.trim().is_empty();
        match self.mode {
            Mode::Pytest if has_module => Ok((
                "pytest",
                serde_json::Value::String(task.reference_tests.clone()),
            )),
            Mode::Pytest => Err(format!(
                "task {} has no reference_tests for pytest mode (use fast mode)",
                task.task_id
            )),
            Mode::Fast if !task.assert_tests.is_empty() => {
                Ok(("asserts", serde_json::json!(task.assert_tests)))
            }
            Mode::Fast if has_module => Ok((
                "module",
                serde_json::Value::String(task.reference_tests.clone()),
            )),
            Mode::Fast => Err(format!("task {} has no tests", task.task_id)),
        }
    }
}

/// The verifier's temp dir is `{temp}/rslm-verify-{pid}-XXXXXX`.
const WORK_DIR_PREFIX: &str = "rslm-verify-";

/// Removes the temp dirs of verifiers whose process is gone (killed before it could clean up;
/// its workers exit by themselves when their socket closes).
fn remove_stale_work_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(WORK_DIR_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !crate::platform::process_alive(i64::from(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start_error(mode: Mode, python: &Path, error: &str) -> anyhow::Error {
    if mode == Mode::Pytest && error.contains("pytest") {
        anyhow::anyhow!(
            "pytest mode needs pytest, which {} cannot import ({error}). Create the project's \
             environment with `scripts/python_env.sh` (a venv in .rslm/venv with pytest) and \
             point rslm at it with RSLM_PYTHON=.rslm/venv/bin/python, or verify with fast mode \
             (--fast or RSLM_FAST_VERIFY=1)",
            python.display()
        )
    } else {
        anyhow::anyhow!(
            "cannot start the verifier's Python worker ({}): {error}",
            python.display()
        )
    }
}

fn cap(mut log: String) -> String {
    if log.len() > LOG_CAP {
        let mut end = LOG_CAP;
        while !log.is_char_boundary(end) {
            end -= 1;
        }
        log.truncate(end);
        log.push_str("\n[log truncated]");
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_logs_on_a_char_boundary() {
        let log = "é".repeat(LOG_CAP);
        let capped = cap(log);
        assert!(capped.len() <= LOG_CAP + 20);
        assert!(capped.ends_with("[log truncated]"));
    }

    #[test]
    fn verifier_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Verifier>();
    }
}
