//! The loop against a REAL model server (scripts/model_server.sh: llama.cpp with SmolLM2), when
//! one is given: `RSLM_REAL_BASE_URL` and `RSLM_REAL_MODEL` (scripts/test.sh sets both when it
//! can start the server). Without them the test says SKIPPED on the terminal and passes.
//!
//! It checks the plumbing a real model exercises and a fake server cannot: candidates are
//! generated, verified and recorded with the model's own text, tokens and timings. Whether they
//! pass is the model's business, so nothing here depends on it.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::support::command::rslm;
use crate::support::{count, tempdir};

/// The longest one command may take: a few small requests, even on a busy 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// Families SmolLM2 sometimes solves (add, multiply) and one it rarely does.
const FAMILIES: [&str; 4] = ["add_const", "mul_const", "keep_multiples", "add_const"];

/// `RSLM_REAL_BASE_URL` and `RSLM_REAL_MODEL`, or a SKIPPED line on the terminal.
fn real_server() -> Option<(String, String)> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (get("RSLM_REAL_BASE_URL"), get("RSLM_REAL_MODEL")) {
        (Some(url), Some(model)) => Some((url, model)),
        _ => {
            // Straight to the terminal: libtest captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED real-model test: RSLM_REAL_BASE_URL and RSLM_REAL_MODEL are not set \
                 (scripts/test.sh sets them when scripts/model_server.sh start works)"
            );
            None
        }
    }
}

/// Four generated tasks of the given families (the first of each in generator order).
fn write_tasks(dir: &Path) -> std::path::PathBuf {
    let all = dir.join("generated.jsonl");
    rslm("seed-tasks --regen --count 120 --out")
        .arg(&all)
        .run()
        .success();
    let text = std::fs::read_to_string(&all).unwrap();
    let mut picked: Vec<&str> = Vec::new();
    let mut used = std::collections::HashSet::new();
    for family in FAMILIES {
        let line = text
            .lines()
            .filter(|l| !used.contains(l))
            .find(|l| {
                let task: serde_json::Value = serde_json::from_str(l).unwrap();
                task["family"] == family
            })
            .unwrap_or_else(|| panic!("no {family} task in the generated set"));
        used.insert(line);
        picked.push(line);
    }
    let path = dir.join("tasks.jsonl");
    std::fs::write(&path, picked.join("\n") + "\n").unwrap();
    path
}

#[test]
fn the_loop_runs_against_the_real_model() {
    let Some((base_url, model)) = real_server() else {
        return;
    };
    let dir = tempdir();
    let db = dir.path().join("real.sqlite");
    let tasks = write_tasks(dir.path());
    let against_the_model = |line: &str| {
        rslm(line)
            .args(["--backend", "openai", "--model", &model])
            .args(["--base-url", &base_url])
            .args(["--fast", "--max-tokens", "96", "--request-timeout", "240"])
            .args(["--heldout-size", "1"])
            .tasks(&tasks)
            .db(&db)
            .timeout(COMMAND_TIMEOUT)
            .run()
            .success()
            .json()
    };

    // Three train tasks, one candidate each.
    let summary = against_the_model("run-iteration --k 1 --memory-enabled --json");
    assert_eq!(summary["simulation"], false, "{summary}");
    assert_eq!(summary["backend"], "openai");
    assert_eq!(summary["model"], model.as_str());
    assert_eq!(summary["tasks"], 3, "{summary}");
    assert_eq!(summary["candidates"], 3, "{summary}");
    assert_eq!(summary["status"], "completed");

    // Every candidate is recorded once: verified ones as episodes, the rest as failures, each
    // with the model's reply and a verdict.
    let recorded = "(SELECT task_id, verdict, raw_response, latency_ms FROM episodes \
                    UNION ALL SELECT task_id, verdict, raw_response, latency_ms FROM failures)";
    assert_eq!(count(&db, &format!("SELECT count(*) FROM {recorded}")), 3);
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(DISTINCT task_id) FROM {recorded}")
        ),
        3
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM {recorded} WHERE length(raw_response) > 0 AND latency_ms > 0 \
                 AND verdict IN ('pass', 'fail', 'error', 'timeout')"
            )
        ),
        3,
        "every candidate has the model's text, a latency and a verdict"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM episodes WHERE passed = 1 AND verdict = 'pass'"
        ),
        summary["new_episodes"].as_i64().unwrap()
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE kind = 'iteration' AND status = 'completed' \
             AND simulation = 0 AND backend = 'openai'"
        ),
        1
    );

    // The held-out task under two conditions, paired; memory_learning (no adapter) sends the
    // memory requests, so it reports memory's outcomes without generating them again.
    let report = against_the_model(
        "eval --conditions baseline,memory,memory_learning --k 1 --skip-precision --json",
    );
    assert_eq!(report["simulation"], false);
    let conditions = report["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 3, "{report}");
    for condition in conditions {
        assert_eq!(condition["tasks"], 1, "{condition}");
        let rate = condition["pass_at_1"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&rate));
    }
    assert_eq!(conditions[2]["condition"], "memory_learning");
    assert_eq!(conditions[2]["same_outcomes_as"], "memory", "{report}");
    assert_eq!(conditions[2]["per_task"], conditions[1]["per_task"]);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM eval_runs e JOIN runs r ON r.id = e.run_id \
             WHERE r.status = 'completed' AND r.simulation = 0"
        ),
        1
    );
}
