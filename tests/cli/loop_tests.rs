//! run-iteration, consolidate, eval, plot and the knowledge commands through the binary, with
//! the mock backend and with a fake OpenAI-compatible server on loopback.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use rusqlite::Connection;

use crate::support::add_tasks::write_add_tasks;
use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::{count, tempdir};

/// A correct answer for the add tasks, read off the prompt the server receives.
fn add_answer(user: &str) -> String {
    let name = user
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string();
    let k: String = name.chars().filter(char::is_ascii_digit).collect();
    format!(
        "<think>The task adds {k}.</think>\nHere you go:\n```python\ndef {name}(n):\n    return n + {k}\n```"
    )
}

#[test]
fn run_iteration_with_the_mock_stores_only_verified_episodes() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let summary = rslm("run-iteration --fast --k 4 --task-limit 30 --heldout-size 40 --json")
        .db(&db)
        .run()
        .success()
        .json();
    assert_eq!(summary["simulation"], true);
    assert_eq!(summary["tasks"], 30);
    assert_eq!(summary["candidates"], 120);
    let passed = summary["passed_candidates"].as_i64().unwrap();
    assert!(passed > 0, "the simulator solves some tasks: {summary}");
    let episodes = count(&db, "SELECT count(*) FROM episodes");
    let failures = count(&db, "SELECT count(*) FROM failures");
    assert!(
        episodes >= 1 && episodes <= passed,
        "{episodes} episodes of {passed} passes (duplicates collapse)"
    );
    assert_eq!(failures, 120 - passed);
    assert_eq!(count(&db, "SELECT count(*) FROM run_tasks"), 30);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE status = 'completed' AND kind = 'iteration'"
        ),
        1
    );
    // The held-out split never reaches memory.
    let heldout: Vec<String> = {
        let tasks = rslm::tasks::loader::TaskSource::Bundled.load().unwrap();
        rslm::tasks::split::split(&tasks, 40, 1337)
            .unwrap()
            .heldout
            .into_iter()
            .map(|t| t.task_id)
            .collect()
    };
    let conn = Connection::open(&db).unwrap();
    for id in heldout {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM episodes WHERE task_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "held-out task {id} in memory");
    }
}

#[test]
fn repeated_iterations_move_on_to_unsolved_tasks() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    for _ in 0..2 {
        rslm("run-iteration --fast --k 2 --task-limit 20 --heldout-size 40")
            .db(&db)
            .run()
            .success();
    }
    let distinct = count(&db, "SELECT count(DISTINCT task_id) FROM run_tasks");
    assert_eq!(distinct, 40, "the second iteration took 20 other tasks");
}

#[test]
fn heldout_mode_writes_nothing_retrievable() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm("run-iteration --fast --k 4 --mode heldout --heldout-size 40 --task-limit 40")
        .db(&db)
        .run()
        .success();
    assert_eq!(count(&db, "SELECT count(*) FROM episodes"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM failures"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM heldout_attempts"), 160);
}

#[test]
fn bad_invocations_are_usage_errors_and_create_nothing() {
    let dir = tempdir();
    let db = dir.path().join("never.sqlite");
    for line in [
        "run-iteration --mode test",
        "run-iteration --k 0",
        "run-iteration --task-limit 0",
        "run-iteration --heldout-size -1",
        "run-iteration --heldout-size 100000",
        "eval --conditions baseline,magic",
        "eval --k 4 --n 2",
        "run-iteration --backend openai",
    ] {
        rslm(line)
            .db(&db)
            .arg("--fast")
            .run()
            .failure(2)
            .stderr(predicate::str::starts_with("error"));
        assert!(!db.exists(), "{line:?} left a file behind");
    }
}

#[test]
fn a_bad_environment_value_names_the_variable_only_where_it_is_used() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm("run-iteration --fast")
        .db(&db)
        .env("RSLM_MAX_TOKENS", "lots")
        .run()
        .failure(2)
        .stderr_contains("RSLM_MAX_TOKENS");
    rslm("init-db")
        .db(&db)
        .env("RSLM_MAX_TOKENS", "lots")
        .run()
        .success();
}

#[test]
fn eval_reports_every_condition_with_intervals_and_stores_the_run() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let out = dir.path().join("results.json");
    rslm("run-iteration --fast --k 4 --task-limit 40 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    rslm("consolidate --fast --min-evidence 1 --heldout-size 20")
        .db(&db)
        .run()
        .success();
    rslm("eval --fast --conditions all --k 2 --n 3 --heldout-size 20 --task-limit 10")
        .db(&db)
        .arg("--output")
        .arg(&out)
        .run()
        .success()
        .stdout_contains("SIMULATION")
        .stdout_contains("memory_learning");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names: Vec<&str> = report["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["condition"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["baseline", "memory", "semantic", "memory_learning"]);
    for c in report["conditions"].as_array().unwrap() {
        for key in [
            "pass_at_1",
            "pass_at_k",
            "notes",
            "pass_at_1_ci",
            "per_task",
        ] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
        assert_eq!(c["per_task"].as_array().unwrap().len(), 10);
        if c["condition"] != "baseline" {
            assert!(c["vs_baseline"]["p_value"].is_number());
        }
    }
    assert_eq!(report["memory_precision"], 1.0);
    assert_eq!(report["simulation"], true);
    assert!(report.get("regression_check").is_some());
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM eval_runs e JOIN runs r ON r.id = e.run_id WHERE r.kind = 'eval'"
        ),
        1
    );
    // The plot reads the stored runs.
    let png = dir.path().join("r.png");
    rslm("plot --input")
        .arg(&db)
        .arg("--output")
        .arg(&png)
        .run()
        .success();
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn consolidation_keeps_provenance_and_does_not_duplicate() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 12);
    rslm("run-iteration --fast --k 2 --heldout-size 4")
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let consolidate = || {
        rslm("consolidate --fast --min-evidence 2 --heldout-size 4 --json")
            .tasks(&tasks)
            .db(&db)
            .run()
            .success()
            .json()
    };
    let first = consolidate();
    assert!(
        first["procedures_created"].as_i64().unwrap() >= 1,
        "{first}"
    );
    let second = consolidate();
    assert_eq!(second["procedures_created"], 0, "{second}");
    assert_eq!(second["rules_created"], 0, "{second}");
    let items = rslm("procedures list --json")
        .db(&db)
        .run()
        .success()
        .json();
    let item = &items[0];
    assert!(item["evidence_count"].as_i64().unwrap() >= 2);
    assert!(
        item["sources"].as_array().unwrap().len() >= 2,
        "provenance: {item}"
    );
    assert!(
        item["body"].as_str().unwrap().contains("<<L0>>"),
        "generalised over the constant: {item}"
    );
    let id = item["id"].to_string();
    let procedures = |action: &str| rslm("procedures").arg(action).arg(&id).db(&db).run();
    procedures("retire").success();
    procedures("retire")
        .failure(1)
        .stderr_contains("already retired");
    procedures("show").success().stdout_contains("retired");
    procedures("restore").success();
    rslm("rules show 9999").db(&db).run().failure(1);
    rslm("rules list")
        .db(dir.path().join("none.sqlite"))
        .run()
        .failure(1);
    assert!(!dir.path().join("none.sqlite").exists());
}

#[test]
fn the_openai_backend_runs_the_loop_against_a_server() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 8);
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::text(add_answer(&req.user_message())))
        .start();
    server.push_all([
        Reply::rate_limited(0),
        Reply::status(500),
        Reply::text("No code here, sorry."),
    ]);
    let run = rslm("run-iteration --fast --k 2 --heldout-size 2 --json")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .env("RSLM_API_KEY", "sk-secret-123")
        .run()
        .success();
    let summary = run.json();
    assert_eq!(summary["simulation"], false);
    assert_eq!(summary["tasks"], 6);
    // Two candidates came back as prose: failed candidates, not a crash.
    assert_eq!(summary["passed_candidates"], 10, "{summary}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM failures WHERE first_failure = 'extract' AND error IS NOT NULL"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM episodes WHERE raw_response LIKE '%<think>%' AND completion_tokens > 0"
        ),
        count(&db, "SELECT count(*) FROM episodes")
    );
    let bytes = std::fs::read(&db).unwrap();
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        !haystack.contains("sk-secret-123"),
        "the API key reached the database"
    );
    assert!(!String::from_utf8_lossy(&run.output().stderr).contains("sk-secret-123"));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-secret-123"))
    );
}

#[test]
fn requests_overlap_up_to_the_concurrency() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 18);
    let server = FakeOpenAi::builder()
        .responder(|req| {
            Reply::delayed(
                Duration::from_millis(200),
                Reply::text(add_answer(&req.user_message())),
            )
        })
        .start();
    rslm("run-iteration --fast --k 1 --heldout-size 2 --concurrency 4")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    assert_eq!(server.max_in_flight(), 4);
    assert_eq!(server.chat_requests(), 16);
}

#[test]
fn a_dead_server_is_one_clear_error_before_any_task() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    rslm("run-iteration --fast --backend openai --model m --base-url")
        .arg(format!("http://127.0.0.1:{port}/v1"))
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains("cannot reach")
        .stderr_contains(port.to_string());
    assert!(!db.exists());
}

#[test]
fn a_kill_mid_run_leaves_whole_tasks_and_resume_finishes_them() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 40);
    let server = FakeOpenAi::builder()
        .responder(|req| {
            Reply::delayed(
                Duration::from_millis(150),
                Reply::text(add_answer(&req.user_message())),
            )
        })
        .start();
    let iteration = || {
        rslm("run-iteration --fast --k 3 --heldout-size 4 --concurrency 2")
            .backend_openai(&server)
            .tasks(&tasks)
            .db(&db)
    };
    let mut child = iteration()
        .into_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while count_if_exists(&db) < 4 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let done = count(&db, "SELECT count(*) FROM run_tasks");
    assert!((4..36).contains(&done), "killed mid-run: {done} tasks done");
    let partial = count(
        &db,
        "SELECT count(*) FROM (SELECT task_id, count(*) AS n FROM (SELECT task_id FROM episodes UNION ALL SELECT task_id FROM failures) GROUP BY task_id)
         WHERE task_id NOT IN (SELECT task_id FROM run_tasks)",
    );
    assert_eq!(partial, 0, "candidates of unfinished tasks were stored");
    iteration().arg("--resume").run().success();
    assert_eq!(count(&db, "SELECT count(*) FROM run_tasks"), 36);
    assert_eq!(
        count(&db, "SELECT count(*) FROM runs"),
        1,
        "resumed the same run"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM runs WHERE status = 'completed'"),
        1
    );
}

fn count_if_exists(db: &Path) -> i64 {
    if !db.exists() {
        return 0;
    }
    Connection::open(db)
        .ok()
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM run_tasks", [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(0)
}

#[test]
fn run_iteration_verifies_with_real_pytest_by_default() {
    let Ok(python) = std::env::var("RSLM_PYTHON") else {
        eprintln!(
            "SKIPPED run_iteration_verifies_with_real_pytest_by_default: RSLM_PYTHON is not set (scripts/test.sh sets it to .rslm/venv with pytest)"
        );
        return;
    };
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 6);
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::text(add_answer(&req.user_message())))
        .start();
    rslm("run-iteration --k 1 --heldout-size 1")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .env("RSLM_PYTHON", python)
        .run()
        .success();
    assert_eq!(count(&db, "SELECT count(*) FROM episodes"), 5);
    let config: String = Connection::open(&db)
        .unwrap()
        .query_row("SELECT config_json FROM runs", [], |r| r.get(0))
        .unwrap();
    assert!(config.contains("\"verify_mode\":\"pytest\""), "{config}");
}

#[test]
fn self_improve_runs_cycles_and_writes_each_cycles_results() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let summary = rslm(
        "self-improve --fast --cycles 2 --k 2 --task-limit 20 --heldout-size 20 --eval-task-limit 10 --json",
    )
    .db(&db)
    .arg("--output-dir")
    .arg(dir.path())
    .run()
    .success()
    .json();
    assert_eq!(summary["cycles"].as_array().unwrap().len(), 2);
    for cycle in 1..=2 {
        let file = dir.path().join(format!("results_cycle{cycle:03}.json"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(report["conditions"].as_array().unwrap().len(), 4);
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM runs WHERE kind = 'iteration'"),
        2
    );
    assert_eq!(count(&db, "SELECT count(*) FROM eval_runs"), 2);
}

/// Stores verified episodes of the add tasks through a fake server and returns the tasks file.
fn add_memory_through_a_fake_server(dir: &Path, db: &Path) -> PathBuf {
    let tasks = write_add_tasks(dir, 8);
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::text(add_answer(&req.user_message())))
        .start();
    rslm("run-iteration --fast --k 1 --heldout-size 2")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(db)
        .run()
        .success();
    assert_eq!(count(db, "SELECT count(*) FROM episodes"), 6);
    tasks
}

fn eval_against(
    server: &FakeOpenAi,
    tasks: &Path,
    db: &Path,
    conditions: &str,
) -> serde_json::Value {
    rslm("eval --fast --k 1 --heldout-size 2 --skip-precision --json --conditions")
        .arg(conditions)
        .backend_openai(server)
        .tasks(tasks)
        .db(db)
        .run()
        .success()
        .json()
}

#[test]
fn memory_goes_to_the_model_as_worked_examples_before_the_unchanged_task() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = add_memory_through_a_fake_server(dir.path(), &db);
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::text(add_answer(&req.user_message())))
        .start();
    eval_against(&server, &tasks, &db, "baseline,memory");
    let chats: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_chat())
        .collect();
    assert_eq!(chats.len(), 4, "2 held-out tasks x 2 conditions");
    let (plain, with_memory): (Vec<_>, Vec<_>) =
        chats.iter().partition(|r| r.messages().len() == 2);
    assert_eq!(plain.len(), 2);
    assert_eq!(
        with_memory.len(),
        2,
        "both held-out add tasks have similar episodes"
    );
    let episodes: Vec<String> = Connection::open(&db)
        .unwrap()
        .prepare("SELECT candidate_code FROM episodes")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for request in &with_memory {
        let messages = request.messages();
        let roles: Vec<&str> = messages.iter().map(|(r, _)| r.as_str()).collect();
        // system, two worked examples (user: a remembered task, assistant: its code), the task.
        assert_eq!(
            roles,
            ["system", "user", "assistant", "user", "assistant", "user"],
            "{messages:?}"
        );
        let task = request.user_message();
        // The task turn is byte-identical to the no-memory prompt of the same task.
        assert!(
            plain.iter().any(|p| p.user_message() == task),
            "no baseline request has the user message {task:?}"
        );
        assert!(!task.contains("Relevant knowledge from memory"), "{task}");
        for pair in messages[1..5].chunks(2) {
            let (example_task, code) = (&pair[0].1, &pair[1].1);
            assert!(
                example_task.starts_with("Task:\nReturn n plus "),
                "{example_task}"
            );
            let name = example_task
                .lines()
                .find_map(|l| l.strip_prefix("Function name: "))
                .unwrap();
            assert!(
                example_task.contains(&format!("Signature: def {name}(n):")),
                "{example_task}"
            );
            assert!(code.starts_with(&format!("def {name}(n):")), "{code}");
            assert!(
                episodes.iter().any(|e| e.contains(code.as_str())),
                "the example's code is a stored, verified episode: {code}"
            );
            assert_ne!(
                example_task, &task,
                "a held-out task is never its own example"
            );
        }
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE kind = 'eval' AND prompt_version = 'rslm-prompt-v3'"
        ),
        1
    );
}

#[test]
fn without_an_adapter_memory_learning_and_learning_reuse_memory_and_baseline() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = add_memory_through_a_fake_server(dir.path(), &db);
    // Baseline answers right, memory answers wrong: the reused outcomes must be told apart.
    let server = FakeOpenAi::builder()
        .responder(|req| {
            if req.messages().len() > 2 {
                Reply::text("def f(n):\n    return 0")
            } else {
                Reply::text(add_answer(&req.user_message()))
            }
        })
        .start();
    let report = eval_against(
        &server,
        &tasks,
        &db,
        "baseline,memory_learning,memory,learning",
    );
    let chats = server
        .requests()
        .into_iter()
        .filter(|r| r.is_chat())
        .count();
    assert_eq!(chats, 4, "only baseline and memory_learning were generated");
    let conditions = report["conditions"].as_array().unwrap();
    let get = |name: &str| {
        conditions
            .iter()
            .find(|c| c["condition"] == name)
            .unwrap_or_else(|| panic!("{name} missing in {report}"))
    };
    assert!(get("baseline").get("same_outcomes_as").is_none());
    assert!(get("memory_learning").get("same_outcomes_as").is_none());
    assert_eq!(get("memory")["same_outcomes_as"], "memory_learning");
    assert_eq!(get("learning")["same_outcomes_as"], "baseline");
    assert_eq!(get("baseline")["pass_at_1"], 1.0);
    assert_eq!(get("learning")["pass_at_1"], 1.0);
    assert_eq!(get("memory_learning")["pass_at_1"], 0.0);
    assert_eq!(get("memory")["pass_at_1"], 0.0);
    assert_eq!(
        get("memory")["per_task"],
        get("memory_learning")["per_task"]
    );
    // The same paired counts; only which comparison is the declared primary one differs.
    for key in [
        "both",
        "only_condition",
        "only_baseline",
        "neither",
        "p_value",
    ] {
        assert_eq!(
            get("memory")["vs_baseline"][key],
            get("memory_learning")["vs_baseline"][key],
            "{key}"
        );
    }
    assert_eq!(get("memory")["vs_baseline"]["primary"], true);
    assert_eq!(get("memory")["vs_baseline"]["only_baseline"], 2);
    assert!(get("learning")["vs_baseline"]["p_value"].is_number());
    assert!(
        get("memory")["notes"]
            .as_str()
            .unwrap()
            .contains("not generated twice")
    );

    // The table says so too.
    let table = rslm("eval --fast --conditions memory,memory_learning --k 1")
        .args(["--heldout-size", "2", "--skip-precision"])
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .stdout_text();
    assert!(
        table.contains("memory_learning: same requests as memory"),
        "{table}"
    );
}
