//! `rslm wipe-memory`: the original's command for starting memory afresh. It deletes the
//! verified episodes, failures, procedures and rules, as the original did (no prompt, so the
//! original's scripts keep working), refuses a missing store or one with a run in progress, and
//! says exactly what it deleted and what it kept.

use crate::cli::DbArg;
use crate::store::Store;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // A mistyped --db must not become a new, empty store that was "wiped".
    let mut store = Store::open_existing(&args.db.db)?;
    let wiped = store.wipe_memory()?;
    if args.json {
        println!("{}", serde_json::to_string(&wiped)?);
        return Ok(());
    }
    println!(
        "wiped memory in {}: deleted {} episodes, {} failures, {} procedures, {} rules; kept {} \
         runs, {} eval results, {} adapters (training data comes from episodes: none left)",
        args.db.db.display(),
        wiped.episodes,
        wiped.failures,
        wiped.procedures,
        wiped.rules,
        wiped.kept_runs,
        wiped.kept_eval_runs,
        wiped.kept_adapters
    );
    Ok(())
}
