//! Integration tests through the real `rslm` binary, one test binary with a module per topic.

mod common;
mod foundation;
