//! `rslm wipe-memory`, the original's command: deletes what the loop learned from (verified
//! episodes, failures, rules and procedures), as the original did, in one transaction. What
//! records what was done stays: runs, eval results, held-out attempts, adapters and their
//! history. Refused while a run is writing to the store.

use rusqlite::TransactionBehavior;
use serde::Serialize;

use super::Store;

/// Rows deleted by a wipe, and what was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Wiped {
    pub episodes: usize,
    pub failures: usize,
    pub procedures: usize,
    pub rules: usize,
    pub kept_runs: usize,
    pub kept_eval_runs: usize,
    pub kept_adapters: usize,
}

impl Store {
    /// Deletes every episode, failure, procedure and rule (with their sources and history);
    /// the FTS indexes follow through their triggers. Refused, with nothing deleted, while a
    /// run is in progress: stale runs of dead processes were marked interrupted when the store
    /// was opened, so a run still `running` belongs to a live process.
    pub fn wipe_memory(&mut self) -> anyhow::Result<Wiped> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let running: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, kind FROM runs WHERE status = 'running' ORDER BY id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        if let Some((id, kind)) = running {
            anyhow::bail!(
                "run {id} ({kind}) is still running on this store; nothing was deleted: wipe \
                 memory when it has finished or been interrupted"
            );
        }
        tx.execute_batch(
            "DELETE FROM rule_sources; DELETE FROM procedure_sources; DELETE FROM knowledge_events;
             DELETE FROM rule_attempts; DELETE FROM contrasts; DELETE FROM consolidation_marks;",
        )?;
        let wiped = Wiped {
            rules: tx.execute("DELETE FROM semantic_rules", [])?,
            procedures: tx.execute("DELETE FROM procedures", [])?,
            episodes: tx.execute("DELETE FROM episodes", [])?,
            failures: tx.execute("DELETE FROM failures", [])?,
            kept_runs: count(&tx, "runs")?,
            kept_eval_runs: count(&tx, "eval_runs")?,
            kept_adapters: count(&tx, "adapters")?,
        };
        tx.commit()?;
        Ok(wiped)
    }
}

fn count(tx: &rusqlite::Transaction<'_>, table: &str) -> anyhow::Result<usize> {
    let n: i64 = tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}
