//! `rslm promote-adapter`: the promotion gate (`gate`): a candidate adapter is activated
//! only if it beats the active one (or the base model) on the held-out set without regressing
//! on a check set of tasks it did not train on.

use std::path::PathBuf;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::gate::GatePlan;
use crate::lab::{Lab, StoreAccess};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    /// The candidate adapter (as registered by train-lora).
    #[arg(long)]
    pub name: String,
    /// Significance level of the exact McNemar test on the held-out set.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// At most this many check-set tasks (a seeded sample of the train-pool tasks the candidate
    /// did not train on; default: all of them).
    #[arg(long)]
    pub check_limit: Option<usize>,
    /// Compare on the first N held-out tasks only.
    #[arg(long)]
    pub heldout_limit: Option<usize>,
    /// Sampling seed, the same for both sides.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the result JSON here.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print the result JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = GatePlan {
        name: args.name.clone(),
        alpha: args.alpha,
        check_limit: args.check_limit,
        heldout_limit: args.heldout_limit,
        seed: args.seed,
        output: args.output.clone(),
    };
    plan.validate()?;
    if let Some(out) = &plan.output {
        crate::output::check_target("--output", out, Some(&args.db.db))?;
    }
    let config = lab_config(
        &args.db,
        &args.tasks,
        &args.backend,
        &args.verify,
        StoreAccess::Existing,
    );
    let outcome = crate::gate::run(&mut Lab::open(config)?, &plan)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.record)?);
        return Ok(());
    }
    let (candidate, decision) = (&outcome.candidate, &outcome.decision);
    if outcome.record["simulation"] == true {
        println!(
            "SIMULATION (mock backend): a simulated adapter; these numbers exercise the gate, they measure no model"
        );
    }
    println!(
        "promotion gate: candidate {} against {}",
        candidate.name, outcome.current_label
    );
    for (label, side) in [
        ("held-out set", &outcome.heldout),
        ("check set   ", &outcome.check),
    ] {
        println!(
            "  {label} ({:>3} tasks): current {:>3} passed, candidate {:>3} passed ({} won, {} lost)",
            side.tasks.len(),
            side.current_passed(),
            side.candidate_passed(),
            side.won(),
            side.lost()
        );
    }
    if decision.promote {
        println!(
            "promoted: {} is now the active adapter ({})",
            candidate.name, decision.reason
        );
    } else {
        println!(
            "refused: {} was not promoted: {}; the registry is unchanged (active: {})",
            candidate.name,
            decision.reason,
            outcome
                .current
                .as_ref()
                .map_or("none, the base model", |a| a.name.as_str())
        );
    }
    if let Some(out) = &args.output {
        println!("results: {}", out.display());
    }
    Ok(())
}
