//! The results file of an evaluation run: what `rslm eval` writes, what the store keeps in
//! `eval_runs.payload_json`, and what `rslm plot` reads back.
//!
//! It keeps the original project's keys (`conditions[].condition`, `pass_at_1`, `pass_at_k`,
//! `notes`, `memory_precision`, `regression_check`) so its payloads still load, and adds what
//! an honest reading needs: a 95% interval for every rate, the paired test against baseline,
//! and the per-task outcomes the numbers were computed from. Everything we added is optional
//! when reading, because payloads of the original lack it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::stats::{self, Interval, StatsError};

/// Version of this file format; payloads of the original project read as 0.
pub const SCHEMA_VERSION: u32 = 1;

/// Name of the reference condition that the others are compared with.
pub const BASELINE: &str = "baseline";

/// Why a condition's result or a comparison cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("condition {condition}: {source}")]
    Stats {
        condition: String,
        source: StatsError,
    },
    #[error("condition {condition}: task {task_id} appears twice")]
    DuplicateTask { condition: String, task_id: String },
    #[error(
        "condition {condition}: tasks have different sample counts ({first} and {other}); every task needs the same n"
    )]
    MixedSampleCounts {
        condition: String,
        first: usize,
        other: usize,
    },
    #[error(
        "conditions {baseline} and {condition} were run on different tasks (e.g. {example}); a paired test needs the same task ids"
    )]
    TaskSetsDiffer {
        baseline: String,
        condition: String,
        example: String,
    },
}

/// One evaluation run: metadata, then one result per condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Format version ([`SCHEMA_VERSION`]); 0 for payloads of the original project.
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub rslm_version: Option<String>,
    /// True when the numbers come from the mock backend: they test the pipeline, not a model.
    #[serde(default)]
    pub simulation: bool,
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// RFC 3339 UTC time the run finished.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub run_id: Option<i64>,
    /// Seed of the sampling and of the bootstrap.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The k of pass@k.
    #[serde(default)]
    pub k: Option<usize>,
    /// Samples drawn per task.
    #[serde(default)]
    pub n: Option<usize>,
    #[serde(default)]
    pub heldout_size: Option<usize>,
    #[serde(default)]
    pub split_seed: Option<u64>,
    /// Where the tasks came from (`bundled` or a path).
    #[serde(default)]
    pub tasks_source: Option<String>,
    /// Tasks each condition was evaluated on.
    #[serde(default)]
    pub task_count: Option<usize>,
    pub conditions: Vec<ConditionResult>,
    /// Share of remembered episodes that still pass their tests when re-verified.
    #[serde(default)]
    pub memory_precision: Option<f64>,
    #[serde(default)]
    pub memory_precision_detail: Option<MemoryPrecisionDetail>,
    /// Base model against the active adapter on the held-out tasks, when the eval ran an adapter
    /// condition. Payloads of the original project, whose check had another shape, load as None.
    #[serde(default, deserialize_with = "lenient_regression_check")]
    pub regression_check: Option<RegressionCheck>,
    #[serde(default)]
    pub notes: Vec<String>,
    // --- evidence: which split, the declared primary comparison, replication over seeds ---
    /// The split the tasks came from: `test` (the held-out split, for final numbers) or `dev`
    /// (for choosing prompts and settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_split: Option<String>,
    /// How the task set was split, with the twins it dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<crate::tasks::split::SplitSummary>,
    /// The condition whose comparison with baseline was declared primary (tested unadjusted);
    /// the other comparisons are Holm-adjusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// The sampling seeds the eval ran with; per-task outcomes pool their samples.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
    /// How the run was made (see [`RunConfig`]); absent in results of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    /// What memory held when the eval ran: where the run sits on a learning curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_state: Option<MemoryState>,
}

// ---- Provenance: the `config` block and the memory state (plot's compatibility key) ----

/// How a results file was made, as lm-eval's `config` block says it: enough to tell whether two
/// runs can be compared and to make one again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub backend: String,
    pub model: String,
    /// The server's own `/models` entry for the model (openai backend; bounded, key scrubbed).
    #[serde(default)]
    pub server_model: Option<serde_json::Value>,
    /// Sampling settings sent with every request: temperature, max_tokens, n, k, seed, and
    /// any other the backend was given (top_p, stop, ...).
    pub sampling: serde_json::Map<String, serde_json::Value>,
    pub prompt_version: String,
    /// `fast` or `pytest`, and the CPU seconds a candidate may use.
    pub verify_mode: String,
    pub verify_cpu_seconds: f64,
    /// `bundled` or the task file's path.
    pub tasks_source: String,
    /// sha256 of the task file's bytes (`bundled:<sha256>` for the compiled-in set).
    pub tasks_sha256: String,
    pub split_seed: u64,
    pub heldout_size: usize,
    #[serde(default)]
    pub task_limit: Option<usize>,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub retrieval: Option<String>,
    pub rslm_version: String,
    /// The git commit rslm was built from, or `unknown`.
    pub git_commit: String,
}

/// What memory held when an eval ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryState {
    /// Completed train-pool iterations in the store.
    pub iterations: usize,
    /// Verified episodes.
    pub episodes: usize,
}

impl RunConfig {
    /// What must be equal for two runs to share a line in a plot, as (aspect, value) pairs:
    /// the held-out set, the backend and model, the sampling, the prompt and the verifier.
    pub fn compatibility(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "held-out set",
                format!(
                    "{} ({}), split seed {}, {} held out, task limit {}",
                    self.tasks_source,
                    short_hash(&self.tasks_sha256),
                    self.split_seed,
                    self.heldout_size,
                    self.task_limit
                        .map_or_else(|| "none".to_owned(), |l| l.to_string())
                ),
            ),
            (
                "backend/model",
                format!("{} / {}", self.backend, self.model),
            ),
            (
                "sampling",
                serde_json::Value::Object(self.sampling.clone()).to_string(),
            ),
            ("prompt version", self.prompt_version.clone()),
            ("verify mode", self.verify_mode.clone()),
        ]
    }
}

fn short_hash(hash: &str) -> &str {
    let start = hash.rfind(':').map_or(0, |i| i + 1);
    &hash[start..(start + 12).min(hash.len())]
}

/// The first difference in compatibility between two runs, as "aspect: a vs b"; `None` when
/// they may share a line. Runs without a config block (an older rslm) are compared on what they
/// record: backend, model, held-out size and split seed.
pub fn incompatibility(a: &EvalReport, b: &EvalReport) -> Option<String> {
    let legacy = |r: &EvalReport| {
        vec![
            (
                "held-out set",
                format!(
                    "{} held out, split seed {}",
                    r.heldout_size.map_or("?".into(), |v| v.to_string()),
                    r.split_seed.map_or("?".into(), |v| v.to_string())
                ),
            ),
            (
                "backend/model",
                format!(
                    "{} / {}",
                    r.backend.as_deref().unwrap_or("?"),
                    r.model.as_deref().unwrap_or("?")
                ),
            ),
        ]
    };
    let (ka, kb) = match (&a.config, &b.config) {
        (Some(x), Some(y)) => (x.compatibility(), y.compatibility()),
        (None, None) => (legacy(a), legacy(b)),
        _ => {
            return Some(
                "config block: one run has none (made by an older rslm), so nothing says they match"
                    .to_owned(),
            );
        }
    };
    ka.iter()
        .zip(&kb)
        .find(|((_, va), (_, vb))| va != vb)
        .map(|((aspect, va), (_, vb))| format!("{aspect}: {va} vs {vb}"))
}

/// The counts behind `memory_precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryPrecisionDetail {
    pub checked: usize,
    pub still_passing: usize,
}

/// How the intervals of a condition were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CiMethod {
    /// Wilson score interval on the number of tasks solved (one sample per task).
    Wilson,
    /// Seeded percentile bootstrap over tasks of the per-task estimate.
    Bootstrap,
}

/// One condition's scores on the held-out tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    /// `baseline`, `memory`, `semantic`, `learning` or `memory_learning`.
    pub condition: String,
    pub pass_at_1: f64,
    pub pass_at_k: f64,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub pass_at_1_ci: Option<Interval>,
    #[serde(default)]
    pub pass_at_k_ci: Option<Interval>,
    #[serde(default)]
    pub ci_method: Option<CiMethod>,
    /// Number of tasks evaluated.
    #[serde(default)]
    pub tasks: Option<usize>,
    #[serde(default)]
    pub samples_per_task: Option<usize>,
    /// Paired comparison with the baseline on the same tasks; `null` for the baseline itself.
    #[serde(default)]
    pub vs_baseline: Option<PairedComparison>,
    #[serde(default)]
    pub per_task: Vec<TaskOutcome>,
    /// Set when this condition sends exactly the requests of an earlier one (e.g.
    /// `memory_learning` without an adapter is `memory`): its outcomes are that condition's,
    /// reported again rather than generated twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_outcomes_as: Option<String>,
    /// 95% interval of pass@1 from a bootstrap that resamples whole families (a task without a
    /// family is its own): sibling tasks are not independent evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_at_1_ci_family: Option<Interval>,
    /// Distinct families among the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families: Option<usize>,
    /// pass@1 under each seed of a multi-seed eval, in the order of `seeds`, with its spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_seeds: Option<SeedRuns>,
}

/// One condition's pass@1 seed by seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRuns {
    pub pass_at_1: Vec<f64>,
    pub spread: stats::Spread,
}

/// How one task fared under one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOutcome {
    pub task_id: String,
    pub family: String,
    /// Samples that passed verification.
    pub passed: usize,
    /// Samples drawn.
    pub samples: usize,
}

impl TaskOutcome {
    /// Builds an outcome.
    pub fn new(
        task_id: impl Into<String>,
        family: impl Into<String>,
        passed: usize,
        samples: usize,
    ) -> Self {
        Self {
            task_id: task_id.into(),
            family: family.into(),
            passed,
            samples,
        }
    }

    /// The binary outcome used by the paired test: a task counts as solved when at least half
    /// of its samples pass. With one sample this is simply "it passed"; with several it asks
    /// whether the condition solves the task reliably rather than by a lucky draw.
    pub fn solved(&self) -> bool {
        self.samples > 0 && 2 * self.passed >= self.samples
    }

    /// The unit the clustered statistics resample: the family, or the task without one.
    pub fn cluster(&self) -> &str {
        if self.family.is_empty() {
            &self.task_id
        } else {
            &self.family
        }
    }

    /// The unbiased pass@1 of this task: the share of its samples that passed.
    pub fn pass_at_1(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.passed as f64 / self.samples as f64
        }
    }
}

/// A paired comparison of a condition with the baseline over the same tasks, by the per-task
/// outcome of [`TaskOutcome::solved`], with the exact McNemar p-value on the discordant tasks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Solved under both.
    pub both: usize,
    /// Solved only under the condition (McNemar's b).
    pub only_condition: usize,
    /// Solved only by the baseline (McNemar's c).
    pub only_baseline: usize,
    /// Solved under neither.
    pub neither: usize,
    /// Exact two-sided McNemar p-value.
    pub p_value: f64,
    /// Whether this is the eval's declared primary comparison.
    #[serde(default)]
    pub primary: bool,
    /// For the primary comparison its own p-value; for the others Holm-adjusted over all
    /// comparisons with baseline except the primary one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value_adjusted: Option<f64>,
    /// 95% interval of the change of pass@1 (condition minus baseline): paired bootstrap over
    /// tasks, and over families.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_ci: Option<Interval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_ci_family: Option<Interval>,
}

impl PairedComparison {
    /// Compares `condition` with `baseline`; both must cover exactly the same task ids.
    pub fn between(
        baseline: &ConditionResult,
        condition: &ConditionResult,
    ) -> Result<Self, ReportError> {
        let base: HashMap<&str, bool> = baseline
            .per_task
            .iter()
            .map(|t| (t.task_id.as_str(), t.solved()))
            .collect();
        let other: HashMap<&str, bool> = condition
            .per_task
            .iter()
            .map(|t| (t.task_id.as_str(), t.solved()))
            .collect();
        let base_ids: BTreeSet<&str> = base.keys().copied().collect();
        let other_ids: BTreeSet<&str> = other.keys().copied().collect();
        if base_ids != other_ids || base_ids.is_empty() {
            let example = base_ids
                .symmetric_difference(&other_ids)
                .next()
                .map_or_else(|| "no tasks at all".to_owned(), |id| format!("task {id}"));
            return Err(ReportError::TaskSetsDiffer {
                baseline: baseline.condition.clone(),
                condition: condition.condition.clone(),
                example,
            });
        }
        let (mut both, mut only_condition, mut only_baseline, mut neither) = (0, 0, 0, 0);
        for id in base_ids {
            match (base[id], other[id]) {
                (true, true) => both += 1,
                (false, true) => only_condition += 1,
                (true, false) => only_baseline += 1,
                (false, false) => neither += 1,
            }
        }
        Ok(Self {
            both,
            only_condition,
            only_baseline,
            neither,
            p_value: stats::mcnemar_exact(only_condition, only_baseline),
            primary: false,
            p_value_adjusted: None,
            delta_ci: None,
            delta_ci_family: None,
        })
    }
}

impl ConditionResult {
    /// Scores a condition from its per-task outcomes.
    ///
    /// pass@1 and pass@k are the unbiased estimators averaged over tasks. Intervals are 95%:
    /// Wilson on the number of tasks passed when each task has one sample (then pass@1 is a
    /// plain proportion), otherwise a percentile bootstrap over tasks seeded with `seed`.
    /// `vs_baseline` is left empty; see [`EvalReport::compare_with_baseline`].
    pub fn from_outcomes(
        condition: impl Into<String>,
        notes: impl Into<String>,
        per_task: Vec<TaskOutcome>,
        k: usize,
        seed: u64,
    ) -> Result<Self, ReportError> {
        let condition = condition.into();
        let stats_error = |source| ReportError::Stats {
            condition: condition.clone(),
            source,
        };
        let first = per_task
            .first()
            .ok_or_else(|| stats_error(StatsError::NoTasks))?;
        let n = first.samples;
        let mut seen = HashSet::new();
        for t in &per_task {
            if !seen.insert(t.task_id.as_str()) {
                return Err(ReportError::DuplicateTask {
                    condition,
                    task_id: t.task_id.clone(),
                });
            }
            if t.samples != n {
                return Err(ReportError::MixedSampleCounts {
                    condition,
                    first: n,
                    other: t.samples,
                });
            }
        }
        let counts: Vec<(usize, usize)> = per_task.iter().map(|t| (t.samples, t.passed)).collect();
        let per_task_at = |k| {
            counts
                .iter()
                .map(|&(n, c)| stats::pass_at_k(n, c, k))
                .collect::<Result<Vec<f64>, _>>()
                .map_err(stats_error)
        };
        let at_1 = per_task_at(1)?;
        let at_k = per_task_at(k)?;
        let pass_at_1 = stats::mean(&at_1).unwrap_or(0.0);
        let pass_at_k = stats::mean(&at_k).unwrap_or(0.0);

        let (pass_at_1_ci, pass_at_k_ci, method) = if n == 1 {
            let passed = counts.iter().filter(|&&(_, c)| c == 1).count();
            let ci = stats::wilson_interval(passed, counts.len()).map_err(stats_error)?;
            (ci, ci, CiMethod::Wilson)
        } else {
            let boot = |values: &[f64]| {
                stats::bootstrap_mean_interval(values, stats::BOOTSTRAP_RESAMPLES, seed)
                    .map_err(stats_error)
            };
            (boot(&at_1)?, boot(&at_k)?, CiMethod::Bootstrap)
        };
        let clusters: Vec<&str> = per_task.iter().map(TaskOutcome::cluster).collect();
        let families = clusters.iter().collect::<HashSet<_>>().len();
        let pass_at_1_ci_family = stats::cluster_bootstrap_mean_interval(
            &at_1,
            &clusters,
            stats::BOOTSTRAP_RESAMPLES,
            seed,
        )
        .map_err(stats_error)?;

        Ok(Self {
            tasks: Some(per_task.len()),
            samples_per_task: Some(n),
            condition,
            pass_at_1,
            pass_at_k,
            notes: notes.into(),
            pass_at_1_ci: Some(pass_at_1_ci),
            pass_at_k_ci: Some(pass_at_k_ci),
            ci_method: Some(method),
            vs_baseline: None,
            per_task,
            same_outcomes_as: None,
            pass_at_1_ci_family: Some(pass_at_1_ci_family),
            families: Some(families),
            over_seeds: None,
        })
    }
}

impl EvalReport {
    /// An empty report of this rslm version; the caller fills in the run's metadata.
    pub fn new(backend: impl Into<String>, model: impl Into<String>, simulation: bool) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            rslm_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            simulation,
            backend: Some(backend.into()),
            model: Some(model.into()),
            created_at: None,
            run_id: None,
            seed: None,
            k: None,
            n: None,
            heldout_size: None,
            split_seed: None,
            tasks_source: None,
            task_count: None,
            conditions: Vec::new(),
            memory_precision: None,
            memory_precision_detail: None,
            regression_check: None,
            notes: Vec::new(),
            eval_split: None,
            split: None,
            primary: None,
            seeds: Vec::new(),
            config: None,
            memory_state: None,
        }
    }

    /// The baseline condition, when the run has one.
    pub fn baseline(&self) -> Option<&ConditionResult> {
        self.conditions.iter().find(|c| c.condition == BASELINE)
    }

    /// Fills `vs_baseline` of every condition other than the baseline. Without a baseline
    /// there is nothing to compare with and every `vs_baseline` stays empty.
    pub fn compare_with_baseline(&mut self) -> Result<(), ReportError> {
        compare_with_baseline(&mut self.conditions)
    }
}

/// Fills `vs_baseline` of every condition other than the baseline. Without a baseline there is
/// nothing to compare with and every `vs_baseline` stays empty.
pub fn compare_with_baseline(conditions: &mut [ConditionResult]) -> Result<(), ReportError> {
    let Some(baseline) = conditions.iter().find(|c| c.condition == BASELINE).cloned() else {
        return Ok(());
    };
    for condition in conditions.iter_mut() {
        condition.vs_baseline = if condition.condition == BASELINE {
            None
        } else {
            Some(PairedComparison::between(&baseline, condition)?)
        };
    }
    Ok(())
}

/// Marks the declared primary comparison, Holm-adjusts the others (a condition that reported
/// another's outcomes shares that one's adjusted p and is not counted twice) and adds the
/// seeded paired intervals of the change of pass@1, per task and per family. Call after
/// [`compare_with_baseline`].
pub fn annotate_comparisons(
    conditions: &mut [ConditionResult],
    primary: &str,
    seed: u64,
) -> Result<(), ReportError> {
    let Some(baseline) = conditions.iter().find(|c| c.condition == BASELINE).cloned() else {
        return Ok(());
    };
    let base: HashMap<&str, f64> = baseline
        .per_task
        .iter()
        .map(|t| (t.task_id.as_str(), t.pass_at_1()))
        .collect();
    for c in conditions.iter_mut() {
        let condition = c.condition.clone();
        let Some(v) = c.vs_baseline.as_mut() else {
            continue;
        };
        let deltas: Vec<f64> = c
            .per_task
            .iter()
            .map(|t| t.pass_at_1() - base.get(t.task_id.as_str()).copied().unwrap_or(0.0))
            .collect();
        let clusters: Vec<&str> = c.per_task.iter().map(TaskOutcome::cluster).collect();
        let stats_error = |source| ReportError::Stats {
            condition: condition.clone(),
            source,
        };
        v.delta_ci = Some(
            stats::bootstrap_mean_interval(&deltas, stats::BOOTSTRAP_RESAMPLES, seed)
                .map_err(stats_error)?,
        );
        v.delta_ci_family = Some(
            stats::cluster_bootstrap_mean_interval(
                &deltas,
                &clusters,
                stats::BOOTSTRAP_RESAMPLES,
                seed,
            )
            .map_err(stats_error)?,
        );
        v.primary = condition == primary;
        if v.primary {
            v.p_value_adjusted = Some(v.p_value);
        }
    }
    let secondary: Vec<usize> = (0..conditions.len())
        .filter(|&i| {
            let c = &conditions[i];
            c.same_outcomes_as.is_none() && c.vs_baseline.is_some_and(|v| !v.primary)
        })
        .collect();
    let raw: Vec<f64> = secondary
        .iter()
        .filter_map(|&i| conditions[i].vs_baseline.map(|v| v.p_value))
        .collect();
    for (&i, adjusted) in secondary.iter().zip(stats::holm_adjust(&raw)) {
        if let Some(v) = conditions[i].vs_baseline.as_mut() {
            v.p_value_adjusted = Some(adjusted);
        }
    }
    let adjusted: HashMap<String, Option<f64>> = conditions
        .iter()
        .map(|c| {
            (
                c.condition.clone(),
                c.vs_baseline.and_then(|v| v.p_value_adjusted),
            )
        })
        .collect();
    for c in conditions.iter_mut() {
        if let (Some(earlier), Some(v)) = (&c.same_outcomes_as, c.vs_baseline.as_mut()) {
            if v.p_value_adjusted.is_none() {
                v.p_value_adjusted = adjusted.get(earlier).copied().flatten();
            }
        }
    }
    Ok(())
}

/// The active adapter against the base model, task by task, with the same prompts: `learning`
/// against `baseline` and `memory_learning` against `memory`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionCheck {
    pub adapter: String,
    pub comparisons: Vec<AdapterComparison>,
    /// Some comparison lost more tasks than it won.
    pub regression: bool,
}

/// One pair of conditions that differ only in the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterComparison {
    /// The condition without the adapter (`baseline` or `memory`).
    pub base_model: String,
    /// The condition with it (`learning` or `memory_learning`).
    pub adapter: String,
    pub pass_at_1_base_model: f64,
    pub pass_at_1_adapter: f64,
    pub tasks_won: usize,
    pub tasks_lost: usize,
    /// Exact McNemar test.
    pub p_value: f64,
    pub won: Vec<String>,
    pub lost: Vec<String>,
    pub regression: bool,
}

fn lenient_regression_check<'de, D>(deserializer: D) -> Result<Option<RegressionCheck>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

impl EvalReport {
    /// One line per comparison of the regression check, for the table's reader.
    pub fn regression_lines(&self) -> Vec<String> {
        let Some(check) = &self.regression_check else {
            return Vec::new();
        };
        check
            .comparisons
            .iter()
            .map(|c| {
                format!(
                    "regression check, adapter {}: {} {} -> {} {}: {} tasks won, {} lost (exact McNemar {})",
                    check.adapter,
                    c.base_model,
                    serde_json::json!(c.pass_at_1_base_model),
                    c.adapter,
                    serde_json::json!(c.pass_at_1_adapter),
                    c.tasks_won,
                    c.tasks_lost,
                    p_clause(c.p_value),
                )
            })
            .collect()
    }
}

/// A fixed-width table of a report for the terminal.
///
/// Columns: condition, pass@1 with its 95% interval, pass@k, the change of pass@1 against the
/// baseline, McNemar's discordant counts b/c (tasks solved only with the condition / only by
/// the baseline) and the exact p-value. Aligned with `format!` widths, not a table crate
/// (comfy-table, tabled): one header and one row format, which a crate would not shorten.
pub fn render_table(report: &EvalReport) -> String {
    let mut out = String::new();
    if report.simulation {
        let backend = report.backend.as_deref().unwrap_or("mock");
        let _ = writeln!(
            out,
            "SIMULATION ({backend} backend): these numbers exercise the pipeline, they measure no model"
        );
    }
    let _ = writeln!(out, "{}", describe_run(report));

    let k = report.k.unwrap_or(1);
    let pass_at_k = format!("pass@{k}");
    let _ = writeln!(
        out,
        "{:<16} {:>6}  {:<16} {:<16} {:>7}  {:>8}  {:>7}  {:>9}  {:>7}",
        "condition",
        "pass@1",
        "95% CI",
        "by family",
        pass_at_k,
        "Δ pass@1",
        "b/c",
        "McNemar p",
        "Holm p"
    );
    let baseline = report.baseline().map(|b| b.pass_at_1);
    let interval = |i: Option<Interval>| {
        i.map_or_else(
            || "—".to_owned(),
            |i| format!("[{:.3}, {:.3}]", i.low, i.high),
        )
    };
    for c in &report.conditions {
        let delta = match baseline {
            Some(b) if c.condition != BASELINE => format!("{:+.3}", c.pass_at_1 - b),
            _ => "—".to_owned(),
        };
        let (bc, p, holm) = c.vs_baseline.map_or_else(
            || ("—".to_owned(), "—".to_owned(), "—".to_owned()),
            |v| {
                let holm = match (v.primary, v.p_value_adjusted) {
                    (true, _) => "primary".to_owned(),
                    (false, Some(p)) => format_p(p),
                    (false, None) => "—".to_owned(),
                };
                (
                    format!("{}/{}", v.only_condition, v.only_baseline),
                    format_p(v.p_value),
                    holm,
                )
            },
        );
        let _ = writeln!(
            out,
            "{:<16} {:>6.3}  {:<16} {:<16} {:>7.3}  {:>8}  {:>7}  {:>9}  {:>7}",
            c.condition,
            c.pass_at_1,
            interval(c.pass_at_1_ci),
            interval(c.pass_at_1_ci_family),
            c.pass_at_k,
            delta,
            bc,
            p,
            holm
        );
    }
    for c in &report.conditions {
        if let Some(earlier) = &c.same_outcomes_as {
            let _ = writeln!(
                out,
                "{}: same requests as {earlier}; its outcomes are reported again, not generated twice",
                c.condition
            );
        }
    }
    if report.conditions.iter().any(|c| c.vs_baseline.is_some()) {
        let _ = writeln!(
            out,
            "b/c: tasks solved only with the condition / only by baseline (solved = at least half of the samples pass)"
        );
    }
    write_evidence_lines(&mut out, report);
    if let Some(precision) = report.memory_precision {
        let detail = report
            .memory_precision_detail
            .map(|d| {
                format!(
                    " ({} of {} remembered episodes still pass)",
                    d.still_passing, d.checked
                )
            })
            .unwrap_or_default();
        let _ = writeln!(out, "memory precision: {precision:.3}{detail}");
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The lines that qualify the table: what "by family" and "Holm p" mean, the change of the
/// primary comparison with its intervals, and the spread over seeds.
fn write_evidence_lines(out: &mut String, report: &EvalReport) {
    if let Some(families) = report.conditions.iter().find_map(|c| c.families) {
        let _ = writeln!(
            out,
            "by family: 95% bootstrap interval resampling whole families ({families} families; a task without one is its own)"
        );
    }
    let primary = report
        .conditions
        .iter()
        .find(|c| c.vs_baseline.is_some_and(|v| v.primary));
    if let Some(c) = primary {
        let v = c.vs_baseline.expect("primary has a comparison");
        let ci = |i: Option<Interval>| {
            i.map_or_else(String::new, |i| format!("[{:+.3}, {:+.3}]", i.low, i.high))
        };
        let _ = writeln!(
            out,
            "primary comparison: {} vs baseline, Δ pass@1 95% CI {} per task, {} by family, {} (unadjusted); Holm p: the other comparisons, adjusted together",
            c.condition,
            ci(v.delta_ci),
            ci(v.delta_ci_family),
            p_clause(v.p_value)
        );
    }
    if report.seeds.len() > 1 {
        let seeds: Vec<String> = report.seeds.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "over seeds {} (pass@1 above pools every seed's samples):",
            seeds.join(", ")
        );
        for c in &report.conditions {
            if let Some(runs) = &c.over_seeds {
                let s = runs.spread;
                let _ = writeln!(
                    out,
                    "  {:<16} mean {:.3}, sd {:.3}, min {:.3}, max {:.3}",
                    c.condition, s.mean, s.sd, s.min, s.max
                );
            }
        }
    }
}

/// One line naming the run: backend, model, run id, k, n and the task set.
pub fn describe_run(report: &EvalReport) -> String {
    let mut parts = vec![format!(
        "backend {}, model {}",
        report.backend.as_deref().unwrap_or("unknown"),
        report.model.as_deref().unwrap_or("unknown")
    )];
    parts.extend(run_details(report));
    parts.join(", ")
}

/// The run id, k, n and the task set, as far as the report records them.
pub fn run_details(report: &EvalReport) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(id) = report.run_id {
        parts.push(format!("run {id}"));
    }
    if let Some(k) = report.k {
        parts.push(format!("k={k}"));
    }
    if let Some(n) = report.n {
        parts.push(format!("n={n}"));
    }
    let tasks = report
        .task_count
        .or_else(|| report.conditions.first().and_then(|c| c.tasks));
    if let Some(tasks) = tasks {
        let mut from = Vec::new();
        if let Some(source) = &report.tasks_source {
            from.push(source.clone());
        }
        if let Some(split) = &report.split {
            from.push(format!("{} split", split.kind.as_str()));
        }
        if let Some(seed) = report.split_seed {
            from.push(format!("split seed {seed}"));
        }
        let side = match report.eval_split.as_deref() {
            Some("dev") => "dev-split",
            Some(_) => "held-out (test split)",
            None => "held-out",
        };
        if from.is_empty() {
            parts.push(format!("{tasks} {side} tasks"));
        } else {
            parts.push(format!("{tasks} {side} tasks ({})", from.join(", ")));
        }
    }
    parts
}

/// A p-value with enough digits to read, without pretending precision below 0.001.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

/// "p = 0.031" or "p < 0.001", for prose.
pub fn p_clause(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_owned()
    } else {
        format!("p = {p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 tasks; baseline solves 0..7, memory solves 2..14: both 5, only memory 7, only
    /// baseline 2, neither 6.
    fn outcomes(solved: impl Fn(usize) -> bool) -> Vec<TaskOutcome> {
        (0..20)
            .map(|i| {
                TaskOutcome::new(
                    format!("task{i:02}"),
                    if i % 2 == 0 { "even" } else { "odd" },
                    usize::from(solved(i)),
                    1,
                )
            })
            .collect()
    }

    fn sample_report() -> EvalReport {
        let mut report = EvalReport::new("mock", "mock-weak-v1", true);
        report.created_at = Some("2026-11-24T01:02:03Z".to_owned());
        report.run_id = Some(7);
        report.seed = Some(1);
        report.k = Some(1);
        report.n = Some(1);
        report.heldout_size = Some(20);
        report.split_seed = Some(1337);
        report.tasks_source = Some("bundled".to_owned());
        report.task_count = Some(20);
        report.conditions = vec![
            ConditionResult::from_outcomes("baseline", "no memory", outcomes(|i| i < 7), 1, 1)
                .unwrap(),
            ConditionResult::from_outcomes(
                "memory",
                "verified episodes",
                outcomes(|i| (2..14).contains(&i)),
                1,
                1,
            )
            .unwrap(),
        ];
        report.compare_with_baseline().unwrap();
        annotate_comparisons(&mut report.conditions, "memory", 1).unwrap();
        report.memory_precision = Some(1.0);
        report.memory_precision_detail = Some(MemoryPrecisionDetail {
            checked: 40,
            still_passing: 40,
        });
        report.notes = vec!["SIMULATION: mock backend".to_owned()];
        report
    }

    #[test]
    fn single_sample_conditions_use_wilson() {
        let r = &sample_report().conditions[0];
        assert!((r.pass_at_1 - 0.35).abs() < 1e-12);
        assert_eq!(r.pass_at_k, r.pass_at_1);
        assert_eq!(r.ci_method, Some(CiMethod::Wilson));
        assert_eq!(r.pass_at_1_ci, Some(stats::wilson_interval(7, 20).unwrap()));
        assert_eq!(r.tasks, Some(20));
        assert_eq!(r.samples_per_task, Some(1));
        assert_eq!(r.vs_baseline, None);
    }

    #[test]
    fn several_samples_use_the_bootstrap_and_unbiased_estimator() {
        let per_task: Vec<TaskOutcome> = (0..10)
            .map(|i| TaskOutcome::new(format!("t{i}"), "f", i % 5, 4))
            .collect();
        let r = ConditionResult::from_outcomes("memory", "", per_task.clone(), 2, 3).unwrap();
        assert_eq!(r.ci_method, Some(CiMethod::Bootstrap));
        // passed 0..=4 of 4, twice each: pass@1 mean = (0+1+2+3+4)/4/5 = 0.5.
        assert!((r.pass_at_1 - 0.5).abs() < 1e-12);
        let expected_k: f64 = (0..5)
            .map(|c| stats::pass_at_k(4, c, 2).unwrap())
            .sum::<f64>()
            / 5.0;
        assert!((r.pass_at_k - expected_k).abs() < 1e-12);
        let ci = r.pass_at_1_ci.unwrap();
        assert!(ci.low < 0.5 && 0.5 < ci.high);
        // Same seed, same interval.
        let again = ConditionResult::from_outcomes("memory", "", per_task, 2, 3).unwrap();
        assert_eq!(again.pass_at_1_ci, r.pass_at_1_ci);
    }

    #[test]
    fn bad_outcomes_are_refused() {
        let err = ConditionResult::from_outcomes("x", "", vec![], 1, 0).unwrap_err();
        assert!(matches!(err, ReportError::Stats { .. }));
        let dup = vec![
            TaskOutcome::new("a", "f", 1, 1),
            TaskOutcome::new("a", "f", 0, 1),
        ];
        assert!(matches!(
            ConditionResult::from_outcomes("x", "", dup, 1, 0),
            Err(ReportError::DuplicateTask { .. })
        ));
        let mixed = vec![
            TaskOutcome::new("a", "f", 1, 1),
            TaskOutcome::new("b", "f", 0, 2),
        ];
        assert!(matches!(
            ConditionResult::from_outcomes("x", "", mixed, 1, 0),
            Err(ReportError::MixedSampleCounts { .. })
        ));
        let few = vec![TaskOutcome::new("a", "f", 1, 2)];
        let err = ConditionResult::from_outcomes("x", "", few, 3, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "condition x: pass@3 needs at least 3 samples per task, but a task has 2"
        );
    }

    #[test]
    fn solved_means_at_least_half_the_samples() {
        assert!(TaskOutcome::new("a", "f", 1, 1).solved());
        assert!(!TaskOutcome::new("a", "f", 0, 1).solved());
        assert!(TaskOutcome::new("a", "f", 2, 4).solved());
        assert!(!TaskOutcome::new("a", "f", 1, 4).solved());
        assert!(TaskOutcome::new("a", "f", 2, 3).solved());
        assert!(!TaskOutcome::new("a", "f", 0, 0).solved());
    }

    #[test]
    fn paired_comparison_counts_discordant_tasks() {
        let report = sample_report();
        let v = report.conditions[1].vs_baseline.unwrap();
        assert_eq!(
            (v.both, v.only_condition, v.only_baseline, v.neither),
            (5, 7, 2, 6)
        );
        assert!((v.p_value - stats::mcnemar_exact(7, 2)).abs() < 1e-15);
    }

    #[test]
    fn paired_comparison_needs_the_same_tasks() {
        let base =
            ConditionResult::from_outcomes("baseline", "", outcomes(|_| true), 1, 0).unwrap();
        let mut fewer = outcomes(|_| true);
        fewer.pop();
        let other = ConditionResult::from_outcomes("memory", "", fewer, 1, 0).unwrap();
        let err = PairedComparison::between(&base, &other).unwrap_err();
        assert_eq!(
            err.to_string(),
            "conditions baseline and memory were run on different tasks (e.g. task task19); a paired test needs the same task ids"
        );
    }

    #[test]
    fn the_primary_comparison_is_unadjusted_and_holm_adjusts_the_rest_once() {
        // 12 tasks in 3 families; baseline solves none. memory (primary) solves 6, semantic 3,
        // few_shot 5, and random_memory reports few_shot's outcomes again.
        let solving = |name: &str, solved: usize| {
            let per_task = (0..12)
                .map(|i| {
                    TaskOutcome::new(
                        format!("t{i:02}"),
                        format!("f{}", i % 3),
                        usize::from(i < solved),
                        1,
                    )
                })
                .collect();
            ConditionResult::from_outcomes(name, "", per_task, 1, 5).unwrap()
        };
        let mut conditions = vec![
            solving("baseline", 0),
            solving("memory", 6),
            solving("semantic", 3),
            solving("few_shot", 5),
            solving("random_memory", 5),
        ];
        conditions[4].same_outcomes_as = Some("few_shot".into());
        compare_with_baseline(&mut conditions).unwrap();
        annotate_comparisons(&mut conditions, "memory", 5).unwrap();
        let v = |i: usize| conditions[i].vs_baseline.unwrap();
        // Raw exact McNemar: 6/0 -> 2/64, 3/0 -> 2/8, 5/0 -> 2/32.
        let close = |p: Option<f64>, want: f64| p.is_some_and(|p| (p - want).abs() < 1e-12);
        assert!(close(Some(v(1).p_value), 0.031_25));
        assert!(v(1).primary && v(1).p_value_adjusted == Some(v(1).p_value));
        // Holm over {semantic 0.25, few_shot 0.0625} (m = 2, the repeat not counted):
        // few_shot 2 x 0.0625 = 0.125; semantic max(0.125, 1 x 0.25) = 0.25.
        assert!(close(v(3).p_value_adjusted, 0.125), "{:?}", v(3));
        assert!(close(v(2).p_value_adjusted, 0.25), "{:?}", v(2));
        assert_eq!(
            v(4).p_value_adjusted,
            v(3).p_value_adjusted,
            "the repeat shares few_shot's"
        );
        assert!(!v(2).primary && !v(3).primary && !v(4).primary);
        // The change of pass@1 (+0.5 for memory) lies inside its per-task interval; memory's
        // wins are spread evenly (2 of 4 tasks in each family), so resampling families cannot
        // move it: the family interval is a point.
        let (task, family) = (v(1).delta_ci.unwrap(), v(1).delta_ci_family.unwrap());
        assert!(task.low < 0.5 && 0.5 < task.high, "{task:?}");
        assert_eq!(
            family,
            Interval {
                low: 0.5,
                high: 0.5
            }
        );
        assert_eq!(conditions[1].families, Some(3));
        assert!(conditions[0].vs_baseline.is_none());
    }

    #[test]
    fn serde_round_trip() {
        let report = sample_report();
        let json = serde_json::to_string_pretty(&report).unwrap();
        let back: EvalReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn json_keeps_the_original_keys_and_adds_ours() {
        let value = serde_json::to_value(sample_report()).unwrap();
        for key in [
            "conditions",
            "memory_precision",
            "regression_check",
            "schema_version",
            "rslm_version",
            "simulation",
            "backend",
            "model",
            "created_at",
            "run_id",
            "seed",
            "k",
            "n",
            "heldout_size",
            "split_seed",
            "tasks_source",
            "task_count",
            "memory_precision_detail",
            "notes",
        ] {
            assert!(value.get(key).is_some(), "missing top-level key {key}");
        }
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["regression_check"], serde_json::Value::Null);
        assert_eq!(value["memory_precision_detail"]["still_passing"], 40);
        let baseline = &value["conditions"][0];
        for key in [
            "condition",
            "pass_at_1",
            "pass_at_k",
            "notes",
            "pass_at_1_ci",
            "pass_at_k_ci",
            "ci_method",
            "tasks",
            "samples_per_task",
            "vs_baseline",
            "per_task",
        ] {
            assert!(baseline.get(key).is_some(), "missing condition key {key}");
        }
        assert_eq!(baseline["ci_method"], "wilson");
        assert_eq!(baseline["vs_baseline"], serde_json::Value::Null);
        assert!(baseline["pass_at_1_ci"].as_array().unwrap().len() == 2);
        assert_eq!(
            baseline["per_task"][0],
            serde_json::json!({"task_id": "task00", "family": "even", "passed": 1, "samples": 1})
        );
        let memory = &value["conditions"][1]["vs_baseline"];
        for key in [
            "both",
            "only_condition",
            "only_baseline",
            "neither",
            "p_value",
        ] {
            assert!(memory.get(key).is_some(), "missing vs_baseline key {key}");
        }
    }

    #[test]
    fn payloads_of_the_original_still_load() {
        let legacy = r#"{"conditions":[
            {"condition":"baseline","pass_at_1":0.35,"pass_at_k":0.35,"notes":"no memory"},
            {"condition":"memory","pass_at_1":0.6,"pass_at_k":0.6,"notes":"episodes"}],
            "memory_precision":1.0,"regression_check":null}"#;
        let report: EvalReport = serde_json::from_str(legacy).unwrap();
        assert_eq!(report.schema_version, 0);
        assert_eq!(report.conditions.len(), 2);
        assert_eq!(report.conditions[1].pass_at_1_ci, None);
        assert!(report.conditions[1].per_task.is_empty());
        let table = render_table(&report);
        assert!(!table.contains("SIMULATION"));
        assert!(table.contains("memory"));
    }

    #[test]
    fn table_reads_at_a_glance() {
        let table = render_table(&sample_report());
        let expected = "\
SIMULATION (mock backend): these numbers exercise the pipeline, they measure no model
backend mock, model mock-weak-v1, run 7, k=1, n=1, 20 held-out tasks (bundled, split seed 1337)
condition        pass@1  95% CI           by family         pass@1  Δ pass@1      b/c  McNemar p   Holm p
baseline          0.350  [0.181, 0.567]   [0.300, 0.400]     0.350         —        —          —        —
memory            0.600  [0.387, 0.781]   [0.600, 0.600]     0.600    +0.250      7/2      0.180  primary
b/c: tasks solved only with the condition / only by baseline (solved = at least half of the samples pass)
by family: 95% bootstrap interval resampling whole families (2 families; a task without one is its own)
primary comparison: memory vs baseline, Δ pass@1 95% CI [-0.050, +0.500] per task, [+0.200, +0.300] by family, p = 0.180 (unadjusted); Holm p: the other comparisons, adjusted together
memory precision: 1.000 (40 of 40 remembered episodes still pass)
note: SIMULATION: mock backend
";
        assert_eq!(table, expected);
    }
}
