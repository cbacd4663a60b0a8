//! The training set: verified episodes of train-pool tasks only, in the exact chat format the
//! model is prompted with, de-duplicated and balanced so that easy, often-solved tasks and large
//! families do not swamp it. Held-out tasks never enter, whatever the store holds.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::prompt::{Message, answer, solution_chat};
use crate::store::Store;
use crate::store::episodes::RecordedEpisode;
use crate::tasks::Task;
use crate::tasks::split::Split;

/// How many examples a task and a family may contribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub max_per_task: usize,
    pub max_per_family: usize,
    /// Seeds the choice among a task's solutions and among a family's tasks.
    pub seed: u64,
}

/// One training example: the prompt the model sees and a verified answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub messages: Vec<Message>,
    pub task_id: String,
    pub family: String,
    pub episode_id: i64,
    pub code_hash: String,
}

/// What was read and why episodes were left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub episodes: usize,
    pub excluded_heldout: usize,
    pub excluded_unknown_task: usize,
    pub excluded_unverified: usize,
    pub duplicates: usize,
    pub capped_per_task: usize,
    pub capped_per_family: usize,
    pub examples: usize,
    pub tasks: usize,
    pub families: usize,
}

/// The training set and its report.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub examples: Vec<Example>,
    pub report: Report,
}

impl Dataset {
    /// One JSON object a line, as the trainer reads it.
    pub fn to_jsonl(&self) -> String {
        self.examples
            .iter()
            .map(|e| serde_json::to_string(e).expect("examples serialize") + "\n")
            .collect()
    }
}

/// sha256 of text, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Code with trailing spaces and blank lines removed: answers that differ only there are one.
fn normalized(code: &str) -> String {
    code.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn seeded_key(seed: u64, text: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}:{text}").as_bytes()).into()
}

/// A task's distinct verified solutions, keyed by normalized-code hash.
type Solutions = Vec<(String, RecordedEpisode)>;

/// Builds the training set from the store's episodes and the split of the task set.
pub fn build(store: &Store, split: &Split, balance: Balance) -> anyhow::Result<Dataset> {
    Ok(select(store.recorded_episodes()?, split, balance))
}

fn select(rows: Vec<RecordedEpisode>, split: &Split, balance: Balance) -> Dataset {
    let heldout_ids: HashSet<&str> = split.heldout.iter().map(|t| t.task_id.as_str()).collect();
    let heldout_prompts: HashSet<&str> = split.heldout.iter().map(|t| t.prompt.trim()).collect();
    let train: HashMap<&str, &Task> = split
        .train
        .iter()
        .map(|t| (t.task_id.as_str(), t))
        .collect();
    let mut report = Report {
        episodes: rows.len(),
        ..Report::default()
    };

    // Per task: its distinct verified solutions.
    let mut by_task: BTreeMap<&str, Solutions> = BTreeMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for row in rows {
        if heldout_ids.contains(row.task_id.as_str()) || heldout_prompts.contains(row.prompt.trim())
        {
            report.excluded_heldout += 1;
            continue;
        }
        if !row.passed || row.verdict != "pass" || row.code.trim().is_empty() {
            report.excluded_unverified += 1;
            continue;
        }
        let Some(task) = train.get(row.task_id.as_str()) else {
            report.excluded_unknown_task += 1;
            continue;
        };
        let hash = sha256_hex(normalized(&answer(&row.code, &task.function_name)).as_bytes());
        if !seen.insert((task.task_id.clone(), hash.clone())) {
            report.duplicates += 1;
            continue;
        }
        by_task
            .entry(task.task_id.as_str())
            .or_default()
            .push((hash, row));
    }

    // Cap per task, choosing solutions by a seeded order.
    let mut by_family: BTreeMap<String, Vec<(&Task, Solutions)>> = BTreeMap::new();
    for (task_id, mut solutions) in by_task {
        let task = train[task_id];
        solutions.sort_by_key(|(hash, _)| seeded_key(balance.seed, hash));
        if solutions.len() > balance.max_per_task {
            report.capped_per_task += solutions.len() - balance.max_per_task;
            solutions.truncate(balance.max_per_task);
        }
        let family = task.family.clone().unwrap_or_else(|| task.task_id.clone());
        by_family.entry(family).or_default().push((task, solutions));
    }

    // Cap per family, round-robin over its tasks so that the cap spreads across them.
    let mut examples = Vec::new();
    let mut tasks_used = HashSet::new();
    for (family, mut tasks) in by_family {
        tasks.sort_by_key(|(t, _)| seeded_key(balance.seed, &t.task_id));
        let available: usize = tasks.iter().map(|(_, s)| s.len()).sum();
        let mut taken = 0;
        let mut round = 0;
        while taken < balance.max_per_family.min(available) {
            for (task, solutions) in &tasks {
                if taken == balance.max_per_family {
                    break;
                }
                if let Some((hash, row)) = solutions.get(round) {
                    examples.push(Example {
                        messages: solution_chat(task, &row.code),
                        task_id: task.task_id.clone(),
                        family: family.clone(),
                        episode_id: row.id,
                        code_hash: hash.clone(),
                    });
                    tasks_used.insert(task.task_id.clone());
                    taken += 1;
                }
            }
            round += 1;
        }
        report.capped_per_family += available - taken;
        if taken > 0 {
            report.families += 1;
        }
    }
    report.examples = examples.len();
    report.tasks = tasks_used.len();
    Dataset { examples, report }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, family: &str) -> Task {
        Task {
            task_id: id.into(),
            prompt: format!("Prompt of {id}"),
            function_name: "f".into(),
            signature: "(x)".into(),
            reference_tests: String::new(),
            assert_tests: vec![],
            family: Some(family.into()),
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    fn row(id: i64, task_id: &str, code: &str) -> RecordedEpisode {
        RecordedEpisode {
            id,
            task_id: task_id.into(),
            prompt: format!("Prompt of {task_id}"),
            code: code.into(),
            passed: true,
            verdict: "pass".into(),
        }
    }

    fn balance(max_per_task: usize, max_per_family: usize) -> Balance {
        Balance {
            max_per_task,
            max_per_family,
            seed: 7,
        }
    }

    fn split() -> Split {
        Split {
            train: vec![
                task("a1", "a"),
                task("a2", "a"),
                task("a3", "a"),
                task("b1", "b"),
            ],
            heldout: vec![task("h1", "a")],
            ..Split::default()
        }
    }

    #[test]
    fn heldout_tasks_never_enter_even_under_another_id() {
        let mut disguised = row(3, "zz", "def f(x): return 3");
        disguised.prompt = "Prompt of h1".into();
        let rows = vec![
            row(1, "h1", "def f(x): return 1"),
            row(2, "a1", "def f(x): return 2"),
            disguised,
        ];
        let d = select(rows, &split(), balance(5, 5));
        assert_eq!(d.report.excluded_heldout, 2);
        assert_eq!(d.examples.len(), 1);
        assert!(d.to_jsonl().lines().all(|l| !l.contains("h1")));
    }

    #[test]
    fn failures_unknown_tasks_and_duplicates_are_dropped() {
        let mut failed = row(2, "a1", "def f(x): return 0");
        failed.passed = false;
        let mut timeout = row(3, "a1", "def f(x): return 9");
        timeout.verdict = "timeout".into();
        let rows = vec![
            row(1, "a1", "def f(x):\n    return 1\n"),
            failed,
            timeout,
            row(4, "a1", "def f(x):   \n\n    return 1"),
            row(5, "gone", "def f(x): return 5"),
        ];
        let d = select(rows, &split(), balance(5, 5));
        assert_eq!(d.report.excluded_unverified, 2);
        assert_eq!(d.report.duplicates, 1);
        assert_eq!(d.report.excluded_unknown_task, 1);
        assert_eq!(d.examples.len(), 1);
        assert_eq!(d.examples[0].episode_id, 1);
    }

    #[test]
    fn caps_per_task_and_family_spread_over_tasks() {
        let mut rows = Vec::new();
        let mut id = 0;
        for t in ["a1", "a2", "a3"] {
            for k in 0..4 {
                id += 1;
                rows.push(row(id, t, &format!("def f(x): return {k}")));
            }
        }
        rows.push(row(100, "b1", "def f(x): return 1"));
        let d = select(rows, &split(), balance(2, 4));
        let count = |t: &str| d.examples.iter().filter(|e| e.task_id == t).count();
        assert_eq!(d.report.capped_per_task, 6);
        assert_eq!(
            count("a1") + count("a2") + count("a3"),
            4,
            "family cap of 4"
        );
        assert!(
            ["a1", "a2", "a3"].iter().all(|t| count(t) >= 1),
            "round-robin reaches every task"
        );
        assert_eq!(count("b1"), 1);
        assert_eq!(d.report.capped_per_family, 2);
        assert_eq!(d.report.families, 2);
        assert_eq!(d.report.tasks, 4);
    }

    #[test]
    fn examples_use_the_prompt_format_of_generation() {
        let t = task("a1", "a");
        let d = select(
            vec![row(1, "a1", "def f(x):\n    return x\n\n")],
            &split(),
            balance(1, 1),
        );
        let m = &d.examples[0].messages;
        assert_eq!(m[0].content, crate::prompt::SYSTEM);
        assert_eq!(
            m[1].content,
            crate::prompt::user_message(&t, &crate::memory::Retrieved::default())
        );
        assert_eq!(m[2].content, "def f(x):\n    return x");
        let again = select(
            vec![row(1, "a1", "def f(x):\n    return x\n\n")],
            &split(),
            balance(1, 1),
        );
        assert_eq!(d.to_jsonl(), again.to_jsonl(), "deterministic");
    }
}
