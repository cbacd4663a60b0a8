//! The real-model backend: any server that speaks OpenAI's `chat/completions` or `completions`
//! (llama.cpp's server, vLLM, Ollama, hosted APIs over http or https).
//!
//! Decisions worth knowing:
//! - `base_url` is the API root that `/chat/completions`, `/completions` and `/models` hang off,
//!   as in OpenAI's own clients: `http://127.0.0.1:8080/v1`. Trailing slashes are ignored, a bare
//!   `http://host:port` gets `/v1` appended, and a pasted `.../chat/completions` or
//!   `.../completions` is cut back to the root. Any other path is kept as given (providers that
//!   mount the API elsewhere).
//! - `Api::Completions` is for base models and servers without a chat template (their chat
//!   endpoint answers 400): the chat request is rendered as one plain text
//!   (`completion_prompt`), with no chat template; the reply's `text` is read as a chat reply's
//!   content is.
//! - Sampling settings beyond temperature (`top_p`, `top_k`, `stop`) are sent only when set:
//!   OpenAI's own API rejects `top_k`, and a server's defaults stay in force otherwise.
//! - The pipeline is threaded and blocking, the HTTP client async: the backend owns one small
//!   tokio runtime and every `generate` call `block_on`s its own future on the calling thread,
//!   so N pipeline threads give N requests in flight. Do not call `generate` from inside another
//!   tokio runtime.
//! - Several candidates: the request carries `n`; a server that ignores it (answers one choice)
//!   or rejects it (llama.cpp answers 400) gets the rest as separate requests with seeds
//!   `seed + i`, and the backend remembers that so later calls skip the wasted request.
//! - Failures: a reply without code, with no choices, or unreadable after the retries is a
//!   `Candidate` with `error` (the run goes on). An unreachable or hung server, a rejected key,
//!   persistent 429/5xx and any other 4xx are `Err` (the run cannot go on meaningfully).
//! - The API key only ever goes into the `Authorization` header (marked sensitive). It is
//!   redacted from `Debug` and scrubbed from every server text rslm keeps: a reply's text and
//!   code (which the store records), and any server text quoted in an error or a log line.
//! - Replies are bounded: a body is read as a stream and never past a limit computed from
//!   `max_tokens` and the number of choices (`body_limit`), and a choice keeps at most
//!   `choice_cap` bytes. A choice cut either way is treated as one cut by the token limit
//!   (`finish_reason: "length"`) and its raw text ends with a note saying so. A body cut in the
//!   middle is closed by `close_truncated_json`, so the choices that did arrive are kept.
//! - Time is bounded: each attempt by `request_timeout`, each request as a whole (every retry
//!   and every wait included) by `request_deadline`. `Retry-After` (seconds or an HTTP date) is
//!   honoured when the wait ends before the deadline; otherwise the request gives up at once.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{drop_unfinished_tail, extract_code};
use super::{AdapterRef, Backend, Candidate, GenerationRequest, LoadedAdapter};

/// First retry delay; doubles per attempt up to `BACKOFF_CAP`, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// How much server text an error message quotes.
const SNIPPET_CHARS: usize = 300;
/// Bytes of text a choice may keep per token of `max_tokens`: a token is about 4 bytes of code,
/// so only a reply far beyond what was asked for is cut.
const CHOICE_BYTES_PER_TOKEN: usize = 16;
/// The least a choice may keep, whatever `max_tokens` says.
const CHOICE_FLOOR: usize = 16 * 1024;
/// Room in a body for what is not choice text: ids, usage, timings, JSON structure.
const BODY_ALLOWANCE: usize = 64 * 1024;
/// The most of an error answer (a status other than 2xx) that is read: only a snippet is quoted.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// The most of a `/models` or `/lora-adapters` answer that is read (hosted APIs list hundreds).
const LIST_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Put where `close_truncated_json` closed a string cut by the body limit: a noncharacter, which
/// no server sends, so a choice text holding it is known to be cut there.
const CUT_MARK: char = '\u{FFFF}';

/// Which endpoint generates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `POST /chat/completions` with the prompt as messages; the server applies the model's
    /// chat template.
    #[default]
    Chat,
    /// `POST /completions` with the prompt rendered as plain text (`completion_prompt`); no chat
    /// template is applied.
    Completions,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Chat => "chat",
            Api::Completions => "completions",
        }
    }
}

/// Sampling settings sent only when set (the server's defaults apply otherwise).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Sampling {
    /// Nucleus sampling mass, in (0, 1].
    pub top_p: Option<f32>,
    /// Sample from the `top_k` most likely tokens (llama.cpp, vLLM; not OpenAI's own API).
    pub top_k: Option<u32>,
    /// Stop sequences: generation ends before any of them.
    pub stop: Vec<String>,
}

/// How to reach an OpenAI-compatible server.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// API root, e.g. `http://127.0.0.1:8080/v1` (see the module doc for what is accepted).
    pub base_url: String,
    /// The model name sent with every request (unless an adapter names another model).
    pub model: String,
    /// Sent as `Authorization: Bearer`; never logged or shown.
    pub api_key: Option<String>,
    /// Deadline for one HTTP request, connection to last body byte.
    pub request_timeout: Duration,
    /// Deadline for one request as a whole: every attempt, retry and wait.
    pub request_deadline: Duration,
    /// Extra attempts after a connection error, timeout, 429 or 5xx.
    pub max_retries: u32,
    /// Deadline for establishing a TCP connection.
    pub connect_timeout: Duration,
    /// The endpoint that generates.
    pub api: Api,
    /// `top_p`, `top_k` and `stop`, each sent only when set.
    pub sampling: Sampling,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            base_url: "http://127.0.0.1:8080/v1".into(),
            model: String::new(),
            api_key: None,
            request_timeout: Duration::from_secs(120),
            request_deadline: Duration::from_secs(300),
            max_retries: 4,
            connect_timeout: Duration::from_secs(5),
            api: Api::Chat,
            sampling: Sampling::default(),
        }
    }
}

impl OpenAiConfig {
    /// The time limits in one line, for the start of a run: "requests time out after 120 s
    /// each, give up after 300 s and 4 retries".
    pub fn describe_limits(&self) -> String {
        format!(
            "requests time out after {} each, give up after {} and {} {}",
            seconds(self.request_timeout),
            seconds(self.request_deadline),
            self.max_retries,
            if self.max_retries == 1 {
                "retry"
            } else {
                "retries"
            }
        )
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("request_timeout", &self.request_timeout)
            .field("request_deadline", &self.request_deadline)
            .field("max_retries", &self.max_retries)
            .field("connect_timeout", &self.connect_timeout)
            .field("api", &self.api)
            .field("sampling", &self.sampling)
            .finish()
    }
}

/// What `preflight` learned about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The normalized API root requests go to.
    pub api_root: String,
    /// Whether the server answered `GET /models` with a list.
    pub models_listed: bool,
    /// The model ids it lists (empty when `models_listed` is false).
    pub models: Vec<String>,
    /// The server's own entry for the requested model (key scrubbed), for results' provenance.
    pub model_entry: Option<Value>,
}

/// Why the backend as a whole failed (as opposed to one candidate).
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    #[error("cannot reach the model server at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error(
        "the model server at {url} did not answer within {timeout:?} ({attempts}); \
         raise --request-timeout or check the server"
    )]
    TimedOut {
        url: String,
        timeout: Duration,
        attempts: Attempts,
    },
    #[error("the model server at {url} rejected the request with {status}: {hint}")]
    Auth {
        url: String,
        status: StatusCode,
        hint: &'static str,
    },
    #[error("the model server at {url} kept answering {status} after {attempts}: {body}")]
    Persistent {
        url: String,
        status: StatusCode,
        attempts: Attempts,
        body: String,
    },
    #[error("the model server at {url} rejected the request with {status}: {body}")]
    Rejected {
        url: String,
        status: StatusCode,
        body: String,
    },
}

/// A count of attempts that reads well in a message ("1 attempt", "3 attempts").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts(pub u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => write!(f, "1 attempt"),
            n => write!(f, "{n} attempts"),
        }
    }
}

/// Whether the server honours `n` (unknown until the first multi-candidate request).
const N_UNKNOWN: u8 = 0;
const N_WORKS: u8 = 1;
const N_UNSUPPORTED: u8 = 2;

/// The OpenAI-compatible backend. Cheap to share: `generate` takes `&self` from any thread.
pub struct OpenAiBackend {
    runtime: tokio::runtime::Runtime,
    inner: Arc<Inner>,
}

impl fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("config", &self.inner.config)
            .field("api_root", &self.inner.api_root)
            .finish_non_exhaustive()
    }
}

struct Inner {
    client: reqwest::Client,
    config: OpenAiConfig,
    /// Normalized root without credentials, for messages.
    api_root: String,
    /// `/chat/completions` or `/completions`, by `config.api`.
    generate_url: String,
    models_url: String,
    /// llama.cpp's `/lora-adapters`, at the server root (the API root without a final `/v1`).
    lora_url: String,
    n_support: AtomicU8,
    secret: Secret,
}

impl OpenAiBackend {
    /// Validates the configuration and builds the client; contacts no server (see `preflight`).
    pub fn new(config: OpenAiConfig) -> anyhow::Result<Self> {
        if config.model.trim().is_empty() {
            bail!("no model name given for the OpenAI-compatible backend");
        }
        let root = api_root(&config.base_url)?;
        let loopback = root.host_str().is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        let mut builder = reqwest::Client::builder().connect_timeout(config.connect_timeout);
        if loopback {
            // A local server must never be sent through an HTTP(S)_PROXY from the environment.
            builder = builder.no_proxy();
        }
        let client = builder.build().context("cannot build the HTTP client")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rslm-openai")
            .enable_all()
            .build()
            .context("cannot start the HTTP runtime")?;
        let root_str = root.as_str().trim_end_matches('/').to_string();
        let mut shown = root.clone();
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        let inner = Inner {
            client,
            api_root: shown.as_str().trim_end_matches('/').to_string(),
            generate_url: match config.api {
                Api::Chat => format!("{root_str}/chat/completions"),
                Api::Completions => format!("{root_str}/completions"),
            },
            models_url: format!("{root_str}/models"),
            lora_url: server_root(&root),
            secret: Secret(config.api_key.clone()),
            config,
            n_support: AtomicU8::new(N_UNKNOWN),
        };
        Ok(OpenAiBackend {
            runtime,
            inner: Arc::new(inner),
        })
    }

    /// Checks, before any task starts, that the server answers and serves the model.
    pub fn preflight(&self) -> anyhow::Result<ServerInfo> {
        let inner = &self.inner;
        self.runtime.block_on(inner.preflight())
    }

    /// The normalized API root (without credentials).
    pub fn api_root(&self) -> &str {
        &self.inner.api_root
    }
}

impl Backend for OpenAiBackend {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> String {
        self.inner.config.model.clone()
    }

    fn is_simulation(&self) -> bool {
        false
    }

    fn generate(&self, request: &GenerationRequest) -> anyhow::Result<Vec<Candidate>> {
        if request.n == 0 {
            return Ok(Vec::new());
        }
        let inner = Arc::clone(&self.inner);
        let request = Arc::new(request.clone());
        self.runtime.block_on(inner.generate(request))
    }

    fn loaded_adapters(&self) -> anyhow::Result<Option<Vec<LoadedAdapter>>> {
        let inner = &self.inner;
        self.runtime.block_on(inner.loaded_adapters())
    }
}

/// The chat messages of a request: the system message, each worked example as a user and an
/// assistant turn, then the task.
fn chat_messages(request: &GenerationRequest) -> Vec<Value> {
    let mut messages = Vec::with_capacity(2 + 2 * request.shots.len());
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for shot in &request.shots {
        messages.push(json!({"role": "user", "content": shot.user}));
        messages.push(json!({"role": "assistant", "content": shot.assistant}));
    }
    messages.push(json!({"role": "user", "content": request.user}));
    messages
}

/// The prompt of `Api::Completions`: the texts of the chat messages in their order (the system
/// text, each worked example's task then its verified code, the task), separated by blank lines,
/// with no chat template and no role names. A base model reads the examples as a document of
/// tasks each followed by its function, and continues the last task with its function.
pub fn completion_prompt(request: &GenerationRequest) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(2 + 2 * request.shots.len());
    if !request.system.is_empty() {
        parts.push(&request.system);
    }
    for shot in &request.shots {
        parts.push(&shot.user);
        parts.push(&shot.assistant);
    }
    parts.push(&request.user);
    let mut text = parts
        .iter()
        .map(|p| p.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n");
    text.push('\n');
    text
}

/// `/lora-adapters` at the server root: the API root without a final `/v1`.
fn server_root(api_root: &reqwest::Url) -> String {
    let root = api_root.as_str().trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    format!("{root}/lora-adapters")
}

/// Whether `base_url` is a usable server URL (an http or https URL with a host).
pub(crate) fn check_base_url(base_url: &str) -> anyhow::Result<()> {
    api_root(base_url).map(|_| ())
}

/// Parses and normalizes `base_url` into the API root (see the module doc).
fn api_root(base_url: &str) -> anyhow::Result<reqwest::Url> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let mut url = reqwest::Url::parse(trimmed)
        .with_context(|| format!("invalid model server URL {trimmed:?}"))?;
    match url.scheme() {
        "http" | "https" => {}
        _ => bail!("the model server URL {trimmed:?} does not start with http:// or https://"),
    }
    if url.host_str().is_none() {
        bail!("the model server URL {trimmed:?} has no host");
    }
    let path = url.path().trim_end_matches('/').to_string();
    let path = path
        .strip_suffix("/chat/completions")
        .or_else(|| path.strip_suffix("/completions"))
        .unwrap_or(&path)
        .to_string();
    let path = if path.is_empty() { "/v1".into() } else { path };
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// A parsed chat completion.
#[derive(Debug, Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    /// llama.cpp's own field; its presence says the server is llama.cpp, whose `usage` with
    /// n > 1 counts one choice only (measured), not all of them as the OpenAI API does.
    #[serde(default)]
    timings: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    message: Option<Message>,
    /// Legacy `completions`-style servers put the text here.
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    content: Value,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u32>,
    #[serde(default)]
    completion_tokens: Option<u32>,
}

impl Choice {
    /// The reply text: a string, or the text parts of a content array.
    fn text(&self) -> String {
        match self.message.as_ref().map(|m| &m.content) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
            _ => self.text.clone().unwrap_or_default(),
        }
    }
}

/// One chat request's result that is not a backend failure.
enum Reply {
    Parsed {
        response: ChatResponse,
        latency_ms: f64,
        /// The body passed its limit and was read only that far; the choices that arrived were
        /// kept (see `close_truncated_json`).
        cut: bool,
    },
    /// The body never parsed as a chat completion, after every retry.
    Malformed { detail: String, latency_ms: f64 },
}

/// A failure of one request attempt, before deciding whether to retry.
enum Failure {
    Transport(String),
    /// No answer within the attempt's timeout (the request timeout, or less when the deadline
    /// was nearer).
    Timeout(Duration),
    Status {
        status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    },
    Malformed(String),
}

/// A request's final failure (after retries), or the `n` probe being refused.
enum ChatError {
    /// A 4xx answer to a body carrying `n > 1`: maybe the server refuses `n`.
    NRefused(anyhow::Error),
    Fatal(anyhow::Error),
}

/// What follows a failed attempt.
enum Next {
    /// Try again after this wait.
    Retry(Duration),
    /// Stop; with the reason when it is the deadline rather than the failure itself.
    GiveUp(Option<String>),
}

/// When one request (all its attempts and waits) must be over.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    total: Duration,
}

impl Deadline {
    fn after(total: Duration) -> Deadline {
        let now = Instant::now();
        let at = now
            .checked_add(total)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
        Deadline { at, total }
    }

    fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }
}

/// The API key, to scrub out of any server text before it is kept or shown.
#[derive(Clone, Default)]
struct Secret(Option<String>);

impl Secret {
    /// `text` with every occurrence of the key replaced by `[redacted]`.
    fn scrub(&self, text: &str) -> String {
        match &self.0 {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "[redacted]"),
            _ => text.to_string(),
        }
    }

    /// Scrubs text that ends where the server's answer was cut: a key split by the cut would
    /// leave its first characters at the end, so any end that begins the key goes too.
    fn scrub_cut(&self, text: &str) -> String {
        let mut text = self.scrub(text);
        if let Some(key) = self.0.as_deref().filter(|k| !k.is_empty()) {
            let longest = (1..key.len())
                .rev()
                .filter(|&len| key.is_char_boundary(len))
                .find(|&len| text.ends_with(&key[..len]));
            if let Some(len) = longest {
                text.truncate(text.len() - len);
            }
        }
        text
    }
}

impl Inner {
    /// llama.cpp's `GET /lora-adapters` (at the server root, beside `/v1`): `[{"id", "path",
    /// "scale"}, ...]`. Any other answer (404, not that shape) means the server does not say.
    async fn loaded_adapters(&self) -> anyhow::Result<Option<Vec<LoadedAdapter>>> {
        let deadline = Deadline::after(self.config.request_deadline);
        let request = self.client.get(&self.lora_url);
        let reply = match self.send(request, LIST_BODY_LIMIT, &deadline).await {
            Ok(reply) => reply,
            Err(failure) => bail!(
                "cannot ask the model server at {} which LoRA adapters it loads: {}",
                self.api_root,
                describe(&failure)
            ),
        };
        if !reply.status.is_success() || reply.cut {
            return Ok(None);
        }
        let Ok(list) = serde_json::from_slice::<Vec<Value>>(&reply.body) else {
            return Ok(None);
        };
        let mut adapters = Vec::with_capacity(list.len());
        for entry in list {
            match (entry["id"].as_u64(), entry["path"].as_str()) {
                (Some(id), Some(path)) => adapters.push(LoadedAdapter {
                    id: id as u32,
                    path: self.scrub(path),
                }),
                _ => return Ok(None),
            }
        }
        Ok(Some(adapters))
    }

    async fn preflight(&self) -> anyhow::Result<ServerInfo> {
        let deadline = Deadline::after(self.config.request_deadline);
        let mut attempt = 0;
        let body = loop {
            let request = self.client.get(&self.models_url);
            let failure = match self.send(request, LIST_BODY_LIMIT, &deadline).await {
                Ok(reply) if reply.status.is_success() && reply.cut => {
                    tracing::warn!(
                        "the model server at {} answered /models with more than {} bytes; \
                         cannot check that it serves model {:?}",
                        self.api_root,
                        LIST_BODY_LIMIT,
                        self.config.model
                    );
                    return Ok(self.info(false, Vec::new()));
                }
                Ok(reply) if reply.status.is_success() => break reply.body,
                Ok(reply)
                    if matches!(
                        reply.status,
                        StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                            | StatusCode::NOT_IMPLEMENTED
                    ) =>
                {
                    tracing::warn!(
                        "the model server at {} has no /models endpoint ({}); \
                         cannot check that it serves model {:?}",
                        self.api_root,
                        reply.status,
                        self.config.model
                    );
                    return Ok(self.info(false, Vec::new()));
                }
                Ok(reply) => self.status_failure(&reply),
                // Nobody listening is not worth waiting for: say so at once.
                Err(Failure::Transport(cause)) => {
                    return Err(OpenAiError::Unreachable {
                        url: self.api_root.clone(),
                        cause,
                    }
                    .into());
                }
                Err(Failure::Timeout(timeout)) => {
                    return Err(OpenAiError::Unreachable {
                        url: self.api_root.clone(),
                        cause: format!("no answer within {timeout:?}"),
                    }
                    .into());
                }
                Err(other) => other,
            };
            attempt += 1;
            self.retry_or_fail(failure, attempt, &deadline).await?;
        };
        let Some(models) = parse_models(&body) else {
            tracing::warn!(
                "the model server at {} answered /models with something other than a model \
                 list; cannot check that it serves model {:?}",
                self.api_root,
                self.config.model
            );
            return Ok(self.info(false, Vec::new()));
        };
        let wanted = &self.config.model;
        let ids: Vec<String> = models.iter().map(|m| self.scrub(&m.id)).collect();
        if !models.iter().any(|m| m.answers_to(wanted)) {
            bail!(
                "model {wanted:?} is not served by {}; it serves: {}",
                self.api_root,
                if ids.is_empty() {
                    "nothing".to_string()
                } else {
                    ids.join(", ")
                }
            );
        }
        let mut info = self.info(true, ids);
        info.model_entry = models
            .iter()
            .find(|m| m.answers_to(wanted))
            .and_then(|m| serde_json::from_str(&self.scrub(&m.entry.to_string())).ok());
        Ok(info)
    }

    fn info(&self, models_listed: bool, models: Vec<String>) -> ServerInfo {
        ServerInfo {
            api_root: self.api_root.clone(),
            models_listed,
            models,
            model_entry: None,
        }
    }

    async fn generate(
        self: Arc<Self>,
        request: Arc<GenerationRequest>,
    ) -> anyhow::Result<Vec<Candidate>> {
        let n = request.n;
        let mut candidates = Vec::with_capacity(n);
        let mut n_refused = false;
        if n > 1 && self.n_support.load(Ordering::Relaxed) != N_UNSUPPORTED {
            match self.chat(&request, n, request.seed).await {
                Ok(Reply::Parsed {
                    response,
                    latency_ms,
                    cut,
                }) => {
                    let got = response.choices.len();
                    if got == 0 {
                        let error = no_choices(cut, request.max_tokens);
                        return Ok(vec![failed(error, latency_ms); n]);
                    }
                    if got >= n {
                        self.n_support.store(N_WORKS, Ordering::Relaxed);
                    } else if got == 1 && !cut {
                        tracing::debug!("server ignores n; asking for candidates one by one");
                        self.n_support.store(N_UNSUPPORTED, Ordering::Relaxed);
                    }
                    // A body cut short holds fewer choices: the rest are asked for one by one.
                    candidates = candidates_of(&request, response, latency_ms, n, &self.secret);
                }
                Ok(Reply::Malformed { detail, latency_ms }) => {
                    return Ok(vec![failed(detail, latency_ms); n]);
                }
                Err(ChatError::NRefused(error)) => {
                    tracing::debug!("server refused n={n}: {error:#}; retrying one by one");
                    n_refused = true;
                }
                Err(ChatError::Fatal(error)) => return Err(error),
            }
        }

        let first = candidates.len();
        if first < n {
            let mut tasks = tokio::task::JoinSet::new();
            for i in first..n {
                let this = Arc::clone(&self);
                let request = Arc::clone(&request);
                tasks.spawn(async move {
                    let seed = request.seed.wrapping_add(i as u64);
                    (i, this.single(&request, seed).await)
                });
            }
            let mut rest: Vec<(usize, Candidate)> = Vec::with_capacity(n - first);
            while let Some(joined) = tasks.join_next().await {
                let (i, result) = joined.context("a generation task panicked")?;
                rest.push((i, result?));
            }
            rest.sort_by_key(|(i, _)| *i);
            candidates.extend(rest.into_iter().map(|(_, c)| c));
            if n_refused {
                // The same body without `n` went through: it was `n` the server refused.
                self.n_support.store(N_UNSUPPORTED, Ordering::Relaxed);
            }
        }
        Ok(candidates)
    }

    /// One request for one candidate (no `n` field).
    async fn single(&self, request: &GenerationRequest, seed: u64) -> anyhow::Result<Candidate> {
        match self.chat(request, 1, seed).await {
            Ok(Reply::Parsed {
                response,
                latency_ms,
                cut,
            }) => {
                if response.choices.is_empty() {
                    return Ok(failed(no_choices(cut, request.max_tokens), latency_ms));
                }
                Ok(candidates_of(request, response, latency_ms, 1, &self.secret).remove(0))
            }
            Ok(Reply::Malformed { detail, latency_ms }) => Ok(failed(detail, latency_ms)),
            Err(ChatError::NRefused(error) | ChatError::Fatal(error)) => Err(error),
        }
    }

    /// Sends one chat request (retrying what is worth retrying, within the deadline).
    async fn chat(
        &self,
        request: &GenerationRequest,
        n: usize,
        seed: u64,
    ) -> Result<Reply, ChatError> {
        let body = self.body(request, n, seed);
        let limit = body_limit(request.max_tokens, n);
        let deadline = Deadline::after(self.config.request_deadline);
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let post = self.client.post(&self.generate_url).json(&body);
            let result = self.send(post, limit, &deadline).await;
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            let failure = match result {
                Ok(reply) if reply.status.is_success() && reply.cut => {
                    // Asking again would bring the same flood: keep what arrived.
                    let response = close_truncated_json(&reply.body)
                        .and_then(|text| serde_json::from_str::<ChatResponse>(&text).ok());
                    return Ok(match response {
                        Some(response) => Reply::Parsed {
                            response,
                            latency_ms,
                            cut: true,
                        },
                        None => Reply::Malformed {
                            detail: format!(
                                "the server's answer passed the {limit} bytes rslm reads for \
                                 max_tokens = {} and is not a chat completion: {}",
                                request.max_tokens,
                                self.snippet(&reply.body)
                            ),
                            latency_ms,
                        },
                    });
                }
                Ok(reply) if reply.status.is_success() => {
                    match serde_json::from_slice::<ChatResponse>(&reply.body) {
                        Ok(response) => {
                            return Ok(Reply::Parsed {
                                response,
                                latency_ms,
                                cut: false,
                            });
                        }
                        Err(error) => {
                            let detail = format!(
                                "the server's answer is not a chat completion ({error}): {}",
                                self.snippet(&reply.body)
                            );
                            let failure = Failure::Malformed(detail.clone());
                            attempt += 1;
                            // Unreadable to the end is a failed candidate, not a failed run.
                            match self.next(&failure, attempt, &deadline) {
                                Next::Retry(delay) => {
                                    self.wait(&failure, attempt, delay).await;
                                    continue;
                                }
                                Next::GiveUp(_) => {
                                    return Ok(Reply::Malformed { detail, latency_ms });
                                }
                            }
                        }
                    }
                }
                Ok(reply) => {
                    let status = reply.status;
                    let failure = self.status_failure(&reply);
                    let probing_n = n > 1 && self.n_support.load(Ordering::Relaxed) == N_UNKNOWN;
                    if probing_n
                        && status.is_client_error()
                        && !matches!(
                            status,
                            StatusCode::UNAUTHORIZED
                                | StatusCode::FORBIDDEN
                                | StatusCode::TOO_MANY_REQUESTS
                        )
                    {
                        let error = self.final_error(failure, attempt + 1);
                        return Err(ChatError::NRefused(error));
                    }
                    failure
                }
                Err(failure) => failure,
            };
            attempt += 1;
            self.retry_or_fail(failure, attempt, &deadline)
                .await
                .map_err(ChatError::Fatal)?;
        }
    }

    /// The JSON body of a request: chat messages, or for `Api::Completions` the same prompt as
    /// one text; the optional sampling settings only when set.
    fn body(&self, request: &GenerationRequest, n: usize, seed: u64) -> Value {
        let model = match &request.adapter {
            Some(AdapterRef::ModelName(name)) => name.as_str(),
            _ => self.config.model.as_str(),
        };
        let mut body = json!({
            "model": model,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": seed,
            "stream": false,
        });
        match self.config.api {
            Api::Chat => body["messages"] = json!(chat_messages(request)),
            Api::Completions => body["prompt"] = json!(completion_prompt(request)),
        }
        if n > 1 {
            body["n"] = json!(n);
        }
        let sampling = &self.config.sampling;
        if let Some(top_p) = sampling.top_p {
            body["top_p"] = json!(top_p);
        }
        if let Some(top_k) = sampling.top_k {
            body["top_k"] = json!(top_k);
        }
        if !sampling.stop.is_empty() {
            body["stop"] = json!(sampling.stop);
        }
        if let Some(AdapterRef::LlamaCpp(scales)) = &request.adapter {
            body["lora"] = json!(
                scales
                    .iter()
                    .map(|s| json!({"id": s.id, "scale": s.scale}))
                    .collect::<Vec<_>>()
            );
        }
        body
    }

    /// One HTTP exchange within the deadline: the status and at most `limit` bytes of the body
    /// (less for an error status), read as a stream; or a transport failure.
    async fn send(
        &self,
        builder: reqwest::RequestBuilder,
        limit: usize,
        deadline: &Deadline,
    ) -> Result<HttpReply, Failure> {
        let timeout = self.config.request_timeout.min(deadline.remaining());
        // Whole milliseconds, so that messages quote "499ms" rather than "499.312474ms".
        let timeout = Duration::from_millis(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        if timeout.is_zero() {
            return Err(Failure::Timeout(timeout));
        }
        let mut builder = builder.timeout(timeout);
        if let Some(key) = &self.config.api_key {
            builder = builder.bearer_auth(key);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport(e, timeout))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let limit = if status.is_success() {
            limit
        } else {
            limit.min(ERROR_BODY_LIMIT)
        };
        let (body, cut) = read_limited(response, limit)
            .await
            .map_err(|e| self.transport(e, timeout))?;
        Ok(HttpReply {
            status,
            body,
            retry_after,
            cut,
        })
    }

    fn transport(&self, error: reqwest::Error, timeout: Duration) -> Failure {
        // A connect timeout is "cannot reach", not a slow answer.
        if error.is_timeout() && !error.is_connect() {
            Failure::Timeout(timeout)
        } else {
            // The URL is already in our message, and might carry credentials.
            Failure::Transport(self.scrub(&error_chain(&error.without_url())))
        }
    }

    /// A non-success answer as a failure to judge.
    fn status_failure(&self, reply: &HttpReply) -> Failure {
        Failure::Status {
            status: reply.status,
            body: self.snippet(&reply.body),
            retry_after: reply.retry_after,
        }
    }

    /// Whether and when to try again after the `attempts`-th attempt failed.
    fn next(&self, failure: &Failure, attempts: u32, deadline: &Deadline) -> Next {
        let retryable = match failure {
            Failure::Transport(_) | Failure::Timeout(_) | Failure::Malformed(_) => true,
            Failure::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
        };
        if !retryable || attempts > self.config.max_retries {
            return Next::GiveUp(None);
        }
        let asked = match failure {
            Failure::Status {
                retry_after: Some(wait),
                ..
            } => Some(*wait),
            _ => None,
        };
        let delay = match asked {
            Some(wait) => wait + jitter(Duration::from_millis(50)),
            None => backoff(attempts - 1),
        };
        if delay >= deadline.remaining() {
            let limit = seconds(deadline.total);
            return Next::GiveUp(Some(match asked {
                Some(wait) => format!(
                    "the model server asked to wait {} before retrying, past the request \
                     deadline of {limit} (--request-deadline)",
                    long_wait(wait)
                ),
                None => format!("gave up at the request deadline of {limit} (--request-deadline)"),
            }));
        }
        Next::Retry(delay)
    }

    /// Logs a failed attempt and waits before the next one.
    async fn wait(&self, failure: &Failure, attempts: u32, delay: Duration) {
        tracing::warn!(
            "model server at {}: {} (attempt {attempts}); retrying in {:.1}s",
            self.api_root,
            describe(failure),
            delay.as_secs_f64()
        );
        tokio::time::sleep(delay).await;
    }

    /// Waits before the next attempt, or turns the last failure into the final error.
    async fn retry_or_fail(
        &self,
        failure: Failure,
        attempts: u32,
        deadline: &Deadline,
    ) -> anyhow::Result<()> {
        match self.next(&failure, attempts, deadline) {
            Next::Retry(delay) => {
                self.wait(&failure, attempts, delay).await;
                Ok(())
            }
            Next::GiveUp(None) => Err(self.final_error(failure, attempts)),
            Next::GiveUp(Some(why)) => Err(self.final_error(failure, attempts).context(why)),
        }
    }

    fn final_error(&self, failure: Failure, attempts: u32) -> anyhow::Error {
        let url = self.api_root.clone();
        let attempts = Attempts(attempts);
        let error = match failure {
            Failure::Transport(cause) => OpenAiError::Unreachable {
                url,
                cause: format!("{cause} ({attempts})"),
            },
            Failure::Timeout(timeout) => OpenAiError::TimedOut {
                url,
                timeout,
                attempts,
            },
            Failure::Malformed(detail) => OpenAiError::Persistent {
                url,
                status: StatusCode::OK,
                attempts,
                body: detail,
            },
            Failure::Status { status, body, .. } => {
                let body = self.scrub(&body);
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    OpenAiError::Auth {
                        url,
                        status,
                        hint: if self.config.api_key.is_some() {
                            "check the API key"
                        } else {
                            "the server needs an API key"
                        },
                    }
                } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    OpenAiError::Persistent {
                        url,
                        status,
                        attempts,
                        body,
                    }
                } else {
                    OpenAiError::Rejected { url, status, body }
                }
            }
        };
        error.into()
    }

    /// The first characters of a server body, with the API key scrubbed out (before cutting,
    /// so a key across the cut leaves nothing behind).
    fn snippet(&self, bytes: &[u8]) -> String {
        let text = self.scrub(&String::from_utf8_lossy(bytes));
        let text = text.trim();
        let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
        if cut.len() < text.len() {
            cut.push_str("...");
        }
        cut
    }

    /// Removes the API key from text that is about to be shown.
    fn scrub(&self, text: &str) -> String {
        self.secret.scrub(text)
    }
}

/// An HTTP answer, read up to a limit.
struct HttpReply {
    status: StatusCode,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    /// The body went on past the limit; `body` is its beginning.
    cut: bool,
}

/// Reads a body chunk by chunk, never more than `limit` bytes; whether it went on past them.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            // Dropping the response closes the connection: the rest is never read.
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The most bytes of text one choice keeps for `max_tokens`.
fn choice_cap(max_tokens: u32) -> usize {
    (max_tokens as usize)
        .saturating_mul(CHOICE_BYTES_PER_TOKEN)
        .max(CHOICE_FLOOR)
}

/// The most bytes of a chat answer read for `n` choices of `max_tokens`: room for every choice
/// at its cap twice over (JSON escapes), plus the rest of the body.
fn body_limit(max_tokens: u32, n: usize) -> usize {
    choice_cap(max_tokens)
        .saturating_mul(2)
        .saturating_mul(n.max(1))
        .saturating_add(BODY_ALLOWANCE)
}

/// Why a parsed answer brought no choice.
fn no_choices(cut: bool, max_tokens: u32) -> String {
    if cut {
        format!(
            "the server's answer passed the {} bytes rslm reads for max_tokens = {max_tokens} \
             before any choice",
            body_limit(max_tokens, 1)
        )
    } else {
        "the server answered with no choices".to_string()
    }
}

/// Turns up to `limit` choices into candidates, sharing the response's usage among them. Each
/// text is scrubbed of the key and capped (`choice_cap`); a cut one counts as cut by the limit.
fn candidates_of(
    request: &GenerationRequest,
    mut response: ChatResponse,
    latency_ms: f64,
    limit: usize,
    secret: &Secret,
) -> Vec<Candidate> {
    // `usage` covers every returned choice, including any beyond what was asked for.
    let count = response.choices.len();
    response
        .choices
        .sort_by_key(|c| c.index.unwrap_or(u32::MAX));
    response.choices.truncate(limit);
    let usage = response.usage.unwrap_or_default();
    let usage_is_one_choice = count > 1 && response.timings.is_some();
    response
        .choices
        .iter()
        .enumerate()
        .map(|(i, choice)| {
            let (raw, cut) = kept_text(&choice.text(), request.max_tokens, secret);
            let cut_by_limit = cut || choice.finish_reason.as_deref() == Some("length");
            let mut code = extract_code(&raw, &request.function_name);
            if cut_by_limit {
                code = code.map(|c| drop_unfinished_tail(&c, &raw, &request.function_name));
            }
            let error = match &code {
                Some(_) => None,
                None if raw.trim().is_empty() => Some(format!(
                    "the model returned no text (finish_reason: {})",
                    if cut {
                        "cut by rslm"
                    } else {
                        choice.finish_reason.as_deref().unwrap_or("none")
                    }
                )),
                None => Some("the response held no Python code".to_string()),
            };
            let raw = if cut {
                format!(
                    "{raw}\n\n[rslm: reply cut after {} bytes: longer than rslm keeps for \
                     max_tokens = {}]",
                    raw.len(),
                    request.max_tokens
                )
            } else {
                raw
            };
            Candidate {
                code: code.unwrap_or_default(),
                raw,
                prompt_tokens: usage.prompt_tokens.map(|t| share(t, count, i)),
                completion_tokens: if usage_is_one_choice {
                    // Only a choice cut by the limit has a known length; the others are
                    // recorded as unknown rather than as a wrong number.
                    (cut_by_limit && !cut).then_some(request.max_tokens)
                } else if cut {
                    // The server's count is of a reply that was not kept whole.
                    None
                } else {
                    usage.completion_tokens.map(|t| share(t, count, i))
                },
                latency_ms,
                error,
            }
        })
        .collect()
}

/// A choice's text as rslm keeps it: the key scrubbed out, at most `choice_cap` bytes; and
/// whether it was cut (here, or by the body limit: then it ends in `CUT_MARK`).
fn kept_text(text: &str, max_tokens: u32, secret: &Secret) -> (String, bool) {
    let (mut text, mut cut) = match text.find(CUT_MARK) {
        Some(at) => (secret.scrub_cut(&text[..at]), true),
        None => (secret.scrub(text), false),
    };
    let cap = choice_cap(max_tokens);
    if text.len() > cap {
        let mut end = cap;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        cut = true;
    }
    (text, cut)
}

/// Closes a JSON text cut short, so that what arrived can be parsed: an open string value is
/// closed (after `CUT_MARK`, dropping a broken escape or character), then every open array
/// and object; a cut anywhere else (in a key, a number, after a comma) goes back to the last
/// complete value. `None` when the text is not the beginning of a JSON value.
fn close_truncated_json(bytes: &[u8]) -> Option<String> {
    // A character cut in two at the end is dropped; invalid UTF-8 elsewhere is not JSON.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Want {
        Value,
        ValueOrEnd,
        Key,
        KeyOrEnd,
        Colon,
        CommaOrEnd,
        Nothing,
    }
    let b = text.as_bytes();
    let mut closers: Vec<u8> = Vec::new();
    let mut want = Want::Value;
    // The last place where the text so far plus closers is complete JSON.
    let mut safe: Option<(usize, Vec<u8>)> = None;
    let after_value = |closers: &Vec<u8>| {
        if closers.is_empty() {
            Want::Nothing
        } else {
            Want::CommaOrEnd
        }
    };
    let close = |end: usize, closers: &[u8], open_string: bool| {
        let mut out = String::with_capacity(end + closers.len() + 8);
        out.push_str(&text[..end]);
        if open_string {
            out.push(CUT_MARK);
            out.push('"');
        }
        out.extend(closers.iter().rev().map(|&c| c as char));
        out
    };
    let mut i = 0;
    while i < b.len() {
        match (b[i], want) {
            (b' ' | b'\t' | b'\n' | b'\r', _) => i += 1,
            (b'{' | b'[', Want::Value | Want::ValueOrEnd) => {
                let object = b[i] == b'{';
                closers.push(if object { b'}' } else { b']' });
                want = if object {
                    Want::KeyOrEnd
                } else {
                    Want::ValueOrEnd
                };
                i += 1;
                safe = Some((i, closers.clone()));
            }
            (b'}' | b']', Want::KeyOrEnd | Want::ValueOrEnd | Want::CommaOrEnd) => {
                if closers.pop() != Some(b[i]) {
                    return None;
                }
                want = after_value(&closers);
                i += 1;
                safe = Some((i, closers.clone()));
            }
            (b',', Want::CommaOrEnd) => {
                want = if closers.last() == Some(&b'}') {
                    Want::Key
                } else {
                    Want::Value
                };
                i += 1;
            }
            (b':', Want::Colon) => {
                want = Want::Value;
                i += 1;
            }
            (b'"', Want::Key | Want::KeyOrEnd | Want::Value | Want::ValueOrEnd) => {
                let key = matches!(want, Want::Key | Want::KeyOrEnd);
                i += 1;
                // The end of the last whole character or escape inside the string.
                let mut whole = i;
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\\' => {
                            let escape = match b.get(i + 1) {
                                Some(b'u') => 6,
                                Some(_) => 2,
                                None => break,
                            };
                            if i + escape > b.len() {
                                break;
                            }
                            // A lone high surrogate is no character: keep it only with its pair.
                            let high = escape == 6
                                && std::str::from_utf8(&b[i + 2..i + 6])
                                    .ok()
                                    .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                                    .is_some_and(|unit| (0xD800..0xDC00).contains(&unit));
                            i += escape;
                            if !high {
                                whole = i;
                            }
                        }
                        _ => {
                            i += 1;
                            whole = i;
                        }
                    }
                }
                if !closed {
                    if key {
                        break;
                    }
                    return Some(close(whole, &closers, true));
                }
                if key {
                    want = Want::Colon;
                } else {
                    want = after_value(&closers);
                    safe = Some((i, closers.clone()));
                }
            }
            (_, Want::Value | Want::ValueOrEnd) => {
                // A number or a literal: complete only if something follows it.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b"+-.".contains(&b[i])) {
                    i += 1;
                }
                if i == b.len() {
                    break;
                }
                want = after_value(&closers);
                safe = Some((i, closers.clone()));
            }
            _ => return None,
        }
    }
    if want == Want::Nothing {
        return Some(text.to_string());
    }
    let (end, closers) = safe?;
    Some(close(end, &closers, false))
}

/// A candidate that carries only why it failed.
fn failed(error: String, latency_ms: f64) -> Candidate {
    Candidate {
        latency_ms,
        error: Some(error),
        ..Candidate::default()
    }
}

/// Candidate `i`'s share of `total` tokens split over `count` candidates (the shares sum to it).
fn share(total: u32, count: usize, i: usize) -> u32 {
    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    let i = u32::try_from(i).unwrap_or(u32::MAX);
    total / count + u32::from(i < total % count)
}

/// A model a server lists: its id and other names it answers to (llama.cpp's `aliases`).
#[derive(Debug, PartialEq)]
struct Served {
    id: String,
    aliases: Vec<String>,
    entry: Value,
}

impl Served {
    /// Whether a request for `wanted` reaches this model (Ollama's `name` means `name:latest`).
    fn answers_to(&self, wanted: &str) -> bool {
        let latest = format!("{wanted}:latest");
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .any(|name| name == wanted || (!wanted.contains(':') && *name == latest))
    }
}

/// Models from a `/models` answer: OpenAI's `data[].id`, or llama.cpp's `models[].model`.
fn parse_models(body: &[u8]) -> Option<Vec<Served>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(data) = value.get("data").and_then(Value::as_array) {
        return Some(
            data.iter()
                .filter_map(|m| {
                    let id = m.get("id").and_then(Value::as_str)?.to_string();
                    let aliases = strings(m.get("aliases"));
                    Some(Served {
                        id,
                        aliases,
                        entry: m.clone(),
                    })
                })
                .collect(),
        );
    }
    let models = value.get("models").and_then(Value::as_array)?;
    Some(
        models
            .iter()
            .filter_map(|m| {
                let id = m.get("model").or_else(|| m.get("name"))?.as_str()?;
                Some(Served {
                    id: id.to_string(),
                    aliases: Vec::new(),
                    entry: m.clone(),
                })
            })
            .collect(),
    )
}

/// `Retry-After` as a wait from `now`: a number of seconds, or an HTTP date (IMF-fixdate, or
/// the obsolete RFC 850 and asctime forms every HTTP recipient accepts); a past date means now.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date: `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` or
/// `Sun Nov  6 08:49:37 1994`.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_of = |name: &str| MONTHS.iter().position(|m| *m == name).map(|i| i as i64 + 1);
    let parts: Vec<&str> = text.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    let (day, month, year, time) = match parts.as_slice() {
        [_, day, month, year, time, "GMT"] => (*day, month_of(month)?, year.parse().ok()?, *time),
        [_, date, time, "GMT"] => {
            let mut date = date.split('-');
            let (day, month, year) = (date.next()?, date.next()?, date.next()?);
            let year: i64 = year.parse().ok()?;
            // Two-digit years (RFC 850): the century that is not more than 50 years ahead.
            let year = if year < 70 { 2000 + year } else { 1900 + year };
            (day, month_of(month)?, year, *time)
        }
        [_, month, day, time, year] => (*day, month_of(month)?, year.parse().ok()?, *time),
        _ => return None,
    };
    let day: i64 = day.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A wait a server asked for, for people: `2.5 s`, `90 min`, `26692 days`.
fn long_wait(wait: Duration) -> String {
    let s = wait.as_secs_f64();
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 2.0 * 86_400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.0} days", s / 86_400.0)
    }
}

/// A duration for people: `120 s`, `0.3 s`.
fn seconds(duration: Duration) -> String {
    let s = duration.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{} s", (s * 1000.0).round() / 1000.0)
    }
}

/// Exponential backoff with jitter: attempt 0 waits 125-250 ms, doubling up to the cap.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    full / 2 + jitter(full / 2)
}

/// A pseudo-random duration in `[0, max]`; spreads retries of concurrent callers apart.
fn jitter(max: Duration) -> Duration {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into());
    // splitmix64 over the clock and a counter: no need for a random-number crate.
    let mut x = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let fraction = (x >> 11) as f64 / (1u64 << 53) as f64;
    max.mul_f64(fraction)
}

/// An error and its causes on one line ("error sending request: ...: Connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// A short description of a failed attempt for the retry log line.
fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Transport(cause) => cause.clone(),
        Failure::Timeout(_) => "timed out".into(),
        Failure::Status { status, .. } => status.to_string(),
        Failure::Malformed(_) => "unreadable answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(url: &str) -> String {
        api_root(url).unwrap().to_string()
    }

    #[test]
    fn base_url_forms() {
        assert_eq!(root("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080/v1");
        assert_eq!(
            root("http://127.0.0.1:8080/v1/"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(root("http://127.0.0.1:8080"), "http://127.0.0.1:8080/v1");
        assert_eq!(root("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/v1");
        assert_eq!(
            root(" http://host:1/v1/chat/completions "),
            "http://host:1/v1"
        );
        assert_eq!(root("http://host:1/v1/completions/"), "http://host:1/v1");
        assert_eq!(root("http://host/openai/v1/"), "http://host/openai/v1");
        assert_eq!(
            api_root("https://api.example.com/v1").unwrap().as_str(),
            "https://api.example.com/v1"
        );
        assert!(api_root("ftp://api.example.com/v1").is_err());
        assert!(api_root("localhost:8080").is_err());
        assert!(api_root("not a url").is_err());
    }

    #[test]
    fn completion_tokens_of_llama_cpp_with_several_choices_are_known_only_when_cut() {
        let request = GenerationRequest {
            system: String::new(),
            user: String::new(),
            shots: Vec::new(),
            function_name: "add".into(),
            n: 2,
            temperature: 0.7,
            max_tokens: 30,
            seed: 0,
            adapter: None,
        };
        let choices = serde_json::json!([
            {"index": 0, "finish_reason": "length", "message": {"content": "def add(a, b): return a + b"}},
            {"index": 1, "finish_reason": "stop", "message": {"content": "def add(a, b): return a+b"}},
        ]);
        let usage = serde_json::json!({"prompt_tokens": 40, "completion_tokens": 30});
        let tokens = |body: Value| -> Vec<Option<u32>> {
            let response: ChatResponse = serde_json::from_value(body).unwrap();
            candidates_of(&request, response, 1.0, 2, &Secret::default())
                .iter()
                .map(|c| c.completion_tokens)
                .collect()
        };
        // llama.cpp (it sends `timings`) counted one choice: 30 is not the total of two.
        assert_eq!(
            tokens(
                serde_json::json!({"choices": choices, "usage": usage, "timings": {"predicted_n": 30}})
            ),
            vec![Some(30), None]
        );
        // The OpenAI API counts every choice: the total is shared.
        assert_eq!(
            tokens(serde_json::json!({"choices": choices, "usage": usage})),
            vec![Some(15), Some(15)]
        );
    }

    #[test]
    fn usage_shares_sum_to_the_total() {
        for (total, count) in [(10, 3), (0, 4), (7, 1), (5, 8)] {
            let shares: Vec<u32> = (0..count).map(|i| share(total, count, i)).collect();
            assert_eq!(shares.iter().sum::<u32>(), total, "{total} over {count}");
            assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn backoff_grows_within_bounds() {
        for attempt in 0..20 {
            let full = BACKOFF_BASE
                .saturating_mul(1 << attempt.min(16))
                .min(BACKOFF_CAP);
            let wait = backoff(attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let wait = |v: &str| parse_retry_after(v, now);
        assert_eq!(wait("2"), Some(Duration::from_secs(2)));
        assert_eq!(wait(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(wait("-1"), None);
        assert_eq!(wait("1e300"), Some(Duration::from_secs(86_400)));
        assert_eq!(
            wait("Sun, 06 Nov 1994 08:49:40 GMT"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait("Sunday, 06-Nov-94 08:50:37 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            wait("Sun Nov  6 09:49:37 1994"),
            Some(Duration::from_secs(3600))
        );
        // A date gone by means at once; nonsense is ignored (the backoff applies).
        assert_eq!(
            wait("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(661_300_703))
        );
        assert_eq!(wait("Sat, 05 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        for bad in [
            "soon",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 CET",
        ] {
            assert_eq!(wait(bad), None, "{bad}");
        }
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(951_825_600))
        );
    }

    #[test]
    fn limits_grow_with_max_tokens_and_choices() {
        assert_eq!(choice_cap(1), CHOICE_FLOOR);
        assert_eq!(choice_cap(4096), 4096 * CHOICE_BYTES_PER_TOKEN);
        assert_eq!(body_limit(256, 1), 2 * CHOICE_FLOOR + BODY_ALLOWANCE);
        assert_eq!(body_limit(256, 4), 8 * CHOICE_FLOOR + BODY_ALLOWANCE);
        assert_eq!(body_limit(u32::MAX, usize::MAX), usize::MAX);
        let config = OpenAiConfig {
            request_timeout: Duration::from_millis(300),
            max_retries: 1,
            ..OpenAiConfig::default()
        };
        assert_eq!(
            config.describe_limits(),
            "requests time out after 0.3 s each, give up after 300 s and 1 retry"
        );
    }

    #[test]
    fn a_cut_body_keeps_what_arrived() {
        let full = r#"{"choices": [{"index": 0, "message": {"content": "def f():\n    return \"ab\""}}, {"index": 1, "message": {"content": "xyz"}}], "usage": {"prompt_tokens": 12}}"#;
        assert_eq!(close_truncated_json(full.as_bytes()).as_deref(), Some(full));
        for end in 1..full.len() {
            let cut = close_truncated_json(&full.as_bytes()[..end])
                .unwrap_or_else(|| panic!("{end}: {}", &full[..end]));
            let value: Value =
                serde_json::from_str(&cut).unwrap_or_else(|e| panic!("{end}: {cut}: {e}"));
            if let Some(text) = value
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str)
            {
                let kept = text.trim_end_matches(CUT_MARK);
                assert!(
                    "def f():\n    return \"ab\"".starts_with(kept),
                    "{end}: {text:?}"
                );
            }
        }
        // Escapes and characters cut in two are dropped, a lone high surrogate too.
        let cut = |s: &str| close_truncated_json(s.as_bytes()).unwrap();
        assert_eq!(cut(r#"{"a": "x\"#), "{\"a\": \"x\u{FFFF}\"}");
        assert_eq!(cut(r#"["x\u00"#), "[\"x\u{FFFF}\"]");
        assert_eq!(cut(r#"["x\ud83d"#), "[\"x\u{FFFF}\"]");
        assert_eq!(cut(r#"["x\ud83d\ude00"#), "[\"x\\ud83d\\ude00\u{FFFF}\"]");
        let emoji = "[\"x\u{1F600}";
        assert_eq!(
            close_truncated_json(&emoji.as_bytes()[..emoji.len() - 1]).unwrap(),
            "[\"x\u{FFFF}\"]"
        );
        assert_eq!(cut(r#"{"a": 1, "b": 12"#), r#"{"a": 1}"#);
        assert_eq!(cut(r#"{"a": [1, 2], "lon"#), r#"{"a": [1, 2]}"#);
        assert_eq!(close_truncated_json(b"<html>"), None);
        assert_eq!(close_truncated_json(b"{\"a\": \xff\xfe 1"), None);
    }

    #[test]
    fn a_long_choice_is_cut_scrubbed_and_marked() {
        let secret = Secret(Some("sk-abcdef".into()));
        let long = format!(
            "```python\ndef f():\n    return 1\n```\nsk-abcdef {}",
            "y".repeat(40_000)
        );
        let (text, cut) = kept_text(&long, 256, &secret);
        assert!(cut);
        assert_eq!(text.len(), CHOICE_FLOOR);
        assert!(!text.contains("sk-abcdef") && text.contains("[redacted]"));
        // Cut by the body limit in the middle of the key: its beginning goes too.
        let (text, cut) = kept_text("code sk-abc\u{FFFF}", 256, &secret);
        assert!(cut);
        assert_eq!(text, "code ");
        let (text, cut) = kept_text("short sk-abcdef", 256, &secret);
        assert!(!cut);
        assert_eq!(text, "short [redacted]");
    }

    #[test]
    fn models_lists() {
        let served = |id: &str, aliases: &[&str]| Served {
            id: id.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            entry: Value::Null,
        };
        // The entry is the server's own text, kept for provenance: not what is compared here.
        let parse_models = |body: &[u8]| {
            parse_models(body).map(|models| {
                models
                    .into_iter()
                    .map(|m| Served {
                        entry: Value::Null,
                        ..m
                    })
                    .collect::<Vec<_>>()
            })
        };
        let openai = br#"{"object":"list","data":[{"id":"a"},{"id":"b"}]}"#;
        assert_eq!(
            parse_models(openai),
            Some(vec![served("a", &[]), served("b", &[])])
        );
        let llama = br#"{"models":[{"name":"m.gguf","model":"m.gguf"}],
                         "data":[{"id":"smol","aliases":["smol","smollm2"]}]}"#;
        let models = parse_models(llama).unwrap();
        assert_eq!(models, [served("smol", &["smol", "smollm2"])]);
        assert!(models[0].answers_to("smollm2"));
        assert!(!models[0].answers_to("smollm"));
        let old_llama = br#"{"models":[{"name":"m.gguf","model":"m.gguf"}]}"#;
        assert_eq!(parse_models(old_llama), Some(vec![served("m.gguf", &[])]));
        assert!(served("qwen2.5-coder:1.5b", &[]).answers_to("qwen2.5-coder:1.5b"));
        assert!(served("llama3:latest", &[]).answers_to("llama3"));
        assert!(!served("llama3:8b", &[]).answers_to("llama3"));
        assert_eq!(parse_models(b"<html>"), None);
    }

    #[test]
    fn debug_redacts_the_key() {
        let config = OpenAiConfig {
            model: "m".into(),
            api_key: Some("sk-secret-123".into()),
            ..OpenAiConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("[redacted]"));
        let backend = OpenAiBackend::new(config).unwrap();
        assert!(!format!("{backend:?}").contains("sk-secret-123"));
    }

    #[test]
    fn content_parts_are_joined() {
        let choice: Choice = serde_json::from_value(json!({
            "message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
        }))
        .unwrap();
        assert_eq!(choice.text(), "ab");
        let legacy: Choice = serde_json::from_value(json!({"text": "t"})).unwrap();
        assert_eq!(legacy.text(), "t");
    }
}
