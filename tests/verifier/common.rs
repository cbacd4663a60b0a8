//! Shared fixtures: interpreters, a rendered task, process checks.

use std::path::PathBuf;
use std::time::Duration;

use rslm::tasks::Task;
use rslm::tasks::families;
use rslm::tasks::render::render;
use rslm::verify::{Mode, Verifier, VerifierConfig};

pub use crate::support::serial;

/// The interpreter with pytest (`RSLM_PYTHON`), or `None` after saying why the test is skipped.
pub fn pytest_python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RSLM_PYTHON") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!(
                "SKIPPED {test}: pytest mode needs RSLM_PYTHON pointing at a Python with pytest \
                 (run scripts/python_env.sh, then RSLM_PYTHON=.rslm/venv/bin/python)"
            );
            None
        }
    }
}

pub fn config(mode: Mode, python: Option<PathBuf>, timeout: Duration) -> VerifierConfig {
    VerifierConfig {
        mode,
        python,
        workers: 2,
        timeout,
        memory_limit_mb: 0,
        spawn_per_candidate: false,
        project_env: false,
    }
}

/// A verifier for `mode`, or `None` (skipped, with a message) for pytest mode without pytest.
pub fn verifier(mode: Mode, test: &str) -> Option<Verifier> {
    verifier_without(mode, test, "")
}

/// [`verifier`] with the named layers left out (`fork`: candidates spawned as on Windows and
/// macOS).
pub fn verifier_without(mode: Mode, test: &str, disable: &str) -> Option<Verifier> {
    let (python, timeout) = match mode {
        Mode::Fast => (None, Duration::from_millis(500)),
        Mode::Pytest => (Some(pytest_python(test)?), Duration::from_secs(5)),
    };
    Some(
        Verifier::start_with_disabled(config(mode, python, timeout), disable)
            .expect("verifier starts"),
    )
}

/// `add_const_1(n)`: returns n + 1. Rendered exactly as bundled tasks are.
pub fn add_one_task() -> Task {
    let family = families::all()
        .into_iter()
        .find(|f| f.name() == "add_const")
        .expect("add_const family");
    let task = render(&family.build(40), family.name());
    assert_eq!(task.function_name, "add_const_1");
    task
}

/// Live processes per warm worker: the worker (tests, verdicts) and its zygote (forks candidates).
pub const PROCESSES_PER_WORKER: usize = 2;

pub const ADD_ONE: &str = "def add_const_1(n):\n    return n + 1\n";

/// Live processes (pid, state) whose command line contains `needle`.
pub fn processes_matching(needle: &str) -> Vec<(u32, char)> {
    let mut found = Vec::new();
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next())
                .unwrap_or('?');
            found.push((pid, state));
        }
    }
    found
}

/// Waits briefly (processes take a moment to die), then returns what is still there.
pub fn leftovers(needle: &str) -> Vec<(u32, char)> {
    for _ in 0..50 {
        let found = processes_matching(needle);
        if found.is_empty() {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    processes_matching(needle)
}
