//! `sum_above_threshold`: the sum of the list's elements strictly greater than a threshold.

use super::LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Thresholds -5..=14, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct SumAboveThreshold;

impl Family for SumAboveThreshold {
    fn name(&self) -> &'static str {
        "sum_above_threshold"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let t = d[0] as i64 - 5;
        let name = ["sum_above", "sum_greater_than", "total_above"][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let sum: i64 = v.iter().filter(|&&x| x > t).sum();
            Case::new(vec![PyValue::ints(&v)], sum)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t]), case(vec![t + 1, t - 7])];
        for _ in 0..5 {
            let len = rng.below(8) + 1;
            hidden.push(case(rng.ints(len, t - 10, t + 10)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the sum of the integers in {p} that are strictly greater than {t} (0 if there are none)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "filtering"],
            examples: vec![
                case(vec![t + 1, t - 2, t + 4, t]),
                case(vec![t + 10, t - 1]),
                case(vec![t - 3, t]),
            ],
            hidden,
            reference: format!("def {name}({p}):\n    return sum(v for v in {p} if v > {t})\n"),
        }
        .finish()
    }
}
