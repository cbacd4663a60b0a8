//! Number families: digits and bases, primes, Fibonacci, Collatz, divisors, multiples and roots.

use super::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

pub(super) static FAMILIES: &[&dyn Family] = &[
    &DigitSumInBase,
    &CountPrimesInWindow,
    &FibonacciMod,
    &CollatzStepsToLimit,
    &CountDivisorsAtLeast,
    &IntToBaseString,
    &SumMultiplesOfEither,
    &IntegerKthRoot,
];

/// Names an integer parameter may take.
const NUMBER_NAMES: &[&str] = &["n", "number"];

/// A one-integer-argument case.
fn int_case(n: i64, expected: impl Into<PyValue>) -> Case {
    Case::new(vec![PyValue::Int(n)], expected)
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

/// `digit_sum_in_base`: the sum of the digits of n written in base b.
struct DigitSumInBase;
family!(DigitSumInBase, "digit_sum_in_base", Math);

impl DigitSumInBase {
    // Bases 2..=16, function names, parameter names.
    const RADICES: &'static [usize] = &[15, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `count_primes_in_window`: how many primes lie in [n, n + w].
struct CountPrimesInWindow;
family!(CountPrimesInWindow, "count_primes_in_window", Math);

impl CountPrimesInWindow {
    // Window widths 2..=21, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `fibonacci_mod`: F(n) modulo m.
struct FibonacciMod;
family!(FibonacciMod, "fibonacci_mod", Math);

impl FibonacciMod {
    const MODULI: &'static [i64] = &[
        2, 3, 5, 7, 9, 10, 11, 13, 17, 19, 23, 29, 31, 37, 97, 100, 101, 1000, 1009, 10007,
    ];
    // Moduli, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let m = Self::MODULI[d[0]];
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

/// `collatz_steps_to_limit`: Collatz steps until the value drops to at most t.
struct CollatzStepsToLimit;
family!(CollatzStepsToLimit, "collatz_steps_to_limit", Math);

impl CollatzStepsToLimit {
    // Limits 1..=20, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `count_divisors_at_least`: how many divisors of n are at least k.
struct CountDivisorsAtLeast;
family!(CountDivisorsAtLeast, "count_divisors_at_least", Math);

impl CountDivisorsAtLeast {
    // Lower bounds 1..=20, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `int_to_base_string`: an integer's representation in base b.
struct IntToBaseString;
family!(IntToBaseString, "int_to_base_string", Math);

impl IntToBaseString {
    // Bases 2..=36 except 10, function names.
    const RADICES: &'static [usize] = &[34, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let b = if d[0] < 8 { d[0] + 2 } else { d[0] + 3 } as i64;
        let name = ["to_base", "format_in_base"][d[1]];
        let p = "n";
        let case = |n: i64| {
            const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
            let mut rest = n.abs();
            let mut out = Vec::new();
            loop {
                out.push(DIGITS[(rest % b) as usize]);
                rest /= b;
                if rest == 0 {
                    break;
                }
            }
            if n < 0 {
                out.push(b'-');
            }
            out.reverse();
            int_case(n, String::from_utf8(out).expect("ascii digits"))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(-1), case(b), case(-(b * b) - 3)];
        for _ in 0..4 {
            hidden.push(case(rng.int(-100_000, 100_000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the integer {p} written in base {b} as a string, using the digits 0-9 and then lowercase letters a-z; a negative number gets a leading '-', and 0 gives '0'."
            ),
            difficulty: Difficulty::Medium,
            tags: &["math", "bases", "strings"],
            examples: vec![case(255), case(-b - 1), case(b - 1)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    digits = '0123456789abcdefghijklmnopqrstuvwxyz'\n    if {p} == 0:\n        return '0'\n    sign = '-' if {p} < 0 else ''\n    {p} = abs({p})\n    out = ''\n    while {p}:\n        out = digits[{p} % {b}] + out\n        {p} //= {b}\n    return sign + out\n"
            ),
        }
        .finish()
    }
}

/// `sum_multiples_of_either`: the sum of positive integers below n divisible by a or b.
struct SumMultiplesOfEither;
family!(SumMultiplesOfEither, "sum_multiples_of_either", Math);

impl SumMultiplesOfEither {
    // Pairs 2 <= a < b <= 9 where b is not a multiple of a (22 of them), function names.
    const RADICES: &'static [usize] = &[22, 3];

    fn pairs() -> Vec<(i64, i64)> {
        (2..=9)
            .flat_map(|a| (a + 1..=9).map(move |b| (a, b)))
            .filter(|(a, b)| b % a != 0)
            .collect()
    }

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let (a, b) = Self::pairs()[d[0]];
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

/// `integer_kth_root`: the largest r with r ** k <= n.
struct IntegerKthRoot;
family!(IntegerKthRoot, "integer_kth_root", Math);

impl IntegerKthRoot {
    // Exponents 2..=6, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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
