//! `add_const`: return the argument plus a constant (the original's main family).
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::ORIGINAL_NUMBER_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Constants -40..=40 except 0, parameter names.
const RADICES: &[usize] = &[80, ORIGINAL_NUMBER_NAMES.len()];

pub(crate) struct AddConst;

impl Family for AddConst {
    fn name(&self) -> &'static str {
        "add_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = if d[0] < 40 {
            d[0] as i64 - 40
        } else {
            d[0] as i64 - 39
        };
        let param = ORIGINAL_NUMBER_NAMES[d[1]];
        let suffix = if k < 0 {
            format!("neg{}", -k)
        } else {
            k.to_string()
        };
        let function_name = format!("add_const_{suffix}");
        let description = if k < 0 {
            format!("Return {param} minus {}.", -k)
        } else {
            format!("Return {param} plus {k}.")
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n + k);
        let examples = vec![case(0), case(5), case(-3)];
        let hidden = (0..8).map(|_| case(rng.int(-1000, 1000))).collect();
        TaskSpec {
            function_name: function_name.clone(),
            params: vec![param],
            description,
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({param}):\n    return {param} + ({k})\n"
            ),
        }
    }
}
