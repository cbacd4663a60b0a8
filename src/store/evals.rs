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

    /// All stored eval payloads, oldest first.
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
