//! `sum_multiples_of_either`: the sum of positive integers below n divisible by a or b.

use super::int_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Pairs 2 <= a < b <= 9 where b is not a multiple of a (22 of them), function names.
const RADICES: &[usize] = &[22, 3];

pub(crate) struct SumMultiplesOfEither;

impl Family for SumMultiplesOfEither {
    fn name(&self) -> &'static str {
        "sum_multiples_of_either"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (a, b) = pairs()[d[0]];
        let name = ["sum_of_multiples", "multiples_sum_below", "sum_multiples"][d[1]];
        let p = "n";
        let case = |n: i64| int_case(n, (1..n).filter(|k| k % a == 0 || k % b == 0).sum::<i64>());
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(a), case(a + 1), case(-5)];
        for _ in 0..3 {
            hidden.push(case(rng.int(10, 1000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the sum of all positive integers below {p} that are multiples of {a} or {b} (0 if there are none)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["math", "divisibility"],
            examples: vec![case(10), case(20), case(a * b + 1)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return sum(k for k in range(1, {p}) if k % {a} == 0 or k % {b} == 0)\n"
            ),
        }
        .finish()
    }
}

/// The `(a, b)` pairs the variants choose from.
fn pairs() -> Vec<(i64, i64)> {
    (2..=9)
        .flat_map(|a| (a + 1..=9).map(move |b| (a, b)))
        .filter(|(a, b)| b % a != 0)
        .collect()
}
