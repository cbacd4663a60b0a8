//! init-db, seed-tasks, the task loader and the CLI conventions.

use predicates::prelude::*;

use crate::support::command::rslm;
use crate::support::tempdir;

#[test]
fn init_db_is_idempotent_and_creates_parent_folders() {
    let dir = tempdir();
    let db = dir.path().join("a/b/memory.sqlite");
    rslm("init-db")
        .db(&db)
        .run()
        .success()
        .stdout(predicate::str::starts_with("created:"));
    rslm("init-db")
        .db(&db)
        .run()
        .success()
        .stdout(predicate::str::starts_with("up to date:"));
    rslm("init-db --json")
        .env("RSLM_DB", &db)
        .run()
        .success()
        .stdout_contains("\"state\":\"up to date\"");
}

#[test]
fn init_db_refuses_a_file_that_is_not_ours_and_leaves_it_untouched() {
    let dir = tempdir();
    let file = dir.path().join("notes.sqlite");
    std::fs::write(&file, b"my precious notes").unwrap();
    rslm("init-db").db(&file).run().failure(1).stderr(
        predicate::str::starts_with("error: ")
            .and(predicate::str::contains("not an rslm database")),
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"my precious notes");
}

#[test]
fn seed_tasks_validates_the_bundled_set() {
    rslm("seed-tasks")
        .run()
        .success()
        .stdout_contains("valid: 200 tasks in bundled")
        .stdout_contains("200 with assert_tests");
}

#[test]
fn seed_tasks_regenerates_deterministically_and_matches_the_bundled_file() {
    let dir = tempdir();
    let out = dir.path().join("tasks.jsonl");
    rslm("seed-tasks --regen --count 200 --out")
        .arg(&out)
        .run()
        .success();
    let bundled = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tasks/bundled_tasks.jsonl"
    ))
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        bundled,
        "tasks/bundled_tasks.jsonl is what `seed-tasks --regen` writes"
    );
}

#[test]
fn seed_tasks_writes_two_thousand_distinct_tasks_with_no_family_above_ten_percent() {
    let dir = tempdir();
    let out = dir.path().join("big.jsonl");
    rslm("seed-tasks --regen --count 2000 --out")
        .arg(&out)
        .run()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let tasks: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tasks.len(), 2000);
    let ids: std::collections::HashSet<&str> = tasks
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    let prompts: std::collections::HashSet<&str> = tasks
        .iter()
        .map(|t| t["prompt"].as_str().unwrap())
        .collect();
    assert_eq!((ids.len(), prompts.len()), (2000, 2000));
    let mut per_family = std::collections::HashMap::new();
    for t in &tasks {
        *per_family.entry(t["family"].as_str().unwrap()).or_insert(0) += 1;
        assert!(!t["assert_tests"].as_array().unwrap().is_empty());
    }
    assert!(per_family.len() >= 40, "{} families", per_family.len());
    assert!(per_family.values().all(|&n| n <= 200), "{per_family:?}");
    for level in ["easy", "medium", "hard"] {
        assert!(
            tasks.iter().any(|t| t["difficulty"] == level),
            "no {level} task"
        );
    }
    // The written file passes the strict loader.
    rslm("seed-tasks --out")
        .arg(&out)
        .run()
        .success()
        .stdout_contains("valid: 2000 tasks");
}

#[test]
fn seed_tasks_count_limits_are_clear() {
    rslm("seed-tasks --regen --count 119")
        .run()
        .failure(2)
        .stderr_contains("below the minimum of 120");
    rslm("seed-tasks --regen --count 1000000")
        .run()
        .failure(2)
        .stderr(predicate::str::is_match("the maximum is [0-9]+").unwrap());
    rslm("seed-tasks --count 200").run().failure(2);
}

#[test]
fn a_malformed_task_file_names_the_file_and_line() {
    let dir = tempdir();
    let file = dir.path().join("tasks.jsonl");
    let good = r#"{"task_id":"f-1","prompt":"p","function_name":"f","signature":"(x)","reference_tests":"def test_a():\n    pass"}"#;
    std::fs::write(&file, format!("{good}\n{{\"task_id\": 3}}\n")).unwrap();
    rslm("seed-tasks --out")
        .arg(&file)
        .run()
        .failure(1)
        .stderr_contains(format!("{}:2: invalid type: integer `3`", file.display()));
}

#[test]
fn help_shows_environment_fallbacks_and_exit_codes() {
    rslm("--help")
        .run()
        .success()
        .stdout_contains("Exit codes: 0 success, 1 failure");
    rslm("init-db --help")
        .run()
        .success()
        .stdout_contains("[env: RSLM_DB=");
}

#[test]
fn unknown_flags_are_usage_errors() {
    rslm("init-db --nope").run().failure(2);
    rslm("no-such-command").run().failure(2);
}

#[test]
fn durations_that_are_not_positive_seconds_are_usage_errors_naming_the_flag() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    for (flag, value) in [
        ("--verify-timeout", "-1"),
        ("--verify-timeout", "0"),
        ("--verify-timeout", "nan"),
        ("--request-timeout", "abc"),
        ("--request-timeout", "1e9"),
    ] {
        rslm("eval")
            .db(&db)
            .arg(format!("{flag}={value}"))
            .run()
            .failure(2)
            .stderr_contains(flag);
    }
    assert!(!db.exists(), "a usage error creates no database");
}
