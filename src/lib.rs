//! rslm: a verification-gated self-improvement lab for small code language models.
//!
//! Data flows through the modules in loop order: `tasks` (what to solve) -> `memory` (what the
//! store already knows) -> `backend` (candidates from a model) -> `verify` (hidden tests) ->
//! `store` (only verified episodes become memory) -> `consolidate` (rules and procedures) ->
//! `eval` (held-out conditions with honest statistics) -> `plot`.

pub mod backend;
pub(crate) mod candidate;
pub(crate) mod cli;
pub(crate) mod code;
pub mod commands;
pub(crate) mod consolidate;
pub(crate) mod error;
pub mod eval;
pub(crate) mod gate;
pub(crate) mod iterate;
pub(crate) mod lab;
pub(crate) mod memory;
pub(crate) mod output;
pub(crate) mod platform;
pub mod plot;
pub(crate) mod progress;
pub(crate) mod prompt;
pub(crate) mod self_improve;
pub(crate) mod server;
pub(crate) mod stop;
pub mod store;
pub mod tasks;
pub mod train;
pub mod verify;

use clap::FromArgMatches as _;

/// Parses the command line, runs the command and returns the process exit code.
pub fn main_entry() -> i32 {
    let parsed = cli::command()
        .try_get_matches()
        .and_then(|matches| cli::Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            if let Some(message) = cli::explain_env_error(&err) {
                eprintln!("error: {message}");
                return error::EXIT_USAGE;
            }
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    error::EXIT_OK
                }
                _ => error::EXIT_USAGE,
            };
        }
    };
    init_logging();
    match commands::run(cli.command) {
        Ok(()) => error::EXIT_OK,
        Err(err) => {
            eprintln!("error: {err:#}");
            error::exit_code(&err)
        }
    }
}

/// Logs go to stderr, coloured only for a person at a terminal: a file or a pipe gets plain
/// text, and `NO_COLOR` (any non-empty value, no-color.org) turns colour off everywhere.
fn init_logging() {
    use std::io::IsTerminal as _;
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("RSLM_LOG").unwrap_or_else(|_| "warn".into());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !no_color)
        .with_target(false)
        .try_init();
}
