//! Procedures: verified solutions generalised over their parameters, and verified again.

use std::collections::{BTreeMap, HashMap};

use super::Group;
use crate::code::{replace_all, signature};
use crate::iterate::pipeline::Judge;
use crate::prompt::{Literal, description, literals};
use crate::store::episodes::Episode;
use crate::store::knowledge::{KnowledgeKind, NewKnowledge};
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

/// Fills a template for a task; None when the task lacks what the template needs.
pub fn instantiate(template: &str, task: &Task) -> Option<String> {
    let params = crate::prompt::signature_params(&task.signature);
    let mut code = template.replace("<<name>>", &task.function_name);
    for (i, p) in params.iter().enumerate() {
        code = code.replace(&format!("<<p{i}>>"), p);
    }
    for (i, literal) in literals(description(&task.prompt)).iter().enumerate() {
        let text = match literal {
            Literal::Number(n) => n.clone(),
            Literal::Text(t) => format!("{t:?}"),
        };
        code = code.replace(&format!("<<L{i}>>"), &text);
    }
    (!code.contains("<<")).then_some(code)
}

/// The recipe text stored for a procedure and shown in prompts.
fn recipe(template: &str) -> String {
    format!(
        "```python\n{}\n```\nFill <<name>> with the function name, <<p0>>, <<p1>>, ... with its parameters and <<L0>>, <<L1>>, ... with the values written in the task, in order.",
        template.trim_end()
    )
}

/// Proposes the procedures of one group: each distinct template is filled in for every task of
/// the group and verified; `None` entries are templates that failed the gate.
pub fn propose(
    group: &Group,
    tasks: &HashMap<String, Task>,
    judge: &dyn Judge,
    min_evidence: usize,
    run_id: i64,
) -> Vec<Option<NewKnowledge>> {
    if group.by_task.len() < min_evidence {
        return Vec::new();
    }
    // Template -> the first episode of each task that produced it.
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
    ranked
        .into_iter()
        .take(TEMPLATES_PER_GROUP)
        .map(|(template, producers)| {
            let mut evidence = Vec::new();
            for (task_id, episodes) in &group.by_task {
                let task = &tasks[task_id];
                let Some(code) = instantiate(&template, task) else {
                    continue;
                };
                if judge.judge(task, &code).passed() {
                    evidence.push(producers.get(task_id).copied().unwrap_or(episodes[0].id));
                }
            }
            (evidence.len() >= min_evidence).then(|| NewKnowledge {
                kind: KnowledgeKind::Procedure,
                title: group.pattern.clone(),
                body: recipe(&template),
                family: group.family.clone(),
                evidence_count: evidence.len(),
                episode_ids: evidence,
                origin: "offline".into(),
                run_id: Some(run_id),
                validation: None,
            })
        })
        .collect()
}
