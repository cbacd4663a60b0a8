//! `running_total_from`: running totals of a list, starting from a given value.

use super::LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Starting values -9..=10, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct RunningTotalFrom;

impl Family for RunningTotalFrom {
    fn name(&self) -> &'static str {
        "running_total_from"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let s = d[0] as i64 - 9;
        let name = ["running_total", "prefix_totals", "cumulative_sums"][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let totals: Vec<i64> = v
                .iter()
                .scan(s, |total, x| {
                    *total += x;
                    Some(*total)
                })
                .collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&totals))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![-4])];
        for _ in 0..6 {
            let len = rng.below(8) + 1;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of running totals of {p} starting from {s}: element i is {s} plus the sum of the first i + 1 elements of {p}. An empty list gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "accumulation"],
            examples: vec![case(vec![1, 2, 3]), case(vec![5, -2])],
            hidden,
            reference: format!(
                "def {name}({p}):\n    total = {s}\n    out = []\n    for v in {p}:\n        total += v\n        out.append(total)\n    return out\n"
            ),
        }
        .finish()
    }
}
