//! `fibonacci_mod`: F(n) modulo m.

use super::int_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

const MODULI: &[i64] = &[
    2, 3, 5, 7, 9, 10, 11, 13, 17, 19, 23, 29, 31, 37, 97, 100, 101, 1000, 1009, 10007,
];

/// Moduli, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct FibonacciMod;

impl Family for FibonacciMod {
    fn name(&self) -> &'static str {
        "fibonacci_mod"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let m = MODULI[d[0]];
        let name = ["fib_mod", "fibonacci_modulo", "fib_remainder"][d[1]];
        let p = ["n", "k"][d[2]];
        let case = |n: i64| {
            let (mut a, mut b) = (0, 1 % m);
            for _ in 0..n {
                (a, b) = (b, (a + b) % m);
            }
            int_case(n, a)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(2)];
        for _ in 0..5 {
            hidden.push(case(rng.int(3, 300)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return F({p}) modulo {m}, where F is the Fibonacci sequence F(0) = 0, F(1) = 1, F(i) = F(i - 1) + F(i - 2), and {p} is a non-negative integer."
            ),
            difficulty: Difficulty::Medium,
            tags: &["math", "sequences"],
            examples: vec![case(10), case(1), case(20), case(3), case(6)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    a, b = 0, 1\n    for _ in range({p}):\n        a, b = b, (a + b) % {m}\n    return a % {m}\n"
            ),
        }
        .finish()
    }
}
