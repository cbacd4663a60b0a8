//! The tiny task set the integration tests share: `add_{i}(n) = n + i`, family `add`.

use std::path::{Path, PathBuf};

/// Writes `n` tasks `add_{i}(n) = n + i` (ids `add_{i}-t`) to `dir/tasks.jsonl`.
pub fn write_add_tasks(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("tasks.jsonl");
    let lines: Vec<String> = (1..=n)
        .map(|i| {
            serde_json::json!({
                "task_id": format!("add_{i}-t"),
                "prompt": format!("Return n plus {i}."),
                "function_name": format!("add_{i}"),
                "signature": "(n)",
                "family": "add",
                "reference_tests": format!("from solution import *\n\n\ndef test_add():\n    assert add_{i}(1) == {}\n", 1 + i),
                "assert_tests": [format!("assert add_{i}(1) == {}", 1 + i), format!("assert add_{i}(-4) == {}", i as i64 - 4)],
            })
            .to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}
