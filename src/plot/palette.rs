//! Colours: one fixed colour per known condition so that the same condition looks the same in
//! every chart, from the Okabe-Ito palette, which stays distinguishable with colour blindness.

use plotters::style::RGBColor;

/// The baseline is grey: it is the reference, not a contender.
pub const BASELINE: RGBColor = RGBColor(120, 120, 120);
/// Secondary text.
pub const SUBTLE: RGBColor = RGBColor(90, 90, 90);
/// Grid lines and rules.
pub const GRID: RGBColor = RGBColor(215, 215, 215);
/// The simulation badge.
pub const WARNING: RGBColor = RGBColor(200, 60, 0);

const KNOWN: [(&str, RGBColor); 5] = [
    ("baseline", BASELINE),
    ("memory", RGBColor(230, 159, 0)),
    ("semantic", RGBColor(0, 158, 115)),
    ("learning", RGBColor(0, 114, 178)),
    ("memory_learning", RGBColor(204, 121, 167)),
];

/// For conditions this list does not name, in order of appearance.
const OTHERS: [RGBColor; 4] = [
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(170, 150, 0),
];

/// The colour of `condition`; `index` is its position among the unnamed conditions drawn.
pub fn condition_colour(condition: &str, index: usize) -> RGBColor {
    KNOWN
        .iter()
        .find(|(name, _)| *name == condition)
        .map_or(OTHERS[index % OTHERS.len()], |(_, colour)| *colour)
}
