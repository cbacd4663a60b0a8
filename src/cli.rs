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
    /// Loads the task set and splits it; an oversized held-out set is a usage error.
    pub fn load_split(
        &self,
    ) -> anyhow::Result<(crate::tasks::loader::TaskSource, crate::tasks::split::Split)> {
        let source = crate::tasks::loader::TaskSource::parse(&self.tasks);
        let tasks = source.load()?;
        match crate::tasks::split::split(&tasks, self.heldout_size, self.split_seed) {
            Ok(split) => Ok((source, split)),
            Err(e @ crate::tasks::split::SplitError::TooLarge { .. }) => {
                Err(crate::error::UsageError(format!("{e} in {}", source.label())).into())
            }
            Err(e) => Err(anyhow::anyhow!("{}: {e}", source.label())),
        }
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
