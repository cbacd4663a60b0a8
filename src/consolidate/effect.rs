//! Whether a piece of knowledge helps, measured: a dev slice of train-pool tasks (never a
//! held-out one) is solved with the item in the prompt and without it, with the same seed and
//! sampling settings, and the passes are paired task by task. An item is kept only when it
//! adds passes. The no-knowledge passes of a task are computed once per consolidation and
//! shared by every item measured on that task.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use crate::backend::{Backend, GenerationRequest};
use crate::iterate::pipeline::{self, Counters, Judge, PipelineShape, Stop};
use crate::memory::Retrieved;
use crate::prompt;
use crate::store::knowledge::Effect;
use crate::tasks::Task;

/// Tasks in an item's dev slice, at most.
pub const SLICE: usize = 8;
/// Samples per task and condition.
pub const SAMPLES: usize = 2;

/// How candidates are drawn for a measurement: the lab's backend and verifier.
pub struct Trials<'a> {
    pub backend: &'a dyn Backend,
    pub judge: &'a dyn Judge,
    pub shape: PipelineShape,
    pub temperature: f32,
    pub max_tokens: u32,
    pub seed: u64,
    pub cancel: &'a AtomicBool,
    /// Passes per task without any knowledge in the prompt, filled as tasks are measured.
    pub without: HashMap<String, usize>,
}

impl Trials<'_> {
    /// Passes per task with `memory_for(task)` in the prompt.
    fn passes(
        &self,
        slice: &[Task],
        memory_for: &dyn Fn(&Task) -> Retrieved,
    ) -> anyhow::Result<HashMap<String, usize>> {
        let jobs = slice
            .iter()
            .map(|task| {
                let chat = prompt::chat_prompt(task, &memory_for(task));
                pipeline::Job {
                    task: task.clone(),
                    request: GenerationRequest {
                        system: prompt::SYSTEM.into(),
                        user: chat.user,
                        shots: chat.shots,
                        function_name: task.function_name.clone(),
                        n: SAMPLES,
                        temperature: self.temperature,
                        max_tokens: self.max_tokens,
                        seed: self.seed,
                        adapter: None,
                    },
                }
            })
            .collect();
        let mut passes = HashMap::new();
        let stop = pipeline::run(
            jobs,
            self.backend,
            self.judge,
            self.shape,
            self.cancel,
            &Counters::default(),
            |outcome| {
                let passed = outcome
                    .attempts
                    .iter()
                    .filter(|a| a.verdict.passed())
                    .count();
                passes.insert(outcome.task.task_id.clone(), passed);
                Ok(())
            },
        )?;
        match stop {
            Stop::Completed => Ok(passes),
            Stop::Cancelled => anyhow::bail!("consolidation interrupted"),
            Stop::BackendFailed(e) => Err(e.context("the model failed while measuring knowledge")),
        }
    }

    /// The paired effect of the knowledge `memory_for` puts in the prompt, on `slice`.
    pub fn measure(
        &mut self,
        slice: &[Task],
        memory_for: &dyn Fn(&Task) -> Retrieved,
    ) -> anyhow::Result<Effect> {
        let missing: Vec<Task> = slice
            .iter()
            .filter(|t| !self.without.contains_key(&t.task_id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let found = self.passes(&missing, &|_| Retrieved::default())?;
            self.without.extend(found);
        }
        let with = self.passes(slice, memory_for)?;
        let sum = |m: &HashMap<String, usize>| -> i64 {
            slice
                .iter()
                .map(|t| m.get(&t.task_id).copied().unwrap_or(0) as i64)
                .sum()
        };
        Ok(Effect {
            with: sum(&with),
            without: sum(&self.without),
            n: (slice.len() * SAMPLES) as i64,
        })
    }
}

/// A dev slice from train-pool tasks of the given shapes: taken in turn from each shape, tasks
/// nobody has solved yet first (where knowledge would have to help), then by id.
pub fn slice(
    shapes: &[String],
    train_by_shape: &HashMap<String, Vec<Task>>,
    solved: &std::collections::HashSet<String>,
) -> Vec<Task> {
    let mut per_shape: Vec<Vec<&Task>> = shapes
        .iter()
        .filter_map(|s| train_by_shape.get(s))
        .map(|tasks| {
            let mut tasks: Vec<&Task> = tasks.iter().collect();
            tasks.sort_by_key(|t| (solved.contains(&t.task_id), t.task_id.clone()));
            tasks.reverse();
            tasks
        })
        .collect();
    let mut out = Vec::new();
    while out.len() < SLICE && per_shape.iter().any(|t| !t.is_empty()) {
        for tasks in &mut per_shape {
            if out.len() < SLICE {
                if let Some(task) = tasks.pop() {
                    out.push(task.clone());
                }
            }
        }
    }
    out
}
