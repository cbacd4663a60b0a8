//! Interval families: merging and measuring `[start, end]` intervals.

mod covered_length_in_window;
mod merge_intervals_with_gap;

pub(super) use covered_length_in_window::CoveredLengthInWindow;
pub(super) use merge_intervals_with_gap::MergeIntervalsWithGap;

use crate::tasks::families::Rng;

/// Random `[start, end]` intervals (start <= end) with starts in `lo..=hi`.
fn random_intervals(rng: &mut Rng, max_count: usize, lo: i64, hi: i64) -> Vec<Vec<i64>> {
    (0..rng.below(max_count + 1))
        .map(|_| {
            let start = rng.int(lo, hi);
            vec![start, start + rng.int(0, 8)]
        })
        .collect()
}
