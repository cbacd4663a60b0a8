//! `clamp`: limit a number to a fixed inclusive range.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::ORIGINAL_NUMBER_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const CLAMP_NAMES: &[&str] = &["clamp", "clamp_value", "bound_value"];
const CLAMP_LOWS: &[i64] = &[-10, -5, -1, 0, 1, 3, 10, 50];
const CLAMP_WIDTHS: &[i64] = &[5, 10, 20];

/// Lower bounds, range widths, function names, parameter names.
const RADICES: &[usize] = &[
    CLAMP_LOWS.len(),
    CLAMP_WIDTHS.len(),
    CLAMP_NAMES.len(),
    ORIGINAL_NUMBER_NAMES.len(),
];

pub(crate) struct Clamp;

impl Family for Clamp {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let lo = CLAMP_LOWS[d[0]];
        let hi = lo + CLAMP_WIDTHS[d[1]];
        let (function_name, p) = (CLAMP_NAMES[d[2]], ORIGINAL_NUMBER_NAMES[d[3]]);
        let case = |x: i64| Case::new(vec![PyValue::Int(x)], x.clamp(lo, hi));
        let examples = vec![case(lo - 7), case(hi + 3), case(lo + 2)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [lo, hi, lo - 1, hi + 1].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(lo - 50, hi + 50)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the int {p} limited to the range {lo}..{hi} inclusive: {lo} if {p} is \
                 below {lo}, {hi} if {p} is above {hi}, otherwise {p} itself."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into(), "conditionals".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return max({lo}, min({hi}, {p}))\n"
            ),
        }
    }
}
