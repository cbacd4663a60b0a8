//! Integration tests of the verifier: the real `Verifier` against adversarial candidates in both
//! modes, the `rslm verify` and `rslm import-tasks` commands, and HumanEval end to end.

mod verifier;
