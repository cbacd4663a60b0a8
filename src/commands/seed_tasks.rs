//! `rslm seed-tasks`: validate a task set (the bundled one by default, or `--tasks`), or
//! regenerate one with `--regen`.
//!
//! In the original, `--regen` without `--out` rewrote the bundled file that `--tasks bundled`
//! then read. rslm compiles the bundled set in, so writing a file there would change nothing a
//! command reads: `--regen` without `--out` regenerates in memory and checks that the result is
//! the bundled set, byte for byte (what the original's user gets: that set in use), and a
//! `--count` other than the bundled one's is refused with how to write and use such a set.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::tasks::Task;
use crate::tasks::generate::{GenerateError, generate};
use crate::tasks::loader::{BUNDLED_JSONL, TaskSource};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Regenerate the task set from the families instead of validating it.
    #[arg(long)]
    pub regen: bool,
    /// Number of tasks to generate (at least 120).
    #[arg(long, default_value_t = 200, requires = "regen")]
    pub count: usize,
    /// Where --regen writes the set. Without it, --regen writes nothing: the bundled set is
    /// compiled into rslm, and the regenerated set is checked to be identical to it. (Without
    /// --regen: a file to validate, like --tasks.)
    #[arg(long, conflicts_with = "tasks")]
    pub out: Option<PathBuf>,
    /// Task set to validate: `bundled` (compiled in) or a path to a JSONL file.
    #[arg(long, conflicts_with = "regen")]
    pub tasks: Option<String>,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.regen {
        let source = match (&args.tasks, &args.out) {
            (Some(tasks), _) => TaskSource::parse(tasks),
            (None, Some(path)) => TaskSource::File(path.clone()),
            (None, None) => TaskSource::Bundled,
        };
        let tasks = source.load()?;
        report(
            &summarize(&tasks, &source.label(), None),
            "valid",
            args.json,
        );
        return Ok(());
    }
    if let Some(out) = &args.out {
        crate::output::check_target("--out", out, None)?;
    }
    let started = Instant::now();
    // Too few or too many for the families: a usage error either way, naming the range.
    let tasks =
        generate(args.count).map_err(|e: GenerateError| crate::error::UsageError(e.to_string()))?;
    let bundled = TaskSource::Bundled.load()?;
    if args.out.is_none() && args.count != bundled.len() {
        crate::usage!(
            "--regen --count {} without --out: the bundled set ({} tasks) is compiled into rslm \
             and is what --tasks bundled reads; write a set of {} tasks with --out FILE and use \
             it with --tasks FILE",
            args.count,
            bundled.len(),
            args.count
        );
    }
    let mut text = String::new();
    for task in &tasks {
        text.push_str(&serde_json::to_string(task)?);
        text.push('\n');
    }
    let seconds = Some(started.elapsed().as_secs_f64());
    let Some(out) = &args.out else {
        if text != BUNDLED_JSONL {
            anyhow::bail!(
                "the regenerated {} tasks differ from the bundled set compiled into this rslm \
                 (tasks/bundled_tasks.jsonl); regenerate that file with --out \
                 tasks/bundled_tasks.jsonl and rebuild",
                tasks.len()
            );
        }
        let origin = "bundled (compiled into rslm; no file written)";
        report(
            &summarize(&tasks, origin, seconds),
            "regenerated, identical to the bundled set",
            args.json,
        );
        return Ok(());
    };
    crate::output::write_atomic(out, text.as_bytes())?;
    report(
        &summarize(&tasks, &out.display().to_string(), seconds),
        "wrote",
        args.json,
    );
    Ok(())
}

fn summarize(tasks: &[Task], origin: &str, seconds: Option<f64>) -> serde_json::Value {
    let mut families: BTreeMap<String, usize> = BTreeMap::new();
    let mut difficulty: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks {
        *families
            .entry(t.family.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += 1;
        *difficulty
            .entry(
                t.difficulty
                    .map(|d| d.as_str().to_string())
                    .unwrap_or_else(|| "(none)".into()),
            )
            .or_default() += 1;
    }
    let largest = families
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(f, n)| (f.clone(), *n));
    serde_json::json!({
        "tasks": origin,
        "count": tasks.len(),
        "families": families.len(),
        "largest_family": largest.as_ref().map(|(f, n)| serde_json::json!({"family": f, "count": n})),
        "with_assert_tests": tasks.iter().filter(|t| !t.assert_tests.is_empty()).count(),
        "difficulty": difficulty,
        "seconds": seconds,
    })
}

fn report(summary: &serde_json::Value, verb: &str, json: bool) {
    if json {
        println!("{summary}");
        return;
    }
    println!(
        "{verb}: {} tasks in {} ({} families, largest {} with {}; difficulty {}; {} with assert_tests){}",
        summary["count"],
        summary["tasks"].as_str().unwrap_or_default(),
        summary["families"],
        summary["largest_family"]["family"].as_str().unwrap_or("-"),
        summary["largest_family"]["count"],
        summary["difficulty"]
            .as_object()
            .map(|m| m
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
        summary["with_assert_tests"],
        summary["seconds"]
            .as_f64()
            .map(|s| format!(" in {s:.2} s"))
            .unwrap_or_default(),
    );
}
