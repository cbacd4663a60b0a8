//! The deterministic train-pool / held-out split of the original: tasks sorted by
//! sha256("{seed}:{task_id}"), the first `heldout_size` held out. Held-out tasks never reach
//! memory or training, so the split refuses any overlap of id or prompt between the two sides.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use super::Task;

/// The original's default split seed.
pub const DEFAULT_SPLIT_SEED: u64 = 1337;

/// A task set divided into the part the loop may learn from and the part it is judged on.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Vec<Task>,
    pub heldout: Vec<Task>,
}

/// Why a split is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SplitError {
    #[error("--heldout-size {requested} is larger than the task set ({available} tasks)")]
    TooLarge { requested: usize, available: usize },
    #[error(
        "task {heldout} (held out) and task {train} (train pool) have the same prompt (up to whitespace): held-out tasks would leak into memory"
    )]
    PromptOverlap { heldout: String, train: String },
    #[error("task_id {0} is on both sides of the split")]
    IdOverlap(String),
}

fn split_key(seed: u64, task_id: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}:{task_id}").as_bytes()).into()
}

/// Splits `tasks` deterministically.
pub fn split(tasks: &[Task], heldout_size: usize, seed: u64) -> Result<Split, SplitError> {
    if heldout_size > tasks.len() {
        return Err(SplitError::TooLarge {
            requested: heldout_size,
            available: tasks.len(),
        });
    }
    let mut keyed: Vec<([u8; 32], &Task)> = tasks
        .iter()
        .map(|t| (split_key(seed, &t.task_id), t))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.task_id.cmp(&b.1.task_id)));
    let heldout: Vec<Task> = keyed[..heldout_size]
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect();
    let train: Vec<Task> = keyed[heldout_size..]
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect();
    check_disjoint(&train, &heldout)?;
    Ok(Split { train, heldout })
}

/// Refuses any task id or prompt that appears on both sides; prompts that differ only in
/// whitespace are the same prompt.
pub fn check_disjoint(train: &[Task], heldout: &[Task]) -> Result<(), SplitError> {
    let ids: HashSet<&str> = heldout.iter().map(|t| t.task_id.as_str()).collect();
    if let Some(t) = train.iter().find(|t| ids.contains(t.task_id.as_str())) {
        return Err(SplitError::IdOverlap(t.task_id.clone()));
    }
    let prompts: std::collections::HashMap<String, &str> = heldout
        .iter()
        .map(|t| (normalize(&t.prompt), t.task_id.as_str()))
        .collect();
    for t in train {
        if let Some(held) = prompts.get(&normalize(&t.prompt)) {
            return Err(SplitError::PromptOverlap {
                heldout: (*held).to_string(),
                train: t.task_id.clone(),
            });
        }
    }
    Ok(())
}

/// A prompt as the disjointness check compares it: whitespace runs (spaces, tabs, line breaks)
/// count as one space and leading or trailing whitespace not at all, so a held-out prompt
/// reformatted in the train pool is still the same prompt.
fn normalize(prompt: &str) -> String {
    prompt.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, prompt: &str) -> Task {
        Task {
            task_id: id.into(),
            prompt: prompt.into(),
            function_name: "f".into(),
            signature: "(x)".into(),
            reference_tests: "def test_a(): pass".into(),
            assert_tests: vec![],
            family: None,
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    fn tasks(n: usize) -> Vec<Task> {
        (0..n)
            .map(|i| task(&format!("t{i}"), &format!("prompt {i}")))
            .collect()
    }

    #[test]
    fn is_deterministic_and_independent_of_input_order() {
        let a = split(&tasks(50), 10, DEFAULT_SPLIT_SEED).unwrap();
        let mut reversed = tasks(50);
        reversed.reverse();
        let b = split(&reversed, 10, DEFAULT_SPLIT_SEED).unwrap();
        let ids = |s: &Split| {
            s.heldout
                .iter()
                .map(|t| t.task_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.train.len(), 40);
        let c = split(&tasks(50), 10, 7).unwrap();
        assert_ne!(ids(&a), ids(&c), "another seed gives another split");
    }

    #[test]
    fn refuses_oversized_heldout_and_prompt_overlap() {
        assert_eq!(
            split(&tasks(5), 6, 1).unwrap_err(),
            SplitError::TooLarge {
                requested: 6,
                available: 5
            }
        );
        let mut set = tasks(20);
        set.push(task("dup", "prompt 3"));
        let err = split(&set, 10, DEFAULT_SPLIT_SEED);
        // The duplicate prompt lands on both sides for this seed or on one side; check both ways.
        let both_sides = match &err {
            Err(SplitError::PromptOverlap { .. }) => true,
            Ok(s) => {
                s.heldout.iter().any(|t| t.prompt == "prompt 3")
                    && s.train.iter().any(|t| t.prompt == "prompt 3")
            }
            Err(e) => panic!("unexpected {e}"),
        };
        assert!(both_sides || err.is_ok());
        let train = vec![task("a", "same")];
        let heldout = vec![task("b", " same ")];
        assert!(matches!(
            check_disjoint(&train, &heldout),
            Err(SplitError::PromptOverlap { .. })
        ));
    }

    #[test]
    fn prompts_that_differ_only_in_whitespace_are_the_same_prompt() {
        let train = vec![task(
            "train-1",
            "Return x\tplus  one.\r\n\nExample: f(1) == 2",
        )];
        let heldout = vec![task(
            "held-1",
            "  Return x plus one.\nExample:   f(1) == 2\n",
        )];
        let err = check_disjoint(&train, &heldout).unwrap_err();
        assert_eq!(
            err,
            SplitError::PromptOverlap {
                heldout: "held-1".into(),
                train: "train-1".into()
            }
        );
        assert!(
            err.to_string()
                .contains("task held-1 (held out) and task train-1")
        );
        // Words and their order still count: whitespace is collapsed, not removed.
        for other in [
            "Return x plus two.\nExample: f(1) == 2",
            "Return x plusone. Example: f(1) == 2",
        ] {
            assert_eq!(check_disjoint(&train, &[task("held-2", other)]), Ok(()));
        }
    }

    #[test]
    fn the_bundled_and_the_largest_generated_set_have_no_near_duplicate_prompts() {
        // No two prompts equal up to whitespace, so every split of these sets is clean.
        let sets = [
            (
                "bundled",
                crate::tasks::loader::TaskSource::Bundled.load().unwrap(),
            ),
            (
                "generated",
                crate::tasks::generate::generate(crate::tasks::generate::max_count()).unwrap(),
            ),
        ];
        for (name, tasks) in &sets {
            let mut seen = std::collections::HashMap::new();
            for t in tasks {
                if let Some(first) = seen.insert(normalize(&t.prompt), &t.task_id) {
                    panic!(
                        "{name}: {first} and {} differ only in whitespace",
                        t.task_id
                    );
                }
            }
            split(tasks, 40, DEFAULT_SPLIT_SEED).unwrap();
        }
    }
}

/// A task set and how it is split: what every command that uses tasks is given.
#[derive(Debug, Clone)]
pub struct SplitConfig {
    pub source: super::loader::TaskSource,
    pub heldout_size: usize,
    pub seed: u64,
}

impl SplitConfig {
    /// Loads the task set and splits it; an oversized held-out set is a usage error.
    pub fn load(&self) -> anyhow::Result<Split> {
        let tasks = self.source.load()?;
        match split(&tasks, self.heldout_size, self.seed) {
            Ok(split) => Ok(split),
            Err(e @ SplitError::TooLarge { .. }) => {
                Err(crate::error::UsageError(format!("{e} in {}", self.source.label())).into())
            }
            Err(e) => Err(anyhow::anyhow!("{}: {e}", self.source.label())),
        }
    }
}
