//! Generation backends: where candidate solutions come from. `mock` is an honest simulator of a
//! weak model for demos and tests; `openai` talks to any OpenAI-compatible server.

pub mod extract;
pub mod mock;

use serde::{Deserialize, Serialize};

/// What a backend is asked for: a chat prompt and how many candidates.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// System message (the code-only contract).
    pub system: String,
    /// User message: the task, function name, signature and an optional memory block.
    pub user: String,
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

/// Builds the backend chosen on the command line. For `openai` the server is checked first, so
/// an unreachable server or an unknown model is one clear error before any task starts.
pub fn open(args: &crate::cli::BackendArgs) -> anyhow::Result<std::sync::Arc<dyn Backend>> {
    use crate::cli::BackendKind;
    match args.backend {
        BackendKind::Mock => Ok(std::sync::Arc::new(mock::MockBackend)),
        BackendKind::Openai => {
            let Some(base_url) = args.base_url.clone().filter(|u| !u.trim().is_empty()) else {
                return Err(crate::error::UsageError("--backend openai needs --base-url or RSLM_BASE_URL".into()).into());
            };
            let Some(model) = args.model.clone().filter(|m| !m.trim().is_empty()) else {
                return Err(crate::error::UsageError("--backend openai needs --model or RSLM_MODEL".into()).into());
            };
            if !(args.request_timeout.is_finite() && args.request_timeout > 0.0) {
                return Err(crate::error::UsageError("--request-timeout must be a positive number of seconds".into()).into());
            }
            let backend = openai::OpenAiBackend::new(openai::OpenAiConfig {
                base_url,
                model,
                api_key: args.api_key.clone().filter(|k| !k.is_empty()),
                request_timeout: std::time::Duration::from_secs_f64(args.request_timeout),
                max_retries: 4,
                connect_timeout: std::time::Duration::from_secs(5),
            })?;
            let info = backend.preflight()?;
            tracing::info!(api = %info.api_root, "model server ready");
            Ok(std::sync::Arc::new(backend))
        }
    }
}
