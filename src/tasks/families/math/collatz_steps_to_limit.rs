//! `collatz_steps_to_limit`: Collatz steps until the value drops to at most t.

use super::{NUMBER_NAMES, int_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Limits 1..=20, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct CollatzStepsToLimit;

impl Family for CollatzStepsToLimit {
    fn name(&self) -> &'static str {
        "collatz_steps_to_limit"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let t = d[0] as i64 + 1;
        let name = ["collatz_steps", "steps_to_limit", "collatz_length"][d[1]];
        let p = NUMBER_NAMES[d[2]];
        let case = |n: i64| {
            let (mut v, mut steps) = (n, 0);
            while v > t {
                v = if v % 2 == 0 { v / 2 } else { 3 * v + 1 };
                steps += 1;
            }
            int_case(n, steps)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(1), case(t), case(t + 1), case(t + 2)];
        for _ in 0..4 {
            hidden.push(case(rng.int(t + 3, 10_000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Starting from the positive integer {p}, repeatedly replace it by {p} // 2 if it is even or by 3 * {p} + 1 if it is odd. Return how many replacements are made until the value is at most {t} (0 if {p} is already at most {t})."
            ),
            difficulty: Difficulty::Easy,
            tags: &["math", "simulation"],
            examples: vec![case(27), case(6), case(t)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    steps = 0\n    while {p} > {t}:\n        {p} = {p} // 2 if {p} % 2 == 0 else 3 * {p} + 1\n        steps += 1\n    return steps\n"
            ),
        }
        .finish()
    }
}
