//! `digit_sum_in_base`: the sum of the digits of n written in base b.

use super::{NUMBER_NAMES, int_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Bases 2..=16, function names, parameter names.
const RADICES: &[usize] = &[15, 3, 2];

pub(crate) struct DigitSumInBase;

impl Family for DigitSumInBase {
    fn name(&self) -> &'static str {
        "digit_sum_in_base"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let b = d[0] as i64 + 2;
        let name = ["digit_sum_base", "base_digit_sum", "sum_digits_in_base"][d[1]];
        let p = NUMBER_NAMES[d[2]];
        let case = |n: i64| {
            let (mut rest, mut sum) = (n, 0);
            while rest > 0 {
                sum += rest % b;
                rest /= b;
            }
            int_case(n, sum)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(b), case(b * b * b - 1)];
        for _ in 0..4 {
            hidden.push(case(rng.int(2, 1_000_000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the sum of the digits of the non-negative integer {p} when it is written in base {b}."
            ),
            difficulty: Difficulty::Easy,
            tags: &["math", "digits"],
            examples: vec![case(b * b - 1), case(b + 1), case(1000), case(7)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    total = 0\n    while {p} > 0:\n        total += {p} % {b}\n        {p} //= {b}\n    return total\n"
            ),
        }
        .finish()
    }
}
