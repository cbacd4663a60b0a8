//! The promotion gate, above training and evaluation: it runs both sides of a comparison as
//! eval conditions and decides with `decision::decide`. A candidate adapter is compared with what is active now (another
//! adapter, or the base model) task by task on the held-out set and on a check set of
//! train-pool tasks the candidate never trained on; `decision::decide` rules, and only a
//! "promote" changes the registry (one activation whose reason carries the figures). A
//! refusal, like an error, changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Context as _;

pub mod decision;

use crate::eval::conditions::{Condition, ConditionRun};
use crate::eval::report::TaskOutcome;
use crate::iterate::pipeline::CachedJudge;
use crate::lab::Lab;
use crate::store::adapters::Adapter;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::tasks::Task;
use crate::usage;
use decision::{Decision, Paired};

/// What the gate decides about.
#[derive(Debug, Clone)]
pub struct GatePlan {
    /// The candidate adapter, as registered by train-lora.
    pub name: String,
    /// Significance level of the exact McNemar test on the held-out set.
    pub alpha: f64,
    /// At most this many check-set tasks (default: all).
    pub check_limit: Option<usize>,
    /// Only the first N held-out tasks.
    pub heldout_limit: Option<usize>,
    pub seed: u64,
    /// Where the result JSON goes.
    pub output: Option<PathBuf>,
}

impl GatePlan {
    /// What can be refused before the lab is opened.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            usage!("--alpha must be in (0, 1), e.g. 0.05");
        }
        if self.check_limit == Some(0) {
            usage!("--check-limit 0 leaves no check set; the gate needs one");
        }
        if self.heldout_limit == Some(0) {
            usage!("--heldout-limit 0 selects no held-out tasks");
        }
        Ok(())
    }
}

/// What the gate found and did.
#[derive(Debug)]
pub struct GateOutcome {
    pub candidate: Adapter,
    pub current: Option<Adapter>,
    /// "the base model" or "adapter NAME".
    pub current_label: String,
    pub heldout: Side,
    pub check: Side,
    pub decision: Decision,
    /// The result JSON (also written to the plan's output).
    pub record: serde_json::Value,
}

/// Runs the gate: both sides on both task sets, the decision, and on "promote" the activation.
pub fn run(lab: &mut Lab, plan: &GatePlan) -> anyhow::Result<GateOutcome> {
    plan.validate()?;
    let candidate = crate::train::registered(&lab.store, &plan.name)?;
    let simulation = lab.backend.is_simulation();
    if simulation && !crate::train::is_simulated(&candidate) {
        usage!(
            "adapter {} has LoRA weights, which the mock cannot use: compare it with --backend openai (the mock gates only simulated adapters, from train-lora --backend mock)",
            candidate.name
        );
    }
    crate::train::check_servable(&candidate, lab.backend.as_ref())?;
    let current = lab.store.active_adapter()?;
    if current.as_ref().map(|a| a.id) == Some(candidate.id) {
        usage!(
            "adapter {} is already active; nothing to promote",
            candidate.name
        );
    }
    let trained = training_tasks(&candidate)?;
    if lab.split.heldout.is_empty() {
        usage!("--heldout-size 0 leaves no held-out set to compare on");
    }
    let heldout = lab.heldout_tasks(plan.heldout_limit);
    let (check, twins) = check_set(
        &lab.split.train,
        &trained,
        lab.split_config.seed,
        plan.check_limit,
    );
    if twins > 0 {
        eprintln!(
            "promote-adapter: {twins} twin(s) of trained tasks (same normalised spec) left out of the check set"
        );
    }
    let excluded = lab
        .split
        .train
        .iter()
        .filter(|t| trained.contains(&t.task_id))
        .count();

    // How to ask the server for each side; a server missing one of them is an error here,
    // before anything runs.
    let backend = lab.backend.clone();
    let loaded = backend.loaded_adapters()?;
    let candidate_ref = crate::train::adapter_request(&candidate, loaded.as_deref())?;
    let current_ref = match &current {
        Some(a) => Some(crate::train::adapter_request(a, loaded.as_deref())?),
        None => candidate_ref.base_model(),
    };
    if current_ref.as_ref() == Some(&candidate_ref) {
        anyhow::bail!(
            "adapter {} and the active adapter {} would be requested the same way ({candidate_ref:?}): the server does not list its adapters (GET /lora-adapters), so rslm cannot tell their llama.cpp ids apart; use a llama.cpp server started with both (scripts/model_server.sh restart --lora CURRENT.gguf --lora CANDIDATE.gguf)",
            candidate.name,
            current.as_ref().map_or("(none)", |a| a.name.as_str()),
        );
    }
    let current_label = current.as_ref().map_or("the base model".to_string(), |a| {
        format!("adapter {}", a.name)
    });

    let judge = CachedJudge::new(&lab.verifier);
    let (temperature, max_tokens) = (
        lab.backend_config.temperature,
        lab.backend_config.max_tokens,
    );
    let run_id = lab.store.start_run(&NewRun {
        kind: RunKind::Eval,
        backend: backend.name().into(),
        model: backend.model(),
        simulation,
        seed: plan.seed,
        mode: Some("promotion".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(lab.tasks_label()),
        config: serde_json::json!({
            "candidate": candidate.name, "current": current.as_ref().map(|a| &a.name),
            "alpha": plan.alpha, "heldout_tasks": heldout.len(), "check_tasks": check.len(),
            "check_limit": plan.check_limit, "heldout_size": lab.split_config.heldout_size,
            "split_seed": lab.split_config.seed, "seed": plan.seed,
            "temperature": temperature, "max_tokens": max_tokens,
        }),
    })?;

    let heldout_ids = lab.heldout_ids();
    let shape = crate::iterate::pipeline::PipelineShape::of(lab);
    let store = &lab.store;
    let compare = |tasks: &[Task], what: &str| -> anyhow::Result<Side> {
        if tasks.is_empty() {
            return Ok(Side::default());
        }
        let progress = crate::progress::Progress::new(what, 2 * tasks.len(), "tasks");
        let runner = ConditionRun {
            store,
            backend: backend.as_ref(),
            judge: &judge,
            shape,
            tasks,
            heldout_ids: &heldout_ids,
            strategy: crate::memory::Strategy::Bm25,
            n: 1,
            temperature,
            max_tokens,
            seed: plan.seed,
            cancel: crate::stop::flag(),
            progress: &progress,
            controls: None,
        };
        eprintln!(
            "promote-adapter: {what}: {} tasks under {current_label}",
            tasks.len()
        );
        let cur = runner.run(Condition::Learning, current_ref.clone())?;
        eprintln!(
            "promote-adapter: {what}: {} tasks under candidate {}",
            tasks.len(),
            candidate.name
        );
        let cand = runner.run(Condition::Learning, Some(candidate_ref.clone()))?;
        Ok(Side::pair(&cur, &cand))
    };
    let sides =
        compare(&heldout, "held-out set").and_then(|h| Ok((h, compare(&check, "check set")?)));
    let (heldout_side, check_side) = match sides {
        Ok(s) => s,
        Err(e) => {
            let _ = store.finish_run(
                run_id,
                RunStatus::Failed,
                &serde_json::json!({"error": format!("{e:#}")}),
            );
            return Err(e);
        }
    };
    let decision = decision::decide(&heldout_side.pairs(), &check_side.pairs(), plan.alpha);

    let figures = format!(
        "held-out {}/{} -> {}/{} ({} won, {} lost, exact McNemar p = {}), check set {}/{} -> {}/{}",
        heldout_side.current_passed(),
        heldout_side.tasks.len(),
        heldout_side.candidate_passed(),
        heldout_side.tasks.len(),
        decision.heldout_wins,
        decision.heldout_losses,
        decision::show_p(decision.p_value),
        check_side.current_passed(),
        check_side.tasks.len(),
        check_side.candidate_passed(),
        check_side.tasks.len(),
    );
    if decision.promote {
        lab.store.activate_adapter(
            Some(candidate.id),
            &format!(
                "promote-adapter: {} over {current_label}: {figures} (alpha {})",
                candidate.name, plan.alpha
            ),
        )?;
    }
    let record = serde_json::json!({
        "simulation": simulation,
        "candidate": candidate.name,
        "current": current.as_ref().map(|a| &a.name),
        "promoted": decision.promote,
        "active": if decision.promote { Some(&candidate.name) } else { current.as_ref().map(|a| &a.name) },
        "decision": decision,
        "alpha": plan.alpha,
        "heldout": heldout_side.summary(),
        "check": {
            "selection": "train-pool tasks absent from the candidate's train.jsonl and not twins (same normalised spec) of a task in it, in a seeded order",
            "trained_tasks_excluded": excluded,
            "twins_of_trained_excluded": twins,
            "limit": plan.check_limit,
            "figures": check_side.summary(),
        },
        "requests": {"current": current_ref, "candidate": candidate_ref},
        "run_id": run_id,
        "tasks_source": lab.tasks_label(),
        "temperature": temperature,
        "seed": plan.seed,
        "config": crate::eval::provenance::run_config(
            lab,
            &crate::eval::provenance::RunSettings {
                n: Some(1),
                seed: Some(plan.seed),
                task_limit: plan.check_limit,
                conditions: vec!["learning".into()],
                ..Default::default()
            },
        )?,
    });
    lab.store.finish_run(
        run_id,
        RunStatus::Completed,
        &serde_json::json!({"promoted": decision.promote, "reason": decision.reason}),
    )?;
    if let Some(out) = &plan.output {
        crate::output::write_json(out, &record)?;
    }
    Ok(GateOutcome {
        candidate,
        current,
        current_label,
        heldout: heldout_side,
        check: check_side,
        decision,
        record,
    })
}

/// Task ids of the candidate's training set (`train.jsonl` in its folder).
fn training_tasks(adapter: &Adapter) -> anyhow::Result<HashSet<String>> {
    let path = PathBuf::from(&adapter.path).join("train.jsonl");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read adapter {}'s training set {} (needed to keep its training tasks out of the check set)",
            adapter.name,
            path.display()
        )
    })?;
    let mut ids = HashSet::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not JSON", path.display(), i + 1))?;
        match value["task_id"].as_str() {
            Some(id) => ids.insert(id.to_string()),
            None => anyhow::bail!("{} line {}: no task_id", path.display(), i + 1),
        };
    }
    Ok(ids)
}

/// Train-pool tasks the candidate did not train on, nor a twin of one (the same normalised
/// spec: a twin of a trained task is not unseen), in an order of their own (a hash with a
/// different salt than the split's), so a limited check set is a sample of them, not the
/// first ones an iteration with `--task-order split` attempted. Also returns how many twins
/// were left out.
fn check_set(
    train: &[Task],
    trained: &HashSet<String>,
    split_seed: u64,
    limit: Option<usize>,
) -> (Vec<Task>, usize) {
    use crate::tasks::spec_key::spec_key;
    use sha2::{Digest as _, Sha256};
    let trained_specs: HashSet<String> = train
        .iter()
        .filter(|t| trained.contains(&t.task_id))
        .map(spec_key)
        .collect();
    let untrained: Vec<&Task> = train
        .iter()
        .filter(|t| !trained.contains(&t.task_id))
        .collect();
    let mut tasks: Vec<(Vec<u8>, Task)> = untrained
        .iter()
        .filter(|t| !trained_specs.contains(&spec_key(t)))
        .map(|t| {
            let key = Sha256::digest(format!("check:{split_seed}:{}", t.task_id)).to_vec();
            (key, (*t).clone())
        })
        .collect();
    let twins = untrained.len() - tasks.len();
    tasks.sort_by(|a, b| a.0.cmp(&b.0));
    let tasks = tasks
        .into_iter()
        .map(|(_, t)| t)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    (tasks, twins)
}

/// Per-task outcomes of both sides on one task set.
#[derive(Debug, Default)]
pub struct Side {
    /// (task id, current passed, candidate passed), in task order.
    pub tasks: Vec<(String, bool, bool)>,
}

impl Side {
    fn pair(current: &[TaskOutcome], candidate: &[TaskOutcome]) -> Side {
        let cand: HashMap<&str, bool> = candidate
            .iter()
            .map(|o| (o.task_id.as_str(), o.solved()))
            .collect();
        Side {
            tasks: current
                .iter()
                .map(|o| {
                    let c = cand.get(o.task_id.as_str()).copied().unwrap_or(false);
                    (o.task_id.clone(), o.solved(), c)
                })
                .collect(),
        }
    }

    fn pairs(&self) -> Vec<Paired> {
        self.tasks
            .iter()
            .map(|&(_, current, candidate)| Paired { current, candidate })
            .collect()
    }

    pub fn current_passed(&self) -> usize {
        self.tasks.iter().filter(|t| t.1).count()
    }

    pub fn candidate_passed(&self) -> usize {
        self.tasks.iter().filter(|t| t.2).count()
    }

    pub fn won(&self) -> usize {
        self.tasks.iter().filter(|t| t.2 && !t.1).count()
    }

    pub fn lost(&self) -> usize {
        self.tasks.iter().filter(|t| t.1 && !t.2).count()
    }

    pub fn summary(&self) -> serde_json::Value {
        let n = self.tasks.len();
        let rate = |k: usize| {
            if n == 0 {
                None
            } else {
                Some(k as f64 / n as f64)
            }
        };
        let ci = |k: usize| {
            crate::eval::stats::wilson_interval(k, n)
                .ok()
                .map(|i| [i.low, i.high])
        };
        serde_json::json!({
            "tasks": n,
            "current_passed": self.current_passed(),
            "candidate_passed": self.candidate_passed(),
            "pass_at_1_current": rate(self.current_passed()),
            "pass_at_1_candidate": rate(self.candidate_passed()),
            "ci95_current": ci(self.current_passed()),
            "ci95_candidate": ci(self.candidate_passed()),
            "won": self.won(),
            "lost": self.lost(),
            "p_value": crate::eval::stats::mcnemar_exact(self.won(), self.lost()),
            "per_task": self.tasks.iter().map(|(id, cur, cand)| serde_json::json!({"task_id": id, "current": cur, "candidate": cand})).collect::<Vec<_>>(),
        })
    }
}
