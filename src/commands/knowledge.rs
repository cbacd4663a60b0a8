//! `rslm rules ...` and `rslm procedures ...`: inspect, retire and restore consolidated knowledge.

use crate::cli::DbArg;
use crate::store::Store;
use crate::store::knowledge::{KnowledgeItem, KnowledgeKind};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// List items (active ones unless --all).
    List {
        #[command(flatten)]
        db: DbArg,
        /// Include retired items.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one item with its provenance and history.
    Show {
        id: i64,
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        json: bool,
    },
    /// Stop using an item (it stays stored).
    Retire {
        id: i64,
        #[command(flatten)]
        db: DbArg,
        /// Why, recorded with the change.
        #[arg(long, default_value = "retired by user")]
        reason: String,
    },
    /// Use a retired item again.
    Restore {
        id: i64,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "restored by user")]
        reason: String,
    },
}

pub fn run(kind: KnowledgeKind, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::List { db, all, json } => {
            let store = Store::open_read_only(&db.db)?;
            let items = store.list_knowledge(kind, all)?;
            if json {
                println!("{}", serde_json::to_string(&items)?);
            } else if items.is_empty() {
                println!(
                    "no {}s{}",
                    kind.as_str(),
                    if all { "" } else { " (active)" }
                );
            } else {
                for item in &items {
                    println!(
                        "{:>4}  {:<7}  evidence {:>3}  {:<7}  {}",
                        item.id,
                        item.status,
                        item.evidence_count,
                        item.origin,
                        one_line(&item.title)
                    );
                }
            }
        }
        Action::Show { id, db, json } => {
            let store = Store::open_read_only(&db.db)?;
            let Some(item) = store.knowledge_item(kind, id)? else {
                anyhow::bail!("no {} with id {id} in {}", kind.as_str(), db.db.display());
            };
            if json {
                println!("{}", serde_json::to_string(&item)?);
            } else {
                print_item(&item);
            }
        }
        Action::Retire { id, db, reason } => {
            let mut store = Store::open_existing(&db.db)?;
            store.set_knowledge_status(kind, id, false, &reason)?;
            println!("retired {} {id}", kind.as_str());
        }
        Action::Restore { id, db, reason } => {
            let mut store = Store::open_existing(&db.db)?;
            store.set_knowledge_status(kind, id, true, &reason)?;
            println!("restored {} {id}", kind.as_str());
        }
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 100 {
        format!("{}...", line.chars().take(97).collect::<String>())
    } else {
        line
    }
}

fn print_item(item: &KnowledgeItem) {
    println!(
        "{} {} ({}, origin {}, evidence {} tasks)",
        item.kind.as_str(),
        item.id,
        item.status,
        item.origin,
        item.evidence_count
    );
    println!(
        "created {}, last verified {}",
        item.created_at, item.last_verified_at
    );
    println!("\n{}", item.title);
    if !item.body.is_empty() {
        println!("\n{}", item.body);
    }
    println!("\nprovenance ({} episodes):", item.sources.len());
    for (episode, task) in &item.sources {
        println!("  episode {episode}  task {task}");
    }
    println!("\nhistory:");
    for (at, action, reason) in &item.events {
        println!("  {at}  {action}  {reason}");
    }
}
