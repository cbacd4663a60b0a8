//! Consolidation: turning what the loop stored into knowledge that helps, incrementally.
//! - Procedures: a verified solution generalised over its task's shape (function name,
//!   parameter names, the literals of the description), kept only when the generalised recipe,
//!   filled in for each task of its kind, passes that task's hidden tests on at least
//!   `min_evidence` tasks (verified in parallel).
//! - Rules: from contrasts, a failed attempt against a verified one of the same task: the slip
//!   that failed and what fixed it. Offline the slip is classified deterministically and a rule
//!   needs it on `min_evidence` tasks (of any kinds); with a model, the model writes the rule
//!   from the contrasts of a kind. Near-duplicates of a stored rule add evidence to it, and the
//!   active set is bounded (`upkeep.rs`).
//! - Every new rule and procedure is kept only if it helps: its effect is measured on a dev
//!   slice of the train pool with and without it, paired (`effect.rs`), and it is retired when
//!   the effect is not positive.
//! - Only what changed is processed: each setting keeps a mark of the last episode and failure
//!   it read, and only the kinds of task with new attempts are consolidated again. With nothing
//!   new, nothing is processed (and no verifier or model is needed).

mod contrasts;
mod effect;
pub mod model_rules;
mod procedures;
mod upkeep;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::backend::BackendConfig;
use crate::iterate::pipeline::{CachedJudge, PipelineShape};
use crate::memory::shape::task_shape;
use crate::memory::{Retrieved, RetrievedProcedure, RetrievedRule};
use crate::store::Store;
use crate::store::contrasts::{Contrast, FailedAttempt};
use crate::store::episodes::Episode;
use crate::store::knowledge::{Added, KnowledgeKind, NewKnowledge};
use crate::tasks::Task;
use crate::tasks::split::SplitConfig;

use contrasts::Slip;
use effect::Trials;

/// What a consolidation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Nothing was stored since the last consolidation with the same settings: nothing was
    /// processed.
    pub nothing_new: bool,
    /// Tasks with attempts stored since the last consolidation (their kinds were processed).
    pub tasks_processed: usize,
    /// Verified episodes of the processed kinds.
    pub episodes: usize,
    /// Kinds of task (shapes) processed.
    pub groups: usize,
    /// Failed attempts newly contrasted with a verified one, and how many showed a known slip.
    pub contrasts: usize,
    pub contrasts_classified: usize,
    pub procedures_created: usize,
    pub procedures_reinforced: usize,
    pub procedures_rejected: usize,
    /// Procedures retired because their measured effect was not positive.
    pub procedures_retired: usize,
    pub rules_created: usize,
    pub rules_reinforced: usize,
    pub rules_rejected: usize,
    /// Rules retired: effect not positive, or over the bound of active rules.
    pub rules_retired: usize,
    /// Items whose effect was measured, and the dev-slice candidates that took.
    pub measured: usize,
}

/// Verified episodes of tasks that share a shape (same wording, other values and names).
#[derive(Debug, Clone)]
pub struct Group {
    pub pattern: String,
    pub family: Option<String>,
    /// Episodes by task id (a task may have several verified solutions).
    pub by_task: BTreeMap<String, Vec<Episode>>,
}

/// Groups episodes by the shape of their task. Episodes of tasks now held out, or not in the
/// task set (their tests are unknown), are left out.
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
        let key = task_shape(&tasks[&episode.task_id]);
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

/// What a consolidation does.
#[derive(Debug, Clone)]
pub struct ConsolidationPlan {
    /// Evidence (verified tasks) a rule or procedure needs.
    pub min_evidence: u32,
    /// Process everything again, not only what is new since the last consolidation.
    pub full: bool,
}

impl ConsolidationPlan {
    /// The settings a consolidation's mark belongs to: another task set, split, evidence
    /// threshold or backend reads everything again.
    pub fn mark_key(&self, split: &SplitConfig, backend: &BackendConfig) -> String {
        serde_json::json!({
            "min_evidence": self.min_evidence,
            "tasks": split.source.label(),
            "heldout_size": split.heldout_size,
            "split_seed": split.seed,
            "simulation": backend.is_simulation(),
            "model": if backend.is_simulation() { None } else { backend.model.clone() },
        })
        .to_string()
    }

    /// Whether nothing was stored since the last consolidation with these settings (always
    /// false for a full consolidation). Reads the store only: no tasks, verifier or model.
    pub fn up_to_date(&self, store: &Store, key: &str) -> anyhow::Result<bool> {
        // A store of an older schema has no marks yet (opening it for the work migrates it).
        if self.full || store.schema_version()? < crate::store::LATEST_VERSION {
            return Ok(false);
        }
        Ok(store.consolidation_mark(key)? == store.latest_attempts()?)
    }
}

/// The lab's tasks seen by consolidation: all by id, the held-out ids, and the train pool by
/// shape (where dev slices come from).
struct TaskView {
    by_id: HashMap<String, Task>,
    heldout: HashSet<String>,
    train_by_shape: HashMap<String, Vec<Task>>,
    shape_of: HashMap<String, String>,
}

impl TaskView {
    fn of(lab: &crate::lab::Lab) -> TaskView {
        let heldout = lab.heldout_ids();
        let mut train_by_shape: HashMap<String, Vec<Task>> = HashMap::new();
        let mut shape_of = HashMap::new();
        for task in &lab.split.train {
            let shape = task_shape(task);
            shape_of.insert(task.task_id.clone(), shape.clone());
            train_by_shape.entry(shape).or_default().push(task.clone());
        }
        TaskView {
            by_id: lab.tasks_by_id(),
            heldout,
            train_by_shape,
            shape_of,
        }
    }
}

/// Opens a lab and consolidates, unless nothing was stored since the last consolidation with
/// the same settings: that is found from the store alone, before any task is loaded, verifier
/// started or server checked, so consolidating after every iteration costs nothing when
/// nothing changed.
pub fn open_and_run(
    config: crate::lab::LabConfig,
    plan: &ConsolidationPlan,
) -> anyhow::Result<Report> {
    config.backend.validate()?;
    let key = plan.mark_key(&config.split, &config.backend);
    if config.db.exists() && plan.up_to_date(&Store::open_read_only(&config.db)?, &key)? {
        return Ok(Report {
            nothing_new: true,
            ..Report::default()
        });
    }
    run(&mut crate::lab::Lab::open(config)?, plan)
}

/// Consolidates what was stored since the last consolidation with the same settings (or
/// everything, with `full`), as a run.
pub fn run(lab: &mut crate::lab::Lab, plan: &ConsolidationPlan) -> anyhow::Result<Report> {
    use crate::store::runs::{NewRun, RunKind, RunStatus};
    let key = plan.mark_key(&lab.split_config, &lab.backend_config);
    if plan.up_to_date(&lab.store, &key)? {
        return Ok(Report {
            nothing_new: true,
            ..Report::default()
        });
    }
    let backend = lab.backend.clone();
    let run_id = lab.store.start_run(&NewRun {
        kind: RunKind::Consolidate,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: backend.is_simulation(),
        seed: 0,
        mode: None,
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(lab.tasks_label()),
        config: serde_json::json!({"min_evidence": plan.min_evidence, "full": plan.full, "tasks": lab.tasks_label(), "heldout_size": lab.split_config.heldout_size, "split_seed": lab.split_config.seed}),
    })?;
    let result = consolidate(lab, plan, &key, run_id);
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

fn consolidate(
    lab: &mut crate::lab::Lab,
    plan: &ConsolidationPlan,
    key: &str,
    run_id: i64,
) -> anyhow::Result<Report> {
    let latest = lab.store.latest_attempts()?;
    let since = if plan.full {
        Default::default()
    } else {
        lab.store.consolidation_mark(key)?
    };
    let view = TaskView::of(lab);
    // The kinds with new attempts, and every train task of those kinds.
    let touched: BTreeSet<String> = lab
        .store
        .tasks_attempted_since(since)?
        .into_iter()
        .filter(|t| view.shape_of.contains_key(t))
        .collect();
    let shapes: BTreeSet<&String> = touched.iter().map(|t| &view.shape_of[t]).collect();
    let kind_tasks: Vec<String> = shapes
        .iter()
        .flat_map(|s| view.train_by_shape[*s].iter().map(|t| t.task_id.clone()))
        .collect();
    let episodes = lab.store.episodes_of_tasks(&kind_tasks)?;
    let groups = groups(&episodes, &view.by_id, &view.heldout);
    let backend = lab.backend.clone();
    let judge = CachedJudge::new(&lab.verifier);
    let shape = PipelineShape::of(lab);
    let solved = lab.store.solved_tasks()?;
    let mut step = Step {
        view: &view,
        solved: &solved,
        trials: Trials {
            backend: backend.as_ref(),
            judge: &judge,
            shape,
            temperature: lab.backend_config.temperature,
            max_tokens: lab.backend_config.max_tokens,
            seed: 0,
            cancel: crate::stop::flag(),
            without: HashMap::new(),
        },
        min_evidence: plan.min_evidence.max(1) as usize,
        run_id,
        report: Report {
            tasks_processed: touched.len(),
            episodes: episodes.len(),
            groups: groups.len(),
            ..Report::default()
        },
    };
    let store = &mut lab.store;
    let fresh_tasks: HashSet<String> = if plan.full {
        view.shape_of.keys().cloned().collect()
    } else {
        touched.iter().cloned().collect()
    };
    step.add_procedures(store, &groups, &fresh_tasks)?;
    let contrasts = step.contrast(store, &touched, &episodes)?;
    let rules = if backend.is_simulation() {
        let mut rules = Vec::new();
        for slip in &contrasts.slips {
            rules.extend(offline_rule(store, &view, slip, step.min_evidence, run_id)?);
        }
        rules
    } else {
        step.model_rules(&contrasts.by_shape)?
    };
    step.add_rules(store, rules)?;
    step.report.rules_retired += upkeep::enforce_bound(store)?;
    store.set_consolidation_mark(key, latest)?;
    Ok(step.report)
}

/// What the new contrasts of a consolidation showed.
struct NewContrasts {
    /// Slips seen in them.
    slips: BTreeSet<String>,
    /// The contrasts by task shape (what a model is shown to write a rule).
    by_shape: BTreeMap<String, Vec<(FailedAttempt, Episode)>>,
}

/// One consolidation's work: what it reads, how it measures, what it reports.
struct Step<'a> {
    view: &'a TaskView,
    solved: &'a HashSet<String>,
    trials: Trials<'a>,
    min_evidence: usize,
    run_id: i64,
    report: Report,
}

impl Step<'_> {
    /// Proposes, verifies and measures the procedures of the groups.
    fn add_procedures(
        &mut self,
        store: &mut Store,
        groups: &[Group],
        fresh_tasks: &HashSet<String>,
    ) -> anyhow::Result<()> {
        let keys = store.knowledge_keys(KnowledgeKind::Procedure)?;
        let proposals = procedures::propose(
            groups,
            &self.view.by_id,
            self.trials.judge,
            self.trials.shape.verifiers,
            &procedures::Known {
                keys: &keys,
                fresh_tasks,
            },
            self.min_evidence,
            self.run_id,
        );
        for proposal in proposals {
            let Some(item) = proposal else {
                self.report.procedures_rejected += 1;
                continue;
            };
            match store.add_knowledge(&item)? {
                Added::Created(id) => {
                    self.report.procedures_created += 1;
                    if !self.measure(store, KnowledgeKind::Procedure, id, &item)? {
                        self.report.procedures_retired += 1;
                    }
                }
                Added::Reinforced(id) => {
                    self.report.procedures_reinforced += 1;
                    store.vote_knowledge(
                        KnowledgeKind::Procedure,
                        id,
                        true,
                        "new verified evidence",
                    )?;
                    self.measure_if_unmeasured(store, KnowledgeKind::Procedure, id, &item)?;
                }
                Added::Unchanged(id) => {
                    self.measure_if_unmeasured(store, KnowledgeKind::Procedure, id, &item)?;
                }
            }
        }
        Ok(())
    }

    /// Sets the not yet contrasted failed attempts of the touched tasks against their verified
    /// attempts, and records the slip of each (empty when there is no single one).
    fn contrast(
        &mut self,
        store: &mut Store,
        touched: &BTreeSet<String>,
        episodes: &[Episode],
    ) -> anyhow::Result<NewContrasts> {
        let mut by_task: HashMap<&str, Vec<&Episode>> = HashMap::new();
        for e in episodes {
            by_task.entry(e.task_id.as_str()).or_default().push(e);
        }
        let solved: Vec<String> = touched
            .iter()
            .filter(|t| by_task.contains_key(t.as_str()) && !self.view.heldout.contains(*t))
            .cloned()
            .collect();
        let mut out = NewContrasts {
            slips: BTreeSet::new(),
            by_shape: BTreeMap::new(),
        };
        let mut classified = Vec::new();
        for failed in store.unclassified_failures(&solved)? {
            let task = &self.view.by_id[&failed.task_id];
            let shape = &self.view.shape_of[&failed.task_id];
            let verified = &by_task[failed.task_id.as_str()];
            let found = verified
                .iter()
                .find_map(|e| contrasts::classify(&failed, e, task, shape).map(|s| (s.key(), *e)));
            let (slip, episode) = found.unwrap_or((String::new(), verified[0]));
            if !slip.is_empty() {
                self.report.contrasts_classified += 1;
                out.slips.insert(slip.clone());
            }
            classified.push(Contrast {
                failure_id: failed.id,
                episode_id: episode.id,
                task_id: failed.task_id.clone(),
                shape: shape.clone(),
                slip,
            });
            out.by_shape
                .entry(shape.clone())
                .or_default()
                .push((failed, episode.clone()));
        }
        self.report.contrasts = classified.len();
        store.add_contrasts(&classified)?;
        Ok(out)
    }

    /// Rules the model writes from the new contrasts of each kind with enough evidence.
    fn model_rules(
        &mut self,
        by_shape: &BTreeMap<String, Vec<(FailedAttempt, Episode)>>,
    ) -> anyhow::Result<Vec<NewKnowledge>> {
        let writer = model_rules::Writer {
            backend: self.trials.backend,
            temperature: self.trials.temperature,
            max_tokens: self.trials.max_tokens,
            seed: self.trials.seed,
        };
        let mut rules = Vec::new();
        for (shape, pairs) in by_shape {
            let tasks: BTreeSet<&str> = pairs.iter().map(|(f, _)| f.task_id.as_str()).collect();
            if tasks.len() < self.min_evidence {
                continue;
            }
            match writer.write(pairs)? {
                Ok(text) => rules.push(NewKnowledge {
                    kind: KnowledgeKind::Rule,
                    title: text,
                    body: String::new(),
                    family: None,
                    evidence_count: tasks.len(),
                    episode_ids: pairs.iter().map(|(_, e)| e.id).collect(),
                    failure_ids: pairs.iter().map(|(f, _)| f.id).collect(),
                    scope: Some(shape.clone()),
                    origin: format!("model:{}", self.trials.backend.model()),
                    run_id: Some(self.run_id),
                    validation: None,
                }),
                Err(reason) => {
                    tracing::info!(%reason, %shape, "model rule rejected");
                    self.report.rules_rejected += 1;
                }
            }
        }
        Ok(rules)
    }

    /// Adds rules (or their evidence to near-duplicates) and measures the new ones.
    fn add_rules(&mut self, store: &mut Store, rules: Vec<NewKnowledge>) -> anyhow::Result<()> {
        for rule in rules {
            match upkeep::add_rule(store, rule.clone())? {
                Added::Created(id) => {
                    self.report.rules_created += 1;
                    if !self.measure(store, KnowledgeKind::Rule, id, &rule)? {
                        self.report.rules_retired += 1;
                    }
                }
                Added::Reinforced(id) => {
                    self.report.rules_reinforced += 1;
                    store.vote_knowledge(KnowledgeKind::Rule, id, true, "new contrasts")?;
                    self.measure_if_unmeasured(store, KnowledgeKind::Rule, id, &rule)?;
                }
                Added::Unchanged(id) => {
                    self.measure_if_unmeasured(store, KnowledgeKind::Rule, id, &rule)?;
                }
            }
        }
        Ok(())
    }
}

/// The offline rule of a slip, when its contrasts cover enough train tasks.
fn offline_rule(
    store: &Store,
    view: &TaskView,
    slip_key: &str,
    min_evidence: usize,
    run_id: i64,
) -> anyhow::Result<Option<NewKnowledge>> {
    let Some(slip) = Slip::from_key(slip_key) else {
        return Ok(None);
    };
    let found: Vec<Contrast> = store
        .contrasts_with_slip(slip_key)?
        .into_iter()
        .filter(|c| !view.heldout.contains(&c.task_id) && view.by_id.contains_key(&c.task_id))
        .collect();
    let tasks: BTreeSet<&str> = found.iter().map(|c| c.task_id.as_str()).collect();
    if tasks.len() < min_evidence {
        return Ok(None);
    }
    let mut episode_ids: Vec<i64> = found.iter().map(|c| c.episode_id).collect();
    episode_ids.sort_unstable();
    episode_ids.dedup();
    Ok(Some(NewKnowledge {
        kind: KnowledgeKind::Rule,
        title: slip.rule(),
        body: String::new(),
        family: None,
        evidence_count: tasks.len(),
        episode_ids,
        failure_ids: found.iter().map(|c| c.failure_id).collect(),
        scope: slip.scope(),
        origin: "offline".into(),
        run_id: Some(run_id),
        validation: None,
    }))
}

/// Measuring new items, and retiring those that do not help.
impl Step<'_> {
    /// Measures an active item that has no effect yet: one stored by a consolidation that
    /// stopped before measuring it (an unreachable server, Ctrl-C), or by an older rslm.
    fn measure_if_unmeasured(
        &mut self,
        store: &mut Store,
        kind: KnowledgeKind,
        id: i64,
        item: &NewKnowledge,
    ) -> anyhow::Result<()> {
        let stored = store.knowledge_item(kind, id)?;
        if stored.is_some_and(|i| i.status == "active" && i.effect.is_none())
            && !self.measure(store, kind, id, item)?
        {
            match kind {
                KnowledgeKind::Procedure => self.report.procedures_retired += 1,
                KnowledgeKind::Rule => self.report.rules_retired += 1,
            }
        }
        Ok(())
    }

    /// The shapes whose train tasks make an item's dev slice: its own kind for a procedure or
    /// a scoped rule, the kinds of its evidence for a rule about every kind.
    fn shapes(
        &self,
        store: &Store,
        kind: KnowledgeKind,
        id: i64,
        item: &NewKnowledge,
    ) -> anyhow::Result<Vec<String>> {
        if kind == KnowledgeKind::Procedure {
            return Ok(vec![item.title.clone()]);
        }
        if let Some(scope) = &item.scope {
            return Ok(vec![scope.clone()]);
        }
        let mut shapes = Vec::new();
        for task in store.knowledge_source_tasks(kind, id)? {
            if let Some(shape) = self.view.shape_of.get(&task) {
                if !shapes.contains(shape) {
                    shapes.push(shape.clone());
                }
            }
        }
        Ok(shapes)
    }

    /// Measures an item's effect, records it, and retires the item when it does not help.
    /// Returns whether it stays.
    fn measure(
        &mut self,
        store: &mut Store,
        kind: KnowledgeKind,
        id: i64,
        item: &NewKnowledge,
    ) -> anyhow::Result<bool> {
        let shapes = self.shapes(store, kind, id, item)?;
        let slice = effect::slice(&shapes, &self.view.train_by_shape, self.solved);
        let stored = store
            .knowledge_item(kind, id)?
            .expect("the item was just added");
        let memory = |_: &Task| match kind {
            KnowledgeKind::Procedure => Retrieved {
                procedures: vec![RetrievedProcedure {
                    id,
                    pattern: stored.title.clone(),
                    recipe: stored.body.clone(),
                    score: 0.0,
                }],
                ..Retrieved::default()
            },
            KnowledgeKind::Rule => Retrieved {
                rules: vec![RetrievedRule {
                    id,
                    text: stored.title.clone(),
                    score: 0.0,
                }],
                ..Retrieved::default()
            },
        };
        self.report.measured += 1;
        let effect = self.trials.measure(&slice, &memory)?;
        store.record_effect(
            kind,
            id,
            effect,
            &format!("a dev slice of {} train-pool tasks", slice.len()),
        )?;
        if effect.helps() {
            return Ok(true);
        }
        store.vote_knowledge(kind, id, false, "no positive effect")?;
        store.set_knowledge_status(
            kind,
            id,
            false,
            &format!(
                "no positive effect: {} passes with it, {} without, of {}",
                effect.with, effect.without, effect.n
            ),
        )?;
        Ok(false)
    }
}
