//! `rslm verify`: one candidate against one task (prints the verdict), or a batch of samples
//! (per-sample results JSONL and the unbiased pass@k per task set).

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::tasks::Task;
use crate::tasks::loader::TaskSource;
use crate::verify::samples::{self, Summary};
use crate::verify::{Mode, VerdictKind, Verifier, VerifierConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Task set: `bundled` or a path to a task JSONL.
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    /// The task to verify one candidate against.
    #[arg(long, conflicts_with = "samples", required_unless_present = "samples")]
    pub task_id: Option<String>,
    /// The candidate's code (default: read from stdin).
    #[arg(long, conflicts_with = "samples")]
    pub code_file: Option<PathBuf>,
    /// Batch mode: a JSONL of samples, `{"task_id", "solution"}` (whole code) or
    /// `{"task_id", "completion"}` (appended to the prompt for HumanEval tasks), several per task.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// Batch mode: write one result per sample to this JSONL.
    #[arg(long, requires = "samples")]
    pub out: Option<PathBuf>,
    /// Batch mode: clean each sample first as evalplus's sanitizer does (code out of fences and
    /// prose; keep the imports and the definitions the entry point needs; drop test code).
    #[arg(long, requires = "samples")]
    pub sanitize: bool,
    /// Batch mode: the k of pass@k, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub k: Vec<usize>,
    /// Fast mode: assert_tests (or plain test functions) with the light harness, no pytest.
    #[arg(long, env = "RSLM_FAST_VERIFY", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub fast: bool,
    /// Print the full record (single) or summary (batch) as JSON.
    #[arg(long)]
    pub json: bool,
    /// CPU seconds a candidate may use (default: 0.2 fast, 5 pytest; the wall clock allows 4x,
    /// at least 1 s more).
    #[arg(long, value_parser = crate::cli::positive_seconds)]
    pub timeout: Option<f64>,
    /// Warm workers (0 = one per core).
    #[arg(long, default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=crate::cli::MAX_VERIFY_WORKERS))]
    pub workers: u32,
    /// Address-space limit per candidate, MiB.
    #[arg(long, default_value_t = crate::verify::config::DEFAULT_MEMORY_LIMIT_MB,
          value_parser = clap::value_parser!(u64).range(64..=65_536))]
    pub memory_mb: u64,
    /// Start a fresh interpreter per candidate instead of forking warm workers.
    #[arg(long)]
    pub spawn_per_candidate: bool,
    /// Python interpreter (default: python3 on PATH). When pytest mode finds no pytest in it, the
    /// project environment .rslm/venv is used (or created with scripts/python_env.sh).
    #[arg(long, env = "RSLM_PYTHON")]
    pub python: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = config(&args)?;
    if args.samples.is_none() && args.k != [1] {
        crate::usage!("--k applies to batch mode (--samples)");
    }
    if let Some(out) = &args.out {
        crate::output::check_target("--out", out, None)?;
    }
    let tasks = TaskSource::parse(&args.tasks).load()?;
    let verifier = Verifier::start(config)?;
    eprintln!("{}", verifier.isolation());
    eprintln!(
        "python: {} ({} mode, {:?} of CPU per candidate, {:?} of wall clock)",
        verifier.python().display(),
        verifier.mode().as_str(),
        verifier.timeout(),
        crate::verify::wall_limit(verifier.timeout())
    );
    match &args.samples {
        Some(path) => {
            let summary = samples::score(
                path,
                &tasks,
                &verifier,
                args.out.as_deref(),
                &args.k,
                args.sanitize
                    .then_some(crate::backend::sanitize::sanitize as samples::Cleaner),
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print_summary(&summary);
            }
            Ok(())
        }
        None => single(&args, &tasks, &verifier),
    }
}

fn config(args: &Args) -> anyhow::Result<VerifierConfig> {
    let mode = if args.fast { Mode::Fast } else { Mode::Pytest };
    let mut config = VerifierConfig::new(mode);
    if let Some(seconds) = args.timeout {
        config.timeout = Duration::from_secs_f64(seconds);
    }
    if args.k.contains(&0) {
        crate::usage!("--k values must be at least 1");
    }
    config.workers = args.workers as usize;
    config.memory_limit_mb = args.memory_mb;
    config.spawn_per_candidate = args.spawn_per_candidate;
    config.python = args.python.clone();
    config.project_env = true;
    Ok(config)
}

fn single(args: &Args, tasks: &[Task], verifier: &Verifier) -> anyhow::Result<()> {
    let task_id = args.task_id.as_deref().unwrap_or_default();
    let Some(task) = tasks.iter().find(|t| t.task_id == task_id) else {
        crate::usage!("no task {task_id:?} in {}", args.tasks);
    };
    let code = match &args.code_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            let mut code = String::new();
            std::io::stdin()
                .read_to_string(&mut code)
                .context("cannot read the candidate from stdin")?;
            code
        }
    };
    let verdict = verifier.verify(task, &code);
    if args.json {
        let mut record = serde_json::to_value(&verdict)?;
        record["task_id"] = task.task_id.clone().into();
        record["mode"] = verifier.mode().as_str().into();
        record["isolation"] = verifier.isolation().to_string().into();
        println!("{record}");
    } else {
        println!(
            "{}: {}/{} tests passed in {:.1} ms",
            verdict.verdict, verdict.tests_passed, verdict.tests_run, verdict.duration_ms
        );
        if let Some(first) = &verdict.first_failure {
            println!("first failure: {first}");
        }
        if !verdict.log.is_empty() {
            println!("{}", verdict.log);
        }
    }
    if verdict.verdict == VerdictKind::Infra {
        bail!(
            "the verifier could not judge the candidate: {}",
            verdict.log
        );
    }
    Ok(())
}

fn print_summary(summary: &Summary) {
    let verdicts: Vec<String> = summary
        .verdicts
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    println!(
        "{} samples over {} tasks in {:.1} s ({:.1}/s): {}",
        summary.samples,
        summary.tasks,
        summary.seconds,
        summary.samples_per_second,
        verdicts.join(", ")
    );
    for (k, value) in &summary.pass_at_k {
        println!("{k}: {value:.4}");
    }
    for note in &summary.skipped_k {
        eprintln!("note: {note}");
    }
}
