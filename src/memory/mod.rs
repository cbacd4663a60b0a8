//! Memory: what the store already knows, retrieved for a task. Retrieval reads verified
//! episodes, procedures and rules with FTS5 bm25, and never returns anything from a held-out
//! task, whatever the split of the run that stored it was.

pub mod controls;
mod retrieval;
pub mod shape;

pub use retrieval::{Retriever, Strategy, description};

/// A verified solution of another task.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedEpisode {
    pub id: i64,
    pub task_id: String,
    pub prompt: String,
    pub function_name: String,
    pub code: String,
    pub score: f64,
}

/// A reusable solution pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedProcedure {
    pub id: i64,
    pub pattern: String,
    pub recipe: String,
    pub score: f64,
}

/// A short natural-language insight.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedRule {
    pub id: i64,
    pub text: String,
    pub score: f64,
}

/// Everything retrieved for one task, best first within each source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieved {
    pub episodes: Vec<RetrievedEpisode>,
    pub procedures: Vec<RetrievedProcedure>,
    pub rules: Vec<RetrievedRule>,
}
