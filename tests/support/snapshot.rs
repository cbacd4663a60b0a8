//! Filters for snapshot tests: what varies between runs and machines (temporary paths, numbers,
//! the machine's isolation) is masked, so that what remains, the shape of an output, can be
//! compared with an inline expected string.

use std::path::Path;

use serde_json::Value;

/// `text` with `dir` written `[TMP]`, the verifier's isolation note (it depends on the kernel)
/// cut to `[ISOLATION]`, and every number that is not part of a word (`pass@1` and `v1` stay)
/// masked digit by digit: `0.625` becomes `#.###`, `+0.000` becomes `±#.###`, so columns keep
/// their width.
pub fn filter(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[TMP]");
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once("isolation: ") {
            Some((head, _)) if head.ends_with("verifier: ") => {
                out.push_str(&mask_numbers(head));
                out.push_str("isolation: [ISOLATION]");
            }
            _ => out.push_str(&mask_numbers(line)),
        }
        out.push('\n');
    }
    out
}

fn mask_numbers(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut in_number = false;
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let glued =
            |p: Option<char>| p.is_some_and(|p| p.is_alphanumeric() || p == '@' || p == '_');
        if c.is_ascii_digit() {
            in_number = in_number || !glued(prev);
            out.push(if in_number { '#' } else { c });
        } else if c == '.' && in_number && next.is_some_and(|n| n.is_ascii_digit()) {
            out.push('.');
        } else if (c == '+' || c == '-') && next.is_some_and(|n| n.is_ascii_digit()) && !glued(prev)
        {
            // A sign, as in `+0.000`: which one it is depends on the numbers.
            in_number = true;
            out.push('±');
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// The shape of a JSON value: one line per key path (`conditions[].per_task[].passed`), in the
/// order keys first appear, with every type seen there (`null | object`); an array's elements
/// are merged under `path[]`.
pub fn json_shape(value: &Value) -> String {
    let mut paths: Vec<(String, Vec<&'static str>)> = Vec::new();
    walk(value, "", &mut paths);
    let mut out = String::new();
    for (path, types) in paths {
        out.push_str(&format!("{path}: {}\n", types.join(" | ")));
    }
    out
}

fn walk(value: &Value, path: &str, paths: &mut Vec<(String, Vec<&'static str>)>) {
    if !path.is_empty() {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        match paths.iter_mut().find(|(p, _)| p == path) {
            Some((_, types)) if !types.contains(&kind) => types.push(kind),
            Some(_) => {}
            None => paths.push((path.to_string(), vec![kind])),
        }
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, &child_path, paths);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, &format!("{path}[]"), paths);
            }
        }
        _ => {}
    }
}
