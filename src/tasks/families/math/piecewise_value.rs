//! `piecewise_value`: a three-piece function of x with fixed thresholds and coefficients.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const PIECEWISE_NAMES: &[&str] = &["piecewise_value", "piecewise", "step_function"];
const PIECE_STARTS: &[i64] = &[-5, -2, 0, 3];
const PIECE_WIDTHS: &[i64] = &[4, 10];
const PIECE_SLOPES: &[i64] = &[2, 3, -2];
const PIECE_OFFSETS: &[i64] = &[1, 5, 10];
const PIECE_TOPS: &[i64] = &[0, 100];

/// First thresholds, middle-piece widths, slopes, offsets, top values, function names.
const RADICES: &[usize] = &[
    PIECE_STARTS.len(),
    PIECE_WIDTHS.len(),
    PIECE_SLOPES.len(),
    PIECE_OFFSETS.len(),
    PIECE_TOPS.len(),
    PIECEWISE_NAMES.len(),
];

pub(crate) struct PiecewiseValue;

impl Family for PiecewiseValue {
    fn name(&self) -> &'static str {
        "piecewise_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let a = PIECE_STARTS[d[0]];
        let b = a + PIECE_WIDTHS[d[1]];
        let (m, c, v) = (PIECE_SLOPES[d[2]], PIECE_OFFSETS[d[3]], PIECE_TOPS[d[4]]);
        let function_name = PIECEWISE_NAMES[d[5]];
        let case = |x: i64| {
            let y = if x < a {
                m * x
            } else if x < b {
                x + c
            } else {
                v
            };
            Case::new(vec![PyValue::Int(x)], y)
        };
        let examples = vec![case(a - 4), case(a + 1), case(b + 2)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [a - 1, a, b - 1, b, a - 10, b + 7]
            .into_iter()
            .map(case)
            .collect();
        for _ in 0..2 {
            hidden.push(case(rng.int(a - 20, b + 20)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec!["x"],
            description: format!(
                "Given an int x, return {m} * x if x < {a}; x + {c} if {a} <= x < {b}; and {v} \
                 if x >= {b}."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["conditionals".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}(x):\n    if x < {a}:\n        return {m} * x\n    \
                 if x < {b}:\n        return x + {c}\n    return {v}\n"
            ),
        }
    }
}
