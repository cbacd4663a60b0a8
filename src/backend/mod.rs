//! Generation backends: where candidate solutions come from. `mock` is an honest simulator of a
//! weak model for demos and tests; `openai` talks to any OpenAI-compatible server.

pub mod extract;
pub mod mock;
mod open;
pub mod openai;

pub use open::open;

use serde::{Deserialize, Serialize};

/// What a backend is asked for: a chat prompt and how many candidates.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// System message (the code-only contract).
    pub system: String,
    /// User message: the task, function name, signature and an optional memory block.
    pub user: String,
    /// Worked examples sent as earlier chat turns before `user` (user: a remembered task,
    /// assistant: its verified code), oldest first. Empty without memory.
    pub shots: Vec<Shot>,
    /// The function the candidate must define (used to pick the right code block).
    pub function_name: String,
    pub n: usize,
    pub temperature: f32,
    pub max_tokens: u32,
    /// Base seed; candidate i uses `seed + i` where the server honours seeds.
    pub seed: u64,
    /// A LoRA adapter to apply for this request, when the server supports it.
    pub adapter: Option<AdapterRef>,
}

/// One worked example as a pair of chat turns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shot {
    pub user: String,
    pub assistant: String,
}

/// How to ask a server for an adapter: llama.cpp's per-request `lora` id, or vLLM's model name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AdapterRef {
    LlamaCppId { id: u32, scale: f32 },
    ModelName(String),
}

/// One generated candidate with what the lab records about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The code extracted from the response; empty when the response held no code.
    pub code: String,
    /// The raw model text.
    pub raw: String,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub latency_ms: f64,
    /// Why no usable code came back (a failed candidate, not a crash).
    pub error: Option<String>,
}

/// A source of candidate solutions. Implementations are shared by the generation threads of the
/// pipeline, so they must be thread-safe; `generate` blocks until the candidates are back.
pub trait Backend: Send + Sync {
    /// `mock` or `openai`.
    fn name(&self) -> &'static str;
    /// The model identifier recorded with every run.
    fn model(&self) -> String;
    /// Whether results are a simulation (the mock) rather than a real model.
    fn is_simulation(&self) -> bool;
    /// Returns `request.n` candidates. An `Err` means the backend itself failed (e.g. the server
    /// went away); a response without code is a `Candidate` with an `error`, not an `Err`.
    fn generate(&self, request: &GenerationRequest) -> anyhow::Result<Vec<Candidate>>;
}
