//! `covered_length_in_window`: length of the union of intervals inside a window.

use super::random_intervals;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const WINDOWS: [(i64, i64); 10] = [
    (0, 10),
    (0, 20),
    (-5, 5),
    (-10, 10),
    (3, 15),
    (-20, 0),
    (5, 25),
    (0, 50),
    (-8, 12),
    (10, 30),
];

/// Windows, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct CoveredLengthInWindow;

impl Family for CoveredLengthInWindow {
    fn name(&self) -> &'static str {
        "covered_length_in_window"
    }
    fn category(&self) -> Category {
        Category::Intervals
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (lo, hi) = WINDOWS[d[0]];
        let name = ["covered_length", "union_length", "coverage"][d[1]];
        let p = ["intervals", "spans"][d[2]];
        let case = |intervals: Vec<Vec<i64>>| {
            // Clip to the window, then sum the lengths of the merged pieces.
            let mut clipped: Vec<(i64, i64)> = intervals
                .iter()
                .map(|iv| (iv[0].max(lo), iv[1].min(hi)))
                .filter(|(s, e)| s < e)
                .collect();
            clipped.sort_unstable();
            let mut total = 0;
            let mut current: Option<(i64, i64)> = None;
            for (s, e) in clipped {
                current = match current {
                    Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                    Some((cs, ce)) => {
                        total += ce - cs;
                        Some((s, e))
                    }
                    None => Some((s, e)),
                };
            }
            if let Some((cs, ce)) = current {
                total += ce - cs;
            }
            Case::new(vec![PyValue::int_lists(&intervals)], total)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![lo - 4, hi + 4]])];
        for _ in 0..6 {
            hidden.push(case(random_intervals(&mut rng, 6, lo - 10, hi + 2)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of [start, end] integer pairs with start <= end, each covering the points x with start <= x <= end. Return the total length of the part of the segment [{lo}, {hi}] covered by at least one interval (overlapping parts count once)."
            ),
            difficulty: Difficulty::Medium,
            tags: &["intervals", "sorting"],
            examples: vec![
                case(vec![vec![lo + 1, lo + 3], vec![lo + 2, lo + 6], vec![lo + 8, lo + 10]]),
                case(vec![vec![lo - 5, lo + 2], vec![hi - 1, hi + 4]]),
                case(vec![vec![lo - 3, lo - 1]]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    total, reach = 0, {lo}\n    for start, end in sorted({p}):\n        start, end = max(start, reach), min(end, {hi})\n        if start < end:\n            total += end - start\n            reach = end\n    return total\n"
            ),
        }
        .finish()
    }
}
