//! Evaluation on the held-out split: the statistics every reported rate comes with, and the
//! results file that `rslm eval` writes and `rslm plot` reads.

pub mod conditions;
pub mod provenance;
pub mod report;
mod run;
pub mod samples;
pub mod stats;

pub use run::{EvalPlan, EvalSplit, run};
