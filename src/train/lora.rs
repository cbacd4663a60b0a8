//! Training a LoRA adapter from verified episodes: the dataset, the trainer, the conversion
//! for llama.cpp, a manifest, and the registration (inactive). Everything is checked before
//! anything is written: with a missing dependency or base model it says what to install and
//! changes nothing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::base_model::BaseModel;
use super::dataset::{self, Balance};
use super::trainer::{self, Hyper, Trainer};
use super::{ServingKind, serving};
use crate::store::Store;
use crate::store::adapters::NewAdapter;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::tasks::split::{Split, SplitConfig};
use crate::usage;

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainPlan {
    /// Folder to write the adapter into (must not exist yet).
    pub out: PathBuf,
    /// Registry name (default: the name of the `out` folder).
    pub name: Option<String>,
    /// A GGUF file or a Hugging Face folder (default: the project's SmolLM2).
    pub base_model: Option<PathBuf>,
    pub rank: u32,
    pub alpha: f64,
    pub dropout: f64,
    pub epochs: u32,
    pub learning_rate: f64,
    pub max_length: u32,
    pub batch_size: u32,
    pub seed: u64,
    pub target_modules: String,
    pub max_per_task: u64,
    pub max_per_family: u64,
    pub precision: String,
    pub threads: Option<u32>,
    pub serving: ServingKind,
    pub notes: String,
    /// Write the training set (OUT/train.jsonl) and stop.
    pub dry_run: bool,
    /// A SIMULATED adapter for the mock backend (`train::simulated`) instead of LoRA weights.
    pub simulated: bool,
    /// Start from this earlier adapter's folder instead of the base model (`--continue-adapter`).
    pub continue_from: Option<PathBuf>,
}

/// What training did.
#[derive(Debug)]
pub enum TrainOutcome {
    /// The training set was written, nothing trained.
    DryRun {
        path: PathBuf,
        data_sha256: String,
        report: dataset::Report,
    },
    /// An adapter was trained, converted and registered (inactive).
    Registered {
        id: i64,
        name: String,
        path: String,
        examples: usize,
        manifest: serde_json::Value,
    },
}

impl TrainPlan {
    /// Checks everything that needs no store; returns the adapter's name.
    pub fn validate(&self) -> anyhow::Result<String> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            usage!("--alpha must be a positive number");
        }
        if !(0.0..1.0).contains(&self.dropout) {
            usage!("--dropout must be in [0, 1)");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            usage!("--learning-rate must be a positive number");
        }
        if self.out.exists() {
            usage!(
                "{} already exists; choose a new --out folder (adapters are never overwritten)",
                self.out.display()
            );
        }
        let name = match &self.name {
            Some(n) => n.clone(),
            None => self
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        if !valid_name(&name) {
            usage!(
                "adapter name {name:?} is not valid: use letters, digits, '-', '_' and '.' (set it with --name)"
            );
        }
        Ok(name)
    }
}

/// Names that are safe as folder names and server model names.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
}

/// Trains (or, in a dry run, writes the training set) and registers the adapter.
pub fn run(
    store: &Store,
    split: &Split,
    split_config: &SplitConfig,
    plan: &TrainPlan,
) -> anyhow::Result<TrainOutcome> {
    let name = plan.validate()?;
    if plan.simulated && !plan.dry_run {
        return super::simulated::run(store, split, split_config, plan, &name);
    }
    // Checked before the store is even opened; a dry run needs neither.
    let ready = if plan.dry_run {
        None
    } else {
        Some(preflight(plan.base_model.as_deref())?)
    };

    if !plan.dry_run && store.adapter_by_name(&name)?.is_some() {
        usage!("an adapter named {name:?} is already registered; choose another --name");
    }
    let balance = Balance {
        max_per_task: plan.max_per_task as usize,
        max_per_family: plan.max_per_family as usize,
        seed: plan.seed,
    };
    let data = dataset::build(store, split, balance)?;
    let r = &data.report;
    eprintln!(
        "train-lora: {} examples from {} tasks in {} families ({} verified episodes read; left out: {} held-out, {} unknown task, {} unverified, {} duplicates, {} over the per-task cap, {} over the per-family cap)",
        r.examples,
        r.tasks,
        r.families,
        r.episodes,
        r.excluded_heldout,
        r.excluded_unknown_task,
        r.excluded_unverified,
        r.duplicates,
        r.capped_per_task,
        r.capped_per_family
    );
    if data.examples.is_empty() {
        anyhow::bail!(
            "no training examples: the store has no verified episodes of train-pool tasks in {} (run `rslm run-iteration` first)",
            split_config.source.label()
        );
    }
    let jsonl = data.to_jsonl();
    let data_sha256 = dataset::sha256_hex(jsonl.as_bytes());

    if plan.dry_run {
        std::fs::create_dir_all(&plan.out)
            .with_context(|| format!("cannot create {}", plan.out.display()))?;
        let path = plan.out.join("train.jsonl");
        std::fs::write(&path, &jsonl)
            .with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(TrainOutcome::DryRun {
            path,
            data_sha256,
            report: data.report,
        });
    }

    let Some((base, trainer)) = ready else {
        unreachable!("a dry run has returned above");
    };
    let hyper = Hyper {
        rank: plan.rank,
        alpha: plan.alpha,
        dropout: plan.dropout,
        epochs: plan.epochs,
        learning_rate: plan.learning_rate,
        max_length: plan.max_length,
        batch_size: plan.batch_size,
        seed: plan.seed,
        target_modules: plan.target_modules.clone(),
        precision: plan.precision.clone(),
        threads: plan.threads,
    };
    // The GGUF conversion runs after training: a base model it cannot read would waste the
    // training time, so its metadata is checked first (a header read, no weights).
    let architecture = crate::train::peft_to_gguf::base_architecture(&base)
        .context("cannot convert an adapter for this base model")?;
    eprintln!(
        "train-lora: base model architecture {} ({} heads, {} kv heads); hashing {}",
        architecture.architecture,
        architecture.head_count,
        architecture.head_count_kv,
        base.path().display()
    );
    let base_sha256 = base.sha256()?;
    let config = serde_json::json!({
        "name": name, "out": plan.out.display().to_string(), "base_model": base.path().display().to_string(),
        "hyper": hyper, "balance": balance, "tasks": split_config.source.label(),
        "heldout_size": split_config.heldout_size, "split_seed": split_config.seed,
    });
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Train,
        backend: "local".into(),
        model: base.path().display().to_string(),
        simulation: false,
        seed: plan.seed,
        mode: Some("trainpool".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(split_config.source.label()),
        config,
    })?;
    let outcome = train_into(
        plan,
        split_config,
        &name,
        &base,
        &base_sha256,
        &trainer,
        &hyper,
        &data,
        &jsonl,
        &data_sha256,
        run_id,
    );
    match outcome {
        Ok(manifest) => {
            let path = std::fs::canonicalize(&plan.out)?.display().to_string();
            let id = store.register_adapter(&NewAdapter {
                name: &name,
                path: &path,
                base_model: &base.path().display().to_string(),
                manifest: &manifest,
                notes: &plan.notes,
            })?;
            store.finish_run(
                run_id,
                RunStatus::Completed,
                &serde_json::json!({"adapter_id": id, "examples": data.examples.len()}),
            )?;
            Ok(TrainOutcome::Registered {
                id,
                name,
                path,
                examples: data.examples.len(),
                manifest,
            })
        }
        Err(e) => {
            let status = if e.to_string().contains("interrupted") {
                RunStatus::Interrupted
            } else {
                RunStatus::Failed
            };
            let _ = store.finish_run(
                run_id,
                status,
                &serde_json::json!({"error": format!("{e:#}")}),
            );
            Err(e)
        }
    }
}

/// The base model and a working training environment, or ONE error naming everything that is
/// missing and the command that installs it.
fn preflight(base_model: Option<&Path>) -> anyhow::Result<(BaseModel, Trainer)> {
    match (BaseModel::resolve(base_model), Trainer::probe()) {
        (Ok(base), Ok(trainer)) => Ok((base, trainer)),
        (base, trainer) => {
            let missing: Vec<String> = [base.err(), trainer.err()].into_iter().flatten().collect();
            anyhow::bail!(
                "cannot train: {}; {}",
                missing.join(" and "),
                trainer::INSTALL_HINT
            )
        }
    }
}

/// Trains and converts in a staging folder beside `--out`, writes the manifest, then moves the
/// folder into place: `--out` appears complete or not at all.
#[allow(clippy::too_many_arguments)]
fn train_into(
    plan: &TrainPlan,
    split_config: &SplitConfig,
    name: &str,
    base: &BaseModel,
    base_sha256: &str,
    trainer: &Trainer,
    hyper: &Hyper,
    data: &dataset::Dataset,
    jsonl: &str,
    data_sha256: &str,
    run_id: i64,
) -> anyhow::Result<serde_json::Value> {
    let parent = match plan.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
    let stage = staging.path();
    std::fs::write(stage.join("train.jsonl"), jsonl)?;
    // Beside --out, named after it: a training stopped by Ctrl-C or kill -9 resumes from its
    // last checkpoint when the same adapter is trained again.
    let checkpoints = plan.out.with_file_name(format!(".{name}.checkpoints"));
    let init = plan.continue_from.as_ref().map(|dir| dir.join("peft"));
    let result = trainer.train(
        base,
        hyper,
        &stage.join("train.jsonl"),
        &stage.join("peft"),
        &stage.join("train_result.json"),
        init.as_deref(),
        &checkpoints,
    )?;
    let _ = std::fs::remove_dir_all(&checkpoints);
    eprintln!("train-lora: converting the adapter to GGUF for llama.cpp");
    let conversion = crate::train::peft_to_gguf::convert(
        &stage.join("peft"),
        base,
        &stage.join("adapter.gguf"),
    )?;

    // Paths in the manifest are where the files will be once moved into place.
    let final_dir = absolute(&plan.out)?;
    let gguf = final_dir.join("adapter.gguf");
    let peft = final_dir.join("peft");
    let manifest = serde_json::json!({
        "name": name,
        "rslm_version": env!("CARGO_PKG_VERSION"),
        "run_id": run_id,
        "created_at_unix": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "base_model": {
            "path": absolute(base.path())?.display().to_string(),
            "kind": base.kind(),
            "sha256": base_sha256,
        },
        "trained_from": match &plan.continue_from {
            Some(dir) => format!("the earlier adapter {} (--continue-adapter)", dir.display()),
            None => "base model (ReST-EM: from the base weights, not from an earlier adapter)".to_string(),
        },
        "data": {
            "file": "train.jsonl",
            "sha256": data_sha256,
            "examples": data.examples.len(),
            "bytes": jsonl.len(),
            "prompt_version": crate::prompt::PROMPT_VERSION,
            "selection": data.report,
            "tasks": split_config.source.label(),
            "heldout_size": split_config.heldout_size,
            "split_seed": split_config.seed,
            "max_per_task": plan.max_per_task,
            "max_per_family": plan.max_per_family,
        },
        "hyper_parameters": hyper,
        "training": {
            "epoch_losses": result["epoch_losses"],
            "loss_curve": result["loss_curve"],
            "steps": result["steps"],
            "train_seconds": result["train_seconds"],
            "load_seconds": result["load_seconds"],
            "optimizer_seconds": result["optimizer_seconds"],
            "peak_rss_mb": result["peak_rss_mb"],
            "device": result["device"],
            "precision": result["precision"],
            "threads": result["threads"],
            "answer_tokens": result["answer_tokens"],
            "dropped_too_long": result["dropped_too_long"],
            "trainable_parameters": result["trainable_parameters"],
            "architecture": result["architecture"],
        },
        "trainer": {
            "kind": result["trainer"],
            "versions": trainer.versions,
            "script_sha256": dataset::sha256_hex(trainer::TRAIN_SCRIPT.as_bytes()),
        },
        "files": {
            "peft_dir": "peft",
            "gguf": "adapter.gguf",
            "gguf_sha256": crate::train::base_model::file_sha256(&stage.join("adapter.gguf"))?,
            "gguf_tensors": conversion.tensors,
        },
        "serving": serving(plan.serving, name, &gguf, &peft),
    });
    std::fs::write(
        stage.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let _ = std::fs::remove_file(stage.join("train_result.json"));
    let kept = staging.keep();
    if let Err(e) = std::fs::rename(&kept, &plan.out) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(e)
            .with_context(|| format!("cannot move the adapter into {}", plan.out.display()));
    }
    Ok(manifest)
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(std::path::absolute(path)?)
}
