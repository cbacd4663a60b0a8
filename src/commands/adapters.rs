//! `rslm list-adapters`, `set-active-adapter` and `rollback-adapter`: the adapter registry.
//! An unknown name is an error that changes nothing; every change of the active adapter is
//! recorded in `adapter_activations` with its time and reason.
//!
//! `rollback-adapter --name X` keeps the original's meaning: it takes X out of service. The
//! original set X inactive; rslm, which keeps the activation history, returns to the adapter
//! that was active before X (or to the base model). When X is not the active adapter nothing
//! changes, as in the original, and the output says so. To switch to X, use
//! `set-active-adapter --name X`.
//!
//! The listing is aligned with `format!` widths rather than a table crate (comfy-table, tabled):
//! one header and one row format, which a crate would not shorten.

use crate::cli::DbArg;
use crate::store::Store;
use crate::store::adapters::{Adapter, Change, ROLLBACK_REASON_PREFIX};

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Also show the activation history.
    #[arg(long)]
    pub history: bool,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
#[group(id = "target", required = true, args = ["name", "none"])]
pub struct SetActiveArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The adapter to activate.
    #[arg(long)]
    pub name: Option<String>,
    /// Deactivate every adapter: the base model alone.
    #[arg(long)]
    pub none: bool,
    /// Why, recorded in the activation history.
    #[arg(long, default_value = "manual")]
    pub reason: String,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Roll back from this adapter, as in the original: if it is the active one, the adapter
    /// active before it (or none) becomes active again; if it is not active, nothing changes.
    #[arg(long)]
    pub name: Option<String>,
    /// Why, recorded in the activation history.
    #[arg(long, default_value = "manual")]
    pub reason: String,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

fn summary(adapter: &Adapter) -> serde_json::Value {
    let manifest = adapter.manifest.clone().unwrap_or_default();
    serde_json::json!({
        "id": adapter.id,
        "name": adapter.name,
        "active": adapter.active,
        "path": adapter.path,
        "created_at": adapter.created_at,
        "base_model": adapter.base_model,
        "notes": adapter.notes,
        "examples": manifest["data"]["examples"],
        "epoch_losses": manifest["training"]["epoch_losses"],
        "serving": manifest["serving"],
    })
}

pub fn list(args: ListArgs) -> anyhow::Result<()> {
    // A listing reads: it works on a store in a read-only place and changes no file.
    let store = Store::open_read_only(&args.db.db)?;
    let adapters = store.adapters()?;
    let history = if args.history {
        store.activations()?
    } else {
        Vec::new()
    };
    if args.json {
        let mut out = serde_json::json!({
            "adapters": adapters.iter().map(summary).collect::<Vec<_>>(),
            "active": adapters.iter().find(|a| a.active).map(|a| &a.name),
        });
        if args.history {
            out["history"] = serde_json::to_value(&history)?;
        }
        println!("{out}");
        return Ok(());
    }
    if adapters.is_empty() {
        println!("no adapters registered (train one with `rslm train-lora`)");
    } else {
        println!(
            "{:<2} {:<24} {:<25} {:>8} {:>16}  path",
            "", "name", "created", "examples", "loss first->last"
        );
        for a in &adapters {
            let s = summary(a);
            let losses = s["epoch_losses"].as_array().cloned().unwrap_or_default();
            let loss = match (losses.first(), losses.last()) {
                (Some(f), Some(l)) => format!("{f} -> {l}"),
                _ => "-".into(),
            };
            println!(
                "{:<2} {:<24} {:<25} {:>8} {:>16}  {}",
                if a.active { "*" } else { "" },
                a.name,
                a.created_at,
                s["examples"].as_u64().map_or("-".into(), |n| n.to_string()),
                loss,
                a.path
            );
        }
    }
    if args.history {
        println!("\nactivation history:");
        for h in &history {
            println!(
                "  {}  {} -> {}  ({})",
                h.activated_at,
                h.previous.as_deref().unwrap_or("(none)"),
                h.adapter.as_deref().unwrap_or("(none)"),
                h.reason
            );
        }
    }
    Ok(())
}

fn report(change: &Change, verb: &str, json: bool) {
    let name = |a: &Option<Adapter>| a.as_ref().map(|a| a.name.clone());
    if json {
        println!(
            "{}",
            serde_json::json!({"active": name(&change.current), "previous": name(&change.previous)})
        );
    } else {
        println!(
            "{verb}: active adapter {} (was {})",
            name(&change.current).unwrap_or_else(|| "(none: base model)".into()),
            name(&change.previous).unwrap_or_else(|| "(none)".into())
        );
    }
}

pub fn set_active(args: SetActiveArgs) -> anyhow::Result<()> {
    let mut store = Store::open_existing(&args.db.db)?;
    let target = match &args.name {
        Some(name) => Some(crate::train::registered(&store, name)?),
        None => None,
    };
    let current = store.active_adapter()?;
    if current.as_ref().map(|a| a.id) == target.as_ref().map(|a| a.id) {
        let change = Change {
            previous: current.clone(),
            current,
        };
        report(&change, "unchanged", args.json);
        return Ok(());
    }
    let change = store.activate_adapter(
        target.map(|a| a.id),
        &format!("set-active-adapter: {}", args.reason),
    )?;
    report(&change, "activated", args.json);
    Ok(())
}

pub fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let mut store = Store::open_existing(&args.db.db)?;
    let mut reason = format!("{ROLLBACK_REASON_PREFIX} {}", args.reason);
    if let Some(name) = &args.name {
        let current = store.active_adapter()?;
        // An adapter whose files are gone can still be taken out of service.
        if current.as_ref().map(|a| a.name.as_str()) != Some(name.as_str()) {
            if store.adapter_by_name(name)?.is_none() {
                // The usage error that lists the registered names.
                crate::train::registered(&store, name)?;
            }
            let change = Change {
                previous: current.clone(),
                current,
            };
            report(
                &change,
                &format!("unchanged ({name} is not active)"),
                args.json,
            );
            return Ok(());
        }
        reason = format!("{ROLLBACK_REASON_PREFIX} from {name}: {}", args.reason);
    }
    let target = store.rollback_target()?;
    let change = store.activate_adapter(target.map(|a| a.id), &reason)?;
    report(&change, "rolled back", args.json);
    Ok(())
}
