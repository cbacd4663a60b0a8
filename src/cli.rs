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
    /// Return to the previously active adapter (or to none).
    RollbackAdapter(commands::adapters::RollbackArgs),
    /// The promotion gate: activate a candidate adapter only if it beats the active one (or the
    /// base model) on the held-out set and does not regress on a check set.
    PromoteAdapter(commands::promote_adapter::Args),
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

/// `--tasks` and the train/held-out split.
#[derive(Debug, Clone, Args)]
pub struct TaskSetArgs {
    /// Task set: `bundled` (compiled in) or a path to a JSONL file.
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    /// Number of tasks held out for evaluation (never written to memory or training data).
    #[arg(long, default_value_t = 40)]
    pub heldout_size: usize,
    /// Seed of the deterministic split: tasks sorted by sha256("{seed}:{task_id}").
    #[arg(long, default_value_t = crate::tasks::split::DEFAULT_SPLIT_SEED)]
    pub split_seed: u64,
}

impl TaskSetArgs {
    /// The domain's view of these flags.
    pub fn config(&self) -> crate::tasks::split::SplitConfig {
        crate::tasks::split::SplitConfig {
            source: crate::tasks::loader::TaskSource::parse(&self.tasks),
            heldout_size: self.heldout_size,
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
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

/// The generation backend and its sampling settings.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Generation backend.
    #[arg(long, env = "RSLM_BACKEND", value_enum, default_value = "mock")]
    pub backend: crate::backend::BackendKind,
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.
    #[arg(long, env = "RSLM_BASE_URL")]
    pub base_url: Option<String>,
    /// Model name as the server knows it.
    #[arg(long, env = "RSLM_MODEL")]
    pub model: Option<String>,
    /// API key, sent as a bearer token; never logged or stored.
    #[arg(
        long = "api-key-from-env",
        env = "RSLM_API_KEY",
        hide_env_values = true,
        hide = true
    )]
    pub api_key: Option<String>,
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
        crate::backend::BackendConfig {
            kind: self.backend,
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            api_key: self.api_key.clone(),
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
        if let Some(seconds) = self.verify_timeout {
            config.timeout = std::time::Duration::try_from_secs_f64(seconds)
                .unwrap_or(std::time::Duration::ZERO);
        }
        config
    }
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
