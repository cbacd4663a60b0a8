//! Writing the outcome of a task: all its candidates in one transaction, verified ones as
//! episodes (retrievable memory), the rest as failures; held-out attempts go to a table that
//! retrieval never reads.

use std::collections::HashSet;

use rusqlite::params;

use super::{Store, code_hash};
use crate::candidate::Candidate;
use crate::tasks::Task;
use crate::verify::Verdict;

/// One candidate and its verdict.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub sample_index: usize,
    pub candidate: Candidate,
    pub verdict: Verdict,
}

/// Which side of the split a task was attempted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Train,
    Heldout,
}

/// A verified episode as retrieval and consolidation read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub id: i64,
    pub task_id: String,
    pub family: Option<String>,
    pub prompt: String,
    pub function_name: String,
    pub code: String,
}

/// An episode with the verdict it was stored with, for readers that check it again rather
/// than trust the table (the training set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEpisode {
    pub id: i64,
    pub task_id: String,
    pub prompt: String,
    pub code: String,
    pub passed: bool,
    pub verdict: String,
}

const LOG_CAP: usize = 4000;

fn capped(text: &str) -> &str {
    if text.len() <= LOG_CAP {
        return text;
    }
    let mut end = LOG_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Store {
    /// Records every candidate of one task and marks the task done for the run, with what was
    /// retrieved for its prompt, atomically. Returns how many new episodes were stored.
    pub fn record_task(
        &mut self,
        run_id: i64,
        task: &Task,
        pool: Pool,
        condition: &str,
        attempts: &[Attempt],
        retrieved: &super::samples::RetrievedIds,
    ) -> anyhow::Result<usize> {
        let tx = self.conn_mut().transaction()?;
        let mut stored = 0;
        for a in attempts {
            let hash = code_hash(&a.candidate.code);
            let v = &a.verdict;
            let c = &a.candidate;
            match pool {
                Pool::Heldout => {
                    tx.execute(
                        "INSERT INTO heldout_attempts (run_id, task_id, condition, candidate_code, passed, verdict, first_failure,
                           code_hash, sample_index, raw_response, prompt_tokens, completion_tokens, latency_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                        params![
                            run_id, task.task_id, condition, c.code, v.passed(), v.verdict.as_str(), v.first_failure,
                            hash, a.sample_index as i64, c.raw, c.prompt_tokens, c.completion_tokens, c.latency_ms
                        ],
                    )?;
                }
                Pool::Train if v.passed() => {
                    stored += tx.execute(
                        "INSERT OR IGNORE INTO episodes (run_id, task_id, family, condition, prompt, function_name, candidate_code,
                           test_log, code_hash, sample_index, tests_run, raw_response, prompt_tokens, completion_tokens,
                           latency_ms, verify_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                        params![
                            run_id, task.task_id, task.family, condition, task.prompt, task.function_name, c.code,
                            capped(&v.log), hash, a.sample_index as i64, v.tests_run, c.raw, c.prompt_tokens,
                            c.completion_tokens, c.latency_ms, v.duration_ms
                        ],
                    )?;
                }
                Pool::Train => {
                    tx.execute(
                        "INSERT INTO failures (run_id, task_id, family, condition, prompt, candidate_code, test_log, code_hash,
                           sample_index, verdict, first_failure, tests_run, tests_passed, raw_response, error,
                           prompt_tokens, completion_tokens, latency_ms, verify_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                        params![
                            run_id, task.task_id, task.family, condition, task.prompt, c.code, capped(&v.log), hash,
                            a.sample_index as i64, v.verdict.as_str(), v.first_failure, v.tests_run, v.tests_passed, c.raw,
                            c.error, c.prompt_tokens, c.completion_tokens, c.latency_ms, v.duration_ms
                        ],
                    )?;
                }
            }
        }
        let passed = attempts.iter().filter(|a| a.verdict.passed()).count();
        tx.execute(
            "INSERT OR REPLACE INTO run_tasks (run_id, task_id, candidates, passed, retrieved_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run_id, task.task_id, attempts.len() as i64, passed as i64, retrieved.to_column()],
        )?;
        tx.commit()?;
        Ok(stored)
    }

    /// Tasks a run has already finished (for resuming).
    pub fn finished_tasks(&self, run_id: i64) -> anyhow::Result<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT task_id FROM run_tasks WHERE run_id = ?1")?;
        let ids = stmt
            .query_map([run_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Task ids with at least one verified episode.
    pub fn solved_tasks(&self) -> anyhow::Result<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT DISTINCT task_id FROM episodes")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// How many times each task has been attempted in train-pool iterations.
    pub fn attempt_counts(&self) -> anyhow::Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT rt.task_id, count(*) FROM run_tasks rt JOIN runs r ON r.id = rt.run_id
             WHERE r.kind = 'iteration' AND r.mode = 'trainpool' GROUP BY rt.task_id",
        )?;
        let counts = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(counts)
    }

    /// Every verified episode, oldest first.
    pub fn episodes(&self) -> anyhow::Result<Vec<Episode>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, task_id, family, prompt, function_name, candidate_code FROM episodes ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Episode {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    family: r.get(2)?,
                    prompt: r.get(3)?,
                    function_name: r.get(4)?,
                    code: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every episode with its recorded verdict, oldest first.
    pub fn recorded_episodes(&self) -> anyhow::Result<Vec<RecordedEpisode>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, task_id, prompt, candidate_code, passed, verdict FROM episodes ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecordedEpisode {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    prompt: r.get(2)?,
                    code: r.get(3)?,
                    passed: r.get::<_, i64>(4)? == 1,
                    verdict: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Counts of the main tables, for summaries.
    pub fn table_count(&self, table: &str) -> anyhow::Result<i64> {
        // `table` comes from our own code, never from user input.
        Ok(self
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    }
}
