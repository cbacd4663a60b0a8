//! Python source as text: the few manipulations the lab needs to reuse verified code
//! (find the `def`, rename identifiers, substitute literals) without a Python parser.

/// Replaces whole identifiers or whole numbers equal to `from` (not parts of longer words).
pub fn replace_token(code: &str, from: &str, to: &str) -> String {
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
pub fn replace_all(code: &str, pairs: &[(String, String)], quoted: bool) -> String {
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
pub fn signature(code: &str) -> Option<(String, Vec<String>)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_literals_without_chaining() {
        let out = replace_all(
            "return [3, 7, 37, x3]",
            &[("3".into(), "7".into()), ("7".into(), "3".into())],
            false,
        );
        assert_eq!(out, "return [7, 3, 37, x3]");
    }
}
