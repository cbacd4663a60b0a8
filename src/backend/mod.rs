//! Generation backends: where candidate solutions come from. `mock` is an honest simulator of a
//! weak model for demos and tests; `openai` talks to any OpenAI-compatible server.

pub mod extract;
pub mod mock;
mod open;
pub mod openai;
pub mod sanitize;

pub use open::{
    Api, BackendConfig, BackendKind, MAX_STOP_SEQUENCES, Sampling, open, open_describing,
};

use serde::{Deserialize, Serialize};

pub use crate::candidate::Candidate;
/// One worked example as a pair of chat turns (the prompt owns its shape).
pub use crate::prompt::Shot;

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

/// How to ask a server for an adapter: llama.cpp's per-request `lora` scales, or vLLM's model
/// name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AdapterRef {
    /// llama.cpp's `"lora": [{"id", "scale"}, ...]`. Ids follow the order of the server's
    /// `--lora` flags; every adapter the server loads is listed (the wanted one at its scale, the
    /// others at 0), so no request depends on the server's global scales or on what the previous
    /// request of the same slot used.
    LlamaCpp(Vec<LoraScale>),
    ModelName(String),
    /// The mock's simulated adapter file (SIMULATION: `backend::mock::adapter`); no model server
    /// can serve it.
    Simulated(String),
}

/// One entry of llama.cpp's per-request `lora` list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoraScale {
    pub id: u32,
    pub scale: f32,
}

impl AdapterRef {
    /// llama.cpp: adapter `id` at `scale`, every other adapter in `loaded` at 0.
    pub fn llama_cpp(id: u32, scale: f32, loaded: &[u32]) -> AdapterRef {
        let mut ids: Vec<u32> = loaded.to_vec();
        if !ids.contains(&id) {
            ids.push(id);
        }
        ids.sort_unstable();
        AdapterRef::LlamaCpp(
            ids.into_iter()
                .map(|i| LoraScale {
                    id: i,
                    scale: if i == id { scale } else { 0.0 },
                })
                .collect(),
        )
    }

    /// The same request with every adapter at scale 0: the base model (llama.cpp); `None` for a
    /// server that serves the base model under its own name (vLLM).
    pub fn base_model(&self) -> Option<AdapterRef> {
        match self {
            AdapterRef::LlamaCpp(scales) => Some(AdapterRef::LlamaCpp(
                scales
                    .iter()
                    .map(|s| LoraScale {
                        id: s.id,
                        scale: 0.0,
                    })
                    .collect(),
            )),
            AdapterRef::ModelName(_) | AdapterRef::Simulated(_) => None,
        }
    }
}

/// An adapter a server reports as loaded (llama.cpp's `GET /lora-adapters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedAdapter {
    pub id: u32,
    pub path: String,
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
    /// The LoRA adapters the server has loaded, with the ids requests use, or `None` when the
    /// server does not say (no such endpoint: not llama.cpp, or the simulator).
    fn loaded_adapters(&self) -> anyhow::Result<Option<Vec<LoadedAdapter>>> {
        Ok(None)
    }
}
