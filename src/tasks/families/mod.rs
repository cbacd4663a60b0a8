//! Task families: parametric generators of programming tasks. A family turns a variant index into
//! a concrete task (prompt, worked examples, hidden randomized cases computed by a Rust oracle)
//! plus a Python reference solution that only the test suite ever runs, to prove the family's
//! tests are right. The reference solution is never written into a task file or a prompt.

/// Implements `Family` for a unit struct with an inherent `RADICES` (the mixed radices its
/// variants enumerate) and `spec(index)`, so each family only writes what is specific to it.
/// Defined before the modules below so that all of them can use it.
macro_rules! family {
    ($ty:ident, $name:literal, $category:ident) => {
        impl Family for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn category(&self) -> Category {
                Category::$category
            }
            fn variants(&self) -> usize {
                product(Self::RADICES)
            }
            fn build(&self, index: usize) -> TaskSpec {
                self.spec(index)
            }
        }
    };
}

mod algorithms;
mod classic;
mod collections;
mod math;
mod strings;
#[cfg(test)]
mod validation;

use super::Difficulty;
use super::pyvalue::PyValue;

/// The area of programming a family exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Strings,
    Lists,
    Dicts,
    Math,
    Parsing,
    Recursion,
    Algorithms,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Strings => "strings",
            Category::Lists => "lists",
            Category::Dicts => "dicts",
            Category::Math => "math",
            Category::Parsing => "parsing",
            Category::Recursion => "recursion",
            Category::Algorithms => "algorithms",
        }
    }
}

/// One call of the function under test and the value it must return.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub args: Vec<PyValue>,
    pub expected: PyValue,
}

impl Case {
    pub fn new(args: Vec<PyValue>, expected: impl Into<PyValue>) -> Self {
        Case {
            args,
            expected: expected.into(),
        }
    }
}

/// A concrete task as a family builds it, before rendering into the JSONL format.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub function_name: String,
    /// Parameter names, e.g. `["values", "k"]`.
    pub params: Vec<&'static str>,
    /// What the function must do, in plain English, with the task's parameters spelled out.
    pub description: String,
    pub difficulty: Difficulty,
    pub tags: Vec<String>,
    /// Worked examples: shown in the prompt and tested.
    pub examples: Vec<Case>,
    /// Randomized cases from a fixed seed: tested, never shown.
    pub hidden: Vec<Case>,
    /// A correct Python solution (the whole `def`), used only to validate the family.
    pub reference_solution: String,
}

/// A parametric generator of tasks.
pub trait Family: Sync {
    /// Stable name written into each task's `family` field, e.g. `"add_const"`.
    fn name(&self) -> &'static str;
    fn category(&self) -> Category;
    /// How many distinct tasks the family can produce: valid indices are `0..variants()`.
    fn variants(&self) -> usize;
    /// Builds variant `index`. Deterministic: the same index always gives the same task, and
    /// distinct indices give distinct prompts.
    fn build(&self, index: usize) -> TaskSpec;
}

/// Every family, in a fixed order (the generator's round-robin order).
pub fn all() -> Vec<&'static dyn Family> {
    let mut families: Vec<&'static dyn Family> = Vec::new();
    families.extend(classic::FAMILIES.iter().copied());
    families.extend(strings::FAMILIES.iter().copied());
    families.extend(collections::FAMILIES.iter().copied());
    families.extend(math::FAMILIES.iter().copied());
    families.extend(algorithms::FAMILIES.iter().copied());
    families
}

/// A small deterministic PRNG (SplitMix64): task files must not change when a crate updates.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a family name and variant index, so every task has its own stream.
    pub fn for_variant(family: &str, index: usize) -> Self {
        let mut seed = 0xcbf2_9ce4_8422_2325u64;
        for b in family.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// Uniform index in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A list of `len` integers in `lo..=hi`.
    pub fn ints(&mut self, len: usize, lo: i64, hi: i64) -> Vec<i64> {
        (0..len).map(|_| self.int(lo, hi)).collect()
    }

    /// A string of `len` characters drawn from `alphabet`.
    pub fn string(&mut self, len: usize, alphabet: &str) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| *self.pick(&chars)).collect()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Splits a variant index into digits of a mixed radix, so a family can enumerate the product of
/// its parameter choices: `decode(i, &[3, 5])` gives `[i % 3, (i / 3) % 5]`.
pub fn decode(index: usize, radices: &[usize]) -> Vec<usize> {
    let mut rest = index;
    radices
        .iter()
        .map(|&r| {
            let digit = rest % r;
            rest /= r;
            digit
        })
        .collect()
}
