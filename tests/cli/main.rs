//! Integration tests through the real `rslm` binary, one test binary with a module per topic.

mod common;
#[path = "../support/fake_openai.rs"]
mod fake_openai;
mod foundation;
mod loop_tests;
mod real_model;
