//! `run-iteration`, the heart of the loop: retrieve memory, prompt the model for k candidates
//! per task, verify them, and store only what passed.

pub mod pipeline;
pub mod progress;
mod run;

pub use run::{IterationPlan, IterationSummary, run};

use std::collections::HashSet;

use crate::backend::GenerationRequest;
use crate::memory::{Retrieved, Retriever, Strategy};
use crate::prompt;
use crate::store::Store;
use crate::store::samples::RetrievedIds;
use crate::tasks::Task;

/// Which side of the split an iteration works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Train-pool tasks: verified candidates become retrievable memory.
    Trainpool,
    /// Held-out tasks: every candidate is kept for analysis, nothing becomes retrievable.
    Heldout,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Trainpool => "trainpool",
            Mode::Heldout => "heldout",
        }
    }
}

/// How `--task-limit` picks tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskOrder {
    /// Tasks the memory has not solved yet first, then the least attempted, then split order.
    Unsolved,
    /// The first tasks in split order, as the original did.
    Split,
}

/// Picks the tasks of an iteration. With `Unsolved`, repeated iterations move on to tasks the
/// memory has not solved instead of retrying the same first N.
pub fn select_tasks(
    store: &Store,
    pool: &[Task],
    limit: Option<usize>,
    order: TaskOrder,
) -> anyhow::Result<Vec<Task>> {
    let mut tasks: Vec<(usize, &Task)> = pool.iter().enumerate().collect();
    if order == TaskOrder::Unsolved {
        let solved = store.solved_tasks()?;
        let attempts = store.attempt_counts()?;
        tasks.sort_by_key(|(i, t)| {
            (
                solved.contains(&t.task_id),
                attempts.get(&t.task_id).copied().unwrap_or(0),
                *i,
            )
        });
    }
    let limit = limit.unwrap_or(tasks.len());
    Ok(tasks
        .into_iter()
        .take(limit)
        .map(|(_, t)| t.clone())
        .collect())
}

/// What to retrieve for a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    pub episodes: bool,
    pub knowledge: bool,
}

impl MemoryUse {
    pub const NONE: MemoryUse = MemoryUse {
        episodes: false,
        knowledge: false,
    };
}

/// The word similarity (Jaccard) a remembered item needs with a task to be retrieved.
pub const MIN_SIMILARITY: f64 = 0.5;

/// Builds the prompt of every task from a snapshot of memory taken now, so an iteration's
/// candidates do not depend on the order in which concurrent tasks finish. Each job comes with
/// the ids of the memory its prompt was built from, for the record: which episodes, procedures
/// and rules a candidate saw.
#[allow(clippy::too_many_arguments)]
pub fn prepare_jobs_with_memory(
    store: &Store,
    tasks: &[Task],
    heldout_ids: &HashSet<String>,
    memory: MemoryUse,
    strategy: Strategy,
    n: usize,
    temperature: f32,
    max_tokens: u32,
    seed: u64,
    adapter: Option<crate::backend::AdapterRef>,
) -> anyhow::Result<Vec<(pipeline::Job, RetrievedIds)>> {
    let retriever = Retriever {
        strategy,
        excluded: heldout_ids.clone(),
        top_episodes: if memory.episodes {
            prompt::MAX_SHOTS
        } else {
            0
        },
        top_procedures: if memory.knowledge { 2 } else { 0 },
        top_rules: if memory.knowledge { 2 } else { 0 },
        min_similarity: MIN_SIMILARITY,
    };
    tasks
        .iter()
        .map(|task| {
            let retrieved = if memory == MemoryUse::NONE {
                Retrieved::default()
            } else {
                retriever.retrieve(store, task)?
            };
            let prompt::ChatPrompt { shots, user } = prompt::chat_prompt(task, &retrieved);
            let job = pipeline::Job {
                task: task.clone(),
                request: GenerationRequest {
                    system: prompt::SYSTEM.to_string(),
                    user,
                    shots,
                    function_name: task.function_name.clone(),
                    n,
                    temperature,
                    max_tokens,
                    seed,
                    adapter: adapter.clone(),
                },
            };
            Ok((job, retrieved_ids(&retrieved)))
        })
        .collect()
}

/// The ids of what was retrieved, as the store records them.
pub fn retrieved_ids(retrieved: &Retrieved) -> RetrievedIds {
    RetrievedIds {
        episodes: retrieved.episodes.iter().map(|e| e.id).collect(),
        procedures: retrieved.procedures.iter().map(|p| p.id).collect(),
        rules: retrieved.rules.iter().map(|r| r.id).collect(),
    }
}
