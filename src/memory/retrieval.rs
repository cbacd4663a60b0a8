//! FTS5 retrieval: what to search for and which hits to keep. The queries themselves live in
//! the store (`store::retrieval`); this module picks the words, over-fetches, and drops what a
//! task must not see (held-out tasks, knowledge derived from them, dissimilar tasks, repeats).

use std::collections::HashSet;

use super::shape::{instantiate, recipe_template, task_shape};
use super::{Retrieved, RetrievedEpisode, RetrievedProcedure, RetrievedRule};
use crate::store::Store;
use crate::store::knowledge::KnowledgeKind;
use crate::store::retrieval::{FtsQuery, KnowledgeMatch};
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

/// The part of a task prompt before its worked examples: what retrieval and adaptation key on.
pub fn description(prompt: &str) -> &str {
    prompt
        .split("\n\nExamples:")
        .next()
        .unwrap_or(prompt)
        .trim()
}

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

/// The FTS5 query for free text: its distinct words (lowercase, at least two characters, no
/// numbers, no stopwords), any of which may match. `None` when no word is left.
pub fn fts_query(text: &str) -> Option<FtsQuery> {
    let mut seen = HashSet::new();
    FtsQuery::any_of(
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(str::to_lowercase)
            .filter(|t| {
                t.len() >= 2
                    && !t.chars().all(|c| c.is_ascii_digit())
                    && !STOPWORDS.contains(&t.as_str())
            })
            .filter(|t| seen.insert(t.clone())),
    )
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
    /// Episodes need at least this Jaccard similarity of content words with the
    /// task description: bm25 ranks, but an OR query always finds something, and remembered
    /// code of another kind of task misleads a model more than no memory at all. On the bundled
    /// families, 0.5 keeps 99% of same-family pairs and no cross-family pair.
    pub min_similarity: f64,
}

/// How many hits to read before filtering out held-out tasks and duplicates.
const OVERFETCH: usize = 50;

impl Retriever {
    pub fn retrieve(&self, store: &Store, task: &Task) -> anyhow::Result<Retrieved> {
        let query = fts_query(description(&task.prompt));
        let words = content_words(description(&task.prompt));
        let mut out = Retrieved::default();
        if self.top_episodes > 0 {
            out.episodes = self.episodes(store, query.as_ref(), &words)?;
        }
        if self.top_procedures > 0 {
            out.procedures = self.procedures(store, task)?;
        }
        if self.top_rules > 0 {
            out.rules = self.rules(store, task)?;
        }
        Ok(out)
    }

    fn episodes(
        &self,
        store: &Store,
        query: Option<&FtsQuery>,
        words: &HashSet<String>,
    ) -> anyhow::Result<Vec<RetrievedEpisode>> {
        let rows = match (self.strategy, query) {
            (Strategy::Bm25, Some(query)) => store.search_episodes(query, OVERFETCH)?,
            (Strategy::Bm25, None) => return Ok(Vec::new()),
            (Strategy::Recent, _) => store.recent_episodes(OVERFETCH)?,
        };
        let mut seen_tasks = HashSet::new();
        let mut seen_code = HashSet::new();
        let mut picked = Vec::new();
        for row in rows {
            if self.excluded.contains(&row.task_id)
                || similarity(words, description(&row.prompt)) < self.min_similarity
                || !seen_tasks.insert(row.task_id.clone())
                || !seen_code.insert(row.code.trim().to_string())
            {
                continue;
            }
            picked.push(RetrievedEpisode {
                id: row.id,
                task_id: row.task_id,
                prompt: row.prompt,
                function_name: row.function_name,
                code: row.code,
                score: row.score,
            });
            if picked.len() == self.top_episodes {
                break;
            }
        }
        Ok(picked)
    }

    /// Whether an item of knowledge was derived from an excluded task.
    fn tainted(&self, store: &Store, kind: KnowledgeKind, id: i64) -> anyhow::Result<bool> {
        if self.excluded.is_empty() {
            return Ok(false);
        }
        Ok(store
            .knowledge_source_tasks(kind, id)?
            .iter()
            .any(|task_id| self.excluded.contains(task_id)))
    }

    /// Active rules or procedures for the task, best first, without those derived from a
    /// held-out task. bm25 retrieval reads them by the task's shape (`rows_for_shape`), never by
    /// word overlap: a procedure or rule of one kind is not shown for a similar-sounding other
    /// kind. `keep` drops rows that do not fit the task.
    fn knowledge(
        &self,
        store: &Store,
        kind: KnowledgeKind,
        top: usize,
        rows_for_shape: impl FnOnce() -> anyhow::Result<Vec<KnowledgeMatch>>,
        keep: impl Fn(&KnowledgeMatch) -> bool,
    ) -> anyhow::Result<Vec<KnowledgeMatch>> {
        let rows = match self.strategy {
            Strategy::Bm25 => rows_for_shape()?,
            Strategy::Recent => store.recent_knowledge(kind, OVERFETCH)?,
        };
        let mut picked = Vec::new();
        for row in rows {
            if picked.len() == top {
                break;
            }
            if keep(&row) && !self.tainted(store, kind, row.id)? {
                picked.push(row);
            }
        }
        Ok(picked)
    }

    /// Procedures of the task's shape that can be filled in with its names and values.
    fn procedures(&self, store: &Store, task: &Task) -> anyhow::Result<Vec<RetrievedProcedure>> {
        let shape = task_shape(task);
        let rows = self.knowledge(
            store,
            KnowledgeKind::Procedure,
            self.top_procedures,
            || store.procedures_of_shape(&shape),
            |row| recipe_template(&row.body).is_some_and(|t| instantiate(t, task).is_some()),
        )?;
        Ok(rows
            .into_iter()
            .map(|row| RetrievedProcedure {
                id: row.id,
                pattern: row.title,
                recipe: row.body,
                score: row.score,
            })
            .collect())
    }

    /// Rules about the task's shape first, then rules about every kind of task.
    fn rules(&self, store: &Store, task: &Task) -> anyhow::Result<Vec<RetrievedRule>> {
        let shape = task_shape(task);
        let rows = self.knowledge(
            store,
            KnowledgeKind::Rule,
            self.top_rules,
            || store.rules_for_shape(&shape, OVERFETCH),
            |_| true,
        )?;
        Ok(rows
            .into_iter()
            .map(|row| RetrievedRule {
                id: row.id,
                text: row.title,
                score: row.score,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{episode_store, knowledge, task};

    #[test]
    fn quotes_every_token_and_survives_fts_syntax() {
        let q = fts_query("fizz-buzz AND \"quoted NOT c++ task:x snake_case").unwrap();
        assert!(q.as_str().contains("\"snake_case\""), "{q:?}");
        assert!(
            q.as_str().contains("\"not\""),
            "operators are quoted as words: {q:?}"
        );
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
                store.search_episodes(&q, 1).unwrap();
            }
        }
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
        let store = episode_store(&[
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
        let recent = Retriever {
            strategy: Strategy::Recent,
            ..retriever(&[])
        };
        let got = recent.retrieve(&store, &task("rot-3", ROTATE)).unwrap();
        assert_eq!(
            got.episodes
                .iter()
                .map(|e| e.task_id.as_str())
                .collect::<Vec<_>>(),
            ["rot-5", "rot-2"],
            "the newest similar ones"
        );
    }

    #[test]
    fn rules_and_procedures_are_retrieved_and_tainted_ones_are_not() {
        let mut store = episode_store(&[
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
                .add_knowledge(&knowledge(kind, title, body, &ids))
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
