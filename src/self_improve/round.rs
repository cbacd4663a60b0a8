//! `self-improve --rounds`: the loop that learns, as ReST-EM runs it. Each round generates on
//! train-pool tasks with the current policy (the active adapter and memory, each switchable),
//! verifies and stores what passed, consolidates, trains an adapter on every verified episode so
//! far (from the base model unless `continue_adapter`), lets the promotion gate decide on data
//! the adapter never saw, and evaluates the conditions on the held-out split.
//!
//! Every stage is a stored step of a `self-improve` run (`store::rounds`): a step is recorded as
//! it starts and completed with its result, so an interrupted run (Ctrl-C, kill -9, a failed
//! server, the time budget) resumes with `--resume` at the first stage not completed. The stages
//! that change state beyond the store's runs are made safe to restart: an adapter registered by a
//! training that was killed before its step completed is taken as trained, a promotion already
//! recorded is taken as decided, an iteration resumes its own interrupted run.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::consolidate::ConsolidationPlan;
use crate::eval::EvalPlan;
use crate::gate::GatePlan;
use crate::iterate::IterationPlan;
use crate::lab::{Lab, LabConfig};
use crate::server::{ManagedServer, ServedAdapter, ServerKind};
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::train::lora::{TrainOutcome, TrainPlan};

use super::report::RoundsReport;

/// The stages of a round, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Generate,
    Consolidate,
    Train,
    Gate,
    Eval,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Generate,
        Stage::Consolidate,
        Stage::Train,
        Stage::Gate,
        Stage::Eval,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Generate => "generate",
            Stage::Consolidate => "consolidate",
            Stage::Train => "train",
            Stage::Gate => "gate",
            Stage::Eval => "eval",
        }
    }
}

/// What the rounds do. The per-round parts (output files, adapter names, seeds) are derived
/// from these templates.
#[derive(Debug, Clone)]
pub struct RoundsPlan {
    pub rounds: u32,
    /// Generation on the train pool; its seed moves on by one per round; `memory` and
    /// `with_active_adapter` say what the current policy is.
    pub generation: IterationPlan,
    pub consolidation: ConsolidationPlan,
    /// Training; `out` and `name` are set per round, `simulated` follows the backend.
    pub training: TrainPlan,
    /// Train each adapter from the previous active one instead of the base model.
    pub continue_adapter: bool,
    /// The gate's thresholds; `name` and `output` are set per round.
    pub gate: GatePlan,
    /// The held-out eval; `output` is set per round.
    pub eval: EvalPlan,
    /// Sampling temperature of the gate and the eval (default: the backend's, as generation);
    /// usually 0 while generation samples.
    pub eval_temperature: Option<f32>,
    /// The run's files go in `output_dir/runNNN/`.
    pub output_dir: PathBuf,
    /// Stop cleanly (interrupted, resumable) once this much time has passed.
    pub time_budget: Option<Duration>,
    /// Continue the newest unfinished run with the same settings.
    pub resume: bool,
    /// A model server rslm runs for this run (restarted or given adapters as the stages need
    /// them, stopped however the run ends); `None`: the backend as configured.
    pub server: Option<crate::server::ServerConfig>,
}

/// What a stage did, as stored in its step.
type StageResult = serde_json::Value;

/// How `run` ended.
#[derive(Debug)]
pub struct RoundsOutcome {
    pub report: RoundsReport,
    /// `None` when every round completed; otherwise why the run stopped (it can be resumed).
    pub interrupted: Option<String>,
    pub report_json: PathBuf,
    pub report_markdown: PathBuf,
}

/// Something to tell the user as it happens.
#[derive(Debug)]
pub enum Event<'a> {
    /// A new or resumed run, and its folder.
    Started {
        run_id: i64,
        resumed: bool,
        dir: &'a Path,
    },
    /// A stage was already done in an earlier attempt.
    Skipped { round: u32, stage: Stage },
    /// A stage completed now.
    Completed {
        round: u32,
        stage: Stage,
        seconds: f64,
        result: &'a StageResult,
    },
}

/// The environment variable that aborts the process (as kill -9 would) when a named stage
/// starts: `ROUND:STAGE`, e.g. `2:train`. For tests of `--resume`.
pub const ABORT_AT_VARIABLE: &str = "RSLM_TEST_ABORT_AT";

impl RoundsPlan {
    /// What can be refused before the lab is opened.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.generation.validate()?;
        self.eval.validate()?;
        self.gate.validate()?;
        if self.time_budget == Some(Duration::ZERO) {
            crate::usage!("--time-budget 0 leaves no time for any stage");
        }
        Ok(())
    }

    /// The settings a resumed run must match (never the time budget: a resumed run may get more).
    fn settings(&self, lab: &Lab) -> serde_json::Value {
        let t = &self.training;
        serde_json::json!({
            "rounds": self.rounds,
            "tasks": lab.tasks_label(),
            "heldout_size": lab.split_config.heldout_size,
            "split_seed": lab.split_config.seed,
            "backend": lab.backend_config.kind,
            "model": lab.backend.model(),
            "temperature": lab.backend_config.temperature,
            "max_tokens": lab.backend_config.max_tokens,
            "generation": {
                "k": self.generation.k, "task_limit": self.generation.task_limit,
                "memory": self.generation.memory, "active_adapter": self.generation.with_active_adapter,
                "retrieval": self.generation.retrieval, "seed": self.generation.seed,
            },
            "min_evidence": self.consolidation.min_evidence,
            "training": {
                "rank": t.rank, "alpha": t.alpha, "dropout": t.dropout, "epochs": t.epochs,
                "learning_rate": t.learning_rate, "max_length": t.max_length, "batch_size": t.batch_size,
                "seed": t.seed, "target_modules": t.target_modules, "max_per_task": t.max_per_task,
                "max_per_family": t.max_per_family, "precision": t.precision,
                "base_model": t.base_model, "serving": t.serving,
                "continue_adapter": self.continue_adapter,
            },
            "gate": {
                "alpha": self.gate.alpha, "check_limit": self.gate.check_limit,
                "heldout_limit": self.gate.heldout_limit, "seed": self.gate.seed,
            },
            "eval": {
                "conditions": self.eval.conditions.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "k": self.eval.k, "n": self.eval.n, "task_limit": self.eval.task_limit,
                "seed": self.eval.seed, "temperature": self.eval_temperature,
            },
            "output_dir": self.output_dir,
        })
    }
}

/// Opens the lab (first starting the model server the plan manages, if any, and pointing the
/// backend at it), then runs or resumes the rounds; `on_event` sees each stage as it ends. The
/// managed server is stopped however this returns (its handle drops; a kill -9 of rslm takes it
/// down too, see `server::process`).
pub fn run(
    mut config: LabConfig,
    plan: &RoundsPlan,
    on_event: impl FnMut(Event<'_>),
) -> anyhow::Result<RoundsOutcome> {
    plan.validate()?;
    let mut server = match &plan.server {
        Some(server_config) => {
            let server = crate::server::start(server_config)?;
            eprintln!(
                "self-improve: model server {} ({}) at {}",
                server.state.model, server.state.pid, server.state.base_url
            );
            config.backend.kind = crate::backend::BackendKind::Openai;
            config.backend.base_url = Some(server.state.base_url.clone());
            config.backend.model = Some(server.state.model.clone());
            Some(server)
        }
        None => None,
    };
    if let (None, Some(url)) = (&server, &config.backend.base_url)
        && !config.backend.is_simulation()
    {
        // A server rslm does not own: say what it can do with adapters, and what not.
        let can = crate::server::capabilities(url);
        eprintln!(
            "self-improve: the model server at {url} was not started by rslm; it {} its adapters ({} loaded); rslm cannot {}",
            if can.lists_adapters {
                "lists"
            } else {
                "does not list"
            },
            can.loaded.len(),
            can.cannot.join("; nor ")
        );
    }
    let mut lab = Lab::open(config)?;
    run_in_lab(&mut lab, plan, server.as_mut(), on_event)
}

fn run_in_lab(
    lab: &mut Lab,
    plan: &RoundsPlan,
    server: Option<&mut ManagedServer>,
    mut on_event: impl FnMut(Event<'_>),
) -> anyhow::Result<RoundsOutcome> {
    let started = Instant::now();
    let settings = plan.settings(lab);
    let resumable = if plan.resume {
        let found = lab.store.resumable_run(RunKind::SelfImprove, &settings)?;
        if found.is_none() {
            eprintln!(
                "self-improve: --resume: no unfinished run with these settings; starting a new run"
            );
        }
        found
    } else {
        None
    };
    let run_id = match resumable {
        Some(id) => {
            lab.store.reopen_run(id)?;
            id
        }
        None => lab.store.start_run(&NewRun {
            kind: RunKind::SelfImprove,
            backend: lab.backend.name().into(),
            model: lab.backend.model(),
            simulation: lab.backend.is_simulation(),
            seed: plan.generation.seed,
            mode: Some("rounds".into()),
            prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
            tasks_source: Some(lab.tasks_label()),
            config: settings.clone(),
        })?,
    };
    let dir = plan.output_dir.join(format!("run{run_id:03}"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create the run's folder {}: {e}", dir.display()))?;
    on_event(Event::Started {
        run_id,
        resumed: resumable.is_some(),
        dir: &dir,
    });
    if let Some(budget) = plan.time_budget {
        crate::stop::after(budget, "self-improve");
    }
    let mut context = RunContext {
        run_id,
        dir: dir.clone(),
        settings,
    };
    let stopped = run_rounds(lab, plan, &mut context, server, started, &mut on_event);
    let (status, interrupted) = match &stopped {
        Ok(None) => (RunStatus::Completed, None),
        Ok(Some(why)) => (RunStatus::Interrupted, Some(why.clone())),
        // A failed stage (a server that went away, a trainer that crashed) leaves the run
        // resumable: what completed stays completed.
        Err(e) => (RunStatus::Interrupted, Some(format!("{e:#}"))),
    };
    let report = super::report::build(lab, &context.settings, run_id, status)?;
    let (report_json, report_markdown) = super::report::write(&report, &dir)?;
    lab.store.finish_run(
        run_id,
        status,
        &serde_json::json!({"rounds_completed": report.rounds_completed(), "stopped": interrupted}),
    )?;
    if let Err(e) = stopped {
        return Err(e.context(format!(
            "self-improve run {run_id} stopped; what completed is kept: rerun the same command with --resume to continue"
        )));
    }
    Ok(RoundsOutcome {
        report,
        interrupted,
        report_json,
        report_markdown,
    })
}

struct RunContext {
    run_id: i64,
    dir: PathBuf,
    settings: serde_json::Value,
}

/// Every round and stage not yet completed. `Ok(Some(why))`: stopped early, resumable.
fn run_rounds(
    lab: &mut Lab,
    plan: &RoundsPlan,
    context: &mut RunContext,
    mut server: Option<&mut ManagedServer>,
    started: Instant,
    on_event: &mut impl FnMut(Event<'_>),
) -> anyhow::Result<Option<String>> {
    let run_id = context.run_id;
    let done: Vec<(u32, String)> = lab
        .store
        .steps(run_id)?
        .into_iter()
        .filter(|s| s.completed)
        .map(|s| (s.round, s.stage))
        .collect();
    for round in 1..=plan.rounds {
        let mut skip_gate = false;
        for stage in Stage::ALL {
            if done.contains(&(round, stage.as_str().to_string())) {
                on_event(Event::Skipped { round, stage });
                continue;
            }
            if let Some(why) = stop_reason(plan, started) {
                return Ok(Some(why));
            }
            lab.store.start_step(run_id, round, stage.as_str())?;
            abort_if_asked(round, stage);
            if let Some(server) = server.as_deref_mut() {
                serve_for(lab, server, stage, &adapter_name(run_id, round))?;
            }
            let clock = Instant::now();
            let result = match stage {
                Stage::Generate => generate(lab, plan, round)?,
                Stage::Consolidate => {
                    serde_json::to_value(crate::consolidate::run(lab, &plan.consolidation)?)?
                }
                Stage::Train => train(lab, plan, context, round)?,
                Stage::Gate if skip_gate => {
                    serde_json::json!({"skipped": "no adapter was trained"})
                }
                Stage::Gate => {
                    with_eval_temperature(lab, plan, |lab| gate(lab, plan, context, round))?
                }
                Stage::Eval => {
                    with_eval_temperature(lab, plan, |lab| eval(lab, plan, context, round))?
                }
            };
            if result["interrupted"] == true {
                return Ok(Some(format!(
                    "interrupted during round {round}'s {} stage",
                    stage.as_str()
                )));
            }
            if stage == Stage::Train && result["skipped"].is_string() {
                skip_gate = true;
            }
            let seconds = clock.elapsed().as_secs_f64();
            lab.store
                .finish_step(run_id, round, stage.as_str(), seconds, &result)?;
            on_event(Event::Completed {
                round,
                stage,
                seconds,
                result: &result,
            });
        }
        // The report so far, after every round: a long run can be read while it goes on.
        let report = super::report::build(lab, &context.settings, run_id, RunStatus::Interrupted)?;
        super::report::write(&report, &context.dir)?;
    }
    Ok(None)
}

/// Runs a measuring stage at the plan's eval temperature, then restores the sampling one.
fn with_eval_temperature<T>(
    lab: &mut Lab,
    plan: &RoundsPlan,
    stage: impl FnOnce(&mut Lab) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let sampling = lab.backend_config.temperature;
    if let Some(t) = plan.eval_temperature {
        lab.backend_config.temperature = t;
    }
    let result = stage(lab);
    lab.backend_config.temperature = sampling;
    result
}

/// Why the run must stop before the next stage, if it must.
fn stop_reason(plan: &RoundsPlan, started: Instant) -> Option<String> {
    if let Some(budget) = plan.time_budget
        && started.elapsed() >= budget
    {
        return Some(format!(
            "the time budget of {} s is spent",
            budget.as_secs_f64()
        ));
    }
    crate::stop::flag()
        .load(Ordering::SeqCst)
        .then(|| "interrupted (Ctrl-C)".to_string())
}

/// Test hook: abort (no clean-up, as kill -9) when `RSLM_TEST_ABORT_AT` names this stage.
fn abort_if_asked(round: u32, stage: Stage) {
    if let Ok(at) = std::env::var(ABORT_AT_VARIABLE)
        && at == format!("{round}:{}", stage.as_str())
    {
        eprintln!("{ABORT_AT_VARIABLE}={at}: aborting");
        std::process::abort();
    }
}

fn interrupted() -> StageResult {
    serde_json::json!({"interrupted": true})
}

/// Makes the managed server serve what `stage` asks for: the active adapter (the current
/// policy), and at the gate also the candidate. llama.cpp restarts only when one is missing.
fn serve_for(
    lab: &mut Lab,
    server: &mut ManagedServer,
    stage: Stage,
    candidate: &str,
) -> anyhow::Result<()> {
    let mut wanted = Vec::new();
    let active = lab.store.active_adapter()?;
    let candidate = match stage {
        Stage::Gate => lab.store.adapter_by_name(candidate)?,
        _ => None,
    };
    for adapter in active.iter().chain(candidate.iter()) {
        if crate::train::is_simulated(adapter) {
            continue;
        }
        let serving = adapter
            .manifest
            .as_ref()
            .map(|m| m["serving"].clone())
            .unwrap_or_default();
        let file = match server.config.kind {
            ServerKind::Vllm => serving["peft_dir"].as_str(),
            ServerKind::Llamacpp | ServerKind::Command => serving["gguf"].as_str(),
        };
        let Some(file) = file else {
            anyhow::bail!(
                "adapter {}'s manifest says no file to serve (serving.gguf / serving.peft_dir)",
                adapter.name
            );
        };
        wanted.push(ServedAdapter {
            name: adapter.name.clone(),
            path: PathBuf::from(file),
        });
    }
    if server.serve_adapters(&wanted)? {
        lab.backend = crate::backend::open(&lab.backend_config)?;
    }
    Ok(())
}

/// (a) and (b): generation with the current policy, verification and storage.
fn generate(lab: &mut Lab, plan: &RoundsPlan, round: u32) -> anyhow::Result<StageResult> {
    let iteration = IterationPlan {
        seed: plan.generation.seed + u64::from(round) - 1,
        // An iteration of this round interrupted earlier continues where it stopped.
        resume: true,
        ..plan.generation.clone()
    };
    let summary = crate::iterate::run(lab, &iteration)?;
    if summary.status != RunStatus::Completed {
        return Ok(interrupted());
    }
    Ok(serde_json::to_value(&summary)?)
}

/// The adapter name of a round: unique per run, valid as a folder and a server model name.
fn adapter_name(run_id: i64, round: u32) -> String {
    format!("run{run_id:03}-round{round:02}")
}

/// (d): an adapter trained on every verified episode so far.
fn train(
    lab: &mut Lab,
    plan: &RoundsPlan,
    context: &RunContext,
    round: u32,
) -> anyhow::Result<StageResult> {
    let name = adapter_name(context.run_id, round);
    let out = context.dir.join("adapters").join(&name);
    if let Some(adapter) = lab.store.adapter_by_name(&name)? {
        // Trained and registered by an attempt that was stopped before its step completed.
        return Ok(serde_json::json!({
            "adapter": adapter.name, "path": adapter.path, "recovered": true,
            "simulation": crate::train::is_simulated(&adapter),
        }));
    }
    if out.exists() {
        // Moved into place but never registered: an unfinished attempt's; train again.
        std::fs::remove_dir_all(&out)?;
    }
    let continue_from = match (plan.continue_adapter, lab.store.active_adapter()?) {
        (true, Some(active)) => Some(PathBuf::from(active.path)),
        _ => None,
    };
    let training = TrainPlan {
        out,
        name: Some(name.clone()),
        simulated: lab.backend.is_simulation(),
        continue_from: continue_from.clone(),
        dry_run: false,
        notes: format!("self-improve run {} round {round}", context.run_id),
        ..plan.training.clone()
    };
    let balance = crate::train::dataset::Balance {
        max_per_task: training.max_per_task as usize,
        max_per_family: training.max_per_family as usize,
        seed: training.seed,
    };
    let available = crate::train::dataset::build(&lab.store, &lab.split, balance)?;
    if available.examples.is_empty() {
        return Ok(serde_json::json!({"skipped": "no verified train-pool episodes yet"}));
    }
    match crate::train::lora::run(&lab.store, &lab.split, &lab.split_config, &training) {
        Ok(TrainOutcome::Registered {
            name,
            path,
            examples,
            manifest,
            ..
        }) => Ok(serde_json::json!({
            "adapter": name, "path": path, "examples": examples,
            "simulation": manifest["simulation"] == true,
            "trained_from": manifest["trained_from"],
            "training": manifest["training"],
        })),
        Ok(TrainOutcome::DryRun { .. }) => unreachable!("rounds never dry-run"),
        Err(e) if crate::stop::flag().load(Ordering::SeqCst) => {
            tracing::warn!("training stopped: {e:#}");
            Ok(interrupted())
        }
        Err(e) => Err(e),
    }
}

/// (e): the promotion gate on the held-out set and a check set the adapter never trained on.
fn gate(
    lab: &mut Lab,
    plan: &RoundsPlan,
    context: &RunContext,
    round: u32,
) -> anyhow::Result<StageResult> {
    let name = adapter_name(context.run_id, round);
    let output = context
        .dir
        .join(format!("round{round:02}"))
        .join("gate.json");
    if lab.store.active_adapter()?.map(|a| a.name) == Some(name.clone()) {
        // Promoted by an attempt that was stopped before its step completed.
        let recorded = std::fs::read_to_string(&output)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        return Ok(serde_json::json!({
            "candidate": name, "promoted": true, "active": name, "recovered": true,
            "reason": recorded.as_ref().map(|r| r["decision"]["reason"].clone()),
        }));
    }
    let gate_plan = GatePlan {
        name: name.clone(),
        output: Some(output.clone()),
        ..plan.gate.clone()
    };
    let outcome = match crate::gate::run(lab, &gate_plan) {
        Ok(outcome) => outcome,
        Err(_) if crate::stop::flag().load(Ordering::SeqCst) => return Ok(interrupted()),
        Err(e) => return Err(e),
    };
    let r = &outcome.record;
    let strip = |side: &serde_json::Value| {
        let mut side = side.clone();
        if let Some(map) = side.as_object_mut() {
            map.remove("per_task");
        }
        side
    };
    Ok(serde_json::json!({
        "candidate": name,
        "against": r["current"],
        "promoted": r["promoted"],
        "active": r["active"],
        "reason": outcome.decision.reason,
        "heldout": strip(&r["heldout"]),
        "check": strip(&r["check"]["figures"]),
        "results": output,
    }))
}

/// (f): the chosen conditions on the held-out split, with the policy the gate left active.
fn eval(
    lab: &mut Lab,
    plan: &RoundsPlan,
    context: &RunContext,
    round: u32,
) -> anyhow::Result<StageResult> {
    let output = context
        .dir
        .join(format!("round{round:02}"))
        .join("results.json");
    let eval_plan = EvalPlan {
        output: Some(output.clone()),
        ..plan.eval.clone()
    };
    let report = match crate::eval::run(lab, &eval_plan) {
        Ok(report) => report,
        Err(_) if crate::stop::flag().load(Ordering::SeqCst) => return Ok(interrupted()),
        Err(e) => return Err(e),
    };
    let active = lab.store.active_adapter()?.map(|a| a.name);
    Ok(serde_json::json!({
        "results": output,
        "active_adapter": active,
        "simulation": report.simulation,
        "tasks": report.conditions.first().and_then(|c| c.tasks),
        "conditions": report.conditions.iter().map(|c| serde_json::json!({
            "condition": c.condition,
            "pass_at_1": c.pass_at_1,
            "ci95": c.pass_at_1_ci.as_ref().map(|i| [i.low, i.high]),
            "vs_baseline_p": c.vs_baseline.as_ref().map(|v| v.p_value),
            "same_outcomes_as": c.same_outcomes_as,
        })).collect::<Vec<_>>(),
    }))
}
