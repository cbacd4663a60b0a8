//! The commands through the real `rslm` binary.

mod bounds;
mod foundation;
// Unix sockets, /proc and signals.
#[cfg(target_os = "linux")]
mod hostile_loop;
#[cfg(unix)]
mod interrupt;
mod loop_tests;
mod lora;
mod outputs;
mod powershell_twins;
mod promotion;
mod real_model;
mod snapshots;
mod stores;
