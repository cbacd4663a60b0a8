//! FTS5 retrieval. Model text never reaches `MATCH` raw: every token is quoted and the tokens
//! are OR-ed, because `fizz-buzz`, `AND`, an unbalanced quote or `task:x` would otherwise make
//! the query fail or silently filter a column.

use std::collections::HashSet;

use rusqlite::params;

use super::{Retrieved, RetrievedEpisode, RetrievedProcedure, RetrievedRule};
use crate::prompt::description;
use crate::store::Store;
use crate::store::knowledge::KnowledgeKind;
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
                "SELECT e.id, e.task_id, e.prompt, e.candidate_code, bm25(episodes_fts, 1.0, 0.3) AS score, e.function_name
                 FROM episodes_fts JOIN episodes e ON e.id = episodes_fts.rowid
                 WHERE episodes_fts MATCH ?1 ORDER BY score ASC, e.id ASC LIMIT ?2"
            }
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => {
                "SELECT id, task_id, prompt, candidate_code, 0.0, function_name FROM episodes WHERE ?1 IS NOT NULL OR 1
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
                function_name: r.get(5)?,
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

    /// Active rules or procedures for the query, best first, without those derived from a
    /// held-out task; `keep` filters on the title (a rule's text, a procedure's pattern).
    fn knowledge(
        &self,
        store: &Store,
        query: Option<&str>,
        kind: KnowledgeKind,
        top: usize,
        keep: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Vec<(i64, String, String, f64)>> {
        let (table, fts, title, body, weights, sources, column) = match kind {
            KnowledgeKind::Procedure => (
                "procedures",
                "procedures_fts",
                "pattern",
                "recipe_text",
                "1.0, 0.2",
                "procedure_sources",
                "procedure_id",
            ),
            KnowledgeKind::Rule => (
                "semantic_rules",
                "rules_fts",
                "rule_text",
                "''",
                "1.0",
                "rule_sources",
                "rule_id",
            ),
        };
        let sql = match (self.strategy, query) {
            (Strategy::Bm25, Some(_)) => format!(
                "SELECT k.id, k.{title}, {body_k}, bm25({fts}, {weights}) AS score
                 FROM {fts} JOIN {table} k ON k.id = {fts}.rowid
                 WHERE {fts} MATCH ?1 AND k.status = 'active' ORDER BY score ASC, k.id ASC LIMIT ?2",
                body_k = if body == "''" { body.to_string() } else { format!("k.{body}") }
            ),
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => format!(
                "SELECT id, {title}, {body}, 0.0 FROM {table} WHERE (?1 IS NOT NULL OR 1) AND status = 'active'
                 ORDER BY id DESC LIMIT ?2"
            ),
        };
        let mut stmt = store.conn().prepare_cached(&sql)?;
        let rows: Vec<(i64, String, String, f64)> = stmt
            .query_map(params![query.unwrap_or(""), OVERFETCH as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut picked = Vec::new();
        for row in rows {
            if keep(&row.1) && !self.tainted(store, sources, column, row.0)? {
                picked.push(row);
            }
            if picked.len() == top {
                break;
            }
        }
        Ok(picked)
    }

    fn procedures(
        &self,
        store: &Store,
        query: Option<&str>,
        words: &HashSet<String>,
    ) -> anyhow::Result<Vec<RetrievedProcedure>> {
        let rows = self.knowledge(
            store,
            query,
            KnowledgeKind::Procedure,
            self.top_procedures,
            |pattern| similarity(words, pattern) >= self.min_similarity,
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, pattern, recipe, score)| RetrievedProcedure {
                id,
                pattern,
                recipe,
                score,
            })
            .collect())
    }

    fn rules(&self, store: &Store, query: Option<&str>) -> anyhow::Result<Vec<RetrievedRule>> {
        let rows = self.knowledge(store, query, KnowledgeKind::Rule, self.top_rules, |_| true)?;
        Ok(rows
            .into_iter()
            .map(|(id, text, _, score)| RetrievedRule { id, text, score })
            .collect())
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

#[cfg(test)]
mod retrieval_tests {
    use std::collections::HashSet;

    use super::*;
    use crate::backend::Candidate;
    use crate::store::episodes::{Attempt, Pool};
    use crate::store::knowledge::{KnowledgeKind, NewKnowledge};
    use crate::store::runs::{NewRun, RunKind};
    use crate::verify::{Verdict, VerdictKind};

    fn task(id: &str, prompt: &str) -> Task {
        Task {
            task_id: id.into(),
            prompt: prompt.into(),
            function_name: "f".into(),
            signature: "(values)".into(),
            reference_tests: "def test_a(): pass".into(),
            assert_tests: vec![],
            family: None,
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    fn store_with(episodes: &[(&str, &str, &str)]) -> Store {
        let mut store = Store::in_memory().unwrap();
        let run = store
            .start_run(&NewRun {
                kind: RunKind::Iteration,
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
        for (id, prompt, code) in episodes {
            let attempt = Attempt {
                sample_index: 0,
                candidate: Candidate {
                    code: (*code).into(),
                    ..Candidate::default()
                },
                verdict: Verdict {
                    verdict: VerdictKind::Pass,
                    tests_run: 1,
                    tests_passed: 1,
                    first_failure: None,
                    log: String::new(),
                    duration_ms: 1.0,
                },
            };
            store
                .record_task(run, &task(id, prompt), Pool::Train, "memory", &[attempt])
                .unwrap();
        }
        store
    }

    fn retriever(excluded: &[&str]) -> Retriever {
        Retriever {
            strategy: Strategy::Bm25,
            excluded: excluded
                .iter()
                .map(|s| s.to_string())
                .collect::<HashSet<_>>(),
            top_episodes: 2,
            top_procedures: 2,
            top_rules: 2,
            min_similarity: 0.5,
        }
    }

    const ROTATE: &str =
        "Return a new list with the elements of values rotated left by a shift of 3.";

    #[test]
    fn finds_siblings_not_strangers_and_never_held_out_tasks() {
        let store = store_with(&[
            (
                "rot-2",
                "Return a new list with the elements of values rotated left by a shift of 2.",
                "def f(values):\n    return values[2:] + values[:2]",
            ),
            (
                "rot-5",
                "Return a new list with the elements of values rotated left by a shift of 5.",
                "def f(values):\n    return values[5:] + values[:5]",
            ),
            (
                "sum-8",
                "Return the sum of the integers in values that are strictly greater than 8.",
                "def f(values):\n    return sum(v for v in values if v > 8)",
            ),
        ]);
        let got = retriever(&[])
            .retrieve(&store, &task("rot-3", ROTATE))
            .unwrap();
        let ids: Vec<&str> = got.episodes.iter().map(|e| e.task_id.as_str()).collect();
        assert_eq!(
            ids,
            ["rot-2", "rot-5"],
            "siblings, ranked deterministically"
        );
        let got = retriever(&["rot-2"])
            .retrieve(&store, &task("rot-3", ROTATE))
            .unwrap();
        assert_eq!(
            got.episodes
                .iter()
                .map(|e| e.task_id.as_str())
                .collect::<Vec<_>>(),
            ["rot-5"]
        );
        let got = retriever(&[])
            .retrieve(&store, &task("x", "Return x plus 3."))
            .unwrap();
        assert!(
            got.episodes.is_empty(),
            "an unrelated task gets no memory: {got:?}"
        );
    }

    #[test]
    fn rules_and_procedures_are_retrieved_and_tainted_ones_are_not() {
        let mut store = store_with(&[
            (
                "rot-2",
                "Return a new list with the elements of values rotated left by a shift of 2.",
                "def f(values):\n    return values[2:] + values[:2]",
            ),
            (
                "rot-5",
                "Return a new list with the elements of values rotated left by a shift of 5.",
                "def f(values):\n    return values[5:] + values[:5]",
            ),
        ]);
        let ids: Vec<i64> = store.episodes().unwrap().iter().map(|e| e.id).collect();
        for (kind, title, body) in [
            (
                KnowledgeKind::Procedure,
                "Return a new list with the elements of <P0> rotated left by a shift of <N>.",
                "```python\ndef <<name>>(<<p0>>):\n    return <<p0>>[<<L0>>:] + <<p0>>[:<<L0>>]\n```",
            ),
            (
                KnowledgeKind::Rule,
                "Tasks like \"rotated left by a shift\" return a list; all verified solutions use slicing.",
                "",
            ),
        ] {
            store
                .add_knowledge(&NewKnowledge {
                    kind,
                    title: title.into(),
                    body: body.into(),
                    family: None,
                    episode_ids: ids.clone(),
                    evidence_count: 2,
                    origin: "offline".into(),
                    run_id: None,
                    validation: None,
                })
                .unwrap();
        }
        let got = retriever(&[])
            .retrieve(&store, &task("rot-3", ROTATE))
            .unwrap();
        assert_eq!(got.procedures.len(), 1, "{got:?}");
        assert_eq!(got.rules.len(), 1, "{got:?}");
        // Knowledge derived from a task that is now held out is not retrieved.
        let got = retriever(&["rot-5"])
            .retrieve(&store, &task("rot-3", ROTATE))
            .unwrap();
        assert!(got.procedures.is_empty() && got.rules.is_empty(), "{got:?}");
    }
}
