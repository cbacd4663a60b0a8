//! The commands through the real `rslm` binary.

mod foundation;
mod hostile_loop;
mod loop_tests;
mod lora;
mod promotion;
mod real_model;
mod snapshots;
