//! `rslm consolidate`: turn verified episodes into procedures and rules.

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::consolidate::ConsolidationPlan;
use crate::lab::{Lab, StoreAccess};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// Keep a rule or procedure only when it holds on at least this many verified tasks.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_evidence: u32,
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
    };
    let report = crate::consolidate::run(&mut Lab::open(config)?, &plan)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "consolidated {} episodes in {} groups: procedures {} new, {} reinforced, {} rejected by verification; rules {} new, {} reinforced, {} rejected",
            report.episodes,
            report.groups,
            report.procedures_created,
            report.procedures_reinforced,
            report.procedures_rejected,
            report.rules_created,
            report.rules_reinforced,
            report.rules_rejected
        );
    }
    Ok(())
}
