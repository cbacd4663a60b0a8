//! One module per subcommand, each with its own `Args` and `run`.

pub mod import_tasks;
pub mod init_db;
pub mod plot;
pub mod seed_tasks;
pub mod verify;

use crate::cli::Command;

/// Dispatches a parsed command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::InitDb(args) => init_db::run(args),
        Command::SeedTasks(args) => seed_tasks::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Verify(args) => verify::run(args),
        Command::ImportTasks(args) => import_tasks::run(args),
    }
}
