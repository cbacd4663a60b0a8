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

/// A literal value written in a task description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Number(String),
    Text(String),
}

/// The literals of a description, in order: integers and quoted strings.
pub fn literals(text: &str) -> Vec<Literal> {
    literal_spans(text).into_iter().map(|(_, l)| l).collect()
}

/// The description with every literal replaced by `<N>` (number) or `<S>` (string): the shape
/// shared by tasks that differ only in their parameters.
pub fn pattern(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    for (span, literal) in literal_spans(text) {
        out.extend(&chars[at..span.start]);
        out.push_str(match literal {
            Literal::Number(_) => "<N>",
            Literal::Text(_) => "<S>",
        });
        at = span.end;
    }
    out.extend(&chars[at..]);
    out
}

/// The pattern of a task: its description with literals hidden and its parameter names
/// replaced by `<P0>`, `<P1>`, ... so tasks that differ only in values and names share it.
pub fn task_pattern(description: &str, params: &[String]) -> String {
    let mut text = pattern(description);
    for (i, p) in params.iter().enumerate() {
        text = crate::code::replace_token(&text, p, &format!("<P{i}>"));
    }
    text
}

/// The parameter names of a signature such as `"(values, k=2)"`.
pub fn signature_params(signature: &str) -> Vec<String> {
    signature
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(|p| p.split(['=', ':']).next().unwrap_or("").trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Literals with their character ranges.
fn literal_spans(text: &str) -> Vec<(std::ops::Range<usize>, Literal)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let prev_is_word = i > 0 && is_word(chars[i - 1]);
        if (c == '\'' || c == '"') && !prev_is_word {
            if let Some(len) = chars[i + 1..]
                .iter()
                .take_while(|&&x| x != '\n')
                .position(|&x| x == c)
            {
                let after = chars.get(i + 1 + len + 1).copied();
                if !after.is_some_and(is_word) {
                    out.push((
                        i..i + len + 2,
                        Literal::Text(chars[i + 1..i + 1 + len].iter().collect()),
                    ));
                    i += len + 2;
                    continue;
                }
            }
        }
        let starts_number = c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()));
        if starts_number && !prev_is_word {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && is_word(chars[i]) {
                continue;
            }
            out.push((start..i, Literal::Number(chars[start..i].iter().collect())));
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
