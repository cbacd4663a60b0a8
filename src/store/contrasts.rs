//! What consolidation reads incrementally: how far each consolidation setting has read the
//! episodes and failures (its mark), what arrived since, and the contrasts it has classified (a
//! failed attempt set against a verified one of the same task, and the slip between them).

use rusqlite::{OptionalExtension as _, params};

use super::Store;
use super::episodes::Episode;

/// A failed train-pool attempt, as contrast classification reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAttempt {
    pub id: i64,
    pub task_id: String,
    pub code: String,
    pub verdict: String,
    pub first_failure: Option<String>,
    /// Why there was no code to run, when there was none.
    pub error: Option<String>,
    pub log: String,
}

/// A classified contrast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contrast {
    pub failure_id: i64,
    pub episode_id: i64,
    pub task_id: String,
    pub shape: String,
    pub slip: String,
}

/// How far a consolidation has read: the last episode and failure ids it processed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub episode: i64,
    pub failure: i64,
}

impl Store {
    /// The newest episode and failure ids in the store.
    pub fn latest_attempts(&self) -> anyhow::Result<Mark> {
        Ok(self.conn().query_row(
            "SELECT (SELECT coalesce(max(id), 0) FROM episodes), (SELECT coalesce(max(id), 0) FROM failures)",
            [],
            |r| Ok(Mark { episode: r.get(0)?, failure: r.get(1)? }),
        )?)
    }

    /// How far the consolidation with this setting has read (zero when it never ran).
    pub fn consolidation_mark(&self, config_key: &str) -> anyhow::Result<Mark> {
        Ok(self
            .conn()
            .query_row(
                "SELECT last_episode_id, last_failure_id FROM consolidation_marks WHERE config_key = ?1",
                [config_key],
                |r| Ok(Mark { episode: r.get(0)?, failure: r.get(1)? }),
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Records how far the consolidation with this setting has read.
    pub fn set_consolidation_mark(&self, config_key: &str, mark: Mark) -> anyhow::Result<()> {
        self.conn().execute(
            "INSERT INTO consolidation_marks (config_key, last_episode_id, last_failure_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (config_key) DO UPDATE SET last_episode_id = ?2, last_failure_id = ?3,
               at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
            params![config_key, mark.episode, mark.failure],
        )?;
        Ok(())
    }

    /// The task ids of episodes and failures stored after `mark`.
    pub fn tasks_attempted_since(&self, mark: Mark) -> anyhow::Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT task_id FROM episodes WHERE id > ?1 UNION SELECT task_id FROM failures WHERE id > ?2",
        )?;
        let ids = stmt
            .query_map(params![mark.episode, mark.failure], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The verified episodes of these tasks, oldest first.
    pub fn episodes_of_tasks(&self, task_ids: &[String]) -> anyhow::Result<Vec<Episode>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, task_id, family, prompt, function_name, candidate_code FROM episodes WHERE task_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::new();
        for task in task_ids {
            let rows = stmt.query_map([task], |r| {
                Ok(Episode {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    family: r.get(2)?,
                    prompt: r.get(3)?,
                    function_name: r.get(4)?,
                    code: r.get(5)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|e| e.id);
        Ok(out)
    }

    /// Failed attempts of these tasks that no contrast has classified yet, oldest first.
    pub fn unclassified_failures(&self, task_ids: &[String]) -> anyhow::Result<Vec<FailedAttempt>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.id, f.task_id, f.candidate_code, f.verdict, f.first_failure, f.error, f.test_log
             FROM failures f LEFT JOIN contrasts c ON c.failure_id = f.id
             WHERE f.task_id = ?1 AND c.failure_id IS NULL ORDER BY f.id",
        )?;
        let mut out = Vec::new();
        for task in task_ids {
            let rows = stmt.query_map([task], |r| {
                Ok(FailedAttempt {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    code: r.get(2)?,
                    verdict: r.get(3)?,
                    first_failure: r.get(4)?,
                    error: r.get(5)?,
                    log: r.get(6)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|f| f.id);
        Ok(out)
    }

    /// Records classified contrasts (a failure is classified once).
    pub fn add_contrasts(&mut self, contrasts: &[Contrast]) -> anyhow::Result<()> {
        let tx = self.conn_mut().transaction()?;
        for c in contrasts {
            tx.execute(
                "INSERT OR IGNORE INTO contrasts (failure_id, episode_id, task_id, shape, slip) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.failure_id, c.episode_id, c.task_id, c.shape, c.slip],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every contrast with this slip, oldest first.
    pub fn contrasts_with_slip(&self, slip: &str) -> anyhow::Result<Vec<Contrast>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT failure_id, episode_id, task_id, shape, slip FROM contrasts WHERE slip = ?1 ORDER BY failure_id",
        )?;
        let rows = stmt
            .query_map([slip], |r| {
                Ok(Contrast {
                    failure_id: r.get(0)?,
                    episode_id: r.get(1)?,
                    task_id: r.get(2)?,
                    shape: r.get(3)?,
                    slip: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The code of failed attempts, by id (what the model is shown when it writes a rule).
    pub fn failed_code(&self, failure_id: i64) -> anyhow::Result<Option<FailedAttempt>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, task_id, candidate_code, verdict, first_failure, error, test_log FROM failures WHERE id = ?1",
                [failure_id],
                |r| {
                    Ok(FailedAttempt {
                        id: r.get(0)?,
                        task_id: r.get(1)?,
                        code: r.get(2)?,
                        verdict: r.get(3)?,
                        first_failure: r.get(4)?,
                        error: r.get(5)?,
                        log: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }
}
