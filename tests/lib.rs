//! rslm's integration tests, compiled into one test binary with a module per topic:
//!
//! - `architecture`: the module boundaries, read off the source tree;
//! - `cli`: the commands through the real `rslm` binary, built with `support::command::rslm`;
//! - `verifier`: the real `Verifier` against adversarial and hostile candidates, `rslm verify`;
//! - `library`: the OpenAI backend against a fake server and the plots, in process;
//! - `support`: what they share (the builder, the fake OpenAI server, task sets, cheats).
//!
//! The tests share one process. None of them changes it: no `std::env::set_var`, no
//! `set_current_dir` (a command gets its environment and folder through the builder). Tests that
//! fork many processes or lean on timeouts hold `support::serial()` while they run.

mod architecture;
mod cli;
mod library;
// Parts of it serve only the Linux-only modules.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod support;
// The verifier's tests watch processes through /proc and attack through Unix sockets: Linux only
// (the Windows and macOS verifier's spawned path runs here through `verifier::spawned`).
#[cfg(target_os = "linux")]
mod verifier;
