//! `mul_const`: return the argument times a constant.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::ORIGINAL_NUMBER_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Constants -12..=12 except -1, 0 and 1, parameter names.
const RADICES: &[usize] = &[22, ORIGINAL_NUMBER_NAMES.len()];

pub(crate) struct MulConst;

impl Family for MulConst {
    fn name(&self) -> &'static str {
        "mul_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = if d[0] < 11 {
            d[0] as i64 - 12
        } else {
            d[0] as i64 - 9
        };
        let param = ORIGINAL_NUMBER_NAMES[d[1]];
        let suffix = if k < 0 {
            format!("neg{}", -k)
        } else {
            k.to_string()
        };
        let function_name = format!("mul_const_{suffix}");
        let description = format!("Return {param} multiplied by {k}.");
        let mut rng = Rng::for_variant(self.name(), index);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n * k);
        let examples = vec![case(1), case(3), case(-2)];
        let hidden = (0..8).map(|_| case(rng.int(-500, 500))).collect();
        TaskSpec {
            function_name: function_name.clone(),
            params: vec![param],
            description,
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({param}):\n    return {param} * ({k})\n"
            ),
        }
    }
}
