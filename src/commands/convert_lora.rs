//! `rslm convert-lora`: a PEFT LoRA adapter folder to the GGUF LoRA file llama.cpp's server
//! loads. `train-lora` does this itself; this command converts an adapter trained elsewhere (a
//! GPU machine, vLLM's folder) or again after a fix, with no Python.

use std::path::PathBuf;

use crate::train::base_model::BaseModel;
use crate::train::peft_to_gguf;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// PEFT adapter folder (adapter_config.json + adapter_model.safetensors).
    #[arg(long)]
    pub adapter: PathBuf,
    /// Base model the adapter was trained from: a GGUF file or a Hugging Face folder
    /// [default: .rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf].
    #[arg(long)]
    pub base_model: Option<PathBuf>,
    /// GGUF file to write (replaced if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Print a machine-readable result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let base = BaseModel::resolve(args.base_model.as_deref()).map_err(anyhow::Error::msg)?;
    let conversion = peft_to_gguf::convert(&args.adapter, &base, &args.out)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"out": args.out.display().to_string(), "conversion": conversion})
        );
    } else {
        println!(
            "wrote {}: {} tensors, rank {}, alpha {}, architecture {}",
            args.out.display(),
            conversion.tensors,
            conversion.rank,
            conversion.alpha,
            conversion.architecture
        );
    }
    Ok(())
}
