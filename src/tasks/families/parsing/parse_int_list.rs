//! `parse_int_list`: parse integers separated by a given character into a list.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::{TEXT_PARAMS, quoted};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const PARSE_INT_NAMES: &[&str] = &[
    "parse_int_list",
    "parse_numbers",
    "split_ints",
    "to_int_list",
];
const INT_SEPARATORS: &[&str] = &[",", ";", "|", ":", "/", "#", "&", "~"];

/// Separators, function names, parameter names.
const RADICES: &[usize] = &[
    INT_SEPARATORS.len(),
    PARSE_INT_NAMES.len(),
    TEXT_PARAMS.len(),
];

pub(crate) struct ParseIntList;

impl Family for ParseIntList {
    fn name(&self) -> &'static str {
        "parse_int_list"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let sep = INT_SEPARATORS[d[0]];
        let (function_name, p) = (PARSE_INT_NAMES[d[1]], TEXT_PARAMS[d[2]]);
        let case = |text: String| {
            let values: Vec<i64> = if text.trim().is_empty() {
                Vec::new()
            } else {
                text.split(sep)
                    .map(|part| part.trim().parse().expect("generated ints parse"))
                    .collect()
            };
            Case::new(vec![PyValue::Str(text)], PyValue::ints(&values))
        };
        let examples = vec![
            case(["1", "2", "3"].join(sep)),
            case(format!(" 10 {sep}-4 ")),
            case(String::new()),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("   ".into()), case(rng.int(-9, 99).to_string())];
        for _ in 0..6 {
            let count = rng.int(1, 6) as usize;
            let parts: Vec<String> = (0..count)
                .map(|_| {
                    let before = " ".repeat(rng.below(3));
                    let after = " ".repeat(rng.below(2));
                    format!("{before}{}{after}", rng.int(-50, 99))
                })
                .collect();
            hidden.push(case(parts.join(sep)));
        }
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds integers separated by {q}, possibly with spaces around \
                 each integer. Return them as a list of ints, in order; an empty or all-space \
                 {p} gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["parsing".into(), "strings".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if not {p}.strip():\n        return []\n    \
                 return [int(part) for part in {p}.split({q})]\n"
            ),
        }
    }
}
