//! The train-pool / dev / held-out split. The default is the original's: tasks sorted by
//! sha256("{seed}:{task_id}"), the first `heldout_size` held out. `--split family` holds out
//! whole families instead (families sorted by a seeded hash), so memory and training never see
//! the template of a held-out task. An optional dev split, taken the same way after the held-out
//! one, is where prompts and hyper-parameters are chosen; the held-out (test) split gives the
//! final numbers only.
//!
//! Held-out tasks never reach memory or training, so the split refuses any overlap of id or
//! prompt between the sides, and drops twins (tasks with the same normalised spec,
//! `spec_key`) from the side that is judged earlier: a train-pool twin of a dev or held-out
//! task, a dev twin of a held-out task. How many were dropped is reported.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::Task;
use super::spec_key::spec_key;

/// The original's default split seed.
pub const DEFAULT_SPLIT_SEED: u64 = 1337;

/// How tasks are assigned to the sides of the split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    /// The original's: each task by the hash of its id.
    #[default]
    Hash,
    /// Whole families by the hash of the family name (a task without one is its own family).
    Family,
}

impl SplitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitKind::Hash => "hash",
            SplitKind::Family => "family",
        }
    }
}

/// A task set divided into the part the loop may learn from (`train`), the part prompts and
/// settings are chosen on (`dev`) and the part it is finally judged on (`heldout`, the test
/// split).
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub kind: SplitKind,
    pub train: Vec<Task>,
    pub dev: Vec<Task>,
    pub heldout: Vec<Task>,
    /// Tasks left out because a twin is on a side judged later.
    pub dropped: Vec<DroppedTwin>,
}

/// A task left out of the split because its normalised spec equals that of a task on a side
/// judged later (a train-pool twin of a held-out task, say).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DroppedTwin {
    pub task_id: String,
    /// The side it would have been on: `train` or `dev`.
    pub side: String,
    /// The task it is a twin of.
    pub twin_of: String,
}

/// Why a split is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SplitError {
    #[error("--heldout-size {requested} is larger than the task set ({available} tasks)")]
    TooLarge { requested: usize, available: usize },
    #[error(
        "--heldout-size {heldout} plus --dev-size {dev} is larger than the task set ({available} tasks)"
    )]
    TooLargeWithDev {
        heldout: usize,
        dev: usize,
        available: usize,
    },
    #[error(
        "task {heldout} (held out) and task {train} (train pool) have the same prompt (up to whitespace): held-out tasks would leak into memory"
    )]
    PromptOverlap { heldout: String, train: String },
    #[error("task_id {0} is on both sides of the split")]
    IdOverlap(String),
}

/// The sizes and seed of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitPlan {
    pub kind: SplitKind,
    /// Held-out (test) tasks; with `Family`, whole families until at least this many.
    pub heldout_size: usize,
    /// Dev tasks, taken after the held-out ones the same way (0: no dev split).
    pub dev_size: usize,
    pub seed: u64,
}

fn split_key(seed: u64, task_id: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}:{task_id}").as_bytes()).into()
}

/// The family a task belongs to for the family split and clustered statistics: its `family`,
/// or the task itself when it has none (HumanEval).
pub fn family_of(task: &Task) -> &str {
    task.family
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or(&task.task_id)
}

/// Splits `tasks` deterministically the original's way (by task hash, no dev split).
pub fn split(tasks: &[Task], heldout_size: usize, seed: u64) -> Result<Split, SplitError> {
    split_with(
        tasks,
        &SplitPlan {
            kind: SplitKind::Hash,
            heldout_size,
            dev_size: 0,
            seed,
        },
    )
}

/// Splits `tasks` deterministically by `plan`.
pub fn split_with(tasks: &[Task], plan: &SplitPlan) -> Result<Split, SplitError> {
    if plan.heldout_size > tasks.len() {
        return Err(SplitError::TooLarge {
            requested: plan.heldout_size,
            available: tasks.len(),
        });
    }
    if plan.heldout_size + plan.dev_size > tasks.len() {
        return Err(SplitError::TooLargeWithDev {
            heldout: plan.heldout_size,
            dev: plan.dev_size,
            available: tasks.len(),
        });
    }
    let mut keyed: Vec<([u8; 32], &Task)> = tasks
        .iter()
        .map(|t| (split_key(plan.seed, &t.task_id), t))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.task_id.cmp(&b.1.task_id)));
    let ordered: Vec<&Task> = keyed.into_iter().map(|(_, t)| t).collect();
    let (heldout, dev, train) = match plan.kind {
        SplitKind::Hash => {
            let (heldout, rest) = ordered.split_at(plan.heldout_size);
            let (dev, train) = rest.split_at(plan.dev_size);
            (heldout.to_vec(), dev.to_vec(), train.to_vec())
        }
        SplitKind::Family => by_family(&ordered, plan),
    };
    let owned = |side: Vec<&Task>| side.into_iter().cloned().collect::<Vec<Task>>();
    let (heldout, dev, train) = (owned(heldout), owned(dev), owned(train));
    let judged: Vec<Task> = heldout.iter().chain(&dev).cloned().collect();
    check_disjoint(&train, &judged)?;
    check_disjoint(&dev, &heldout)?;
    let mut dropped = Vec::new();
    let dev = drop_twins(dev, &heldout, "dev", &mut dropped);
    let judged: Vec<Task> = heldout.iter().chain(&dev).cloned().collect();
    let train = drop_twins(train, &judged, "train", &mut dropped);
    Ok(Split {
        kind: plan.kind,
        train,
        dev,
        heldout,
        dropped,
    })
}

/// Whole families, in seeded order of their names, to the held-out side until it has at least
/// `heldout_size` tasks, then to the dev side until it has `dev_size`; the rest is the train
/// pool. Within a side, tasks keep their seeded task order.
fn by_family<'a>(
    ordered: &[&'a Task],
    plan: &SplitPlan,
) -> (Vec<&'a Task>, Vec<&'a Task>, Vec<&'a Task>) {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for t in ordered {
        *sizes.entry(family_of(t)).or_default() += 1;
    }
    let mut families: Vec<(&str, [u8; 32])> = sizes
        .keys()
        .map(|&f| {
            let key = Sha256::digest(format!("{}:family:{f}", plan.seed).as_bytes()).into();
            (f, key)
        })
        .collect();
    families.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    let (mut heldout, mut dev) = (HashSet::new(), HashSet::new());
    let (mut heldout_count, mut dev_count) = (0, 0);
    for (family, _) in families {
        if heldout_count < plan.heldout_size {
            heldout.insert(family);
            heldout_count += sizes[family];
        } else if dev_count < plan.dev_size {
            dev.insert(family);
            dev_count += sizes[family];
        }
    }
    let side = |set: &HashSet<&str>| -> Vec<&'a Task> {
        ordered
            .iter()
            .filter(|t| set.contains(family_of(t)))
            .copied()
            .collect()
    };
    let train = ordered
        .iter()
        .filter(|t| !heldout.contains(family_of(t)) && !dev.contains(family_of(t)))
        .copied()
        .collect();
    (side(&heldout), side(&dev), train)
}

/// `side` without the tasks whose normalised spec equals that of a task in `later`.
fn drop_twins(
    side: Vec<Task>,
    later: &[Task],
    name: &str,
    dropped: &mut Vec<DroppedTwin>,
) -> Vec<Task> {
    if later.is_empty() {
        return side;
    }
    let keys: HashMap<String, &str> = later
        .iter()
        .map(|t| (spec_key(t), t.task_id.as_str()))
        .collect();
    side.into_iter()
        .filter(|t| match keys.get(&spec_key(t)) {
            Some(twin) => {
                dropped.push(DroppedTwin {
                    task_id: t.task_id.clone(),
                    side: name.into(),
                    twin_of: (*twin).to_string(),
                });
                false
            }
            None => true,
        })
        .collect()
}

impl Split {
    /// Every task id that must never reach memory, consolidation or training: the held-out and
    /// dev tasks and the twins dropped because of them.
    pub fn excluded_ids(&self) -> HashSet<String> {
        self.heldout
            .iter()
            .chain(&self.dev)
            .map(|t| t.task_id.clone())
            .chain(self.dropped.iter().map(|d| d.task_id.clone()))
            .collect()
    }

    /// The families of the held-out side, sorted.
    pub fn heldout_families(&self) -> Vec<String> {
        let mut families: Vec<String> = self
            .heldout
            .iter()
            .map(|t| family_of(t).to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        families.sort();
        families
    }

    /// What results files record about the split.
    pub fn summary(&self, seed: u64) -> SplitSummary {
        SplitSummary {
            kind: self.kind,
            seed,
            train: self.train.len(),
            dev: self.dev.len(),
            heldout: self.heldout.len(),
            heldout_families: self.heldout_families().len(),
            dropped_twins: self.dropped.len(),
            dropped: self.dropped.clone(),
        }
    }

    /// The stderr line about dropped twins, when there are any.
    pub fn dropped_line(&self) -> Option<String> {
        if self.dropped.is_empty() {
            return None;
        }
        let count = |side: &str| self.dropped.iter().filter(|d| d.side == side).count();
        Some(format!(
            "split: dropped {} twin task(s) (same normalised spec as a task judged later): {} from the train pool, {} from the dev split",
            self.dropped.len(),
            count("train"),
            count("dev")
        ))
    }
}

/// The split as results files record it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SplitSummary {
    pub kind: SplitKind,
    pub seed: u64,
    pub train: usize,
    pub dev: usize,
    pub heldout: usize,
    pub heldout_families: usize,
    pub dropped_twins: usize,
    pub dropped: Vec<DroppedTwin>,
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

    fn family_task(id: &str, family: Option<&str>) -> Task {
        Task {
            family: family.map(Into::into),
            ..task(id, &format!("prompt of {id}"))
        }
    }

    #[test]
    fn the_family_split_holds_out_whole_families() {
        let mut set = Vec::new();
        for f in 0..12 {
            for i in 0..5 {
                set.push(family_task(&format!("f{f}-{i}"), Some(&format!("fam{f}"))));
            }
        }
        let plan = SplitPlan {
            kind: SplitKind::Family,
            heldout_size: 12,
            dev_size: 6,
            seed: 3,
        };
        let s = split_with(&set, &plan).unwrap();
        let families = |side: &[Task]| -> HashSet<String> {
            side.iter().map(|t| family_of(t).to_string()).collect()
        };
        assert_eq!(s.heldout.len(), 15, "whole families until at least 12");
        assert_eq!(s.dev.len(), 10);
        assert_eq!(s.train.len(), 35);
        assert!(families(&s.train).is_disjoint(&families(&s.heldout)));
        assert!(families(&s.train).is_disjoint(&families(&s.dev)));
        assert!(families(&s.dev).is_disjoint(&families(&s.heldout)));
        let other = split_with(&set, &SplitPlan { seed: 4, ..plan }).unwrap();
        assert_ne!(families(&s.heldout), families(&other.heldout));
        // Tasks without a family are each their own family.
        let loose: Vec<Task> = (0..10)
            .map(|i| family_task(&format!("h{i}"), None))
            .collect();
        let s = split_with(
            &loose,
            &SplitPlan {
                heldout_size: 10,
                dev_size: 0,
                ..plan
            },
        )
        .unwrap();
        assert_eq!((s.heldout.len(), s.dev.len(), s.train.len()), (10, 0, 0));
        let s = split_with(
            &loose,
            &SplitPlan {
                heldout_size: 3,
                dev_size: 2,
                ..plan
            },
        )
        .unwrap();
        assert_eq!((s.heldout.len(), s.dev.len(), s.train.len()), (3, 2, 5));
    }

    #[test]
    fn twins_never_straddle_the_split() {
        // Pairs that differ only in function and parameter names and filler words.
        let mut set = Vec::new();
        for i in 0..30 {
            let mut a = task(&format!("a{i}"), &format!("Return x plus {i}."));
            a.function_name = format!("add_{i}");
            a.signature = "(x)".into();
            let mut b = task(&format!("b{i}"), &format!("Return the int n plus {i}."));
            b.function_name = format!("plus_{i}");
            b.signature = "(n)".into();
            set.extend([a, b]);
        }
        for kind in [SplitKind::Hash, SplitKind::Family] {
            let plan = SplitPlan {
                kind,
                heldout_size: 20,
                dev_size: 10,
                seed: DEFAULT_SPLIT_SEED,
            };
            let s = split_with(&set, &plan).unwrap();
            let keys = |side: &[Task]| -> HashSet<String> { side.iter().map(spec_key).collect() };
            assert!(keys(&s.train).is_disjoint(&keys(&s.heldout)));
            assert!(keys(&s.train).is_disjoint(&keys(&s.dev)));
            assert!(keys(&s.dev).is_disjoint(&keys(&s.heldout)));
            assert_eq!(
                s.train.len() + s.dev.len() + s.heldout.len() + s.dropped.len(),
                60
            );
            assert!(!s.dropped.is_empty(), "{kind:?}: some twins straddled");
            let excluded = s.excluded_ids();
            assert!(s.dropped.iter().all(|d| excluded.contains(&d.task_id)));
        }
    }

    #[test]
    fn the_demos_split_of_the_bundled_set_drops_two_train_pool_twins() {
        // The generator draws names and constants independently, so a few tasks of the bundled
        // set share a spec; two of them straddle the demo's split.
        let bundled = crate::tasks::loader::TaskSource::Bundled.load().unwrap();
        let s = split(&bundled, 40, DEFAULT_SPLIT_SEED).unwrap();
        let dropped: Vec<(&str, &str)> = s
            .dropped
            .iter()
            .map(|d| (d.task_id.as_str(), d.twin_of.as_str()))
            .collect();
        assert_eq!(
            dropped,
            [
                ("truncate_text-f0dd39ec7152", "shorten-16771ea27417"),
                ("common_divisor-1f58f0391652", "gcd_value-94c42a55dcf0")
            ]
        );
        assert_eq!((s.train.len(), s.heldout.len()), (158, 40));
        let by_id = |id: &str| bundled.iter().find(|t| t.task_id == id).unwrap().clone();
        let (a, b) = (by_id(dropped[0].0), by_id(dropped[0].1));
        assert_ne!(a.function_name, b.function_name);
        assert_eq!(spec_key(&a), spec_key(&b));
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
            // The family split and the clustered statistics need every generated task's family.
            assert!(tasks.iter().all(|t| t.family.is_some()), "{name}");
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
    pub kind: SplitKind,
    pub heldout_size: usize,
    pub dev_size: usize,
    pub seed: u64,
}

impl SplitConfig {
    /// Loads the task set and splits it; an oversized held-out set is a usage error. Dropped
    /// twins are reported on stderr.
    pub fn load(&self) -> anyhow::Result<Split> {
        let tasks = self.source.load()?;
        let plan = SplitPlan {
            kind: self.kind,
            heldout_size: self.heldout_size,
            dev_size: self.dev_size,
            seed: self.seed,
        };
        match split_with(&tasks, &plan) {
            Ok(split) => {
                if let Some(line) = split.dropped_line() {
                    eprintln!("{line}");
                }
                Ok(split)
            }
            Err(e @ (SplitError::TooLarge { .. } | SplitError::TooLargeWithDev { .. })) => {
                Err(crate::error::UsageError(format!("{e} in {}", self.source.label())).into())
            }
            Err(e) => Err(anyhow::anyhow!("{}: {e}", self.source.label())),
        }
    }
}
