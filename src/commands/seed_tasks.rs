//! `rslm seed-tasks`: validate the bundled task set, or regenerate a task set with `--regen`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::tasks::Task;
use crate::tasks::generate::{GenerateError, generate};
use crate::tasks::loader::TaskSource;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Regenerate the task set from the families instead of validating it.
    #[arg(long)]
    pub regen: bool,
    /// Number of tasks to generate (at least 120).
    #[arg(long, default_value_t = 200, requires = "regen")]
    pub count: usize,
    /// Where to write (with --regen) or what to validate (without). Default: the bundled set.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

const BUNDLED_PATH: &str = "tasks/bundled_tasks.jsonl";

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.regen {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(BUNDLED_PATH));
        crate::output::check_target("--out", &out, None)?;
        let started = Instant::now();
        // Too few or too many for the families: a usage error either way, naming the range.
        let tasks = generate(args.count)
            .map_err(|e: GenerateError| crate::error::UsageError(e.to_string()))?;
        let mut text = String::new();
        for task in &tasks {
            text.push_str(&serde_json::to_string(task)?);
            text.push('\n');
        }
        crate::output::write_atomic(&out, text.as_bytes())?;
        let summary = summarize(
            &tasks,
            &out.display().to_string(),
            Some(started.elapsed().as_secs_f64()),
        );
        report(&summary, args.json);
    } else {
        let source = match &args.out {
            Some(path) => TaskSource::File(path.clone()),
            None => TaskSource::Bundled,
        };
        let tasks = source.load()?;
        let summary = summarize(&tasks, &source.label(), None);
        report(&summary, args.json);
    }
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

fn report(summary: &serde_json::Value, json: bool) {
    if json {
        println!("{summary}");
        return;
    }
    let verb = if summary["seconds"].is_null() {
        "valid"
    } else {
        "wrote"
    };
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
