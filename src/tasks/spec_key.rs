//! The normalised spec of a task: what is left of it once the names a generator varies freely
//! (the function name, the parameter names) and the wording that carries no meaning (case,
//! punctuation, articles and similar filler) are taken out, while every constant (numbers,
//! quoted strings, operators) stays. Two tasks with the same key are twins: a model that saw one
//! has seen the other. The split uses the key so that twins never straddle it (a held-out task
//! whose twin was remembered or trained on is not held out), and the promotion gate uses it so
//! that its check set holds no twin of a trained task.

use std::collections::HashMap;

use super::Task;

/// Words that change no task's meaning; dropped so that "Return the int x" and "Return x"
/// are the same spec.
const FILLER: &[&str] = &[
    "a", "an", "the", "given", "int", "integer", "integers", "ints", "number", "value", "write",
    "function", "please", "called", "named", "that", "which", "returns", "new",
];

/// The normalised spec of `task`: its prompt and signature with the function name written `F`
/// and the i-th parameter `P{i}`, lowercased (except inside quotes), split into words, numbers,
/// quoted strings and symbols, with sentence punctuation and filler words dropped.
pub fn spec_key(task: &Task) -> String {
    let params = parameter_names(&task.signature);
    let mut renames: HashMap<&str, String> = HashMap::new();
    renames.insert(task.function_name.as_str(), "F".into());
    for (i, p) in params.iter().enumerate() {
        renames.entry(p.as_str()).or_insert_with(|| format!("P{i}"));
    }
    let mut tokens = tokens(&task.signature, &renames);
    tokens.push("|".into());
    tokens.extend(self::tokens(&task.prompt, &renames));
    tokens.join(" ")
}

/// The parameter names of a Python signature such as `"(values, k=3, *, key: str)"`.
fn parameter_names(signature: &str) -> Vec<String> {
    let inner = signature
        .trim()
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or("");
    inner
        .split(',')
        .map(|p| {
            p.split(['=', ':'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_start_matches('*')
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The meaningful tokens of `text`, with identifiers renamed.
fn tokens(text: &str, renames: &HashMap<&str, String>) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            // A quoted string is a constant: kept verbatim, quotes unified.
            let end = (i + 1..chars.len()).find(|&j| chars[j] == c && chars[j - 1] != '\\');
            match end {
                Some(end) => {
                    let inner: String = chars[i + 1..end].iter().collect();
                    out.push(format!("'{inner}'"));
                    i = end + 1;
                }
                None => i += 1, // an apostrophe in prose ("task's"), not a string
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                // A dot continues a number (2.5) but ends a word ("x.").
                if chars[i] == '.'
                    && !(chars[start].is_ascii_digit()
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit))
                {
                    break;
                }
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if let Some(renamed) = renames.get(word.as_str()) {
                out.push(renamed.clone());
            } else {
                let lower = word.to_lowercase();
                if !FILLER.contains(&lower.as_str()) {
                    out.push(lower);
                }
            }
        } else if matches!(c, '.' | ',' | ';' | ':' | '!' | '?') && !continues_symbol(&chars, i) {
            i += 1;
        } else {
            // Operators and brackets are part of the spec (`a + b == 4`, `1..6`); a sentence's
            // full stop after them is not.
            let start = i;
            while i < chars.len()
                && !chars[i].is_alphanumeric()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '"' | '\'' | '_')
            {
                if i > start
                    && matches!(chars[i], '.' | ',' | ';' | ':' | '!' | '?')
                    && !continues_symbol(&chars, i)
                {
                    break;
                }
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        }
    }
    out
}

/// Whether the punctuation at `i` is part of a symbol such as `..`, `:=` or `s.split` rather
/// than the end of a sentence or a list item (which whitespace or the end of the text follows).
fn continues_symbol(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(|c| !c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, signature: &str, prompt: &str) -> Task {
        Task {
            task_id: format!("{name}-x"),
            prompt: prompt.into(),
            function_name: name.into(),
            signature: signature.into(),
            reference_tests: String::new(),
            assert_tests: vec![],
            family: None,
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    #[test]
    fn names_and_filler_do_not_count_constants_do() {
        let a = task(
            "is_palindrome_alnum",
            "(text)",
            "Return True if the string text reads the same backwards, length at least 2.\n\nExamples:\n    is_palindrome_alnum('aa') == True",
        );
        let b = task(
            "is_clean_palindrome",
            "(s)",
            "Return True if the string s reads the same backwards, length at least 2.\n\nExamples:\n    is_clean_palindrome(\"aa\") == True",
        );
        assert_eq!(spec_key(&a), spec_key(&b));
        let c = task(
            "is_clean_palindrome",
            "(s)",
            "Return True if the string s reads the same backwards, length at least 1.\n\nExamples:\n    is_clean_palindrome(\"aa\") == True",
        );
        assert_ne!(spec_key(&a), spec_key(&c), "a different constant");
        let plus = task("add_3", "(x)", "Return x plus 3.");
        let plus_int = task("add_three", "(n)", "Return the int n plus 3.");
        assert_eq!(spec_key(&plus), spec_key(&plus_int));
        assert_ne!(
            spec_key(&plus),
            spec_key(&task("add_3", "(x)", "Return 3 plus x.")),
            "order is meaning"
        );
        assert_ne!(
            spec_key(&task("f", "(x)", "Return x plus 2.5.")),
            spec_key(&task("f", "(x)", "Return x plus 2.6."))
        );
    }

    #[test]
    fn symbols_and_ranges_are_kept() {
        let key = spec_key(&task(
            "clamp",
            "(value, lo=0)",
            "Return value limited to 1..6: values[i] + values[j] == 4.",
        ));
        assert!(key.contains("1 .. 6"), "{key}");
        assert!(key.contains("== 4"), "{key}");
        assert!(key.starts_with("( P0 P1 = 0 ) |"), "{key}");
    }
}
