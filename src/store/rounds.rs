//! The steps of `self-improve --rounds`: each stage of each round is a row, written as it
//! starts and again as it completes with its result, so a resumed run knows what is done.

use rusqlite::params;

use super::Store;

/// A stage of a round, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub round: u32,
    pub stage: String,
    pub completed: bool,
    /// How many times the stage was started (more than one: it was interrupted and resumed).
    pub attempts: u32,
    pub seconds: Option<f64>,
    pub result: Option<serde_json::Value>,
}

impl Store {
    /// Records that a stage starts (again, when an earlier attempt did not complete).
    pub fn start_step(&self, run_id: i64, round: u32, stage: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "INSERT INTO round_steps (run_id, round, stage, status) VALUES (?1, ?2, ?3, 'running')
             ON CONFLICT (run_id, round, stage) DO UPDATE SET status = 'running',
                 attempts = attempts + 1, started_at = excluded.started_at, finished_at = NULL",
            params![run_id, round, stage],
        )?;
        Ok(())
    }

    /// Records a stage as completed with its result and wall time.
    pub fn finish_step(
        &self,
        run_id: i64,
        round: u32,
        stage: &str,
        seconds: f64,
        result: &serde_json::Value,
    ) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE round_steps SET status = 'completed', seconds = ?4, result_json = ?5,
                 finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
             WHERE run_id = ?1 AND round = ?2 AND stage = ?3",
            params![run_id, round, stage, seconds, result.to_string()],
        )?;
        Ok(())
    }

    /// Every step of a run, in round order, stages in the order they ran.
    pub fn steps(&self, run_id: i64) -> anyhow::Result<Vec<StepRecord>> {
        let mut statement = self.conn().prepare(
            "SELECT round, stage, status, attempts, seconds, result_json FROM round_steps
             WHERE run_id = ?1 ORDER BY round, rowid",
        )?;
        let rows = statement.query_map([run_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut steps = Vec::new();
        for row in rows {
            let (round, stage, status, attempts, seconds, result) = row?;
            steps.push(StepRecord {
                round,
                stage,
                completed: status == "completed",
                attempts,
                seconds,
                result: result.map(|r| serde_json::from_str(&r)).transpose()?,
            });
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_step_counts_its_attempts_and_keeps_one_row() {
        let store = Store::in_memory().unwrap();
        let run = store
            .start_run(&crate::store::runs::NewRun {
                kind: crate::store::runs::RunKind::SelfImprove,
                backend: "mock".into(),
                model: "m".into(),
                simulation: true,
                seed: 0,
                mode: None,
                prompt_version: None,
                tasks_source: None,
                config: serde_json::json!({}),
            })
            .unwrap();
        store.start_step(run, 1, "generate").unwrap();
        store.start_step(run, 1, "generate").unwrap();
        store
            .finish_step(run, 1, "generate", 1.5, &serde_json::json!({"x": 1}))
            .unwrap();
        store.start_step(run, 1, "consolidate").unwrap();
        let steps = store.steps(run).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0].completed, steps[0].attempts, steps[0].seconds),
            (true, 2, Some(1.5))
        );
        assert_eq!(steps[0].result, Some(serde_json::json!({"x": 1})));
        assert!(!steps[1].completed);
    }
}
