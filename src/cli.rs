//! The command line: one `enum` of subcommands, each with its own `Args` in `commands/`, and the
//! argument groups they share. Values may come from flags or `RSLM_*` environment variables;
//! clap shows both in `--help`, and a bad environment value is reported naming the variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

const EXIT_CODES: &str = "Exit codes: 0 success, 1 failure (bad data, unreachable server, I/O), 2 usage error (bad flag, value or environment variable).\nLogs go to stderr (filter with RSLM_LOG, e.g. RSLM_LOG=debug); results go to stdout.";

/// rslm: a verification-gated self-improvement lab for small code language models.
#[derive(Debug, Parser)]
#[command(name = "rslm", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the SQLite store (idempotent).
    InitDb(commands::init_db::Args),
    /// Validate the bundled task set, or regenerate a task set with --regen.
    SeedTasks(commands::seed_tasks::Args),
    /// Plot eval results: one run as bars with 95% intervals, several runs as lines over runs.
    Plot(commands::plot::Args),
    /// Attempt tasks: k candidates each, verify them, store only what passed.
    RunIteration(commands::run_iteration::Args),
    /// Turn verified episodes into procedures and rules.
    Consolidate(commands::consolidate::Args),
    /// Evaluate the conditions on the held-out split, with intervals and paired tests.
    Eval(commands::eval::Args),
    /// Write one condition of a stored eval as a samples JSONL (human-eval or evalplus).
    ExportSamples(commands::export_samples::Args),
    /// The loop: --rounds R of generate, consolidate, train, gate and eval (resumable), or
    /// --cycles N of run-iteration, consolidate and eval (memory only).
    SelfImprove(Box<commands::self_improve::Args>),
    /// Inspect, retire or restore consolidated rules.
    Rules(commands::knowledge::Args),
    /// Inspect, retire or restore consolidated procedures.
    Procedures(commands::knowledge::Args),
    /// Verify one candidate (prints its verdict) or a samples JSONL (results and pass@k).
    Verify(commands::verify::Args),
    /// Convert an external benchmark (HumanEval) into a task JSONL.
    ImportTasks(commands::import_tasks::Args),
    /// Train a LoRA adapter on verified episodes of train-pool tasks and register it (inactive).
    TrainLora(commands::train_lora::Args),
    /// Convert a PEFT LoRA adapter to the GGUF LoRA file llama.cpp loads (no Python needed).
    ConvertLora(commands::convert_lora::Args),
    /// List the registered adapters and which one is active.
    ListAdapters(commands::adapters::ListArgs),
    /// Make one adapter the active one (or --none); recorded in the activation history.
    SetActiveAdapter(commands::adapters::SetActiveArgs),
    /// Return to the previously active adapter (or to none); with --name X, only when X is the
    /// active one (the original's meaning: take X out of service).
    RollbackAdapter(commands::adapters::RollbackArgs),
    /// The promotion gate: activate a candidate adapter only if it beats the active one (or the
    /// base model) on the held-out set and does not regress on a check set.
    PromoteAdapter(commands::promote_adapter::Args),
    /// Delete the verified episodes, failures, procedures and rules (the original's command);
    /// runs, eval results and adapters are kept.
    WipeMemory(commands::wipe_memory::Args),
    /// Run a model server (llama.cpp, vLLM or any command) in its own process group: start,
    /// stop, status, env.
    Server(commands::server::Args),
}

/// `--db`: the SQLite store.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// SQLite database file.
    #[arg(long, env = "RSLM_DB", default_value = "artifacts/memory.sqlite")]
    pub db: PathBuf,
}

/// `--tasks` and the train/dev/held-out split: every command that uses tasks takes these, so
/// they all see the same split.
#[derive(Debug, Clone, Args)]
pub struct TaskSetArgs {
    /// Task set: `bundled` (compiled in) or a path to a JSONL file.
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    /// Number of tasks held out for evaluation (never written to memory or training data); with
    /// `--split family`, whole families until at least this many.
    #[arg(long, default_value_t = 40)]
    pub heldout_size: usize,
    /// Seed of the deterministic split: tasks (or families) sorted by sha256 of the seed and
    /// their id (or name).
    #[arg(long, default_value_t = crate::tasks::split::DEFAULT_SPLIT_SEED)]
    pub split_seed: u64,
    /// How tasks are held out: `hash` (the original's, task by task) or `family` (whole
    /// families, so memory and training never see a held-out task's template).
    #[arg(long = "split", value_enum, default_value = "hash")]
    pub split: SplitArg,
    /// Tasks of a dev split, taken after the held-out ones the same way, for choosing prompts
    /// and settings (`eval --eval-split dev`); never remembered or trained on.
    #[arg(long, default_value_t = 0)]
    pub dev_size: usize,
}

/// `--split`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
    Hash,
    Family,
}

impl TaskSetArgs {
    /// The domain's view of these flags.
    pub fn config(&self) -> crate::tasks::split::SplitConfig {
        use crate::tasks::split::SplitKind;
        crate::tasks::split::SplitConfig {
            source: crate::tasks::loader::TaskSource::parse(&self.tasks),
            kind: match self.split {
                SplitArg::Hash => SplitKind::Hash,
                SplitArg::Family => SplitKind::Family,
            },
            heldout_size: self.heldout_size,
            dev_size: self.dev_size,
            seed: self.split_seed,
        }
    }
}

/// The lab a pipeline command opens: its store, task split, backend and verifier.
pub fn lab_config(
    db: &DbArg,
    tasks: &TaskSetArgs,
    backend: &BackendArgs,
    verify: &VerifyArgs,
    store: crate::lab::StoreAccess,
) -> crate::lab::LabConfig {
    crate::lab::LabConfig {
        db: db.db.clone(),
        store,
        split: tasks.config(),
        backend: backend.config(),
        verifier: verify.config(),
    }
}

/// A time budget for one phase of work (an iteration's run, an eval).
#[derive(Debug, Clone, clap::Args)]
pub struct TimeBudgetArg {
    /// Stop after this many seconds, as Ctrl-C would: the tasks in flight finish, a run is
    /// left `interrupted` (`--resume` continues it), an eval ends with an error. Said up front.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub time_budget: Option<u64>,
}

impl TimeBudgetArg {
    pub fn duration(&self) -> Option<std::time::Duration> {
        self.time_budget.map(std::time::Duration::from_secs)
    }
}

/// Environment variables a command reads that no option of its own shows as `[env: ...]`
/// (fallbacks, the API key, start-up and diagnostic settings): each listed in the `--help` of
/// every command that reads it, keyed by an option only such commands have.
const ENVIRONMENT_NOTES: &[(&str, &str)] = &[
    (
        "backend",
        "OPENAI_BASE_URL  server URL when neither --base-url nor RSLM_BASE_URL is set",
    ),
    (
        "backend",
        "RSLM_API_KEY  bearer token, else OPENAI_API_KEY (environment only; never logged or stored)",
    ),
    (
        "python",
        "RSLM_VERIFY_START_TIMEOUT  seconds a verifier worker may take to start (default 60)",
    ),
    (
        "python",
        "RSLM_VERIFY_DISABLE  isolation layers to leave out, for diagnosis only",
    ),
    (
        "learning_rate",
        "RSLM_TRAIN_PYTHON  training interpreter (default .rslm/train-venv/bin/python)",
    ),
];

/// The command tree, each subcommand's help ending with the environment it reads beyond its
/// options (`ENVIRONMENT_NOTES`) and the exit codes.
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    Cli::command().mut_subcommands(|sub| {
        let lines: Vec<&str> = ENVIRONMENT_NOTES
            .iter()
            .filter(|(arg, _)| sub.get_arguments().any(|a| a.get_id() == *arg))
            .map(|(_, line)| *line)
            .collect();
        if lines.is_empty() {
            return sub.after_help(EXIT_CODES);
        }
        let text = format!("Environment:\n  {}\n\n{EXIT_CODES}", lines.join("\n  "));
        sub.after_help(text)
    })
}

/// Rewrites clap's message for a bad value that came from an environment variable, so the
/// user learns which variable to fix.
pub fn explain_env_error(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        err.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return None;
    }
    let bad = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) => v.clone(),
        _ => return None,
    };
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => a.clone(),
        _ => String::new(),
    };
    let flag = arg
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    // Only blame the environment when the flag was not given on the command line.
    if std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}="))) {
        return None;
    }
    let (name, _) = std::env::vars().find(|(k, v)| k.starts_with("RSLM_") && *v == bad)?;
    let reason = err.to_string();
    let detail = reason
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    Some(format!(
        "environment variable {name}={bad:?} is not valid for {flag}: {detail}"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_tree_is_consistent() {
        super::command().debug_assert();
    }
}

/// The generation backend and its sampling settings.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Generation backend.
    #[arg(long, env = "RSLM_BACKEND", value_enum, default_value = "mock")]
    pub backend: crate::backend::BackendKind,
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (when neither
    /// this nor RSLM_BASE_URL is set: OPENAI_BASE_URL).
    #[arg(long, env = "RSLM_BASE_URL")]
    pub base_url: Option<String>,
    /// Model name as the server knows it.
    #[arg(long, env = "RSLM_MODEL")]
    pub model: Option<String>,
    /// API key, sent as a bearer token; never logged or stored. Read from the environment only
    /// (a flag would show it in the process list), so the flag is hidden and the variables are
    /// listed in the command's help (`ENVIRONMENT_NOTES`).
    #[arg(
        long = "api-key-from-env",
        env = "RSLM_API_KEY",
        hide_env_values = true,
        hide = true
    )]
    pub api_key: Option<String>,
    /// Endpoint (openai backend): `chat` sends chat messages and the server applies the model's
    /// chat template; `completions` sends to /v1/completions one plain text, with no chat
    /// template: the system text, each worked example's task and verified code, then the task,
    /// separated by blank lines (for base models and servers without a chat template).
    #[arg(long, value_enum, default_value = "chat")]
    pub api: crate::backend::Api,
    /// Nucleus sampling: only the most likely tokens up to this probability mass, in (0, 1]
    /// (openai backend; sent only when given).
    #[arg(long, value_parser = top_p)]
    pub top_p: Option<f32>,
    /// Sample only from the K most likely tokens, 1 to 1000 (openai backend; sent only when
    /// given; llama.cpp and vLLM honour it, OpenAI's own API rejects it).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_TOP_K))]
    pub top_k: Option<u32>,
    /// Stop generating before this text; repeat for several, at most 4, each 1 to 256 bytes
    /// (openai backend).
    #[arg(long = "stop", value_name = "TEXT", value_parser = stop_sequence)]
    pub stop: Vec<String>,
    /// Sampling temperature.
    #[arg(long, env = "RSLM_TEMPERATURE", default_value_t = 0.2, value_parser = temperature)]
    pub temperature: f32,
    /// Maximum tokens per completion.
    #[arg(long, env = "RSLM_MAX_TOKENS", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=MAX_TOKENS))]
    pub max_tokens: u32,
    /// Requests in flight at once (openai backend).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Seconds one attempt at a request to the model server may take (openai backend).
    #[arg(long, env = "RSLM_REQUEST_TIMEOUT", default_value_t = 120.0, value_parser = positive_seconds)]
    pub request_timeout: f64,
    /// Seconds one request to the model server may take in all, retries and waits included
    /// (openai backend).
    #[arg(long, env = "RSLM_REQUEST_DEADLINE", default_value_t = 300.0, value_parser = positive_seconds)]
    pub request_deadline: f64,
    /// Extra attempts after a connection error, a timeout, 429 or 5xx (openai backend; at most 20).
    #[arg(long, env = "RSLM_MAX_RETRIES", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(0..=MAX_RETRIES))]
    pub max_retries: u32,
}

impl BackendArgs {
    /// The domain's view of these flags (clap has range-checked them).
    pub fn config(&self) -> crate::backend::BackendConfig {
        // The RSLM_ variables (and the flag) win; OpenAI's conventional ones are fallbacks.
        let (base_url, base_url_origin) = match &self.base_url {
            Some(url) => (Some(url.clone()), "--base-url (RSLM_BASE_URL)"),
            None => (non_empty_env("OPENAI_BASE_URL"), "OPENAI_BASE_URL"),
        };
        let (api_key, api_key_variable) = match &self.api_key {
            Some(key) => (Some(key.clone()), "RSLM_API_KEY"),
            None => (non_empty_env("OPENAI_API_KEY"), "OPENAI_API_KEY"),
        };
        crate::backend::BackendConfig {
            kind: self.backend,
            base_url,
            base_url_origin,
            model: self.model.clone(),
            api_key,
            api_key_variable,
            api: self.api,
            sampling: crate::backend::Sampling {
                top_p: self.top_p,
                top_k: self.top_k,
                stop: self.stop.clone(),
            },
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            concurrency: self.concurrency,
            request_timeout: std::time::Duration::from_secs_f64(self.request_timeout),
            request_deadline: std::time::Duration::from_secs_f64(self.request_deadline),
            max_retries: self.max_retries,
        }
    }
}

/// The verifier's settings.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Fast mode: run assert_tests with the light harness instead of pytest.
    #[arg(long = "fast", visible_alias = "fast-verify", env = "RSLM_FAST_VERIFY", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub fast_verify: bool,
    /// CPU seconds a candidate may use before its process group is killed (default: 0.2 fast, 5
    /// pytest); the wall clock allows 4x that, at least 1 s more, for candidates that sleep.
    #[arg(long = "verify-timeout", value_parser = positive_seconds)]
    pub verify_timeout: Option<f64>,
    /// Warm verifier workers (0 = one per core; at most 64).
    #[arg(long = "verify-workers", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=MAX_VERIFY_WORKERS))]
    pub verify_workers: u32,
    /// Python interpreter that runs candidates (default: python3 on PATH). When pytest mode finds
    /// no pytest in it, the project environment .rslm/venv is used (or created) instead.
    #[arg(long, env = "RSLM_PYTHON")]
    pub python: Option<PathBuf>,
}

impl VerifyArgs {
    /// The verifier settings of the pipeline commands (`--fast-verify`, `--verify-timeout`,
    /// `--verify-workers`); clap has checked that a given timeout is a positive number of seconds.
    pub fn config(&self) -> crate::verify::VerifierConfig {
        use crate::verify::{Mode, VerifierConfig};
        let mode = if self.fast_verify {
            Mode::Fast
        } else {
            Mode::Pytest
        };
        let mut config = VerifierConfig::new(mode);
        config.workers = self.verify_workers as usize;
        config.python = self.python.clone();
        config.project_env = true;
        if let Some(seconds) = self.verify_timeout {
            config.timeout = std::time::Duration::try_from_secs_f64(seconds)
                .unwrap_or(std::time::Duration::ZERO);
        }
        config
    }
}

/// The largest `--top-k`.
pub const MAX_TOP_K: i64 = 1000;

/// The longest stop sequence, in bytes.
const MAX_STOP_BYTES: usize = 256;

/// An environment variable's value, unless it is unset or blank (as clap treats its own).
fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `--top-p`: a number in (0, 1].
fn top_p(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!("expected a number in (0, 1], got `{text}`")),
    }
}

/// `--stop`: 1 to `MAX_STOP_BYTES` bytes.
fn stop_sequence(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > MAX_STOP_BYTES {
        return Err(format!(
            "a stop sequence is 1 to {MAX_STOP_BYTES} bytes, got {} bytes",
            text.len()
        ));
    }
    Ok(text.to_string())
}

/// The most verifier workers a command may start (each is two Python processes, ~30 MB).
pub const MAX_VERIFY_WORKERS: i64 = 64;

/// The most retries of one request to the model server.
pub const MAX_RETRIES: i64 = 20;

/// The longest completion a command may ask for, in tokens.
pub const MAX_TOKENS: i64 = 32_768;

/// A sampling temperature: a finite number in [0, 2] (what OpenAI-compatible servers accept).
fn temperature(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(t) if t.is_finite() && (0.0..=2.0).contains(&t) => Ok(t),
        _ => Err(format!("expected a finite number in [0, 2], got `{text}`")),
    }
}

/// A duration flag: a finite number of seconds in (0, 3600].
pub(crate) fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => Ok(seconds),
        _ => Err(format!(
            "expected a number of seconds in (0, 3600], got `{text}`"
        )),
    }
}
