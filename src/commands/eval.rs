//! `rslm eval`: the conditions on the held-out set, with intervals and paired tests.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::{BackendArgs, DbArg, VerifyArgs};
use crate::eval::conditions::{Condition, ConditionRun, memory_precision};
use crate::eval::report::{
    ConditionResult, EvalReport, MemoryPrecisionDetail, TaskOutcome, render_table,
};
use crate::iterate::cancel_flag;
use crate::iterate::pipeline::PipelineShape;
use crate::memory::Strategy;
use crate::store::Store;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::usage;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// `all` or a comma list of baseline, memory, semantic, learning, memory_learning.
    #[arg(long, default_value = "all")]
    pub conditions: String,
    /// k of pass@k.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,
    /// Samples per task (n >= k; default k).
    #[arg(long)]
    pub n: Option<u32>,
    /// Task set: `bundled` or a JSONL path.
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    /// Number of held-out tasks (the split of run-iteration).
    #[arg(long, default_value_t = 40)]
    pub heldout_size: usize,
    #[arg(long, default_value_t = crate::tasks::split::DEFAULT_SPLIT_SEED)]
    pub split_seed: u64,
    /// Evaluate only the first N held-out tasks.
    #[arg(long)]
    pub task_limit: Option<usize>,
    /// Retrieval strategy for the memory conditions.
    #[arg(long, value_enum, default_value = "bm25")]
    pub retrieval: Strategy,
    /// Sampling seed, the same for every condition.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the results JSON here.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Skip re-verifying the stored episodes (memory_precision).
    #[arg(long)]
    pub skip_precision: bool,
    /// Print the results JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let report = execute(&args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_table(&report));
        if let Some(check) = &report.regression_check {
            for c in check["comparisons"].as_array().into_iter().flatten() {
                println!(
                    "regression check, adapter {}: {} {} -> {} {}: {} tasks won, {} lost (exact McNemar {})",
                    check["adapter"].as_str().unwrap_or("?"),
                    c["base_model"].as_str().unwrap_or("?"),
                    c["pass_at_1_base_model"],
                    c["adapter"].as_str().unwrap_or("?"),
                    c["pass_at_1_adapter"],
                    c["tasks_won"],
                    c["tasks_lost"],
                    crate::eval::report::p_clause(c["p_value"].as_f64().unwrap_or(1.0)),
                );
            }
        }
        if let Some(out) = &args.output {
            println!("results: {}", out.display());
        }
    }
    Ok(())
}

/// Runs the eval, stores it and writes the results JSON (also used by `self-improve`).
pub fn execute(args: &Args) -> anyhow::Result<EvalReport> {
    let n = args.n.unwrap_or(args.k);
    if n < args.k {
        usage!(
            "--n {n} is smaller than --k {}: pass@k needs at least k samples per task",
            args.k
        );
    }
    if args.task_limit == Some(0) {
        usage!("--task-limit 0 selects no tasks");
    }
    let simulation = args.backend.backend == crate::cli::BackendKind::Mock;
    let conditions =
        Condition::parse_list(&args.conditions, simulation).map_err(crate::error::UsageError)?;
    let task_args = crate::cli::TaskSetArgs {
        tasks: args.tasks.clone(),
        heldout_size: args.heldout_size,
        split_seed: args.split_seed,
    };
    let (source, split) = task_args.load_split()?;
    if split.heldout.is_empty() {
        usage!("--heldout-size 0 leaves nothing to evaluate");
    }
    let tasks: Vec<_> = split
        .heldout
        .iter()
        .take(args.task_limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let backend = crate::backend::open(&args.backend)?;
    let verifier = crate::verify::Verifier::start(args.verify.config())?;
    let store = Store::open_or_create(&args.db.db)?.0;

    // Only an eval that runs an adapter condition needs the server to serve the active adapter.
    let adapter = if conditions.iter().any(|c| c.uses_adapter()) {
        crate::train::active_adapter_ref(&store, backend.as_ref())?
    } else {
        None
    };
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Eval,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: backend.is_simulation(),
        seed: args.seed,
        mode: Some("heldout".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(source.label()),
        config: serde_json::json!({
            "conditions": conditions.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "k": args.k, "n": n, "heldout_size": args.heldout_size, "split_seed": args.split_seed,
            "task_limit": args.task_limit, "retrieval": args.retrieval, "seed": args.seed,
            "temperature": args.backend.temperature, "max_tokens": args.backend.max_tokens,
            "verify_mode": verifier.mode(), "adapter": adapter.as_ref().map(|a| &a.name),
        }),
    })?;
    // Conditions often produce the same answer: verify each distinct one once per eval.
    let judge = crate::iterate::pipeline::CachedJudge::new(&verifier);
    let heldout_ids: HashSet<String> = split.heldout.iter().map(|t| t.task_id.clone()).collect();
    let runner = ConditionRun {
        store: &store,
        backend: backend.as_ref(),
        judge: &judge,
        shape: PipelineShape {
            generators: if simulation {
                2
            } else {
                args.backend.concurrency as usize
            },
            verifiers: verifier.workers(),
        },
        tasks: &tasks,
        heldout_ids: &heldout_ids,
        strategy: args.retrieval,
        n: n as usize,
        temperature: args.backend.temperature,
        max_tokens: args.backend.max_tokens,
        seed: args.seed,
        cancel: cancel_flag(),
    };
    let mut report = EvalReport::new(backend.name(), backend.model(), backend.is_simulation());
    let adapter_ref = adapter.as_ref().map(|a| a.reference.clone());
    let outcome = (|| -> anyhow::Result<()> {
        // A condition that sends exactly the requests of an earlier one (same memory, same
        // adapter) is not generated again: its outcomes are that condition's, marked as such.
        let mut generated: Vec<(_, Condition, Vec<TaskOutcome>)> = Vec::new();
        for &condition in &conditions {
            let mut notes = notes_for(
                condition,
                simulation,
                adapter.as_ref().map(|a| a.name.as_str()),
            );
            let key = condition.request_key(simulation, adapter_ref.as_ref());
            let same = generated.iter().find(|(k, _, _)| *k == key);
            let (outcomes, same_as) = match same {
                Some((_, earlier, outcomes)) => {
                    notes.push_str(&format!(
                        "; same requests as {}: its outcomes, reported again, not generated twice",
                        earlier.as_str()
                    ));
                    (outcomes.clone(), Some(earlier.as_str().to_string()))
                }
                None => {
                    let outcomes = runner.run(condition, adapter_ref.clone())?;
                    generated.push((key, condition, outcomes.clone()));
                    (outcomes, None)
                }
            };
            let mut result = ConditionResult::from_outcomes(
                condition.as_str(),
                notes,
                outcomes,
                args.k as usize,
                args.seed,
            )?;
            result.same_outcomes_as = same_as;
            report.conditions.push(result);
        }
        report.compare_with_baseline()?;
        if let Some(a) = &adapter {
            report.regression_check = regression_check(&report, &a.name)?;
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        store.finish_run(run_id, RunStatus::Failed, &serde_json::json!({}))?;
        return Err(e);
    }
    if !args.skip_precision {
        let all: HashMap<String, crate::tasks::Task> = split
            .train
            .iter()
            .chain(&split.heldout)
            .map(|t| (t.task_id.clone(), t.clone()))
            .collect();
        let (checked, still) = memory_precision(&store, &all, &verifier, verifier.workers())?;
        report.memory_precision = Some(if checked == 0 {
            1.0
        } else {
            still as f64 / checked as f64
        });
        report.memory_precision_detail = Some(MemoryPrecisionDetail {
            checked,
            still_passing: still,
        });
    }
    report.run_id = Some(run_id);
    report.seed = Some(args.seed);
    report.k = Some(args.k as usize);
    report.n = Some(n as usize);
    report.heldout_size = Some(args.heldout_size);
    report.split_seed = Some(args.split_seed);
    report.tasks_source = Some(source.label());
    report.task_count = Some(tasks.len());
    report.created_at = Some(store.conn().query_row(
        "SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now')",
        [],
        |r| r.get(0),
    )?);
    if simulation {
        report.notes.push("SIMULATION: the mock backend is a simulated weak model; its memory gain measures retrieval quality, not a real model's learning.".into());
    }
    report
        .notes
        .push(format!("verifier: {}", verifier.isolation()));
    let payload = serde_json::to_value(&report)?;
    store.insert_eval_run(
        run_id,
        args.heldout_size,
        args.k as usize,
        backend.name(),
        &payload,
    )?;
    store.finish_run(
        run_id,
        RunStatus::Completed,
        &serde_json::json!({"conditions": report.conditions.len(), "tasks": tasks.len()}),
    )?;
    if let Some(out) = &args.output {
        write_json(out, &payload)?;
    }
    Ok(report)
}

/// Base model against the active adapter, task by task: `learning` against `baseline` and
/// `memory_learning` against `memory` (the same prompts, only the weights differ), with the
/// tasks the adapter lost. `None` when the eval ran neither pair.
fn regression_check(
    report: &EvalReport,
    adapter: &str,
) -> anyhow::Result<Option<serde_json::Value>> {
    let find = |name: &str| report.conditions.iter().find(|c| c.condition == name);
    let mut comparisons = Vec::new();
    for (without, with) in [("baseline", "learning"), ("memory", "memory_learning")] {
        let (Some(base), Some(tuned)) = (find(without), find(with)) else {
            continue;
        };
        let paired = crate::eval::report::PairedComparison::between(base, tuned)?;
        let solved = |c: &ConditionResult| -> HashSet<String> {
            c.per_task
                .iter()
                .filter(|t| t.solved())
                .map(|t| t.task_id.clone())
                .collect()
        };
        let (b, t) = (solved(base), solved(tuned));
        let mut lost: Vec<&String> = b.difference(&t).collect();
        let mut won: Vec<&String> = t.difference(&b).collect();
        lost.sort();
        won.sort();
        comparisons.push(serde_json::json!({
            "base_model": without, "adapter": with,
            "pass_at_1_base_model": base.pass_at_1, "pass_at_1_adapter": tuned.pass_at_1,
            "tasks_won": paired.only_condition, "tasks_lost": paired.only_baseline,
            "p_value": paired.p_value, "won": won, "lost": lost,
            "regression": paired.only_baseline > paired.only_condition,
        }));
    }
    if comparisons.is_empty() {
        return Ok(None);
    }
    let regression = comparisons.iter().any(|c| c["regression"] == true);
    Ok(Some(serde_json::json!({
        "adapter": adapter,
        "comparisons": comparisons,
        "regression": regression,
    })))
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

/// Writes through a temporary file so a failed write never leaves half a results file.
pub fn write_json(out: &std::path::Path, payload: &serde_json::Value) -> anyhow::Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    serde_json::to_writer_pretty(tmp.as_file_mut(), payload)?;
    tmp.persist(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}
