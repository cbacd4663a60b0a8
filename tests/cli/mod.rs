//! The commands through the real `rslm` binary.

mod bounds;
mod foundation;
mod hostile_loop;
mod interrupt;
mod loop_tests;
mod lora;
mod outputs;
mod promotion;
mod real_learning;
mod real_model;
mod rounds;
mod server;
mod snapshots;
mod stores;
