//! The real-model backend: any server that speaks OpenAI's `chat/completions` (llama.cpp's
//! server, vLLM, Ollama, hosted APIs over http or https).
//!
//! Decisions worth knowing:
//! - `base_url` is the API root that `/chat/completions` and `/models` hang off, as in OpenAI's
//!   own clients: `http://127.0.0.1:8080/v1`. Trailing slashes are ignored, a bare
//!   `http://host:port` gets `/v1` appended, and a pasted `.../chat/completions` is cut back to
//!   the root. Any other path is kept as given (providers that mount the API elsewhere).
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
//!   redacted from `Debug` and scrubbed from any server text quoted in an error.

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
/// The longest `Retry-After` honoured; a server asking for more is retried after this.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);
/// How much server text an error message quotes.
const SNIPPET_CHARS: usize = 300;

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
    /// Extra attempts after a connection error, timeout, 429 or 5xx.
    pub max_retries: u32,
    /// Deadline for establishing a TCP connection.
    pub connect_timeout: Duration,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            base_url: "http://127.0.0.1:8080/v1".into(),
            model: String::new(),
            api_key: None,
            request_timeout: Duration::from_secs(120),
            max_retries: 3,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("request_timeout", &self.request_timeout)
            .field("max_retries", &self.max_retries)
            .field("connect_timeout", &self.connect_timeout)
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
}

/// Why the backend as a whole failed (as opposed to one candidate).
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    #[error("cannot reach the model server at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error(
        "the model server at {url} did not answer within {timeout:?} ({attempts}); \
         raise the request timeout or check the server"
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
    chat_url: String,
    models_url: String,
    /// llama.cpp's `/lora-adapters`, at the server root (the API root without a final `/v1`).
    lora_url: String,
    n_support: AtomicU8,
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
            chat_url: format!("{root_str}/chat/completions"),
            models_url: format!("{root_str}/models"),
            lora_url: server_root(&root),
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
    },
    /// The body never parsed as a chat completion, after every retry.
    Malformed { detail: String, latency_ms: f64 },
}

/// A failure of one request attempt, before deciding whether to retry.
enum Failure {
    Transport(String),
    Timeout,
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

impl Inner {
    /// llama.cpp's `GET /lora-adapters` (at the server root, beside `/v1`): `[{"id", "path",
    /// "scale"}, ...]`. Any other answer (404, not that shape) means the server does not say.
    async fn loaded_adapters(&self) -> anyhow::Result<Option<Vec<LoadedAdapter>>> {
        let reply = match self.send(self.client.get(&self.lora_url)).await {
            Ok(reply) => reply,
            Err(failure) => bail!(
                "cannot ask the model server at {} which LoRA adapters it loads: {}",
                self.api_root,
                describe(&failure)
            ),
        };
        if !reply.status.is_success() {
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
                    path: path.to_string(),
                }),
                _ => return Ok(None),
            }
        }
        Ok(Some(adapters))
    }

    async fn preflight(&self) -> anyhow::Result<ServerInfo> {
        let mut attempt = 0;
        let body = loop {
            let failure = match self.send(self.client.get(&self.models_url)).await {
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
                Err(Failure::Timeout) => {
                    return Err(OpenAiError::Unreachable {
                        url: self.api_root.clone(),
                        cause: format!("no answer within {:?}", self.config.request_timeout),
                    }
                    .into());
                }
                Err(other) => other,
            };
            attempt += 1;
            self.retry_or_fail(failure, attempt).await?;
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
        let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
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
        Ok(self.info(true, ids))
    }

    fn info(&self, models_listed: bool, models: Vec<String>) -> ServerInfo {
        ServerInfo {
            api_root: self.api_root.clone(),
            models_listed,
            models,
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
                }) => {
                    let got = response.choices.len();
                    if got == 0 {
                        let error = "the server answered with no choices".to_string();
                        return Ok(vec![failed(error, latency_ms); n]);
                    }
                    if got >= n {
                        self.n_support.store(N_WORKS, Ordering::Relaxed);
                    } else if got == 1 {
                        tracing::debug!("server ignores n; asking for candidates one by one");
                        self.n_support.store(N_UNSUPPORTED, Ordering::Relaxed);
                    }
                    candidates = Self::candidates(&request, response, latency_ms, n);
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
            }) => {
                if response.choices.is_empty() {
                    return Ok(failed(
                        "the server answered with no choices".into(),
                        latency_ms,
                    ));
                }
                Ok(Self::candidates(request, response, latency_ms, 1).remove(0))
            }
            Ok(Reply::Malformed { detail, latency_ms }) => Ok(failed(detail, latency_ms)),
            Err(ChatError::NRefused(error) | ChatError::Fatal(error)) => Err(error),
        }
    }

    /// Turns up to `limit` choices into candidates, sharing the response's usage among them.
    fn candidates(
        request: &GenerationRequest,
        mut response: ChatResponse,
        latency_ms: f64,
        limit: usize,
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
                let raw = choice.text();
                let cut_by_limit = choice.finish_reason.as_deref() == Some("length");
                let mut code = extract_code(&raw, &request.function_name);
                if cut_by_limit {
                    code = code.map(|c| drop_unfinished_tail(&c, &raw, &request.function_name));
                }
                let error = match &code {
                    Some(_) => None,
                    None if raw.trim().is_empty() => Some(format!(
                        "the model returned no text (finish_reason: {})",
                        choice.finish_reason.as_deref().unwrap_or("none")
                    )),
                    None => Some("the response held no Python code".to_string()),
                };
                Candidate {
                    code: code.unwrap_or_default(),
                    raw,
                    prompt_tokens: usage.prompt_tokens.map(|t| share(t, count, i)),
                    completion_tokens: if usage_is_one_choice {
                        // Only a choice cut by the limit has a known length; the others are
                        // recorded as unknown rather than as a wrong number.
                        cut_by_limit.then_some(request.max_tokens)
                    } else {
                        usage.completion_tokens.map(|t| share(t, count, i))
                    },
                    latency_ms,
                    error,
                }
            })
            .collect()
    }

    /// Sends one chat request (retrying what is worth retrying).
    async fn chat(
        &self,
        request: &GenerationRequest,
        n: usize,
        seed: u64,
    ) -> Result<Reply, ChatError> {
        let body = self.body(request, n, seed);
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let result = self
                .send(self.client.post(&self.chat_url).json(&body))
                .await;
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            let failure = match result {
                Ok(reply) if reply.status.is_success() => {
                    match serde_json::from_slice::<ChatResponse>(&reply.body) {
                        Ok(response) => {
                            return Ok(Reply::Parsed {
                                response,
                                latency_ms,
                            });
                        }
                        Err(error) => {
                            let detail = format!(
                                "the server's answer is not a chat completion ({error}): {}",
                                self.snippet(&reply.body)
                            );
                            if attempt >= self.config.max_retries {
                                return Ok(Reply::Malformed { detail, latency_ms });
                            }
                            Failure::Malformed(detail)
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
            self.retry_or_fail(failure, attempt)
                .await
                .map_err(ChatError::Fatal)?;
        }
    }

    /// The JSON body of a chat request.
    fn body(&self, request: &GenerationRequest, n: usize, seed: u64) -> Value {
        let mut messages = Vec::with_capacity(2 + 2 * request.shots.len());
        if !request.system.is_empty() {
            messages.push(json!({"role": "system", "content": request.system}));
        }
        for shot in &request.shots {
            messages.push(json!({"role": "user", "content": shot.user}));
            messages.push(json!({"role": "assistant", "content": shot.assistant}));
        }
        messages.push(json!({"role": "user", "content": request.user}));
        let model = match &request.adapter {
            Some(AdapterRef::ModelName(name)) => name.as_str(),
            _ => self.config.model.as_str(),
        };
        let mut body = json!({
            "model": model,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": seed,
            "stream": false,
        });
        if n > 1 {
            body["n"] = json!(n);
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

    /// One HTTP exchange: the status and the whole body, or a transport failure.
    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<HttpReply, Failure> {
        let mut builder = builder.timeout(self.config.request_timeout);
        if let Some(key) = &self.config.api_key {
            builder = builder.bearer_auth(key);
        }
        let response = builder.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        Ok(HttpReply {
            status,
            body: body.to_vec(),
            retry_after,
        })
    }

    fn transport(&self, error: reqwest::Error) -> Failure {
        // A connect timeout is "cannot reach", not a slow answer.
        if error.is_timeout() && !error.is_connect() {
            Failure::Timeout
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

    /// Waits before the next attempt, or turns the last failure into the final error.
    async fn retry_or_fail(&self, failure: Failure, attempts: u32) -> anyhow::Result<()> {
        let retryable = match &failure {
            Failure::Transport(_) | Failure::Timeout | Failure::Malformed(_) => true,
            Failure::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
        };
        if !retryable || attempts > self.config.max_retries {
            return Err(self.final_error(failure, attempts));
        }
        let delay = match &failure {
            Failure::Status {
                retry_after: Some(wait),
                ..
            } => (*wait).min(RETRY_AFTER_CAP) + jitter(Duration::from_millis(50)),
            _ => backoff(attempts - 1),
        };
        tracing::warn!(
            "model server at {}: {} (attempt {attempts}); retrying in {:.1}s",
            self.api_root,
            describe(&failure),
            delay.as_secs_f64()
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    fn final_error(&self, failure: Failure, attempts: u32) -> anyhow::Error {
        let url = self.api_root.clone();
        let attempts = Attempts(attempts);
        let error = match failure {
            Failure::Transport(cause) => OpenAiError::Unreachable {
                url,
                cause: format!("{cause} ({attempts})"),
            },
            Failure::Timeout => OpenAiError::TimedOut {
                url,
                timeout: self.config.request_timeout,
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

    /// The first characters of a server body, with the API key scrubbed out.
    fn snippet(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
        if cut.len() < text.len() {
            cut.push_str("...");
        }
        self.scrub(&cut)
    }

    /// Removes the API key from text that is about to be shown.
    fn scrub(&self, text: &str) -> String {
        match &self.config.api_key {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "[redacted]"),
            _ => text.to_string(),
        }
    }
}

/// A whole HTTP answer.
struct HttpReply {
    status: StatusCode,
    body: Vec<u8>,
    retry_after: Option<Duration>,
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
                    Some(Served { id, aliases })
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
                })
            })
            .collect(),
    )
}

/// `Retry-After` in seconds (HTTP dates are not honoured: the backoff applies instead).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
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
        Failure::Timeout => "timed out".into(),
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
            Inner::candidates(&request, response, 1.0, 2)
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
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn models_lists() {
        let served = |id: &str, aliases: &[&str]| Served {
            id: id.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
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
