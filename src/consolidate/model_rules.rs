//! Rules written by the model (as ExpeL does): for each group of verified solutions of one
//! kind of task, the model is asked for one general insight. A rule is kept only when it is
//! well-formed and does not lower the pass rate on a validation slice of the train pool: the
//! slice is solved once without the rule and once with it in the prompt.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use super::Group;
use crate::backend::{Backend, GenerationRequest};
use crate::iterate::pipeline::{self, Counters, Judge, PipelineShape, Stop};
use crate::memory::{Retrieved, RetrievedRule};
use crate::prompt::{self, description};
use crate::store::knowledge::{KnowledgeKind, NewKnowledge};
use crate::tasks::Task;

/// Verified solutions shown to the model per group.
const SHOWN: usize = 4;
/// Train-pool tasks in a rule's validation slice.
const SLICE: usize = 6;

const WRITER_SYSTEM: &str = "You study verified Python solutions and write short, general insights that help solve similar programming tasks.";

/// Settings shared by every model call of a consolidation.
pub struct ModelContext<'a> {
    pub backend: &'a dyn Backend,
    pub judge: &'a dyn Judge,
    pub shape: PipelineShape,
    pub temperature: f32,
    pub max_tokens: u32,
    pub seed: u64,
    pub cancel: &'a AtomicBool,
}

/// The outcome for one group.
pub enum Proposal {
    Kept(NewKnowledge),
    Rejected { reason: String },
}

fn writer_prompt(group: &Group) -> String {
    let mut text = String::from("Here are verified solutions of similar tasks.\n");
    for episodes in group.by_task.values().take(SHOWN) {
        let e = &episodes[0];
        text.push_str(&format!(
            "\nTask: {}\n```python\n{}\n```\n",
            description(&e.prompt),
            e.code.trim_end()
        ));
    }
    text.push_str(
        "\nWrite ONE sentence of at most 30 words with a general insight that would help solve other tasks like these. Do not write code.",
    );
    text
}

/// The first sentence-like paragraph of a reply, if it is a usable rule.
pub fn well_formed(reply: &str) -> Result<String, String> {
    let text = match reply.find("</think>") {
        Some(end) => &reply[end + "</think>".len()..],
        None if reply.contains("<think>") => return Err("the reply is unfinished reasoning".into()),
        None => reply,
    };
    // Small models open with a preamble that announces the answer ("Here's a sentence that
    // could help:"); the rule is the paragraph after it.
    let first = text
        .trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|p| !p.is_empty() && !p.ends_with(':'))
        .unwrap_or_default();
    let first = first
        .trim_matches(|c: char| c == '"' || c == '*' || c == '-' || c.is_whitespace())
        .to_string();
    if first.contains("```")
        || first.contains("def ")
        || first.contains("return ") && first.contains('(') && first.contains(':')
    {
        return Err("the reply contains code".into());
    }
    let words = first.split_whitespace().count();
    if !(5..=60).contains(&words) {
        return Err(format!("the reply has {words} words; a rule has 5 to 60"));
    }
    if !first.chars().any(char::is_alphabetic) {
        return Err("the reply has no words".into());
    }
    // A decoding loop ("Your ENTIRE ENTIRE ENTIRE ...") is no insight.
    let distinct: std::collections::HashSet<String> =
        first.split_whitespace().map(|w| w.to_lowercase()).collect();
    if distinct.len() * 2 < words {
        return Err(format!(
            "the reply repeats itself ({} distinct words of {words})",
            distinct.len()
        ));
    }
    Ok(first)
}

/// Solves the slice with and without the rule in the prompt; returns the passes of each.
fn validate(ctx: &ModelContext<'_>, rule: &str, slice: &[Task]) -> anyhow::Result<(usize, usize)> {
    let mut counts = [0usize; 2];
    for (i, with_rule) in [false, true].into_iter().enumerate() {
        let memory = Retrieved {
            rules: if with_rule {
                vec![RetrievedRule {
                    id: 0,
                    text: rule.to_string(),
                    score: 0.0,
                }]
            } else {
                Vec::new()
            },
            ..Retrieved::default()
        };
        let jobs = slice
            .iter()
            .map(|task| pipeline::Job {
                task: task.clone(),
                request: GenerationRequest {
                    system: prompt::SYSTEM.into(),
                    user: prompt::user_message(task, &memory),
                    shots: Vec::new(),
                    function_name: task.function_name.clone(),
                    n: 1,
                    temperature: ctx.temperature,
                    max_tokens: ctx.max_tokens,
                    seed: ctx.seed,
                    adapter: None,
                },
            })
            .collect();
        let counters = Counters::default();
        let mut passed = 0;
        match pipeline::run(
            jobs,
            ctx.backend,
            ctx.judge,
            ctx.shape,
            ctx.cancel,
            &counters,
            |outcome| {
                passed += outcome
                    .attempts
                    .iter()
                    .filter(|a| a.verdict.passed())
                    .count();
                Ok(())
            },
        )? {
            Stop::Completed => {}
            Stop::Cancelled => anyhow::bail!("consolidation interrupted"),
            Stop::BackendFailed(e) => {
                return Err(e.context("the model failed while validating a rule"));
            }
        }
        counts[i] = passed;
    }
    Ok((counts[0], counts[1]))
}

/// Asks the model for a rule for each group with enough evidence and gates it.
pub fn propose(
    ctx: &ModelContext<'_>,
    groups: &[Group],
    train_by_pattern: &HashMap<String, Vec<Task>>,
    min_evidence: usize,
    run_id: i64,
) -> anyhow::Result<Vec<Proposal>> {
    let mut out = Vec::new();
    for group in groups.iter().filter(|g| g.by_task.len() >= min_evidence) {
        let request = GenerationRequest {
            system: WRITER_SYSTEM.into(),
            user: writer_prompt(group),
            shots: Vec::new(),
            function_name: String::new(),
            n: 1,
            temperature: ctx.temperature,
            max_tokens: ctx.max_tokens.max(96),
            seed: ctx.seed,
            adapter: None,
        };
        let reply = ctx
            .backend
            .generate(&request)?
            .into_iter()
            .next()
            .map(|c| c.raw)
            .unwrap_or_default();
        let rule = match well_formed(&reply) {
            Ok(rule) => rule,
            Err(reason) => {
                out.push(Proposal::Rejected {
                    reason: format!("{}: {reason}", group.pattern),
                });
                continue;
            }
        };
        // Unsolved tasks of the kind first: that is where a rule would have to help.
        let mut slice: Vec<Task> = train_by_pattern
            .get(&group.pattern)
            .cloned()
            .unwrap_or_default();
        slice.sort_by_key(|t| (group.by_task.contains_key(&t.task_id), t.task_id.clone()));
        slice.truncate(SLICE);
        let (without, with) = validate(ctx, &rule, &slice)?;
        if with < without {
            out.push(Proposal::Rejected {
                reason: format!(
                    "{}: lowered the validation pass rate ({with}/{} vs {without}/{})",
                    group.pattern,
                    slice.len(),
                    slice.len()
                ),
            });
            continue;
        }
        let firsts: Vec<i64> = group.by_task.values().map(|e| e[0].id).collect();
        out.push(Proposal::Kept(NewKnowledge {
            kind: KnowledgeKind::Rule,
            title: rule,
            body: String::new(),
            family: group.family.clone(),
            evidence_count: firsts.len(),
            episode_ids: firsts,
            origin: format!("model:{}", ctx.backend.model()),
            run_id: Some(run_id),
            validation: Some(serde_json::json!({
                "slice": slice.iter().map(|t| &t.task_id).collect::<Vec<_>>(),
                "passed_without_rule": without,
                "passed_with_rule": with,
            })),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn keeps_one_sentence_and_rejects_code_and_chatter() {
        assert_eq!(
            well_formed("<think>hmm</think>\n\nUse slicing with the shift taken modulo the length to rotate a list.\n\nMore text.").unwrap(),
            "Use slicing with the shift taken modulo the length to rotate a list."
        );
        assert!(well_formed("```python\ndef f(x): return x\n```").is_err());
        assert!(well_formed("Yes.").is_err());
        assert!(well_formed("<think>unfinished").is_err());
    }

    #[test]
    fn skips_preambles_and_rejects_decoding_loops() {
        // Replies SmolLM2-135M wrote when asked for a rule.
        assert!(well_formed("Here's a sentence that could help solve this problem:").is_err());
        assert!(
            well_formed("I can help with that. Here's a rewritten version of your sentence:")
                .is_err()
        );
        assert_eq!(
            well_formed(
                "Here is an insight:\n\nMultiply the argument by the constant named in the task."
            )
            .unwrap(),
            "Multiply the argument by the constant named in the task."
        );
        let looping = format!("Your {}", ["ENTIRE"; 40].join(" "));
        assert!(
            well_formed(&looping)
                .unwrap_err()
                .contains("repeats itself")
        );
    }
}
