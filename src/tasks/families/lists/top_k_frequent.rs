//! `top_k_frequent`: the k most frequent values, with a tie-break by value.

use std::collections::BTreeMap;

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// k 1..=5, tie-break direction, function names, parameter names.
const RADICES: &[usize] = &[5, 2, 3, 2];

pub(crate) struct TopKFrequent;

impl Family for TopKFrequent {
    fn name(&self) -> &'static str {
        "top_k_frequent"
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
        let larger = d[1] == 1;
        let tie = if larger { "larger" } else { "smaller" };
        let name = ["top_k_frequent", "most_common_values", "frequent_leaders"][d[2]];
        let p = ["values", "nums"][d[3]];
        let case = |v: Vec<i64>| {
            let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
            for &x in &v {
                *counts.entry(x).or_default() += 1;
            }
            let mut order: Vec<i64> = counts.keys().copied().collect();
            order.sort_by_key(|x| (-counts[x], if larger { -x } else { *x }));
            order.truncate(k);
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&order))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![-2])];
        for _ in 0..6 {
            let len = rng.below(12) + 1;
            hidden.push(case(rng.ints(len, -4, 4)));
        }
        let key = if larger { "-v" } else { "v" };
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of the {k} most frequent values in {p}, most frequent first, breaking ties by putting the {tie} value first. If {p} has fewer than {k} distinct values, return all of them in that order."
            ),
            difficulty: Difficulty::Medium,
            tags: &["lists", "counting", "sorting"],
            examples: vec![
                case(vec![4, 1, 4, 2, 2, 4, 3]),
                case(vec![5, 5, 6, 6, 7]),
                case(vec![9, 8, 9, 8, 7, 7, 6]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    counts = {{}}\n    for v in {p}:\n        counts[v] = counts.get(v, 0) + 1\n    order = sorted(counts, key=lambda v: (-counts[v], {key}))\n    return order[:{k}]\n"
            ),
        }
        .finish()
    }
}
