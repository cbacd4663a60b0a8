//! Procedures: verified solutions generalised over their parameters, and verified again, in
//! parallel on the verifier's workers, for every task of their kind.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Group;
use crate::code::{replace_all, signature};
use crate::iterate::pipeline::Judge;
use crate::memory::shape::instantiate;
use crate::prompt::{Literal, description, literals};
use crate::store::episodes::Episode;
use crate::store::knowledge::{KnowledgeKind, NewKnowledge, text_key};
use crate::tasks::Task;

/// How many distinct templates of a group are tried (the most common first).
const TEMPLATES_PER_GROUP: usize = 3;

/// The episode's code with its function name, parameters and literals turned into
/// `<<name>>`, `<<p0>>`.., `<<L0>>`.. placeholders.
pub fn generalise(episode: &Episode) -> Option<String> {
    let (name, params) = signature(&episode.code)?;
    let mut pairs: Vec<(String, String)> = vec![(name, "<<name>>".into())];
    pairs.extend(
        params
            .into_iter()
            .enumerate()
            .map(|(i, p)| (p, format!("<<p{i}>>"))),
    );
    let mut template = replace_all(&episode.code, &pairs, false);
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    for (i, literal) in literals(description(&episode.prompt))
        .into_iter()
        .enumerate()
    {
        match literal {
            Literal::Number(n) if !numbers.iter().any(|(v, _): &(String, String)| *v == n) => {
                numbers.push((n, format!("<<L{i}>>")))
            }
            Literal::Text(t) if !texts.iter().any(|(v, _): &(String, String)| *v == t) => {
                texts.push((t, format!("<<L{i}>>")))
            }
            _ => {}
        }
    }
    template = replace_all(&template, &numbers, false);
    // Quoted strings keep their quotes in code; the placeholder stands for the whole literal.
    for (text, placeholder) in &texts {
        template = template
            .replace(&format!("{text:?}"), placeholder)
            .replace(&format!("'{text}'"), placeholder);
    }
    Some(template)
}

/// The recipe text stored for a procedure.
fn recipe(template: &str) -> String {
    format!(
        "```python\n{}\n```\nFill <<name>> with the function name, <<p0>>, <<p1>>, ... with its parameters and <<L0>>, <<L1>>, ... with the values written in the task, in order.",
        template.trim_end()
    )
}

/// A template of a group, to be verified on every task of the group.
struct Candidate<'a> {
    group: &'a Group,
    template: String,
    /// The first episode of each task that produced this template.
    producers: BTreeMap<String, i64>,
}

/// Judges every `(task, code)` on `workers` threads; the verdicts in order.
fn judge_all(judge: &dyn Judge, checks: &[(&Task, String)], workers: usize) -> Vec<bool> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::OnceLock<bool>> = (0..checks.len())
        .map(|_| std::sync::OnceLock::new())
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1).min(checks.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((task, code)) = checks.get(i) else {
                        break;
                    };
                    let _ = results[i].set(judge.judge(task, code).passed());
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap_or(false))
        .collect()
}

/// What proposing procedures may skip: templates already stored need checking only on the
/// tasks with new attempts (their other tasks were checked when they were stored).
pub struct Known<'a> {
    pub keys: &'a HashSet<String>,
    pub fresh_tasks: &'a HashSet<String>,
}

/// Proposes the procedures of the groups: each distinct template is filled in for every task
/// of its group (a stored one: for every task with new attempts) and verified, all of them in
/// parallel; `None` entries are new templates that failed the gate. A stored template that
/// passes no new task is left out.
pub fn propose(
    groups: &[Group],
    tasks: &HashMap<String, Task>,
    judge: &dyn Judge,
    workers: usize,
    known: &Known<'_>,
    min_evidence: usize,
    run_id: i64,
) -> Vec<Option<NewKnowledge>> {
    let mut candidates = Vec::new();
    for group in groups.iter().filter(|g| g.by_task.len() >= min_evidence) {
        let mut templates: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (task_id, episodes) in &group.by_task {
            for episode in episodes {
                if let Some(t) = generalise(episode) {
                    templates
                        .entry(t)
                        .or_default()
                        .entry(task_id.clone())
                        .or_insert(episode.id);
                }
            }
        }
        let mut ranked: Vec<(String, BTreeMap<String, i64>)> = templates.into_iter().collect();
        ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        candidates.extend(ranked.into_iter().take(TEMPLATES_PER_GROUP).map(
            |(template, producers)| Candidate {
                group,
                template,
                producers,
            },
        ));
    }
    // Every (candidate, task) check, flattened so the workers share one queue.
    let stored: Vec<bool> = candidates
        .iter()
        .map(|c| {
            known
                .keys
                .contains(&text_key(&c.group.pattern, &recipe(&c.template)))
        })
        .collect();
    let mut owners = Vec::new();
    let mut checks = Vec::new();
    for (c, candidate) in candidates.iter().enumerate() {
        for task_id in candidate.group.by_task.keys() {
            if stored[c] && !known.fresh_tasks.contains(task_id) {
                continue;
            }
            let task = &tasks[task_id];
            if let Some(code) = instantiate(&candidate.template, task) {
                owners.push((c, task_id.clone()));
                checks.push((task, code));
            }
        }
    }
    let passed = judge_all(judge, &checks, workers);
    let mut evidence: Vec<Vec<i64>> = vec![Vec::new(); candidates.len()];
    for ((c, task_id), ok) in owners.into_iter().zip(passed) {
        if ok {
            let candidate = &candidates[c];
            let episode = candidate
                .producers
                .get(&task_id)
                .copied()
                .unwrap_or(candidate.group.by_task[&task_id][0].id);
            evidence[c].push(episode);
        }
    }
    candidates
        .into_iter()
        .zip(evidence)
        .zip(stored)
        .filter(|((_, evidence), stored)| !stored || !evidence.is_empty())
        .map(|((candidate, evidence), stored)| {
            (stored || evidence.len() >= min_evidence).then(|| NewKnowledge {
                kind: KnowledgeKind::Procedure,
                title: candidate.group.pattern.clone(),
                body: recipe(&candidate.template),
                family: candidate.group.family.clone(),
                evidence_count: evidence.len(),
                episode_ids: evidence,
                failure_ids: Vec::new(),
                scope: None,
                origin: "offline".into(),
                run_id: Some(run_id),
                validation: None,
            })
        })
        .collect()
}
