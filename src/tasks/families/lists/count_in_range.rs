//! `count_in_range`: how many elements lie in a closed range.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Lower bounds -3..=6, range widths, function names.
const RADICES: &[usize] = &[10, 3, 3];

pub(crate) struct CountInRange;

impl Family for CountInRange {
    fn name(&self) -> &'static str {
        "count_in_range"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let lo = d[0] as i64 - 3;
        let hi = lo + [2, 5, 10][d[1]];
        let name = ["count_in_range", "count_between", "how_many_within"][d[2]];
        let p = "values";
        let case = |v: Vec<i64>| {
            let n = v.iter().filter(|&&x| lo <= x && x <= hi).count() as i64;
            Case::new(vec![PyValue::ints(&v)], n)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![lo - 1, hi + 1]), case(vec![hi])];
        for _ in 0..5 {
            let len = rng.below(10) + 1;
            hidden.push(case(rng.ints(len, lo - 8, hi + 8)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return how many integers in {p} lie in the closed range [{lo}, {hi}] (both ends included)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "counting"],
            examples: vec![
                case(vec![lo, hi, lo - 1, hi + 1, lo + 1]),
                case(vec![lo - 5, hi]),
                case(vec![hi + 3]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return sum(1 for v in {p} if {lo} <= v <= {hi})\n"
            ),
        }
        .finish()
    }
}
