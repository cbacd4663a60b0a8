//! Number families: arithmetic with constants, clamping and piecewise functions, gcd and lcm,
//! digits and bases, primes, Fibonacci, Collatz, divisors, multiples and roots.

mod add_const;
mod clamp;
mod collatz_steps_to_limit;
mod count_divisors_at_least;
mod count_primes_in_window;
mod digit_sum_in_base;
mod fibonacci_mod;
mod gcd_value;
mod int_to_base_string;
mod integer_kth_root;
mod lcm_value;
mod mul_const;
mod piecewise_value;
mod sum_multiples_of_either;

pub(super) use add_const::AddConst;
pub(super) use clamp::Clamp;
pub(super) use collatz_steps_to_limit::CollatzStepsToLimit;
pub(super) use count_divisors_at_least::CountDivisorsAtLeast;
pub(super) use count_primes_in_window::CountPrimesInWindow;
pub(super) use digit_sum_in_base::DigitSumInBase;
pub(super) use fibonacci_mod::FibonacciMod;
pub(super) use gcd_value::GcdValue;
pub(super) use int_to_base_string::IntToBaseString;
pub(super) use integer_kth_root::IntegerKthRoot;
pub(super) use lcm_value::LcmValue;
pub(super) use mul_const::MulConst;
pub(super) use piecewise_value::PiecewiseValue;
pub(super) use sum_multiples_of_either::SumMultiplesOfEither;

use crate::tasks::families::Case;
use crate::tasks::pyvalue::PyValue;

/// Names an integer parameter may take.
const NUMBER_NAMES: &[&str] = &["n", "number"];

/// Names the original project's number families (`add_const`, `mul_const`, `clamp`) give their
/// argument.
const ORIGINAL_NUMBER_NAMES: &[&str] = &["n", "x", "value"];

/// Names the argument of `gcd_value` and `lcm_value` may take.
const TWO_NUMBER_NAMES: &[&str] = &["n", "x"];

/// A one-integer-argument case.
fn int_case(n: i64, expected: impl Into<PyValue>) -> Case {
    Case::new(vec![PyValue::Int(n)], expected)
}

/// Euclid's algorithm on absolute values, shared by the gcd and lcm oracles.
fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
