//! Consolidated knowledge: rules and procedures. Append-only with deterministic de-duplication:
//! an item is keyed by a hash of its text, so consolidating the same insight again adds its new
//! evidence (provenance rows) instead of a copy, and nothing is ever overwritten or deleted;
//! retiring and restoring are recorded as events.

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::Store;

/// Rules or procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KnowledgeKind {
    Rule,
    Procedure,
}

impl KnowledgeKind {
    fn table(self) -> &'static str {
        match self {
            KnowledgeKind::Rule => "semantic_rules",
            KnowledgeKind::Procedure => "procedures",
        }
    }
    fn sources(self) -> (&'static str, &'static str) {
        match self {
            KnowledgeKind::Rule => ("rule_sources", "rule_id"),
            KnowledgeKind::Procedure => ("procedure_sources", "procedure_id"),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            KnowledgeKind::Rule => "rule",
            KnowledgeKind::Procedure => "procedure",
        }
    }
}

/// An item to add: a rule (`body` empty) or a procedure (`title` = pattern, `body` = recipe).
#[derive(Debug, Clone)]
pub struct NewKnowledge {
    pub kind: KnowledgeKind,
    pub title: String,
    pub body: String,
    pub family: Option<String>,
    /// Verified episodes this item rests on.
    pub episode_ids: Vec<i64>,
    /// How many distinct verified tasks support it.
    pub evidence_count: usize,
    pub origin: String,
    pub run_id: Option<i64>,
    pub validation: Option<serde_json::Value>,
}

impl NewKnowledge {
    /// The de-duplication key: a hash of the normalised text.
    pub fn key(&self) -> String {
        use sha2::{Digest, Sha256};
        let normalized: String = format!("{}\n{}", self.title, self.body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        Sha256::digest(normalized.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What adding an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "outcome", content = "id")]
pub enum Added {
    Created(i64),
    /// Already known; new evidence was attached.
    Reinforced(i64),
    /// Already known with the same evidence.
    Unchanged(i64),
}

/// A stored rule or procedure with its provenance.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeItem {
    pub kind: KnowledgeKind,
    pub id: i64,
    pub key: String,
    /// The rule text, or the procedure's pattern.
    pub title: String,
    /// The procedure's recipe (empty for rules).
    pub body: String,
    pub evidence_count: i64,
    pub status: String,
    pub origin: String,
    pub created_at: String,
    pub last_verified_at: String,
    /// `(episode id, task id)` of every source episode.
    pub sources: Vec<(i64, String)>,
    pub events: Vec<(String, String, String)>,
}

impl Store {
    /// Adds a rule or procedure, or attaches new evidence to the same one.
    pub fn add_knowledge(&mut self, item: &NewKnowledge) -> anyhow::Result<Added> {
        let key = item.key();
        let table = item.kind.table();
        let (sources, column) = item.kind.sources();
        let tx = self.conn_mut().transaction()?;
        let existing: Option<i64> = tx
            .query_row(
                &format!("SELECT id FROM {table} WHERE key = ?1"),
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                match item.kind {
                    KnowledgeKind::Rule => tx.execute(
                        "INSERT INTO semantic_rules (key, rule_text, evidence_count, origin, run_id, validation_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![key, item.title, item.evidence_count as i64, item.origin, item.run_id, item.validation.as_ref().map(|v| v.to_string())],
                    )?,
                    KnowledgeKind::Procedure => tx.execute(
                        "INSERT INTO procedures (key, family, pattern, recipe_text, evidence_count, origin, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![key, item.family, item.title, item.body, item.evidence_count as i64, item.origin, item.run_id],
                    )?,
                };
                (tx.last_insert_rowid(), true)
            }
        };
        let mut new_sources = 0;
        for episode in &item.episode_ids {
            new_sources += tx.execute(
                &format!("INSERT OR IGNORE INTO {sources} ({column}, episode_id) VALUES (?1, ?2)"),
                params![id, episode],
            )?;
        }
        let outcome = if created {
            Added::Created(id)
        } else if new_sources > 0 {
            Added::Reinforced(id)
        } else {
            Added::Unchanged(id)
        };
        if !matches!(outcome, Added::Unchanged(_)) {
            // Evidence only grows: it counts distinct verified tasks behind the item.
            tx.execute(
                &format!(
                    "UPDATE {table} SET evidence_count = max(evidence_count, ?1), last_verified_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?2"
                ),
                params![item.evidence_count as i64, id],
            )?;
            tx.execute(
                "INSERT INTO knowledge_events (kind, item_id, action, reason) VALUES (?1, ?2, ?3, ?4)",
                params![item.kind.as_str(), id, if created { "created" } else { "reinforced" }, format!("{} source episodes", item.episode_ids.len())],
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Every rule or procedure, oldest first; retired ones only when asked.
    pub fn list_knowledge(
        &self,
        kind: KnowledgeKind,
        include_retired: bool,
    ) -> anyhow::Result<Vec<KnowledgeItem>> {
        let ids: Vec<i64> = {
            let sql = format!(
                "SELECT id FROM {} {} ORDER BY id",
                kind.table(),
                if include_retired {
                    ""
                } else {
                    "WHERE status = 'active'"
                }
            );
            let mut stmt = self.conn().prepare(&sql)?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        ids.into_iter()
            .map(|id| {
                self.knowledge_item(kind, id)
                    .map(|i| i.expect("listed id exists"))
            })
            .collect()
    }

    /// One rule or procedure with its provenance and history.
    pub fn knowledge_item(
        &self,
        kind: KnowledgeKind,
        id: i64,
    ) -> anyhow::Result<Option<KnowledgeItem>> {
        let sql = match kind {
            KnowledgeKind::Rule => {
                "SELECT id, key, rule_text, '', evidence_count, status, origin, created_at, last_verified_at FROM semantic_rules WHERE id = ?1"
            }
            KnowledgeKind::Procedure => {
                "SELECT id, key, pattern, recipe_text, evidence_count, status, origin, created_at, last_verified_at FROM procedures WHERE id = ?1"
            }
        };
        let item = self
            .conn()
            .query_row(sql, [id], |r| {
                Ok(KnowledgeItem {
                    kind,
                    id: r.get(0)?,
                    key: r.get(1)?,
                    title: r.get(2)?,
                    body: r.get(3)?,
                    evidence_count: r.get(4)?,
                    status: r.get(5)?,
                    origin: r.get(6)?,
                    created_at: r.get(7)?,
                    last_verified_at: r.get(8)?,
                    sources: Vec::new(),
                    events: Vec::new(),
                })
            })
            .optional()?;
        let Some(mut item) = item else {
            return Ok(None);
        };
        let (sources, column) = kind.sources();
        let mut stmt = self.conn().prepare(&format!(
            "SELECT s.episode_id, e.task_id FROM {sources} s JOIN episodes e ON e.id = s.episode_id WHERE s.{column} = ?1 ORDER BY s.episode_id"
        ))?;
        item.sources = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn().prepare("SELECT at, action, reason FROM knowledge_events WHERE kind = ?1 AND item_id = ?2 ORDER BY id")?;
        item.events = stmt
            .query_map(params![kind.as_str(), id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some(item))
    }

    /// Retires or restores an item; an unknown id or a no-op change is an error.
    pub fn set_knowledge_status(
        &mut self,
        kind: KnowledgeKind,
        id: i64,
        active: bool,
        reason: &str,
    ) -> anyhow::Result<()> {
        let Some(item) = self.knowledge_item(kind, id)? else {
            anyhow::bail!("no {} with id {id}", kind.as_str());
        };
        let target = if active { "active" } else { "retired" };
        if item.status == target {
            anyhow::bail!("{} {id} is already {target}", kind.as_str());
        }
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            &format!("UPDATE {} SET status = ?1 WHERE id = ?2", kind.table()),
            params![target, id],
        )?;
        tx.execute(
            "INSERT INTO knowledge_events (kind, item_id, action, reason) VALUES (?1, ?2, ?3, ?4)",
            params![
                kind.as_str(),
                id,
                if active { "restored" } else { "retired" },
                reason
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}
