//! A scripted fake of an OpenAI-compatible server on loopback, for integration tests.
//!
//! Std only (a `TcpListener`, a thread per connection, `Connection: close`), so it works both
//! in-process and for the `rslm` binary run by `assert_cmd` (point `--base-url` at it).
//!
//! A module of the test binary (`crate::support::fake_openai`); `benches/loop.rs` includes the
//! same file with `#[path]`.
//!
//! ```ignore
//! let server = FakeOpenAi::start();                    // serves model "fake-model"
//! let server = FakeOpenAi::builder()
//!     .models(["a", "b"])                              // what GET /v1/models lists
//!     .n_mode(NMode::Ignore)                           // Honour (default) | Ignore | Reject
//!     .default_reply(Reply::text("```python\n...```")) // when the script is empty
//!     .responder(|req| Reply::text(answer_for(req.user_message())))
//!     .require_api_key("sk-x")                         // else 401 on every endpoint
//!     .without_chat_template()                         // chat answers 400; only /v1/completions generates
//!     .start();
//! server.base_url();          // "http://127.0.0.1:PORT/v1"
//! server.push(Reply::rate_limited(1));                 // scripted replies, used in order
//! server.push_all([Reply::status(500), Reply::delayed(Duration::from_millis(200), Reply::text("..."))]);
//! server.chat_requests();     // generation requests (POST /v1/chat/completions or /v1/completions) so far
//! server.max_in_flight();     // most chat requests being handled at once
//! server.requests();          // every request: method, path, headers, body (`.json()`, `.n()`, `.seed()`)
//! ```
//!
//! A chat request is answered by, in order: the `n` policy (`NMode::Reject` answers 400 to
//! `n > 1`, as llama.cpp's server does), the next scripted reply, the responder, the default
//! reply. `Reply::Text` gives one choice per requested `n` (or one under `NMode::Ignore`);
//! `Reply::Choices` gives exactly the listed choices whatever `n` was. `usage` counts words:
//! prompt = words of all messages, completion = words of all choices.
//! `POST /v1/completions` (the legacy endpoint: a `prompt` text, answered with `choices[].text`) is
//! a generation request like a chat one: same script, responder and `n` policy.
//! Also served: `GET /v1/models` (404 after `.no_models_endpoint()`), `GET /health`, and
//! `GET /lora-adapters` after `.lora_adapters([...])` (llama.cpp's list of loaded adapters; a
//! responder can answer by `req.applied_loras()` or `req.model()` to act as several adapters).
//! Dropping the server stops it and releases hanging connections.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// The model the server lists unless told otherwise.
pub const DEFAULT_MODEL: &str = "fake-model";
/// The answer when nothing else is scripted: a fenced Python function `answer`.
pub const DEFAULT_ANSWER: &str = "```python\ndef answer():\n    return 42\n```";
/// How long `Reply::Hang` holds a connection at most (dropping the server ends it sooner).
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// What the server does with one chat request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with this text as every choice (one per requested `n`, subject to `NMode`).
    Text(String),
    /// 200 with exactly these choices (an empty list gives `"choices": []`).
    Choices(Vec<String>),
    /// An error status with a JSON error body and an optional `Retry-After` header value.
    Status {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// Any status with a verbatim body (malformed JSON, HTML error pages, ...).
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Waits, then answers with the inner reply.
    Delayed(Duration, Box<Reply>),
    /// Never answers (until the server is dropped or `HANG_LIMIT` passes).
    Hang,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text(text.into())
    }

    /// An error status with an OpenAI-style error body.
    pub fn status(status: u16) -> Reply {
        Reply::status_message(status, &format!("fake error {status}"))
    }

    pub fn status_message(status: u16, message: &str) -> Reply {
        Reply::Status {
            status,
            body: json!({"error": {"message": message, "type": "fake_error"}}).to_string(),
            retry_after: None,
        }
    }

    /// 429 Too Many Requests with `Retry-After: seconds`.
    pub fn rate_limited(seconds: u64) -> Reply {
        Reply::Status {
            status: 429,
            body: json!({"error": {"message": "slow down", "type": "rate_limit"}}).to_string(),
            retry_after: Some(seconds.to_string()),
        }
    }

    /// 200 with a body that is not JSON.
    pub fn malformed() -> Reply {
        Reply::Raw {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"choices\": [{\"message\": ".into(),
        }
    }

    /// 200 with `"choices": []`.
    pub fn empty_choices() -> Reply {
        Reply::Choices(Vec::new())
    }

    pub fn delayed(delay: Duration, reply: Reply) -> Reply {
        Reply::Delayed(delay, Box::new(reply))
    }
}

/// How the server treats the `n` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NMode {
    /// Answers `n` choices.
    #[default]
    Honour,
    /// Answers one choice whatever `n` says.
    Ignore,
    /// Answers 400 to `n > 1` (llama.cpp's server).
    Reject,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    /// Header names in lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn is_chat(&self) -> bool {
        self.method == "POST" && self.path == "/v1/chat/completions"
    }

    /// A request to the legacy `POST /v1/completions` endpoint.
    pub fn is_completion(&self) -> bool {
        self.method == "POST" && self.path == "/v1/completions"
    }

    /// The `prompt` text of a completions request (empty otherwise).
    pub fn prompt(&self) -> String {
        self.json()
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The `n` field (1 when absent).
    pub fn n(&self) -> u64 {
        self.json().get("n").and_then(Value::as_u64).unwrap_or(1)
    }

    pub fn seed(&self) -> Option<u64> {
        self.json().get("seed").and_then(Value::as_u64)
    }

    pub fn model(&self) -> Option<String> {
        self.json()
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The content of the first message with this role.
    pub fn message(&self, role: &str) -> Option<String> {
        self.json()
            .get("messages")?
            .as_array()?
            .iter()
            .find(|m| m.get("role").and_then(Value::as_str) == Some(role))?
            .get("content")?
            .as_str()
            .map(str::to_string)
    }

    /// The ids of the llama.cpp adapters this request applies (`"lora"` entries with a scale
    /// other than 0), sorted; empty for the base model.
    pub fn applied_loras(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .json()
            .get("lora")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|e| e.get("scale").and_then(Value::as_f64).unwrap_or(0.0) != 0.0)
                    .filter_map(|e| e.get("id").and_then(Value::as_u64))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// The last user message: the task itself, after any worked examples sent as earlier turns.
    /// For a completions request, the whole prompt text.
    pub fn user_message(&self) -> String {
        if self.is_completion() {
            return self.prompt();
        }
        self.messages()
            .into_iter()
            .rev()
            .find(|(role, _)| role == "user")
            .map(|(_, content)| content)
            .unwrap_or_default()
    }

    /// Every message as (role, content), in order.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.json()
            .get("messages")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .map(|m| {
                        let field = |k: &str| {
                            m.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        (field("role"), field("content"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn system_message(&self) -> String {
        self.message("system").unwrap_or_default()
    }
}

type Responder = Arc<dyn Fn(&SeenRequest) -> Reply + Send + Sync>;

/// Configures a server before it starts.
pub struct Builder {
    models: Option<Vec<String>>,
    api_key: Option<String>,
    n_mode: NMode,
    default_reply: Reply,
    responder: Option<Responder>,
    lora_adapters: Option<Vec<String>>,
    chat_template: bool,
}

impl Builder {
    /// A base model without a chat template: the chat endpoint answers 400 (as llama.cpp's
    /// server does then), and only `POST /v1/completions` generates.
    pub fn without_chat_template(mut self) -> Builder {
        self.chat_template = false;
        self
    }

    /// `GET /lora-adapters` (at the server root, as llama.cpp's server) lists these files with
    /// ids 0, 1, ... in order, at scale 0; without this call it answers 404.
    pub fn lora_adapters<I, S>(mut self, paths: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.lora_adapters = Some(paths.into_iter().map(Into::into).collect());
        self
    }

    /// The ids `GET /v1/models` lists.
    pub fn models<I, S>(mut self, models: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models = Some(models.into_iter().map(Into::into).collect());
        self
    }

    /// `GET /v1/models` answers 404.
    pub fn no_models_endpoint(mut self) -> Builder {
        self.models = None;
        self
    }

    /// Every endpoint answers 401 unless `Authorization: Bearer key` is sent; the error body
    /// quotes the header it got, as some hosted APIs do (to test that clients scrub it).
    pub fn require_api_key(mut self, key: impl Into<String>) -> Builder {
        self.api_key = Some(key.into());
        self
    }

    pub fn n_mode(mut self, mode: NMode) -> Builder {
        self.n_mode = mode;
        self
    }

    pub fn default_reply(mut self, reply: Reply) -> Builder {
        self.default_reply = reply;
        self
    }

    /// Computes the reply for any request the script does not cover.
    pub fn responder(
        mut self,
        responder: impl Fn(&SeenRequest) -> Reply + Send + Sync + 'static,
    ) -> Builder {
        self.responder = Some(Arc::new(responder));
        self
    }

    /// Binds a loopback port and starts serving.
    pub fn start(self) -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                script: VecDeque::new(),
                requests: Vec::new(),
            }),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            chat_requests: AtomicUsize::new(0),
            models: self.models,
            api_key: self.api_key,
            n_mode: self.n_mode,
            chat_template: self.chat_template,
            default_reply: self.default_reply,
            responder: self.responder,
            lora_adapters: self.lora_adapters,
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    // A client that went away mid-answer is not the fake's problem.
                    let _ = serve(&shared, stream);
                });
            }
        });
        FakeOpenAi {
            addr,
            shared,
            accept: Some(accept),
        }
    }
}

/// A running fake server; stops when dropped.
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    stopping: AtomicBool,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    chat_requests: AtomicUsize,
    models: Option<Vec<String>>,
    api_key: Option<String>,
    n_mode: NMode,
    chat_template: bool,
    default_reply: Reply,
    responder: Option<Responder>,
    lora_adapters: Option<Vec<String>>,
}

struct State {
    script: VecDeque<Reply>,
    requests: Vec<SeenRequest>,
}

impl FakeOpenAi {
    /// A server with the defaults: model `fake-model`, honours `n`, answers `DEFAULT_ANSWER`.
    pub fn start() -> FakeOpenAi {
        FakeOpenAi::builder().start()
    }

    pub fn builder() -> Builder {
        Builder {
            models: Some(vec![DEFAULT_MODEL.to_string()]),
            api_key: None,
            n_mode: NMode::Honour,
            default_reply: Reply::text(DEFAULT_ANSWER),
            responder: None,
            lora_adapters: None,
            chat_template: true,
        }
    }

    /// The API root to configure a client with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next chat request.
    pub fn push(&self, reply: Reply) {
        self.state().script.push_back(reply);
    }

    pub fn push_all(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state().script.extend(replies);
    }

    /// Chat requests received so far (including rejected ones).
    pub fn chat_requests(&self) -> usize {
        self.shared.chat_requests.load(Ordering::SeqCst)
    }

    /// The most chat requests that were being handled at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state().requests.clone()
    }

    /// The chat requests received so far.
    pub fn chat_log(&self) -> Vec<SeenRequest> {
        self.requests()
            .into_iter()
            .filter(SeenRequest::is_chat)
            .collect()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Handles one connection: one request, one answer, close.
fn serve(shared: &Shared, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request = SeenRequest {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let lock = || {
        shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    lock().requests.push(request.clone());

    let mut out = stream;
    if let Some(key) = &shared.api_key {
        let sent = request.header("authorization").unwrap_or("");
        if sent != format!("Bearer {key}") {
            if request.is_chat() || request.is_completion() {
                shared.chat_requests.fetch_add(1, Ordering::SeqCst);
            }
            let body = error_body(&format!("Incorrect API key provided: {sent}"));
            return respond(&mut out, 401, "application/json", None, &body);
        }
    }
    if !request.is_chat() && !request.is_completion() {
        let (status, body) = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/v1/models") => match &shared.models {
                Some(models) => (200, models_body(models)),
                None => (404, error_body("not found")),
            },
            ("GET", "/health") => (200, json!({"status": "ok"}).to_string()),
            ("GET", "/lora-adapters") => match &shared.lora_adapters {
                Some(paths) => (
                    200,
                    Value::Array(
                        paths
                            .iter()
                            .enumerate()
                            .map(|(id, path)| json!({"id": id, "path": path, "scale": 0.0}))
                            .collect(),
                    )
                    .to_string(),
                ),
                None => (404, error_body("not found")),
            },
            _ => (404, error_body("not found")),
        };
        return respond(&mut out, status, "application/json", None, &body);
    }

    shared.chat_requests.fetch_add(1, Ordering::SeqCst);
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = if request.is_chat() && !shared.chat_template {
        Reply::status_message(400, "this model has no chat template: use /v1/completions")
    } else if shared.n_mode == NMode::Reject && request.n() > 1 {
        Reply::status_message(400, "Only one completion choice is allowed")
    } else {
        let scripted = lock().script.pop_front();
        scripted
            .or_else(|| shared.responder.as_ref().map(|r| r(&request)))
            .unwrap_or_else(|| shared.default_reply.clone())
    };
    let answer = render(shared, &request, reply);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    match answer {
        Some((status, content_type, retry_after, body)) => respond(
            &mut out,
            status,
            &content_type,
            retry_after.as_deref(),
            &body,
        ),
        None => Ok(()),
    }
}

/// Turns a reply into (status, content type, Retry-After, body); `None` for a hang.
fn render(
    shared: &Shared,
    request: &SeenRequest,
    reply: Reply,
) -> Option<(u16, String, Option<String>, String)> {
    let json_type = || "application/json".to_string();
    match reply {
        Reply::Text(text) => {
            let count = match shared.n_mode {
                NMode::Ignore => 1,
                _ => request.n().max(1),
            };
            let choices = (0..count).map(|_| text.clone()).collect();
            Some((200, json_type(), None, completion(request, choices)))
        }
        Reply::Choices(choices) => Some((200, json_type(), None, completion(request, choices))),
        Reply::Status {
            status,
            body,
            retry_after,
        } => Some((status, json_type(), retry_after, body)),
        Reply::Raw {
            status,
            content_type,
            body,
        } => Some((status, content_type, None, body)),
        Reply::Delayed(delay, inner) => {
            wait(shared, delay);
            if shared.stopping.load(Ordering::SeqCst) {
                return None;
            }
            render(shared, request, *inner)
        }
        Reply::Hang => {
            wait(shared, HANG_LIMIT);
            None
        }
    }
}

/// Sleeps up to `limit`, waking early when the server stops.
fn wait(shared: &Shared, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    let mut guard = shared
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while !shared.stopping.load(Ordering::SeqCst) {
        let now = std::time::Instant::now();
        if now >= deadline {
            break;
        }
        guard = match shared.wake.wait_timeout(guard, deadline - now) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        };
    }
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn completion(request: &SeenRequest, choices: Vec<String>) -> String {
    let json = request.json();
    let prompt: usize = json
        .get("messages")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m.get("content").and_then(Value::as_str))
                .map(words)
                .sum()
        })
        .unwrap_or_else(|| words(&request.prompt()));
    let completion: usize = choices.iter().map(|c| words(c)).sum();
    let legacy = request.is_completion();
    let choices: Vec<Value> = choices
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            if legacy {
                json!({"index": i, "text": text, "finish_reason": "stop"})
            } else {
                json!({
                    "index": i,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                })
            }
        })
        .collect();
    json!({
        "id": if legacy { "cmpl-fake" } else { "chatcmpl-fake" },
        "object": if legacy { "text_completion" } else { "chat.completion" },
        "created": 0,
        "model": json.get("model").cloned().unwrap_or(Value::Null),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    })
    .to_string()
}

fn models_body(models: &[String]) -> String {
    let data: Vec<Value> = models
        .iter()
        .map(|m| json!({"id": m, "object": "model", "owned_by": "fake"}))
        .collect();
    json!({"object": "list", "data": data}).to_string()
}

fn error_body(message: &str) -> String {
    json!({"error": {"message": message, "type": "fake_error"}}).to_string()
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    retry_after: Option<&str>,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(seconds) = retry_after {
        head = format!("{head}Retry-After: {seconds}\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    out.shutdown(std::net::Shutdown::Write)
}
