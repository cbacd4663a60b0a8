//! `rslm run-iteration`: one pass of the loop over train-pool (or held-out) tasks.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs};
use crate::iterate::pipeline::{self, Counters, PipelineShape, Stop};
use crate::iterate::progress::Progress;
use crate::iterate::{MemoryUse, Mode, TaskOrder, cancel_flag, prepare_jobs, select_tasks};
use crate::memory::Strategy;
use crate::prompt::PROMPT_VERSION;
use crate::store::Store;
use crate::store::episodes::Pool;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::usage;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    /// Candidates per task.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,
    /// Which side of the split to work on; held-out runs never write anything retrievable.
    #[arg(long, value_enum, default_value = "trainpool")]
    pub mode: Mode,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Put retrieved memory (verified episodes, procedures, rules) into the prompt.
    #[arg(long = "memory-enabled", overrides_with = "no_memory")]
    pub memory_enabled: bool,
    /// Prompt without memory (the default).
    #[arg(long = "no-memory", overrides_with = "memory_enabled")]
    pub no_memory: bool,
    /// At most this many tasks. By default the tasks memory has not solved yet come first (then
    /// the least attempted, then split order), so repeated iterations move on; see --task-order.
    #[arg(long)]
    pub task_limit: Option<usize>,
    /// How --task-limit picks tasks.
    #[arg(long, value_enum, default_value = "unsolved")]
    pub task_order: TaskOrder,
    /// Retrieval strategy for memory.
    #[arg(long, value_enum, default_value = "bm25")]
    pub retrieval: Strategy,
    /// Sampling seed (candidate i of a task uses seed + i where the backend honours seeds).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Continue the newest interrupted run with the same settings, skipping its finished tasks.
    #[arg(long)]
    pub resume: bool,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
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
    pub status: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let summary = execute(&args)?;
    print_summary(&summary, args.json);
    if summary.status != "completed" {
        anyhow::bail!(
            "run {} interrupted after {} of the selected tasks; rerun the same command with --resume to continue",
            summary.run_id,
            summary.tasks
        );
    }
    Ok(())
}

/// Runs an iteration and returns its summary (also used by `self-improve`).
pub fn execute(args: &Args) -> anyhow::Result<IterationSummary> {
    if args.task_limit == Some(0) {
        usage!("--task-limit 0 selects no tasks");
    }
    let (source, split) = args.tasks.load_split()?;
    let pool = match args.mode {
        Mode::Trainpool => &split.train,
        Mode::Heldout => &split.heldout,
    };
    if pool.is_empty() {
        usage!(
            "the {} side of the split is empty (--heldout-size {} of {} tasks)",
            args.mode.as_str(),
            args.tasks.heldout_size,
            split.train.len() + split.heldout.len()
        );
    }
    let backend = crate::backend::open(&args.backend)?;
    let verifier = crate::verify::Verifier::start(args.verify.config())?;
    let (mut store, _) = Store::open_or_create(&args.db.db)?;

    let memory = if args.memory_enabled {
        MemoryUse {
            episodes: true,
            knowledge: true,
        }
    } else {
        MemoryUse::NONE
    };
    let config = serde_json::json!({
        "tasks": source.label(),
        "heldout_size": args.tasks.heldout_size,
        "split_seed": args.tasks.split_seed,
        "k": args.k,
        "mode": args.mode,
        "backend": args.backend.backend,
        "model": backend.model(),
        "temperature": args.backend.temperature,
        "max_tokens": args.backend.max_tokens,
        "memory_enabled": args.memory_enabled,
        "retrieval": args.retrieval,
        "task_limit": args.task_limit,
        "task_order": args.task_order,
        "seed": args.seed,
        "verify_mode": verifier.mode(),
        "prompt_version": PROMPT_VERSION,
    });
    let resumed = if args.resume {
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
            let tasks = select_tasks(&store, pool, args.task_limit, args.task_order)?;
            let run_id = store.start_run(&NewRun {
                kind: RunKind::Iteration,
                backend: backend.name().into(),
                model: backend.model(),
                simulation: backend.is_simulation(),
                seed: args.seed,
                mode: Some(args.mode.as_str().into()),
                prompt_version: Some(PROMPT_VERSION.into()),
                tasks_source: Some(source.label()),
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
    let heldout_ids: HashSet<String> = split.heldout.iter().map(|t| t.task_id.clone()).collect();
    let jobs = prepare_jobs(
        &store,
        &selected,
        &heldout_ids,
        memory,
        args.retrieval,
        args.k as usize,
        args.backend.temperature,
        args.backend.max_tokens,
        args.seed,
        None,
    )?;
    let task_count = selected.len();
    selected.clear();

    let judge = crate::iterate::pipeline::CachedJudge::new(&verifier);
    let cancel = cancel_flag();
    let counters = Counters::default();
    let progress = Progress::new(task_count, "iteration");
    let started = Instant::now();
    let pool_kind = if args.mode == Mode::Trainpool {
        Pool::Train
    } else {
        Pool::Heldout
    };
    let condition = if args.memory_enabled {
        "memory"
    } else {
        "baseline"
    };
    let mut new_episodes = 0;
    let mut solved = 0;
    let shape = PipelineShape {
        generators: backend_concurrency(&args.backend),
        verifiers: verifier.workers(),
    };
    let stop = pipeline::run(
        jobs,
        backend.as_ref(),
        &judge,
        shape,
        cancel,
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
        mode: args.mode,
        tasks: counters.tasks_done.load(Ordering::Relaxed) as usize,
        candidates,
        passed_candidates: counters.passed.load(Ordering::Relaxed),
        tasks_solved: solved,
        new_episodes,
        memory_episodes: store.table_count("episodes")?,
        seconds,
        candidates_per_second: candidates as f64 / seconds.max(1e-9),
        completion_tokens: counters.completion_tokens.load(Ordering::Relaxed),
        isolation: verifier.isolation().to_string(),
        status: status.as_str().into(),
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

fn backend_concurrency(args: &BackendArgs) -> usize {
    match args.backend {
        // The simulator answers instantly: two generator threads keep the verifiers fed.
        crate::cli::BackendKind::Mock => 2,
        crate::cli::BackendKind::Openai => args.concurrency as usize,
    }
}

fn print_summary(s: &IterationSummary, json: bool) {
    if json {
        println!("{}", serde_json::to_string(s).expect("summary serializes"));
        return;
    }
    let sim = if s.simulation {
        " [SIMULATION: mock backend]"
    } else {
        ""
    };
    println!(
        "iteration run {} ({} {}, {}){sim}: {} tasks, {} of {} candidates passed, {} tasks solved, {} new episodes (memory: {}); {:.2} s, {:.0} candidates/s",
        s.run_id,
        s.backend,
        s.model,
        s.mode.as_str(),
        s.tasks,
        s.passed_candidates,
        s.candidates,
        s.tasks_solved,
        s.new_episodes,
        s.memory_episodes,
        s.seconds,
        s.candidates_per_second
    );
}
