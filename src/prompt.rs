//! Prompts: the original's code-only contract, the task, its function name and signature, and a
//! memory block of retrieved knowledge. Tests never reach a prompt. Templates are versioned and
//! the version is recorded with every run, so results stay comparable across changes.

use std::fmt::Write as _;

use crate::memory::Retrieved;
use crate::tasks::Task;

/// Bumped whenever the wording below changes.
pub const PROMPT_VERSION: &str = "rslm-prompt-v1";

/// The original's code-only contract.
pub const SYSTEM: &str = "Return ONLY valid Python code. Define ONLY the requested function. Do not include tests, explanations, or markdown.";

/// Marks the memory block; the mock backend reads the prompt through these markers.
pub const MEMORY_HEADER: &str =
    "Relevant knowledge from memory (verified by tests on other tasks; adapt it to this task):";
pub const EXAMPLE_MARKER: &str = "### Verified solution of a similar task";
pub const PROCEDURE_MARKER: &str = "### Procedure";
pub const RULE_MARKER: &str = "### Rule";
pub const TASK_MARKER: &str = "Task:";

/// The part of a task prompt before its worked examples: what retrieval and adaptation key on.
pub fn description(prompt: &str) -> &str {
    prompt
        .split("\n\nExamples:")
        .next()
        .unwrap_or(prompt)
        .trim()
}

/// The user message for a task, with an optional memory block.
pub fn user_message(task: &Task, memory: &Retrieved) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{TASK_MARKER}\n{}\n", task.prompt.trim());
    let _ = writeln!(text, "Function name: {}", task.function_name);
    let _ = writeln!(
        text,
        "Signature: def {}{}:",
        task.function_name,
        task.signature.trim()
    );
    if !memory.is_empty() {
        let _ = writeln!(text, "\n{MEMORY_HEADER}");
        for example in &memory.episodes {
            let _ = writeln!(
                text,
                "\n{EXAMPLE_MARKER}\nTask: {}\n```python\n{}\n```",
                description(&example.prompt),
                example.code.trim_end()
            );
        }
        for procedure in &memory.procedures {
            let _ = writeln!(
                text,
                "\n{PROCEDURE_MARKER} for tasks like: {}\n{}",
                procedure.pattern,
                procedure.recipe.trim_end()
            );
        }
        for rule in &memory.rules {
            let _ = writeln!(text, "\n{RULE_MARKER}: {}", rule.text.trim());
        }
    }
    text
}
