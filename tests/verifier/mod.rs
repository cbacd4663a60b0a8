//! The verifier: the real `Verifier` against adversarial and hostile candidates in both modes,
//! the `rslm verify` and `rslm import-tasks` commands, and HumanEval end to end.

mod adversarial;
mod cli;
mod common;
mod confinement;
mod hostile;
mod humaneval;
mod modes;
mod spawned;
