//! `rslm self-improve`: N cycles of run-iteration, consolidate and eval over one lab.

use std::path::PathBuf;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::consolidate::ConsolidationPlan;
use crate::eval::EvalPlan;
use crate::eval::conditions::Condition;
use crate::iterate::{IterationPlan, Mode, TaskOrder};
use crate::lab::{Lab, StoreAccess};
use crate::memory::Strategy;
use crate::self_improve::{CycleSummary, SelfImprovePlan};

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
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_evidence: u32,
    /// Conditions of each cycle's eval.
    #[arg(long, default_value = "all")]
    pub conditions: String,
    /// k of each cycle's eval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub eval_k: u32,
    /// Samples per task in each cycle's eval (default eval-k).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
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
    let config = lab_config(
        &args.db,
        &args.tasks,
        &args.backend,
        &args.verify,
        StoreAccess::CreateIfMissing,
    );
    let plan = SelfImprovePlan {
        cycles: args.cycles,
        iteration: IterationPlan {
            k: args.k,
            mode: Mode::Trainpool,
            memory: !args.no_memory,
            task_limit: Some(args.task_limit),
            task_order: TaskOrder::Unsolved,
            retrieval: args.retrieval,
            seed: args.seed,
            resume: false,
            time_budget: None,
        },
        consolidation: ConsolidationPlan {
            min_evidence: args.min_evidence,
            full: false,
        },
        eval: EvalPlan {
            conditions: Condition::parse_list(&args.conditions, config.backend.is_simulation())
                .map_err(crate::error::UsageError)?,
            k: args.eval_k,
            n: args.eval_n.unwrap_or(args.eval_k),
            task_limit: args.eval_task_limit,
            retrieval: args.retrieval,
            seed: args.seed,
            seeds: Vec::new(),
            eval_split: crate::eval::EvalSplit::Test,
            primary: None,
            skip_precision: false,
            output: None,
            time_budget: None,
            log_samples: false,
        },
        output_dir: args.output_dir.clone(),
    };
    plan.validate()?;
    if plan.output_dir.exists() && !plan.output_dir.is_dir() {
        crate::usage!(
            "--output-dir {}: that is a file, not a folder; nothing was written",
            plan.output_dir.display()
        );
    }
    for cycle in 1..=plan.cycles {
        let out = plan
            .output_dir
            .join(format!("results_cycle{cycle:03}.json"));
        crate::output::check_target("--output-dir", &out, Some(&config.db))?;
    }
    let json = args.json;
    let cycles = crate::self_improve::run(&mut Lab::open(config)?, &plan, |c| {
        if !json {
            print_cycle(c);
        }
    })?;
    if json {
        println!("{}", serde_json::json!({ "cycles": cycles }));
    }
    Ok(())
}

fn print_cycle(c: &CycleSummary) {
    let rates: Vec<String> = c
        .pass_at_1
        .iter()
        .map(|(condition, rate)| format!("{condition} {:.2}", rate.as_f64().unwrap_or(0.0)))
        .collect();
    println!(
        "cycle {}: {} of {} tasks solved, memory {} episodes, +{} procedures, +{} rules; pass@1 {}  ({})",
        c.cycle,
        c.iteration.tasks_solved,
        c.iteration.tasks,
        c.iteration.memory_episodes,
        c.consolidation.procedures_created,
        c.consolidation.rules_created,
        rates.join(", "),
        c.results
    );
}
