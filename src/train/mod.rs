//! Learning: LoRA adapters trained on verified traces, their registry, and how a backend is
//! asked to use the active one.
//!
//! `dataset` turns verified train-pool episodes into chat examples; `trainer` drives PyTorch +
//! PEFT in the project's training venv; `peft_to_gguf` (on `safetensors` and `gguf`) converts
//! the adapter for llama.cpp in Rust; the adapter is registered
//! inactive with a manifest whose `serving` field says how a server is asked for it. Every
//! adapter trains from the base model (ReST-EM, STaR), never on top of the previous adapter.

pub mod base_model;
pub mod dataset;
pub mod gguf;
pub mod peft_to_gguf;
pub mod promotion;
pub mod safetensors;
pub mod trainer;

use std::path::Path;

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

/// Which server the manifest's `serving` field addresses by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServingKind {
    /// llama.cpp's server: the GGUF LoRA loaded with `--lora FILE --lora-init-without-apply`,
    /// requested per request as `"lora": [{"id": 0, "scale": 1.0}]`.
    Llamacpp,
    /// vLLM: the PEFT folder served by name (`--enable-lora --lora-modules NAME=DIR`).
    Vllm,
}

/// The manifest's `serving` field: how to load the adapter and how to request it.
/// `active_adapter_ref` reads `llamacpp_id` or `model_name` from it.
pub fn serving(kind: ServingKind, name: &str, gguf: &Path, peft_dir: &Path) -> serde_json::Value {
    let gguf = gguf.display().to_string();
    let peft = peft_dir.display().to_string();
    let mut value = serde_json::json!({
        "kind": kind,
        "gguf": gguf,
        "peft_dir": peft,
        // llama.cpp numbers adapters in the order of its --lora flags: rslm's convention is that
        // the server loads the active adapter alone, so it is id 0.
        "llamacpp_server_args": ["--lora", gguf, "--lora-init-without-apply"],
        "vllm_server_args": ["--enable-lora", "--lora-modules", format!("{name}={peft}")],
    });
    match kind {
        ServingKind::Llamacpp => value["llamacpp_id"] = serde_json::json!(0),
        ServingKind::Vllm => value["model_name"] = serde_json::json!(name),
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Candidate, GenerationRequest};
    use crate::store::adapters::NewAdapter;

    struct RealServer;

    impl Backend for RealServer {
        fn name(&self) -> &'static str {
            "openai"
        }
        fn model(&self) -> String {
            "m".into()
        }
        fn is_simulation(&self) -> bool {
            false
        }
        fn generate(&self, _: &GenerationRequest) -> anyhow::Result<Vec<Candidate>> {
            Ok(vec![])
        }
    }

    #[test]
    fn the_manifest_serving_field_is_what_eval_requests() {
        let mut store = Store::in_memory().unwrap();
        let dir = Path::new("/adapters/a");
        for (name, kind) in [("a", ServingKind::Llamacpp), ("b", ServingKind::Vllm)] {
            let manifest = serde_json::json!({
                "serving": serving(kind, name, &dir.join("adapter.gguf"), &dir.join("peft"))
            });
            store
                .register_adapter(&NewAdapter {
                    name,
                    path: "/adapters/a",
                    base_model: "base",
                    manifest: &manifest,
                    notes: "",
                })
                .unwrap();
        }
        assert!(active_adapter_ref(&store, &RealServer).unwrap().is_none());
        store.activate_adapter(Some(1), "test").unwrap();
        let active = active_adapter_ref(&store, &RealServer).unwrap().unwrap();
        assert_eq!(active.name, "a");
        assert_eq!(
            active.reference,
            AdapterRef::LlamaCppId { id: 0, scale: 1.0 }
        );
        store.activate_adapter(Some(2), "test").unwrap();
        let active = active_adapter_ref(&store, &RealServer).unwrap().unwrap();
        assert_eq!(active.reference, AdapterRef::ModelName("b".into()));
        assert!(
            active_adapter_ref(&store, &crate::backend::mock::MockBackend)
                .unwrap()
                .is_none(),
            "the simulator never gets an adapter"
        );
    }
}
