//! rslm: a verification-gated self-improvement lab for small code language models.
//!
//! Data flows through the modules in loop order: `tasks` (what to solve) -> `memory` (what the
//! store already knows) -> `backend` (candidates from a model) -> `verify` (hidden tests) ->
//! `store` (only verified episodes become memory) -> `consolidate` (rules and procedures) ->
//! `eval` (held-out conditions with honest statistics) -> `plot`.

pub mod backend;
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
pub(crate) mod prompt;
pub(crate) mod self_improve;
pub mod store;
pub mod tasks;
pub mod train;
pub mod verify;

use clap::Parser as _;

/// Parses the command line, runs the command and returns the process exit code.
pub fn main_entry() -> i32 {
    let cli = match cli::Cli::try_parse() {
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

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("RSLM_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
