//! rslm: a verification-gated self-improvement lab for small code language models.
//!
//! Data flows through the modules in loop order: `tasks` (what to solve) -> `memory` (what the
//! store already knows) -> `backend` (candidates from a model) -> `verify` (hidden tests) ->
//! `store` (only verified episodes become memory) -> `consolidate` (rules and procedures) ->
//! `eval` (held-out conditions with honest statistics) -> `plot`.

pub mod backend;
pub mod commands;
pub mod error;
pub mod eval;
pub mod plot;
pub mod tasks;
pub mod verify;
