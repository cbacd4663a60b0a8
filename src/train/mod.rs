//! Learning: LoRA adapters trained on verified traces, their registry, and how a backend is
//! asked to use the active one.

use rusqlite::OptionalExtension as _;

use crate::backend::{AdapterRef, Backend};
use crate::store::Store;

/// The active adapter and how to request it from the server.
#[derive(Debug, Clone)]
pub struct ActiveAdapter {
    pub name: String,
    pub reference: AdapterRef,
}

/// The adapter that `learning` conditions use, if one is active and the backend can serve it.
pub fn active_adapter_ref(
    store: &Store,
    backend: &dyn Backend,
) -> anyhow::Result<Option<ActiveAdapter>> {
    if backend.is_simulation() {
        return Ok(None);
    }
    let row: Option<(String, Option<String>)> = store
        .conn()
        .query_row(
            "SELECT name, manifest_json FROM adapters WHERE active = 1 ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((name, manifest)) = row else {
        return Ok(None);
    };
    let manifest: serde_json::Value = manifest
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?
        .unwrap_or_default();
    let reference = match (
        manifest["serving"]["llamacpp_id"].as_u64(),
        manifest["serving"]["model_name"].as_str(),
    ) {
        (Some(id), _) => AdapterRef::LlamaCppId {
            id: id as u32,
            scale: 1.0,
        },
        (None, Some(model)) => AdapterRef::ModelName(model.to_string()),
        // vLLM serves an adapter under the name it was registered with.
        (None, None) => AdapterRef::ModelName(name.clone()),
    };
    Ok(Some(ActiveAdapter { name, reference }))
}
