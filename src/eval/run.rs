//! An eval over a lab: every condition on the held-out tasks, each paired with `baseline`, the
//! precision of memory re-verified, stored as a run and written as the results JSON.

use std::collections::HashSet;
use std::path::PathBuf;

use super::conditions::{Condition, ConditionRun, memory_precision};
use super::report::{
    AdapterComparison, ConditionResult, EvalReport, MemoryPrecisionDetail, PairedComparison,
    RegressionCheck, SCHEMA_VERSION, SeedRuns, TaskOutcome, annotate_comparisons,
    compare_with_baseline,
};
use crate::lab::Lab;
use crate::memory::Strategy;
use crate::memory::controls::ControlPool;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::usage;

/// What an eval does.
#[derive(Debug, Clone)]
pub struct EvalPlan {
    pub conditions: Vec<Condition>,
    /// The k of pass@k.
    pub k: u32,
    /// Samples per task (at least k).
    pub n: u32,
    /// Only the first N held-out tasks.
    pub task_limit: Option<usize>,
    pub retrieval: Strategy,
    /// Sampling seed, the same for every condition; also the bootstrap's.
    pub seed: u64,
    /// Run every condition once per seed and pool the samples (empty: just `seed`).
    pub seeds: Vec<u64>,
    /// The split evaluated on.
    pub eval_split: EvalSplit,
    /// The condition whose comparison with baseline is primary (default: memory when it runs,
    /// else the first condition other than baseline).
    pub primary: Option<Condition>,
    /// Skip re-verifying the stored episodes (memory_precision).
    pub skip_precision: bool,
    /// Where the results JSON goes.
    pub output: Option<PathBuf>,
    /// Stop after this long, as Ctrl-C would (the eval ends with an error, nothing is stored).
    pub time_budget: Option<std::time::Duration>,
    /// Also write each condition's samples beside the results JSON (`eval --log-samples`).
    pub log_samples: bool,
}

impl EvalPlan {
    /// What can be refused before the lab is opened.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.n < self.k {
            usage!(
                "--n {} is smaller than --k {}: pass@k needs at least k samples per task",
                self.n,
                self.k
            );
        }
        if self.task_limit == Some(0) {
            usage!("--task-limit 0 selects no tasks");
        }
        if let Some(primary) = self.primary {
            if primary == Condition::Baseline || !self.conditions.contains(&primary) {
                usage!(
                    "--primary {} must be one of the evaluated conditions other than baseline",
                    primary.as_str()
                );
            }
        }
        let mut distinct = self.seeds.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != self.seeds.len() {
            usage!("--seeds repeats a seed: each seed is one replication");
        }
        if self.log_samples && self.output.is_none() {
            usage!("--log-samples writes beside the results file: give --output too");
        }
        Ok(())
    }

    /// The seeds the conditions run with.
    pub fn run_seeds(&self) -> Vec<u64> {
        if self.seeds.is_empty() {
            vec![self.seed]
        } else {
            self.seeds.clone()
        }
    }

    /// The condition of the primary comparison, if the eval has one.
    pub fn primary_condition(&self) -> Option<Condition> {
        self.primary.or_else(|| {
            if self.conditions.contains(&Condition::Memory) {
                Some(Condition::Memory)
            } else {
                self.conditions
                    .iter()
                    .copied()
                    .find(|c| *c != Condition::Baseline)
            }
        })
    }
}

/// Which side of the split an eval runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EvalSplit {
    /// The held-out split: final numbers only.
    #[default]
    Test,
    /// The dev split: for choosing prompts and settings.
    Dev,
}

impl EvalSplit {
    pub fn as_str(self) -> &'static str {
        match self {
            EvalSplit::Test => "test",
            EvalSplit::Dev => "dev",
        }
    }
}

/// Runs the eval, stores it and writes the results JSON.
pub fn run(lab: &mut Lab, plan: &EvalPlan) -> anyhow::Result<EvalReport> {
    plan.validate()?;
    if let Some(budget) = plan.time_budget {
        crate::stop::after(budget, "the eval");
    }
    let n = plan.n;
    let simulation = lab.backend.is_simulation();
    let conditions = &plan.conditions;
    let tasks: Vec<crate::tasks::Task> = match plan.eval_split {
        EvalSplit::Test => {
            if lab.split.heldout.is_empty() {
                usage!("--heldout-size 0 leaves nothing to evaluate");
            }
            lab.heldout_tasks(plan.task_limit)
        }
        EvalSplit::Dev => {
            if lab.split.dev.is_empty() {
                usage!("--eval-split dev needs a dev split: give --dev-size N");
            }
            let limit = plan.task_limit.unwrap_or(usize::MAX);
            lab.split.dev.iter().take(limit).cloned().collect()
        }
    };
    let seeds = plan.run_seeds();
    let primary = plan.primary_condition();
    let split_summary = lab.split.summary(lab.split_config.seed);
    let backend = lab.backend.clone();
    let (store, verifier) = (&lab.store, &lab.verifier);

    // Only an eval that runs an adapter condition needs the server to serve the active adapter.
    let adapter = if conditions.iter().any(|c| c.uses_adapter()) {
        crate::train::active_adapter_ref(store, backend.as_ref())?
    } else {
        None
    };
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Eval,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: backend.is_simulation(),
        seed: plan.seed,
        mode: Some("heldout".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(lab.tasks_label()),
        config: serde_json::json!({
            "conditions": conditions.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "k": plan.k, "n": n, "heldout_size": lab.split_config.heldout_size, "split_seed": lab.split_config.seed,
            "task_limit": plan.task_limit, "retrieval": plan.retrieval, "seed": plan.seed,
            "temperature": lab.backend_config.temperature, "max_tokens": lab.backend_config.max_tokens,
            "verify_mode": verifier.mode(), "adapter": adapter.as_ref().map(|a| &a.name),
            "eval_split": plan.eval_split.as_str(), "split": &split_summary, "seeds": &seeds,
            "primary": primary.map(Condition::as_str),
        }),
    })?;
    // Conditions often produce the same answer: verify each distinct one once per eval.
    let judge = crate::iterate::pipeline::CachedJudge::new(verifier);
    let heldout_ids = lab.heldout_ids();
    let progress = crate::progress::Progress::new(
        "eval",
        tasks.len() * conditions.len() * seeds.len(),
        "tasks x conditions x seeds",
    );
    let controls = if conditions.iter().any(|c| c.is_control()) {
        let pool = ControlPool::load(store, &lab.split.train, &heldout_ids)?;
        if pool.is_empty() {
            usage!(
                "the control conditions need verified episodes of train-pool tasks; the store has none (run run-iteration first)"
            );
        }
        Some(pool)
    } else {
        None
    };
    let mut runner = ConditionRun {
        store,
        backend: backend.as_ref(),
        judge: &judge,
        shape: crate::iterate::pipeline::PipelineShape::of(lab),
        tasks: &tasks,
        heldout_ids: &heldout_ids,
        strategy: plan.retrieval,
        n: n as usize,
        temperature: lab.backend_config.temperature,
        max_tokens: lab.backend_config.max_tokens,
        seed: plan.seed,
        cancel: crate::stop::flag(),
        progress: &progress,
        controls: controls.as_ref(),
    };
    let adapter_ref = adapter.as_ref().map(|a| a.reference.clone());
    let outcome = (|| -> anyhow::Result<(Vec<ConditionResult>, Option<RegressionCheck>)> {
        // Per seed, every condition's outcomes; a condition that sends exactly the requests of
        // an earlier one (same memory, same adapter) is not generated again: its outcomes are
        // that condition's, marked as such.
        let mut by_seed: Vec<Vec<Vec<TaskOutcome>>> = Vec::new();
        let mut same_as: Vec<Option<Condition>> = vec![None; conditions.len()];
        for (replication, &seed) in seeds.iter().enumerate() {
            runner.seed = seed;
            let record = replication == 0;
            let mut generated: Vec<(_, Condition, Vec<TaskOutcome>)> = Vec::new();
            let mut outcomes_of_seed = Vec::new();
            for (i, &condition) in conditions.iter().enumerate() {
                let key = condition.request_key(simulation, adapter_ref.as_ref());
                let outcomes = match generated.iter().find(|(k, _, _)| *k == key) {
                    Some((_, earlier, outcomes)) => {
                        same_as[i] = Some(*earlier);
                        progress.advance(tasks.len());
                        if record {
                            store.copy_eval_samples(
                                run_id,
                                earlier.as_str(),
                                condition.as_str(),
                            )?;
                        }
                        outcomes.clone()
                    }
                    None => {
                        // The samples of the first seed are stored (one sample index per task).
                        let record_in = record.then_some(run_id);
                        let outcomes =
                            runner.run_recorded(condition, adapter_ref.clone(), record_in)?;
                        generated.push((key, condition, outcomes.clone()));
                        outcomes
                    }
                };
                outcomes_of_seed.push(outcomes);
            }
            by_seed.push(outcomes_of_seed);
        }
        let mut results = Vec::new();
        for (i, &condition) in conditions.iter().enumerate() {
            let mut notes = notes_for(
                condition,
                simulation,
                adapter.as_ref().map(|a| a.name.as_str()),
            );
            if let Some(earlier) = same_as[i] {
                notes.push_str(&format!(
                    "; same requests as {}: its outcomes, reported again, not generated twice",
                    earlier.as_str()
                ));
            }
            let runs: Vec<&[TaskOutcome]> = by_seed.iter().map(|s| s[i].as_slice()).collect();
            let mut result = ConditionResult::from_outcomes(
                condition.as_str(),
                notes,
                pool_seeds(&runs),
                plan.k as usize,
                plan.seed,
            )?;
            result.same_outcomes_as = same_as[i].map(|c| c.as_str().to_string());
            if seeds.len() > 1 {
                result.over_seeds = Some(seed_runs(&runs));
            }
            results.push(result);
        }
        compare_with_baseline(&mut results)?;
        if let Some(primary) = primary {
            annotate_comparisons(&mut results, primary.as_str(), plan.seed)?;
        }
        let check = match &adapter {
            Some(a) => regression_check(&results, &a.name)?,
            None => None,
        };
        Ok((results, check))
    })();
    drop(progress);
    let (results, regression) = match outcome {
        Ok(done) => done,
        Err(e) => {
            store.finish_run(run_id, RunStatus::Failed, &serde_json::json!({}))?;
            return Err(e);
        }
    };
    let precision = if plan.skip_precision {
        None
    } else {
        let all = lab.tasks_by_id();
        let (checked, still_passing) = memory_precision(store, &all, verifier, verifier.workers())?;
        Some(MemoryPrecisionDetail {
            checked,
            still_passing,
        })
    };
    let mut notes = Vec::new();
    if simulation {
        notes.push("SIMULATION: the mock backend is a simulated weak model; its memory gain measures retrieval quality, not a real model's learning.".into());
    }
    notes.push(format!("verifier: {}", verifier.isolation()));
    let report = EvalReport {
        schema_version: SCHEMA_VERSION,
        rslm_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        simulation,
        backend: Some(backend.name().to_string()),
        model: Some(backend.model()),
        created_at: Some(store.current_timestamp()?),
        run_id: Some(run_id),
        seed: Some(plan.seed),
        k: Some(plan.k as usize),
        n: Some(n as usize),
        heldout_size: Some(lab.split_config.heldout_size),
        split_seed: Some(lab.split_config.seed),
        tasks_source: Some(lab.tasks_label()),
        task_count: Some(tasks.len()),
        conditions: results,
        memory_precision: precision.as_ref().map(|p| {
            if p.checked == 0 {
                1.0
            } else {
                p.still_passing as f64 / p.checked as f64
            }
        }),
        memory_precision_detail: precision,
        regression_check: regression,
        notes,
        eval_split: Some(plan.eval_split.as_str().to_string()),
        split: Some(split_summary),
        primary: primary.map(|c| c.as_str().to_string()),
        seeds: if seeds.len() > 1 {
            seeds.clone()
        } else {
            Vec::new()
        },
        config: Some(super::provenance::run_config(
            lab,
            &super::provenance::RunSettings {
                k: Some(plan.k),
                n: Some(n),
                seed: Some(plan.seed),
                task_limit: plan.task_limit,
                conditions: conditions.iter().map(|c| c.as_str().to_owned()).collect(),
                retrieval: serde_json::to_value(plan.retrieval)?
                    .as_str()
                    .map(str::to_owned),
            },
        )?),
        memory_state: Some(super::provenance::memory_state(lab)?),
    };
    let payload = serde_json::to_value(&report)?;
    store.insert_eval_run(
        run_id,
        lab.split_config.heldout_size,
        plan.k as usize,
        backend.name(),
        &payload,
    )?;
    store.finish_run(
        run_id,
        RunStatus::Completed,
        &serde_json::json!({"conditions": report.conditions.len(), "tasks": tasks.len()}),
    )?;
    if let Some(out) = &plan.output {
        crate::output::write_json(out, &payload)?;
        if plan.log_samples {
            super::samples::write_logs(store, run_id, out)?;
        }
    }
    Ok(report)
}

/// Each task's samples over all seeds, in the first seed's task order.
fn pool_seeds(runs: &[&[TaskOutcome]]) -> Vec<TaskOutcome> {
    let mut pooled: Vec<TaskOutcome> = runs.first().map(|r| r.to_vec()).unwrap_or_default();
    for run in runs.iter().skip(1) {
        let by_id: std::collections::HashMap<&str, &TaskOutcome> =
            run.iter().map(|t| (t.task_id.as_str(), t)).collect();
        for task in &mut pooled {
            if let Some(other) = by_id.get(task.task_id.as_str()) {
                task.passed += other.passed;
                task.samples += other.samples;
            }
        }
    }
    pooled
}

/// pass@1 seed by seed, with its spread.
fn seed_runs(runs: &[&[TaskOutcome]]) -> SeedRuns {
    let rates: Vec<f64> = runs
        .iter()
        .map(|run| {
            let values: Vec<f64> = run.iter().map(TaskOutcome::pass_at_1).collect();
            crate::eval::stats::mean(&values).unwrap_or(0.0)
        })
        .collect();
    SeedRuns {
        spread: crate::eval::stats::Spread::of(&rates).unwrap_or(crate::eval::stats::Spread {
            mean: 0.0,
            sd: 0.0,
            min: 0.0,
            max: 0.0,
        }),
        pass_at_1: rates,
    }
}

/// Base model against the active adapter, task by task: `learning` against `baseline` and
/// `memory_learning` against `memory` (the same prompts, only the weights differ), with the
/// tasks the adapter lost. `None` when the eval ran neither pair.
fn regression_check(
    conditions: &[ConditionResult],
    adapter: &str,
) -> anyhow::Result<Option<RegressionCheck>> {
    let find = |name: &str| conditions.iter().find(|c| c.condition == name);
    let mut comparisons = Vec::new();
    for (without, with) in [("baseline", "learning"), ("memory", "memory_learning")] {
        let (Some(base), Some(tuned)) = (find(without), find(with)) else {
            continue;
        };
        let paired = PairedComparison::between(base, tuned)?;
        let solved = |c: &ConditionResult| -> HashSet<String> {
            c.per_task
                .iter()
                .filter(|t| t.solved())
                .map(|t| t.task_id.clone())
                .collect()
        };
        let (b, t) = (solved(base), solved(tuned));
        let sorted = |set: HashSet<&String>| {
            let mut ids: Vec<String> = set.into_iter().cloned().collect();
            ids.sort();
            ids
        };
        comparisons.push(AdapterComparison {
            base_model: without.into(),
            adapter: with.into(),
            pass_at_1_base_model: base.pass_at_1,
            pass_at_1_adapter: tuned.pass_at_1,
            tasks_won: paired.only_condition,
            tasks_lost: paired.only_baseline,
            p_value: paired.p_value,
            won: sorted(t.difference(&b).collect()),
            lost: sorted(b.difference(&t).collect()),
            regression: paired.only_baseline > paired.only_condition,
        });
    }
    if comparisons.is_empty() {
        return Ok(None);
    }
    let regression = comparisons.iter().any(|c| c.regression);
    Ok(Some(RegressionCheck {
        adapter: adapter.into(),
        comparisons,
        regression,
    }))
}

fn notes_for(condition: Condition, simulation: bool, adapter: Option<&str>) -> String {
    match (condition, simulation, adapter) {
        (Condition::Baseline, _, _) => "no memory, no adapter".into(),
        (Condition::Memory, _, _) => "retrieved verified episodes in the prompt".into(),
        (Condition::Semantic, _, _) => "retrieved procedures and rules in the prompt".into(),
        (Condition::Learning, true, _) => {
            "mock backend: no weights to adapt; same prompt as baseline".into()
        }
        (Condition::MemoryLearning, true, _) => {
            "mock backend: episodes plus procedures and rules; no adapter".into()
        }
        (Condition::Learning, false, Some(a)) => format!("active adapter {a}"),
        (Condition::MemoryLearning, false, Some(a)) => {
            format!("retrieved episodes plus active adapter {a}")
        }
        (Condition::Learning, false, None) => {
            "no active adapter: the base model, same as baseline".into()
        }
        (Condition::MemoryLearning, false, None) => "no active adapter: same as memory".into(),
        (Condition::FewShot, _, _) => {
            "control: the same seeded verified examples for every task, none of its family".into()
        }
        (Condition::RandomMemory, _, _) => {
            "control: random verified episodes of other families, seeded per task".into()
        }
    }
}
