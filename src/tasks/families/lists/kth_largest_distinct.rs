//! `kth_largest_distinct`: the k-th largest distinct value, or a default.

use super::LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Ranks 2..=4, defaults, function names, parameter names.
const RADICES: &[usize] = &[3, 3, 3, 3];

pub(crate) struct KthLargestDistinct;

impl Family for KthLargestDistinct {
    fn name(&self) -> &'static str {
        "kth_largest_distinct"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] + 2;
        let ordinal = ["2nd", "3rd", "4th"][d[0]];
        let default = [PyValue::Int(-1), PyValue::Int(0), PyValue::None][d[1]].clone();
        let dl = default.to_python();
        let name = [
            "kth_largest_distinct",
            "distinct_rank_value",
            "largest_unique_at_rank",
        ][d[2]];
        let p = LIST_NAMES[d[3]];
        let case = |v: Vec<i64>| {
            let mut distinct = v.clone();
            distinct.sort_unstable_by(|a, b| b.cmp(a));
            distinct.dedup();
            let expected = distinct
                .get(k - 1)
                .map_or(default.clone(), |&x| PyValue::Int(x));
            Case::new(vec![PyValue::ints(&v)], expected)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![6]), case(vec![3, 3, 3, 3])];
        for i in 0..5 {
            let len = rng.below(9) + 2;
            // Narrow ranges give many ties; wide ones many distinct values.
            let spread = if i % 2 == 0 { 3 } else { 15 };
            hidden.push(case(rng.ints(len, -spread, spread)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the {ordinal} largest distinct value in {p} (equal values count once), or {dl} if {p} has fewer than {k} distinct values."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "sorting"],
            examples: vec![
                case(vec![5, 1, 5, 3, 9]),
                case(vec![7, 7]),
                case(vec![2, 8, 4, 6, 10, 8]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    distinct = sorted(set({p}), reverse=True)\n    return distinct[{}] if len(distinct) >= {k} else {dl}\n",
                k - 1
            ),
        }
        .finish()
    }
}
