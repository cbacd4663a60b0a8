//! Every knob has a sane bound: a value past it is a usage error (exit 2) that names the flag
//! (or the environment variable) before any work, and nothing is created or started.

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::support::tempdir;

/// The binary, driven by `assert_cmd` (these tests chain its assertions).
fn rslm() -> assert_cmd::Command {
    assert_cmd::Command::from_std(crate::support::command::Rslm::new().into_command())
}

#[test]
fn values_past_their_bounds_are_usage_errors_naming_the_flag() {
    let dir = tempdir();
    let db = dir.path().join("never.sqlite");
    let db = db.to_string_lossy().to_string();
    let iteration = ["run-iteration", "--db", db.as_str(), "--fast"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--verify-workers", "100000"], "--verify-workers"),
        (vec!["--concurrency", "100000"], "--concurrency"),
        (vec!["--k", "100000"], "--k"),
        (vec!["--max-tokens", "10000000"], "--max-tokens"),
        (vec!["--temperature", "nan"], "--temperature"),
        (vec!["--temperature", "inf"], "--temperature"),
        (vec!["--temperature=-1"], "--temperature"),
        (vec!["--verify-timeout", "100000"], "--verify-timeout"),
        (vec!["--request-timeout", "inf"], "--request-timeout"),
    ];
    for (extra, flag) in cases {
        rslm()
            .args(iteration)
            .args(&extra)
            .assert()
            .code(2)
            .stderr(contains(flag));
    }
    let others: Vec<(Vec<&str>, &str)> = vec![
        (vec!["eval", "--db", &db, "--n", "100000"], "--n"),
        (
            vec!["self-improve", "--db", &db, "--eval-n", "5000"],
            "--eval-n",
        ),
        (
            vec!["consolidate", "--db", &db, "--min-evidence", "100000"],
            "--min-evidence",
        ),
        (
            vec!["verify", "--workers", "1000", "--task-id", "x"],
            "--workers",
        ),
        (
            vec!["verify", "--memory-mb", "10000000", "--task-id", "x"],
            "--memory-mb",
        ),
        (
            vec![
                "train-lora",
                "--db",
                &db,
                "--out",
                "x",
                "--threads",
                "100000",
            ],
            "--threads",
        ),
        (
            vec!["seed-tasks", "--regen", "--count", "100000"],
            "--count",
        ),
        (vec!["seed-tasks", "--regen", "--count", "1"], "--count"),
    ];
    for (args, flag) in others {
        rslm().args(&args).assert().code(2).stderr(contains(flag));
    }
    assert!(
        !std::path::Path::new(&db).exists(),
        "a refused command created the store"
    );
}

#[test]
fn a_temperature_from_the_environment_is_checked_and_named() {
    let dir = tempdir();
    rslm()
        .env("RSLM_TEMPERATURE", "NaN")
        .args(["run-iteration", "--fast", "--db"])
        .arg(dir.path().join("m.sqlite"))
        .assert()
        .code(2)
        .stderr(contains("RSLM_TEMPERATURE"));
}

#[test]
fn a_worker_that_cannot_start_in_time_says_what_to_do_in_words() {
    rslm()
        .env("RSLM_VERIFY_START_TIMEOUT", "0.001")
        .args([
            "verify",
            "--fast",
            "--task-id",
            "x",
            "--code-file",
            "/dev/null",
        ])
        .assert()
        .code(1)
        .stderr(contains("RSLM_VERIFY_START_TIMEOUT"))
        .stderr(contains("Unresponsive").not())
        .stderr(contains("{").not());
}
