//! Model servers that rslm runs itself: start one, wait until it answers, give it a new set of
//! LoRA adapters (llama.cpp: a restart with one `--lora` per adapter; vLLM: loaded at runtime
//! through `POST /v1/load_lora_adapter`, by name), and stop it, with no stray process on any exit
//! path. Every server runs in its own process group recorded in a state file
//! (`STATE_DIR/rslm-server-NAME.json`: pid, group, URL, model, adapters, log), and stopping
//! signals the whole group. A server rslm did not start (a URL) is used as it is: `capabilities`
//! says what it can do.
//!
//! llama.cpp runs through the project's `xllamacpp` environment and SmolLM2, both installed by
//! `scripts/model_server.sh install` under `.rslm/`; the serving script `model_server.py` is
//! compiled in. vLLM is `vllm serve` on PATH (not runnable on this machine: it is implemented
//! against its documented API and tested against a fake server). `command` runs any program that
//! serves the OpenAI API on the port it is given (`{port}` in its arguments).

mod http;
pub mod process;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The serving script for llama.cpp, compiled in so an installed rslm needs no checkout.
const LLAMACPP_SCRIPT: &str = include_str!("../../scripts/model_server.py");
/// The model name the llama.cpp server answers to (as scripts/model_server.sh names it).
pub const LLAMACPP_ALIAS: &str = "SmolLM2-135M-Instruct-Q4_1";
/// The installed model (scripts/model_server.sh install).
pub const LLAMACPP_MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const INSTALL_HINT: &str =
    "run scripts/model_server.sh install (xllamacpp and SmolLM2 under .rslm/)";

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    /// llama.cpp's server (xllamacpp) with SmolLM2; adapters need a restart.
    Llamacpp,
    /// vLLM; adapters load at runtime by name.
    Vllm,
    /// Any program given on the command line.
    Command,
}

/// An adapter a server is asked to serve: its registry name and its file (llama.cpp: the
/// GGUF) or folder (vLLM: the PEFT folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedAdapter {
    pub name: String,
    pub path: PathBuf,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub kind: ServerKind,
    /// Where the state file, the log and the serving script live.
    pub state_dir: PathBuf,
    /// Several servers may share a state dir under different names.
    pub name: String,
    /// 0: a free port.
    pub port: u16,
    /// llama.cpp: a GGUF file [default: .rslm/models/SmolLM2]; vLLM: a model id or folder.
    pub model: Option<String>,
    pub threads: Option<u32>,
    pub parallel: u32,
    pub ctx: u32,
    /// `command`: the program and its arguments, `{port}` replaced by the port.
    pub command: Vec<String>,
    pub adapters: Vec<ServedAdapter>,
    pub start_timeout: Duration,
    /// Stop the server when rslm exits, however it exits (a server a self-improve run manages);
    /// `rslm server start` leaves it running.
    pub tie_to_rslm: bool,
}

/// What the state file records about a running server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerState {
    pub kind: ServerKind,
    pub pid: u32,
    /// The process group (the server leads its own).
    pub pgid: u32,
    pub port: u16,
    /// e.g. http://127.0.0.1:PORT/v1
    pub base_url: String,
    pub model: String,
    pub adapters: Vec<ServedAdapter>,
    pub log: PathBuf,
    pub started_unix: u64,
}

impl ServerConfig {
    fn state_file(&self) -> PathBuf {
        state_file(&self.state_dir, &self.name)
    }
}

/// The state file of server `name` in `state_dir`.
pub fn state_file(state_dir: &Path, name: &str) -> PathBuf {
    state_dir.join(format!("rslm-server-{name}.json"))
}

/// A server rslm started in this process. Dropping it stops it (and every process of its
/// group) unless `detach` was called.
pub struct ManagedServer {
    pub config: ServerConfig,
    pub state: ServerState,
    child: Option<Child>,
}

impl ManagedServer {
    /// Leaves the server running (`rslm server start`); `rslm server stop` ends it.
    pub fn detach(mut self) -> ServerState {
        self.child = None;
        self.state.clone()
    }

    fn stop_inner(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let result = process::stop_group(self.state.pgid, Some(&mut child));
        remove_state_if_ours(&self.config.state_file(), self.state.pid);
        result.map(|_| ())
    }

    /// Makes the server serve `wanted` (and whatever else it serves): vLLM loads the missing
    /// ones at runtime; llama.cpp restarts with exactly `wanted`. Returns whether anything changed.
    pub fn serve_adapters(&mut self, wanted: &[ServedAdapter]) -> anyhow::Result<bool> {
        let missing: Vec<&ServedAdapter> = wanted
            .iter()
            .filter(|w| !self.state.adapters.contains(w))
            .collect();
        if missing.is_empty() {
            return Ok(false);
        }
        match self.config.kind {
            ServerKind::Vllm => {
                for adapter in missing {
                    load_vllm_adapter(&self.state.base_url, adapter)?;
                    self.state.adapters.push(adapter.clone());
                }
                write_state(&self.config.state_file(), &self.state)?;
            }
            ServerKind::Llamacpp | ServerKind::Command => {
                eprintln!(
                    "model server: restarting with {} adapter(s): {}",
                    wanted.len(),
                    wanted
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.stop_inner()?;
                let mut config = self.config.clone();
                config.adapters = wanted.to_vec();
                config.port = self.state.port;
                let mut restarted = start(&config)?;
                self.config = config;
                self.state = restarted.state.clone();
                // The handle keeps the child: `restarted` is left with nothing to stop.
                self.child = restarted.child.take();
            }
        }
        Ok(true)
    }
}

impl Drop for ManagedServer {
    fn drop(&mut self) {
        if let Err(e) = self.stop_inner() {
            eprintln!("model server: {e:#}");
        }
    }
}

/// Starts a server and waits until it answers `/v1/models`; vLLM then loads the adapters.
/// A server that dies or does not answer in time is stopped, group and all, and the error
/// quotes the end of its log.
pub fn start(config: &ServerConfig) -> anyhow::Result<ManagedServer> {
    std::fs::create_dir_all(&config.state_dir)
        .with_context(|| format!("cannot create {}", config.state_dir.display()))?;
    if let Some(running) = status(&config.state_dir, &config.name)? {
        anyhow::bail!(
            "a model server named {} already runs (pid {}, {}); stop it first: rslm server stop --name {}",
            config.name,
            running.pid,
            running.base_url,
            config.name
        );
    }
    let port = match config.port {
        0 => free_port()?,
        p => p,
    };
    let log = config
        .state_dir
        .join(format!("rslm-server-{}.log", config.name));
    let command = command_line(config, port)?;
    let child = process::spawn(command, &log, config.tie_to_rslm)?;
    let pid = child.id();
    let mut server = ManagedServer {
        config: config.clone(),
        state: ServerState {
            kind: config.kind,
            pid,
            pgid: pid,
            port,
            base_url: format!("http://127.0.0.1:{port}/v1"),
            model: String::new(),
            adapters: Vec::new(),
            log: log.clone(),
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        },
        child: Some(child),
    };
    // Written at once: `rslm server stop` finds a server that is still starting.
    write_state(&config.state_file(), &server.state)?;
    server.state.model = wait_healthy(&mut server, config.start_timeout)?;
    if config.kind != ServerKind::Vllm {
        server.state.adapters = config.adapters.clone();
    }
    write_state(&config.state_file(), &server.state)?;
    if config.kind == ServerKind::Vllm && !config.adapters.is_empty() {
        server.serve_adapters(&config.adapters)?;
    }
    Ok(server)
}

/// Polls `/v1/models` until it lists a model; fails (the caller's drop stops the group) when
/// the process exits, Ctrl-C is pressed or the time is up.
fn wait_healthy(server: &mut ManagedServer, timeout: Duration) -> anyhow::Result<String> {
    let started = Instant::now();
    let url = format!("{}/models", server.state.base_url);
    let mut last: String;
    loop {
        if let Some(status) = server
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            anyhow::bail!(
                "the model server exited during start-up ({status}); last lines of {}:\n{}",
                server.state.log.display(),
                tail(&server.state.log, 20)
            );
        }
        if crate::stop::flag().load(std::sync::atomic::Ordering::SeqCst) {
            anyhow::bail!("interrupted while the model server was starting; it was stopped");
        }
        match http::call("GET", &url, None, Duration::from_secs(5)) {
            Ok(answer) if answer.ok() => {
                let model = answer
                    .json()
                    .and_then(|v| v["data"][0]["id"].as_str().map(str::to_string));
                match model {
                    Some(m) => return Ok(m),
                    None => last = "/v1/models lists no model".into(),
                }
            }
            Ok(answer) => last = format!("/v1/models answered HTTP {}", answer.status),
            Err(e) => last = format!("{e:#}"),
        }
        if started.elapsed() > timeout {
            anyhow::bail!(
                "the model server did not answer within {} s ({last}); it was stopped. Last lines of {}:\n{}",
                timeout.as_secs(),
                server.state.log.display(),
                tail(&server.state.log, 20)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The last `lines` lines of a log, indented.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// The command that runs the server on `port`.
fn command_line(config: &ServerConfig, port: u16) -> anyhow::Result<Command> {
    match config.kind {
        ServerKind::Command => {
            let Some((program, args)) = config.command.split_first() else {
                crate::usage!("a `command` server needs its program after `--`");
            };
            let mut command = Command::new(program);
            command.args(args.iter().map(|a| a.replace("{port}", &port.to_string())));
            command.env("RSLM_SERVER_ADAPTERS", adapters_arg(&config.adapters));
            Ok(command)
        }
        ServerKind::Llamacpp => llamacpp_command(config, port),
        ServerKind::Vllm => {
            let Some(model) = &config.model else {
                crate::usage!("a vLLM server needs --model (a model id or folder)");
            };
            let mut command = Command::new(std::env::var("RSLM_VLLM").unwrap_or("vllm".into()));
            command
                .args(["serve", model, "--host", "127.0.0.1", "--port"])
                .arg(port.to_string())
                .args(["--enable-lora", "--max-lora-rank", "64", "--max-loras", "4"])
                // Documented switch for /v1/load_lora_adapter.
                .env("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True");
            Ok(command)
        }
    }
}

/// `NAME=PATH,...`: the adapters a `command` server is asked to serve (tests read it).
fn adapters_arg(adapters: &[ServedAdapter]) -> String {
    adapters
        .iter()
        .map(|a| format!("{}={}", a.name, a.path.display()))
        .collect::<Vec<_>>()
        .join(",")
}

fn llamacpp_command(config: &ServerConfig, port: u16) -> anyhow::Result<Command> {
    let root = PathBuf::from(".rslm");
    let python = std::env::var_os("RSLM_MODEL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("model-venv/bin/python"));
    let model = config
        .model
        .clone()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("models").join(LLAMACPP_MODEL));
    let mut missing = Vec::new();
    if !python.exists() {
        missing.push(format!("the server environment {}", python.display()));
    }
    if !model.exists() {
        missing.push(format!("the model {}", model.display()));
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "cannot start llama.cpp: {} missing; {INSTALL_HINT}",
            missing.join(" and ")
        );
    }
    let script = config.state_dir.join("model_server.py");
    std::fs::write(&script, LLAMACPP_SCRIPT)
        .with_context(|| format!("cannot write {}", script.display()))?;
    let threads = config.threads.unwrap_or_else(|| {
        // One core fewer than the machine has (docs/model-server.md: measured on shared cores).
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1).max(1) as u32)
            .unwrap_or(1)
    });
    let server_state = config
        .state_dir
        .join(format!("rslm-server-{}.llamacpp.json", config.name));
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg("serve")
        .arg("--model")
        .arg(std::path::absolute(&model)?)
        .args(["--alias", LLAMACPP_ALIAS, "--state"])
        .arg(server_state)
        .args(["--port", &port.to_string()])
        .args(["--threads", &threads.to_string()])
        .args(["--parallel", &config.parallel.to_string()])
        .args(["--ctx", &config.ctx.to_string()]);
    for adapter in &config.adapters {
        command
            .arg("--lora")
            .arg(std::path::absolute(&adapter.path)?);
    }
    Ok(command)
}

/// vLLM's runtime adapter loading: `POST /v1/load_lora_adapter {"lora_name", "lora_path"}`;
/// the adapter is then requested by its name as the model.
fn load_vllm_adapter(base_url: &str, adapter: &ServedAdapter) -> anyhow::Result<()> {
    let url = format!("{base_url}/load_lora_adapter");
    let body = serde_json::json!({
        "lora_name": adapter.name,
        "lora_path": std::path::absolute(&adapter.path)?.display().to_string(),
    });
    let answer = http::call("POST", &url, Some(&body), Duration::from_secs(300))?;
    if !answer.ok() {
        anyhow::bail!(
            "the vLLM server did not load adapter {} (HTTP {}: {}); it needs VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora",
            adapter.name,
            answer.status,
            answer.body.chars().take(300).collect::<String>()
        );
    }
    Ok(())
}

fn write_state(path: &Path, state: &ServerState) -> anyhow::Result<()> {
    crate::output::write_json(path, &serde_json::to_value(state)?)
}

fn remove_state_if_ours(path: &Path, pid: u32) {
    if read_state(path).is_some_and(|s| s.pid == pid) {
        let _ = std::fs::remove_file(path);
    }
}

fn read_state(path: &Path) -> Option<ServerState> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The server named `name` if it runs; a state file whose process is gone is removed.
pub fn status(state_dir: &Path, name: &str) -> anyhow::Result<Option<ServerState>> {
    let path = state_file(state_dir, name);
    let Some(state) = read_state(&path) else {
        return Ok(None);
    };
    if process::group_alive(state.pgid) {
        return Ok(Some(state));
    }
    let _ = std::fs::remove_file(&path);
    Ok(None)
}

/// Stops the server named `name` (every process of its group). Returns its state, or `None`
/// when none was running.
pub fn stop(state_dir: &Path, name: &str) -> anyhow::Result<Option<ServerState>> {
    let Some(state) = status(state_dir, name)? else {
        return Ok(None);
    };
    process::stop_group(state.pgid, None)?;
    let _ = std::fs::remove_file(state_file(state_dir, name));
    Ok(Some(state))
}

/// What a server rslm does not own can do with adapters, read from its endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// llama.cpp's `GET /lora-adapters` answered: adapters are chosen per request by id, but
    /// only those it was started with.
    pub lists_adapters: bool,
    /// The adapters it loads (llama.cpp).
    pub loaded: Vec<String>,
    /// What rslm cannot do with it, in words.
    pub cannot: Vec<String>,
}

/// Probes a server at `base_url` that rslm does not own.
pub fn capabilities(base_url: &str) -> Capabilities {
    let root = base_url.trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    let listed = http::call(
        "GET",
        &format!("{root}/lora-adapters"),
        None,
        Duration::from_secs(10),
    )
    .ok()
    .filter(Answer::ok)
    .and_then(|a| a.json());
    let loaded: Vec<String> = listed
        .as_ref()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .collect();
    let mut cannot =
        vec!["restart it with a new set of adapters (rslm did not start it)".to_string()];
    if listed.is_none() {
        cannot.push(
            "list its adapters (no GET /lora-adapters): vLLM loads them at runtime by name if started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
                .to_string(),
        );
    }
    Capabilities {
        lists_adapters: listed.is_some(),
        loaded,
        cannot,
    }
}

use http::Answer;
