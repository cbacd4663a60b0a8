//! `frequent_value_counts`: occurrence counts of the values seen at least m times.

use std::collections::BTreeMap;

use super::int_int_dict;
use crate::tasks::Difficulty;
use crate::tasks::families::lists::LIST_NAMES;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Minimum counts 1..=5, function names, parameter names.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct FrequentValueCounts;

impl Family for FrequentValueCounts {
    fn name(&self) -> &'static str {
        "frequent_value_counts"
    }
    fn category(&self) -> Category {
        Category::Dicts
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let m = d[0] as i64 + 1;
        let name = [
            "frequent_value_counts",
            "counts_at_least",
            "repeated_counts",
            "common_value_counts",
        ][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
            for &x in &v {
                *counts.entry(x).or_default() += 1;
            }
            counts.retain(|_, c| *c >= m);
            Case::new(vec![PyValue::ints(&v)], int_int_dict(&counts))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![8; m as usize])];
        for _ in 0..6 {
            let len = rng.below(16) + 1;
            hidden.push(case(rng.ints(len, -3, 3)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a dict mapping each integer that occurs at least {m} times in {p} to its number of occurrences."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "counting"],
            examples: vec![
                case(vec![4, 4, 4, 4, 4, 2, 2, 2, 7, 7, 1]),
                case(vec![3, 3, 3, 3, 3, 3, 9]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    counts = {{}}\n    for v in {p}:\n        counts[v] = counts.get(v, 0) + 1\n    return {{v: c for v, c in counts.items() if c >= {m}}}\n"
            ),
        }
        .finish()
    }
}
