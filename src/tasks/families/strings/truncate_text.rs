//! `truncate_text`: cut a string to a fixed length and mark the cut with a given suffix.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const SUFFIXES: &[&str] = &["...", "~", ">>"];
const TRUNCATE_NAMES: &[&str] = &["truncate_text", "shorten", "clip_text"];

/// Lengths 3..=10, suffixes, function names, parameter names.
const RADICES: &[usize] = &[8, SUFFIXES.len(), TRUNCATE_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct TruncateText;

impl Family for TruncateText {
    fn name(&self) -> &'static str {
        "truncate_text"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let n = d[0] + 3;
        let suffix = SUFFIXES[d[1]];
        let (function_name, p) = (TRUNCATE_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let case = |text: &str| {
            let out = if text.chars().count() > n {
                format!("{}{suffix}", text.chars().take(n).collect::<String>())
            } else {
                text.to_string()
            };
            text_case(text, out)
        };
        let examples = vec![case("hello world"), case("hi")];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("")];
        for len in [n, n + 1, n - 1, 2 * n + 3] {
            hidden.push(case(&rng.string(len, "abcde fgh")));
        }
        for _ in 0..3 {
            let len = rng.below(2 * n);
            hidden.push(case(&rng.string(len, "abcde fgh")));
        }
        let q = quoted(suffix);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "If the string {p} has more than {n} characters, return its first {n} characters \
                 followed by {q}; otherwise return {p} unchanged."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "slicing".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if len({p}) <= {n}:\n        return {p}\n    \
                 return {p}[:{n}] + {q}\n"
            ),
        }
    }
}
