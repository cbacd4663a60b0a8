//! Ctrl-C means stop: a long mock iteration interrupted with SIGINT stops soon, keeps every task
//! it finished, marks the run `interrupted` and says how to resume. A run killed with SIGKILL,
//! which can mark nothing, is marked `interrupted` the next time the store is opened.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{count, tempdir};

/// A mock iteration of 2,000 tasks x 8 candidates (far longer than these tests let it run),
/// returned once its run is recorded in the store.
fn start_long_run(dir: &Path) -> (Child, PathBuf) {
    start_long_run_with(dir, &[])
}

/// The long run, with more arguments; the task file is made once per folder.
fn start_long_run_with(dir: &Path, extra: &[&str]) -> (Child, PathBuf) {
    let tasks = dir.join("big.jsonl");
    let db = dir.join("m.sqlite");
    let rslm = assert_cmd::cargo::cargo_bin("rslm");
    if !tasks.exists() {
        let made = Command::new(&rslm)
            .args(["seed-tasks", "--regen", "--count", "2000", "--out"])
            .arg(&tasks)
            .output()
            .unwrap();
        assert!(made.status.success());
    }
    let child = Command::new(&rslm)
        .args([
            "run-iteration",
            "--fast",
            "--k",
            "8",
            "--heldout-size",
            "40",
            "--tasks",
        ])
        .arg(&tasks)
        .arg("--db")
        .arg(&db)
        .args(extra)
        .env_remove("RSLM_BACKEND")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !(db.exists() && count_runs(&db) > 0) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, db)
}

fn count_runs(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .ok()
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(0)
}

fn status(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sigint_stops_a_mock_iteration_and_marks_it_interrupted() {
    let dir = tempdir();
    let (child, db) = start_long_run(dir.path());
    std::thread::sleep(Duration::from_millis(1000));
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(status(&db), "interrupted");
    let done = count(&db, "SELECT count(*) FROM run_tasks");
    assert!(
        done < 1960,
        "it ran on after the interrupt: {done} tasks done"
    );
    let integrity: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

#[test]
fn a_run_killed_with_sigkill_is_marked_interrupted_on_the_next_open() {
    let dir = tempdir();
    let (mut child, db) = start_long_run(dir.path());
    child.kill().unwrap(); // SIGKILL: no chance to mark anything
    child.wait().unwrap();
    assert_eq!(status(&db), "running");
    let init = Command::new(assert_cmd::cargo::cargo_bin("rslm"))
        .args(["init-db", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(init.status.success());
    assert_eq!(status(&db), "interrupted");
}

#[test]
fn a_used_up_time_budget_stops_a_run_as_ctrl_c_does_and_resume_continues_it() {
    let dir = tempdir();
    let (child, db) = start_long_run_with(dir.path(), &["--time-budget", "1"]);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("time budget: the run stops after 1 s"),
        "{stderr}"
    );
    assert!(stderr.contains("time budget of 1 s used up"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(status(&db), "interrupted");
    let first = count(&db, "SELECT count(*) FROM run_tasks");
    assert!(
        first < 1960,
        "it ran on past its budget: {first} tasks done"
    );

    let (child, _) = start_long_run_with(dir.path(), &["--time-budget", "1", "--resume"]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        count(&db, "SELECT count(*) FROM runs"),
        1,
        "resume is the same run"
    );
    assert!(count(&db, "SELECT count(*) FROM run_tasks") > first);
}
