//! The adapter registry: trained LoRA adapters, which one is active, and an append-only history
//! of activations. Every change of the active adapter is one transaction that also writes its
//! `adapter_activations` row, so rollback can always replay where the registry has been.

use rusqlite::{OptionalExtension as _, params};

use super::Store;

/// Reasons of activations made by rollback start with this; rollback replays the history as a
/// stack and pops on these.
pub const ROLLBACK_REASON_PREFIX: &str = "rollback:";

/// A registered adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub created_at: String,
    pub notes: String,
    pub active: bool,
    pub base_model: Option<String>,
    pub manifest: Option<serde_json::Value>,
}

/// An adapter about to be registered (always inactive).
#[derive(Debug, Clone)]
pub struct NewAdapter<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub base_model: &'a str,
    pub manifest: &'a serde_json::Value,
    pub notes: &'a str,
}

/// One row of the activation history, with names resolved.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Activation {
    pub id: i64,
    /// The adapter made active; `None` means the base model alone.
    pub adapter: Option<String>,
    pub previous: Option<String>,
    pub reason: String,
    pub activated_at: String,
}

/// What an activation changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub previous: Option<Adapter>,
    pub current: Option<Adapter>,
}

const COLUMNS: &str = "id, name, path, created_at, notes, active, base_model, manifest_json";

fn adapter_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Adapter> {
    let manifest: Option<String> = row.get(7)?;
    Ok(Adapter {
        id: row.get(0)?,
        name: row.get(1)?,
        path: row.get(2)?,
        created_at: row.get(3)?,
        notes: row.get(4)?,
        active: row.get::<_, i64>(5)? != 0,
        base_model: row.get(6)?,
        manifest: manifest.and_then(|m| serde_json::from_str(&m).ok()),
    })
}

impl Store {
    /// Registers a new, inactive adapter and returns its id. A taken name is an error.
    pub fn register_adapter(&self, new: &NewAdapter<'_>) -> anyhow::Result<i64> {
        if self.adapter_by_name(new.name)?.is_some() {
            anyhow::bail!("an adapter named {:?} is already registered", new.name);
        }
        self.conn().execute(
            "INSERT INTO adapters (name, path, notes, active, base_model, manifest_json) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            params![new.name, new.path, new.notes, new.base_model, new.manifest.to_string()],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Every registered adapter, oldest first.
    pub fn adapters(&self) -> anyhow::Result<Vec<Adapter>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM adapters ORDER BY id"))?;
        let rows = stmt.query_map([], adapter_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn adapter_by_name(&self, name: &str) -> anyhow::Result<Option<Adapter>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM adapters WHERE name = ?1"),
                [name],
                adapter_row,
            )
            .optional()?)
    }

    fn adapter_by_id(&self, id: i64) -> anyhow::Result<Option<Adapter>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM adapters WHERE id = ?1"),
                [id],
                adapter_row,
            )
            .optional()?)
    }

    /// The active adapter, if any.
    pub fn active_adapter(&self) -> anyhow::Result<Option<Adapter>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM adapters WHERE active = 1 ORDER BY id DESC LIMIT 1"
                ),
                [],
                adapter_row,
            )
            .optional()?)
    }

    /// The activation history, oldest first.
    pub fn activations(&self) -> anyhow::Result<Vec<Activation>> {
        let mut stmt = self.conn().prepare(
            "SELECT h.id, a.name, p.name, h.reason, h.activated_at FROM adapter_activations h
             LEFT JOIN adapters a ON a.id = h.adapter_id
             LEFT JOIN adapters p ON p.id = h.previous_adapter_id
             ORDER BY h.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Activation {
                id: r.get(0)?,
                adapter: r.get(1)?,
                previous: r.get(2)?,
                reason: r.get(3)?,
                activated_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Makes `adapter_id` the only active adapter (`None`: the base model alone) and records the
    /// activation, in one transaction.
    pub fn activate_adapter(
        &mut self,
        adapter_id: Option<i64>,
        reason: &str,
    ) -> anyhow::Result<Change> {
        let previous = self.active_adapter()?;
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "UPDATE adapters SET active = CASE WHEN id IS ?1 THEN 1 ELSE 0 END",
            [adapter_id],
        )?;
        tx.execute(
            "INSERT INTO adapter_activations (adapter_id, previous_adapter_id, reason) VALUES (?1, ?2, ?3)",
            params![adapter_id, previous.as_ref().map(|a| a.id), reason],
        )?;
        tx.commit()?;
        let current = match adapter_id {
            Some(id) => self.adapter_by_id(id)?,
            None => None,
        };
        Ok(Change { previous, current })
    }

    /// Where `rollback-adapter` returns to: the adapter that was active before the current one
    /// (`Ok(None)` inside means the base model alone). The history is replayed as a stack —
    /// activations push, rollbacks pop — so repeated rollbacks keep going back. An error when
    /// there is nothing to return from, or when the history does not end at the active adapter
    /// (someone changed the table by hand).
    pub fn rollback_target(&self) -> anyhow::Result<Option<Adapter>> {
        let mut stack: Vec<Option<i64>> = vec![None];
        let mut stmt = self
            .conn()
            .prepare("SELECT adapter_id, reason FROM adapter_activations ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (adapter_id, reason) = row?;
            if reason.starts_with(ROLLBACK_REASON_PREFIX) && stack.len() > 1 {
                stack.pop();
            } else {
                stack.push(adapter_id);
            }
        }
        let active = self.active_adapter()?.map(|a| a.id);
        if stack.last().copied().flatten() != active {
            anyhow::bail!(
                "the activation history does not end at the active adapter; choose one with `rslm set-active-adapter --name NAME` (or --none)"
            );
        }
        if stack.len() < 2 {
            anyhow::bail!(match active {
                None => "no adapter is active and there is no earlier activation: nothing to roll back".to_string(),
                Some(_) => "the active adapter was the first one activated: use `rslm set-active-adapter --none` to return to the base model".to_string(),
            });
        }
        match stack[stack.len() - 2] {
            Some(id) => Ok(Some(self.adapter_by_id(id)?.ok_or_else(|| {
                anyhow::anyhow!("the adapter to return to (id {id}) is no longer registered")
            })?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(store: &Store, name: &str) -> i64 {
        store
            .register_adapter(&NewAdapter {
                name,
                path: "/tmp/x",
                base_model: "base",
                manifest: &serde_json::json!({"serving": {"llamacpp_id": 0}}),
                notes: "",
            })
            .unwrap()
    }

    fn active(store: &Store) -> Option<String> {
        store.active_adapter().unwrap().map(|a| a.name)
    }

    #[test]
    fn registration_is_inactive_and_names_are_unique() {
        let store = Store::in_memory().unwrap();
        register(&store, "a");
        assert_eq!(active(&store), None);
        let err = store
            .register_adapter(&NewAdapter {
                name: "a",
                path: "/p",
                base_model: "b",
                manifest: &serde_json::json!({}),
                notes: "",
            })
            .unwrap_err();
        assert!(err.to_string().contains("already registered"));
        assert_eq!(store.adapters().unwrap().len(), 1);
    }

    #[test]
    fn rollback_walks_back_through_the_history_to_none() {
        let mut store = Store::in_memory().unwrap();
        let a = register(&store, "a");
        let b = register(&store, "b");
        let c = register(&store, "c");
        assert!(store.rollback_target().is_err(), "nothing to roll back yet");
        for id in [a, b, c] {
            store.activate_adapter(Some(id), "test").unwrap();
        }
        assert_eq!(active(&store).as_deref(), Some("c"));
        let expected = [Some("b"), Some("a"), None];
        for want in expected {
            let target = store.rollback_target().unwrap();
            assert_eq!(target.as_ref().map(|t| t.name.as_str()), want);
            store
                .activate_adapter(target.map(|t| t.id), "rollback: test")
                .unwrap();
            assert_eq!(active(&store).as_deref(), want);
        }
        assert!(store.rollback_target().is_err(), "back at the start");
        let history = store.activations().unwrap();
        assert_eq!(history.len(), 6);
        assert_eq!(history[3].adapter.as_deref(), Some("b"));
        assert_eq!(history[3].previous.as_deref(), Some("c"));
        assert_eq!(history[5].adapter, None);
    }

    #[test]
    fn only_one_adapter_is_active_at_a_time() {
        let mut store = Store::in_memory().unwrap();
        let a = register(&store, "a");
        let b = register(&store, "b");
        store.activate_adapter(Some(a), "x").unwrap();
        let change = store.activate_adapter(Some(b), "y").unwrap();
        assert_eq!(change.previous.unwrap().name, "a");
        assert_eq!(change.current.unwrap().name, "b");
        let actives = store
            .adapters()
            .unwrap()
            .iter()
            .filter(|a| a.active)
            .count();
        assert_eq!(actives, 1);
        store.activate_adapter(None, "z").unwrap();
        assert_eq!(active(&store), None);
    }

    #[test]
    fn a_hand_edited_registry_is_refused_by_rollback() {
        let mut store = Store::in_memory().unwrap();
        let a = register(&store, "a");
        let b = register(&store, "b");
        store.activate_adapter(Some(a), "x").unwrap();
        store.activate_adapter(Some(b), "y").unwrap();
        store
            .conn()
            .execute("UPDATE adapters SET active = (name = 'a')", [])
            .unwrap();
        assert!(
            store
                .rollback_target()
                .unwrap_err()
                .to_string()
                .contains("does not end at the active adapter")
        );
    }
}
