//! Keeping the rule set small and distinct: a new rule whose normalised text is nearly that of
//! a rule already stored (about the same kind of task) adds its evidence to that rule instead of
//! becoming a second one, and the active set is bounded: past the bound, the rules with the
//! weakest measured effect are retired.

use crate::store::Store;
use crate::store::knowledge::{Added, KnowledgeKind, NewKnowledge};

/// Active rules at most (ExpeL keeps about 20 insights).
pub const MAX_ACTIVE_RULES: usize = 20;

/// Word-bigram Jaccard similarity at or above which two rules say the same thing.
const NEAR_DUPLICATE: f64 = 0.7;

/// A rule's words, lowercase, punctuation around them dropped; operators stay words.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| "\"'`,.:;()!?".contains(c))
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// How alike two rule texts are: the Jaccard similarity of their word bigrams (order matters,
/// so "use `+`, not `-`" and "use `-`, not `+`" are different rules).
pub fn similarity(a: &str, b: &str) -> f64 {
    let bigrams = |t: &str| -> std::collections::HashSet<(String, String)> {
        let w = words(t);
        w.windows(2).map(|p| (p[0].clone(), p[1].clone())).collect()
    };
    let (x, y) = (bigrams(a), bigrams(b));
    let union = x.union(&y).count();
    if union == 0 {
        return if words(a) == words(b) { 1.0 } else { 0.0 };
    }
    x.intersection(&y).count() as f64 / union as f64
}

/// Adds a rule, or its evidence to a near-duplicate rule of the same scope already stored.
pub fn add_rule(store: &mut Store, mut rule: NewKnowledge) -> anyhow::Result<Added> {
    let existing = store.rule_texts()?;
    if let Some((_, text, _)) = existing
        .iter()
        .filter(|(_, _, scope)| *scope == rule.scope)
        .find(|(_, text, _)| similarity(text, &rule.title) >= NEAR_DUPLICATE)
    {
        rule.title = text.clone();
    }
    store.add_knowledge(&rule)
}

/// Retires the weakest active rules beyond the bound; returns how many.
pub fn enforce_bound(store: &mut Store) -> anyhow::Result<usize> {
    let mut active = store.list_knowledge(KnowledgeKind::Rule, false)?;
    if active.len() <= MAX_ACTIVE_RULES {
        return Ok(0);
    }
    active.sort_by(|a, b| {
        let delta =
            |i: &crate::store::knowledge::KnowledgeItem| i.effect.map_or(0.0, |e| e.delta());
        delta(b)
            .total_cmp(&delta(a))
            .then(b.votes.cmp(&a.votes))
            .then(b.id.cmp(&a.id))
    });
    let extra = active.split_off(MAX_ACTIVE_RULES);
    for item in &extra {
        store.set_knowledge_status(
            KnowledgeKind::Rule,
            item.id,
            false,
            &format!("over the bound of {MAX_ACTIVE_RULES} active rules, among the weakest"),
        )?;
    }
    Ok(extra.len())
}

#[cfg(test)]
mod tests {
    use super::similarity;

    #[test]
    fn near_duplicates_are_alike_and_opposites_are_not() {
        let a = "Name the function exactly as the task says: attempts that renamed it failed.";
        let b = "Name the function exactly as the task says; attempts which renamed it failed!";
        assert!(similarity(a, b) >= 0.7, "{}", similarity(a, b));
        let plus = "In tasks like these, use `+`, not `-`: attempts with `-` failed.";
        let minus = "In tasks like these, use `-`, not `+`: attempts with `+` failed.";
        assert!(similarity(plus, minus) < 0.7, "{}", similarity(plus, minus));
        assert!(similarity(a, plus) < 0.2);
    }
}
