//! Consolidation: turning verified episodes into reusable knowledge.
//! - Procedures: a verified solution generalised over its task's parameters (function name,
//!   parameter names, the literals of the description), kept only when the generalised recipe,
//!   filled in for each task of its kind, passes that task's hidden tests on at least
//!   `min_evidence` tasks.
//! - Rules: short natural-language insights that hold across at least `min_evidence` verified
//!   tasks, derived offline from the verified code itself, or written by the model from groups of
//!   verified solutions and kept only when they do not lower the pass rate on a validation slice.

pub mod model_rules;
mod procedures;
mod rules;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::iterate::pipeline::Judge;
use crate::prompt::{description, signature_params, task_pattern};
use crate::store::Store;
use crate::store::episodes::Episode;
use crate::store::knowledge::Added;
use crate::tasks::Task;

/// What a consolidation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub episodes: usize,
    pub groups: usize,
    pub procedures_created: usize,
    pub procedures_reinforced: usize,
    pub procedures_rejected: usize,
    pub rules_created: usize,
    pub rules_reinforced: usize,
    pub rules_rejected: usize,
}

impl Report {
    fn count(&mut self, added: Added, procedure: bool) {
        match (added, procedure) {
            (Added::Created(_), true) => self.procedures_created += 1,
            (Added::Reinforced(_), true) => self.procedures_reinforced += 1,
            (Added::Created(_), false) => self.rules_created += 1,
            (Added::Reinforced(_), false) => self.rules_reinforced += 1,
            (Added::Unchanged(_), _) => {}
        }
    }
}

/// Verified episodes of tasks that share a description pattern (same wording, other values).
#[derive(Debug, Clone)]
pub struct Group {
    pub pattern: String,
    pub family: Option<String>,
    /// Episodes by task id (a task may have several verified solutions).
    pub by_task: BTreeMap<String, Vec<Episode>>,
}

/// Groups usable episodes by pattern. Episodes of tasks now held out, or not in the task set
/// (their tests are unknown), are left out.
pub fn groups(
    episodes: &[Episode],
    tasks: &HashMap<String, Task>,
    heldout: &HashSet<String>,
) -> Vec<Group> {
    let mut by_pattern: BTreeMap<String, Group> = BTreeMap::new();
    for episode in episodes {
        if heldout.contains(&episode.task_id) || !tasks.contains_key(&episode.task_id) {
            continue;
        }
        let key = task_pattern(
            description(&episode.prompt),
            &signature_params(&tasks[&episode.task_id].signature),
        );
        let group = by_pattern.entry(key.clone()).or_insert_with(|| Group {
            pattern: key,
            family: episode.family.clone(),
            by_task: BTreeMap::new(),
        });
        group
            .by_task
            .entry(episode.task_id.clone())
            .or_default()
            .push(episode.clone());
    }
    by_pattern.into_values().collect()
}

/// Offline consolidation: deterministic, derived from the verified code itself.
pub fn consolidate_offline(
    store: &mut Store,
    tasks: &HashMap<String, Task>,
    heldout: &HashSet<String>,
    judge: &dyn Judge,
    min_evidence: usize,
    run_id: i64,
) -> anyhow::Result<Report> {
    let episodes = store.episodes()?;
    let groups = groups(&episodes, tasks, heldout);
    let mut report = Report {
        episodes: episodes.len(),
        groups: groups.len(),
        ..Report::default()
    };
    let progress = crate::progress::Progress::new("consolidate", groups.len(), "task groups");
    for group in &groups {
        for candidate in procedures::propose(group, tasks, judge, min_evidence, run_id) {
            match candidate {
                Some(item) => {
                    let added = store.add_knowledge(&item)?;
                    report.count(added, true);
                }
                None => report.procedures_rejected += 1,
            }
        }
        progress.advance(1);
    }
    for item in rules::derive(&groups, tasks, min_evidence, run_id) {
        let added = store.add_knowledge(&item)?;
        report.count(added, false);
    }
    Ok(report)
}

/// Consolidation with a model: the offline procedures and rules, plus rules the model writes,
/// each kept only if it does not lower the pass rate on a validation slice of the train pool.
pub fn consolidate_with_model(
    store: &mut Store,
    tasks: &HashMap<String, Task>,
    heldout: &HashSet<String>,
    ctx: &model_rules::ModelContext<'_>,
    min_evidence: usize,
    run_id: i64,
) -> anyhow::Result<Report> {
    let mut report = consolidate_offline(store, tasks, heldout, ctx.judge, min_evidence, run_id)?;
    let episodes = store.episodes()?;
    let groups = groups(&episodes, tasks, heldout);
    let mut train_by_pattern: HashMap<String, Vec<Task>> = HashMap::new();
    for task in tasks.values().filter(|t| !heldout.contains(&t.task_id)) {
        train_by_pattern
            .entry(task_pattern(
                description(&task.prompt),
                &signature_params(&task.signature),
            ))
            .or_default()
            .push(task.clone());
    }
    for proposal in model_rules::propose(ctx, &groups, &train_by_pattern, min_evidence, run_id)? {
        match proposal {
            model_rules::Proposal::Kept(item) => {
                let added = store.add_knowledge(&item)?;
                report.count(added, false);
            }
            model_rules::Proposal::Rejected { reason } => {
                tracing::info!(%reason, "model rule rejected");
                report.rules_rejected += 1;
            }
        }
    }
    Ok(report)
}

/// What a consolidation does.
#[derive(Debug, Clone)]
pub struct ConsolidationPlan {
    /// Evidence (verified tasks) a rule or procedure needs.
    pub min_evidence: u32,
}

/// Consolidates the lab's verified episodes into procedures and rules, as a run: with the
/// simulator, offline from the code; with a model, the model writes them and each is verified.
pub fn run(lab: &mut crate::lab::Lab, plan: &ConsolidationPlan) -> anyhow::Result<Report> {
    use crate::store::runs::{NewRun, RunKind, RunStatus};
    let backend = lab.backend.clone();
    let run_id = lab.store.start_run(&NewRun {
        kind: RunKind::Consolidate,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: backend.is_simulation(),
        seed: 0,
        mode: None,
        prompt_version: None,
        tasks_source: Some(lab.tasks_label()),
        config: serde_json::json!({"min_evidence": plan.min_evidence, "tasks": lab.tasks_label(), "heldout_size": lab.split_config.heldout_size, "split_seed": lab.split_config.seed}),
    })?;
    let tasks = lab.tasks_by_id();
    let heldout = lab.heldout_ids();
    let shape = crate::iterate::pipeline::PipelineShape::of(lab);
    let min_evidence = plan.min_evidence as usize;
    let result = if backend.is_simulation() {
        // The simulator cannot write insights; offline consolidation is derived from the code.
        consolidate_offline(
            &mut lab.store,
            &tasks,
            &heldout,
            &lab.verifier,
            min_evidence,
            run_id,
        )
    } else {
        let ctx = model_rules::ModelContext {
            backend: backend.as_ref(),
            judge: &lab.verifier,
            shape,
            temperature: lab.backend_config.temperature,
            max_tokens: lab.backend_config.max_tokens,
            seed: 0,
            cancel: crate::stop::flag(),
        };
        consolidate_with_model(&mut lab.store, &tasks, &heldout, &ctx, min_evidence, run_id)
    };
    match &result {
        Ok(report) => {
            lab.store
                .finish_run(run_id, RunStatus::Completed, &serde_json::to_value(report)?)?
        }
        Err(_) => lab
            .store
            .finish_run(run_id, RunStatus::Failed, &serde_json::json!({}))?,
    }
    result
}
