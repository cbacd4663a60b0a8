//! `count_substring`: count the non-overlapping occurrences of a given substring.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const SUBSTRINGS: &[&str] = &[
    "ab", "the", "aa", "xo", "--", "is", "na", "..", "abc", "ing", "oo", "12",
];
const SUBSTRING_NAMES: &[&str] = &["count_substring", "count_occurrences", "occurrences_of"];

/// Substrings, function names, parameter names.
const RADICES: &[usize] = &[SUBSTRINGS.len(), SUBSTRING_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct CountSubstring;

impl Family for CountSubstring {
    fn name(&self) -> &'static str {
        "count_substring"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], SUBSTRING_NAMES[d[1]], TEXT_PARAMS[d[2]]);
        let sub = SUBSTRINGS[c];
        // Rust's `matches` scans left to right without overlaps, exactly like Python's count.
        let case = |text: &str| text_case(text, text.matches(sub).count() as i64);
        let examples = vec![
            case(&format!("{sub}x{sub}y{sub}")),
            case(&format!("{sub}{sub}")),
            case("QZ"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let first = sub.chars().next().unwrap_or('a');
        // Three copies of a repeated character ('aaa' for 'aa') test the no-overlap rule.
        let mut hidden = vec![case(""), case(&first.to_string().repeat(3)), case(sub)];
        let alphabet = format!("{sub}xz ");
        for _ in 0..5 {
            let pieces = rng.int(1, 6);
            let mut text = String::new();
            for _ in 0..pieces {
                if rng.chance(50) {
                    text.push_str(sub);
                } else {
                    let len = rng.int(1, 3) as usize;
                    text.push_str(&rng.string(len, &alphabet));
                }
            }
            hidden.push(case(&text));
        }
        let q = quoted(sub);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return how many times {q} occurs in the string {p}, counting non-overlapping \
                 occurrences from left to right."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "counting".into()],
            examples,
            hidden,
            reference_solution: format!("def {function_name}({p}):\n    return {p}.count({q})\n"),
        }
    }
}
