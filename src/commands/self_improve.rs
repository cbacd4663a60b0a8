//! `rslm self-improve`: `--rounds R`, the loop that learns (generate, consolidate, train, gate,
//! eval per round, resumable: `self_improve::round`), or `--cycles N`, the original's
//! memory-only loop (run-iteration, consolidate and eval per cycle).

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{BackendArgs, DbArg, TaskSetArgs, VerifyArgs, lab_config};
use crate::consolidate::ConsolidationPlan;
use crate::eval::EvalPlan;
use crate::eval::conditions::Condition;
use crate::gate::GatePlan;
use crate::iterate::{IterationPlan, Mode, TaskOrder};
use crate::lab::{Lab, LabConfig, StoreAccess};
use crate::memory::Strategy;
use crate::self_improve::round::{Event, RoundsOutcome, RoundsPlan};
use crate::self_improve::{CycleSummary, SelfImprovePlan};
use crate::train::ServingKind;
use crate::train::lora::TrainPlan;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub tasks: TaskSetArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Rounds of the loop that learns: generate, verify and store, consolidate, train an
    /// adapter, the promotion gate, a held-out eval. Resumable with --resume.
    #[arg(long, conflicts_with = "cycles", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: Option<u32>,
    /// Cycles of the original's memory-only loop (run-iteration, consolidate, eval; no
    /// training) [default: 3 when --rounds is not given].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub cycles: Option<u32>,
    /// Candidates per train-pool task in each iteration or round.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,
    /// Train-pool tasks per iteration or round (unsolved ones first).
    #[arg(long, default_value_t = 30)]
    pub task_limit: usize,
    /// Generate without memory in the prompt (memory is on by default here).
    #[arg(long)]
    pub no_memory: bool,
    /// --rounds: generate with the base model even when an adapter is active (by default a
    /// round generates with the active adapter, the current policy).
    #[arg(long)]
    pub no_adapter: bool,
    /// Evidence a rule or procedure needs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub min_evidence: u32,
    /// Conditions of each eval [default: all for --cycles; baseline,memory,learning,
    /// memory_learning for --rounds].
    #[arg(long)]
    pub conditions: Option<String>,
    /// k of each eval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub eval_k: u32,
    /// Samples per task in each eval (default eval-k).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub eval_n: Option<u32>,
    /// Held-out tasks per eval (default: all of --heldout-size).
    #[arg(long)]
    pub eval_task_limit: Option<usize>,
    /// --rounds: sampling temperature of the gate and the eval, e.g. 0 while generation samples
    /// at --temperature [default: --temperature].
    #[arg(long, value_parser = eval_temperature)]
    pub eval_temperature: Option<f32>,
    #[arg(long, value_enum, default_value = "bm25")]
    pub retrieval: Strategy,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub training: TrainingArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// --rounds: stop cleanly once this much time has passed (seconds, or with a unit: 90s,
    /// 30m, 2h); the run is interrupted and --resume continues it.
    #[arg(long, value_parser = duration)]
    pub time_budget: Option<Duration>,
    /// --rounds: continue the newest unfinished run with the same settings, from the first
    /// stage it did not complete.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Folder for the results [default: a folder beside the store named after it, e.g.
    /// artifacts/memory-self-improve/ for artifacts/memory.sqlite].
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

/// Training in each round (as `train-lora`; the mock trains a SIMULATED adapter).
#[derive(Debug, Clone, clap::Args)]
pub struct TrainingArgs {
    /// Base model for training: a GGUF file or a Hugging Face folder [default: the project's SmolLM2].
    #[arg(long, env = "RSLM_HF_MODEL_PATH")]
    pub base_model: Option<PathBuf>,
    /// Train each round's adapter from the active adapter instead of the base model (ReST-EM
    /// retrains from the base model, the default).
    #[arg(long)]
    pub continue_adapter: bool,
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub rank: u32,
    #[arg(long, default_value_t = 32.0)]
    pub lora_alpha: f64,
    #[arg(long, default_value_t = 0.05)]
    pub dropout: f64,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub epochs: u32,
    #[arg(long, default_value_t = 2e-4)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(16..=32768))]
    pub max_length: u32,
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch_size: u32,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_per_task: u64,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_per_family: u64,
    #[arg(long, default_value = "auto", value_parser = ["auto", "fp32", "bf16"])]
    pub precision: String,
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    #[arg(long, value_enum, default_value = "llamacpp")]
    pub serving: ServingKind,
}

/// The promotion gate of each round.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// Significance level of the gate's exact McNemar test on the held-out set.
    #[arg(long, default_value_t = 0.05)]
    pub gate_alpha: f64,
    /// At most this many check-set tasks (train-pool tasks the adapter did not train on).
    #[arg(long)]
    pub gate_check_limit: Option<usize>,
    /// The gate compares on the first N held-out tasks only.
    #[arg(long)]
    pub gate_heldout_limit: Option<usize>,
}

/// A model server rslm runs for a --rounds run (the backend then talks to it).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// --rounds: start this model server for the run, give it each round's adapters (llama.cpp
    /// restarts with them; vLLM loads them at runtime) and stop it when the run ends, however it
    /// ends: `llamacpp` (scripts/model_server.sh install), `vllm`, or `command` (the program
    /// after `--`, `{port}` in its arguments).
    #[arg(long, value_parser = ["llamacpp", "vllm", "command"])]
    pub serve: Option<String>,
    /// Port of the managed server (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub serve_port: u16,
    /// Model of the managed server (llama.cpp: a GGUF file; vLLM: a model id or folder).
    #[arg(long)]
    pub serve_model: Option<String>,
    /// Folder of the managed server's state file and log.
    #[arg(long, default_value = ".rslm/run")]
    pub serve_state_dir: PathBuf,
    /// `--serve command`: the program and its arguments.
    #[arg(last = true)]
    pub serve_command: Vec<String>,
}

fn server_config(s: &ServeArgs) -> Option<crate::server::ServerConfig> {
    use crate::server::{ServerConfig, ServerKind};
    let kind = match s.serve.as_deref()? {
        "vllm" => ServerKind::Vllm,
        "command" => ServerKind::Command,
        _ => ServerKind::Llamacpp,
    };
    Some(ServerConfig {
        kind,
        state_dir: s.serve_state_dir.clone(),
        name: format!("self-improve-{}", std::process::id()),
        port: s.serve_port,
        model: s.serve_model.clone(),
        threads: None,
        parallel: 4,
        ctx: 2048,
        command: s.serve_command.clone(),
        adapters: Vec::new(),
        start_timeout: Duration::from_secs(300),
        tie_to_rslm: true,
    })
}

fn eval_temperature(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(t) if t.is_finite() && (0.0..=2.0).contains(&t) => Ok(t),
        _ => Err(format!("{text:?} is not a temperature in [0, 2]")),
    }
}

/// `90`, `90s`, `30m`, `2h`.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("unknown unit {unit:?}: use s, m or h, e.g. 30m")),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * scale < 1e9 => {
            Ok(Duration::from_secs_f64(n * scale))
        }
        _ => Err(format!(
            "{text:?} is not a positive duration (e.g. 600, 90s, 30m, 2h)"
        )),
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = lab_config(
        &args.db,
        &args.tasks,
        &args.backend,
        &args.verify,
        StoreAccess::CreateIfMissing,
    );
    let output_dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| crate::self_improve::default_output_dir(&config.db));
    if output_dir.exists() && !output_dir.is_dir() {
        crate::usage!(
            "--output-dir {}: that is a file, not a folder; nothing was written",
            output_dir.display()
        );
    }
    match args.rounds {
        Some(rounds) => run_rounds(&args, rounds, config, output_dir),
        None => run_cycles(&args, config, output_dir),
    }
}

fn eval_plan(args: &Args, conditions: &str, simulation: bool) -> anyhow::Result<EvalPlan> {
    Ok(EvalPlan {
        conditions: Condition::parse_list(conditions, simulation)
            .map_err(crate::error::UsageError)?,
        k: args.eval_k,
        n: args.eval_n.unwrap_or(args.eval_k),
        task_limit: args.eval_task_limit,
        retrieval: args.retrieval,
        seed: args.seed,
        skip_precision: false,
        output: None,
        time_budget: None,
        log_samples: false,
        eval_split: Default::default(),
        primary: None,
        seeds: Vec::new(),
    })
}

fn iteration_plan(args: &Args, with_active_adapter: bool) -> IterationPlan {
    IterationPlan {
        k: args.k,
        mode: Mode::Trainpool,
        memory: !args.no_memory,
        task_limit: Some(args.task_limit),
        task_order: TaskOrder::Unsolved,
        retrieval: args.retrieval,
        seed: args.seed,
        resume: false,
        time_budget: None,
        with_active_adapter,
    }
}

fn training_plan(t: &TrainingArgs, seed: u64) -> TrainPlan {
    TrainPlan {
        out: PathBuf::new(),
        name: None,
        base_model: t.base_model.clone(),
        rank: t.rank,
        alpha: t.lora_alpha,
        dropout: t.dropout,
        epochs: t.epochs,
        learning_rate: t.learning_rate,
        max_length: t.max_length,
        batch_size: t.batch_size,
        seed,
        target_modules: "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj".into(),
        max_per_task: t.max_per_task,
        max_per_family: t.max_per_family,
        precision: t.precision.clone(),
        threads: t.threads,
        serving: t.serving,
        notes: String::new(),
        dry_run: false,
        simulated: false,
        continue_from: None,
    }
}

fn run_rounds(
    args: &Args,
    rounds: u32,
    config: LabConfig,
    output_dir: PathBuf,
) -> anyhow::Result<()> {
    let server = server_config(&args.serve);
    let simulation = config.backend.is_simulation() && server.is_none();
    let conditions = args
        .conditions
        .as_deref()
        .unwrap_or("baseline,memory,learning,memory_learning");
    let mut training = training_plan(&args.training, args.seed);
    if server.as_ref().map(|s| s.kind) == Some(crate::server::ServerKind::Vllm) {
        training.serving = ServingKind::Vllm;
    }
    let plan = RoundsPlan {
        rounds,
        generation: iteration_plan(args, !args.no_adapter),
        consolidation: ConsolidationPlan {
            min_evidence: args.min_evidence,
            full: false,
        },
        training,
        continue_adapter: args.training.continue_adapter,
        gate: GatePlan {
            name: String::new(),
            alpha: args.gate.gate_alpha,
            check_limit: args.gate.gate_check_limit,
            heldout_limit: args.gate.gate_heldout_limit,
            seed: args.seed,
            output: None,
        },
        eval: eval_plan(args, conditions, simulation)?,
        eval_temperature: args.eval_temperature,
        output_dir,
        time_budget: args.time_budget,
        resume: args.resume,
        server,
    };
    plan.validate()?;
    let label = if simulation { "SIMULATION " } else { "" };
    let outcome = crate::self_improve::round::run(config, &plan, |event| {
        if !args.json {
            print_event(label, &event);
        }
    })?;
    print_outcome(label, &outcome, args.json)?;
    if let Some(why) = outcome.interrupted {
        anyhow::bail!(
            "self-improve run {} stopped: {why}; rerun the same command with --resume to continue",
            outcome.report.run_id
        );
    }
    Ok(())
}

fn print_outcome(label: &str, outcome: &RoundsOutcome, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&outcome.report)?);
    } else {
        println!(
            "{label}report: {} ({})",
            outcome.report_markdown.display(),
            outcome.report_json.display()
        );
    }
    Ok(())
}

fn print_event(label: &str, event: &Event<'_>) {
    match event {
        Event::Started {
            run_id,
            resumed,
            dir,
        } => println!(
            "{label}self-improve run {run_id}{}: files in {}",
            if *resumed { " (resumed)" } else { "" },
            dir.display()
        ),
        Event::Skipped { round, stage } => println!(
            "{label}round {round} {}: completed in an earlier attempt",
            stage.as_str()
        ),
        Event::Completed {
            round,
            stage,
            seconds,
            result,
        } => println!(
            "{label}round {round} {}: {} ({seconds:.1} s)",
            stage.as_str(),
            crate::self_improve::report::describe(*stage, result)
        ),
    }
}

fn run_cycles(args: &Args, config: LabConfig, output_dir: PathBuf) -> anyhow::Result<()> {
    if args.resume || args.time_budget.is_some() || args.serve.serve.is_some() {
        crate::usage!(
            "--resume, --time-budget and --serve belong to --rounds (--cycles is the original's loop, one run per stage)"
        );
    }
    let simulation = config.backend.is_simulation();
    let conditions = args.conditions.as_deref().unwrap_or("all");
    let plan = SelfImprovePlan {
        cycles: args.cycles.unwrap_or(3),
        iteration: iteration_plan(args, false),
        consolidation: ConsolidationPlan {
            min_evidence: args.min_evidence,
            full: false,
        },
        eval: eval_plan(args, conditions, simulation)?,
        output_dir,
    };
    plan.validate()?;
    for cycle in 1..=plan.cycles {
        let out = crate::self_improve::cycle_results(&plan.output_dir, cycle);
        crate::output::check_target("--output-dir", &out, Some(&config.db))?;
    }
    let json = args.json;
    let cycles = crate::self_improve::run(&mut Lab::open(config)?, &plan, |c| {
        if !json {
            print_cycle(c);
        }
    })?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "simulation": simulation, "cycles": cycles })
        );
    }
    Ok(())
}

fn print_cycle(c: &CycleSummary) {
    let rates: Vec<String> = c
        .pass_at_1
        .iter()
        .map(|(condition, rate)| format!("{condition} {:.2}", rate.as_f64().unwrap_or(0.0)))
        .collect();
    println!(
        "{}cycle {}: {} of {} tasks solved, memory {} episodes, +{} procedures, +{} rules; pass@1 {}  ({})",
        if c.simulation { "SIMULATION " } else { "" },
        c.cycle,
        c.iteration.tasks_solved,
        c.iteration.tasks,
        c.iteration.memory_episodes,
        c.consolidation.procedures_created,
        c.consolidation.rules_created,
        rates.join(", "),
        c.results
    );
}
