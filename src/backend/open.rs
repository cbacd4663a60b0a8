//! What a backend is opened from, and opening it.

use std::sync::Arc;
use std::time::Duration;

pub use super::openai::{Api, Sampling};
use super::{Backend, mock, openai};
use crate::error::UsageError;

/// OpenAI's limit on stop sequences per request.
pub const MAX_STOP_SEQUENCES: usize = 4;

/// Which backend produces candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The built-in simulator of a weak model (results are labelled as simulation).
    Mock,
    /// Any OpenAI-compatible server (chat or completions endpoint).
    Openai,
}

/// A backend and its sampling settings, validated once (`BackendConfig::validate`) before any
/// work starts.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    pub kind: BackendKind,
    pub base_url: Option<String>,
    /// Where `base_url` came from, for messages (`--base-url (RSLM_BASE_URL)` or
    /// `OPENAI_BASE_URL`).
    pub base_url_origin: &'static str,
    pub model: Option<String>,
    /// Sent as a bearer token; never logged, stored or printed.
    pub api_key: Option<String>,
    /// The variable `api_key` came from (`RSLM_API_KEY` or `OPENAI_API_KEY`), for messages.
    pub api_key_variable: &'static str,
    /// The server's endpoint that generates (openai).
    pub api: Api,
    /// `top_p`, `top_k`, `stop`: sent only when set (openai; the simulator ignores them).
    pub sampling: Sampling,
    pub temperature: f32,
    pub max_tokens: u32,
    /// Requests in flight at once (openai).
    pub concurrency: u32,
    /// Deadline of one HTTP attempt (openai).
    pub request_timeout: Duration,
    /// Deadline of one request with all its retries and waits (openai).
    pub request_deadline: Duration,
    /// Extra attempts after a connection error, timeout, 429 or 5xx (openai).
    pub max_retries: u32,
}

impl BackendConfig {
    /// The built-in simulator's results are a simulation, whatever the model.
    pub fn is_simulation(&self) -> bool {
        self.kind == BackendKind::Mock
    }

    /// Generator threads a pipeline runs: the simulator answers at once, so two keep the
    /// verifiers fed; a server gets its concurrency.
    pub fn generators(&self) -> usize {
        match self.kind {
            BackendKind::Mock => 2,
            BackendKind::Openai => self.concurrency as usize,
        }
    }

    /// Checks what clap cannot: an openai backend needs a server URL that parses, a model, and
    /// an API key (when there is one) that can go into an HTTP header.
    pub fn validate(&self) -> Result<(), UsageError> {
        if self.kind == BackendKind::Openai {
            let Some(base_url) = non_empty(&self.base_url) else {
                return Err(UsageError(
                    "--backend openai needs --base-url, RSLM_BASE_URL or OPENAI_BASE_URL".into(),
                ));
            };
            if let Err(error) = openai::check_base_url(&base_url) {
                return Err(UsageError(format!(
                    "{}: {error:#}; a server URL looks like http://127.0.0.1:8080/v1",
                    self.base_url_origin
                )));
            }
            if non_empty(&self.model).is_none() {
                return Err(UsageError(
                    "--backend openai needs --model or RSLM_MODEL".into(),
                ));
            }
            if let Some(key) = &self.api_key {
                check_api_key(key, self.api_key_variable)?;
            }
        }
        check_stop_sequences(&self.sampling.stop)
    }

    /// What the openai backend is opened with.
    fn openai_config(&self) -> openai::OpenAiConfig {
        openai::OpenAiConfig {
            base_url: non_empty(&self.base_url).unwrap_or_default(),
            model: non_empty(&self.model).unwrap_or_default(),
            api_key: self.api_key.clone().filter(|k| !k.is_empty()),
            request_timeout: self.request_timeout,
            request_deadline: self.request_deadline,
            max_retries: self.max_retries,
            connect_timeout: Duration::from_secs(5),
            api: self.api,
            sampling: self.sampling.clone(),
        }
    }
}

/// At most `MAX_STOP_SEQUENCES` (each flag value is checked by clap).
fn check_stop_sequences(stop: &[String]) -> Result<(), UsageError> {
    if stop.len() > MAX_STOP_SEQUENCES {
        return Err(UsageError(format!(
            "--stop is given {} times; at most {MAX_STOP_SEQUENCES} stop sequences are allowed \
             (OpenAI's limit)",
            stop.len()
        )));
    }
    Ok(())
}

/// A bearer token is visible ASCII (RFC 6750); anything else (a line break pasted with the key,
/// a space, a control or non-ASCII character) cannot go into the header. The message names the
/// variable and the position, never the key.
fn check_api_key(key: &str, variable: &str) -> Result<(), UsageError> {
    match key.chars().position(|c| !c.is_ascii_graphic()) {
        None => Ok(()),
        Some(at) => {
            let what = match key.chars().nth(at) {
                Some('\n' | '\r') => "a line break",
                Some(' ' | '\t') => "a space or tab",
                Some(c) if c.is_ascii_control() => "a control character",
                _ => "a non-ASCII character",
            };
            Err(UsageError(format!(
                "{variable} holds {what} (character {} of {}); an API key is visible ASCII \
                 only: set the variable to the key alone",
                at + 1,
                key.chars().count()
            )))
        }
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

/// Opens the configured backend. For `openai` the time limits are printed on stderr and the
/// server is checked first, so an unreachable server or an unknown model is one clear error
/// before any task starts.
pub fn open(config: &BackendConfig) -> anyhow::Result<Arc<dyn Backend>> {
    Ok(open_describing(config)?.0)
}

/// [`open`], with what the server says about the model (its `/models` entry) when it says
/// anything: results files record it as provenance.
pub fn open_describing(
    config: &BackendConfig,
) -> anyhow::Result<(Arc<dyn Backend>, Option<serde_json::Value>)> {
    config.validate()?;
    match config.kind {
        BackendKind::Mock => Ok((Arc::new(mock::MockBackend), None)),
        BackendKind::Openai => {
            let openai_config = config.openai_config();
            // Said before the first request, so a silent server is not a mystery.
            eprintln!("model server: {}", openai_config.describe_limits());
            let backend = openai::OpenAiBackend::new(openai_config)?;
            let info = backend.preflight()?;
            tracing::info!(api = %info.api_root, "model server ready");
            Ok((Arc::new(backend), info.model_entry))
        }
    }
}
