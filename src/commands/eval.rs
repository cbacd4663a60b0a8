//! `rslm eval`: the conditions on the held-out set, with intervals and paired tests.

use std::path::PathBuf;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::eval::EvalPlan;
use crate::eval::conditions::Condition;
use crate::eval::report::render_table;
use crate::lab::{Lab, StoreAccess};
use crate::memory::Strategy;

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
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
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
    /// Also write each condition's samples (code, verdict, raw reply, retrieved memory) beside
    /// the --output file, as `NAME.samples.CONDITION.jsonl` (re-score with `verify --samples`).
    #[arg(long)]
    pub log_samples: bool,
    /// Skip re-verifying the stored episodes (memory_precision).
    #[arg(long)]
    pub skip_precision: bool,
    /// Print the results JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let tasks = TaskSetArgs {
        tasks: args.tasks.clone(),
        heldout_size: args.heldout_size,
        split_seed: args.split_seed,
    };
    let config = lab_config(
        &args.db,
        &tasks,
        &args.backend,
        &args.verify,
        // An eval reads memory: a mistyped --db must not become an empty store to evaluate.
        StoreAccess::Existing,
    );
    let simulation = config.backend.is_simulation();
    let plan = EvalPlan {
        conditions: Condition::parse_list(&args.conditions, simulation)
            .map_err(crate::error::UsageError)?,
        k: args.k,
        n: args.n.unwrap_or(args.k),
        task_limit: args.task_limit,
        retrieval: args.retrieval,
        seed: args.seed,
        skip_precision: args.skip_precision,
        output: args.output.clone(),
        log_samples: args.log_samples,
    };
    plan.validate()?;
    if let Some(out) = &plan.output {
        crate::output::check_target("--output", out, Some(&config.db))?;
        if plan.log_samples {
            for condition in &plan.conditions {
                let path = crate::eval::samples::log_path(out, condition.as_str());
                crate::output::check_target("--log-samples", &path, Some(&config.db))?;
            }
        }
    }
    let report = crate::eval::run(&mut Lab::open(config)?, &plan)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print!("{}", render_table(&report));
    for line in report.regression_lines() {
        println!("{line}");
    }
    if let Some(out) = &args.output {
        println!("results: {}", out.display());
        if args.log_samples {
            for c in &report.conditions {
                let path = crate::eval::samples::log_path(out, &c.condition);
                println!("samples: {}", path.display());
            }
        }
    }
    Ok(())
}
