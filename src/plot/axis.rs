//! A linear axis whose ticks sit exactly where the chart wants them: at each category or run
//! index, and at the tenths of a rate. (plotters' own `with_key_points` wrapper loses the label
//! formatter of `f64` axes, so it cannot be used with `configure_mesh`.)

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// A linear `f64` axis with a fixed list of ticks.
pub struct FixedTicks {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl FixedTicks {
    /// The axis over `range` with ticks at `ticks`.
    pub fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Self {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for FixedTicks {
    // Labels always come from an explicit formatter; the default is only a fallback.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light grid lines are not wanted: only the bold ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}
