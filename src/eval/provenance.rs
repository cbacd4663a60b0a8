//! The `config` block of a results file, built from the lab a run used: backend, model and what
//! the server says about it, sampling, prompt version, verifier, the task file's hash, the split
//! and the build. Every workflow that writes a results file records one, so two files can be
//! told comparable or not without the database they came from.

use std::io::Read as _;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use super::report::{MemoryState, RunConfig};
use crate::lab::Lab;
use crate::tasks::loader::{BUNDLED_JSONL, TaskSource};

/// The git commit the binary was built from (build.rs), or `unknown`.
pub const GIT_COMMIT: &str = env!("RSLM_GIT_COMMIT");

/// Most bytes of the server's model entry kept in a results file.
const SERVER_ENTRY_LIMIT: usize = 4096;
/// Most characters of one string of a trimmed server entry.
const SERVER_STRING_LIMIT: usize = 256;

/// What a run adds to the lab's own settings.
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    pub k: Option<u32>,
    pub n: Option<u32>,
    pub seed: Option<u64>,
    pub task_limit: Option<usize>,
    pub conditions: Vec<String>,
    pub retrieval: Option<String>,
}

/// The config block of a run over `lab`.
pub fn run_config(lab: &Lab, run: &RunSettings) -> anyhow::Result<RunConfig> {
    let backend = &lab.backend_config;
    let mut sampling = serde_json::Map::new();
    sampling.insert("temperature".into(), backend.temperature.into());
    sampling.insert("max_tokens".into(), backend.max_tokens.into());
    for (key, value) in [("n", run.n), ("k", run.k)] {
        if let Some(v) = value {
            sampling.insert(key.into(), v.into());
        }
    }
    if let Some(seed) = run.seed {
        sampling.insert("seed".into(), seed.into());
    }
    Ok(RunConfig {
        backend: lab.backend.name().to_owned(),
        model: lab.backend.model(),
        server_model: lab.server_model.as_ref().map(bounded_entry),
        sampling,
        prompt_version: crate::prompt::PROMPT_VERSION.to_owned(),
        verify_mode: lab.verifier.mode().as_str().to_owned(),
        verify_cpu_seconds: lab.verifier.timeout().as_secs_f64(),
        tasks_source: lab.tasks_label(),
        tasks_sha256: tasks_sha256(&lab.split_config.source)?,
        split_seed: lab.split_config.seed,
        heldout_size: lab.split_config.heldout_size,
        task_limit: run.task_limit,
        conditions: run.conditions.clone(),
        retrieval: run.retrieval.clone(),
        rslm_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_commit: GIT_COMMIT.to_owned(),
    })
}

/// What memory holds now.
pub fn memory_state(lab: &Lab) -> anyhow::Result<MemoryState> {
    let (iterations, episodes) = lab.store.memory_state()?;
    Ok(MemoryState {
        iterations,
        episodes,
    })
}

/// sha256 of the task file's bytes as read from disk (compressed or not), or of the
/// compiled-in set as `bundled:<sha256>`.
pub fn tasks_sha256(source: &TaskSource) -> anyhow::Result<String> {
    let hex = |digest: &[u8]| {
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    match source {
        TaskSource::Bundled => Ok(format!(
            "bundled:{}",
            hex(&Sha256::digest(BUNDLED_JSONL.as_bytes()))
        )),
        TaskSource::File(path) => {
            let mut file = std::fs::File::open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut hasher = Sha256::new();
            let mut buffer = vec![0u8; 1 << 16];
            loop {
                let read = file
                    .read(&mut buffer)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
            }
            Ok(hex(&hasher.finalize()))
        }
    }
}

/// The server's entry as it came, when small; otherwise its scalar fields with long strings cut,
/// so a server that describes a model at length cannot bloat every results file.
fn bounded_entry(entry: &serde_json::Value) -> serde_json::Value {
    if entry.to_string().len() <= SERVER_ENTRY_LIMIT {
        return entry.clone();
    }
    let mut kept = serde_json::Map::new();
    if let Some(object) = entry.as_object() {
        for (key, value) in object {
            let value = match value {
                serde_json::Value::String(s) => {
                    serde_json::Value::String(s.chars().take(SERVER_STRING_LIMIT).collect())
                }
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => value.clone(),
                _ => continue,
            };
            kept.insert(key.clone(), value);
            if serde_json::Value::Object(kept.clone()).to_string().len() > SERVER_ENTRY_LIMIT {
                kept.remove(key);
                break;
            }
        }
    }
    kept.insert("rslm_note".into(), "trimmed: scalar fields only".into());
    serde_json::Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_server_entry_is_trimmed_to_its_scalars() {
        let small = serde_json::json!({"id": "m", "meta": {"n_params": 135}});
        assert_eq!(bounded_entry(&small), small);
        let big = serde_json::json!({
            "id": "m", "owned_by": "x".repeat(10_000), "created": 1,
            "meta": {"blob": "y".repeat(10_000)},
        });
        let trimmed = bounded_entry(&big);
        assert!(trimmed.to_string().len() <= SERVER_ENTRY_LIMIT + 64);
        assert_eq!(trimmed["id"], "m");
        assert_eq!(trimmed["created"], 1);
        assert_eq!(
            trimmed["owned_by"].as_str().unwrap().len(),
            SERVER_STRING_LIMIT
        );
        assert!(trimmed.get("meta").is_none());
    }

    #[test]
    fn the_bundled_set_is_named_and_hashed() {
        let hash = tasks_sha256(&TaskSource::Bundled).unwrap();
        assert!(hash.starts_with("bundled:") && hash.len() == "bundled:".len() + 64);
    }
}
