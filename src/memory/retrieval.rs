//! FTS5 retrieval. Model text never reaches `MATCH` raw: every token is quoted and the tokens
//! are OR-ed, because `fizz-buzz`, `AND`, an unbalanced quote or `task:x` would otherwise make
//! the query fail or silently filter a column.

use std::collections::HashSet;

use rusqlite::params;

use super::{Retrieved, RetrievedEpisode, RetrievedProcedure, RetrievedRule};
use crate::prompt::description;
use crate::store::Store;
use crate::tasks::Task;

/// How memory is looked up; a switch so retrieval strategies can be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// FTS5 bm25 over the task description, ties broken by id.
    Bm25,
    /// The most recent items, ignoring the task (a baseline for retrieval quality).
    Recent,
}

/// Words too common in task prompts to say anything about similarity.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "be", "by", "each", "for", "from", "given", "if", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "their", "then", "this", "to", "with", "return",
    "returns", "function", "write",
];

/// The content words of a text (lowercase, no stopwords, no numbers), for similarity checks.
pub fn content_words(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(str::to_lowercase)
        .filter(|t| {
            t.len() >= 3
                && !t.chars().all(|c| c.is_ascii_digit())
                && !STOPWORDS.contains(&t.as_str())
        })
        .collect()
}

/// Jaccard similarity of the content words of a query and a candidate text. Symmetric on
/// purpose: a one-word task ("Return x plus 3.") is covered by any long text that says "plus".
pub fn similarity(query: &HashSet<String>, text: &str) -> f64 {
    let words = content_words(text);
    let shared = query.iter().filter(|w| words.contains(*w)).count();
    let union = query.len() + words.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// The FTS5 query for free text: distinct tokens, each quoted, joined with OR. `None` when no
/// token is left (an empty MATCH is an error).
pub fn fts_query(text: &str) -> Option<String> {
    let mut seen = HashSet::new();
    let tokens: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(str::to_lowercase)
        .filter(|t| {
            t.len() >= 2
                && !t.chars().all(|c| c.is_ascii_digit())
                && !STOPWORDS.contains(&t.as_str())
        })
        .filter(|t| seen.insert(t.clone()))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    if tokens.is_empty() {
        None
    } else {
        Some(tokens.join(" OR "))
    }
}

/// Retrieves memory for tasks, excluding held-out tasks.
#[derive(Debug, Clone)]
pub struct Retriever {
    pub strategy: Strategy,
    /// Task ids that must never be returned (the held-out set of this run).
    pub excluded: HashSet<String>,
    pub top_episodes: usize,
    pub top_procedures: usize,
    pub top_rules: usize,
    /// Episodes and procedures need at least this Jaccard similarity of content words with the
    /// task description: bm25 ranks, but an OR query always finds something, and remembered
    /// code of another kind of task misleads a model more than no memory at all. On the bundled
    /// families, 0.5 keeps 99% of same-family pairs and no cross-family pair.
    pub min_similarity: f64,
}

/// How many FTS hits to read before filtering out held-out tasks and duplicates.
const OVERFETCH: usize = 50;

impl Retriever {
    pub fn retrieve(&self, store: &Store, task: &Task) -> anyhow::Result<Retrieved> {
        let query = fts_query(description(&task.prompt));
        let words = content_words(description(&task.prompt));
        let mut out = Retrieved::default();
        if self.top_episodes > 0 {
            out.episodes = self.episodes(store, query.as_deref(), &words)?;
        }
        if self.top_procedures > 0 {
            out.procedures = self.procedures(store, query.as_deref(), &words)?;
        }
        if self.top_rules > 0 {
            out.rules = self.rules(store, query.as_deref())?;
        }
        Ok(out)
    }

    fn episodes(
        &self,
        store: &Store,
        query: Option<&str>,
        words: &HashSet<String>,
    ) -> anyhow::Result<Vec<RetrievedEpisode>> {
        let sql = match (self.strategy, query) {
            (Strategy::Bm25, Some(_)) => {
                "SELECT e.id, e.task_id, e.prompt, e.candidate_code, bm25(episodes_fts, 1.0, 0.3) AS score
                 FROM episodes_fts JOIN episodes e ON e.id = episodes_fts.rowid
                 WHERE episodes_fts MATCH ?1 ORDER BY score ASC, e.id ASC LIMIT ?2"
            }
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => {
                "SELECT id, task_id, prompt, candidate_code, 0.0 FROM episodes WHERE ?1 IS NOT NULL OR 1
                 ORDER BY id DESC LIMIT ?2"
            }
        };
        let mut stmt = store.conn().prepare_cached(sql)?;
        let rows = stmt.query_map(params![query.unwrap_or(""), OVERFETCH as i64], |r| {
            Ok(RetrievedEpisode {
                id: r.get(0)?,
                task_id: r.get(1)?,
                prompt: r.get(2)?,
                code: r.get(3)?,
                score: r.get(4)?,
            })
        })?;
        let mut seen_tasks = HashSet::new();
        let mut seen_code = HashSet::new();
        let mut picked = Vec::new();
        for row in rows {
            let row = row?;
            if self.excluded.contains(&row.task_id)
                || similarity(words, description(&row.prompt)) < self.min_similarity
                || !seen_tasks.insert(row.task_id.clone())
                || !seen_code.insert(row.code.trim().to_string())
            {
                continue;
            }
            picked.push(row);
            if picked.len() == self.top_episodes {
                break;
            }
        }
        Ok(picked)
    }

    /// Task ids an item of knowledge was derived from.
    fn tainted(&self, store: &Store, table: &str, column: &str, id: i64) -> anyhow::Result<bool> {
        if self.excluded.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "SELECT e.task_id FROM {table} s JOIN episodes e ON e.id = s.episode_id WHERE s.{column} = ?1"
        );
        let mut stmt = store.conn().prepare_cached(&sql)?;
        let ids = stmt.query_map([id], |r| r.get::<_, String>(0))?;
        for task_id in ids {
            if self.excluded.contains(&task_id?) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn procedures(
        &self,
        store: &Store,
        query: Option<&str>,
        words: &HashSet<String>,
    ) -> anyhow::Result<Vec<RetrievedProcedure>> {
        let sql = match (self.strategy, query) {
            (Strategy::Bm25, Some(_)) => {
                "SELECT p.id, p.pattern, p.recipe_text, bm25(procedures_fts, 1.0, 0.2) AS score
                 FROM procedures_fts JOIN procedures p ON p.id = procedures_fts.rowid
                 WHERE procedures_fts MATCH ?1 AND p.status = 'active' ORDER BY score ASC, p.id ASC LIMIT ?2"
            }
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => {
                "SELECT id, pattern, recipe_text, 0.0 FROM procedures WHERE (?1 IS NOT NULL OR 1) AND status = 'active'
                 ORDER BY id DESC LIMIT ?2"
            }
        };
        let mut stmt = store.conn().prepare_cached(sql)?;
        let rows: Vec<RetrievedProcedure> = stmt
            .query_map(params![query.unwrap_or(""), OVERFETCH as i64], |r| {
                Ok(RetrievedProcedure {
                    id: r.get(0)?,
                    pattern: r.get(1)?,
                    recipe: r.get(2)?,
                    score: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut picked = Vec::new();
        for row in rows {
            if similarity(words, &row.pattern) >= self.min_similarity
                && !self.tainted(store, "procedure_sources", "procedure_id", row.id)?
            {
                picked.push(row);
            }
            if picked.len() == self.top_procedures {
                break;
            }
        }
        Ok(picked)
    }

    fn rules(&self, store: &Store, query: Option<&str>) -> anyhow::Result<Vec<RetrievedRule>> {
        let sql = match (self.strategy, query) {
            (Strategy::Bm25, Some(_)) => {
                "SELECT r.id, r.rule_text, bm25(rules_fts) AS score
                 FROM rules_fts JOIN semantic_rules r ON r.id = rules_fts.rowid
                 WHERE rules_fts MATCH ?1 AND r.status = 'active' ORDER BY score ASC, r.id ASC LIMIT ?2"
            }
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => {
                "SELECT id, rule_text, 0.0 FROM semantic_rules WHERE (?1 IS NOT NULL OR 1) AND status = 'active'
                 ORDER BY id DESC LIMIT ?2"
            }
        };
        let mut stmt = store.conn().prepare_cached(sql)?;
        let rows: Vec<RetrievedRule> = stmt
            .query_map(params![query.unwrap_or(""), OVERFETCH as i64], |r| {
                Ok(RetrievedRule {
                    id: r.get(0)?,
                    text: r.get(1)?,
                    score: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut picked = Vec::new();
        for row in rows {
            if !self.tainted(store, "rule_sources", "rule_id", row.id)? {
                picked.push(row);
            }
            if picked.len() == self.top_rules {
                break;
            }
        }
        Ok(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_token_and_survives_fts_syntax() {
        let q = fts_query("fizz-buzz AND \"quoted NOT c++ task:x snake_case").unwrap();
        assert!(q.contains("\"snake_case\""), "{q}");
        assert!(q.contains("\"not\""), "operators are quoted as words: {q}");
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query("a the 12 ,,"), None);
        // Every produced query must be accepted by FTS5.
        let store = Store::in_memory().unwrap();
        for text in [
            "fizz-buzz",
            "\"unbalanced",
            "AND",
            "NOT",
            "c++",
            "task:x",
            "NEAR(a b)",
            "x*",
            "^start",
        ] {
            if let Some(q) = fts_query(text) {
                store
                    .conn()
                    .query_row(
                        "SELECT count(*) FROM episodes_fts WHERE episodes_fts MATCH ?1",
                        [&q],
                        |r| r.get::<_, i64>(0),
                    )
                    .unwrap();
            }
        }
    }
}
