//! `dedupe_preserve`: keep at most k occurrences of each value (the first or the last ones),
//! preserving order.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::ORIGINAL_LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const DEDUPE_NAMES: &[&str] = &[
    "dedupe_preserve",
    "remove_duplicates",
    "unique_in_order",
    "dedupe",
];

/// Occurrences kept 1..=4, the first or the last ones, function names, parameter names.
const RADICES: &[usize] = &[4, 2, DEDUPE_NAMES.len(), ORIGINAL_LIST_NAMES.len()];

pub(crate) struct DedupePreserve;

impl Family for DedupePreserve {
    fn name(&self) -> &'static str {
        "dedupe_preserve"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] + 1;
        let last = d[1] == 1;
        let which = if last { "last" } else { "first" };
        let (function_name, p) = (DEDUPE_NAMES[d[2]], ORIGINAL_LIST_NAMES[d[3]]);
        let case = |v: Vec<i64>| {
            let kept = keep_at_most(&v, k, last);
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&kept))
        };
        let examples = vec![
            case(vec![5, 1, 5, 2, 1, 5, 5, 5, 5, 2]),
            case(vec![4, 4, 4, 4, 4, 4]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![rng.int(-9, 9)])];
        let words = ["a", "b", "a", "c", "b", "a", "a", "a", "c", "a"];
        hidden.push(Case::new(
            vec![PyValue::strs(&words)],
            PyValue::strs(&keep_at_most(&words, k, last)),
        ));
        for _ in 0..5 {
            let len = rng.int(6, 12) as usize;
            hidden.push(case(rng.ints(len, 0, 3)));
        }
        let reversed = if last { "reversed(" } else { "(" };
        let flip = if last { "    result.reverse()\n" } else { "" };
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return a new list with the elements of the list {p} (ints or strings) in their \
                 original order, keeping for each value only its {which} {k} occurrence(s) and \
                 dropping any other occurrences."
            ),
            difficulty: if k == 1 && !last {
                Difficulty::Easy
            } else {
                Difficulty::Medium
            },
            tags: vec!["lists".into(), "dedupe".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    counts = {{}}\n    result = []\n    \
                 for v in {reversed}{p}):\n        counts[v] = counts.get(v, 0) + 1\n        \
                 if counts[v] <= {k}:\n            result.append(v)\n{flip}    return result\n"
            ),
        }
    }
}

/// Keeps at most `k` occurrences of each value: the earliest ones, or the latest if `last`.
fn keep_at_most<T: Clone + Eq + std::hash::Hash>(values: &[T], k: usize, last: bool) -> Vec<T> {
    let mut seen = std::collections::HashMap::new();
    let mut keep = |v: &T| {
        let count = seen.entry(v.clone()).or_insert(0usize);
        *count += 1;
        *count <= k
    };
    if last {
        let mut kept: Vec<T> = values.iter().rev().filter(|v| keep(v)).cloned().collect();
        kept.reverse();
        kept
    } else {
        values.iter().filter(|v| keep(v)).cloned().collect()
    }
}
