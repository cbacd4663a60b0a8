//! `rslm train-lora`: a LoRA adapter from verified episodes (`train::lora`), converted for
//! serving, written with a manifest and registered inactive.

use std::path::PathBuf;

use crate::cli::{DbArg, TaskSetArgs};
use crate::store::Store;
use crate::train::ServingKind;
use crate::train::lora::{TrainOutcome, TrainPlan};

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
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
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
    /// `openai`: LoRA weights for a model server (PyTorch); `mock`: a SIMULATED adapter that only
    /// the mock backend uses, in seconds, with no PyTorch (no env default: training never
    /// becomes a simulation because RSLM_BACKEND says mock).
    #[arg(long, value_enum, default_value = "openai")]
    pub backend: crate::backend::BackendKind,
    /// Start from this earlier adapter's folder instead of the base model.
    #[arg(long)]
    pub continue_from: Option<PathBuf>,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = TrainPlan {
        out: args.out.clone(),
        name: args.name.clone(),
        base_model: args.base_model.clone(),
        rank: args.rank,
        alpha: args.alpha,
        dropout: args.dropout,
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        max_length: args.max_length,
        batch_size: args.batch_size,
        seed: args.seed,
        target_modules: args.target_modules.clone(),
        max_per_task: args.max_per_task,
        max_per_family: args.max_per_family,
        precision: args.precision.clone(),
        threads: args.threads,
        serving: args.serving,
        notes: args.notes.clone(),
        dry_run: args.dry_run,
        simulated: args.backend == crate::backend::BackendKind::Mock,
        continue_from: args.continue_from.clone(),
    };
    plan.validate()?;
    let split_config = args.tasks.config();
    let store = Store::open_existing(&args.db.db)?;
    let split = split_config.load()?;
    let outcome = crate::train::lora::run(&store, &split, &split_config, &plan)?;
    print_outcome(outcome, args.json);
    Ok(())
}

fn print_outcome(outcome: TrainOutcome, json: bool) {
    match outcome {
        TrainOutcome::DryRun {
            path,
            data_sha256,
            report,
        } if json => println!(
            "{}",
            serde_json::json!({"dry_run": true, "data": path.display().to_string(), "data_sha256": data_sha256, "dataset": report})
        ),
        TrainOutcome::DryRun {
            path,
            data_sha256,
            report,
        } => println!(
            "dry run: wrote {} examples to {} (sha256 {data_sha256})",
            report.examples,
            path.display()
        ),
        TrainOutcome::Registered {
            id,
            name,
            path,
            manifest,
            ..
        } if json => println!(
            "{}",
            serde_json::json!({"id": id, "name": name, "path": path, "active": false, "manifest": manifest})
        ),
        TrainOutcome::Registered {
            name,
            path,
            examples,
            manifest,
            ..
        } => {
            if manifest["simulation"] == true {
                println!(
                    "SIMULATION: registered simulated adapter {name} (inactive) at {path}: {examples} examples, {} task shapes learned; only --backend mock uses it; activate it with `rslm set-active-adapter --name {name}`",
                    manifest["training"]["shapes_learned"]
                );
                return;
            }
            let training = &manifest["training"];
            let losses = training["epoch_losses"].as_array();
            let null = serde_json::Value::Null;
            println!(
                "registered adapter {name} (inactive) at {path}: {examples} examples, {} steps in {} s ({} s of it loading the model), epoch loss {} -> {}, peak memory {} MB; activate it with `rslm set-active-adapter --name {name}`",
                training["steps"],
                training["train_seconds"],
                training["load_seconds"],
                losses.and_then(|a| a.first()).unwrap_or(&null),
                losses.and_then(|a| a.last()).unwrap_or(&null),
                training["peak_rss_mb"],
            );
        }
    }
}
