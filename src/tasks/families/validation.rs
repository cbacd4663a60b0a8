//! Proves every family right: its reference solution passes the hidden tests it generates, and
//! trivial wrong answers (None, 0, the input unchanged, an empty collection, a constant taken
//! from the worked examples) fail them. Runs one Python process over all families.

use std::collections::BTreeSet;

use super::{Family, TaskSpec, all};
use crate::tasks::render::{STRICT_EQUAL_PY, render};

const VALIDATOR: &str = include_str!("validation.py");

/// Variants checked per family: spread over the whole index range.
const SAMPLES_PER_FAMILY: usize = 12;

fn sample_indices(family: &dyn Family) -> Vec<usize> {
    let n = family.variants();
    let step = (n / SAMPLES_PER_FAMILY).max(1);
    let mut picked: BTreeSet<usize> = (0..n).step_by(step).take(SAMPLES_PER_FAMILY).collect();
    picked.insert(n - 1);
    picked.into_iter().collect()
}

fn wrong_answers(spec: &TaskSpec) -> Vec<String> {
    let header = format!(
        "def {}({}):\n    return ",
        spec.function_name,
        spec.params.join(", ")
    );
    let mut bodies: Vec<String> = ["None", "0", "True", "False", "[]", "''", "{}", "()"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    bodies.push(spec.params[0].to_string());
    for case in &spec.examples {
        bodies.push(case.expected.to_python());
    }
    bodies.sort();
    bodies.dedup();
    bodies
        .into_iter()
        .map(|b| format!("{header}{b}\n"))
        .collect()
}

#[test]
fn every_family_has_a_passing_reference_and_rejects_trivial_answers() {
    let mut items = Vec::new();
    for family in all() {
        for index in sample_indices(family) {
            let spec = family.build(index);
            let task = render(&spec, family.name());
            assert!(
                !task
                    .reference_tests
                    .contains(spec.reference_solution.trim())
                    && !task.prompt.contains(spec.reference_solution.trim()),
                "{}: the reference solution leaked into the task",
                family.name()
            );
            assert!(
                spec.examples.len() >= 2,
                "{}: needs at least two worked examples",
                family.name()
            );
            assert!(
                spec.hidden.len() >= 5,
                "{}: needs at least five hidden cases",
                family.name()
            );
            items.push(serde_json::json!({
                "family": family.name(),
                "task_id": task.task_id,
                "reference": spec.reference_solution,
                "wrong": wrong_answers(&spec),
                "assert_tests": task.assert_tests,
                "reference_tests": task.reference_tests,
            }));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload.json");
    std::fs::write(
        &payload,
        serde_json::json!({"strict_equal": STRICT_EQUAL_PY, "items": items}).to_string(),
    )
    .unwrap();
    let script = dir.path().join("validate.py");
    std::fs::write(&script, VALIDATOR).unwrap();
    let python = std::env::var("RSLM_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(&payload)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut problems = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["reference_ok"] != true {
            problems.push(format!(
                "{}: reference fails: {}",
                row["task_id"], row["reference_problem"]
            ));
        }
        for wrong in row["wrong_passed"].as_array().unwrap() {
            problems.push(format!(
                "{}: trivial answer passes: {}",
                row["task_id"],
                wrong.as_str().unwrap().trim()
            ));
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().count(),
        items.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn families_produce_distinct_prompts_and_ids() {
    let mut ids = BTreeSet::new();
    let mut prompts = BTreeSet::new();
    let mut names = BTreeSet::new();
    for family in all() {
        assert!(
            names.insert(family.name()),
            "duplicate family name {}",
            family.name()
        );
        for index in 0..family.variants() {
            let task = render(&family.build(index), family.name());
            assert!(
                ids.insert(task.task_id.clone()),
                "{}: duplicate task_id {}",
                family.name(),
                task.task_id
            );
            assert!(
                prompts.insert(task.prompt),
                "{}: duplicate prompt at index {index}",
                family.name()
            );
        }
    }
}

/// The Python test above samples a dozen variants per family; this checks every variant of every
/// family for what can be checked without Python.
#[test]
fn every_variant_is_well_formed() {
    for family in all() {
        assert!(
            family.variants() >= 60,
            "{}: too few variants",
            family.name()
        );
        // The generator weighs a family by the difficulty of its variant 0, so it must hold for
        // all of them; the original `dedupe_preserve` is easy only when it keeps one first
        // occurrence, and is weighed as easy.
        let difficulty = family.build(0).difficulty;
        let one_difficulty = family.name() != "dedupe_preserve";
        for index in 0..family.variants() {
            let spec = family.build(index);
            let at = format!("{} variant {index}", family.name());
            if one_difficulty {
                assert_eq!(spec.difficulty, difficulty, "{at}: difficulty changes");
            }
            assert!(spec.examples.len() >= 2, "{at}");
            assert!((6..=10).contains(&spec.hidden.len()), "{at}: hidden count");
            for p in &spec.params {
                assert!(spec.description.contains(p), "{at}: prompt omits {p}");
            }
            assert!(
                spec.examples
                    .iter()
                    .chain(&spec.hidden)
                    .any(|c| c.args[0] != c.expected),
                "{at}: returning the first argument passes"
            );
        }
    }
}
