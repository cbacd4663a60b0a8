//! The commands through the real `rslm` binary.

mod backend_limits;
mod bounds;
mod ecosystem;
mod evidence;
mod foundation;
// Unix sockets, /proc and signals.
#[cfg(target_os = "linux")]
mod hostile_loop;
mod input_limits;
#[cfg(unix)]
mod interrupt;
mod loop_tests;
mod lora;
mod outputs;
mod powershell_twins;
mod promotion;
mod provenance;
mod real_learning;
mod real_model;
mod rounds;
mod semantic;
// Process groups and signals.
#[cfg(unix)]
mod server;
mod snapshots;
mod stores;
