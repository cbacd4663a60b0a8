//! Eval candidates and the memory behind every prompt. An eval keeps each candidate (its code,
//! the raw reply, the verdict) so it can be exported, re-scored and audited; iterations and evals
//! record which episodes, procedures and rules were retrieved for a prompt. Texts are stored once
//! by hash, because the conditions of one eval often produce the same answer.

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::Store;
use super::episodes::Attempt;

/// The ids of what was retrieved for one prompt, best first within each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetrievedIds {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedures: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<i64>,
}

impl RetrievedIds {
    pub fn is_empty(&self) -> bool {
        self.episodes.is_empty() && self.procedures.is_empty() && self.rules.is_empty()
    }

    /// The stored form: NULL when nothing was retrieved, so a baseline row costs nothing.
    pub(crate) fn to_column(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).expect("ids serialize"))
    }

    fn from_column(text: Option<String>) -> RetrievedIds {
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }
}

/// One stored eval candidate, as `export-samples` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSample {
    pub task_id: String,
    pub sample_index: usize,
    pub code: String,
    pub raw: Option<String>,
    pub verdict: String,
    pub first_failure: Option<String>,
    pub retrieved: RetrievedIds,
}

/// The id of `text` in `sample_texts`, inserting it the first time it is seen.
fn text_id(tx: &Transaction<'_>, text: &str) -> rusqlite::Result<i64> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    tx.execute(
        "INSERT OR IGNORE INTO sample_texts (hash, text) VALUES (?1, ?2)",
        params![hash, text],
    )?;
    tx.query_row("SELECT id FROM sample_texts WHERE hash = ?1", [hash], |r| {
        r.get(0)
    })
}

impl Store {
    /// Stores every candidate of one task under one eval condition, in one transaction.
    pub fn record_eval_samples(
        &self,
        run_id: i64,
        condition: &str,
        task_id: &str,
        retrieved: &RetrievedIds,
        attempts: &[Attempt],
    ) -> anyhow::Result<()> {
        let tx = self.conn().unchecked_transaction()?;
        let retrieved = retrieved.to_column();
        for a in attempts {
            let code = text_id(&tx, &a.candidate.code)?;
            // The raw reply is kept only when it says more than the code taken from it.
            let raw = &a.candidate.raw;
            let raw = if raw.is_empty() || *raw == a.candidate.code {
                None
            } else {
                Some(text_id(&tx, raw)?)
            };
            tx.execute(
                "INSERT OR REPLACE INTO eval_samples (run_id, condition, task_id, sample_index, code_id, raw_id,
                   verdict, first_failure, retrieved_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run_id,
                    condition,
                    task_id,
                    a.sample_index as i64,
                    code,
                    raw,
                    a.verdict.verdict.as_str(),
                    a.verdict.first_failure,
                    retrieved
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records `to`'s samples as `from`'s: a condition that sent exactly the requests of an
    /// earlier one reports its outcomes, so it exports the same candidates.
    pub fn copy_eval_samples(&self, run_id: i64, from: &str, to: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO eval_samples (run_id, condition, task_id, sample_index, code_id, raw_id,
               verdict, first_failure, retrieved_json)
             SELECT run_id, ?3, task_id, sample_index, code_id, raw_id, verdict, first_failure, retrieved_json
             FROM eval_samples WHERE run_id = ?1 AND condition = ?2",
            params![run_id, from, to],
        )?;
        Ok(())
    }

    /// The conditions an eval run stored samples for, by name.
    pub fn eval_sample_conditions(&self, run_id: i64) -> anyhow::Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT condition FROM eval_samples WHERE run_id = ?1 ORDER BY condition",
        )?;
        let rows = stmt
            .query_map([run_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// An eval run's candidates under one condition, by task id then sample.
    pub fn eval_samples(&self, run_id: i64, condition: &str) -> anyhow::Result<Vec<StoredSample>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.task_id, s.sample_index, c.text, r.text, s.verdict, s.first_failure, s.retrieved_json
             FROM eval_samples s JOIN sample_texts c ON c.id = s.code_id
             LEFT JOIN sample_texts r ON r.id = s.raw_id
             WHERE s.run_id = ?1 AND s.condition = ?2 ORDER BY s.task_id, s.sample_index",
        )?;
        let rows = stmt
            .query_map(params![run_id, condition], |r| {
                Ok(StoredSample {
                    task_id: r.get(0)?,
                    sample_index: r.get::<_, i64>(1)? as usize,
                    code: r.get(2)?,
                    raw: r.get(3)?,
                    verdict: r.get(4)?,
                    first_failure: r.get(5)?,
                    retrieved: RetrievedIds::from_column(r.get(6)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The newest completed eval run that stored samples.
    pub fn latest_eval_with_samples(&self) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT r.id FROM runs r WHERE r.kind = 'eval' AND r.status = 'completed'
                   AND EXISTS (SELECT 1 FROM eval_samples s WHERE s.run_id = r.id)
                 ORDER BY r.id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether run `run_id` is an eval, and its status (`None`: no such run).
    pub fn eval_run_status(&self, run_id: i64) -> anyhow::Result<Option<(bool, String)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT kind = 'eval', status FROM runs WHERE id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// What an iteration retrieved for a task's prompt (empty when nothing was).
    pub fn task_retrieval(&self, run_id: i64, task_id: &str) -> anyhow::Result<RetrievedIds> {
        let text: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT retrieved_json FROM run_tasks WHERE run_id = ?1 AND task_id = ?2",
                params![run_id, task_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(RetrievedIds::from_column(text.flatten()))
    }
}
