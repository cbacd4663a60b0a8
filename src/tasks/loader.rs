//! The strict task loader: every problem names its file and line, and nothing half-valid loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Task;

/// The task set compiled into the binary (`--tasks bundled`).
pub const BUNDLED_JSONL: &str = include_str!("../../tasks/bundled_tasks.jsonl");

/// Where tasks come from: the embedded bundled set or a JSONL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskSource {
    Bundled,
    File(PathBuf),
}

impl TaskSource {
    /// Parses the value of `--tasks`: `bundled` or a path.
    pub fn parse(value: &str) -> TaskSource {
        if value == "bundled" {
            TaskSource::Bundled
        } else {
            TaskSource::File(PathBuf::from(value))
        }
    }

    /// A label for reports and run records.
    pub fn label(&self) -> String {
        match self {
            TaskSource::Bundled => "bundled".to_string(),
            TaskSource::File(p) => p.display().to_string(),
        }
    }

    pub fn load(&self) -> anyhow::Result<Vec<Task>> {
        match self {
            TaskSource::Bundled => {
                parse_jsonl(BUNDLED_JSONL, "bundled tasks (tasks/bundled_tasks.jsonl)")
            }
            TaskSource::File(path) => load_file(path),
        }
    }
}

/// Reads and strictly parses a task file.
pub fn load_file(path: &Path) -> anyhow::Result<Vec<Task>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read task file {}", path.display()))?;
    parse_jsonl(&text, &path.display().to_string())
}

/// Parses JSONL text; `origin` names the file in error messages (`origin:LINE: reason`).
pub fn parse_jsonl(text: &str, origin: &str) -> anyhow::Result<Vec<Task>> {
    let mut tasks = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let task: Task = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{origin}:{line_no}: {}", describe_json_error(&e)))?;
        validate(&task).map_err(|reason| anyhow::anyhow!("{origin}:{line_no}: {reason}"))?;
        if let Some(first) = first_line.insert(task.task_id.clone(), line_no) {
            anyhow::bail!(
                "{origin}:{line_no}: duplicate task_id {:?} (first defined on line {first})",
                task.task_id
            );
        }
        tasks.push(task);
    }
    if tasks.is_empty() {
        anyhow::bail!("{origin}: no tasks in file");
    }
    Ok(tasks)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde_json appends "at line 1 column N" (the line within this one JSON line): keep the reason.
    let text = e.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text);
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("malformed JSON: {reason}")
        }
        _ => reason.to_string(),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn validate(task: &Task) -> Result<(), String> {
    if task.task_id.trim().is_empty() {
        return Err("field `task_id` is empty".into());
    }
    if task.prompt.trim().is_empty() {
        return Err("field `prompt` is empty".into());
    }
    if !is_identifier(&task.function_name) {
        return Err(format!(
            "field `function_name` {:?} is not a Python identifier",
            task.function_name
        ));
    }
    let sig = task.signature.trim();
    if !(sig.starts_with('(') && sig.ends_with(')')) {
        return Err(format!(
            "field `signature` {:?} must be a parameter list in parentheses, e.g. \"(values)\"",
            task.signature
        ));
    }
    if task.reference_tests.trim().is_empty() && task.assert_tests.is_empty() {
        return Err(
            "task has no tests: `reference_tests` is empty and there are no `assert_tests`".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"task_id":"f-1","prompt":"p","function_name":"f","signature":"(x)","reference_tests":"def test_a():\n    pass"}"#;

    #[test]
    fn loads_a_valid_line_and_skips_blank_lines() {
        let tasks = parse_jsonl(&format!("{GOOD}\n\n"), "t.jsonl").unwrap();
        assert_eq!(tasks.len(), 1);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (format!("{GOOD}\n{{not json"), "t.jsonl:2: malformed JSON"),
            (
                GOOD.replace(r#""prompt":"p","#, ""),
                "t.jsonl:1: missing field `prompt`",
            ),
            (
                GOOD.replace(r#""signature":"(x)""#, r#""signature":3"#),
                "t.jsonl:1: invalid type: integer `3`, expected a string",
            ),
            (
                GOOD.replace(r#""f-1""#, r#""f-1","extra":1"#),
                "t.jsonl:1: unknown field `extra`",
            ),
            (
                format!("{GOOD}\n{GOOD}"),
                "t.jsonl:2: duplicate task_id \"f-1\" (first defined on line 1)",
            ),
            (
                GOOD.replace(r#""function_name":"f""#, r#""function_name":"1f""#),
                "t.jsonl:1: field `function_name` \"1f\" is not a Python identifier",
            ),
            (GOOD.replace("(x)", "x"), "t.jsonl:1: field `signature`"),
            (String::new(), "t.jsonl: no tasks in file"),
        ];
        for (text, expected) in cases {
            let err = parse_jsonl(&text, "t.jsonl").unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn accepts_the_originals_integer_difficulty_and_category() {
        let line = GOOD.replace(r#""f-1","#, r#""f-1","category":"math","difficulty":2,"#);
        let tasks = parse_jsonl(&line, "t.jsonl").unwrap();
        assert_eq!(tasks[0].difficulty, Some(super::super::Difficulty::Medium));
    }
}
