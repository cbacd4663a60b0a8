//! Consolidation cost as memory grows, side by side in one run (`cargo bench --bench
//! consolidate`): at about 5,000 episodes, a full consolidation, a consolidation with nothing
//! new (goal: under 0.2 s) and one after a small iteration (only the kinds with new attempts
//! are processed).
//!
//! The store is made by one mock iteration over 2,000 generated tasks (k = 4), whose verified
//! episodes are then copied (each copy's code gets a trailing comment, so it is a distinct
//! verified episode of the same task) up to 5,000: iterating until the simulator has stored
//! 5,000 distinct solutions would take minutes and measure the simulator, not consolidation.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const EPISODES: i64 = 5_000;
const HELDOUT: &str = "100";

/// `rslm SUBCOMMAND` over the bench's store and tasks, with the mock and fast verification.
fn subcommand(name: &str, db: &Path, tasks: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rslm"));
    cmd.env_remove("RSLM_BACKEND")
        .env("RSLM_FAST_VERIFY", "1")
        .env("RSLM_DB", db)
        .arg(name)
        .arg("--tasks")
        .arg(tasks)
        .args(["--heldout-size", HELDOUT]);
    cmd
}

fn timed(cmd: &mut Command) -> (Duration, String) {
    let started = Instant::now();
    let out = cmd.output().expect("rslm runs");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.sqlite");
    let tasks = dir.path().join("tasks.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_rslm"))
        .args(["seed-tasks", "--regen", "--count", "2000", "--out"])
        .arg(&tasks)
        .output()
        .unwrap();
    assert!(status.status.success());
    timed(subcommand("run-iteration", &db, &tasks).args(["--k", "4", "--seed", "1"]));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM episodes", [], |r| r.get(0))
        .unwrap();
    let mut copy = 1;
    while conn
        .query_row("SELECT count(*) FROM episodes", [], |r| r.get::<_, i64>(0))
        .unwrap()
        < EPISODES
    {
        conn.execute(
            "INSERT INTO episodes (run_id, task_id, family, condition, prompt, function_name, candidate_code, test_log,
               code_hash, sample_index, tests_run)
             SELECT run_id, task_id, family, condition, prompt, function_name, candidate_code || ?1, test_log,
               code_hash || ?2, sample_index, tests_run FROM episodes WHERE id <= ?3 LIMIT ?4",
            rusqlite::params![
                format!("\n# copy {copy}\n"),
                format!("-{copy}"),
                stored,
                EPISODES - conn.query_row("SELECT count(*) FROM episodes", [], |r| r.get::<_, i64>(0)).unwrap()
            ],
        )
        .unwrap();
        copy += 1;
    }
    drop(conn);
    let consolidate = || {
        let mut cmd = subcommand("consolidate", &db, &tasks);
        cmd.args(["--min-evidence", "3", "--json"]);
        cmd
    };
    let (full, report) = timed(&mut consolidate());
    println!(
        "first (full) consolidation at {EPISODES} episodes ({stored} distinct from the iteration): {:.2} s\n  {report}",
        full.as_secs_f64()
    );
    let mut idle: Vec<Duration> = (0..5).map(|_| timed(&mut consolidate()).0).collect();
    idle.sort();
    let (_, report) = timed(&mut consolidate());
    assert!(report.contains("\"nothing_new\":true"), "{report}");
    println!(
        "consolidation with nothing new: {:.3} s (median of 5; goal under 0.2 s), {:.0}x less than the full one",
        idle[2].as_secs_f64(),
        full.as_secs_f64() / idle[2].as_secs_f64()
    );
    timed(subcommand("run-iteration", &db, &tasks).args([
        "--k",
        "4",
        "--seed",
        "2",
        "--task-limit",
        "50",
    ]));
    let (after, report) = timed(&mut consolidate());
    println!(
        "consolidation after an iteration of 50 tasks: {:.2} s ({:.1}x less than the full one)\n  {report}",
        after.as_secs_f64(),
        full.as_secs_f64() / after.as_secs_f64()
    );
    let (again, _) = timed(consolidate().arg("--full"));
    println!(
        "a second full consolidation (--full, everything already known): {:.2} s",
        again.as_secs_f64()
    );
}
