//! `verify --samples --sanitize`: raw model output cleaned the way evalplus's sanitizer cleans
//! it before scoring, so samples written by other tools score here as they do there. The code
//! is taken out of fences and prose (`backend::extract`, rslm's own rules), then cut to what a
//! test needs: the imports, and the definitions (functions, classes, top-level assignments) the
//! entry point reaches through the names it uses. Top-level calls, prints, asserts and
//! `if __name__ == "__main__":` blocks are dropped, since they run at import time and are not
//! part of the answer. Without a definition of the entry point every definition is kept.
//!
//! The split into top-level statements reads lines with their brackets, strings and line
//! continuations, not a full Python parser: enough for what models write, and a statement it
//! cannot place is kept rather than dropped.

use std::collections::HashSet;

use super::extract::extract_code;

/// The cleaned program for `entry_point`; empty when the text holds no code.
pub fn sanitize(text: &str, entry_point: &str) -> String {
    // Plain code is read whole (prose lines are top-level statements that define nothing, and
    // go); fenced or reasoning output is extracted first.
    let marked = ["```", "~~~", "<think>", "</think>"]
        .iter()
        .any(|m| text.contains(m));
    let code = if marked {
        match extract_code(text, entry_point) {
            Some(code) => code,
            None => return String::new(),
        }
    } else {
        text.replace("\r\n", "\n")
    };
    let statements = split_statements(&code);
    let defined: Vec<Option<Vec<String>>> = statements.iter().map(|s| s.defines()).collect();
    let has_entry = defined
        .iter()
        .flatten()
        .any(|names| names.iter().any(|n| n == entry_point));
    let mut needed: HashSet<String> = HashSet::from([entry_point.to_string()]);
    let mut keep = vec![false; statements.len()];
    // Grow the set of needed names until no kept definition adds one.
    loop {
        let mut grew = false;
        for (i, statement) in statements.iter().enumerate() {
            if keep[i] {
                continue;
            }
            let wanted = match (&statement.kind, &defined[i]) {
                (Kind::Import, _) => true,
                (_, Some(names)) => !has_entry || names.iter().any(|n| needed.contains(n)),
                (_, None) => false,
            };
            if wanted {
                keep[i] = true;
                grew = true;
                needed.extend(identifiers(&statement.text));
            }
        }
        if !grew {
            break;
        }
    }
    let kept: Vec<&str> = statements
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(s, _)| s.text.trim_end())
        .collect();
    kept.join("\n\n")
}

#[derive(Debug, PartialEq)]
enum Kind {
    Import,
    Def,
    Class,
    Assign,
    Other,
}

/// One top-level statement with the lines that belong to it (its body, decorators, comments).
#[derive(Debug)]
struct Statement {
    kind: Kind,
    text: String,
}

impl Statement {
    /// The names a definition binds; `None` for statements that define nothing.
    fn defines(&self) -> Option<Vec<String>> {
        let first = self
            .text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.starts_with('@') && !l.starts_with('#'))?;
        match self.kind {
            Kind::Def => {
                let rest = first.strip_prefix("async ").unwrap_or(first);
                let rest = rest.strip_prefix("def ")?.trim_start();
                Some(vec![leading_name(rest)?])
            }
            Kind::Class => Some(vec![leading_name(
                first.strip_prefix("class ")?.trim_start(),
            )?]),
            Kind::Assign => {
                let target = first.split('=').next()?;
                let names: Vec<String> = target
                    .split([',', ':'])
                    .map(|t| t.trim().trim_start_matches('(').trim_end_matches(')'))
                    .filter(|t| is_name(t))
                    .map(str::to_string)
                    .collect();
                (!names.is_empty()).then_some(names)
            }
            Kind::Import | Kind::Other => None,
        }
    }
}

fn leading_name(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    is_name(&name).then_some(name)
}

fn is_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn identifiers(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| is_name(w))
        .map(str::to_string)
}

/// The statement kind a top-level line starts.
fn kind_of(line: &str) -> Kind {
    let starts = |p: &str| line.starts_with(p);
    if starts("import ") || starts("from ") {
        Kind::Import
    } else if starts("def ") || starts("async def ") {
        Kind::Def
    } else if starts("class ") {
        Kind::Class
    } else if is_assignment(line) {
        Kind::Assign
    } else {
        Kind::Other
    }
}

/// `NAME = ...`, `NAME: T = ...`, `A, B = ...` (not `==`, not an augmented assignment).
fn is_assignment(line: &str) -> bool {
    let Some(at) = line.find('=') else {
        return false;
    };
    let (target, rest) = line.split_at(at);
    if rest.starts_with("==")
        || target.ends_with(['!', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^'])
    {
        return false;
    }
    let target = target.split(':').next().unwrap_or_default();
    target
        .split(',')
        .map(|t| t.trim().trim_start_matches('(').trim_end_matches(')'))
        .all(|t| is_name(t) && !KEYWORDS.contains(&t))
}

const KEYWORDS: &[&str] = &[
    "if", "elif", "else", "for", "while", "with", "try", "except", "finally", "return", "assert",
    "print", "lambda", "not", "and", "or", "del", "global", "nonlocal", "raise", "yield",
];

/// Lines that continue the compound statement before them at the top level.
fn continues_compound(line: &str) -> bool {
    ["else", "elif ", "except", "finally", "case "]
        .iter()
        .any(|p| line.starts_with(p))
}

/// Splits code into top-level statements: a statement starts at a line in column 0 outside
/// any bracket, string or line continuation; decorators join the definition they decorate.
fn split_statements(code: &str) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    let mut scanner = Scanner::default();
    let mut decorators = String::new();
    for line in code.lines() {
        let top = scanner.at_top_level()
            && !line.trim().is_empty()
            && !line.starts_with([' ', '\t', '#'])
            && !continues_compound(line);
        scanner.feed(line);
        if !top {
            match out.last_mut() {
                Some(last) if decorators.is_empty() => {
                    last.text.push('\n');
                    last.text.push_str(line);
                }
                _ => {
                    decorators.push_str(line);
                    decorators.push('\n');
                }
            }
            continue;
        }
        if line.starts_with('@') {
            decorators.push_str(line);
            decorators.push('\n');
            continue;
        }
        out.push(Statement {
            kind: kind_of(line),
            text: format!("{}{line}", std::mem::take(&mut decorators)),
        });
    }
    if !decorators.trim().is_empty() {
        out.push(Statement {
            kind: Kind::Other,
            text: decorators,
        });
    }
    out
}

/// Tracks brackets, strings and backslash continuations across lines.
#[derive(Default)]
struct Scanner {
    depth: i32,
    /// The quote of an open triple-quoted string.
    triple: Option<&'static str>,
    continued: bool,
}

impl Scanner {
    fn at_top_level(&self) -> bool {
        self.depth <= 0 && self.triple.is_none() && !self.continued
    }

    fn feed(&mut self, line: &str) {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if let Some(quote) = self.triple {
                match line[i..].find(quote) {
                    Some(at) => {
                        i += at + 3;
                        self.triple = None;
                    }
                    None => break,
                }
                continue;
            }
            match bytes[i] {
                b'#' => break,
                b'(' | b'[' | b'{' => self.depth += 1,
                b')' | b']' | b'}' => self.depth -= 1,
                b'"' | b'\'' => {
                    let quote = if bytes[i] == b'"' { "\"\"\"" } else { "'''" };
                    if line[i..].starts_with(quote) {
                        self.triple = Some(quote);
                        i += 3;
                        continue;
                    }
                    // A one-line string: skip to its unescaped closing quote.
                    let q = bytes[i];
                    i += 1;
                    while i < bytes.len() && bytes[i] != q {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.continued = self.triple.is_none() && line.trim_end().ends_with('\\');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_prose_and_test_code_go_helpers_and_imports_stay() {
        let raw = "Here is my solution:\n```python\nimport math\nfrom typing import List\n\n\
                   LIMIT = 10\nUNUSED = 3\n\ndef helper(x):\n    return math.sqrt(x) + LIMIT\n\n\
                   def unrelated():\n    return 1\n\n@staticmethod_like\ndef solve(xs: List[int]) -> int:\n    \
                   return sum(helper(x) for x in xs)\n\nprint(solve([1, 4]))\nassert solve([]) == 0\n\n\
                   if __name__ == \"__main__\":\n    print(solve([9]))\n```\nHope this helps!";
        assert_eq!(
            sanitize(raw, "solve"),
            "import math\n\nfrom typing import List\n\nLIMIT = 10\n\n\
             def helper(x):\n    return math.sqrt(x) + LIMIT\n\n\
             @staticmethod_like\ndef solve(xs: List[int]) -> int:\n    return sum(helper(x) for x in xs)"
        );
    }

    #[test]
    fn strings_brackets_and_continuations_do_not_split_statements() {
        let code = "def f(a,\n b):\n    s = \"\"\"\nx = 1\nprint(x)\n\"\"\"\n    return (a +\n b)\n\n\
                    TABLE = {\n'k': 1,\n}\nprint(f(1, 2))";
        assert_eq!(
            sanitize(code, "f"),
            "def f(a,\n b):\n    s = \"\"\"\nx = 1\nprint(x)\n\"\"\"\n    return (a +\n b)"
        );
        let uses_table = "TABLE = {\n'k': 1,\n}\n\ndef f():\n    return TABLE['k']\n\nf()";
        assert_eq!(
            sanitize(uses_table, "f"),
            "TABLE = {\n'k': 1,\n}\n\ndef f():\n    return TABLE['k']"
        );
    }

    #[test]
    fn classes_and_compound_statements() {
        let code = "class Node:\n    pass\n\ndef f(x):\n    return Node()\n\n\
                    try:\n    f(1)\nexcept Exception:\n    pass\nfor i in range(3):\n    f(i)";
        assert_eq!(
            sanitize(code, "f"),
            "class Node:\n    pass\n\ndef f(x):\n    return Node()"
        );
    }

    #[test]
    fn without_the_entry_point_every_definition_stays_and_no_code_is_empty() {
        let code = "def g():\n    return 1\n\nprint(g())";
        assert_eq!(sanitize(code, "f"), "def g():\n    return 1");
        assert_eq!(sanitize("I cannot help with that.", "f"), "");
    }
}
