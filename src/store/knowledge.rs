//! Consolidated knowledge: rules and procedures, maintained by explicit operations (add, merge,
//! edit, up- and down-vote, retire, restore), each recorded as an event. An item is keyed by a
//! hash of its text, so consolidating the same insight again adds its new evidence (provenance
//! rows: verified episodes, and for rules the failed attempts they were contrasted with)
//! instead of a copy. Nothing is deleted: a retired or merged item stays with its history.
//! Every item carries its measured effect: passes on a dev slice of the train pool with the
//! item in the prompt and without it, paired.

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::Store;
use super::retrieval::KnowledgeMatch;

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

/// An item to add: a rule (`body` empty) or a procedure (`title` = shape, `body` = recipe).
#[derive(Debug, Clone)]
pub struct NewKnowledge {
    pub kind: KnowledgeKind,
    pub title: String,
    pub body: String,
    pub family: Option<String>,
    /// Verified episodes this item rests on.
    pub episode_ids: Vec<i64>,
    /// Failed attempts a rule was contrasted with (empty for procedures).
    pub failure_ids: Vec<i64>,
    /// The task shape a rule is about; `None` for a rule about every kind of task.
    pub scope: Option<String>,
    /// How many distinct verified tasks support it.
    pub evidence_count: usize,
    pub origin: String,
    pub run_id: Option<i64>,
    pub validation: Option<serde_json::Value>,
}

/// The de-duplication key of a text: a hash of its whitespace-normalised lowercase form.
pub fn text_key(title: &str, body: &str) -> String {
    use sha2::{Digest, Sha256};
    let normalized: String = format!("{title}\n{body}")
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

impl NewKnowledge {
    /// The de-duplication key: a hash of the normalised text.
    pub fn key(&self) -> String {
        text_key(&self.title, &self.body)
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

impl Added {
    pub fn id(self) -> i64 {
        match self {
            Added::Created(id) | Added::Reinforced(id) | Added::Unchanged(id) => id,
        }
    }
}

/// A measured effect: passes on a dev slice of the train pool with the item in the prompt and
/// without it, over the same `n` (task, sample) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub with: i64,
    pub without: i64,
    pub n: i64,
}

impl Effect {
    /// The paired difference in pass rate.
    pub fn delta(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            (self.with - self.without) as f64 / self.n as f64
        }
    }

    /// Whether the item helped: more passes with it than without it.
    pub fn helps(&self) -> bool {
        self.with > self.without
    }
}

/// A stored rule or procedure with its provenance.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeItem {
    pub kind: KnowledgeKind,
    pub id: i64,
    pub key: String,
    /// The rule text, or the procedure's shape.
    pub title: String,
    /// The procedure's recipe (empty for rules).
    pub body: String,
    /// The shape a rule is about (`None`: every kind; procedures: always `None`, see title).
    pub scope: Option<String>,
    pub evidence_count: i64,
    pub votes: i64,
    /// Measured effect; `None` until measured.
    pub effect: Option<Effect>,
    pub status: String,
    pub origin: String,
    pub created_at: String,
    pub last_verified_at: String,
    /// `(episode id, task id)` of every source episode.
    pub sources: Vec<(i64, String)>,
    /// Failed attempts (ids in `failures`) a rule was contrasted with.
    pub failed_attempts: Vec<i64>,
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
                        "INSERT INTO semantic_rules (key, rule_text, scope, evidence_count, origin, run_id, validation_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![key, item.title, item.scope, item.evidence_count as i64, item.origin, item.run_id, item.validation.as_ref().map(|v| v.to_string())],
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
        if item.kind == KnowledgeKind::Rule {
            for failure in &item.failure_ids {
                new_sources += tx.execute(
                    "INSERT OR IGNORE INTO rule_attempts (rule_id, failure_id) VALUES (?1, ?2)",
                    params![id, failure],
                )?;
            }
        }
        let outcome = if created {
            Added::Created(id)
        } else if new_sources > 0 {
            Added::Reinforced(id)
        } else {
            Added::Unchanged(id)
        };
        if !matches!(outcome, Added::Unchanged(_)) {
            // Evidence only grows: it counts distinct verified tasks behind the item, those of
            // earlier evidence included.
            tx.execute(
                &format!(
                    "UPDATE {table} SET evidence_count = max(evidence_count, ?1,
                       (SELECT count(DISTINCT e.task_id) FROM {sources} s JOIN episodes e ON e.id = s.episode_id WHERE s.{column} = ?2)),
                     last_verified_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?2"
                ),
                params![item.evidence_count as i64, id],
            )?;
            let reason = format!(
                "{} source episodes, {} failed attempts",
                item.episode_ids.len(),
                item.failure_ids.len()
            );
            record_event(
                &tx,
                item.kind,
                id,
                if created { "created" } else { "reinforced" },
                &reason,
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
                "SELECT id, key, rule_text, '', evidence_count, status, origin, created_at, last_verified_at, scope, votes, effect_with, effect_without, effect_n FROM semantic_rules WHERE id = ?1"
            }
            KnowledgeKind::Procedure => {
                "SELECT id, key, pattern, recipe_text, evidence_count, status, origin, created_at, last_verified_at, NULL, votes, effect_with, effect_without, effect_n FROM procedures WHERE id = ?1"
            }
        };
        let item = self
            .conn()
            .query_row(sql, [id], |r| {
                let effect = match (r.get(11)?, r.get(12)?, r.get(13)?) {
                    (Some(with), Some(without), Some(n)) => Some(Effect { with, without, n }),
                    _ => None,
                };
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
                    scope: r.get(9)?,
                    votes: r.get(10)?,
                    effect,
                    sources: Vec::new(),
                    failed_attempts: Vec::new(),
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
        if kind == KnowledgeKind::Rule {
            let mut stmt = self.conn().prepare(
                "SELECT failure_id FROM rule_attempts WHERE rule_id = ?1 ORDER BY failure_id",
            )?;
            item.failed_attempts = stmt
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
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
        record_event(
            &tx,
            kind,
            id,
            if active { "restored" } else { "retired" },
            reason,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records an item's measured effect (replacing an older measurement).
    pub fn record_effect(
        &mut self,
        kind: KnowledgeKind,
        id: i64,
        effect: Effect,
        slice: &str,
    ) -> anyhow::Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            &format!(
                "UPDATE {} SET effect_with = ?1, effect_without = ?2, effect_n = ?3 WHERE id = ?4",
                kind.table()
            ),
            params![effect.with, effect.without, effect.n, id],
        )?;
        let reason = format!(
            "{} passes with it, {} without, of {} on {slice}",
            effect.with, effect.without, effect.n
        );
        record_event(&tx, kind, id, "measured", &reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Up- or down-votes an item (ExpeL's importance count).
    pub fn vote_knowledge(
        &mut self,
        kind: KnowledgeKind,
        id: i64,
        up: bool,
        reason: &str,
    ) -> anyhow::Result<()> {
        let tx = self.conn_mut().transaction()?;
        let changed = tx.execute(
            &format!(
                "UPDATE {} SET votes = votes + ?1 WHERE id = ?2",
                kind.table()
            ),
            params![if up { 1 } else { -1 }, id],
        )?;
        if changed == 0 {
            anyhow::bail!("no {} with id {id}", kind.as_str());
        }
        record_event(
            &tx,
            kind,
            id,
            if up { "upvoted" } else { "downvoted" },
            reason,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Rewrites a rule's text; its evidence and history stay. Refused when another rule already
    /// has that text.
    pub fn edit_rule(&mut self, id: i64, text: &str, reason: &str) -> anyhow::Result<()> {
        let key = text_key(text, "");
        let tx = self.conn_mut().transaction()?;
        let clash: Option<i64> = tx
            .query_row(
                "SELECT id FROM semantic_rules WHERE key = ?1 AND id != ?2",
                params![key, id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = clash {
            anyhow::bail!("rule {other} already says that; merge rule {id} into it instead");
        }
        let changed = tx.execute(
            "UPDATE semantic_rules SET rule_text = ?1, key = ?2 WHERE id = ?3",
            params![text, key, id],
        )?;
        if changed == 0 {
            anyhow::bail!("no rule with id {id}");
        }
        record_event(&tx, KnowledgeKind::Rule, id, "edited", reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Merges item `from` into item `into`: its provenance moves over (kept on both) and `from`
    /// is retired with a pointer to `into`.
    pub fn merge_knowledge(
        &mut self,
        kind: KnowledgeKind,
        from: i64,
        into: i64,
        reason: &str,
    ) -> anyhow::Result<()> {
        if from == into {
            anyhow::bail!("cannot merge {} {from} into itself", kind.as_str());
        }
        for id in [from, into] {
            if self.knowledge_item(kind, id)?.is_none() {
                anyhow::bail!("no {} with id {id}", kind.as_str());
            }
        }
        let (sources, column) = kind.sources();
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            &format!("INSERT OR IGNORE INTO {sources} ({column}, episode_id) SELECT ?1, episode_id FROM {sources} WHERE {column} = ?2"),
            params![into, from],
        )?;
        if kind == KnowledgeKind::Rule {
            tx.execute(
                "INSERT OR IGNORE INTO rule_attempts (rule_id, failure_id) SELECT ?1, failure_id FROM rule_attempts WHERE rule_id = ?2",
                params![into, from],
            )?;
        }
        tx.execute(
            &format!(
                "UPDATE {t} SET evidence_count = max(evidence_count, (SELECT count(DISTINCT e.task_id) FROM {sources} s JOIN episodes e ON e.id = s.episode_id WHERE s.{column} = ?1)) WHERE id = ?1",
                t = kind.table()
            ),
            params![into],
        )?;
        tx.execute(
            &format!(
                "UPDATE {} SET status = 'retired' WHERE id = ?1",
                kind.table()
            ),
            params![from],
        )?;
        record_event(&tx, kind, from, "merged", &format!("into {into}: {reason}"))?;
        record_event(
            &tx,
            kind,
            into,
            "merged",
            &format!("{from} merged in: {reason}"),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The keys of every stored rule or procedure, retired ones included.
    pub fn knowledge_keys(
        &self,
        kind: KnowledgeKind,
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT key FROM {}", kind.table()))?;
        let keys = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(keys)
    }

    /// Every rule's id, text and scope, for the near-duplicate check.
    pub fn rule_texts(&self) -> anyhow::Result<Vec<(i64, String, Option<String>)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, rule_text, scope FROM semantic_rules ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Active procedures of exactly this task shape, the best measured first.
    pub fn procedures_of_shape(&self, shape: &str) -> anyhow::Result<Vec<KnowledgeMatch>> {
        self.ranked_knowledge(
            "SELECT id, pattern, recipe_text, 0.0 FROM procedures WHERE pattern = ?1 AND status = 'active'
             ORDER BY coalesce(effect_with - effect_without, 0) DESC, votes DESC, evidence_count DESC, id ASC LIMIT ?2",
            shape,
            50,
        )
    }

    /// Active rules about this task shape first, then rules about every kind, the best measured
    /// first within each.
    pub fn rules_for_shape(
        &self,
        shape: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        self.ranked_knowledge(
            "SELECT id, rule_text, '', 0.0 FROM semantic_rules
             WHERE status = 'active' AND (scope = ?1 OR scope IS NULL)
             ORDER BY scope IS NULL, coalesce(effect_with - effect_without, 0) * 1.0 / max(coalesce(effect_n, 1), 1) DESC,
                      votes DESC, id ASC LIMIT ?2",
            shape,
            limit,
        )
    }

    fn ranked_knowledge(
        &self,
        sql: &str,
        shape: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt
            .query_map(params![shape, limit as i64], |r| {
                Ok(KnowledgeMatch {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    body: r.get(2)?,
                    score: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

fn record_event(
    tx: &rusqlite::Transaction<'_>,
    kind: KnowledgeKind,
    id: i64,
    action: &str,
    reason: &str,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO knowledge_events (kind, item_id, action, reason) VALUES (?1, ?2, ?3, ?4)",
        params![kind.as_str(), id, action, reason],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{episode_store, knowledge};

    #[test]
    fn merge_edit_vote_and_effect_are_recorded_operations() {
        let mut store = episode_store(&[
            ("a", "Return n plus 1.", "def f(n):\n    return n + 1"),
            ("b", "Return n plus 2.", "def f(n):\n    return n + 2"),
        ]);
        let ids: Vec<i64> = store.episodes().unwrap().iter().map(|e| e.id).collect();
        let rule = |text: &str, ids: &[i64]| knowledge(KnowledgeKind::Rule, text, "", ids);
        let keep = store
            .add_knowledge(&rule("Use the task's number exactly.", &ids[..1]))
            .unwrap()
            .id();
        let other = store
            .add_knowledge(&rule("Use the number written in the task.", &ids[1..]))
            .unwrap()
            .id();
        store
            .merge_knowledge(KnowledgeKind::Rule, other, keep, "same advice")
            .unwrap();
        let merged = store
            .knowledge_item(KnowledgeKind::Rule, keep)
            .unwrap()
            .unwrap();
        assert_eq!(merged.sources.len(), 2, "provenance moved over");
        assert_eq!(merged.evidence_count, 2);
        let gone = store
            .knowledge_item(KnowledgeKind::Rule, other)
            .unwrap()
            .unwrap();
        assert_eq!(gone.status, "retired");
        assert!(
            store
                .merge_knowledge(KnowledgeKind::Rule, keep, keep, "")
                .is_err()
        );
        store
            .edit_rule(
                keep,
                "Use the numbers written in the task exactly.",
                "clearer",
            )
            .unwrap();
        assert!(
            store
                .edit_rule(other, "Use the numbers written in the task exactly.", "")
                .unwrap_err()
                .to_string()
                .contains("already says that")
        );
        store
            .vote_knowledge(KnowledgeKind::Rule, keep, false, "test")
            .unwrap();
        let effect = Effect {
            with: 5,
            without: 3,
            n: 16,
        };
        store
            .record_effect(KnowledgeKind::Rule, keep, effect, "a slice")
            .unwrap();
        let item = store
            .knowledge_item(KnowledgeKind::Rule, keep)
            .unwrap()
            .unwrap();
        assert_eq!(item.title, "Use the numbers written in the task exactly.");
        assert_eq!(item.votes, 0);
        assert_eq!(item.effect, Some(effect));
        assert!(effect.helps() && (effect.delta() - 0.125).abs() < 1e-9);
        let actions: Vec<&str> = item.events.iter().map(|e| e.1.as_str()).collect();
        assert_eq!(
            actions,
            ["created", "merged", "edited", "downvoted", "measured"]
        );
    }
}
