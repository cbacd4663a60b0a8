//! The queries behind memory: FTS5 bm25 search over episodes, procedures and rules, the
//! most-recent baseline, and the provenance of knowledge. `memory` decides what to search for
//! and which rows to keep (held-out tasks, similarity, duplicates); these functions only read
//! rows in rank order.

use rusqlite::params;

use super::Store;
use super::knowledge::KnowledgeKind;

/// An FTS5 `MATCH` expression that matches any of its words. It can only be built by quoting
/// every word, so text from a task or a model is never read as FTS5 syntax: `fizz-buzz`, `AND`,
/// an unbalanced quote or `task:x` would otherwise make the query fail or silently filter a
/// column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtsQuery(String);

impl FtsQuery {
    /// The words, each quoted, joined with OR; `None` when there is no word (an empty MATCH is
    /// an error).
    pub fn any_of<I, S>(words: I) -> Option<FtsQuery>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let quoted: Vec<String> = words
            .into_iter()
            .map(|w| format!("\"{}\"", w.as_ref().replace('"', "\"\"")))
            .collect();
        if quoted.is_empty() {
            None
        } else {
            Some(FtsQuery(quoted.join(" OR ")))
        }
    }

    /// The expression as FTS5 reads it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A verified episode found for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeMatch {
    pub id: i64,
    pub task_id: String,
    pub prompt: String,
    pub function_name: String,
    pub code: String,
    /// bm25, lower is better; 0 for the most-recent listing.
    pub score: f64,
}

/// An active rule or procedure found for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeMatch {
    pub id: i64,
    /// The rule text, or the procedure's pattern.
    pub title: String,
    /// The procedure's recipe (empty for rules).
    pub body: String,
    /// bm25, lower is better; 0 for the most-recent listing.
    pub score: f64,
}

impl Store {
    /// Episodes matching `query`, best first: bm25 with the prompt weighted 1.0 and the code
    /// 0.3, ties broken by id.
    pub fn search_episodes(
        &self,
        query: &FtsQuery,
        limit: usize,
    ) -> anyhow::Result<Vec<EpisodeMatch>> {
        self.episode_matches(
            "SELECT e.id, e.task_id, e.prompt, e.candidate_code, bm25(episodes_fts, 1.0, 0.3) AS score, e.function_name
             FROM episodes_fts JOIN episodes e ON e.id = episodes_fts.rowid
             WHERE episodes_fts MATCH ?1 ORDER BY score ASC, e.id ASC LIMIT ?2",
            params![query.as_str(), limit as i64],
        )
    }

    /// The newest episodes, newest first, whatever their text.
    pub fn recent_episodes(&self, limit: usize) -> anyhow::Result<Vec<EpisodeMatch>> {
        self.episode_matches(
            "SELECT id, task_id, prompt, candidate_code, 0.0, function_name FROM episodes
             ORDER BY id DESC LIMIT ?1",
            params![limit as i64],
        )
    }

    fn episode_matches(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> anyhow::Result<Vec<EpisodeMatch>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok(EpisodeMatch {
                    id: r.get(0)?,
                    task_id: r.get(1)?,
                    prompt: r.get(2)?,
                    code: r.get(3)?,
                    score: r.get(4)?,
                    function_name: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Active rules or procedures matching `query`, best first: bm25 (a procedure's pattern
    /// weighted 1.0 and its recipe 0.2), ties broken by id.
    pub fn search_knowledge(
        &self,
        kind: KnowledgeKind,
        query: &FtsQuery,
        limit: usize,
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        let sql = match kind {
            KnowledgeKind::Procedure => {
                "SELECT k.id, k.pattern, k.recipe_text, bm25(procedures_fts, 1.0, 0.2) AS score
                 FROM procedures_fts JOIN procedures k ON k.id = procedures_fts.rowid
                 WHERE procedures_fts MATCH ?1 AND k.status = 'active' ORDER BY score ASC, k.id ASC LIMIT ?2"
            }
            KnowledgeKind::Rule => {
                "SELECT k.id, k.rule_text, '', bm25(rules_fts, 1.0) AS score
                 FROM rules_fts JOIN semantic_rules k ON k.id = rules_fts.rowid
                 WHERE rules_fts MATCH ?1 AND k.status = 'active' ORDER BY score ASC, k.id ASC LIMIT ?2"
            }
        };
        self.knowledge_matches(sql, params![query.as_str(), limit as i64])
    }

    /// The newest active rules or procedures, newest first, whatever their text.
    pub fn recent_knowledge(
        &self,
        kind: KnowledgeKind,
        limit: usize,
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        let sql = match kind {
            KnowledgeKind::Procedure => {
                "SELECT id, pattern, recipe_text, 0.0 FROM procedures WHERE status = 'active'
                 ORDER BY id DESC LIMIT ?1"
            }
            KnowledgeKind::Rule => {
                "SELECT id, rule_text, '', 0.0 FROM semantic_rules WHERE status = 'active'
                 ORDER BY id DESC LIMIT ?1"
            }
        };
        self.knowledge_matches(sql, params![limit as i64])
    }

    fn knowledge_matches(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
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

    /// The task ids of the episodes a rule or procedure was derived from.
    pub fn knowledge_source_tasks(
        &self,
        kind: KnowledgeKind,
        id: i64,
    ) -> anyhow::Result<Vec<String>> {
        let sql = match kind {
            KnowledgeKind::Procedure => {
                "SELECT e.task_id FROM procedure_sources s JOIN episodes e ON e.id = s.episode_id WHERE s.procedure_id = ?1"
            }
            KnowledgeKind::Rule => {
                "SELECT e.task_id FROM rule_sources s JOIN episodes e ON e.id = s.episode_id WHERE s.rule_id = ?1"
            }
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        let ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::knowledge::NewKnowledge;
    use crate::store::test_support::{episode_store, knowledge};

    #[test]
    fn queries_quote_every_word_and_fts5_accepts_them() {
        let q = FtsQuery::any_of(["fizz-buzz", "and", "\"quoted", "task:x"]).unwrap();
        assert_eq!(
            q.as_str(),
            r#""fizz-buzz" OR "and" OR """quoted" OR "task:x""#
        );
        assert_eq!(FtsQuery::any_of(Vec::<String>::new()), None);
        let store = Store::in_memory().unwrap();
        for word in [
            "AND",
            "NOT",
            "NEAR(a b)",
            "x*",
            "^start",
            "c++",
            "\"",
            "a:b",
        ] {
            let q = FtsQuery::any_of([word]).unwrap();
            store.search_episodes(&q, 5).unwrap();
            store.search_knowledge(KnowledgeKind::Rule, &q, 5).unwrap();
            store
                .search_knowledge(KnowledgeKind::Procedure, &q, 5)
                .unwrap();
        }
    }

    #[test]
    fn episodes_rank_by_bm25_then_id_and_recent_ones_newest_first() {
        // Enough other episodes that the query words are rare, as bm25's idf assumes.
        let store = episode_store(&[
            ("sum-1", "Sum the values", "def f(v):\n    return sum(v)"),
            ("len-1", "Count the values", "def f(v):\n    return len(v)"),
            (
                "max-1",
                "Find the largest value",
                "def f(v):\n    return max(v)",
            ),
            (
                "srt-1",
                "Sort the values",
                "def f(v):\n    return sorted(v)",
            ),
            (
                "rot-1",
                "Rotate the list left",
                "def f(v):\n    return v[1:] + v[:1]",
            ),
            (
                "rot-2",
                "Rotate the list left",
                "def f(v):\n    return v[2:] + v[:2]",
            ),
            (
                "rot-3",
                "Rotate the list left twice over",
                "def f(v):\n    return v[3:] + v[:3]",
            ),
        ]);
        let q = FtsQuery::any_of(["rotate", "left"]).unwrap();
        let hits = store.search_episodes(&q, 10).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.task_id.as_str()).collect();
        assert_eq!(
            ids,
            ["rot-1", "rot-2", "rot-3"],
            "equal scores by id; a longer row ranks lower"
        );
        assert!(hits[0].score < 0.0 && hits[0].score == hits[1].score);
        assert!(hits[1].score < hits[2].score);
        assert_eq!(hits[0].function_name, "f");
        assert_eq!(hits[0].code, "def f(v):\n    return v[1:] + v[:1]");
        assert_eq!(store.search_episodes(&q, 2).unwrap().len(), 2);
        let recent = store.recent_episodes(2).unwrap();
        assert_eq!(
            recent
                .iter()
                .map(|h| h.task_id.as_str())
                .collect::<Vec<_>>(),
            ["rot-3", "rot-2"]
        );
        assert!(recent.iter().all(|h| h.score == 0.0));
    }

    #[test]
    fn knowledge_search_skips_retired_items_and_knows_its_sources() {
        let mut store = episode_store(&[
            (
                "rot-1",
                "Rotate the list left",
                "def f(v):\n    return v[1:] + v[:1]",
            ),
            (
                "rot-2",
                "Rotate the list right",
                "def f(v):\n    return v[-1:] + v[:-1]",
            ),
        ]);
        let ids: Vec<i64> = store.episodes().unwrap().iter().map(|e| e.id).collect();
        let add = |store: &mut Store, item: NewKnowledge| match store.add_knowledge(&item).unwrap()
        {
            crate::store::knowledge::Added::Created(id) => id,
            other => panic!("{other:?}"),
        };
        let rule = add(
            &mut store,
            knowledge(KnowledgeKind::Rule, "Rotate with slicing", "", &ids[..1]),
        );
        let old = add(
            &mut store,
            knowledge(
                KnowledgeKind::Procedure,
                "Rotate <P0> left",
                "return <<p0>>[1:]",
                &ids,
            ),
        );
        let new = add(
            &mut store,
            knowledge(
                KnowledgeKind::Procedure,
                "Rotate <P0> right",
                "rotate right",
                &ids[1..],
            ),
        );
        let q = FtsQuery::any_of(["rotate"]).unwrap();
        let rules = store.search_knowledge(KnowledgeKind::Rule, &q, 5).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(
            (rules[0].id, rules[0].title.as_str()),
            (rule, "Rotate with slicing")
        );
        assert_eq!(rules[0].body, "");
        let procs = store
            .search_knowledge(KnowledgeKind::Procedure, &q, 5)
            .unwrap();
        assert_eq!(
            procs.iter().map(|p| p.id).collect::<Vec<_>>(),
            [new, old],
            "the recipe counts too: `rotate` twice ranks first"
        );
        assert_eq!(procs[1].body, "return <<p0>>[1:]");
        assert_eq!(
            store
                .recent_knowledge(KnowledgeKind::Procedure, 5)
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>(),
            [new, old]
        );
        store
            .set_knowledge_status(KnowledgeKind::Procedure, new, false, "test")
            .unwrap();
        let procs = store
            .search_knowledge(KnowledgeKind::Procedure, &q, 5)
            .unwrap();
        assert_eq!(procs.iter().map(|p| p.id).collect::<Vec<_>>(), [old]);
        assert_eq!(
            store
                .recent_knowledge(KnowledgeKind::Procedure, 5)
                .unwrap()
                .len(),
            1
        );
        let mut sources = store
            .knowledge_source_tasks(KnowledgeKind::Procedure, old)
            .unwrap();
        sources.sort();
        assert_eq!(sources, ["rot-1", "rot-2"]);
        assert_eq!(
            store
                .knowledge_source_tasks(KnowledgeKind::Rule, rule)
                .unwrap(),
            ["rot-1"]
        );
        assert!(
            store
                .knowledge_source_tasks(KnowledgeKind::Rule, 999)
                .unwrap()
                .is_empty()
        );
    }
}
