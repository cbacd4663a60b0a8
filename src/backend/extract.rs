//! Code extraction: turns a model's free-form reply into the Python source the verifier runs.
//!
//! Small models rarely follow "reply with one code block" exactly: they think aloud in
//! `<think>` tags, wrap code in prose, give several blocks (solution, then usage), or skip the
//! fence altogether. The rules, in order:
//!
//! 1. `<think>...</think>` spans are dropped; an unclosed `<think>` runs to the end of the text
//!    (a reply cut off mid-thought has no answer), and a stray `</think>` with no opening tag
//!    drops everything before it (chat templates that put `<think>` into the prompt).
//! 2. Fenced blocks (```` ``` ```` or `~~~`, tagged `python`/`py`/`python3` or bare) are
//!    collected; a fence left open by a truncated reply runs to the end.
//! 3. The largest block that defines `def function_name(` wins; then the text outside fences
//!    when it defines the function (a bare solution followed by a fenced usage example); then
//!    the largest Python-looking block.
//! 4. Without a usable block, the text outside fences is taken when it looks like Python (it
//!    starts with `def`/`import`/`from`/`class`, or defines the function), with leading prose
//!    cut before the first top-level statement and trailing prose cut after the code. A label
//!    line such as `Example:` or `Output:` counts as prose.
//!
//! Anything else is prose without code: `None`. Extraction never judges correctness; the
//! verifier does. A reply cut off by the token limit is the one case where the caller knows
//! more than the text: `drop_unfinished_tail` then removes the statement the cut left unfinished.

/// The Python code in a model reply, or `None` when the reply holds none.
pub fn extract_code(text: &str, function_name: &str) -> Option<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = strip_think(&text);
    let (blocks, outside) = fenced_blocks(&text);

    let defining = blocks
        .iter()
        .filter(|b| defines(&b.code, function_name))
        .max_by_key(|b| b.code.len());
    if let Some(block) = defining {
        return Some(block.code.clone());
    }
    if defines(&outside, function_name) {
        if let Some(code) = raw_code(&outside, function_name).filter(|c| defines(c, function_name))
        {
            return Some(code);
        }
    }
    let pythonic = blocks
        .iter()
        .filter(|b| b.is_python())
        .max_by_key(|b| b.code.len());
    if let Some(block) = pythonic {
        return Some(block.code.clone());
    }
    raw_code(&outside, function_name)
}

/// Removes reasoning spans (see the module doc for the unclosed cases).
fn strip_think(text: &str) -> String {
    const OPEN: &str = "<think>";
    const CLOSE: &str = "</think>";
    let mut rest = text;
    // A close tag before any open tag: the template opened the reasoning in the prompt.
    if let Some(close) = rest.find(CLOSE) {
        if rest.find(OPEN).is_none_or(|open| open > close) {
            rest = &rest[close + CLOSE.len()..];
        }
    }
    let mut out = String::with_capacity(rest.len());
    while let Some(open) = rest.find(OPEN) {
        out.push_str(&rest[..open]);
        let after = &rest[open + OPEN.len()..];
        match after.find(CLOSE) {
            Some(close) => rest = &after[close + CLOSE.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// One fenced block: its language tag (lowercased first word of the info string) and content.
#[derive(Debug)]
struct Block {
    lang: String,
    code: String,
}

impl Block {
    fn is_python(&self) -> bool {
        match self.lang.as_str() {
            "python" | "py" | "python3" | "py3" | "ipython" => true,
            "" => looks_like_python(&self.code),
            _ => false,
        }
    }
}

/// Splits the text into fenced blocks and the lines outside any fence.
fn fenced_blocks(text: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut outside = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(fence) = Fence::open(line) else {
            outside.push_str(line);
            outside.push('\n');
            continue;
        };
        let mut body = Vec::new();
        for inner in lines.by_ref() {
            if fence.closes(inner) {
                break;
            }
            body.push(fence.unindent(inner));
        }
        let code = dedent(&body);
        if !code.trim().is_empty() {
            blocks.push(Block {
                lang: fence.lang,
                code,
            });
        }
    }
    (blocks, outside)
}

/// An opening fence line: its character, length, indentation and language tag.
struct Fence {
    ch: char,
    len: usize,
    indent: usize,
    lang: String,
}

impl Fence {
    fn open(line: &str) -> Option<Fence> {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let len = trimmed.chars().take_while(|c| *c == ch).count();
        if len < 3 {
            return None;
        }
        let info = trimmed[len..].trim();
        // A backtick fence's info string may not contain backticks (that is inline code).
        if ch == '`' && info.contains('`') {
            return None;
        }
        let lang = info
            .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        Some(Fence {
            ch,
            len,
            indent,
            lang,
        })
    }

    fn closes(&self, line: &str) -> bool {
        let trimmed = line.trim();
        trimmed.len() >= self.len && trimmed.chars().all(|c| c == self.ch)
    }

    /// Removes up to the fence's own indentation (a fence inside a list item).
    fn unindent<'a>(&self, line: &'a str) -> &'a str {
        let spaces = line
            .chars()
            .take(self.indent)
            .take_while(|c| *c == ' ' || *c == '\t')
            .count();
        &line[spaces..]
    }
}

/// Joins lines after removing the indentation all non-blank lines share; drops blank edges.
fn dedent(lines: &[&str]) -> String {
    let common = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let body: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                // `common` is in bytes; odd Unicode whitespace may not split there.
                l.get(common..).unwrap_or_else(|| l.trim_start())
            }
        })
        .collect();
    let first = body.iter().position(|l| !l.is_empty()).unwrap_or(0);
    let last = body
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    body[first..last.max(first)]
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a line (its text after indentation) defines `name`: `def name(` or `async def name(`.
fn defines_line(line: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let line = line.trim_start();
    let line = line.strip_prefix("async ").map_or(line, str::trim_start);
    line.strip_prefix("def ")
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.trim_start().starts_with('('))
}

fn defines(code: &str, name: &str) -> bool {
    code.lines().any(|l| defines_line(l, name))
}

/// A line that starts a top-level Python statement we can anchor code on.
fn starts_statement(line: &str) -> bool {
    let line = line.trim_start();
    ["def ", "async def ", "class ", "import ", "from ", "@"]
        .iter()
        .any(|p| line.starts_with(p))
}

/// A bare block counts as Python when some line opens a definition, an import or a return.
fn looks_like_python(code: &str) -> bool {
    code.lines().any(|l| {
        let t = l.trim_start();
        starts_statement(l) || t.starts_with("return ") || t == "return"
    })
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "case", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "match", "nonlocal", "not", "or", "pass", "print", "raise",
    "return", "try", "type", "while", "with", "yield",
];

/// A line of prose: two words in a row at its start ("This function ...", "Here's how"), which
/// at statement level is a syntax error in Python unless the first word is a keyword, or a
/// label alone on its line ("Example:", "Output:"), which is one too.
fn is_prose(line: &str) -> bool {
    if let Some(label) = line.trim().strip_suffix(':') {
        if !label.is_empty() && label.chars().all(char::is_alphabetic) && !KEYWORDS.contains(&label)
        {
            return true;
        }
    }
    let mut words = line.split_whitespace();
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return false;
    };
    let wordlike = |w: &str| {
        w.chars().next().is_some_and(char::is_alphabetic)
            && w.chars()
                .all(|c| c.is_alphanumeric() || c == '\'' || c == '’')
    };
    let second = second.trim_end_matches([',', '.', ':', ';', '!', '?']);
    wordlike(first) && wordlike(second) && !KEYWORDS.contains(&first)
}

/// The unfenced fallback: code with prose cut from both ends, when the text looks like Python.
fn raw_code(text: &str, function_name: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !(starts_statement(trimmed) || defines(text, function_name)) {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| starts_statement(l))?;
    let base = lines[start].len() - lines[start].trim_start().len();
    let mut end = lines.len();
    let mut in_string: Option<&str> = None;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty();
        if in_string.is_none() && !blank && indent <= base && i > start {
            // Back at (or left of) the code's own margin: prose ends the code, and an indented
            // block (Markdown's four-space code) ends where the text returns to the left.
            if indent < base || is_prose(line) {
                end = i;
                break;
            }
        }
        for quote in ["\"\"\"", "'''"] {
            if line.matches(quote).count() % 2 == 1 {
                in_string = match in_string {
                    None => Some(quote),
                    Some(open) if open == quote => None,
                    other => other,
                };
            }
        }
    }
    let code = dedent(&lines[start..end]);
    (!code.is_empty()).then_some(code)
}

/// Removes the last top-level statement of code that a reply cut off by the token limit left
/// unfinished (a repeated definition, a usage line), so an earlier complete solution is judged
/// on its own. Only when the code runs to the very end of the reply (`raw`): code followed by a
/// closing fence or prose was not cut. Nothing is removed unless what remains still defines the
/// requested function: a solution cut inside its only definition fails or passes on its merits.
pub fn drop_unfinished_tail(code: &str, raw: &str, function_name: &str) -> String {
    let code_end = code.trim_end();
    if code_end.is_empty() || !raw.replace("\r\n", "\n").trim_end().ends_with(code_end) {
        return code.to_string();
    }
    let lines: Vec<&str> = code_end.lines().collect();
    let mut start = None;
    let mut in_string: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        let top_level = !line.trim().is_empty()
            && !line.starts_with([' ', '\t', ')', ']', '}', '#'])
            && in_string.is_none();
        if top_level && i > 0 {
            start = Some(i);
        }
        for quote in ["\"\"\"", "'''"] {
            if line.matches(quote).count() % 2 == 1 {
                in_string = match in_string {
                    None => Some(quote),
                    Some(open) if open == quote => None,
                    other => other,
                };
            }
        }
    }
    let Some(mut start) = start else {
        return code.to_string();
    };
    // A decorated definition starts at its decorators.
    while start > 0 && lines[start - 1].starts_with('@') {
        start -= 1;
    }
    let kept = lines[..start].join("\n");
    if defines(&kept, function_name) {
        kept.trim_end().to_string()
    } else {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "def add(a, b):\n    return a + b";

    #[test]
    fn plain_python_fence() {
        let text = format!("```python\n{SOLUTION}\n```");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn py_bare_and_tilde_fences() {
        for (open, close) in [
            ("```py", "```"),
            ("```", "```"),
            ("~~~", "~~~"),
            ("~~~python", "~~~"),
            ("````python", "````"),
            ("```Python3", "```"),
        ] {
            let text = format!("{open}\n{SOLUTION}\n{close}\n");
            assert_eq!(
                extract_code(&text, "add").as_deref(),
                Some(SOLUTION),
                "{open}"
            );
        }
    }

    #[test]
    fn prose_around_a_fence() {
        let text = format!(
            "Sure! Here is the function you asked for:\n\n```python\n{SOLUTION}\n```\n\n\
             It adds the two numbers and returns the result."
        );
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn think_tags_are_stripped() {
        let text = format!(
            "<think>\nI could write ```python\ndef add(a, b):\n    return a - b\n``` \
             but that is wrong.\n</think>\n```python\n{SOLUTION}\n```"
        );
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn unclosed_think_at_the_start_is_all_reasoning() {
        let text = "<think>\nLet me write def add(a, b): return a + b maybe";
        assert_eq!(extract_code(text, "add"), None);
        let text = format!("{SOLUTION}\n<think>\nmore");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn stray_close_think_drops_what_precedes_it() {
        let text = format!("thinking about def add(a, b) stuff\n</think>\n\n{SOLUTION}\n");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn prefers_the_block_defining_the_function() {
        let text = format!(
            "```python\nimport math\nimport itertools\nimport functools\nimport os\n```\n\
             ```python\n{SOLUTION}\n```\n```python\nprint(add(1, 2))\n```"
        );
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn name_must_match_exactly() {
        let text = "```python\ndef add_all(xs):\n    return sum(xs)\n    # a longer block\n```\n\
                    ```python\ndef add (a, b):\n    return a + b\n```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("def add (a, b):\n    return a + b")
        );
    }

    #[test]
    fn falls_back_to_the_largest_python_block() {
        let text = "```python\nx = 1\n```\n```python\ndef helper(a):\n    return a * 2\n```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("def helper(a):\n    return a * 2")
        );
    }

    #[test]
    fn other_languages_are_not_python() {
        let text = "```bash\npip install numpy\n```\n```text\n3\n```";
        assert_eq!(extract_code(text, "add"), None);
        // A mislabelled block that defines the function still wins.
        let text = format!("```javascript\n{SOLUTION}\n```");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn bare_block_must_look_like_python() {
        assert_eq!(extract_code("```\n3\n```", "add"), None);
        let text = "```\nimport os\nprint(os.sep)\n```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("import os\nprint(os.sep)")
        );
    }

    #[test]
    fn crlf_line_endings() {
        let text = "Here you go:\r\n```python\r\ndef add(a, b):\r\n    return a + b\r\n```\r\n";
        assert_eq!(extract_code(text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn indentation_inside_fences() {
        // A fence inside a list item: the item's indentation is removed, the code's kept.
        let text = "1. The code:\n   ```python\n   def add(a, b):\n       if a:\n           return a + b\n       return b\n   ```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("def add(a, b):\n    if a:\n        return a + b\n    return b")
        );
        // Uniformly indented content is dedented.
        let text = "```python\n    def add(a, b):\n        return a + b\n```";
        assert_eq!(extract_code(text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn blank_lines_inside_a_block_are_kept() {
        let text = "```python\n\nimport math\n\n\ndef add(a, b):\n    return a + b\n\n```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("import math\n\n\ndef add(a, b):\n    return a + b")
        );
    }

    #[test]
    fn unterminated_fence_runs_to_the_end() {
        let text = "```python\ndef add(a, b):\n    return a + b\n";
        assert_eq!(extract_code(text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn raw_code_without_fences() {
        assert_eq!(extract_code(SOLUTION, "add").as_deref(), Some(SOLUTION));
        let text = "from math import fsum\n\ndef add(a, b):\n    return fsum([a, b])\n";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("from math import fsum\n\ndef add(a, b):\n    return fsum([a, b])")
        );
    }

    #[test]
    fn raw_code_with_prose_around_it() {
        let text = format!(
            "Here is a function that adds two numbers.\nIt is short.\n{SOLUTION}\n\n\
             This function returns the sum of a and b."
        );
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn raw_code_keeps_docstrings_and_top_level_statements() {
        let text = "def add(a, b):\n    \"\"\"\nAdd two numbers together.\n    \"\"\"\n    return a + b\n\nresult = add(1, 2)";
        assert_eq!(extract_code(text, "add").as_deref(), Some(text));
    }

    #[test]
    fn markdown_indented_code() {
        let text =
            "The answer:\n\n    def add(a, b):\n        return a + b\n\nDone, as you can see.";
        assert_eq!(extract_code(text, "add").as_deref(), Some(SOLUTION));
    }

    #[test]
    fn prose_without_code_is_none() {
        for text in [
            "",
            "   \n",
            "I am sorry, I cannot help with that.",
            "You should define a function that adds a and b.",
            "<think>hmm</think>\nNo idea.",
            "Use the def keyword to define add.",
        ] {
            assert_eq!(extract_code(text, "add"), None, "{text:?}");
        }
    }

    #[test]
    fn bare_solution_beats_a_fenced_usage_example() {
        let text = format!("{SOLUTION}\n\nExample usage:\n```python\nprint(add(1, 2)) == 3\n```\n");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
        // Without a definition outside, the fenced block is still taken.
        let text = "Call it so:\n```python\nprint(add(1, 2))\n```";
        assert_eq!(
            extract_code(text, "add").as_deref(),
            Some("print(add(1, 2))")
        );
    }

    #[test]
    fn label_lines_end_raw_code() {
        let text = format!("{SOLUTION}\n\nExample:\n{SOLUTION}\n\nOutput:\n3");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
        // Keywords with a colon are code.
        let text = "def add(a, b):\n    return a + b\ntry:\n    add(1, 2)\nfinally:\n    pass";
        assert_eq!(extract_code(text, "add").as_deref(), Some(text));
    }

    #[test]
    fn unfinished_tail_of_a_cut_reply_is_dropped() {
        let raw = format!(
            "{SOLUTION}\n\ndef add(a, b):\n    return a + b\n\ndef add_more(a, b):\n    return ["
        );
        let code = extract_code(&raw, "add").unwrap();
        let expected = format!("{SOLUTION}\n\ndef add(a, b):\n    return a + b");
        assert_eq!(drop_unfinished_tail(&code, &raw, "add"), expected);
        let raw = format!("{SOLUTION}\n\nprint(add(1, [5, 5, 5,");
        assert_eq!(drop_unfinished_tail(&raw, &raw, "add"), SOLUTION);
        let raw =
            "import math\n\n@cache\ndef add(a, b):\n    return a + b\n\n@cache\ndef g(".to_string();
        assert_eq!(
            drop_unfinished_tail(&raw, &raw, "add"),
            "import math\n\n@cache\ndef add(a, b):\n    return a + b"
        );
    }

    #[test]
    fn unfinished_tail_keeps_what_it_cannot_judge() {
        // The only definition of the function is what was cut: kept.
        let raw = "import math\n\ndef add(a, b):\n    return a +";
        assert_eq!(drop_unfinished_tail(raw, raw, "add"), raw);
        // A closed fence or prose after the code: the code was not cut.
        let raw = format!("```python\n{SOLUTION}\n\nprint(add(1, 2))\n```\nThis adds the");
        let code = extract_code(&raw, "add").unwrap();
        assert_eq!(drop_unfinished_tail(&code, &raw, "add"), code);
        // One statement only.
        assert_eq!(drop_unfinished_tail(SOLUTION, SOLUTION, "add"), SOLUTION);
        // Column-0 lines inside a docstring are not statements.
        let raw = "def add(a, b):\n    \"\"\"\nAdd them.\n    \"\"\"\n    return a + b";
        assert_eq!(drop_unfinished_tail(raw, raw, "add"), raw);
    }

    #[test]
    fn inline_backticks_are_not_fences() {
        let text = format!("Call ```add``` like this.\n{SOLUTION}");
        assert_eq!(extract_code(&text, "add").as_deref(), Some(SOLUTION));
    }
}
