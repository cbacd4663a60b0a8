//! `rslm server start|stop|status|env`: a model server rslm runs itself (`server`), in its own
//! process group recorded in a state file, so `stop` ends every process it started.

use std::path::PathBuf;
use std::time::Duration;

use crate::server::{ServedAdapter, ServerConfig, ServerKind};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Start a server, wait until it answers, print RSLM_BASE_URL and RSLM_MODEL.
    Start(StartArgs),
    /// Stop the server and every process it started.
    Stop(WhichArgs),
    /// Say whether the server runs (exit 3 when it does not, as init scripts do).
    Status(WhichArgs),
    /// Print `export` lines for RSLM_BASE_URL and RSLM_MODEL: eval "$(rslm server env)".
    Env(WhichArgs),
}

/// Which server: its state folder and name.
#[derive(Debug, Clone, clap::Args)]
pub struct WhichArgs {
    /// Folder of the state file and log.
    #[arg(long, env = "RSLM_STATE_DIR", default_value = ".rslm/run")]
    pub state_dir: PathBuf,
    /// Name of the server (several may run from one state folder).
    #[arg(long, default_value = "default")]
    pub name: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub which: WhichArgs,
    /// `llamacpp` (xllamacpp and SmolLM2 from scripts/model_server.sh install), `vllm` (`vllm
    /// serve` on PATH or RSLM_VLLM) or `command` (the program after `--`, `{port}` in its arguments).
    #[arg(long, value_parser = ["llamacpp", "vllm", "command"], default_value = "llamacpp")]
    pub kind: String,
    /// Port on 127.0.0.1 (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// llama.cpp: a GGUF model file [default: .rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf];
    /// vLLM: a model id or folder.
    #[arg(long)]
    pub model: Option<String>,
    /// llama.cpp threads [default: one fewer than the cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// llama.cpp slots (requests served at once).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallel: u32,
    /// llama.cpp context tokens per slot.
    #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u32).range(64..=1048576))]
    pub ctx: u32,
    /// An adapter to serve, NAME=PATH or PATH (llama.cpp: a GGUF LoRA; vLLM: a PEFT folder);
    /// repeat for several.
    #[arg(long = "lora")]
    pub loras: Vec<String>,
    /// Seconds to wait for the server to answer.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
    /// `--kind command`: the program and its arguments.
    #[arg(last = true)]
    pub command: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Start(start) => run_start(start),
        Action::Stop(which) => {
            match crate::server::stop(&which.state_dir, &which.name)? {
                Some(state) => eprintln!("model server: stopped (pid {})", state.pid),
                None => eprintln!("model server: not running"),
            }
            Ok(())
        }
        Action::Status(which) => match crate::server::status(&which.state_dir, &which.name)? {
            Some(s) => {
                println!(
                    "running: {} model {} (pid {}, {} adapter(s), log {})",
                    s.base_url,
                    s.model,
                    s.pid,
                    s.adapters.len(),
                    s.log.display()
                );
                Ok(())
            }
            None => {
                println!("not running");
                // The status convention of init scripts (and scripts/model_server.sh).
                std::process::exit(3);
            }
        },
        Action::Env(which) => match crate::server::status(&which.state_dir, &which.name)? {
            Some(s) => {
                println!(
                    "export RSLM_BASE_URL={}\nexport RSLM_MODEL={}",
                    s.base_url, s.model
                );
                Ok(())
            }
            None => anyhow::bail!(
                "the model server {} is not running (start it: rslm server start)",
                which.name
            ),
        },
    }
}

fn run_start(args: StartArgs) -> anyhow::Result<()> {
    let kind = match args.kind.as_str() {
        "vllm" => ServerKind::Vllm,
        "command" => ServerKind::Command,
        _ => ServerKind::Llamacpp,
    };
    if kind == ServerKind::Command && args.command.is_empty() {
        crate::usage!(
            "--kind command needs the program after `--`, e.g. -- ./serve --port {{port}}"
        );
    }
    let adapters = args
        .loras
        .iter()
        .map(|spec| parse_adapter(spec))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = ServerConfig {
        kind,
        state_dir: args.which.state_dir.clone(),
        name: args.which.name.clone(),
        port: args.port,
        model: args.model.clone(),
        threads: args.threads,
        parallel: args.parallel,
        ctx: args.ctx,
        command: args.command.clone(),
        adapters,
        start_timeout: Duration::from_secs(args.timeout),
        tie_to_rslm: false,
    };
    let server = crate::server::start(&config)?;
    let state = server.detach();
    eprintln!(
        "model server: ready at {} (pid {}, log {}); stop it with: rslm server stop --name {}",
        state.base_url,
        state.pid,
        state.log.display(),
        config.name
    );
    println!(
        "RSLM_BASE_URL={}\nRSLM_MODEL={}",
        state.base_url, state.model
    );
    Ok(())
}

/// `NAME=PATH` or `PATH` (named after its folder).
fn parse_adapter(spec: &str) -> anyhow::Result<ServedAdapter> {
    let (name, path) = match spec.split_once('=') {
        Some((name, path)) => (name.to_string(), PathBuf::from(path)),
        None => {
            let path = PathBuf::from(spec);
            let name = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "adapter".into());
            (name, path)
        }
    };
    if !path.exists() {
        crate::usage!("--lora {spec}: {} does not exist", path.display());
    }
    Ok(ServedAdapter { name, path })
}
