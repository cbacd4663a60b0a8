//! `rslm self-improve`: N cycles of run-iteration, consolidate and eval in one process, each
//! cycle's results stored and summarised.

use std::path::PathBuf;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs};
use crate::commands::{consolidate, eval, run_iteration};
use crate::iterate::{Mode, TaskOrder};
use crate::memory::Strategy;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Number of cycles.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub cycles: u32,
    /// Candidates per train-pool task in each iteration.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,
    /// Train-pool tasks per iteration (unsolved ones first).
    #[arg(long, default_value_t = 30)]
    pub task_limit: usize,
    /// Iterate without memory in the prompt (memory is on by default here).
    #[arg(long)]
    pub no_memory: bool,
    /// Evidence a rule or procedure needs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_evidence: u32,
    /// Conditions of each cycle's eval.
    #[arg(long, default_value = "all")]
    pub conditions: String,
    /// k of each cycle's eval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub eval_k: u32,
    /// Samples per task in each cycle's eval (default eval-k).
    #[arg(long)]
    pub eval_n: Option<u32>,
    /// Held-out tasks per eval (default: all of --heldout-size).
    #[arg(long)]
    pub eval_task_limit: Option<usize>,
    #[arg(long, value_enum, default_value = "bm25")]
    pub retrieval: Strategy,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for each cycle's results JSON (results_cycleNNN.json).
    #[arg(long, default_value = "artifacts")]
    pub output_dir: PathBuf,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.task_limit == 0 {
        crate::usage!("--task-limit 0 selects no tasks");
    }
    let mut cycles = Vec::new();
    for cycle in 1..=args.cycles {
        let iteration = run_iteration::execute(&run_iteration::Args {
            db: args.db.clone(),
            tasks: args.tasks.clone(),
            k: args.k,
            mode: Mode::Trainpool,
            backend: args.backend.clone(),
            verify: args.verify.clone(),
            memory_enabled: !args.no_memory,
            no_memory: args.no_memory,
            task_limit: Some(args.task_limit),
            task_order: TaskOrder::Unsolved,
            retrieval: args.retrieval,
            seed: args.seed + u64::from(cycle) - 1,
            resume: false,
            json: false,
        })?;
        if iteration.status != "completed" {
            anyhow::bail!(
                "cycle {cycle}: iteration run {} was interrupted",
                iteration.run_id
            );
        }
        let consolidation = consolidate::execute(&consolidate::Args {
            db: args.db.clone(),
            min_evidence: args.min_evidence,
            tasks: args.tasks.clone(),
            backend: args.backend.clone(),
            verify: args.verify.clone(),
            json: false,
        })?;
        let output = args
            .output_dir
            .join(format!("results_cycle{cycle:03}.json"));
        let report = eval::execute(&eval::Args {
            db: args.db.clone(),
            backend: args.backend.clone(),
            verify: args.verify.clone(),
            conditions: args.conditions.clone(),
            k: args.eval_k,
            n: args.eval_n,
            tasks: args.tasks.tasks.clone(),
            heldout_size: args.tasks.heldout_size,
            split_seed: args.tasks.split_seed,
            task_limit: args.eval_task_limit,
            retrieval: args.retrieval,
            seed: args.seed,
            output: Some(output.clone()),
            skip_precision: false,
            json: false,
        })?;
        let rates: Vec<String> = report
            .conditions
            .iter()
            .map(|c| format!("{} {:.2}", c.condition, c.pass_at_1))
            .collect();
        if !args.json {
            println!(
                "cycle {cycle}: {} of {} tasks solved, memory {} episodes, +{} procedures, +{} rules; pass@1 {}  ({})",
                iteration.tasks_solved,
                iteration.tasks,
                iteration.memory_episodes,
                consolidation.procedures_created,
                consolidation.rules_created,
                rates.join(", "),
                output.display()
            );
        }
        cycles.push(serde_json::json!({
            "cycle": cycle,
            "iteration": iteration,
            "consolidation": consolidation,
            "results": output.display().to_string(),
            "pass_at_1": report.conditions.iter().map(|c| (c.condition.clone(), serde_json::json!(c.pass_at_1))).collect::<serde_json::Map<_, _>>(),
        }));
    }
    if args.json {
        println!("{}", serde_json::json!({ "cycles": cycles }));
    }
    Ok(())
}
