//! Prompts: the original's code-only contract, the task, its function name and signature, and
//! what memory adds. Tests never reach a prompt. Templates are versioned and the version is
//! recorded with every run, so results stay comparable across changes.
//!
//! `rslm-prompt-v2`: remembered episodes are worked examples in the chat, one pair of turns
//! each before the task (user: the remembered task, worded exactly as a task is; assistant: its
//! verified code), best last. The user message of the task is then exactly the no-memory
//! prompt, plus a block of procedures and rules when those are retrieved. In v1 the episodes
//! were a block after the task, and a 135M model copied the remembered function, name and
//! constant included (docs/real-model.md has the measurements).
//!
//! `rslm-prompt-v3`: as v2, but a procedure is shown filled in with the task's own function
//! name, parameters and values (v2 showed the template with placeholders, and a real model
//! copied the literals of the tasks it came from); rules say a slip and its fix.

use std::fmt::Write as _;

use serde::Serialize;

use crate::memory::{Retrieved, RetrievedEpisode, RetrievedProcedure};
use crate::tasks::Task;

/// One worked example as a pair of chat turns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shot {
    pub user: String,
    pub assistant: String,
}

/// Bumped whenever the wording below changes.
pub const PROMPT_VERSION: &str = "rslm-prompt-v3";

/// The original's code-only contract. It lives in a text file so that scripts send the same
/// bytes (`scripts/compare_adapter_answers.py` reads it); trailing whitespace is not part of it.
pub const SYSTEM: &str = include_str!("prompt/system.txt").trim_ascii_end();

/// Marks the block of procedures and rules; the mock backend reads the prompt through these markers.
pub const MEMORY_HEADER: &str =
    "Relevant knowledge from memory (verified by tests on other tasks; adapt it to this task):";
pub const PROCEDURE_MARKER: &str = "### Procedure";
pub const RULE_MARKER: &str = "### Rule";
pub const TASK_MARKER: &str = "Task:";

/// Remembered episodes shown as worked examples, at most.
pub const MAX_SHOTS: usize = 2;

/// The part of a task prompt before its worked examples. Owned by memory, which keys retrieval
/// on it; the stages that build on prompts (consolidation, the mock backend) read it here too.
pub use crate::memory::description;

/// Literals, patterns and shapes of task descriptions (owned by memory, which keys procedure
/// retrieval on them).
pub use crate::memory::shape::{Literal, literals};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// A chat prompt for a task: worked examples as earlier turns, then the user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPrompt {
    pub shots: Vec<Shot>,
    pub user: String,
}

/// The prompt for a task with what was retrieved for it: each episode becomes a worked example
/// (best last, nearest to the task), procedures and rules a block in the user message. Without
/// episodes, procedures and rules, the user message is byte-identical to the no-memory prompt.
pub fn chat_prompt(task: &Task, memory: &Retrieved) -> ChatPrompt {
    ChatPrompt {
        shots: memory
            .episodes
            .iter()
            .take(MAX_SHOTS)
            .rev()
            .filter_map(shot)
            .collect(),
        user: user_message(task, memory),
    }
}

/// A remembered episode as a pair of turns, the task worded as `user_message` words a task.
/// Its parameters come from the verified code's definition of the function; an episode whose
/// code does not define it (never stored, as it would not pass) gives no example.
fn shot(episode: &RetrievedEpisode) -> Option<Shot> {
    let name = episode.function_name.as_str();
    let def = format!("def {name}(");
    let params = episode
        .code
        .lines()
        .find_map(|l| l.strip_prefix(&def))
        .and_then(|rest| rest.rsplit_once(')'))
        .map(|(params, _)| params.trim())?;
    let mut user = String::new();
    task_text(&mut user, &episode.prompt, name, &format!("({params})"));
    Some(Shot {
        user,
        assistant: answer(&episode.code, name),
    })
}

fn task_text(text: &mut String, prompt: &str, function_name: &str, signature: &str) {
    let _ = writeln!(text, "{TASK_MARKER}\n{}\n", prompt.trim());
    let _ = writeln!(text, "Function name: {function_name}");
    let _ = writeln!(text, "Signature: def {function_name}{}:", signature.trim());
}

/// The user message for a task, with a block of the retrieved procedures and rules. Episodes
/// are not part of it: `chat_prompt` sends them as earlier turns.
pub fn user_message(task: &Task, memory: &Retrieved) -> String {
    let mut text = String::new();
    task_text(
        &mut text,
        &task.prompt,
        &task.function_name,
        &task.signature,
    );
    if !memory.procedures.is_empty() || !memory.rules.is_empty() {
        let _ = writeln!(text, "\n{MEMORY_HEADER}");
        for procedure in &memory.procedures {
            let _ = writeln!(text, "\n{}", procedure_text(procedure, task));
        }
        for rule in &memory.rules {
            let _ = writeln!(text, "\n{RULE_MARKER}: {}", rule.text.trim());
        }
    }
    text
}

/// A procedure as the prompt shows it: filled in with the task's own function name,
/// parameters and values, so a model copying it copies the task's literals, not those of the
/// tasks it was verified on. A recipe that cannot be filled in is shown as stored.
fn procedure_text(procedure: &RetrievedProcedure, task: &Task) -> String {
    let filled = crate::memory::shape::recipe_template(&procedure.recipe)
        .and_then(|template| crate::memory::shape::instantiate(template, task));
    match filled {
        Some(code) => format!(
            "{PROCEDURE_MARKER} for tasks like: {}\nVerified on other tasks of this kind; filled in with this task's names and values:\n```python\n{}\n```",
            procedure.pattern,
            code.trim_end()
        ),
        None => format!(
            "{PROCEDURE_MARKER} for tasks like: {}\n{}",
            procedure.pattern,
            procedure.recipe.trim_end()
        ),
    }
}

/// Verified code as the assistant turn, in a worked example and as the answer to learn: the
/// prompt asks for the function only, so trailing demo lines after the last function
/// (`print(...)`, calls of the function, comments) that the model added and the verifier
/// ignored are dropped. Anything else after the function (a constant, a class) keeps the code
/// unchanged.
pub fn answer(code: &str, function_name: &str) -> String {
    let lines: Vec<&str> = code.trim_end().lines().collect();
    let top_level = |l: &str| !l.is_empty() && !l.starts_with([' ', '\t']);
    let Some(last_def) = lines
        .iter()
        .rposition(|l| l.starts_with("def ") || l.starts_with("async def "))
    else {
        return code.trim_end().to_string();
    };
    let Some(tail) = lines[last_def + 1..]
        .iter()
        .position(|l| top_level(l))
        .map(|i| last_def + 1 + i)
    else {
        return code.trim_end().to_string();
    };
    let call = format!("{function_name}(");
    let demo = lines[tail..].iter().all(|l| {
        let t = l.trim_start();
        !top_level(l)
            || t.starts_with('#')
            || t.starts_with("print(")
            || t.starts_with(&call)
            || t.starts_with(')')
    });
    if demo {
        lines[..tail].join("\n").trim_end().to_string()
    } else {
        code.trim_end().to_string()
    }
}

/// The whole chat of a solved task, as adapters learn it: the system contract, the memory-free
/// user message, the verified code as the answer.
pub fn solution_chat(task: &Task, code: &str) -> Vec<Message> {
    vec![
        Message {
            role: "system",
            content: SYSTEM.to_string(),
        },
        Message {
            role: "user",
            content: user_message(task, &Retrieved::default()),
        },
        Message {
            role: "assistant",
            content: answer(code, &task.function_name),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::shape::pattern;

    fn task() -> Task {
        Task {
            task_id: "add_const_3-t".into(),
            prompt: "Return n plus 3.\n\nExamples:\n    add_const_3(0) == 3".into(),
            function_name: "add_const_3".into(),
            signature: "(n)".into(),
            reference_tests: String::new(),
            assert_tests: Vec::new(),
            family: None,
            category: None,
            difficulty: None,
            tags: Vec::new(),
        }
    }

    /// The system prompt (src/prompt/system.txt) is in every prompt and in what adapters learn:
    /// changing it needs a new PROMPT_VERSION.
    #[test]
    fn the_system_prompt_is_the_originals() {
        assert_eq!(PROMPT_VERSION, "rslm-prompt-v3");
        assert_eq!(
            SYSTEM,
            "Return ONLY valid Python code. Define ONLY the requested function. Do not include tests, explanations, or markdown."
        );
    }

    /// The no-memory prompt is the one adapters are trained on: it must not change.
    #[test]
    fn the_no_memory_prompt_is_unchanged_since_v1() {
        let prompt = chat_prompt(&task(), &Retrieved::default());
        assert!(prompt.shots.is_empty());
        assert_eq!(
            prompt.user,
            "Task:\nReturn n plus 3.\n\nExamples:\n    add_const_3(0) == 3\n\nFunction name: add_const_3\nSignature: def add_const_3(n):\n"
        );
    }

    #[test]
    fn episodes_become_worked_examples_best_last() {
        let episode = |id: i64, k: i64| RetrievedEpisode {
            id,
            task_id: format!("add_const_{k}-t"),
            prompt: format!("Return x plus {k}.\n\nExamples:\n    add_const_{k}(0) == {k}"),
            function_name: format!("add_const_{k}"),
            code: format!("def add_const_{k}(x):\n    return x + {k}\n\nprint(add_const_{k}(1))\n"),
            score: 0.0,
        };
        let memory = Retrieved {
            episodes: vec![episode(1, 7), episode(2, 9), episode(3, 11)],
            ..Retrieved::default()
        };
        let prompt = chat_prompt(&task(), &memory);
        assert_eq!(
            prompt.user,
            chat_prompt(&task(), &Retrieved::default()).user
        );
        assert_eq!(prompt.shots.len(), MAX_SHOTS);
        let best = prompt.shots.last().unwrap();
        assert_eq!(
            best.user,
            "Task:\nReturn x plus 7.\n\nExamples:\n    add_const_7(0) == 7\n\nFunction name: add_const_7\nSignature: def add_const_7(x):\n"
        );
        assert_eq!(best.assistant, "def add_const_7(x):\n    return x + 7");
    }

    #[test]
    fn trailing_demo_lines_are_not_learned_but_real_code_is_kept() {
        let demo = "def f(x):\n    return x\n\n# Example usage:\nprint(f(2))  # 2\nf(\n    3\n)\n";
        assert_eq!(answer(demo, "f"), "def f(x):\n    return x");
        let constant = "def f(x):\n    return x + K\n\nK = 3\nprint(f(1))";
        assert_eq!(answer(constant, "f"), constant);
        let helper = "import math\n\ndef g(y):\n    return y\n\ndef f(x):\n    return g(x)\n";
        assert_eq!(answer(helper, "f"), helper.trim_end());
        assert_eq!(answer("x = 1", "f"), "x = 1");
    }

    #[test]
    fn procedures_are_shown_filled_in_with_the_tasks_own_names_and_values() {
        let memory = Retrieved {
            procedures: vec![RetrievedProcedure {
                id: 1,
                pattern: "Return <P0> plus <N>.".into(),
                recipe:
                    "```python\ndef <<name>>(<<p0>>):\n    return <<p0>> + <<L0>>\n```\nFill ..."
                        .into(),
                score: 0.0,
            }],
            ..Retrieved::default()
        };
        let user = user_message(&task(), &memory);
        assert!(
            user.contains("```python\ndef add_const_3(n):\n    return n + 3\n```"),
            "{user}"
        );
        assert!(!user.contains("<<"), "{user}");
    }

    #[test]
    fn patterns_hide_parameters() {
        assert_eq!(
            pattern("Rotate values left by 3; use '-' as fill."),
            "Rotate values left by <N>; use <S> as fill."
        );
    }

    #[test]
    fn finds_numbers_and_quoted_strings_but_not_apostrophes() {
        let lits = literals(
            "Replace 'a' with \"-\" in s, keep the word's case, shift by -3 and 12; x2 is a name.",
        );
        assert_eq!(
            lits,
            vec![
                Literal::Text("a".into()),
                Literal::Text("-".into()),
                Literal::Number("-3".into()),
                Literal::Number("12".into())
            ]
        );
    }
}
