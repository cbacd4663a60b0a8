//! `rslm verify` and `rslm import-tasks` through the real binary.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

use super::common::*;

/// `rslm` without the caller's `RSLM_*` variables (except the interpreter).
pub fn rslm() -> Command {
    let mut cmd = Command::cargo_bin("rslm").expect("rslm binary builds");
    for (key, _) in std::env::vars() {
        if key.starts_with("RSLM_") && key != "RSLM_PYTHON" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A task file holding `add_const_1`.
fn task_file(dir: &Path) -> String {
    let path = dir.join("tasks.jsonl");
    std::fs::write(
        &path,
        serde_json::to_string(&add_one_task()).unwrap() + "\n",
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn verifies_one_candidate_from_a_file_and_reports_the_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    let code = dir.path().join("good.py");
    std::fs::write(&code, ADD_ONE).unwrap();
    rslm()
        .args(["verify", "--fast", "--tasks", &tasks, "--task-id"])
        .arg(add_one_task().task_id)
        .arg("--code-file")
        .arg(&code)
        .assert()
        .success()
        .stdout(contains("pass: 11/11 tests passed"))
        .stderr(contains("isolation: process group, rlimits"));
}

#[test]
fn reads_stdin_and_prints_the_full_record_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    let output = rslm()
        .args(["verify", "--fast", "--json", "--tasks", &tasks, "--task-id"])
        .arg(add_one_task().task_id)
        .write_stdin("def add_const_1(n):\n    return n\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["verdict"], "fail");
    assert_eq!(record["tests_passed"], 0);
    assert_eq!(record["mode"], "fast");
    assert!(
        record["first_failure"]
            .as_str()
            .unwrap()
            .starts_with("assert_tests[0]")
    );
    assert!(
        record["isolation"]
            .as_str()
            .unwrap()
            .starts_with("isolation:")
    );
}

#[test]
fn fast_mode_from_the_environment_and_the_bundled_tasks() {
    let tasks = rslm::tasks::loader::TaskSource::Bundled.load().unwrap();
    let task = &tasks[0];
    rslm()
        .env("RSLM_FAST_VERIFY", "1")
        .args(["verify", "--task-id", &task.task_id])
        .write_stdin(format!(
            "def {}(*args):\n    return None\n",
            task.function_name
        ))
        .assert()
        .success()
        .stdout(contains("fail:").or(contains("error:")))
        .stderr(contains("fast mode"));
}

#[test]
fn adversarial_candidates_through_the_binary() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    let id = add_one_task().task_id;
    let marker = format!("{}", 800_000 + std::process::id() % 99_999);
    let cases = [
        ("import os\nos._exit(0)\n", "crash:"),
        ("import sys\nsys.exit(0)\n", "error:"),
        (
            "def add_const_1(n):\n    while True:\n        pass\n",
            "timeout:",
        ),
        (
            "class A:\n    def __eq__(self, o):\n        return True\ndef add_const_1(n):\n    return A()\n",
            "fail:",
        ),
        (
            &format!(
                "import os\nif os.fork() == 0:\n    os.setsid()\n    os.execv('/bin/sleep', ['sleep', '{marker}'])\ndef add_const_1(n):\n    return n + 1\n"
            ),
            "pass:",
        ),
    ];
    for (code, want) in cases {
        let started = std::time::Instant::now();
        rslm()
            .args([
                "verify",
                "--fast",
                "--timeout",
                "1",
                "--tasks",
                &tasks,
                "--task-id",
                &id,
            ])
            .write_stdin(code)
            .timeout(std::time::Duration::from_secs(30))
            .assert()
            .success()
            .stdout(contains(want));
        assert!(
            started.elapsed().as_secs() < 10,
            "{want} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        leftovers(&marker),
        vec![],
        "the detached grandchild survived"
    );
}

#[test]
fn pytest_mode_without_pytest_says_how_to_install_it() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import pytest"])
        .output();
    if probe.map(|o| o.status.success()).unwrap_or(true) {
        eprintln!("SKIPPED pytest_mode_without_pytest_says_how: python3 on PATH has pytest");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    rslm()
        .env("RSLM_PYTHON", "python3")
        .args([
            "verify",
            "--tasks",
            &tasks,
            "--task-id",
            &add_one_task().task_id,
        ])
        .write_stdin(ADD_ONE)
        .assert()
        .code(1)
        .stderr(contains("scripts/python_env.sh").and(contains("RSLM_PYTHON")));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    rslm()
        .args(["verify", "--fast", "--tasks", &tasks, "--task-id", "nope"])
        .write_stdin(ADD_ONE)
        .assert()
        .code(2)
        .stderr(contains("no task \"nope\""));
    rslm()
        .args(["verify", "--fast", "--samples", "x.jsonl", "--k", "0"])
        .assert()
        .code(2)
        .stderr(contains("--k"));
    rslm()
        .args([
            "verify",
            "--fast",
            "--timeout",
            "-1",
            "--tasks",
            &tasks,
            "--task-id",
            "x",
        ])
        .assert()
        .code(2);
}

#[test]
fn help_shows_the_fast_mode_environment_variable() {
    rslm()
        .args(["verify", "--help"])
        .assert()
        .success()
        .stdout(contains("RSLM_FAST_VERIFY"));
}

#[test]
fn batch_mode_writes_results_and_pass_at_k() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_file(dir.path());
    let id = add_one_task().task_id;
    let samples = dir.path().join("samples.jsonl");
    let mut lines = String::new();
    for (i, code) in [
        ADD_ONE,
        "def add_const_1(n):\n    return n\n",
        ADD_ONE,
        "import os\nos._exit(0)\n",
    ]
    .iter()
    .enumerate()
    {
        let key = if i % 2 == 0 { "solution" } else { "completion" };
        lines.push_str(&serde_json::json!({"task_id": id, key: code}).to_string());
        lines.push('\n');
    }
    std::fs::write(&samples, lines).unwrap();
    let out = dir.path().join("results.jsonl");
    let output = rslm()
        .args([
            "verify",
            "--fast",
            "--json",
            "--tasks",
            &tasks,
            "--k",
            "1,2,10",
            "--samples",
        ])
        .arg(&samples)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["samples"], 4);
    assert_eq!(summary["verdicts"]["pass"], 2);
    assert_eq!(summary["verdicts"]["crash"], 1);
    assert_eq!(summary["pass_at_k"]["pass@1"], 0.5);
    // 1 - C(2,2)/C(4,2) = 1 - 1/6
    assert!((summary["pass_at_k"]["pass@2"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    assert!(summary["pass_at_k"].get("pass@10").is_none());
    assert!(String::from_utf8_lossy(&output.stderr).contains("verified 4/4 samples"));
    let results: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<&str> = results
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "pass", "crash"]);
    assert_eq!(results[3]["sample"], 3);
    assert_eq!(results[0]["passed"], true);

    std::fs::write(&samples, "{\"task_id\": \"missing\", \"solution\": \"\"}\n").unwrap();
    rslm()
        .args(["verify", "--fast", "--tasks", &tasks, "--samples"])
        .arg(&samples)
        .assert()
        .code(1)
        .stderr(contains("samples.jsonl:1: unknown task_id"));
}
