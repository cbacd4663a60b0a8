//! `Draft`: how most families finish a task. They list candidate worked examples, best first,
//! and `finish` keeps two or three whose answers differ, so no constant answer passes the
//! examples. Families that pick their worked examples by hand (the original project's, the
//! string and the parsing families) build their `TaskSpec` directly.

use super::{Case, TaskSpec};
use crate::tasks::Difficulty;

/// A task under construction; `finish` turns it into a `TaskSpec`.
pub(super) struct Draft {
    /// The Python function's name.
    pub function_name: String,
    /// Parameter names, in call order.
    pub params: Vec<&'static str>,
    /// The task statement, with the variant's parameters spelled out as literals.
    pub description: String,
    /// One difficulty for every variant of a family.
    pub difficulty: Difficulty,
    /// Topic tags written into the task.
    pub tags: &'static [&'static str],
    /// Candidate worked examples, best first; `finish` keeps two or three of them.
    pub examples: Vec<Case>,
    /// Randomized cases from the variant's seed, never shown.
    pub hidden: Vec<Case>,
    /// A correct Python `def` of the function (for the test suite only).
    pub reference: String,
}

impl Draft {
    /// Keeps the first candidate example, the first one whose answer differs from it (so no
    /// constant answer can pass the examples) and, if there is one, the first candidate whose
    /// answer differs from both; kept in candidate order.
    pub fn finish(self) -> TaskSpec {
        let examples = self.examples;
        let first = examples.first().expect("at least one worked example");
        let other = examples
            .iter()
            .position(|c| c.expected != first.expected)
            .unwrap_or_else(|| {
                panic!(
                    "{}: every worked example expects {}",
                    self.function_name,
                    first.expected.to_python()
                )
            });
        let mut keep = vec![0, other];
        if let Some(extra) = (1..examples.len()).find(|&i| {
            keep.iter()
                .all(|&k| examples[k].expected != examples[i].expected)
        }) {
            keep.push(extra);
        }
        keep.sort_unstable();
        let examples: Vec<Case> = keep.into_iter().map(|i| examples[i].clone()).collect();
        assert!(
            (5..=10).contains(&self.hidden.len()),
            "{}: {} hidden cases",
            self.function_name,
            self.hidden.len()
        );
        TaskSpec {
            function_name: self.function_name,
            params: self.params,
            description: self.description,
            difficulty: self.difficulty,
            tags: self.tags.iter().map(|t| t.to_string()).collect(),
            examples,
            hidden: self.hidden,
            reference_solution: self.reference,
        }
    }
}
