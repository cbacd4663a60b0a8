//! `rslm promote-adapter`: the promotion gate. A candidate adapter is compared with what is
//! active now (another adapter, or the base model) task by task on the held-out set and on a
//! check set of train-pool tasks the candidate never trained on; `train::promotion::decide`
//! rules, and only a "promote" changes the registry (one activation whose reason carries the
//! figures). A refusal, like an error, changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs};
use crate::eval::conditions::{Condition, ConditionRun};
use crate::eval::report::TaskOutcome;
use crate::iterate::cancel_flag;
use crate::iterate::pipeline::{CachedJudge, PipelineShape};
use crate::store::Store;
use crate::store::adapters::Adapter;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::tasks::Task;
use crate::train::promotion::{self, Paired};
use crate::usage;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    /// The candidate adapter (as registered by train-lora).
    #[arg(long)]
    pub name: String,
    /// Significance level of the exact McNemar test on the held-out set.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// At most this many check-set tasks (a seeded sample of the train-pool tasks the candidate
    /// did not train on; default: all of them).
    #[arg(long)]
    pub check_limit: Option<usize>,
    /// Compare on the first N held-out tasks only.
    #[arg(long)]
    pub heldout_limit: Option<usize>,
    /// Sampling seed, the same for both sides.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the result JSON here.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print the result JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        usage!("--alpha must be in (0, 1), e.g. 0.05");
    }
    if args.check_limit == Some(0) {
        usage!("--check-limit 0 leaves no check set; the gate needs one");
    }
    if args.heldout_limit == Some(0) {
        usage!("--heldout-limit 0 selects no held-out tasks");
    }
    if args.backend.backend == crate::cli::BackendKind::Mock {
        usage!(
            "promote-adapter compares adapters served by a model server: use --backend openai (the mock has no weights to adapt)"
        );
    }
    let mut store = Store::open_existing(&args.db.db)?;
    let candidate = super::adapters::find(&store, &args.name)?;
    let current = store.active_adapter()?;
    if current.as_ref().map(|a| a.id) == Some(candidate.id) {
        usage!(
            "adapter {} is already active; nothing to promote",
            candidate.name
        );
    }
    let trained = training_tasks(&candidate)?;
    let (source, split) = args.tasks.load_split()?;
    if split.heldout.is_empty() {
        usage!("--heldout-size 0 leaves no held-out set to compare on");
    }
    let heldout: Vec<Task> = split
        .heldout
        .iter()
        .take(args.heldout_limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let check = check_set(
        &split.train,
        &trained,
        args.tasks.split_seed,
        args.check_limit,
    );
    let excluded = split
        .train
        .iter()
        .filter(|t| trained.contains(&t.task_id))
        .count();

    // How to ask the server for each side; a server missing one of them is an error here,
    // before anything runs.
    let backend = crate::backend::open(&args.backend)?;
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

    let verifier = crate::verify::Verifier::start(args.verify.config())?;
    let judge = CachedJudge::new(&verifier);
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Eval,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: false,
        seed: args.seed,
        mode: Some("promotion".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(source.label()),
        config: serde_json::json!({
            "candidate": candidate.name, "current": current.as_ref().map(|a| &a.name),
            "alpha": args.alpha, "heldout_tasks": heldout.len(), "check_tasks": check.len(),
            "check_limit": args.check_limit, "heldout_size": args.tasks.heldout_size,
            "split_seed": args.tasks.split_seed, "seed": args.seed,
            "temperature": args.backend.temperature, "max_tokens": args.backend.max_tokens,
        }),
    })?;

    let heldout_ids: HashSet<String> = split.heldout.iter().map(|t| t.task_id.clone()).collect();
    let compare = |tasks: &[Task], what: &str| -> anyhow::Result<Side> {
        if tasks.is_empty() {
            return Ok(Side::default());
        }
        let runner = ConditionRun {
            store: &store,
            backend: backend.as_ref(),
            judge: &judge,
            shape: PipelineShape {
                generators: args.backend.concurrency as usize,
                verifiers: verifier.workers(),
            },
            tasks,
            heldout_ids: &heldout_ids,
            strategy: crate::memory::Strategy::Bm25,
            n: 1,
            temperature: args.backend.temperature,
            max_tokens: args.backend.max_tokens,
            seed: args.seed,
            cancel: cancel_flag(),
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
    let decision = promotion::decide(&heldout_side.pairs(), &check_side.pairs(), args.alpha);

    let figures = format!(
        "held-out {}/{} -> {}/{} ({} won, {} lost, exact McNemar p = {}), check set {}/{} -> {}/{}",
        heldout_side.current_passed(),
        heldout_side.tasks.len(),
        heldout_side.candidate_passed(),
        heldout_side.tasks.len(),
        decision.heldout_wins,
        decision.heldout_losses,
        promotion::show_p(decision.p_value),
        check_side.current_passed(),
        check_side.tasks.len(),
        check_side.candidate_passed(),
        check_side.tasks.len(),
    );
    if decision.promote {
        store.activate_adapter(
            Some(candidate.id),
            &format!(
                "promote-adapter: {} over {current_label}: {figures} (alpha {})",
                candidate.name, args.alpha
            ),
        )?;
    }
    let result = serde_json::json!({
        "candidate": candidate.name,
        "current": current.as_ref().map(|a| &a.name),
        "promoted": decision.promote,
        "active": if decision.promote { Some(&candidate.name) } else { current.as_ref().map(|a| &a.name) },
        "decision": decision,
        "alpha": args.alpha,
        "heldout": heldout_side.summary(),
        "check": {
            "selection": "train-pool tasks absent from the candidate's train.jsonl, in a seeded order",
            "trained_tasks_excluded": excluded,
            "limit": args.check_limit,
            "figures": check_side.summary(),
        },
        "requests": {"current": current_ref, "candidate": candidate_ref},
        "run_id": run_id,
        "tasks_source": source.label(),
        "temperature": args.backend.temperature,
        "seed": args.seed,
    });
    store.finish_run(
        run_id,
        RunStatus::Completed,
        &serde_json::json!({"promoted": decision.promote, "reason": decision.reason}),
    )?;
    if let Some(out) = &args.output {
        super::eval::write_json(out, &result)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "promotion gate: candidate {} against {current_label}",
        candidate.name
    );
    for (label, side) in [
        ("held-out set", &heldout_side),
        ("check set   ", &check_side),
    ] {
        println!(
            "  {label} ({:>3} tasks): current {:>3} passed, candidate {:>3} passed ({} won, {} lost)",
            side.tasks.len(),
            side.current_passed(),
            side.candidate_passed(),
            side.won(),
            side.lost()
        );
    }
    if decision.promote {
        println!(
            "promoted: {} is now the active adapter ({})",
            candidate.name, decision.reason
        );
    } else {
        println!(
            "refused: {} was not promoted: {}; the registry is unchanged (active: {})",
            candidate.name,
            decision.reason,
            current
                .as_ref()
                .map_or("none, the base model", |a| a.name.as_str())
        );
    }
    if let Some(out) = &args.output {
        println!("results: {}", out.display());
    }
    Ok(())
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

/// Train-pool tasks the candidate did not train on, in an order of their own (a hash with a
/// different salt than the split's), so a limited check set is a sample of them, not the
/// first ones an iteration with `--task-order split` attempted.
fn check_set(
    train: &[Task],
    trained: &HashSet<String>,
    split_seed: u64,
    limit: Option<usize>,
) -> Vec<Task> {
    use sha2::{Digest as _, Sha256};
    let mut tasks: Vec<(Vec<u8>, Task)> = train
        .iter()
        .filter(|t| !trained.contains(&t.task_id))
        .map(|t| {
            let key = Sha256::digest(format!("check:{split_seed}:{}", t.task_id)).to_vec();
            (key, t.clone())
        })
        .collect();
    tasks.sort_by(|a, b| a.0.cmp(&b.0));
    tasks
        .into_iter()
        .map(|(_, t)| t)
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// Per-task outcomes of both sides on one task set.
#[derive(Debug, Default)]
struct Side {
    /// (task id, current passed, candidate passed), in task order.
    tasks: Vec<(String, bool, bool)>,
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

    fn current_passed(&self) -> usize {
        self.tasks.iter().filter(|t| t.1).count()
    }

    fn candidate_passed(&self) -> usize {
        self.tasks.iter().filter(|t| t.2).count()
    }

    fn won(&self) -> usize {
        self.tasks.iter().filter(|t| t.2 && !t.1).count()
    }

    fn lost(&self) -> usize {
        self.tasks.iter().filter(|t| t.1 && !t.2).count()
    }

    fn summary(&self) -> serde_json::Value {
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
