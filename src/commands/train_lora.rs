//! `rslm train-lora`: a LoRA adapter from verified episodes, converted for serving, written with
//! a manifest and registered inactive. Everything is checked before anything is written: with a
//! missing dependency or base model the command says what to install and changes nothing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{DbArg, TaskSetArgs};
use crate::store::Store;
use crate::store::adapters::NewAdapter;
use crate::store::runs::{NewRun, RunKind, RunStatus};
use crate::train::base_model::BaseModel;
use crate::train::dataset::{self, Balance};
use crate::train::trainer::{self, Hyper, Trainer};
use crate::train::{ServingKind, serving};
use crate::usage;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    /// Folder to write the adapter into (must not exist yet), e.g. artifacts/adapters/lora-001.
    #[arg(long)]
    pub out: PathBuf,
    /// Registry name of the adapter (default: the name of the --out folder).
    #[arg(long)]
    pub name: Option<String>,
    /// Base model: a GGUF file or a Hugging Face folder [default: .rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf].
    #[arg(long, env = "RSLM_HF_MODEL_PATH")]
    pub base_model: Option<PathBuf>,
    /// LoRA rank.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub rank: u32,
    /// LoRA alpha (the update is scaled by alpha / rank).
    #[arg(long, default_value_t = 32.0)]
    pub alpha: f64,
    /// LoRA dropout.
    #[arg(long, default_value_t = 0.05)]
    pub dropout: f64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub epochs: u32,
    /// Peak learning rate (linear warm-up over the first tenth of steps, then linear decay).
    #[arg(long, default_value_t = 2e-4)]
    pub learning_rate: f64,
    /// Longest example in tokens; longer prompts are dropped, longer answers truncated.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(16..=32768))]
    pub max_length: u32,
    /// Examples per optimizer step.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch_size: u32,
    /// Seed of the example selection, the shuffling and the initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Modules that get a LoRA (comma list of Hugging Face module names).
    #[arg(
        long,
        default_value = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    )]
    pub target_modules: String,
    /// At most this many distinct verified solutions per task.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_per_task: u64,
    /// At most this many examples per task family.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_per_family: u64,
    /// Compute precision: bf16 autocast where the hardware has it natively (auto), or fixed.
    #[arg(long, default_value = "auto", value_parser = ["auto", "fp32", "bf16"])]
    pub precision: String,
    /// Trainer threads (default: PyTorch's choice, one per core).
    #[arg(long)]
    pub threads: Option<u32>,
    /// Which server the manifest's `serving` field addresses (both forms are always written).
    #[arg(long, value_enum, default_value = "llamacpp")]
    pub serving: ServingKind,
    /// Free-text notes stored with the adapter.
    #[arg(long, default_value = "")]
    pub notes: String,
    /// Write the training set (OUT/train.jsonl) and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
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

pub fn run(args: Args) -> anyhow::Result<()> {
    // Parse, then check everything that does not need the store.
    if !(args.alpha.is_finite() && args.alpha > 0.0) {
        usage!("--alpha must be a positive number");
    }
    if !(0.0..1.0).contains(&args.dropout) {
        usage!("--dropout must be in [0, 1)");
    }
    if !(args.learning_rate.is_finite() && args.learning_rate > 0.0) {
        usage!("--learning-rate must be a positive number");
    }
    if args.out.exists() {
        usage!(
            "{} already exists; choose a new --out folder (adapters are never overwritten)",
            args.out.display()
        );
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
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
    // Checked before the store is even opened; a dry run needs neither.
    let ready = if args.dry_run {
        None
    } else {
        Some(preflight(args.base_model.as_deref())?)
    };

    let store = Store::open_existing(&args.db.db)?;
    if !args.dry_run && store.adapter_by_name(&name)?.is_some() {
        usage!("an adapter named {name:?} is already registered; choose another --name");
    }
    let (source, split) = args.tasks.load_split()?;
    let balance = Balance {
        max_per_task: args.max_per_task as usize,
        max_per_family: args.max_per_family as usize,
        seed: args.seed,
    };
    let data = dataset::build(&store, &split, balance)?;
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
            source.label()
        );
    }
    let jsonl = data.to_jsonl();
    let data_sha256 = dataset::sha256_hex(jsonl.as_bytes());

    if args.dry_run {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let path = args.out.join("train.jsonl");
        std::fs::write(&path, &jsonl)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({"dry_run": true, "data": path.display().to_string(), "data_sha256": data_sha256, "dataset": data.report})
            );
        } else {
            println!(
                "dry run: wrote {} examples to {} (sha256 {data_sha256})",
                data.examples.len(),
                path.display()
            );
        }
        return Ok(());
    }

    let Some((base, trainer)) = ready else {
        unreachable!("a dry run has returned above");
    };
    let hyper = Hyper {
        rank: args.rank,
        alpha: args.alpha,
        dropout: args.dropout,
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        max_length: args.max_length,
        batch_size: args.batch_size,
        seed: args.seed,
        target_modules: args.target_modules.clone(),
        precision: args.precision.clone(),
        threads: args.threads,
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
        "name": name, "out": args.out.display().to_string(), "base_model": base.path().display().to_string(),
        "hyper": hyper, "balance": balance, "tasks": source.label(),
        "heldout_size": args.tasks.heldout_size, "split_seed": args.tasks.split_seed,
    });
    let run_id = store.start_run(&NewRun {
        kind: RunKind::Train,
        backend: "local".into(),
        model: base.path().display().to_string(),
        simulation: false,
        seed: args.seed,
        mode: Some("trainpool".into()),
        prompt_version: Some(crate::prompt::PROMPT_VERSION.into()),
        tasks_source: Some(source.label()),
        config,
    })?;
    let outcome = train_into(
        &args,
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
            let path = std::fs::canonicalize(&args.out)?.display().to_string();
            let id = store.register_adapter(&NewAdapter {
                name: &name,
                path: &path,
                base_model: &base.path().display().to_string(),
                manifest: &manifest,
                notes: &args.notes,
            })?;
            store.finish_run(
                run_id,
                RunStatus::Completed,
                &serde_json::json!({"adapter_id": id, "examples": data.examples.len()}),
            )?;
            let training = &manifest["training"];
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"id": id, "name": name, "path": path, "active": false, "manifest": manifest})
                );
            } else {
                println!(
                    "registered adapter {name} (inactive) at {path}: {} examples, {} steps in {} s ({} s of it loading the model), epoch loss {} -> {}, peak memory {} MB; activate it with `rslm set-active-adapter --name {name}`",
                    data.examples.len(),
                    training["steps"],
                    training["train_seconds"],
                    training["load_seconds"],
                    training["epoch_losses"]
                        .as_array()
                        .and_then(|a| a.first())
                        .unwrap_or(&serde_json::Value::Null),
                    training["epoch_losses"]
                        .as_array()
                        .and_then(|a| a.last())
                        .unwrap_or(&serde_json::Value::Null),
                    training["peak_rss_mb"],
                );
            }
            Ok(())
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
    args: &Args,
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
    let parent = match args.out.parent() {
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
    let result = trainer.train(
        base,
        hyper,
        &stage.join("train.jsonl"),
        &stage.join("peft"),
        &stage.join("train_result.json"),
    )?;
    eprintln!("train-lora: converting the adapter to GGUF for llama.cpp");
    let conversion = crate::train::peft_to_gguf::convert(
        &stage.join("peft"),
        base,
        &stage.join("adapter.gguf"),
    )?;

    // Paths in the manifest are where the files will be once moved into place.
    let final_dir = absolute(&args.out)?;
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
        "trained_from": "base model (each adapter starts from the base weights, never from an earlier adapter)",
        "data": {
            "file": "train.jsonl",
            "sha256": data_sha256,
            "examples": data.examples.len(),
            "bytes": jsonl.len(),
            "prompt_version": crate::prompt::PROMPT_VERSION,
            "selection": data.report,
            "tasks": args.tasks.tasks,
            "heldout_size": args.tasks.heldout_size,
            "split_seed": args.tasks.split_seed,
            "max_per_task": args.max_per_task,
            "max_per_family": args.max_per_family,
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
            "versions": trainer.versions,
            "script_sha256": dataset::sha256_hex(trainer::TRAIN_SCRIPT.as_bytes()),
        },
        "files": {
            "peft_dir": "peft",
            "gguf": "adapter.gguf",
            "gguf_sha256": crate::train::base_model::file_sha256(&stage.join("adapter.gguf"))?,
            "gguf_tensors": conversion.tensors,
        },
        "serving": serving(args.serving, name, &gguf, &peft),
    });
    std::fs::write(
        stage.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let _ = std::fs::remove_file(stage.join("train_result.json"));
    let kept = staging.keep();
    if let Err(e) = std::fs::rename(&kept, &args.out) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(e)
            .with_context(|| format!("cannot move the adapter into {}", args.out.display()));
    }
    Ok(manifest)
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(std::path::absolute(path)?)
}
