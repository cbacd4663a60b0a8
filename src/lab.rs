//! The lab: one task split, one backend, one verifier and one store, opened once from a
//! validated configuration. Every workflow (an iteration, a consolidation, an eval, training and
//! the promotion gate) runs over a `Lab`, so the cycles of `self-improve` share one backend (one
//! preflight), one pool of warm verifier workers and one store connection. It sits below the
//! workflows: it knows how to open the parts, not what is done with them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Backend, BackendConfig};
use crate::store::Store;
use crate::tasks::Task;
use crate::tasks::split::{Split, SplitConfig};
use crate::verify::{Verifier, VerifierConfig};

/// Whether a workflow may create the store or needs one that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAccess {
    /// Create the file (and its schema) when missing; upgrade an older schema.
    CreateIfMissing,
    /// The file must exist already (an error names it otherwise).
    Existing,
}

/// Everything a lab is opened from, in the domain's own types.
#[derive(Debug, Clone)]
pub struct LabConfig {
    pub db: PathBuf,
    pub store: StoreAccess,
    pub split: SplitConfig,
    pub backend: BackendConfig,
    pub verifier: VerifierConfig,
}

/// An open lab.
pub struct Lab {
    pub split_config: SplitConfig,
    pub split: Split,
    pub backend_config: BackendConfig,
    pub backend: Arc<dyn Backend>,
    /// The server's `/models` entry for the model (openai backend), for results' provenance.
    pub server_model: Option<serde_json::Value>,
    pub verifier: Verifier,
    pub store: Store,
}

impl Lab {
    /// Checks the configuration, then loads and splits the tasks, opens the backend (checking an
    /// OpenAI-compatible server once), starts the verifier's workers and opens the store, in that
    /// order, so a usage error or a bad task file costs nothing.
    pub fn open(config: LabConfig) -> anyhow::Result<Lab> {
        config.backend.validate()?;
        let split = config.split.load()?;
        let (backend, server_model) = crate::backend::open_describing(&config.backend)?;
        let verifier = Verifier::start(config.verifier)?;
        let store = match config.store {
            StoreAccess::CreateIfMissing => Store::open_or_create(&config.db)?.0,
            StoreAccess::Existing => Store::open_existing(&config.db)?,
        };
        Ok(Lab {
            split_config: config.split,
            split,
            backend_config: config.backend,
            backend,
            server_model,
            verifier,
            store,
        })
    }

    /// Where the tasks came from (`bundled` or a path), as runs record it.
    pub fn tasks_label(&self) -> String {
        self.split_config.source.label()
    }

    /// The task ids never retrieved, remembered or trained on: the held-out and dev tasks and
    /// the twins the split dropped because of them.
    pub fn heldout_ids(&self) -> HashSet<String> {
        self.split.excluded_ids()
    }

    /// Every task of the set by id (both sides of the split).
    pub fn tasks_by_id(&self) -> HashMap<String, Task> {
        self.split
            .train
            .iter()
            .chain(&self.split.dev)
            .chain(&self.split.heldout)
            .map(|t| (t.task_id.clone(), t.clone()))
            .collect()
    }

    /// The first `limit` held-out tasks (all without a limit): what evals and the gate use.
    pub fn heldout_tasks(&self, limit: Option<usize>) -> Vec<Task> {
        self.split
            .heldout
            .iter()
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }
}
