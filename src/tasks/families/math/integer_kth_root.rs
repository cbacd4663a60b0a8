//! `integer_kth_root`: the largest r with r ** k <= n.

use super::int_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Exponents 2..=6, function names, parameter names.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct IntegerKthRoot;

impl Family for IntegerKthRoot {
    fn name(&self) -> &'static str {
        "integer_kth_root"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] as u32 + 2;
        let name = ["int_root", "integer_root", "floor_root", "root_floor"][d[1]];
        let p = ["n", "x", "value"][d[2]];
        let case = |n: i64| {
            let mut r: i64 = 0;
            while (r + 1).pow(k) <= n {
                r += 1;
            }
            int_case(n, r)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let cube = 7i64.pow(k);
        let mut hidden = vec![case(0), case(1), case(cube), case(cube - 1), case(2)];
        for _ in 0..3 {
            hidden.push(case(rng.int(3, 1_000_000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the largest integer r such that r ** {k} <= {p}, for a non-negative integer {p}."
            ),
            difficulty: Difficulty::Medium,
            tags: &["math", "roots"],
            examples: vec![case(100), case(3i64.pow(k)), case(5)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    r = 0\n    while (r + 1) ** {k} <= {p}:\n        r += 1\n    return r\n"
            ),
        }
        .finish()
    }
}
