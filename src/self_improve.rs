//! `self-improve`: cycles of an iteration, a consolidation and an eval over one lab, each
//! cycle's results stored and summarised. It sits above the workflows it runs.

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

/// What one cycle did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleSummary {
    pub cycle: u32,
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
        let output = plan
            .output_dir
            .join(format!("results_cycle{cycle:03}.json"));
        let eval_plan = EvalPlan {
            output: Some(output.clone()),
            ..plan.eval.clone()
        };
        let report = crate::eval::run(lab, &eval_plan)?;
        let summary = CycleSummary {
            cycle,
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
