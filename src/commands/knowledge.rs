//! `rslm rules ...` and `rslm procedures ...`: inspect consolidated knowledge with its measured
//! effect, and maintain it by hand with the operations consolidation uses (retire, restore,
//! merge, up- and down-vote; rules can also be edited).

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
    /// Merge an item into another: its provenance moves over and it is retired.
    Merge {
        id: i64,
        /// The item that stays.
        #[arg(long)]
        into: i64,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "merged by user")]
        reason: String,
    },
    /// Rewrite a rule's text (rules only); its evidence and history stay.
    Edit {
        id: i64,
        /// The new text.
        #[arg(long)]
        text: String,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "edited by user")]
        reason: String,
    },
    /// Count a vote for an item.
    Upvote {
        id: i64,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "upvoted by user")]
        reason: String,
    },
    /// Count a vote against an item.
    Downvote {
        id: i64,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "downvoted by user")]
        reason: String,
    },
}

pub fn run(kind: KnowledgeKind, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::List { db, all, json } => list(kind, &db, all, json),
        Action::Show { id, db, json } => show(kind, id, &db, json),
        action => maintain(kind, action),
    }
}

fn list(kind: KnowledgeKind, db: &DbArg, all: bool, json: bool) -> anyhow::Result<()> {
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
                "{:>4}  {:<7}  evidence {:>3}  {:<22}  {:<7}  {}",
                item.id,
                item.status,
                item.evidence_count,
                effect_text(item),
                item.origin,
                one_line(&item.title)
            );
        }
    }
    Ok(())
}

fn show(kind: KnowledgeKind, id: i64, db: &DbArg, json: bool) -> anyhow::Result<()> {
    let store = Store::open_read_only(&db.db)?;
    let Some(item) = store.knowledge_item(kind, id)? else {
        anyhow::bail!("no {} with id {id} in {}", kind.as_str(), db.db.display());
    };
    if json {
        println!("{}", serde_json::to_string(&item)?);
    } else {
        print_item(&item);
    }
    Ok(())
}

/// The operations that change an item, each recorded with its reason.
fn maintain(kind: KnowledgeKind, action: Action) -> anyhow::Result<()> {
    let name = kind.as_str();
    let done = match action {
        Action::List { .. } | Action::Show { .. } => unreachable!("handled by run"),
        Action::Retire { id, db, reason } => {
            Store::open_existing(&db.db)?.set_knowledge_status(kind, id, false, &reason)?;
            format!("retired {name} {id}")
        }
        Action::Restore { id, db, reason } => {
            Store::open_existing(&db.db)?.set_knowledge_status(kind, id, true, &reason)?;
            format!("restored {name} {id}")
        }
        Action::Merge {
            id,
            into,
            db,
            reason,
        } => {
            Store::open_existing(&db.db)?.merge_knowledge(kind, id, into, &reason)?;
            format!("merged {name} {id} into {into}")
        }
        Action::Edit {
            id,
            text,
            db,
            reason,
        } => {
            if kind != KnowledgeKind::Rule {
                crate::usage!("only rules can be edited; a procedure is verified code");
            }
            if text.split_whitespace().count() < 3 {
                crate::usage!("--text: a rule needs at least three words");
            }
            Store::open_existing(&db.db)?.edit_rule(id, &text, &reason)?;
            format!("edited rule {id}")
        }
        Action::Upvote { id, db, reason } => {
            Store::open_existing(&db.db)?.vote_knowledge(kind, id, true, &reason)?;
            format!("upvoted {name} {id}")
        }
        Action::Downvote { id, db, reason } => {
            Store::open_existing(&db.db)?.vote_knowledge(kind, id, false, &reason)?;
            format!("downvoted {name} {id}")
        }
    };
    println!("{done}");
    Ok(())
}

/// The measured effect as a list shows it: the paired difference in pass rate and its n.
fn effect_text(item: &KnowledgeItem) -> String {
    match item.effect {
        Some(e) => format!("effect {:+.3} (n={})", e.delta(), e.n),
        None => "effect unmeasured".into(),
    }
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
        "created {}, last verified {}; {}, {} votes{}",
        item.created_at,
        item.last_verified_at,
        effect_text(item),
        item.votes,
        item.effect.map_or(String::new(), |e| format!(
            " ({} passes with it, {} without)",
            e.with, e.without
        ))
    );
    if let Some(scope) = &item.scope {
        println!("about tasks like: {scope}");
    }
    println!("\n{}", item.title);
    if !item.body.is_empty() {
        println!("\n{}", item.body);
    }
    println!("\nprovenance ({} episodes):", item.sources.len());
    for (episode, task) in &item.sources {
        println!("  episode {episode}  task {task}");
    }
    if !item.failed_attempts.is_empty() {
        let ids: Vec<String> = item.failed_attempts.iter().map(i64::to_string).collect();
        println!("contrasted with failed attempts: {}", ids.join(", "));
    }
    println!("\nhistory:");
    for (at, action, reason) in &item.events {
        println!("  {at}  {action}  {reason}");
    }
}
