//! Eval runs: every `rslm eval` result is stored whole (the results JSON) and linked to its run.

use rusqlite::params;

use super::Store;

impl Store {
    /// Stores an eval result and returns its id.
    pub fn insert_eval_run(
        &self,
        run_id: i64,
        heldout_size: usize,
        k: usize,
        backend: &str,
        payload: &serde_json::Value,
    ) -> anyhow::Result<i64> {
        self.conn().execute(
            "INSERT INTO eval_runs (run_id, heldout_size, k, backend, payload_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run_id, heldout_size as i64, k as i64, backend, payload.to_string()],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The current UTC time to the second (`2026-11-24T01:02:03Z`) by SQLite's clock, which
    /// stamps every row: the `created_at` an eval result records.
    pub fn current_timestamp(&self) -> anyhow::Result<String> {
        Ok(self
            .conn()
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now')", [], |r| {
                r.get(0)
            })?)
    }

    /// Completed train-pool iterations and verified episodes: where an eval sits on a learning
    /// curve.
    pub fn memory_state(&self) -> anyhow::Result<(usize, usize)> {
        Ok(self.conn().query_row(
            "SELECT (SELECT count(*) FROM runs WHERE kind = 'iteration' AND mode = 'trainpool'
                       AND status = 'completed'),
                    (SELECT count(*) FROM episodes)",
            [],
            |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
        )?)
    }

    /// All stored eval payloads as `(eval run id, results JSON)`, oldest first.
    pub fn eval_payloads(&self) -> anyhow::Result<Vec<(i64, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, payload_json FROM eval_runs ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::runs::{NewRun, RunKind};

    fn eval_run(store: &Store) -> i64 {
        store
            .start_run(&NewRun {
                kind: RunKind::Eval,
                backend: "mock".into(),
                model: "m".into(),
                simulation: true,
                seed: 1,
                mode: None,
                prompt_version: None,
                tasks_source: None,
                config: serde_json::json!({}),
            })
            .unwrap()
    }

    #[test]
    fn payloads_come_back_whole_oldest_first() {
        let store = Store::in_memory().unwrap();
        assert!(store.eval_payloads().unwrap().is_empty());
        let first =
            serde_json::json!({"conditions": [{"condition": "baseline", "pass_at_1": 0.5}]});
        let second = serde_json::json!({"conditions": [], "notes": ["x"]});
        let a = store
            .insert_eval_run(eval_run(&store), 20, 1, "mock", &first)
            .unwrap();
        let b = store
            .insert_eval_run(eval_run(&store), 20, 1, "mock", &second)
            .unwrap();
        assert!(a < b);
        assert_eq!(
            store.eval_payloads().unwrap(),
            [(a, first.to_string()), (b, second.to_string())]
        );
    }

    #[test]
    fn the_timestamp_is_utc_to_the_second() {
        let now = Store::in_memory().unwrap().current_timestamp().unwrap();
        let shape: String = now
            .chars()
            .map(|c| if c.is_ascii_digit() { '0' } else { c })
            .collect();
        assert_eq!(shape, "0000-00-00T00:00:00Z", "{now}");
    }
}
