//! How the simulator reuses remembered code: rename the function and its parameters, and
//! substitute the literals of the new task's description for those of the old one, in order.
//! This is text manipulation, not understanding: remembered code of another kind of task is
//! adapted just as confidently, and comes out wrong.

use super::ParsedPrompt;

/// A literal value written in a task description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Literal {
    Number(String),
    Text(String),
}

/// The literals of a description, in order: integers and quoted strings.
pub(crate) fn literals(text: &str) -> Vec<Literal> {
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
                    out.push(Literal::Text(chars[i + 1..i + 1 + len].iter().collect()));
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
            out.push(Literal::Number(chars[start..i].iter().collect()));
            continue;
        }
        i += 1;
    }
    out
}

/// Replaces whole identifiers or whole numbers equal to `from` (not parts of longer words).
fn replace_token(code: &str, from: &str, to: &str) -> String {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(pos) = rest.find(from) {
        let before = rest[..pos].chars().next_back();
        let after = rest[pos + from.len()..].chars().next();
        out.push_str(&rest[..pos]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[pos + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Applies several replacements at once, through placeholders, so `3 -> 7, 7 -> 3` works.
fn replace_all(code: &str, pairs: &[(String, String)], quoted: bool) -> String {
    let mut text = code.to_string();
    for (i, (from, _)) in pairs.iter().enumerate() {
        text = if quoted {
            text.replace(&format!("'{from}'"), &format!("\u{1}{i}\u{1}"))
                .replace(&format!("\"{from}\""), &format!("\u{1}{i}\u{1}"))
        } else {
            replace_token(&text, from, &format!("\u{1}{i}\u{1}"))
        };
    }
    for (i, (_, to)) in pairs.iter().enumerate() {
        let replacement = if quoted {
            format!("{to:?}")
        } else {
            to.clone()
        };
        text = text.replace(&format!("\u{1}{i}\u{1}"), &replacement);
    }
    text
}

/// The name and parameters of the first `def` in some code.
pub(crate) fn signature(code: &str) -> Option<(String, Vec<String>)> {
    let line = code.lines().find(|l| l.trim_start().starts_with("def "))?;
    let rest = line.trim_start().strip_prefix("def ")?;
    let (name, rest) = rest.split_once('(')?;
    let (params, _) = rest.rsplit_once(')')?;
    let params = params
        .split(',')
        .map(|p| p.split(['=', ':']).next().unwrap_or("").trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    Some((name.trim().to_string(), params))
}

/// Adapts a remembered solution of another task to the task in `prompt`.
pub(crate) fn from_example(
    old_description: &str,
    old_code: &str,
    prompt: &ParsedPrompt,
) -> Option<String> {
    let (old_name, old_params) = signature(old_code)?;
    let mut identifiers = vec![(old_name, prompt.function_name.clone())];
    if old_params.len() == prompt.params.len() {
        identifiers.extend(old_params.into_iter().zip(prompt.params.iter().cloned()));
    }
    let mut code = replace_all(old_code, &identifiers, false);
    let old_literals = literals(old_description);
    let new_literals = literals(&prompt.description);
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    for (old, new) in old_literals.iter().zip(&new_literals) {
        match (old, new) {
            (Literal::Number(a), Literal::Number(b)) if a != b => {
                // A negative parameter is often written as a subtraction of its magnitude.
                numbers.push((
                    a.trim_start_matches('-').to_string(),
                    b.trim_start_matches('-').to_string(),
                ));
            }
            (Literal::Text(a), Literal::Text(b)) if a != b => texts.push((a.clone(), b.clone())),
            _ => {}
        }
    }
    numbers.dedup();
    texts.dedup();
    code = replace_all(&code, &numbers, false);
    code = replace_all(&code, &texts, true);
    Some(code)
}

/// Fills a procedure's template (`<<name>>`, `<<p0>>`, `<<L0>>`, ...) for the task in `prompt`.
/// Returns None when the task does not provide what the template needs.
pub(crate) fn from_procedure(template: &str, prompt: &ParsedPrompt) -> Option<String> {
    let mut code = template.replace("<<name>>", &prompt.function_name);
    for (i, param) in prompt.params.iter().enumerate() {
        code = code.replace(&format!("<<p{i}>>"), param);
    }
    for (i, literal) in literals(&prompt.description).iter().enumerate() {
        let text = match literal {
            Literal::Number(n) => n.clone(),
            Literal::Text(t) => format!("{t:?}"),
        };
        code = code.replace(&format!("<<L{i}>>"), &text);
    }
    (!code.contains("<<")).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn swaps_literals_without_chaining() {
        let out = replace_all(
            "return [3, 7, 37, x3]",
            &[("3".into(), "7".into()), ("7".into(), "3".into())],
            false,
        );
        assert_eq!(out, "return [7, 3, 37, x3]");
    }

    #[test]
    fn fills_procedures_or_declines() {
        let prompt = ParsedPrompt {
            description: "Return n plus 5.".into(),
            function_name: "add5".into(),
            params: vec!["n".into()],
            ..Default::default()
        };
        assert_eq!(
            from_procedure("def <<name>>(<<p0>>):\n    return <<p0>> + <<L0>>", &prompt).unwrap(),
            "def add5(n):\n    return n + 5"
        );
        assert_eq!(
            from_procedure("def <<name>>(<<p0>>, <<p1>>):\n    return <<L1>>", &prompt),
            None
        );
    }
}
