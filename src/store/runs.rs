//! Run records: every iteration, eval, consolidation and training is a run with its config,
//! rslm version, backend, model and seed, so every episode and result can be traced back.

use rusqlite::{OptionalExtension as _, params};

use super::Store;

/// What kind of work a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Iteration,
    Eval,
    Consolidate,
    SelfImprove,
    Train,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Iteration => "iteration",
            RunKind::Eval => "eval",
            RunKind::Consolidate => "consolidate",
            RunKind::SelfImprove => "self-improve",
            RunKind::Train => "train",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Completed,
    Interrupted,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }
}

/// The record of a run as it starts.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub kind: RunKind,
    pub backend: String,
    pub model: String,
    pub simulation: bool,
    pub seed: u64,
    pub mode: Option<String>,
    pub prompt_version: Option<String>,
    pub tasks_source: Option<String>,
    /// The validated settings of the command (never secrets).
    pub config: serde_json::Value,
}

impl Store {
    /// Records a run as started and returns its id.
    pub fn start_run(&self, run: &NewRun) -> anyhow::Result<i64> {
        self.conn().execute(
            "INSERT INTO runs (kind, rslm_version, backend, model, simulation, seed, mode, prompt_version, tasks_source, config_json, pid, host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                run.kind.as_str(),
                env!("CARGO_PKG_VERSION"),
                run.backend,
                run.model,
                run.simulation,
                run.seed as i64,
                run.mode,
                run.prompt_version,
                run.tasks_source,
                run.config.to_string(),
                std::process::id(),
                this_host()
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Marks `interrupted` every run of this host still `running` whose process is gone (killed
    /// with -9, crashed): it will never finish, and `--resume` can pick it up. Runs of live
    /// processes (another command on the same store) and of other hosts are left alone.
    /// Returns how many were marked.
    pub fn mark_stale_runs(&self) -> anyhow::Result<usize> {
        let mut stale = Vec::new();
        {
            let mut statement = self
                .conn()
                .prepare("SELECT id, pid FROM runs WHERE status = 'running' AND pid IS NOT NULL AND host = ?1")?;
            let rows = statement.query_map(params![this_host()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (id, pid) = row?;
                if !process_alive(pid) {
                    stale.push(id);
                }
            }
        }
        for id in &stale {
            self.conn().execute(
                "UPDATE runs SET status = 'interrupted', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1 AND status = 'running'",
                params![id],
            )?;
        }
        if !stale.is_empty() {
            tracing::warn!(runs = ?stale, "marked runs whose process is gone as interrupted");
        }
        Ok(stale.len())
    }

    /// Marks a run finished with its counts.
    pub fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: &serde_json::Value,
    ) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE runs SET status = ?1, counts_json = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?3",
            params![status.as_str(), counts.to_string(), run_id],
        )?;
        Ok(())
    }

    /// The newest run of `kind` that did not complete and whose config matches, for `--resume`.
    pub fn resumable_run(
        &self,
        kind: RunKind,
        config: &serde_json::Value,
    ) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM runs WHERE kind = ?1 AND status IN ('running', 'interrupted') AND config_json = ?2
                 ORDER BY id DESC LIMIT 1",
                params![kind.as_str(), config.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records the tasks a run set out to do.
    pub fn set_selection(&self, run_id: i64, task_ids: &[&str]) -> anyhow::Result<()> {
        let json = serde_json::to_string(task_ids)?;
        self.conn().execute(
            "UPDATE runs SET selection_json = ?1 WHERE id = ?2",
            params![json, run_id],
        )?;
        Ok(())
    }

    /// The tasks a run set out to do.
    pub fn selection(&self, run_id: i64) -> anyhow::Result<Vec<String>> {
        let json: Option<String> = self.conn().query_row(
            "SELECT selection_json FROM runs WHERE id = ?1",
            [run_id],
            |r| r.get(0),
        )?;
        Ok(json
            .map(|j| serde_json::from_str(&j))
            .transpose()?
            .unwrap_or_default())
    }

    /// Re-opens an interrupted run.
    pub fn reopen_run(&self, run_id: i64) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?1",
            [run_id],
        )?;
        Ok(())
    }
}

/// This machine's name, as runs record it (a pid means nothing on another host).
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_default()
}

/// Whether a process with this pid exists.
fn process_alive(pid: i64) -> bool {
    crate::platform::process_alive(pid)
}
