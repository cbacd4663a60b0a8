//! Training for the mock backend: the same training set as a real adapter (verified train-pool
//! episodes, held-out tasks excluded, balanced), turned into a SIMULATED adapter
//! (`backend::mock::adapter`) instead of LoRA weights, so `train-lora --backend mock`, the
//! promotion gate and the `learning` conditions run in seconds without PyTorch. The folder has
//! the layout of a real adapter (train.jsonl, manifest.json) so the gate's check set and the
//! registry treat it alike; its manifest says `"simulation": true` and how the mock serves it.

use std::path::Path;

use anyhow::Context as _;

use super::dataset::{self, Balance};
use super::lora::{TrainOutcome, TrainPlan};
use crate::backend::mock::adapter::{SIMULATED_ADAPTER_FILE, SimulatedAdapter};
use crate::store::Store;
use crate::store::adapters::NewAdapter;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::tasks::split::{Split, SplitConfig};

/// The model name simulated adapters are registered against.
const SIMULATED_BASE: &str = "mock-weak-v1 (SIMULATION)";

/// "Trains" a simulated adapter from the store's verified episodes and registers it inactive.
pub fn run(
    store: &Store,
    split: &Split,
    split_config: &SplitConfig,
    plan: &TrainPlan,
    name: &str,
) -> anyhow::Result<TrainOutcome> {
    if store.adapter_by_name(name)?.is_some() {
        crate::usage!("an adapter named {name:?} is already registered; choose another --name");
    }
    let balance = Balance {
        max_per_task: plan.max_per_task as usize,
        max_per_family: plan.max_per_family as usize,
        seed: plan.seed,
    };
    let data = dataset::build(store, split, balance)?;
    if data.examples.is_empty() {
        anyhow::bail!(
            "no training examples: the store has no verified episodes of train-pool tasks in {} (run `rslm run-iteration` first)",
            split_config.source.label()
        );
    }
    let start = match &plan.continue_from {
        Some(dir) => Some(SimulatedAdapter::load(&dir.join(SIMULATED_ADAPTER_FILE))?),
        None => None,
    };
    let pairs = data.examples.iter().filter_map(|e| {
        let user = e.messages.iter().find(|m| m.role == "user")?;
        let answer = e.messages.iter().rfind(|m| m.role == "assistant")?;
        Some((user.content.as_str(), answer.content.as_str()))
    });
    let adapter = SimulatedAdapter::train(pairs, start.as_deref());
    let jsonl = data.to_jsonl();
    let data_sha256 = dataset::sha256_hex(jsonl.as_bytes());
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Train,
        backend: "mock".into(),
        model: SIMULATED_BASE.into(),
        simulation: true,
        seed: plan.seed,
        mode: Some("trainpool".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(split_config.source.label()),
        config: serde_json::json!({
            "name": name, "out": plan.out.display().to_string(), "simulation": true,
            "balance": balance, "continue_from": plan.continue_from,
        }),
    })?;
    let written = write_folder(plan, name, &adapter, &jsonl, &data_sha256, &data.report);
    let manifest = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = store.finish_run(
                run_id,
                RunStatus::Failed,
                &serde_json::json!({"error": format!("{e:#}")}),
            );
            return Err(e);
        }
    };
    let path = std::fs::canonicalize(&plan.out)?.display().to_string();
    let id = store.register_adapter(&NewAdapter {
        name,
        path: &path,
        base_model: SIMULATED_BASE,
        manifest: &manifest,
        notes: &plan.notes,
    })?;
    store.finish_run(
        run_id,
        RunStatus::Completed,
        &serde_json::json!({"adapter_id": id, "examples": data.examples.len(), "simulation": true}),
    )?;
    Ok(TrainOutcome::Registered {
        id,
        name: name.to_string(),
        path,
        examples: data.examples.len(),
        manifest,
    })
}

/// Writes train.jsonl, the adapter file and the manifest in a staging folder, then moves it
/// into place, so the adapter folder appears whole or not at all.
fn write_folder(
    plan: &TrainPlan,
    name: &str,
    adapter: &SimulatedAdapter,
    jsonl: &str,
    data_sha256: &str,
    report: &dataset::Report,
) -> anyhow::Result<serde_json::Value> {
    let parent = match plan.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(&parent)?;
    std::fs::write(staging.path().join("train.jsonl"), jsonl)?;
    adapter.write(&staging.path().join(SIMULATED_ADAPTER_FILE))?;
    let final_file = std::path::absolute(&plan.out)?.join(SIMULATED_ADAPTER_FILE);
    let manifest = serde_json::json!({
        "name": name,
        "simulation": true,
        "note": "SIMULATION: a simulated adapter for the mock backend; no weights were trained",
        "rslm_version": env!("CARGO_PKG_VERSION"),
        "base_model": {"path": SIMULATED_BASE, "kind": "simulation"},
        "trained_from": if plan.continue_from.is_some() { "the previous adapter (--continue-adapter)" } else { "base model" },
        "data": {
            "file": "train.jsonl", "sha256": data_sha256, "examples": report.examples,
            "selection": report, "max_per_task": plan.max_per_task, "max_per_family": plan.max_per_family,
        },
        "training": {"shapes_learned": adapter.shapes(), "solutions_learned": adapter.examples},
        "serving": serving(&final_file),
    });
    std::fs::write(
        staging.path().join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let kept = staging.keep();
    if let Err(e) = std::fs::rename(&kept, &plan.out) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(e)
            .with_context(|| format!("cannot move the adapter into {}", plan.out.display()));
    }
    Ok(manifest)
}

/// The manifest's `serving` field of a simulated adapter: only the mock serves it.
pub fn serving(file: &Path) -> serde_json::Value {
    serde_json::json!({"kind": "simulated", "simulated": file.display().to_string()})
}
