//! `count_divisors_at_least`: how many divisors of n are at least k.

use super::{NUMBER_NAMES, int_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Lower bounds 1..=20, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct CountDivisorsAtLeast;

impl Family for CountDivisorsAtLeast {
    fn name(&self) -> &'static str {
        "count_divisors_at_least"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] as i64 + 1;
        let name = ["count_divisors", "divisors_at_least", "big_divisor_count"][d[1]];
        let p = NUMBER_NAMES[d[2]];
        let case = |n: i64| int_case(n, (k..=n).filter(|dv| n % dv == 0).count() as i64);
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(1), case(k), case(360), case(97)];
        for _ in 0..4 {
            hidden.push(case(rng.int(2, 5000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the number of positive divisors of the positive integer {p} that are greater than or equal to {k}."
            ),
            difficulty: Difficulty::Easy,
            tags: &["math", "divisors"],
            examples: vec![case(60), case(7 * k), case(1)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return sum(1 for d in range({k}, {p} + 1) if {p} % d == 0)\n"
            ),
        }
        .finish()
    }
}
