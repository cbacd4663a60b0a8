//! `rslm eval`: the conditions on the held-out set, with intervals and paired tests.

use std::path::PathBuf;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, TimeBudgetArg, VerifyArgs, lab_config};
use crate::eval::conditions::Condition;
use crate::eval::report::render_table;
use crate::eval::{EvalPlan, EvalSplit};
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
    /// `all` (baseline, memory, semantic, memory_learning with the mock backend; baseline,
    /// memory, learning, memory_learning with openai) or a comma list of baseline, memory,
    /// semantic, learning, memory_learning and the controls few_shot (the same verified examples
    /// of other families for every task) and random_memory (random verified episodes of other
    /// families); `all` has no control.
    #[arg(long, default_value = "all")]
    pub conditions: String,
    /// k of pass@k.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,
    /// Samples per task (n >= k; default k).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub n: Option<u32>,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    /// The split to evaluate on: `test` (the held-out split; final numbers) or `dev` (the dev
    /// split of --dev-size; for choosing prompts and settings).
    #[arg(long, value_enum, default_value = "test")]
    pub eval_split: EvalSplitArg,
    /// The condition whose comparison with baseline is the primary one (tested unadjusted; the
    /// others are Holm-adjusted). Default: memory when it runs, else the first other condition.
    #[arg(long)]
    pub primary: Option<String>,
    /// Evaluate only the first N held-out tasks.
    #[arg(long)]
    pub task_limit: Option<usize>,
    /// Retrieval strategy for the memory conditions.
    #[arg(long, value_enum, default_value = "bm25")]
    pub retrieval: Strategy,
    /// Sampling seed, the same for every condition.
    #[arg(long, default_value_t = 0, conflicts_with = "seeds")]
    pub seed: u64,
    /// Replicate: run every condition once per seed (comma list, e.g. 1,2,3); pass@1 pools the
    /// samples, and the spread over seeds is reported per condition.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub seeds: Vec<u64>,
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
    #[command(flatten)]
    pub budget: TimeBudgetArg,
    /// Print the results JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// `--eval-split`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalSplitArg {
    Test,
    Dev,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = lab_config(
        &args.db,
        &args.tasks,
        &args.backend,
        &args.verify,
        // An eval reads memory: a mistyped --db must not become an empty store to evaluate.
        StoreAccess::Existing,
    );
    let simulation = config.backend.is_simulation();
    let primary = match &args.primary {
        Some(name) => Some(Condition::parse(name.trim()).ok_or_else(|| {
            crate::error::UsageError(format!("--primary {name:?} is not a condition"))
        })?),
        None => None,
    };
    let plan = EvalPlan {
        conditions: Condition::parse_list(&args.conditions, simulation)
            .map_err(crate::error::UsageError)?,
        k: args.k,
        n: args.n.unwrap_or(args.k),
        task_limit: args.task_limit,
        retrieval: args.retrieval,
        seed: args.seeds.first().copied().unwrap_or(args.seed),
        seeds: args.seeds.clone(),
        eval_split: match args.eval_split {
            EvalSplitArg::Test => EvalSplit::Test,
            EvalSplitArg::Dev => EvalSplit::Dev,
        },
        primary,
        skip_precision: args.skip_precision,
        output: args.output.clone(),
        time_budget: args.budget.duration(),
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
