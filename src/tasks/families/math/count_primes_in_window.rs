//! `count_primes_in_window`: how many primes lie in [n, n + w].

use super::int_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Window widths 2..=21, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct CountPrimesInWindow;

impl Family for CountPrimesInWindow {
    fn name(&self) -> &'static str {
        "count_primes_in_window"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let w = d[0] as i64 + 2;
        let name = [
            "count_primes_window",
            "primes_in_window",
            "prime_count_from",
        ][d[1]];
        let p = ["n", "start"][d[2]];
        let case = |n: i64| int_case(n, (n..=n + w).filter(|&k| is_prime(k)).count() as i64);
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(-w - 5), case(0), case(1), case(24)];
        for _ in 0..4 {
            hidden.push(case(rng.int(2, 3000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return how many prime numbers q satisfy {p} <= q <= {p} + {w}, for an integer {p} (which may be negative)."
            ),
            difficulty: Difficulty::Medium,
            tags: &["math", "primes"],
            examples: vec![case(10), case(2), case(90), case(1000)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    def is_prime(k):\n        if k < 2:\n            return False\n        i = 2\n        while i * i <= k:\n            if k % i == 0:\n                return False\n            i += 1\n        return True\n\n    return sum(1 for q in range({p}, {p} + {w} + 1) if is_prime(q))\n"
            ),
        }
        .finish()
    }
}

fn is_prime(n: i64) -> bool {
    if n < 2 {
        return false;
    }
    let mut i = 2;
    while i * i <= n {
        if n % i == 0 {
            return false;
        }
        i += 1;
    }
    true
}
