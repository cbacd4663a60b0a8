//! `self-improve`: the loop over one lab, above the workflows it runs. Two forms: `--cycles`,
//! the original's memory-only loop (an iteration, a consolidation and an eval per cycle), here;
//! and `--rounds`, the loop that learns (`round`: generate, consolidate, train, gate, eval, each
//! a stored step that `--resume` never repeats), with its report (`report`).

pub mod report;
pub mod round;

use std::path::PathBuf;

use crate::consolidate::{ConsolidationPlan, Report};
use crate::eval::EvalPlan;
use crate::iterate::{IterationPlan, IterationSummary};
use crate::lab::Lab;
use crate::store::runs::RunStatus;

/// What self-improve does: the same iteration, consolidation and eval every cycle (the
/// iteration's seed moves on by one per cycle).
#[derive(Debug, Clone)]
pub struct SelfImprovePlan {
    pub cycles: u32,
    pub iteration: IterationPlan,
    pub consolidation: ConsolidationPlan,
    /// Its `output` is ignored: each cycle writes `results_cycleNNN.json` in `output_dir`.
    pub eval: EvalPlan,
    pub output_dir: PathBuf,
}

/// Where a self-improve run writes when no `--output-dir` is given: a folder beside its store,
/// named after it (`artifacts/memory.sqlite` -> `artifacts/memory-self-improve/`), so two stores
/// in one folder never overwrite each other's results.
pub fn default_output_dir(db: &std::path::Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    db.with_file_name(format!("{stem}-self-improve"))
}

/// The results file of one cycle.
pub fn cycle_results(output_dir: &std::path::Path, cycle: u32) -> PathBuf {
    output_dir.join(format!("results_cycle{cycle:03}.json"))
}

/// What one cycle did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleSummary {
    pub cycle: u32,
    /// The mock backend: these numbers exercise the loop, they measure no model.
    pub simulation: bool,
    pub iteration: IterationSummary,
    pub consolidation: Report,
    /// The cycle's results JSON.
    pub results: String,
    /// pass@1 per condition, in the eval's order.
    pub pass_at_1: serde_json::Map<String, serde_json::Value>,
}

impl SelfImprovePlan {
    /// What can be refused before the lab is opened.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.iteration.validate()?;
        self.eval.validate()
    }
}

/// Runs the cycles; `on_cycle` sees each one as it ends. An interrupted iteration ends the run
/// with an error naming its cycle.
pub fn run(
    lab: &mut Lab,
    plan: &SelfImprovePlan,
    mut on_cycle: impl FnMut(&CycleSummary),
) -> anyhow::Result<Vec<CycleSummary>> {
    plan.validate()?;
    let mut cycles = Vec::new();
    for cycle in 1..=plan.cycles {
        let iteration_plan = IterationPlan {
            seed: plan.iteration.seed + u64::from(cycle) - 1,
            ..plan.iteration.clone()
        };
        let iteration = crate::iterate::run(lab, &iteration_plan)?;
        if iteration.status != RunStatus::Completed {
            anyhow::bail!(
                "cycle {cycle}: iteration run {} was interrupted",
                iteration.run_id
            );
        }
        let consolidation = crate::consolidate::run(lab, &plan.consolidation)?;
        let output = cycle_results(&plan.output_dir, cycle);
        let eval_plan = EvalPlan {
            output: Some(output.clone()),
            ..plan.eval.clone()
        };
        let report = crate::eval::run(lab, &eval_plan)?;
        let summary = CycleSummary {
            cycle,
            simulation: report.simulation,
            iteration,
            consolidation,
            results: output.display().to_string(),
            pass_at_1: report
                .conditions
                .iter()
                .map(|c| (c.condition.clone(), serde_json::json!(c.pass_at_1)))
                .collect(),
        };
        on_cycle(&summary);
        cycles.push(summary);
    }
    Ok(cycles)
}
