//! `rslm run-iteration`: one pass of the loop over train-pool (or held-out) tasks.

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, TimeBudgetArg, VerifyArgs, lab_config};
use crate::iterate::{IterationPlan, IterationSummary, Mode, TaskOrder};
use crate::lab::{Lab, StoreAccess};
use crate::memory::Strategy;
use crate::store::runs::RunStatus;

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
    #[command(flatten)]
    pub budget: TimeBudgetArg,
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
    let plan = IterationPlan {
        k: args.k,
        mode: args.mode,
        memory: args.memory_enabled,
        task_limit: args.task_limit,
        task_order: args.task_order,
        retrieval: args.retrieval,
        seed: args.seed,
        resume: args.resume,
        time_budget: args.budget.duration(),
        with_active_adapter: false,
    };
    plan.validate()?;
    let summary = crate::iterate::run(&mut Lab::open(config)?, &plan)?;
    print_summary(&summary, args.json);
    if summary.status != RunStatus::Completed {
        anyhow::bail!(
            "run {} interrupted after {} of the selected tasks; rerun the same command with --resume to continue",
            summary.run_id,
            summary.tasks
        );
    }
    Ok(())
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
