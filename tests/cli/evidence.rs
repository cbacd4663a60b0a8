//! Evidence that survives review, through the binary: twins never straddle the split, the
//! family and dev splits, the control conditions, family-clustered intervals, the declared
//! primary comparison with Holm's correction, and replication over seeds.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply, SeenRequest};
use crate::support::{count, tempdir};

/// The operations of the test families: (family, word in the prompt, Python operator).
const OPS: &[(&str, &str, &str)] = &[
    ("add", "plus", "+"),
    ("sub", "minus", "-"),
    ("mul", "times", "*"),
    ("xor", "xor", "^"),
    ("or", "bitwise-or", "|"),
    ("and", "bitwise-and", "&"),
];

/// A task line: `{name}({param})` returns `param OP k`, worded with or without filler.
fn task_line(id: &str, name: &str, param: &str, family: &str, k: i64, filler: bool) -> String {
    let (_, word, op) = OPS.iter().find(|o| o.0 == family).unwrap();
    let subject = if filler {
        format!("the int {param}")
    } else {
        param.to_string()
    };
    let expect = |x: i64| match *op {
        "+" => x + k,
        "-" => x - k,
        "*" => x * k,
        "^" => x ^ k,
        "|" => x | k,
        _ => x & k,
    };
    serde_json::json!({
        "task_id": id,
        "prompt": format!("Return {subject} {word} {k}."),
        "function_name": name,
        "signature": format!("({param})"),
        "family": family,
        "reference_tests": format!("from solution import *\n\n\ndef test_it():\n    assert {name}(6) == {}\n", expect(6)),
        "assert_tests": [format!("assert {name}(6) == {}", expect(6)), format!("assert {name}(-3) == {}", expect(-3))],
    })
    .to_string()
}

/// `per_family` tasks in each of the first `families` families (constants 1, 2, ...).
fn write_family_tasks(dir: &Path, families: usize, per_family: i64) -> PathBuf {
    let mut lines = Vec::new();
    for (family, _, _) in &OPS[..families] {
        for k in 1..=per_family {
            lines.push(task_line(
                &format!("{family}_{k}-t"),
                &format!("{family}_{k}"),
                "n",
                family,
                k,
                false,
            ));
        }
    }
    let path = dir.join("families.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

/// The right answer to the task of a user message (the task turn or a worked example's).
fn right_answer(user: &str) -> String {
    let line = user.lines().nth(1).unwrap_or_default();
    let name = user
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim();
    let param = user
        .lines()
        .find_map(|l| l.strip_prefix("Signature: def "))
        .and_then(|s| s.split_once('(')?.1.split_once(')'))
        .map_or("n", |(p, _)| p);
    let op = OPS
        .iter()
        .find(|(_, word, _)| line.contains(&format!(" {word} ")))
        .map_or("+", |o| o.2);
    let k: String = line
        .trim_end_matches('.')
        .rsplit(' ')
        .next()
        .unwrap_or("0")
        .to_string();
    format!("```python\ndef {name}({param}):\n    return {param} {op} {k}\n```")
}

/// The family word of a task text ("plus", "minus", ...).
fn family_word(text: &str) -> &'static str {
    let line = text.lines().nth(1).unwrap_or_default();
    OPS.iter()
        .find(|(_, word, _)| line.contains(&format!(" {word} ")))
        .map_or("?", |o| o.1)
}

fn right_server() -> FakeOpenAi {
    FakeOpenAi::builder()
        .responder(|req| Reply::text(right_answer(&req.user_message())))
        .start()
}

/// The worked examples of a request: the user turns before the task.
fn examples(req: &SeenRequest) -> Vec<String> {
    let messages = req.messages();
    messages[1..messages.len() - 1]
        .iter()
        .filter(|(role, _)| role == "user")
        .map(|(_, text)| text.clone())
        .collect()
}

fn condition<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["condition"] == name)
        .unwrap_or_else(|| panic!("{name} missing in {report}"))
}

fn task_ids(condition: &serde_json::Value) -> BTreeSet<String> {
    condition["per_task"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_string())
        .collect()
}

fn stored_task_ids(db: &Path) -> BTreeSet<String> {
    rusqlite::Connection::open(db)
        .unwrap()
        .prepare("SELECT DISTINCT task_id FROM episodes")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn twins_never_straddle_the_split() {
    // 30 pairs of twins: add_K(n) "Return n plus K." and plus_K(x) "Return the int x plus K."
    // differ only in the function name, the parameter name and filler words.
    let dir = tempdir();
    let tasks = dir.path().join("twins.jsonl");
    let mut lines = Vec::new();
    for k in 1..=30 {
        lines.push(task_line(
            &format!("add_{k}-t"),
            &format!("add_{k}"),
            "n",
            "add",
            k,
            false,
        ));
        lines.push(task_line(
            &format!("plus_{k}-t"),
            &format!("plus_{k}"),
            "x",
            "add",
            k,
            true,
        ));
    }
    // No family: each task is its own, so the family split assigns them one by one too.
    let lines: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("family");
            v.to_string()
        })
        .collect();
    std::fs::write(&tasks, lines.join("\n")).unwrap();
    let constant = |id: &str| -> i64 {
        id.trim_end_matches("-t")
            .rsplit('_')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let server = right_server();
    for split in ["hash", "family"] {
        let db = dir.path().join(format!("{split}.sqlite"));
        // Every train-pool task the iteration attempts is solved and remembered.
        let run =
            rslm("run-iteration --fast --k 1 --task-limit 100 --heldout-size 12 --dev-size 6")
                .args(["--split", split])
                .backend_openai(&server)
                .tasks(&tasks)
                .db(&db)
                .run()
                .success();
        let stderr = run.stderr_text();
        assert!(stderr.contains("split: dropped"), "{split}: {stderr}");
        let report = rslm("eval --fast --k 1 --heldout-size 12 --dev-size 6 --skip-precision")
            .args(["--split", split, "--conditions", "baseline", "--json"])
            .backend_openai(&server)
            .tasks(&tasks)
            .db(&db)
            .run()
            .success()
            .json();
        let dropped = report["split"]["dropped_twins"].as_u64().unwrap();
        assert!(dropped > 0, "{split}: {report}");
        assert_eq!(
            report["split"]["dropped"].as_array().unwrap().len() as u64,
            dropped
        );
        let heldout: HashSet<i64> = task_ids(condition(&report, "baseline"))
            .iter()
            .map(|id| constant(id))
            .collect();
        let remembered = stored_task_ids(&db);
        assert!(!remembered.is_empty());
        for id in &remembered {
            assert!(
                !heldout.contains(&constant(id)),
                "{split}: {id} was remembered, and its twin is held out"
            );
        }
        // The dev split is not remembered either, nor are its twins.
        let dev = rslm("eval --fast --k 1 --heldout-size 12 --dev-size 6 --skip-precision")
            .args(["--split", split, "--conditions", "baseline", "--json"])
            .args(["--eval-split", "dev"])
            .backend_openai(&server)
            .tasks(&tasks)
            .db(&db)
            .run()
            .success()
            .json();
        assert_eq!(dev["eval_split"], "dev");
        let dev_constants: HashSet<i64> = task_ids(condition(&dev, "baseline"))
            .iter()
            .map(|id| constant(id))
            .collect();
        assert!(dev_constants.is_disjoint(&heldout), "{split}");
        assert!(
            remembered
                .iter()
                .all(|id| !dev_constants.contains(&constant(id)))
        );
    }
}

#[test]
fn the_family_split_holds_out_whole_families_and_eval_names_its_split() {
    let dir = tempdir();
    let tasks = write_family_tasks(dir.path(), 6, 6);
    let db = dir.path().join("f.sqlite");
    let server = right_server();
    let split = [
        "--split",
        "family",
        "--split-seed",
        "5",
        "--heldout-size",
        "8",
    ];
    rslm("run-iteration --fast --k 1 --task-limit 100 --dev-size 6")
        .args(split)
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let eval = |extra: &[&str]| {
        rslm("eval --fast --k 1 --dev-size 6 --skip-precision --conditions baseline,memory")
            .args(split)
            .args(extra)
            .backend_openai(&server)
            .tasks(&tasks)
            .db(&db)
            .run()
    };
    let report = eval(&["--json"]).success().json();
    let family = |id: &str| id.split('_').next().unwrap().to_string();
    let heldout: BTreeSet<String> = task_ids(condition(&report, "baseline"))
        .iter()
        .map(|id| family(id))
        .collect();
    assert_eq!(report["split"]["kind"], "family");
    assert_eq!(report["eval_split"], "test");
    assert_eq!(heldout.len(), 2, "whole families until at least 8 tasks");
    assert_eq!(report["task_count"], 12);
    assert_eq!(report["split"]["heldout_families"], 2);
    let remembered: BTreeSet<String> = stored_task_ids(&db).iter().map(|id| family(id)).collect();
    assert!(
        remembered.is_disjoint(&heldout),
        "{remembered:?} {heldout:?}"
    );
    assert_eq!(remembered.len(), 3, "six families: two held out, one dev");
    // Memory of other families is not retrieved for a held-out family: nothing similar.
    assert_eq!(
        condition(&report, "memory")["vs_baseline"]["only_condition"],
        0
    );
    let dev = eval(&["--json", "--eval-split", "dev"]).success().json();
    let dev_families: BTreeSet<String> = task_ids(condition(&dev, "baseline"))
        .iter()
        .map(|id| family(id))
        .collect();
    assert_eq!(dev_families.len(), 1);
    assert!(dev_families.is_disjoint(&heldout) && dev_families.is_disjoint(&remembered));
    let table = eval(&["--eval-split", "dev"]).success().stdout_text();
    assert!(
        table.contains("6 dev-split tasks (") && table.contains("family split"),
        "{table}"
    );
    let table = eval(&[]).success().stdout_text();
    assert!(
        table.contains("12 held-out (test split) tasks ("),
        "{table}"
    );
    // A dev eval without a dev split, and unknown split kinds, are usage errors.
    rslm("eval --fast --eval-split dev --heldout-size 8 --conditions baseline")
        .tasks(&tasks)
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--dev-size");
    rslm("eval --fast --split words")
        .tasks(&tasks)
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--split");
}

#[test]
fn controls_show_verified_examples_of_other_families_never_held_out_ones() {
    let dir = tempdir();
    let tasks = write_family_tasks(dir.path(), 3, 8);
    let db = dir.path().join("c.sqlite");
    rslm("run-iteration --fast --k 1 --task-limit 100 --heldout-size 6")
        .backend_openai(&right_server())
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    assert_eq!(count(&db, "SELECT count(*) FROM episodes"), 18);
    // Right only with a worked example of the task's own family, or for `plus` tasks with
    // any worked example: memory (same family) beats the controls (other families).
    let server = FakeOpenAi::builder()
        .responder(|req| {
            let task = req.user_message();
            let shown = examples(req);
            let same = shown.iter().any(|e| family_word(e) == family_word(&task));
            if same || (!shown.is_empty() && family_word(&task) == "plus") {
                Reply::text(right_answer(&task))
            } else {
                Reply::text("def f(n):\n    return None")
            }
        })
        .start();
    let report = rslm("eval --fast --k 1 --heldout-size 6 --skip-precision --json")
        .args(["--conditions", "baseline,memory,few_shot,random_memory"])
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .json();
    let heldout = task_ids(condition(&report, "baseline"));
    let chats: Vec<SeenRequest> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_chat())
        .collect();
    assert_eq!(chats.len(), 4 * heldout.len());
    let h = heldout.len();
    for req in &chats {
        for example in examples(req) {
            let name = example
                .lines()
                .find_map(|l| l.strip_prefix("Function name: "))
                .unwrap()
                .trim()
                .to_string();
            assert!(
                !heldout.contains(&format!("{name}-t")),
                "a held-out task was shown: {name}"
            );
        }
    }
    // Conditions run one after the other: baseline, memory, few_shot, random_memory. The
    // controls' examples are of other families; few_shot's are the same for every task of a
    // family.
    let mut few_shot_by_family = std::collections::HashMap::new();
    for (i, req) in chats[2 * h..].iter().enumerate() {
        let task = req.user_message();
        let shown = examples(req);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown.iter().all(|e| family_word(e) != family_word(&task)));
        if i < h {
            if let Some(before) = few_shot_by_family.insert(family_word(&task), shown.clone()) {
                assert_eq!(before, shown);
            }
        }
    }
    for name in ["few_shot", "random_memory"] {
        let c = condition(&report, name);
        assert!(c["notes"].as_str().unwrap().starts_with("control:"), "{c}");
        assert!(c["vs_baseline"]["p_value"].is_number());
    }
    let memory = condition(&report, "memory")["pass_at_1"].as_f64().unwrap();
    let few_shot = condition(&report, "few_shot")["pass_at_1"]
        .as_f64()
        .unwrap();
    assert!(memory > few_shot, "memory {memory} vs few_shot {few_shot}");
    // Primary: memory, unadjusted; the two controls Holm-adjusted together.
    assert_eq!(report["primary"], "memory");
    let v = |name: &str| condition(&report, name)["vs_baseline"].clone();
    assert_eq!(v("memory")["primary"], true);
    assert_eq!(v("memory")["p_value_adjusted"], v("memory")["p_value"]);
    let raw: Vec<f64> = ["few_shot", "random_memory"]
        .iter()
        .map(|n| v(n)["p_value"].as_f64().unwrap())
        .collect();
    let (lo, hi) = if raw[0] <= raw[1] { (0, 1) } else { (1, 0) };
    let first = (2.0 * raw[lo]).min(1.0);
    let expected = [(lo, first), (hi, first.max(raw[hi]))];
    for (i, want) in expected {
        let name = ["few_shot", "random_memory"][i];
        let got = v(name)["p_value_adjusted"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{name}: {got} vs {want}");
        assert_eq!(v(name)["primary"], false);
    }
    // Without training data the controls refuse to run rather than show nothing.
    let empty = dir.path().join("empty.sqlite");
    rslm("init-db").db(&empty).run().success();
    rslm("eval --fast --k 1 --heldout-size 6 --conditions baseline,few_shot")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&empty)
        .run()
        .failure(2)
        .stderr_contains("control conditions need verified episodes");
}

#[test]
fn family_clustered_intervals_see_two_families_not_twenty_tasks() {
    // Two families of ten tasks, all held out: the server solves every `plus` task and no
    // `minus` task. Per task, 10 of 20 has a Wilson interval of [0.299, 0.701]; per family
    // there are two units, and a resample is {plus, plus}, {plus, minus} or {minus, minus}.
    let dir = tempdir();
    let tasks = write_family_tasks(dir.path(), 2, 10);
    let db = dir.path().join("s.sqlite");
    rslm("init-db").db(&db).run().success();
    let server = FakeOpenAi::builder()
        .responder(|req| {
            let task = req.user_message();
            if family_word(&task) == "plus" {
                Reply::text(right_answer(&task))
            } else {
                Reply::text("def f(n):\n    return None")
            }
        })
        .start();
    let run = rslm("eval --fast --k 1 --heldout-size 20 --skip-precision --conditions baseline")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .arg("--json")
        .run()
        .success()
        .json();
    let baseline = condition(&run, "baseline");
    assert_eq!(baseline["pass_at_1"], 0.5);
    assert_eq!(baseline["families"], 2);
    assert_eq!(
        baseline["pass_at_1_ci_family"],
        serde_json::json!([0.0, 1.0])
    );
    let wilson = baseline["pass_at_1_ci"].as_array().unwrap();
    assert!(
        (wilson[0].as_f64().unwrap() - 0.2993).abs() < 1e-3,
        "{wilson:?}"
    );
    assert!(
        (wilson[1].as_f64().unwrap() - 0.7007).abs() < 1e-3,
        "{wilson:?}"
    );
    let table = rslm("eval --fast --k 1 --heldout-size 20 --skip-precision --conditions baseline")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .stdout_text();
    assert!(table.contains("[0.299, 0.701]   [0.000, 1.000]"), "{table}");
    assert!(
        table.contains("by family: 95% bootstrap interval resampling whole families (2 families"),
        "{table}"
    );
}

#[test]
fn seeds_replicate_and_report_their_spread() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm("run-iteration --fast --k 2 --task-limit 20 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    let base = "eval --fast --conditions baseline,memory,semantic --k 1 --n 2 --temperature 0.7 --heldout-size 20 --skip-precision";
    let report = rslm(base)
        .args(["--seeds", "1,2,3", "--json"])
        .db(&db)
        .run()
        .success()
        .json();
    assert_eq!(report["seeds"], serde_json::json!([1, 2, 3]));
    for c in report["conditions"].as_array().unwrap() {
        assert_eq!(c["samples_per_task"], 6, "2 samples x 3 seeds, pooled");
        let runs = &c["over_seeds"];
        let rates: Vec<f64> = runs["pass_at_1"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(rates.len(), 3);
        let mean = rates.iter().sum::<f64>() / 3.0;
        assert!((runs["spread"]["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!(
            (c["pass_at_1"].as_f64().unwrap() - mean).abs() < 1e-12,
            "pooled = mean of seeds"
        );
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(runs["spread"]["min"].as_f64().unwrap(), min);
    }
    // Each seed is its own sample: seed 1 alone is the first entry.
    let one = rslm(base)
        .args(["--seed", "1", "--json"])
        .db(&db)
        .run()
        .success()
        .json();
    assert!(one.get("seeds").is_none());
    assert_eq!(
        condition(&one, "memory")["pass_at_1"],
        condition(&report, "memory")["over_seeds"]["pass_at_1"][0]
    );
    let table = rslm(base)
        .args(["--seeds", "1,2,3"])
        .db(&db)
        .run()
        .success()
        .stdout_text();
    assert!(table.contains("over seeds 1, 2, 3"), "{table}");
    assert!(
        table.contains("primary comparison: memory vs baseline"),
        "{table}"
    );
    rslm(base)
        .args(["--seeds", "1,1"])
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--seeds");
    rslm(base)
        .args(["--primary", "baseline"])
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--primary");
    rslm(base)
        .args(["--primary", "learning"])
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("--primary");
    rslm(base)
        .args(["--primary", "semantic", "--json"])
        .db(&db)
        .run()
        .success();
}

#[test]
fn every_command_that_splits_takes_the_same_split_options() {
    for command in [
        "run-iteration",
        "consolidate",
        "eval",
        "train-lora",
        "promote-adapter",
        "self-improve",
    ] {
        let help = rslm(command).arg("--help").run().success().stdout_text();
        for flag in [
            "--split <SPLIT>",
            "--split-seed",
            "--heldout-size",
            "--dev-size",
        ] {
            assert!(help.contains(flag), "{command} --help lacks {flag}");
        }
    }
    // And they act on them: consolidation and a self-improve cycle on a family split.
    let dir = tempdir();
    let tasks = write_family_tasks(dir.path(), 6, 6);
    let db = dir.path().join("s.sqlite");
    let split = [
        "--split",
        "family",
        "--heldout-size",
        "8",
        "--dev-size",
        "6",
    ];
    let summary = rslm("self-improve --fast --cycles 1 --k 1 --json --conditions baseline")
        .args(split)
        .tasks(&tasks)
        .db(&db)
        .arg("--output-dir")
        .arg(dir.path().join("cycles"))
        .run()
        .success()
        .stdout_text();
    assert!(!summary.is_empty());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cycles/results_cycle001.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["split"]["kind"], "family");
    assert_eq!(report["split"]["dev"], 6);
    assert_eq!(report["task_count"], 12);
    rslm("consolidate --fast --min-evidence 1")
        .args(split)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
}
