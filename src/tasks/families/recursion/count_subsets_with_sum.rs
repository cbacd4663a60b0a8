//! `count_subsets_with_sum`: how many subsets (by position) sum to a target.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Targets -5..=14, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct CountSubsetsWithSum;

impl Family for CountSubsetsWithSum {
    fn name(&self) -> &'static str {
        "count_subsets_with_sum"
    }
    fn category(&self) -> Category {
        Category::Recursion
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let t = d[0] as i64 - 5;
        let name = ["count_subsets", "subset_sum_count", "ways_to_sum"][d[1]];
        let p = ["values", "nums"][d[2]];
        let case = |v: Vec<i64>| {
            // Brute force over bitmasks: lists stay at most 10 long.
            let count = (0u32..1 << v.len())
                .filter(|mask| {
                    let sum: i64 = (0..v.len())
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| v[i])
                        .sum();
                    sum == t
                })
                .count() as i64;
            Case::new(vec![PyValue::ints(&v)], count)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t]), case(vec![t, 0, t])];
        for _ in 0..5 {
            let len = rng.below(10) + 1;
            hidden.push(case(rng.ints(len, -4, 8)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return how many subsets of {p} have elements adding up to exactly {t}. Elements are told apart by position (equal values at different positions give different subsets), and the empty subset, whose sum is 0, counts too."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "backtracking"],
            examples: vec![
                case(vec![1, 2, 3, 4, 5]),
                case(vec![3, -2, -3, 5, -5, 1]),
                case(vec![t]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    def count(i, remaining):\n        if i == len({p}):\n            return 1 if remaining == 0 else 0\n        return count(i + 1, remaining) + count(i + 1, remaining - {p}[i])\n\n    return count(0, {t})\n"
            ),
        }
        .finish()
    }
}
