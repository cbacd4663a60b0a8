//! Tasks: the unit of work of the loop. A task is a prompt the model sees plus hidden tests
//! only the verifier sees. This module owns the task type, the strict JSONL loader, the
//! deterministic train/held-out split and the generator of the bundled task set.

pub mod families;
pub mod generate;
pub mod humaneval;
pub mod loader;
pub mod pyvalue;
pub mod render;
pub mod spec_key;
pub mod split;

use serde::{Deserialize, Serialize};

/// One programming task in the JSONL format of the original, plus optional metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub task_id: String,
    pub prompt: String,
    pub function_name: String,
    /// Parameter list in Python syntax, e.g. `"(values, k)"`.
    pub signature: String,
    /// A whole pytest module; it imports the candidate from `solution`. Hidden from the model.
    pub reference_tests: String,
    /// One Python statement per entry, run by the fast verifier. Hidden from the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assert_tests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The original's coarse category (`math`, `lists`, ...); kept when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Difficulty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// How hard a task is meant to be for a small model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

impl<'de> Deserialize<'de> for Difficulty {
    /// Accepts `"easy" | "medium" | "hard"` and the original's integers 1, 2 and 3.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Level(i64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Name(name) => match name.as_str() {
                "easy" => Ok(Difficulty::Easy),
                "medium" => Ok(Difficulty::Medium),
                "hard" => Ok(Difficulty::Hard),
                other => Err(serde::de::Error::custom(format!(
                    "difficulty {other:?} is not easy, medium or hard"
                ))),
            },
            Raw::Level(1) => Ok(Difficulty::Easy),
            Raw::Level(2) => Ok(Difficulty::Medium),
            Raw::Level(3) => Ok(Difficulty::Hard),
            Raw::Level(other) => Err(serde::de::Error::custom(format!(
                "difficulty {other} is not 1, 2 or 3"
            ))),
        }
    }
}

/// The original's task id: `{function_name}-{first 12 hex digits of sha256(prompt)}`.
pub fn task_id_for(function_name: &str, prompt: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(prompt.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{function_name}-{hex}")
}
