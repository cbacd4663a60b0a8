//! `self-improve --rounds` on the mock through the binary: every stage of a round (generation,
//! consolidation, a simulated adapter, the promotion gate, the held-out eval), the report, the
//! SIMULATION label on every line, resuming after a kill at each stage, the time budget, and
//! where the results of `--cycles` go.

use std::path::Path;

use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::{count, tempdir};

/// Small and fast: 30 train-pool tasks a round, 40 held-out.
const ROUNDS: &str = "self-improve --fast --k 2 --task-limit 30 --heldout-size 40";

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Families the simulator knows natively: the tasks a round solves teach the simulated adapter
/// shapes that the held-out set shares.
fn idiom_tasks(dir: &Path) -> std::path::PathBuf {
    let all = dir.join("all.jsonl");
    rslm("seed-tasks --regen --count 1500 --out")
        .arg(&all)
        .run()
        .success();
    let families = [
        "add_const",
        "mul_const",
        "keep_multiples",
        "left_pad",
        "count_in_range",
        "long_words",
    ];
    let kept: Vec<String> = std::fs::read_to_string(&all)
        .unwrap()
        .lines()
        .filter(|l| {
            let task: serde_json::Value = serde_json::from_str(l).unwrap();
            families.iter().any(|f| task["family"] == *f)
        })
        .map(str::to_string)
        .collect();
    let path = dir.join("tasks.jsonl");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    path
}

#[test]
fn two_mock_rounds_train_gate_promote_and_report_as_simulation() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = idiom_tasks(dir.path());
    let run = rslm(
        "self-improve --fast --rounds 2 --k 2 --task-limit 30 --heldout-size 30 --gate-alpha 0.35",
    )
    .tasks(&tasks)
    .db(&db)
    .run()
    .success();
    let stdout = run.stdout_text();
    for line in stdout.lines() {
        assert!(line.starts_with("SIMULATION "), "unlabelled line: {line}");
    }
    let folder = dir.path().join("m-self-improve").join("run001");
    let report = report(&folder.join("report.json"));
    assert_eq!(report["simulation"], true);
    assert_eq!(report["status"], "completed");
    let rounds = report["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    for (i, round) in rounds.iter().enumerate() {
        let n = i + 1;
        assert_eq!(
            round["completed"],
            serde_json::json!(["generate", "consolidate", "train", "gate", "eval"])
        );
        assert_eq!(round["adapter"], format!("run001-round{n:02}"));
        assert!(round["training_examples"].as_u64().unwrap() > 0);
        assert!(round["promoted"].is_boolean());
        let conditions: Vec<&str> = round["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["condition"].as_str().unwrap())
            .collect();
        assert_eq!(
            conditions,
            ["baseline", "memory", "learning", "memory_learning"]
        );
        for c in round["conditions"].as_array().unwrap() {
            let [lo, hi] = [
                c["ci95"][0].as_f64().unwrap(),
                c["ci95"][1].as_f64().unwrap(),
            ];
            let p = c["pass_at_1"].as_f64().unwrap();
            assert!(lo <= p && p <= hi, "{c}");
        }
        assert!(folder.join(format!("round{n:02}/results.json")).is_file());
        assert!(folder.join(format!("round{n:02}/gate.json")).is_file());
    }
    // The second round's episodes add to the first's.
    assert!(
        rounds[1]["memory_episodes"].as_u64().unwrap()
            > rounds[0]["memory_episodes"].as_u64().unwrap()
    );
    // The first adapter is promoted and the eval of that round uses it: learning beats the
    // baseline there. Since the split drops twins of held-out tasks, the simulated adapter's first
    // round gains 7 and loses 3 held-out tasks (McNemar p = 0.34), so the run sets --gate-alpha
    // 0.35 to exercise a promotion; the default 0.05 would keep the base model. The second, trained on more of the
    // same, gains nothing significant over it and the first stays active.
    assert_eq!(rounds[0]["promoted"], true, "{report}");
    assert_eq!(rounds[1]["promoted"], false, "{report}");
    assert_eq!(rounds[1]["active_adapter"], "run001-round01");
    let last = &rounds[0];
    assert_eq!(last["active_adapter"], last["adapter"]);
    let rate = |r: &serde_json::Value, c: &str| {
        r["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["condition"] == c)
            .unwrap()["pass_at_1"]
            .as_f64()
            .unwrap()
    };
    assert!(rate(last, "learning") > rate(last, "baseline"), "{last}");
    let markdown = std::fs::read_to_string(folder.join("report.md")).unwrap();
    assert!(markdown.contains("**SIMULATION**"), "{markdown}");
    assert!(markdown.contains("| 2 |"), "{markdown}");
    assert_eq!(count(&db, "SELECT count(*) FROM adapters"), 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM round_steps WHERE status = 'completed' AND attempts = 1"
        ),
        10
    );
    // plot draws pass@1 across the rounds from the report.
    let png = dir.path().join("rounds.png");
    rslm("plot --input")
        .arg(folder.join("report.json"))
        .arg("--output")
        .arg(&png)
        .run()
        .success();
    let image = image::open(&png).unwrap();
    assert_eq!((image.width(), image.height()), (1200, 700));
}

#[test]
fn a_run_killed_at_any_stage_resumes_there_and_repeats_nothing() {
    for stage in ["generate", "consolidate", "train", "gate", "eval"] {
        let dir = tempdir();
        let db = dir.path().join("m.sqlite");
        let killed = rslm(ROUNDS)
            .args(["--rounds", "1", "--gate-alpha", "0.5"])
            .env("RSLM_TEST_ABORT_AT", format!("1:{stage}"))
            .db(&db)
            .run();
        assert_eq!(killed.output().status.code(), None, "{stage}: not killed");
        let resumed = rslm(ROUNDS)
            .args(["--rounds", "1", "--gate-alpha", "0.5", "--resume"])
            .db(&db)
            .run()
            .success();
        let text = resumed.stdout_text();
        assert!(text.contains("(resumed)"), "{stage}: {text}");
        let stages = ["generate", "consolidate", "train", "gate", "eval"];
        let before = stages.iter().position(|s| *s == stage).unwrap();
        for done in &stages[..before] {
            assert!(
                text.contains(&format!("round 1 {done}: completed in an earlier attempt")),
                "{stage}: {text}"
            );
        }
        // One run, every stage completed once; the killed stage started twice.
        assert_eq!(
            count(&db, "SELECT count(*) FROM runs WHERE kind = 'self-improve'"),
            1
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM round_steps WHERE status = 'completed'"
            ),
            5
        );
        assert_eq!(
            count(
                &db,
                &format!("SELECT attempts FROM round_steps WHERE stage = '{stage}'")
            ),
            2
        );
        assert_eq!(
            count(
                &db,
                "SELECT sum(attempts) FROM round_steps WHERE stage <> (SELECT stage FROM round_steps WHERE attempts = 2)"
            ),
            4
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM runs WHERE kind = 'iteration' AND status = 'completed'"
            ),
            1,
            "{stage}"
        );
        assert_eq!(count(&db, "SELECT count(*) FROM adapters"), 1, "{stage}");
        let report = report(&dir.path().join("m-self-improve/run001/report.json"));
        assert_eq!(report["status"], "completed", "{stage}");
    }
}

#[test]
fn the_time_budget_stops_a_run_cleanly_and_resume_finishes_it() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm(ROUNDS)
        .args(["--rounds", "1", "--time-budget", "0.001s"])
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains("time budget")
        .stderr_contains("--resume");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE kind = 'self-improve' AND status = 'interrupted'"
        ),
        1
    );
    rslm(ROUNDS)
        .args(["--rounds", "1", "--resume"])
        .db(&db)
        .run()
        .success();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE kind = 'self-improve' AND status = 'completed'"
        ),
        1
    );
    rslm(ROUNDS)
        .args(["--rounds", "1", "--time-budget", "soon"])
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--time-budget");
}

#[test]
fn cycles_write_beside_their_store_and_say_simulation() {
    let dir = tempdir();
    let db = dir.path().join("stores").join("a.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let run = rslm("self-improve --fast --cycles 1 --k 2 --task-limit 20 --heldout-size 20 --eval-task-limit 10")
        .db(&db)
        .current_dir(dir.path())
        .run()
        .success();
    let text = run.stdout_text();
    assert!(text.starts_with("SIMULATION cycle 1:"), "{text}");
    assert!(
        dir.path()
            .join("stores/a-self-improve/results_cycle001.json")
            .is_file()
    );
    // Nothing in the working folder's artifacts/, where every store's results used to go.
    assert!(!dir.path().join("artifacts").exists());
}

#[test]
fn a_simulated_adapter_trains_without_torch_and_only_the_mock_uses_it() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm("run-iteration --fast --k 2 --task-limit 30 --heldout-size 40")
        .db(&db)
        .run()
        .success();
    let adapter = dir.path().join("sim-1");
    rslm("train-lora --backend mock --heldout-size 40 --out")
        .arg(&adapter)
        .db(&db)
        .env("RSLM_TRAIN_PYTHON", "/nonexistent/python")
        .run()
        .success()
        .stdout_contains("SIMULATION: registered simulated adapter sim-1");
    let manifest = report(&adapter.join("manifest.json"));
    assert_eq!(manifest["simulation"], true);
    assert!(adapter.join("simulated_adapter.json").is_file());
    rslm("set-active-adapter --name sim-1")
        .db(&db)
        .run()
        .success();
    // A model server cannot serve it: a usage error naming the adapter, not a silent base model.
    let server = FakeOpenAi::builder()
        .responder(|_| Reply::text("def f():\n    return 0"))
        .start();
    rslm("eval --fast --heldout-size 40 --conditions learning")
        .backend_openai(&server)
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("sim-1 is a SIMULATED adapter");
}
