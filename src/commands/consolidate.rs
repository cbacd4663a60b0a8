//! `rslm consolidate`: turn what the loop stored into procedures and rules that help.

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::consolidate::{ConsolidationPlan, Report};
use crate::lab::StoreAccess;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// Keep a rule or procedure only when it holds on at least this many verified tasks.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_evidence: u32,
    /// Process every stored attempt again, not only those stored since the last consolidation
    /// with the same settings.
    #[arg(long)]
    pub full: bool,
    /// The task set the episodes came from (their hidden tests verify procedures).
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Print a machine-readable report.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = lab_config(
        &args.db,
        &args.tasks,
        &args.backend,
        &args.verify,
        StoreAccess::Existing,
    );
    let plan = ConsolidationPlan {
        min_evidence: args.min_evidence,
        full: args.full,
    };
    let report = crate::consolidate::open_and_run(config, &plan)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", summary(&report));
    }
    Ok(())
}

fn summary(r: &Report) -> String {
    if r.nothing_new {
        return "nothing new since the last consolidation with these settings: processed nothing (--full processes everything again)".into();
    }
    format!(
        "consolidated {} tasks with new attempts ({} kinds, {} episodes, {} new contrasts, {} with a known slip): procedures {} new, {} reinforced, {} rejected by verification, {} retired (no positive effect); rules {} new, {} reinforced, {} rejected, {} retired; {} items measured on dev slices of the train pool",
        r.tasks_processed,
        r.groups,
        r.episodes,
        r.contrasts,
        r.contrasts_classified,
        r.procedures_created,
        r.procedures_reinforced,
        r.procedures_rejected,
        r.procedures_retired,
        r.rules_created,
        r.rules_reinforced,
        r.rules_rejected,
        r.rules_retired,
        r.measured
    )
}
