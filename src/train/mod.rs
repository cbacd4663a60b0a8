//! Learning: LoRA adapters trained on verified traces, their registry, and how a backend is
//! asked to use the active one.
//!
//! `dataset` turns verified train-pool episodes into chat examples; `trainer` drives PyTorch +
//! PEFT in the project's training venv; `peft_to_gguf` (on `safetensors` and `gguf`) converts
//! the adapter for llama.cpp in Rust; the adapter is registered
//! inactive with a manifest whose `serving` field says how a server is asked for it. An adapter
//! trains from the base model (ReST-EM, STaR) unless asked to continue an earlier one.
//! `simulated` is training for the mock backend: a SIMULATED adapter, no weights.

pub mod base_model;
pub mod dataset;
pub mod gguf;
pub mod lora;
pub mod peft_to_gguf;
pub mod safetensors;
pub mod simulated;
pub mod trainer;

use std::path::Path;

use crate::backend::{AdapterRef, Backend, LoadedAdapter};
use crate::store::Store;
use crate::store::adapters::Adapter;

/// The active adapter and how to request it from the server.
#[derive(Debug, Clone)]
pub struct ActiveAdapter {
    pub name: String,
    pub reference: AdapterRef,
}

/// The adapter that `learning` conditions use, if one is active and the backend can serve it.
/// A llama.cpp server that lists its adapters (`GET /lora-adapters`) must load the active one.
/// An adapter by name; an unknown name is a usage error listing what exists, and an adapter
/// whose files are gone cannot be served.
pub fn registered(
    store: &crate::store::Store,
    name: &str,
) -> anyhow::Result<crate::store::adapters::Adapter> {
    if let Some(adapter) = store.adapter_by_name(name)? {
        if !std::path::Path::new(&adapter.path).exists() {
            anyhow::bail!(
                "adapter {name}'s files are missing at {}; it cannot be served",
                adapter.path
            );
        }
        return Ok(adapter);
    }
    let names: Vec<String> = store.adapters()?.into_iter().map(|a| a.name).collect();
    if names.is_empty() {
        crate::usage!("no adapter named {name:?}: no adapters are registered; nothing changed");
    }
    crate::usage!(
        "no adapter named {name:?} (registered: {}); nothing changed",
        names.join(", ")
    );
}

pub fn active_adapter_ref(
    store: &Store,
    backend: &dyn Backend,
) -> anyhow::Result<Option<ActiveAdapter>> {
    let Some(adapter) = store.active_adapter()? else {
        return Ok(None);
    };
    if backend.is_simulation() && !is_simulated(&adapter) {
        // The simulator has no weights: a real adapter means nothing to it.
        return Ok(None);
    }
    check_servable(&adapter, backend)?;
    let loaded = backend.loaded_adapters()?;
    let reference = adapter_request(&adapter, loaded.as_deref())?;
    Ok(Some(ActiveAdapter {
        name: adapter.name,
        reference,
    }))
}

/// How to ask the server for `adapter`.
///
/// llama.cpp numbers adapters in the order of its `--lora` flags. When the server lists what it
/// loaded (`GET /lora-adapters`, llama.cpp's server), the id is the entry whose file is the
/// manifest's `serving.gguf`, whatever the order, so a server loading several adapters (the
/// promotion gate compares two) is addressed correctly; a server that loads other adapters but
/// not this one is an error naming the file to load. A server that does not list adapters is
/// asked for the manifest's `serving.llamacpp_id` (0: the convention of a server loading the
/// active adapter alone). vLLM serves the adapter under its model name.
pub fn adapter_request(
    adapter: &Adapter,
    loaded: Option<&[LoadedAdapter]>,
) -> anyhow::Result<AdapterRef> {
    let manifest = adapter.manifest.clone().unwrap_or_default();
    let serving = &manifest["serving"];
    if let Some(file) = serving["simulated"].as_str() {
        return Ok(AdapterRef::Simulated(file.to_string()));
    }
    if let Some(model) = serving["model_name"].as_str() {
        return Ok(AdapterRef::ModelName(model.to_string()));
    }
    let Some(default_id) = serving["llamacpp_id"].as_u64() else {
        // vLLM serves an adapter under the name it was registered with.
        return Ok(AdapterRef::ModelName(adapter.name.clone()));
    };
    let Some(loaded) = loaded else {
        return Ok(AdapterRef::llama_cpp(default_id as u32, 1.0, &[]));
    };
    let gguf = serving["gguf"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}/adapter.gguf", adapter.path));
    let ids: Vec<u32> = loaded.iter().map(|l| l.id).collect();
    match loaded.iter().find(|l| same_file(&l.path, &gguf)) {
        Some(entry) => Ok(AdapterRef::llama_cpp(entry.id, 1.0, &ids)),
        None => {
            let serves = if loaded.is_empty() {
                "no adapters".to_string()
            } else {
                loaded
                    .iter()
                    .map(|l| format!("id {} = {}", l.id, l.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            anyhow::bail!(
                "the model server does not load adapter {} ({gguf}); it loads {serves}. rslm cannot load an adapter into a llama.cpp server it did not start: restart it with the adapter (rslm server start --lora {gguf}, or scripts/model_server.sh restart --lora {gguf}; one --lora per adapter to compare), or let self-improve run its own server (--serve llamacpp)",
                adapter.name
            )
        }
    }
}

/// A simulated adapter asked of a model server is an error (only the mock can use it).
pub fn check_servable(adapter: &Adapter, backend: &dyn Backend) -> anyhow::Result<()> {
    if !backend.is_simulation() && is_simulated(adapter) {
        crate::usage!(
            "adapter {} is a SIMULATED adapter (trained with --backend mock); only --backend mock can use it",
            adapter.name
        );
    }
    Ok(())
}

/// Whether an adapter is a simulated one (`train-lora --backend mock`).
pub fn is_simulated(adapter: &Adapter) -> bool {
    adapter
        .manifest
        .as_ref()
        .is_some_and(|m| m["simulation"].as_bool() == Some(true))
}

/// The same file, whether the server reports it relative, absolute or through a symlink.
fn same_file(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
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
        assert_eq!(active.reference, AdapterRef::llama_cpp(0, 1.0, &[]));
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
