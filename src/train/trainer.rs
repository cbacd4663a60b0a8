//! The Python side of training, driven as a subprocess: PyTorch + transformers + PEFT in the
//! project-local `.rslm/train-venv` (made by `scripts/train_env.sh`). The script is compiled
//! into the binary and written to a temporary folder for each run, so an installed `rslm` needs
//! no checkout. Its progress goes to stderr as it happens. Converting the trained adapter for
//! llama.cpp needs no Python: see `peft_to_gguf`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use serde::Serialize;

use super::base_model::BaseModel;

/// The trainer, compiled in.
pub const TRAIN_SCRIPT: &str = include_str!("../../scripts/lora_train.py");
/// What to run when something is missing.
pub const INSTALL_HINT: &str = "run scripts/train_env.sh (installs PyTorch, transformers, PEFT and gguf into .rslm/train-venv and fetches SmolLM2 into .rslm/models)";

/// The interpreter of the training environment: `RSLM_TRAIN_PYTHON`, else the project venv.
pub fn python_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RSLM_TRAIN_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if cfg!(windows) {
        PathBuf::from(".rslm/train-venv/Scripts/python.exe")
    } else {
        PathBuf::from(".rslm/train-venv/bin/python")
    }
}

/// LoRA hyper-parameters, as recorded in the manifest and passed to the trainer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hyper {
    pub rank: u32,
    pub alpha: f64,
    pub dropout: f64,
    pub epochs: u32,
    pub learning_rate: f64,
    pub max_length: u32,
    pub batch_size: u32,
    pub seed: u64,
    pub target_modules: String,
    pub precision: String,
    pub threads: Option<u32>,
}

/// A checked training environment: the interpreter has every package, the scripts are on disk.
#[derive(Debug)]
pub struct Trainer {
    python: PathBuf,
    scripts: tempfile::TempDir,
    /// Package versions reported by the environment.
    pub versions: serde_json::Value,
}

impl Trainer {
    /// Checks the interpreter and its packages. `Err` says what is missing, in one sentence.
    pub fn probe() -> Result<Trainer, String> {
        let python = python_path();
        let scripts = tempfile::Builder::new()
            .prefix("rslm-train-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        std::fs::write(scripts.path().join("lora_train.py"), TRAIN_SCRIPT)
            .map_err(|e| format!("cannot write lora_train.py: {e}"))?;
        let output = Command::new(&python)
            .arg(scripts.path().join("lora_train.py"))
            .arg("--check")
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(o) if o.status.success() => o,
            Ok(_) | Err(_) => {
                return Err(format!(
                    "the training environment {} is missing (no working Python interpreter there)",
                    python.display()
                ));
            }
        };
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|_| {
            format!(
                "the training environment {} did not answer the package check",
                python.display()
            )
        })?;
        let missing: Vec<&str> = report["missing"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if !missing.is_empty() {
            return Err(format!(
                "the training packages {} are missing from {}",
                missing.join(", "),
                python.display()
            ));
        }
        Ok(Trainer {
            python,
            scripts,
            versions: report["versions"].clone(),
        })
    }

    /// Trains a PEFT adapter into `peft_dir` (continuing the PEFT folder `init_adapter` when
    /// given); returns the trainer's result JSON (loss curve, time, peak memory). Checkpoints go
    /// to `checkpoints`, and a rerun with the same folder resumes from the last one. Progress
    /// streams to stderr.
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &self,
        base: &BaseModel,
        hyper: &Hyper,
        data: &Path,
        peft_dir: &Path,
        result: &Path,
        init_adapter: Option<&Path>,
        checkpoints: &Path,
    ) -> anyhow::Result<serde_json::Value> {
        let mut cmd = Command::new(&self.python);
        cmd.arg(self.scripts.path().join("lora_train.py"))
            .arg("--base-model")
            .arg(base.path())
            .arg("--data")
            .arg(data)
            .arg("--out")
            .arg(peft_dir)
            .arg("--result")
            .arg(result)
            .args(["--rank", &hyper.rank.to_string()])
            .args(["--alpha", &hyper.alpha.to_string()])
            .args(["--dropout", &hyper.dropout.to_string()])
            .args(["--epochs", &hyper.epochs.to_string()])
            .args(["--lr", &hyper.learning_rate.to_string()])
            .args(["--max-length", &hyper.max_length.to_string()])
            .args(["--batch-size", &hyper.batch_size.to_string()])
            .args(["--seed", &hyper.seed.to_string()])
            .args(["--target-modules", &hyper.target_modules])
            .args(["--precision", &hyper.precision])
            .args([
                "--threads",
                &hyper.threads.map_or("0".into(), |t| t.to_string()),
            ])
            .arg("--checkpoints")
            .arg(checkpoints);
        if let Some(init) = init_adapter {
            cmd.arg("--init-adapter").arg(init);
        }
        // Offline by construction: never let the hub clients try the network.
        cmd.env("HF_HUB_OFFLINE", "1")
            .env("TRANSFORMERS_OFFLINE", "1")
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("TOKENIZERS_PARALLELISM", "false");
        run(cmd, "the trainer")?;
        let text = std::fs::read_to_string(result)
            .with_context(|| format!("the trainer wrote no result at {}", result.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Runs a child with its stdout and stderr on our stderr. Ctrl-C reaches the child (same
/// process group); rslm waits for it so the caller can clean up, then reports the interruption.
fn run(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // Another handler may already be installed; then that one decides.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit())
        .status()
        .with_context(|| format!("cannot start {what}"))?;
    if interrupted.load(Ordering::SeqCst) {
        anyhow::bail!("interrupted");
    }
    if !status.success() {
        anyhow::bail!("{what} failed ({status}); its messages are above");
    }
    Ok(())
}
