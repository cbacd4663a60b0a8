//! `gap_differences`: differences between elements a fixed number of positions apart.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Gaps 1..=6, function names, parameter names.
const RADICES: &[usize] = &[6, 4, 3];

pub(crate) struct GapDifferences;

impl Family for GapDifferences {
    fn name(&self) -> &'static str {
        "gap_differences"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let g = d[0] + 1;
        let name = [
            "gap_differences",
            "step_differences",
            "lagged_differences",
            "differences_at_gap",
        ][d[1]];
        let p = ["values", "nums", "seq"][d[2]];
        let case = |v: Vec<i64>| {
            let diffs: Vec<i64> = v.windows(g + 1).map(|w| w[g] - w[0]).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&diffs))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![5; g]), case(vec![-3; g + 1])];
        for _ in 0..5 {
            let len = rng.below(g + 6) + 1;
            hidden.push(case(rng.ints(len, -30, 30)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list whose element i is {p}[i + {g}] - {p}[i], for every index i where {p}[i + {g}] exists (an empty list if {p} has {g} or fewer elements)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "indexing"],
            examples: vec![
                case(vec![1, 4, 9, 16, 25, 36, 49, 64]),
                case((0..g as i64 + 2).map(|i| 10 - 3 * i * i).collect()),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [{p}[i + {g}] - {p}[i] for i in range(len({p}) - {g})]\n"
            ),
        }
        .finish()
    }
}
