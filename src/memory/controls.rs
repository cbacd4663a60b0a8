//! The worked examples of the control conditions, which tell memory apart from "any worked
//! example": `few_shot` shows the same verified examples to every task (a fixed, seeded choice,
//! skipping the task's own family), `random_memory` shows each task verified episodes of other
//! families picked at random (seeded per task). Both draw only from verified episodes of
//! train-pool tasks that are not excluded, so no held-out or dev task (nor its twin) is ever
//! shown, and never from the task's own family, so neither can pass on the template.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::RetrievedEpisode;
use crate::store::Store;
use crate::tasks::Task;
use crate::tasks::split::family_of;

/// The verified episodes the controls may show: one per train-pool task (its oldest).
#[derive(Debug, Clone, Default)]
pub struct ControlPool {
    /// (family, episode), in task-id order.
    episodes: Vec<(String, RetrievedEpisode)>,
}

impl ControlPool {
    /// The pool from the store: verified episodes of `train` tasks not in `excluded`.
    pub fn load(store: &Store, train: &[Task], excluded: &HashSet<String>) -> anyhow::Result<Self> {
        let families: HashMap<&str, &str> = train
            .iter()
            .filter(|t| !excluded.contains(&t.task_id))
            .map(|t| (t.task_id.as_str(), family_of(t)))
            .collect();
        let mut seen = HashSet::new();
        let mut episodes: Vec<(String, RetrievedEpisode)> = Vec::new();
        for e in store.episodes()? {
            let Some(family) = families.get(e.task_id.as_str()) else {
                continue;
            };
            if e.code.trim().is_empty() || !seen.insert(e.task_id.clone()) {
                continue;
            }
            episodes.push((
                (*family).to_string(),
                RetrievedEpisode {
                    id: e.id,
                    task_id: e.task_id,
                    prompt: e.prompt,
                    function_name: e.function_name,
                    code: e.code,
                    score: 0.0,
                },
            ));
        }
        episodes.sort_by(|a, b| a.1.task_id.cmp(&b.1.task_id));
        Ok(Self { episodes })
    }

    /// Episodes in the pool.
    pub fn len(&self) -> usize {
        self.episodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.episodes.is_empty()
    }

    /// `n` examples of distinct families in one seeded order that does not depend on the task:
    /// every task gets the same ones, except that an example of the task's own family is
    /// replaced by the next one in that order.
    pub fn few_shot(&self, task: &Task, n: usize, seed: u64) -> Vec<RetrievedEpisode> {
        let order = self.ordered(|e| format!("few_shot:{seed}:{}", e.task_id));
        let mut families = HashSet::new();
        order
            .into_iter()
            .filter(|(family, _)| family.as_str() != family_of(task))
            .filter(|(family, _)| families.insert(family.clone()))
            .take(n)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// `n` episodes of other families than the task's, in a seeded order of the task's own.
    pub fn random(&self, task: &Task, n: usize, seed: u64) -> Vec<RetrievedEpisode> {
        let order = self.ordered(|e| format!("random:{seed}:{}:{}", task.task_id, e.task_id));
        order
            .into_iter()
            .filter(|(family, _)| family.as_str() != family_of(task))
            .take(n)
            .map(|(_, e)| e.clone())
            .collect()
    }

    fn ordered(
        &self,
        key: impl Fn(&RetrievedEpisode) -> String,
    ) -> Vec<&(String, RetrievedEpisode)> {
        let mut keyed: Vec<([u8; 32], &(String, RetrievedEpisode))> = self
            .episodes
            .iter()
            .map(|entry| (Sha256::digest(key(&entry.1).as_bytes()).into(), entry))
            .collect();
        keyed.sort_by_key(|entry| entry.0);
        keyed.into_iter().map(|(_, entry)| entry).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> ControlPool {
        let mut episodes = Vec::new();
        for f in 0..6 {
            for i in 0..3 {
                let id = format!("f{f}-{i}");
                episodes.push((
                    format!("fam{f}"),
                    RetrievedEpisode {
                        id: (f * 10 + i) as i64,
                        task_id: id.clone(),
                        prompt: format!("prompt {id}"),
                        function_name: "f".into(),
                        code: "def f(): pass".into(),
                        score: 0.0,
                    },
                ));
            }
        }
        ControlPool { episodes }
    }

    fn task(id: &str, family: &str) -> Task {
        Task {
            task_id: id.into(),
            prompt: "p".into(),
            function_name: "f".into(),
            signature: "()".into(),
            reference_tests: String::new(),
            assert_tests: vec![],
            family: Some(family.into()),
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    fn families(picked: &[RetrievedEpisode]) -> Vec<String> {
        picked
            .iter()
            .map(|e| format!("fam{}", &e.task_id[1..2]))
            .collect()
    }

    #[test]
    fn few_shot_is_the_same_for_every_task_outside_its_family() {
        let pool = pool();
        let a = pool.few_shot(&task("x", "other"), 2, 1);
        let b = pool.few_shot(&task("y", "another"), 2, 1);
        assert_eq!(a, b, "the same examples for tasks of unrelated families");
        assert_eq!(a.len(), 2);
        let fams = families(&a);
        assert_ne!(fams[0], fams[1], "distinct families");
        let own = pool.few_shot(&task("z", &fams[0]), 2, 1);
        assert!(
            !families(&own).contains(&fams[0]),
            "never the task's family"
        );
        assert_ne!(
            pool.few_shot(&task("x", "other"), 2, 2),
            a,
            "the seed fixes the choice"
        );
    }

    #[test]
    fn random_memory_differs_per_task_and_avoids_the_family() {
        let pool = pool();
        let picks: Vec<Vec<RetrievedEpisode>> = (0..6)
            .map(|i| pool.random(&task(&format!("t{i}"), "fam0"), 2, 1))
            .collect();
        assert!(picks.iter().all(|p| p.len() == 2));
        assert!(
            picks
                .iter()
                .all(|p| !families(p).contains(&"fam0".to_string()))
        );
        assert!(picks.windows(2).any(|w| w[0] != w[1]), "per task");
        assert_eq!(pool.random(&task("t0", "fam0"), 2, 1), picks[0], "seeded");
    }
}
