//! Honest candidates in both modes: verdict kinds, first failures, concurrency, start-up errors.

use std::time::Duration;

use rslm::verify::{Mode, VerdictKind, Verifier, VerifierConfig};

use super::common::*;

pub(super) fn check_basic_verdicts(verifier: &Verifier) {
    let task = add_one_task();
    let pass = verifier.verify(&task, ADD_ONE);
    assert_eq!(pass.verdict, VerdictKind::Pass, "{pass:#?}");
    assert!(pass.tests_run >= 5 && pass.tests_passed == pass.tests_run);

    let wrong = verifier.verify(&task, "def add_const_1(n):\n    return n + 2\n");
    assert_eq!(wrong.verdict, VerdictKind::Fail, "{wrong:#?}");
    assert_eq!(wrong.tests_passed, 0);
    assert!(wrong.first_failure.is_some());

    let raises = verifier.verify(&task, "def add_const_1(n):\n    return n / 0\n");
    assert_eq!(raises.verdict, VerdictKind::Error, "{raises:#?}");
    assert!(raises.log.contains("ZeroDivisionError"), "{}", raises.log);

    let syntax = verifier.verify(&task, "def add_const_1(n) return n\n");
    assert_eq!(syntax.verdict, VerdictKind::Error);
    assert_eq!(syntax.first_failure.as_deref(), Some("import"));
    assert!(syntax.log.contains("SyntaxError"), "{}", syntax.log);

    let missing = verifier.verify(&task, "def something_else(n):\n    return n + 1\n");
    assert_eq!(missing.verdict, VerdictKind::Error);
    assert!(missing.log.contains("add_const_1"), "{}", missing.log);

    let partly = verifier.verify(
        &task,
        "def add_const_1(n):\n    return n + 1 if n >= 0 else n\n",
    );
    assert_eq!(partly.verdict, VerdictKind::Fail, "{partly:#?}");
    assert!(partly.tests_passed > 0 && partly.tests_passed < partly.tests_run);

    let int_for_float = verifier.verify(&task, "def add_const_1(n):\n    return float(n + 1)\n");
    assert_eq!(
        int_for_float.verdict,
        VerdictKind::Fail,
        "type-strict: 2.0 is not 2"
    );
}

#[test]
fn fast_mode_verdicts() {
    let _serial = serial();
    let verifier = verifier(Mode::Fast, "fast_mode_verdicts").unwrap();
    check_basic_verdicts(&verifier);
}

#[test]
fn pytest_mode_verdicts() {
    let _serial = serial();
    let Some(verifier) = verifier(Mode::Pytest, "pytest_mode_verdicts") else {
        return;
    };
    assert!(verifier.pytest_version().is_some());
    check_basic_verdicts(&verifier);
}

#[test]
fn pytest_mode_without_the_reused_config_or_any_optional_layer() {
    let _serial = serial();
    let Some(python) = pytest_python("pytest_mode_fallbacks") else {
        return;
    };
    let config = config(Mode::Pytest, Some(python), Duration::from_secs(5));
    let verifier =
        Verifier::start_with_disabled(config, "pytest-config,landlock,netns,pids").unwrap();
    let line = verifier.isolation().to_string();
    assert!(
        line.contains("missing: network namespace, pids cgroup, landlock"),
        "{line}"
    );
    check_basic_verdicts(&verifier);
}

#[test]
fn fast_mode_without_assert_tests_calls_the_plain_test_functions() {
    let _serial = serial();
    let verifier = verifier(Mode::Fast, "fast_mode_module").unwrap();
    let mut task = add_one_task();
    task.assert_tests.clear();
    let pass = verifier.verify(&task, ADD_ONE);
    assert_eq!(pass.verdict, VerdictKind::Pass, "{pass:#?}");
    let fail = verifier.verify(&task, "def add_const_1(n):\n    return n\n");
    assert_eq!(fail.verdict, VerdictKind::Fail);
    assert!(fail.first_failure.unwrap().starts_with("test_"));

    // A module written the original's way (candidate imported at the top) works too.
    task.reference_tests =
        "from solution import *\n\ndef test_one():\n    assert add_const_1(1) == 2\n".into();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Pass);

    // Tests that need pytest fixtures are an infra problem, never the candidate's failure.
    task.reference_tests = "def test_fixture(tmp_path):\n    assert True\n".into();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Infra);
}

#[test]
fn many_threads_share_one_verifier() {
    let _serial = serial();
    let verifier = verifier(Mode::Fast, "many_threads").unwrap();
    let task = add_one_task();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let (verifier, task) = (&verifier, &task);
            scope.spawn(move || {
                for i in 0..20 {
                    let good = (t + i) % 2 == 0;
                    let code = if good {
                        ADD_ONE
                    } else {
                        "def add_const_1(n):\n    return n\n"
                    };
                    let verdict = verifier.verify(task, code);
                    let want = if good {
                        VerdictKind::Pass
                    } else {
                        VerdictKind::Fail
                    };
                    assert_eq!(verdict.verdict, want, "{verdict:#?}");
                }
            });
        }
    });
}

#[test]
fn spawn_per_candidate_gives_the_same_verdicts() {
    let _serial = serial();
    let mut config = config(Mode::Fast, None, Duration::from_secs(2));
    config.spawn_per_candidate = true;
    let verifier = Verifier::start(config).unwrap();
    assert!(
        verifier
            .isolation()
            .to_string()
            .contains("fresh interpreter per candidate")
    );
    let task = add_one_task();
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, VerdictKind::Pass);
    assert_eq!(
        verifier.verify(&task, "import os\nos._exit(0)\n").verdict,
        VerdictKind::Crash
    );
    assert_eq!(
        verifier
            .verify(&task, "def add_const_1(n):\n    return n\n")
            .verdict,
        VerdictKind::Fail
    );
}

#[test]
fn pytest_mode_without_pytest_fails_at_start_with_instructions() {
    // The bare interpreter (not the venv) has no pytest on these machines; if it does, the
    // point of the test is moot.
    let bare = std::path::PathBuf::from("python3");
    let probe = std::process::Command::new(&bare)
        .args(["-c", "import pytest"])
        .output();
    if probe.map(|o| o.status.success()).unwrap_or(true) {
        eprintln!("SKIPPED pytest_mode_without_pytest: python3 on PATH has pytest");
        return;
    }
    let config = VerifierConfig {
        python: Some(bare),
        workers: 1,
        ..VerifierConfig::new(Mode::Pytest)
    };
    let error = format!(
        "{:#}",
        Verifier::start(config).err().expect("start must fail")
    );
    assert!(error.contains("scripts/python_env.sh"), "{error}");
    assert!(error.contains("RSLM_PYTHON"), "{error}");
}

#[test]
fn resolves_the_interpreter_to_the_real_executable() {
    let verifier = Verifier::start(VerifierConfig {
        workers: 1,
        ..VerifierConfig::new(Mode::Fast)
    })
    .unwrap();
    let python = verifier.python().to_string_lossy().to_string();
    assert!(
        !python.contains("/shims/"),
        "still the pyenv shim: {python}"
    );
    assert!(verifier.python().is_absolute());
}

#[test]
fn workers_are_killed_and_reaped_on_drop() {
    let verifier = Verifier::start(VerifierConfig {
        workers: 2,
        ..VerifierConfig::new(Mode::Fast)
    })
    .unwrap();
    let root = verifier.work_dir().to_string_lossy().to_string();
    assert_eq!(processes_matching(&root).len(), 2 * PROCESSES_PER_WORKER);
    drop(verifier);
    assert_eq!(leftovers(&root), vec![], "workers survived the verifier");
    assert!(
        !std::path::Path::new(&root).exists(),
        "temp dir left behind"
    );
}

#[test]
fn removes_work_dirs_of_verifiers_killed_before_cleaning_up() {
    // No process has a pid this large (pid_max is at most 2^22).
    let stale = std::env::temp_dir().join("rslm-verify-999999999-abcdef");
    std::fs::create_dir_all(stale.join("c-1")).unwrap();
    let verifier = Verifier::start(VerifierConfig {
        workers: 1,
        ..VerifierConfig::new(Mode::Fast)
    })
    .unwrap();
    assert!(!stale.exists(), "stale work dir survived");
    let mine = verifier.work_dir().to_path_buf();
    assert!(
        mine.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!("rslm-verify-{}-", std::process::id()))
    );
}
