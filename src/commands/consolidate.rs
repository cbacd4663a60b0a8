//! `rslm consolidate`: turn verified episodes into procedures and rules.

use std::collections::{HashMap, HashSet};

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs};
use crate::consolidate::model_rules::ModelContext;
use crate::consolidate::{Report, consolidate_offline, consolidate_with_model};
use crate::iterate::pipeline::PipelineShape;
use crate::store::Store;
use crate::store::runs::{NewRun, RunKind, RunStatus};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    /// Keep a rule or procedure only when it holds on at least this many verified tasks.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
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
    let report = execute(&args)?;
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

/// Consolidates and returns the report (also used by `self-improve`).
pub fn execute(args: &Args) -> anyhow::Result<Report> {
    let (source, split) = args.tasks.load_split()?;
    let backend = crate::backend::open(&args.backend)?;
    let verifier = crate::verify::Verifier::start(args.verify.config())?;
    let mut store = Store::open_existing(&args.db.db)?;
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Consolidate,
        backend: backend.name().into(),
        model: backend.model(),
        simulation: backend.is_simulation(),
        seed: 0,
        mode: None,
        prompt_version: None,
        tasks_source: Some(source.label()),
        config: serde_json::json!({"min_evidence": args.min_evidence, "tasks": source.label(), "heldout_size": args.tasks.heldout_size, "split_seed": args.tasks.split_seed}),
    })?;
    let tasks: HashMap<String, crate::tasks::Task> = split
        .train
        .iter()
        .chain(&split.heldout)
        .map(|t| (t.task_id.clone(), t.clone()))
        .collect();
    let heldout: HashSet<String> = split.heldout.iter().map(|t| t.task_id.clone()).collect();
    let result = if backend.is_simulation() {
        // The simulator cannot write insights; offline consolidation is derived from the code.
        consolidate_offline(
            &mut store,
            &tasks,
            &heldout,
            &verifier,
            args.min_evidence as usize,
            run_id,
        )
    } else {
        let ctx = ModelContext {
            backend: backend.as_ref(),
            judge: &verifier,
            shape: PipelineShape {
                generators: args.backend.concurrency as usize,
                verifiers: verifier.workers(),
            },
            temperature: args.backend.temperature,
            max_tokens: args.backend.max_tokens,
            seed: 0,
            cancel: crate::iterate::cancel_flag(),
        };
        consolidate_with_model(
            &mut store,
            &tasks,
            &heldout,
            &ctx,
            args.min_evidence as usize,
            run_id,
        )
    };
    match &result {
        Ok(report) => {
            store.finish_run(run_id, RunStatus::Completed, &serde_json::to_value(report)?)?
        }
        Err(_) => store.finish_run(run_id, RunStatus::Failed, &serde_json::json!({}))?,
    }
    result
}
