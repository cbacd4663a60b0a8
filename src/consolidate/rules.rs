//! Offline rules: insights derived from verified code, never from a fixed keyword list.
//! Two kinds: what the verified solutions of one kind of task have in common (the return type
//! shown in their worked examples and the constructs every solution uses), and associations
//! between a word of the task descriptions and a construct of the solutions that hold across
//! several kinds of task.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Group;
use crate::prompt::description;
use crate::store::knowledge::{KnowledgeKind, NewKnowledge};
use crate::tasks::Task;

/// Code constructs a rule can name, recognised by their spelling.
const CONSTRUCTS: &[(&str, &[&str])] = &[
    ("slicing", &["[::", "[1:", "[:-", "[-1:", "[:", "[::-1]"]),
    ("a list comprehension", &["[x for ", " for "]),
    ("sorted()", &["sorted("]),
    ("a dict", &["{}", "dict(", ".items()", ".get("]),
    ("a set", &["set(", " in seen"]),
    ("a while loop", &["while "]),
    ("a for loop", &["for "]),
    ("str.join", &[".join("]),
    ("str.split", &[".split("]),
    ("integer division //", &[" // "]),
    ("the modulo operator %", &[" % "]),
    ("min() or max()", &["min(", "max("]),
    ("enumerate()", &["enumerate("]),
    ("zip()", &["zip("]),
    ("a conditional expression", &[" if ", " else "]),
    ("sum()", &["sum("]),
    ("range()", &["range("]),
    ("collections", &["collections", "Counter(", "defaultdict("]),
];

fn constructs(code: &str) -> BTreeSet<&'static str> {
    let body: String = code
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("def "))
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    CONSTRUCTS
        .iter()
        .filter(|(_, cues)| cues.iter().any(|c| body.contains(c)))
        .map(|(name, _)| *name)
        .collect()
}

/// The kind of value the worked examples of a prompt show (`f(..) == VALUE`).
fn shown_return_kind(prompt: &str) -> Option<&'static str> {
    let line = prompt.lines().find(|l| l.trim_start().contains(") == "))?;
    let value = line.rsplit(") == ").next()?.trim();
    Some(match value.chars().next()? {
        '[' => "a list",
        '(' => "a tuple",
        '{' if value.contains(':') || value == "{}" => "a dict",
        '{' => "a set",
        '\'' | '"' => "a string",
        'T' | 'F' if value == "True" || value == "False" => "a bool (True or False)",
        'N' if value == "None" => "None",
        c if c.is_ascii_digit() || c == '-' => {
            if value.contains('.') {
                "a float"
            } else {
                "an int"
            }
        }
        _ => return None,
    })
}

fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Derives rules from the groups; each holds on at least `min_evidence` verified tasks.
pub fn derive(
    groups: &[Group],
    tasks: &HashMap<String, Task>,
    min_evidence: usize,
    run_id: i64,
) -> Vec<NewKnowledge> {
    let mut rules = Vec::new();
    // Per kind of task: the return type its examples show and the constructs all solutions share.
    for group in groups
        .iter()
        .filter(|g| g.by_task.len() >= min_evidence.max(1))
    {
        let first_per_task: Vec<(&String, &crate::store::episodes::Episode)> = group
            .by_task
            .iter()
            .map(|(id, eps)| (id, &eps[0]))
            .collect();
        let mut shared: Option<BTreeSet<&str>> = None;
        for (_, episode) in &first_per_task {
            let c = constructs(&episode.code);
            shared = Some(match shared {
                None => c,
                Some(s) => s.intersection(&c).copied().collect(),
            });
        }
        let shared: Vec<&str> = shared.unwrap_or_default().into_iter().collect();
        let kind = first_per_task
            .iter()
            .find_map(|(id, _)| tasks.get(*id).and_then(|t| shown_return_kind(&t.prompt)));
        let mut text = format!("Tasks like \"{}\"", group.pattern);
        match kind {
            Some(kind) => text.push_str(&format!(" return {kind}")),
            None => text.push_str(" have verified solutions"),
        }
        if shared.is_empty() {
            text.push('.');
        } else {
            text.push_str(&format!(
                "; all {} verified solutions use {}.",
                first_per_task.len(),
                join_names(&shared)
            ));
        }
        rules.push(NewKnowledge {
            kind: KnowledgeKind::Rule,
            title: text,
            body: String::new(),
            family: group.family.clone(),
            evidence_count: first_per_task.len(),
            episode_ids: first_per_task.iter().map(|(_, e)| e.id).collect(),
            origin: "offline".into(),
            run_id: Some(run_id),
            validation: None,
        });
    }
    rules.extend(associations(groups, min_evidence, run_id));
    rules
}

/// Word -> construct associations across kinds of task: a word of the descriptions whose tasks'
/// solutions use a construct far more often than solutions in general.
fn associations(groups: &[Group], min_evidence: usize, run_id: i64) -> Vec<NewKnowledge> {
    // One row per verified task: its description words, constructs, pattern and an episode id.
    let rows: Vec<(BTreeSet<String>, BTreeSet<&str>, &str, i64)> = groups
        .iter()
        .flat_map(|g| {
            g.by_task.values().map(move |eps| {
                let words = description(&eps[0].prompt)
                    .split(|c: char| !c.is_alphabetic())
                    .filter(|w| w.len() >= 4)
                    .map(str::to_lowercase)
                    .collect();
                (
                    words,
                    constructs(&eps[0].code),
                    g.pattern.as_str(),
                    eps[0].id,
                )
            })
        })
        .collect();
    let total = rows.len();
    if total < min_evidence.max(2) * 2 {
        return Vec::new();
    }
    let mut by_word: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        for w in &row.0 {
            by_word.entry(w.as_str()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (word, idx) in by_word {
        let patterns: BTreeSet<&str> = idx.iter().map(|&i| rows[i].2).collect();
        if idx.len() < min_evidence.max(2) || patterns.len() < 2 || idx.len() * 2 > total {
            continue;
        }
        for (construct, _) in CONSTRUCTS {
            let with = idx
                .iter()
                .filter(|&&i| rows[i].1.contains(construct))
                .count();
            let overall = rows.iter().filter(|r| r.1.contains(construct)).count();
            let p_word = with as f64 / idx.len() as f64;
            let p_all = overall as f64 / total as f64;
            if with >= min_evidence.max(2) && p_word >= 0.8 && p_word - p_all >= 0.3 {
                out.push(NewKnowledge {
                    kind: KnowledgeKind::Rule,
                    title: format!(
                        "When a task mentions \"{word}\", verified solutions use {construct} ({with} of {} such tasks, {} kinds of task).",
                        idx.len(),
                        patterns.len()
                    ),
                    body: String::new(),
                    family: None,
                    evidence_count: with,
                    episode_ids: idx.iter().filter(|&&i| rows[i].1.contains(construct)).map(|&i| rows[i].3).collect(),
                    origin: "offline".into(),
                    run_id: Some(run_id),
                    validation: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_return_kinds_from_examples() {
        assert_eq!(
            shown_return_kind("Do x.\n\nExamples:\n    f([1]) == [2]"),
            Some("a list")
        );
        assert_eq!(
            shown_return_kind("Do x.\n\nExamples:\n    f(1) == True"),
            Some("a bool (True or False)")
        );
        assert_eq!(
            shown_return_kind("Do x.\n\nExamples:\n    f('a') == -3"),
            Some("an int")
        );
        assert_eq!(shown_return_kind("Do x."), None);
    }

    #[test]
    fn recognises_constructs_in_the_body_only() {
        let c = constructs("def sorted_for(values):\n    return sorted(values)[::-1]\n");
        assert!(c.contains("sorted()") && c.contains("slicing"));
        assert!(!c.contains("a for loop"));
    }
}
