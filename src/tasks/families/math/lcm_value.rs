//! `lcm_value`: the least common multiple of the argument and a fixed constant.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::{TWO_NUMBER_NAMES, gcd};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const LCM_NAMES: &[&str] = &["lcm_value", "lcm_with_const", "least_common_multiple"];
const LCM_CONSTANTS: &[i64] = &[
    2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 18, 20, 21, 24, 25, 30, 36,
];

/// Constants, function names, parameter names.
const RADICES: &[usize] = &[LCM_CONSTANTS.len(), LCM_NAMES.len(), TWO_NUMBER_NAMES.len()];

pub(crate) struct LcmValue;

impl Family for LcmValue {
    fn name(&self) -> &'static str {
        "lcm_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = LCM_CONSTANTS[d[0]];
        let (function_name, p) = (LCM_NAMES[d[1]], TWO_NUMBER_NAMES[d[2]]);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n.abs() * k / gcd(n, k));
        let examples = vec![case(4), case(-9), case(0)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [1, k, 2 * k, -7].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(-60, 60)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the least common multiple of the int {p} and {k}: the smallest positive \
                 int divisible by both the absolute value of {p} and {k}. Return 0 when {p} is 0."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["number-theory".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    a, b = abs({p}), {k}\n    while b:\n        \
                 a, b = b, a % b\n    return abs({p}) * {k} // a\n"
            ),
        }
    }
}
