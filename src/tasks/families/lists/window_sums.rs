//! `window_sums`: the sum of every window of w consecutive elements.

use super::LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Window widths 2..=6, function names, parameter names.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct WindowSums;

impl Family for WindowSums {
    fn name(&self) -> &'static str {
        "window_sums"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let w = d[0] + 2;
        let name = [
            "window_sums",
            "sliding_window_sums",
            "moving_sums",
            "rolling_sums",
        ][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let sums: Vec<i64> = v.windows(w).map(|s| s.iter().sum()).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&sums))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![3; w - 1]), case(vec![-2; w])];
        for _ in 0..5 {
            let len = rng.below(w + 6) + 1;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of the sums of every window of {w} consecutive elements of {p}, from left to right (an empty list if {p} has fewer than {w} elements)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "windows"],
            examples: vec![
                case(vec![1, 2, 3, 4, 5, 6, 7]),
                case((0..w as i64 + 1).map(|i| 10 * i - 7).collect()),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [sum({p}[i:i + {w}]) for i in range(len({p}) - {w} + 1)]\n"
            ),
        }
        .finish()
    }
}
