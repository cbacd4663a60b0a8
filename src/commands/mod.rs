//! One module per subcommand, each with its own `Args` and `run`.

pub mod adapters;
pub mod consolidate;
pub mod convert_lora;
pub mod eval;
pub mod export_samples;
pub mod import_tasks;
pub mod init_db;
pub mod knowledge;
pub mod plot;
pub mod promote_adapter;
pub mod run_iteration;
pub mod seed_tasks;
pub mod self_improve;
pub mod server;
pub mod train_lora;
pub mod verify;
pub mod wipe_memory;

use crate::cli::Command;
use crate::store::knowledge::KnowledgeKind;

/// Dispatches a parsed command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::InitDb(args) => init_db::run(args),
        Command::SeedTasks(args) => seed_tasks::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Verify(args) => verify::run(args),
        Command::ImportTasks(args) => import_tasks::run(args),
        Command::RunIteration(args) => run_iteration::run(args),
        Command::Consolidate(args) => consolidate::run(args),
        Command::Eval(args) => eval::run(args),
        Command::ExportSamples(args) => export_samples::run(args),
        Command::SelfImprove(args) => self_improve::run(*args),
        Command::Rules(args) => knowledge::run(KnowledgeKind::Rule, args),
        Command::Procedures(args) => knowledge::run(KnowledgeKind::Procedure, args),
        Command::TrainLora(args) => train_lora::run(args),
        Command::ConvertLora(args) => convert_lora::run(args),
        Command::ListAdapters(args) => adapters::list(args),
        Command::SetActiveAdapter(args) => adapters::set_active(args),
        Command::RollbackAdapter(args) => adapters::rollback(args),
        Command::PromoteAdapter(args) => promote_adapter::run(args),
        Command::WipeMemory(args) => wipe_memory::run(args),
        Command::Server(args) => server::run(args),
    }
}
