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
mod draft;
mod math;
mod rng;
mod strings;
#[cfg(test)]
mod validation;

use draft::Draft;
pub use rng::Rng;

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

/// Product of mixed radices: the variant count of a family that enumerates them with `decode`.
pub const fn product(radices: &[usize]) -> usize {
    let mut total = 1;
    let mut i = 0;
    while i < radices.len() {
        total *= radices[i];
        i += 1;
    }
    total
}
