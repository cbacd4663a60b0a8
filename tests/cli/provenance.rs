//! Provenance through the binary: every eval candidate kept and exportable as a samples file
//! that `verify --samples` scores to the same pass@1; the memory behind each prompt recorded;
//! the config block of a results file; `plot` refusing to join runs that measure different
//! things.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::add_tasks::write_add_tasks;
use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::{count, tempdir};

/// A store with verified episodes of the mock, so the memory conditions retrieve something.
fn store_with_memory(dir: &Path) -> PathBuf {
    let db = dir.join("m.sqlite");
    rslm("run-iteration --fast --k 4 --task-limit 40 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    db
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn condition<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["condition"] == name)
        .unwrap_or_else(|| panic!("no condition {name}"))
}

/// `verify --samples FILE --fast --json`'s pass@1.
fn rescored(samples: &Path, extra: &[&str]) -> f64 {
    let summary = rslm("verify --fast --json --samples")
        .arg(samples)
        .args(extra)
        .run()
        .success()
        .json();
    summary["pass_at_k"]["pass@1"].as_f64().unwrap()
}

#[test]
fn exported_samples_rescore_to_the_evals_pass_at_1() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    let results = dir.path().join("results.json");
    let report = rslm(
        "eval --fast --conditions baseline,memory,memory_learning --k 1 --n 2 --heldout-size 20 --log-samples --json",
    )
    .arg("--output")
    .arg(&results)
    .db(&db)
    .run()
    .success()
    .json();
    let run_id = report["run_id"].as_i64().unwrap();

    for (name, format, key) in [
        ("baseline", "humaneval", "completion"),
        ("memory", "evalplus", "solution"),
        ("memory_learning", "evalplus", "solution"),
    ] {
        let out = dir.path().join(format!("{name}.jsonl"));
        rslm("export-samples --format")
            .arg(format)
            .args(["--condition", name, "--eval-run"])
            .arg(run_id.to_string())
            .arg("--out")
            .arg(&out)
            .db(&db)
            .run()
            .success()
            .stdout_contains(format!("condition {name}: 40 samples of 20 tasks"));
        let rows = read_jsonl(&out);
        assert_eq!(rows.len(), 40);
        assert!(
            rows.iter()
                .all(|r| r[key].is_string() && r["passed"].is_boolean())
        );
        let expected = condition(&report, name)["pass_at_1"].as_f64().unwrap();
        let same = |got: f64| (got - expected).abs() < 1e-12;
        assert!(same(rescored(&out, &[])), "{name}: {expected}");
        // The samples eval --log-samples wrote beside the results score the same.
        let logged = dir.path().join(format!("results.samples.{name}.jsonl"));
        assert!(same(rescored(&logged, &[])), "{name} (logged)");
    }
    // Memory prompts name the episodes they showed, and those episodes exist.
    let memory = read_jsonl(&dir.path().join("memory.jsonl"));
    let shown: Vec<i64> = memory
        .iter()
        .filter_map(|r| r.get("retrieved"))
        .flat_map(|r| r["episodes"].as_array().unwrap().clone())
        .map(|id| id.as_i64().unwrap())
        .collect();
    assert!(!shown.is_empty());
    for id in shown {
        assert_eq!(
            count(
                &db,
                &format!("SELECT count(*) FROM episodes WHERE id = {id}")
            ),
            1
        );
    }
    assert!(
        read_jsonl(&dir.path().join("baseline.jsonl"))
            .iter()
            .all(|r| r.get("retrieved").is_none()),
        "baseline retrieves nothing"
    );

    // The newest eval is the default; several conditions need a choice.
    rslm("export-samples --out")
        .arg(dir.path().join("x.jsonl"))
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("choose one with --condition");
    rslm("export-samples --condition nope --out")
        .arg(dir.path().join("x.jsonl"))
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--condition nope");
}

#[test]
fn iterations_record_the_memory_behind_each_prompt() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    rslm("run-iteration --fast --k 1 --task-limit 20 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    let with_memory = count(
        &db,
        "SELECT count(*) FROM run_tasks WHERE run_id = 2 AND retrieved_json LIKE '{\"episodes\":[%'",
    );
    assert!(
        with_memory > 0,
        "some prompts of the second run saw episodes"
    );
    // The first run started from empty memory: nothing was retrieved for it.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM run_tasks WHERE run_id = 1 AND retrieved_json IS NOT NULL"
        ),
        0
    );
}

#[test]
fn the_eval_store_dedupes_repeated_answers() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    // Temperature 0: the mock gives every sample of a task the same answer.
    rslm("eval --fast --conditions baseline --k 1 --n 4 --temperature 0 --heldout-size 20")
        .db(&db)
        .run()
        .success();
    assert_eq!(count(&db, "SELECT count(*) FROM eval_samples"), 80);
    let texts = count(&db, "SELECT count(*) FROM sample_texts");
    assert!(texts <= 40, "{texts} texts stored for 20 distinct answers");
}

#[test]
fn sanitize_cleans_raw_model_output_before_scoring() {
    let dir = tempdir();
    let tasks = write_add_tasks(dir.path(), 2);
    let samples = dir.path().join("raw.jsonl");
    let raw = "Sure! Here it is:\n```python\nimport math\n\nOFFSET = 1\n\ndef add_1(n):\n    return n + OFFSET\n\nprint(add_1(3))\nraise SystemExit(add_1(0) - 99)\n```\nThis adds one.";
    std::fs::write(
        &samples,
        serde_json::json!({"task_id": "add_1-t", "solution": raw}).to_string(),
    )
    .unwrap();
    let scored = |extra: &[&str]| {
        rslm("verify --fast --json --samples")
            .arg(&samples)
            .args(extra)
            .tasks(&tasks)
            .run()
            .success()
            .json()["pass_at_k"]["pass@1"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(scored(&[]), 0.0, "prose and a fence are not Python");
    assert_eq!(scored(&["--sanitize"]), 1.0);
}

#[test]
fn the_api_key_never_reaches_the_stored_samples() {
    let dir = tempdir();
    let tasks = write_add_tasks(dir.path(), 6);
    let key = "sk-provenance-secret-42";
    let server = FakeOpenAi::builder()
        .require_api_key(key)
        .default_reply(Reply::text(format!(
            "my key is {key}\n```python\ndef add_1(n):\n    return n + 1\n```"
        )))
        .start();
    let db = dir.path().join("k.sqlite");
    rslm("init-db").db(&db).run().success();
    // Without an adapter `learning` sends baseline's requests: reported, and stored, as its own.
    rslm("eval --fast --conditions baseline,learning --k 1 --heldout-size 3 --skip-precision")
        .backend_openai(&server)
        .env("RSLM_API_KEY", key)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let out = dir.path().join("s.jsonl");
    rslm("export-samples --condition learning --out")
        .arg(&out)
        .db(&db)
        .run()
        .success()
        .stdout_contains("condition learning: 3 samples of 3 tasks");
    assert_eq!(server.chat_requests(), 3, "generated once");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("[redacted]") && !text.contains(key), "{text}");
    rslm("init-db").db(&db).run().success(); // checkpoints the WAL into the file
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()));
}

#[test]
fn results_files_carry_the_config_block() {
    let dir = tempdir();
    let tasks = write_add_tasks(dir.path(), 6);
    let server = FakeOpenAi::builder()
        .default_reply(Reply::text(
            "```python\ndef add_1(n):\n    return n + 1\n```",
        ))
        .start();
    let db = dir.path().join("c.sqlite");
    rslm("init-db").db(&db).run().success();
    let results = dir.path().join("r.json");
    rslm("eval --fast --conditions baseline --k 1 --heldout-size 3 --skip-precision --temperature 0.5 --max-tokens 64 --seed 9")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .arg("--output")
        .arg(&results)
        .run()
        .success();
    let report: Value = serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    let config = &report["config"];
    assert_eq!(
        crate::support::snapshot::json_shape(config),
        "\
backend: string
model: string
server_model: object
server_model.id: string
server_model.object: string
server_model.owned_by: string
sampling: object
sampling.temperature: number
sampling.max_tokens: number
sampling.n: number
sampling.k: number
sampling.seed: number
prompt_version: string
verify_mode: string
verify_cpu_seconds: number
tasks_source: string
tasks_sha256: string
split_seed: number
heldout_size: number
task_limit: null
conditions: array
conditions[]: string
retrieval: string
rslm_version: string
git_commit: string
"
    );
    assert_eq!(config["backend"], "openai");
    assert_eq!(config["server_model"]["id"], "fake-model");
    assert_eq!(config["sampling"]["temperature"], 0.5);
    assert_eq!(config["sampling"]["max_tokens"], 64);
    assert_eq!(config["sampling"]["seed"], 9);
    assert_eq!(config["verify_mode"], "fast");
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(std::fs::read(&tasks).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(config["tasks_sha256"], hash.as_str());
    let commit = config["git_commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    // The documented keys stay where they were.
    for key in [
        "conditions",
        "memory_precision",
        "regression_check",
        "backend",
        "model",
        "k",
        "n",
    ] {
        assert!(report.get(key).is_some(), "{key}");
    }
}

#[test]
fn plot_refuses_to_join_runs_that_measure_different_things() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    let eval = "eval --fast --conditions baseline,memory --k 1 --heldout-size 20 --task-limit 10 --skip-precision";
    rslm(eval).db(&db).run().success();
    rslm("run-iteration --fast --k 2 --task-limit 20 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    rslm(eval).db(&db).run().success();
    let png = dir.path().join("p.png");
    // Two comparable runs, one iteration apart: one line each.
    rslm("plot --input")
        .arg(&db)
        .arg("--output")
        .arg(&png)
        .run()
        .success();

    rslm(eval)
        .args(["--temperature", "0"])
        .db(&db)
        .run()
        .success();
    rslm("plot --input")
        .arg(&db)
        .arg("--output")
        .arg(&png)
        .run()
        .failure(1)
        .stderr_contains("differ in sampling")
        .stderr_contains("--latest-compatible");
    // The newest run alone is comparable with itself: one run, a bar chart.
    rslm("plot --latest-compatible --input")
        .arg(&db)
        .arg("--output")
        .arg(&png)
        .run()
        .success()
        .stderr_contains("2 eval run(s) left out");
}
