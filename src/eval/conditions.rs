//! Running the evaluation conditions on the held-out set. Every condition sees the same tasks,
//! the same seed and the same sampling settings; only what is put in the prompt (memory) or
//! which weights answer (an adapter) differs, so each can be paired against the baseline.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use crate::backend::{AdapterRef, Backend};
use crate::iterate::MemoryUse;
use crate::iterate::pipeline::{self, Counters, Judge, PipelineShape, Stop};
use crate::memory::Strategy;
use crate::memory::controls::ControlPool;
use crate::store::Store;
use crate::tasks::Task;

use super::report::TaskOutcome;

/// An evaluation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// No memory, no adapter.
    Baseline,
    /// Retrieved verified episodes in the prompt.
    Memory,
    /// Retrieved rules and procedures in the prompt.
    Semantic,
    /// The active adapter, no memory.
    Learning,
    /// Memory and the active adapter (with the mock: episodes plus rules and procedures).
    MemoryLearning,
    /// Control: the same fixed, seeded verified examples for every task, none of its family.
    FewShot,
    /// Control: random verified episodes of other families, seeded per task.
    RandomMemory,
}

/// The names `--conditions` accepts, for its messages.
const NAMES: &str =
    "baseline, memory, semantic, learning, memory_learning, few_shot, random_memory";

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Baseline => "baseline",
            Condition::Memory => "memory",
            Condition::Semantic => "semantic",
            Condition::Learning => "learning",
            Condition::MemoryLearning => "memory_learning",
            Condition::FewShot => "few_shot",
            Condition::RandomMemory => "random_memory",
        }
    }

    /// Parses one condition name.
    pub fn parse(name: &str) -> Option<Condition> {
        Some(match name {
            "baseline" => Condition::Baseline,
            "memory" => Condition::Memory,
            "semantic" => Condition::Semantic,
            "learning" => Condition::Learning,
            "memory_learning" => Condition::MemoryLearning,
            "few_shot" => Condition::FewShot,
            "random_memory" => Condition::RandomMemory,
            _ => return None,
        })
    }

    /// Whether this is a control: worked examples that are not retrieved for the task.
    pub fn is_control(self) -> bool {
        matches!(self, Condition::FewShot | Condition::RandomMemory)
    }

    /// Parses `--conditions`: `all` or a comma list; `all` depends on the backend, as in the
    /// original (the mock has no weights to adapt, so it evaluates `semantic` instead of `learning`).
    pub fn parse_list(text: &str, simulation: bool) -> Result<Vec<Condition>, String> {
        if text.trim() == "all" {
            return Ok(if simulation {
                vec![
                    Condition::Baseline,
                    Condition::Memory,
                    Condition::Semantic,
                    Condition::MemoryLearning,
                ]
            } else {
                vec![
                    Condition::Baseline,
                    Condition::Memory,
                    Condition::Learning,
                    Condition::MemoryLearning,
                ]
            });
        }
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some(c) = Condition::parse(name) else {
                return Err(format!(
                    "unknown condition {name:?} in --conditions; use all or a comma list of {NAMES}"
                ));
            };
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err("--conditions is empty".into());
        }
        Ok(out)
    }

    /// What the prompt carries under this condition.
    pub fn memory(self, simulation: bool) -> MemoryUse {
        match self {
            // The controls' examples are chosen by `ControlPool`, not retrieved.
            Condition::Baseline
            | Condition::Learning
            | Condition::FewShot
            | Condition::RandomMemory => MemoryUse::NONE,
            Condition::Memory => MemoryUse {
                episodes: true,
                knowledge: false,
            },
            Condition::Semantic => MemoryUse {
                episodes: false,
                knowledge: true,
            },
            Condition::MemoryLearning => MemoryUse {
                episodes: true,
                knowledge: simulation,
            },
        }
    }

    pub fn uses_adapter(self) -> bool {
        matches!(self, Condition::Learning | Condition::MemoryLearning)
    }

    /// What this condition sends: the memory it retrieves and the adapter it asks for. Two
    /// conditions with the same key send the same requests (with no active adapter,
    /// `memory_learning` is `memory` and `learning` is `baseline` on a real model).
    pub fn request_key(self, simulation: bool, adapter: Option<&AdapterRef>) -> RequestKey {
        let adapter = if self.uses_adapter() {
            adapter.cloned()
        } else {
            adapter.and_then(AdapterRef::base_model)
        };
        RequestKey {
            memory: self.memory(simulation),
            control: self.is_control().then_some(self),
            adapter,
        }
    }
}

/// What a condition sends: equal keys, equal requests.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestKey {
    memory: MemoryUse,
    control: Option<Condition>,
    adapter: Option<AdapterRef>,
}

/// Everything a condition run needs besides the condition.
pub struct ConditionRun<'a> {
    pub store: &'a Store,
    pub backend: &'a dyn Backend,
    pub judge: &'a dyn Judge,
    pub shape: PipelineShape,
    pub tasks: &'a [Task],
    pub heldout_ids: &'a HashSet<String>,
    pub strategy: Strategy,
    pub n: usize,
    pub temperature: f32,
    pub max_tokens: u32,
    pub seed: u64,
    pub cancel: &'a AtomicBool,
    /// Advanced by one per finished task.
    pub(crate) progress: &'a crate::progress::Progress,
    /// Where the control conditions take their examples from (`None`: no control may run).
    pub controls: Option<&'a ControlPool>,
}

impl ConditionRun<'_> {
    /// Samples `n` candidates per task under `condition` and counts the passes.
    pub fn run(
        &self,
        condition: Condition,
        adapter: Option<AdapterRef>,
    ) -> anyhow::Result<Vec<TaskOutcome>> {
        self.run_recorded(condition, adapter, None)
    }

    /// [`Self::run`], storing every candidate (with the memory its prompt saw) under eval run
    /// `record_in` when given.
    pub fn run_recorded(
        &self,
        condition: Condition,
        adapter: Option<AdapterRef>,
        record_in: Option<i64>,
    ) -> anyhow::Result<Vec<TaskOutcome>> {
        let RequestKey {
            memory, adapter, ..
        } = condition.request_key(self.backend.is_simulation(), adapter.as_ref());
        let prepared = crate::iterate::prepare_jobs_with_memory(
            self.store,
            self.tasks,
            self.heldout_ids,
            memory,
            self.strategy,
            self.n,
            self.temperature,
            self.max_tokens,
            self.seed,
            adapter,
        )?;
        let mut retrieved = std::collections::HashMap::with_capacity(prepared.len());
        let mut jobs: Vec<_> = prepared
            .into_iter()
            .map(|(job, ids)| {
                retrieved.insert(job.task.task_id.clone(), ids);
                job
            })
            .collect();
        if condition.is_control() {
            self.show_controls(condition, &mut jobs)?;
        }
        let counters = Counters::default();
        let mut outcomes = Vec::with_capacity(self.tasks.len());
        let stop = pipeline::run(
            jobs,
            self.backend,
            self.judge,
            self.shape,
            self.cancel,
            &counters,
            |outcome| {
                if let Some(run_id) = record_in {
                    self.store.record_eval_samples(
                        run_id,
                        condition.as_str(),
                        &outcome.task.task_id,
                        &retrieved.remove(&outcome.task.task_id).unwrap_or_default(),
                        &outcome.attempts,
                    )?;
                }
                let passed = outcome
                    .attempts
                    .iter()
                    .filter(|a| a.verdict.passed())
                    .count();
                outcomes.push(TaskOutcome::new(
                    outcome.task.task_id.clone(),
                    outcome.task.family.clone().unwrap_or_default(),
                    passed,
                    outcome.attempts.len(),
                ));
                self.progress.advance(1);
                Ok(())
            },
        )?;
        match stop {
            Stop::Completed => {}
            Stop::Cancelled => {
                anyhow::bail!(
                    "eval {} during condition {}",
                    crate::stop::reason(),
                    condition.as_str()
                )
            }
            Stop::BackendFailed(e) => {
                return Err(e.context(format!(
                    "eval failed during condition {}",
                    condition.as_str()
                )));
            }
        }
        // Report tasks in split order, whatever order they finished in.
        let order: std::collections::HashMap<&str, usize> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.task_id.as_str(), i))
            .collect();
        outcomes.sort_by_key(|o| order[o.task_id.as_str()]);
        Ok(outcomes)
    }
}

impl ConditionRun<'_> {
    /// Puts a control's examples into each job's prompt, where memory would be.
    fn show_controls(
        &self,
        condition: Condition,
        jobs: &mut [pipeline::Job],
    ) -> anyhow::Result<()> {
        let Some(pool) = self.controls else {
            anyhow::bail!(
                "condition {} needs the train pool's verified episodes",
                condition.as_str()
            );
        };
        for job in jobs {
            let episodes = match condition {
                Condition::FewShot => pool.few_shot(&job.task, crate::prompt::MAX_SHOTS, self.seed),
                _ => pool.random(&job.task, crate::prompt::MAX_SHOTS, self.seed),
            };
            let retrieved = crate::memory::Retrieved {
                episodes,
                ..Default::default()
            };
            let crate::prompt::ChatPrompt { shots, user } =
                crate::prompt::chat_prompt(&job.task, &retrieved);
            job.request.shots = shots;
            job.request.user = user;
        }
        Ok(())
    }
}

/// Re-verifies stored episodes now: every one must still pass (memory precision).
pub fn memory_precision(
    store: &Store,
    tasks: &std::collections::HashMap<String, Task>,
    judge: &dyn Judge,
    workers: usize,
) -> anyhow::Result<(usize, usize)> {
    let episodes: Vec<_> = store
        .episodes()?
        .into_iter()
        .filter(|e| tasks.contains_key(&e.task_id))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let passing = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(episode) = episodes.get(i) else {
                        break;
                    };
                    if judge
                        .judge(&tasks[&episode.task_id], &episode.code)
                        .passed()
                    {
                        passing.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Ok((episodes.len(), passing.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_without_the_adapter_ask_llama_cpp_for_scale_zero() {
        // llama.cpp reuses a prompt cache computed under the previous request's adapter when a
        // request carries no `lora` field (measured: garbage), so the base model is requested
        // explicitly as every loaded adapter at scale 0. vLLM serves it under its own name.
        let scales = |v: &[(u32, f32)]| {
            AdapterRef::LlamaCpp(
                v.iter()
                    .map(|&(id, scale)| crate::backend::LoraScale { id, scale })
                    .collect(),
            )
        };
        assert_eq!(
            AdapterRef::llama_cpp(2, 1.0, &[0, 1]).base_model(),
            Some(scales(&[(0, 0.0), (1, 0.0), (2, 0.0)]))
        );
        assert_eq!(
            AdapterRef::llama_cpp(1, 1.0, &[0, 1]),
            scales(&[(0, 0.0), (1, 1.0)])
        );
        assert_eq!(AdapterRef::ModelName("lora-1".into()).base_model(), None);
    }

    #[test]
    fn all_depends_on_the_backend_and_unknown_names_are_refused() {
        assert_eq!(
            Condition::parse_list("all", true).unwrap()[2],
            Condition::Semantic
        );
        assert_eq!(
            Condition::parse_list("all", false).unwrap()[2],
            Condition::Learning
        );
        assert!(
            Condition::parse_list("baseline,magic", true)
                .unwrap_err()
                .contains("magic")
        );
    }
}
