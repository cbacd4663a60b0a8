//! A model's answer to one prompt: what a backend returns and what the store records of every
//! attempt. It lives apart from both so the store can record attempts without depending on the
//! backends that produce them.

use serde::{Deserialize, Serialize};

/// One generated candidate with what the lab records about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The code extracted from the response; empty when the response held no code.
    pub code: String,
    /// The raw model text, with the API key scrubbed out; capped by the backend (a reply it cut
    /// ends with an `[rslm: reply cut ...]` note).
    pub raw: String,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub latency_ms: f64,
    /// Why no usable code came back (a failed candidate, not a crash).
    pub error: Option<String>,
}
