//! The spawned-candidate path that Windows and macOS use (no fork, no Linux layers), run here
//! with `RSLM_VERIFY_DISABLE=fork`'s switch. The verdict design must hold on it unchanged: the
//! honest verdicts, the limits every platform has (CPU time, wall clock, memory, output), and the
//! cheats that attack the harness from inside the candidate's process. Cheats that attack the
//! machine (files, sockets, other processes) are not run: what stops them here is Linux's
//! Landlock, seccomp and namespaces, which the spawned path does not have, and its isolation line
//! says so.

use std::time::Duration;

use rslm::verify::{Mode, VerdictKind, Verifier};

use super::adversarial::run_table;
use super::common::*;
use super::hostile::run_hostile_table;
use super::modes::check_basic_verdicts;

/// Adversarial cases whose defence is the same on every platform.
const PORTABLE_CASES: &[&str] = &[
    "infinite loop",
    "long sleep",
    "memory bomb, one huge allocation",
    "gigabytes of output",
    "os._exit(0) at import",
    "os._exit(0) in the function",
    "sys.exit(0) at import",
    "sys.exit(0) in the function",
    "raise SystemExit",
    "unencodable error message",
    "always-equal object",
    "int subclass that equals everything",
    "monkeypatching builtins",
    "kill of the parent process",
];

/// Cheats that attack the harness from inside the candidate's own process: none of them can
/// reach the process that decides on any platform.
const IN_PROCESS_CHEATS: &[&str] = &[
    "patch _same everywhere",
    "gc and frames: expected values",
    "gc: forged reporter and nonce",
    "module attributes patched (os.write, json.dumps, os._exit, import_module)",
    "builtins and bound helpers tampered before and after the tests start",
    "sys.modules poisoning and a meta_path import hook",
    "sys.settrace rewrites the comparison's arguments",
    "sys.stdout, excepthook and displayhook replaced",
    "atexit prints pass",
    "threads outlive the call writing to every fd",
    "signal handlers and timers forge a verdict",
    "fake verdicts on fds 0..1024",
    "ctypes scans its own memory",
    "kill of its own process group",
    "exported names shadow the tests' builtins and helpers",
    "malformed frames and hostile encodings on every fd",
    "every call raises a skip outcome",
    "object with __eq__, __reduce__, __getstate__, __repr__ payloads",
    "int subclass that equals everything",
    "str subclass that equals everything",
    "list subclass that equals everything",
    "returns a generator",
    "returns a list nested 200000 deep",
    "returns a list that contains itself",
    "returns True (a bool is an int)",
];

fn spawned(mode: Mode, test: &str) -> Option<Verifier> {
    let verifier = verifier_without(mode, test, "fork")?;
    let line = verifier.isolation().to_string();
    assert!(
        line.starts_with(
            "isolation: verdict outside the candidate's process, candidates spawned, not forked, process group, rlimits"
        ),
        "{line}"
    );
    // What the spawned path does not have is named, not implied.
    for missing in [
        "subreaper",
        "network namespace",
        "pids cgroup",
        "landlock",
        "seccomp",
    ] {
        let after = line.split("missing:").nth(1).unwrap_or_default();
        assert!(
            after.contains(missing),
            "{missing} not named missing: {line}"
        );
    }
    Some(verifier)
}

#[test]
fn spawned_candidates_fast_mode_verdicts() {
    let _serial = serial();
    let verifier = spawned(Mode::Fast, "spawned_candidates_fast_mode_verdicts").unwrap();
    check_basic_verdicts(&verifier);
}

#[test]
fn spawned_candidates_pytest_mode_verdicts() {
    let _serial = serial();
    let Some(verifier) = spawned(Mode::Pytest, "spawned_candidates_pytest_mode_verdicts") else {
        return;
    };
    check_basic_verdicts(&verifier);
    // pytest runs in the worker itself on this path: one task's test module never answers for
    // the next task's (same module name, other tests).
    let mut task = add_one_task();
    task.reference_tests =
        "from solution import add_const_1\n\ndef test_one():\n    assert add_const_1(1) == 5\n"
            .into();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Fail);
    task.reference_tests =
        "from solution import add_const_1\n\ndef test_one():\n    assert add_const_1(1) == 2\n"
            .into();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Pass);
}

#[test]
fn spawned_candidates_output_is_capped_and_reported() {
    let _serial = serial();
    let verifier = spawned(Mode::Fast, "spawned_output").unwrap();
    let task = add_one_task();
    let code = "import sys\nprint('hello from the candidate', flush=True)\nsys.stderr.write('x' * 100000)\ndef add_const_1(n):\n    return n + 1\n";
    let verdict = verifier.verify(&task, code);
    assert_eq!(verdict.verdict, VerdictKind::Pass, "{verdict:#?}");
    assert!(
        verdict.log.contains("hello from the candidate"),
        "{}",
        verdict.log
    );
    assert!(
        verdict
            .log
            .contains("[output truncated: 100025 bytes in all]"),
        "{}",
        verdict.log
    );
}

#[test]
fn spawned_candidates_a_fresh_worker_per_candidate_too() {
    let _serial = serial();
    let mut config = config(Mode::Fast, None, Duration::from_secs(2));
    config.spawn_per_candidate = true;
    let verifier = Verifier::start_with_disabled(config, "fork").unwrap();
    let task = add_one_task();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Pass);
    assert_eq!(
        verifier.verify(&task, "import os\nos._exit(0)\n").verdict,
        VerdictKind::Crash
    );
}

#[test]
fn spawned_candidates_adversarial_fast_mode() {
    run_table(
        Mode::Fast,
        "spawned_candidates_adversarial_fast_mode",
        "fork",
        Some(PORTABLE_CASES),
    );
}

#[test]
fn spawned_candidates_adversarial_pytest_mode() {
    run_table(
        Mode::Pytest,
        "spawned_candidates_adversarial_pytest_mode",
        "fork",
        Some(PORTABLE_CASES),
    );
}

#[test]
fn spawned_candidates_in_process_cheats_fast_mode() {
    run_hostile_table(
        Mode::Fast,
        "spawned_candidates_in_process_cheats_fast_mode",
        "fork",
        Some(IN_PROCESS_CHEATS),
    );
}

#[test]
fn spawned_candidates_in_process_cheats_pytest_mode() {
    run_hostile_table(
        Mode::Pytest,
        "spawned_candidates_in_process_cheats_pytest_mode",
        "fork",
        Some(IN_PROCESS_CHEATS),
    );
}
