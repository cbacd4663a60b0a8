//! `gcd_value`: the greatest common divisor of the argument and a fixed constant.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::{TWO_NUMBER_NAMES, gcd};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const GCD_NAMES: &[&str] = &["gcd_value", "gcd_with_const", "common_divisor"];
const GCD_CONSTANTS: &[i64] = &[
    12, 18, 20, 24, 28, 30, 36, 40, 42, 45, 48, 54, 56, 60, 72, 84, 90, 96, 100, 120,
];

/// Constants, function names, parameter names.
const RADICES: &[usize] = &[GCD_CONSTANTS.len(), GCD_NAMES.len(), TWO_NUMBER_NAMES.len()];

pub(crate) struct GcdValue;

impl Family for GcdValue {
    fn name(&self) -> &'static str {
        "gcd_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = GCD_CONSTANTS[d[0]];
        let (function_name, p) = (GCD_NAMES[d[1]], TWO_NUMBER_NAMES[d[2]]);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], gcd(n, k));
        let examples = vec![case(8), case(-3 * k), case(35)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [0, k / 2, 7 * k, -k / 3, 1].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(-500, 500)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the greatest common divisor of the int {p} and {k}: the largest positive \
                 int dividing both (use the absolute value of {p}; for {p} == 0 the answer is \
                 {k})."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["number-theory".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    a, b = abs({p}), {k}\n    while b:\n        \
                 a, b = b, a % b\n    return a\n"
            ),
        }
    }
}
