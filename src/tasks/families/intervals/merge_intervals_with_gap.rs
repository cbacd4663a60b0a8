//! `merge_intervals_with_gap`: merge intervals overlapping or separated by at most g.

use super::random_intervals;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Gaps 0..=9, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct MergeIntervalsWithGap;

impl Family for MergeIntervalsWithGap {
    fn name(&self) -> &'static str {
        "merge_intervals_with_gap"
    }
    fn category(&self) -> Category {
        Category::Intervals
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let g = d[0] as i64;
        let name = [
            "merge_intervals",
            "merge_close_intervals",
            "coalesce_intervals",
        ][d[1]];
        let p = ["intervals", "spans"][d[2]];
        let case = |intervals: Vec<Vec<i64>>| {
            let mut sorted = intervals.clone();
            sorted.sort();
            let mut merged: Vec<Vec<i64>> = Vec::new();
            for iv in sorted {
                match merged.last_mut() {
                    Some(last) if iv[0] <= last[1] + g => last[1] = last[1].max(iv[1]),
                    _ => merged.push(iv),
                }
            }
            Case::new(
                vec![PyValue::int_lists(&intervals)],
                PyValue::int_lists(&merged),
            )
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![4, 4]])];
        for _ in 0..6 {
            hidden.push(case(random_intervals(&mut rng, 7, -10, 25)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of [start, end] integer pairs with start <= end, in any order. Merge intervals that overlap or are separated by a gap of at most {g}: after sorting by start, an interval is merged into the previous merged interval [s, e] when its start is at most e + {g}. Return the merged intervals as a list of [start, end] lists sorted by start."
            ),
            difficulty: Difficulty::Medium,
            tags: &["intervals", "sorting"],
            examples: vec![
                case(vec![vec![8, 10], vec![1, 3], vec![2, 6], vec![15, 18]]),
                case(vec![vec![5, 7], vec![1, 2]]),
                case(vec![vec![0, 0], vec![g + 1, g + 3], vec![20, 30]]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    merged = []\n    for start, end in sorted({p}):\n        if merged and start <= merged[-1][1] + {g}:\n            merged[-1][1] = max(merged[-1][1], end)\n        else:\n            merged.append([start, end])\n    return merged\n"
            ),
        }
        .finish()
    }
}
