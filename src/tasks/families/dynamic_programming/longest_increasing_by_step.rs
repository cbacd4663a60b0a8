//! `longest_increasing_by_step`: longest subsequence rising by at least d each step.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Minimum rises 1..=10, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct LongestIncreasingByStep;

impl Family for LongestIncreasingByStep {
    fn name(&self) -> &'static str {
        "longest_increasing_by_step"
    }
    fn category(&self) -> Category {
        Category::DynamicProgramming
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let dec = decode(index, RADICES);
        let d = dec[0] as i64 + 1;
        let name = ["longest_rising", "lis_with_step", "longest_climb"][dec[1]];
        let p = ["values", "nums"][dec[2]];
        let case = |v: Vec<i64>| {
            let mut best = vec![1i64; v.len()];
            for i in 0..v.len() {
                for j in 0..i {
                    if v[i] - v[j] >= d {
                        best[i] = best[i].max(best[j] + 1);
                    }
                }
            }
            Case::new(vec![PyValue::ints(&v)], best.into_iter().max().unwrap_or(0))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![4]), case(vec![4, 4, 4])];
        for _ in 0..5 {
            let len = rng.below(10) + 2;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the length of the longest subsequence of {p} (elements kept in their original order, not necessarily adjacent) in which every element is at least {d} greater than the element before it; an empty list gives 0."
            ),
            difficulty: Difficulty::Medium,
            tags: &["dynamic-programming", "lists"],
            examples: vec![
                case(vec![1, 5, 2, 8, 3, 12, 20]),
                case(vec![10, 9, 8]),
                case(vec![0, 3, 6, 9, 12, 15, 30]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    best = [1] * len({p})\n    for i in range(len({p})):\n        for j in range(i):\n            if {p}[i] - {p}[j] >= {d}:\n                best[i] = max(best[i], best[j] + 1)\n    return max(best, default=0)\n"
            ),
        }
        .finish()
    }
}
