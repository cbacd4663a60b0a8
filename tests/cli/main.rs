//! Integration tests through the real `rslm` binary, one test binary with a module per topic.

#[path = "../support/add_tasks.rs"]
mod add_tasks;
mod bounds;
mod common;
#[path = "../support/fake_openai.rs"]
mod fake_openai;
mod foundation;
#[path = "../support/hostile_cheats.rs"]
mod hostile_cheats;
mod hostile_loop;
mod interrupt;
mod loop_tests;
mod outputs;
mod real_model;
mod stores;
