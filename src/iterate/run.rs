//! One iteration over a lab: select tasks, snapshot memory into prompts, generate, verify and
//! store what passed, as a run that can be interrupted and resumed.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::pipeline::{self, Counters, Stop};
use super::progress::Progress;
use super::{MemoryUse, Mode, TaskOrder, prepare_jobs_with_memory, select_tasks};
use crate::lab::Lab;
use crate::memory::Strategy;
use crate::prompt::PROMPT_VERSION;
use crate::store::episodes::Pool;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::usage;

/// What an iteration does.
#[derive(Debug, Clone)]
pub struct IterationPlan {
    /// Candidates per task.
    pub k: u32,
    pub mode: Mode,
    /// Retrieved memory (episodes, procedures, rules) in the prompt.
    pub memory: bool,
    pub task_limit: Option<usize>,
    pub task_order: TaskOrder,
    pub retrieval: Strategy,
    pub seed: u64,
    /// Continue the newest interrupted run with the same settings.
    pub resume: bool,
    /// Stop after this long, as Ctrl-C would (the run is `interrupted`, `--resume` continues it).
    pub time_budget: Option<std::time::Duration>,
    /// Generate with the active adapter (`self-improve --rounds`: the current policy).
    pub with_active_adapter: bool,
}

impl IterationPlan {
    /// What can be refused before the lab is opened.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.task_limit == Some(0) {
            usage!("--task-limit 0 selects no tasks");
        }
        Ok(())
    }
}

/// The summary of an iteration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IterationSummary {
    pub run_id: i64,
    pub simulation: bool,
    pub backend: String,
    pub model: String,
    pub mode: Mode,
    pub tasks: usize,
    pub candidates: u64,
    pub passed_candidates: u64,
    pub tasks_solved: usize,
    pub new_episodes: usize,
    pub memory_episodes: i64,
    pub seconds: f64,
    pub candidates_per_second: f64,
    pub completion_tokens: u64,
    pub isolation: String,
    pub status: RunStatus,
}

/// Runs an iteration. An interrupted one (Ctrl-C) returns its summary with status
/// `interrupted`; a backend that fails stops the run with an error saying how to resume.
pub fn run(lab: &mut Lab, plan: &IterationPlan) -> anyhow::Result<IterationSummary> {
    plan.validate()?;
    let pool = match plan.mode {
        Mode::Trainpool => &lab.split.train,
        Mode::Heldout => &lab.split.heldout,
    };
    if pool.is_empty() {
        usage!(
            "the {} side of the split is empty (--heldout-size {} of {} tasks)",
            plan.mode.as_str(),
            lab.split_config.heldout_size,
            lab.split.train.len() + lab.split.heldout.len()
        );
    }
    if let Some(budget) = plan.time_budget {
        crate::stop::after(budget, "the run");
    }
    let backend = lab.backend.clone();
    let heldout_ids = lab.heldout_ids();
    let shape = crate::iterate::pipeline::PipelineShape::of(lab);
    let adapter = if plan.with_active_adapter {
        crate::train::active_adapter_ref(&lab.store, backend.as_ref())?
    } else {
        None
    };
    // The settings a resumed run must match, in the order runs have always recorded them.
    let config = serde_json::json!({
        "tasks": lab.tasks_label(),
        "heldout_size": lab.split_config.heldout_size,
        "split_seed": lab.split_config.seed,
        "k": plan.k,
        "mode": plan.mode,
        "backend": lab.backend_config.kind,
        "model": backend.model(),
        "temperature": lab.backend_config.temperature,
        "max_tokens": lab.backend_config.max_tokens,
        "memory_enabled": plan.memory,
        "retrieval": plan.retrieval,
        "task_limit": plan.task_limit,
        "task_order": plan.task_order,
        "seed": plan.seed,
        "verify_mode": lab.verifier.mode(),
        "prompt_version": PROMPT_VERSION,
    });
    // A split other than the original's is part of the settings too (recorded only then, so
    // runs of the default split still resume as they were recorded).
    let mut config = config;
    if lab.split_config.kind != crate::tasks::split::SplitKind::Hash
        || lab.split_config.dev_size > 0
    {
        config["split"] = serde_json::json!(lab.split_config.kind);
        config["dev_size"] = serde_json::json!(lab.split_config.dev_size);
    }
    if let Some(a) = &adapter {
        config["adapter"] = serde_json::json!(a.name);
    }
    let store = &mut lab.store;
    let resumed = if plan.resume {
        let found = store.resumable_run(RunKind::Iteration, &config)?;
        if found.is_none() {
            tracing::warn!("--resume: no interrupted run with these settings; starting a new run");
        }
        found
    } else {
        None
    };
    let (run_id, mut selected) = match resumed {
        Some(run_id) => {
            store.reopen_run(run_id)?;
            let done = store.finished_tasks(run_id)?;
            let chosen: HashSet<String> = store.selection(run_id)?.into_iter().collect();
            let tasks = pool
                .iter()
                .filter(|t| chosen.contains(&t.task_id) && !done.contains(&t.task_id))
                .cloned()
                .collect();
            (run_id, tasks)
        }
        None => {
            let tasks = select_tasks(store, pool, plan.task_limit, plan.task_order)?;
            let run_id = store.start_run(&NewRun {
                kind: RunKind::Iteration,
                backend: backend.name().into(),
                model: backend.model(),
                simulation: backend.is_simulation(),
                seed: plan.seed,
                mode: Some(plan.mode.as_str().into()),
                prompt_version: Some(PROMPT_VERSION.into()),
                tasks_source: Some(lab.split_config.source.label()),
                config,
            })?;
            // Remember the selection at once, so a resumed run finishes exactly these tasks.
            let ids: Vec<&str> = tasks.iter().map(|t| t.task_id.as_str()).collect();
            store.set_selection(run_id, &ids)?;
            (run_id, tasks)
        }
    };
    if selected.is_empty() && resumed.is_none() {
        usage!("no tasks selected");
    }
    let memory = if plan.memory {
        MemoryUse {
            episodes: true,
            knowledge: true,
        }
    } else {
        MemoryUse::NONE
    };
    let prepared = prepare_jobs_with_memory(
        store,
        &selected,
        &heldout_ids,
        memory,
        plan.retrieval,
        plan.k as usize,
        lab.backend_config.temperature,
        lab.backend_config.max_tokens,
        plan.seed,
        adapter.as_ref().map(|a| a.reference.clone()),
    )?;
    let adapter_used = adapter.is_some();
    let task_count = selected.len();
    selected.clear();
    // Task ids are unique in a run: the memory each prompt saw, looked up as tasks finish.
    let mut retrieved = std::collections::HashMap::with_capacity(prepared.len());
    let mut jobs = Vec::with_capacity(prepared.len());
    for (job, ids) in prepared {
        retrieved.insert(job.task.task_id.clone(), ids);
        jobs.push(job);
    }

    let judge = pipeline::CachedJudge::new(&lab.verifier);
    let counters = Counters::default();
    let progress = Progress::new(task_count, "iteration");
    let started = Instant::now();
    let pool_kind = match plan.mode {
        Mode::Trainpool => Pool::Train,
        Mode::Heldout => Pool::Heldout,
    };
    let condition = match (plan.memory, adapter_used) {
        (true, false) => "memory",
        (false, false) => "baseline",
        (true, true) => "memory_learning",
        (false, true) => "learning",
    };
    let mut new_episodes = 0;
    let mut solved = 0;
    let stop = pipeline::run(
        jobs,
        backend.as_ref(),
        &judge,
        shape,
        crate::stop::flag(),
        &counters,
        |outcome| {
            if outcome.attempts.iter().any(|a| a.verdict.passed()) {
                solved += 1;
            }
            new_episodes += store.record_task(
                run_id,
                &outcome.task,
                pool_kind,
                condition,
                &outcome.attempts,
                &retrieved.remove(&outcome.task.task_id).unwrap_or_default(),
            )?;
            progress.update(&counters);
            Ok(())
        },
    )?;
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let status = match &stop {
        Stop::Completed => RunStatus::Completed,
        _ => RunStatus::Interrupted,
    };
    let candidates = counters.candidates.load(Ordering::Relaxed);
    let summary = IterationSummary {
        run_id,
        simulation: backend.is_simulation(),
        backend: backend.name().into(),
        model: backend.model(),
        mode: plan.mode,
        tasks: counters.tasks_done.load(Ordering::Relaxed) as usize,
        candidates,
        passed_candidates: counters.passed.load(Ordering::Relaxed),
        tasks_solved: solved,
        new_episodes,
        memory_episodes: store.table_count("episodes")?,
        seconds,
        candidates_per_second: candidates as f64 / seconds.max(1e-9),
        completion_tokens: counters.completion_tokens.load(Ordering::Relaxed),
        isolation: lab.verifier.isolation().to_string(),
        status,
    };
    let counts = serde_json::to_value(&summary)?;
    store.finish_run(run_id, status, &counts)?;
    if let Stop::BackendFailed(e) = stop {
        return Err(e.context(format!(
            "run {run_id} stopped: the backend failed; rerun with --resume to continue"
        )));
    }
    Ok(summary)
}
