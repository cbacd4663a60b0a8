//! `rslm init-db`: create or upgrade the store. Idempotent.

use crate::cli::DbArg;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (store, outcome) = Store::open_or_create(&args.db.db)?;
    store.check_integrity()?;
    let state = if outcome.created {
        "created"
    } else if outcome.from_version < outcome.to_version {
        "upgraded"
    } else {
        "up to date"
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "db": args.db.db.display().to_string(),
                "state": state,
                "from_version": outcome.from_version,
                "schema_version": outcome.to_version,
            })
        );
    } else {
        println!(
            "{state}: {} (schema version {})",
            args.db.db.display(),
            outcome.to_version
        );
    }
    Ok(())
}
