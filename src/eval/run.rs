//! An eval over a lab: every condition on the held-out tasks, each paired with `baseline`, the
//! precision of memory re-verified, stored as a run and written as the results JSON.

use std::collections::HashSet;
use std::path::PathBuf;

use super::conditions::{Condition, ConditionRun, memory_precision};
use super::report::{
    AdapterComparison, ConditionResult, EvalReport, MemoryPrecisionDetail, PairedComparison,
    RegressionCheck, SCHEMA_VERSION, TaskOutcome, compare_with_baseline,
};
use crate::iterate::cancel_flag;
use crate::lab::Lab;
use crate::memory::Strategy;
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
    /// Sampling seed, the same for every condition.
    pub seed: u64,
    /// Skip re-verifying the stored episodes (memory_precision).
    pub skip_precision: bool,
    /// Where the results JSON goes.
    pub output: Option<PathBuf>,
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
        if self.log_samples && self.output.is_none() {
            usage!("--log-samples writes beside the results file: give --output too");
        }
        Ok(())
    }
}

/// Runs the eval, stores it and writes the results JSON.
pub fn run(lab: &mut Lab, plan: &EvalPlan) -> anyhow::Result<EvalReport> {
    plan.validate()?;
    let n = plan.n;
    let simulation = lab.backend.is_simulation();
    let conditions = &plan.conditions;
    if lab.split.heldout.is_empty() {
        usage!("--heldout-size 0 leaves nothing to evaluate");
    }
    let tasks = lab.heldout_tasks(plan.task_limit);
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
        }),
    })?;
    // Conditions often produce the same answer: verify each distinct one once per eval.
    let judge = crate::iterate::pipeline::CachedJudge::new(verifier);
    let heldout_ids = lab.heldout_ids();
    let runner = ConditionRun {
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
        cancel: cancel_flag(),
    };
    let adapter_ref = adapter.as_ref().map(|a| a.reference.clone());
    let outcome = (|| -> anyhow::Result<(Vec<ConditionResult>, Option<RegressionCheck>)> {
        // A condition that sends exactly the requests of an earlier one (same memory, same
        // adapter) is not generated again: its outcomes are that condition's, marked as such.
        let mut generated: Vec<(_, Condition, Vec<TaskOutcome>)> = Vec::new();
        let mut results = Vec::new();
        for &condition in conditions {
            let mut notes = notes_for(
                condition,
                simulation,
                adapter.as_ref().map(|a| a.name.as_str()),
            );
            let key = condition.request_key(simulation, adapter_ref.as_ref());
            let same = generated.iter().find(|(k, _, _)| *k == key);
            let (outcomes, same_as) = match same {
                Some((_, earlier, outcomes)) => {
                    store.copy_eval_samples(run_id, earlier.as_str(), condition.as_str())?;
                    notes.push_str(&format!(
                        "; same requests as {}: its outcomes, reported again, not generated twice",
                        earlier.as_str()
                    ));
                    (outcomes.clone(), Some(earlier.as_str().to_string()))
                }
                None => {
                    let outcomes =
                        runner.run_recorded(condition, adapter_ref.clone(), Some(run_id))?;
                    generated.push((key, condition, outcomes.clone()));
                    (outcomes, None)
                }
            };
            let mut result = ConditionResult::from_outcomes(
                condition.as_str(),
                notes,
                outcomes,
                plan.k as usize,
                plan.seed,
            )?;
            result.same_outcomes_as = same_as;
            results.push(result);
        }
        compare_with_baseline(&mut results)?;
        let check = match &adapter {
            Some(a) => regression_check(&results, &a.name)?,
            None => None,
        };
        Ok((results, check))
    })();
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
    }
}
