//! The original project's families (`add_const`, `mul_const`, ...), made parametric.

use super::{Case, Category, Family, Rng, TaskSpec, decode};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

pub(super) static FAMILIES: &[&dyn Family] = &[&AddConst, &MulConst];

const NUMBER_NAMES: &[&str] = &["n", "x", "value"];

/// `add_const`: return the argument plus a constant (the original's main family).
struct AddConst;

impl Family for AddConst {
    fn name(&self) -> &'static str {
        "add_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        // constants -40..=40 except 0, times three parameter names.
        80 * NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[80, NUMBER_NAMES.len()]);
        let k = if d[0] < 40 {
            d[0] as i64 - 40
        } else {
            d[0] as i64 - 39
        };
        let param = NUMBER_NAMES[d[1]];
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

/// `mul_const`: return the argument times a constant.
struct MulConst;

impl Family for MulConst {
    fn name(&self) -> &'static str {
        "mul_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        // constants -12..=12 except -1, 0, 1, times three parameter names.
        22 * NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[22, NUMBER_NAMES.len()]);
        let k = if d[0] < 11 {
            d[0] as i64 - 12
        } else {
            d[0] as i64 - 9
        };
        let param = NUMBER_NAMES[d[1]];
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
