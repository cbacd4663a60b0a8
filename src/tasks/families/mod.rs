//! Task families: parametric generators of programming tasks. A family turns a variant index into
//! a concrete task (prompt, worked examples, hidden randomized cases computed by a Rust oracle)
//! plus a Python reference solution that only the test suite ever runs, to prove the family's
//! tests are right. The reference solution is never written into a task file or a prompt.
//!
//! Each family is one file in the folder of its category: `lists/window_sums.rs` is the
//! `window_sums` family, a list family (a test below holds every family to that). Every family
//! file reads the same way: the constants its variants choose from, `RADICES` (how many choices
//! each parameter has; a variant index picks one of each, see `decode`), then `impl Family`.
//! `all()` lists them in the order the generator depends on.

mod draft;
mod rng;
#[cfg(test)]
mod validation;

mod dicts;
mod dynamic_programming;
mod graphs;
mod intervals;
mod lists;
mod math;
mod matrices;
mod parsing;
mod recursion;
mod strings;

use draft::Draft;
pub use rng::Rng;

use super::Difficulty;
use super::pyvalue::PyValue;

/// The area of programming a family exercises; also the folder its file lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Strings,
    Parsing,
    Lists,
    Dicts,
    Math,
    Recursion,
    Graphs,
    Intervals,
    DynamicProgramming,
    Matrices,
}

impl Category {
    /// The category's name, which is also the name of its folder.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Strings => "strings",
            Category::Parsing => "parsing",
            Category::Lists => "lists",
            Category::Dicts => "dicts",
            Category::Math => "math",
            Category::Recursion => "recursion",
            Category::Graphs => "graphs",
            Category::Intervals => "intervals",
            Category::DynamicProgramming => "dynamic_programming",
            Category::Matrices => "matrices",
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

/// Every family, in the generator's round-robin order. The order is part of the output: the
/// generator spreads a task set over the families in this order, so moving an entry changes every
/// generated set.
static ALL: &[&dyn Family] = &[
    // The original project's families, made parametric.
    &math::AddConst,
    &math::MulConst,
    &lists::RotateLeft,
    &strings::IsPalindromeAlnum,
    &lists::TwoSumIndices,
    &math::Clamp,
    &math::GcdValue,
    &math::LcmValue,
    &math::PiecewiseValue,
    &lists::DedupePreserve,
    &parsing::ParseIntList,
    &lists::FlattenOneLevel,
    // Text: strings, then parsing.
    &strings::CountCharsInSet,
    &strings::ReplaceChar,
    &strings::RemoveChars,
    &strings::PadLeft,
    &strings::CountSubstring,
    &strings::KeepLongWords,
    &strings::ReverseEachWord,
    &strings::TruncateText,
    &strings::CaesarShift,
    &strings::RunLengthEncode,
    &strings::SnakeToCamel,
    &strings::WrapText,
    &parsing::ParseKeyValues,
    &parsing::ParseVersion,
    &parsing::RomanToInt,
    &parsing::ParseCsvRow,
    &parsing::ParseDuration,
    // Lists, then dicts.
    &lists::SumAboveThreshold,
    &lists::KeepMultiples,
    &lists::ChunkList,
    &lists::RunningTotalFrom,
    &lists::KthLargestDistinct,
    &lists::CountInRange,
    &lists::GapDifferences,
    &lists::InterleaveBlocks,
    &lists::WindowSums,
    &lists::TopKFrequent,
    &dicts::BucketHistogram,
    &dicts::FrequentValueCounts,
    &dicts::InvertDictGrouped,
    &dicts::MergeDictsMinTotal,
    &dicts::GroupWordsByLength,
    // Numbers.
    &math::DigitSumInBase,
    &math::CountPrimesInWindow,
    &math::FibonacciMod,
    &math::CollatzStepsToLimit,
    &math::CountDivisorsAtLeast,
    &math::IntToBaseString,
    &math::SumMultiplesOfEither,
    &math::IntegerKthRoot,
    // Recursion and classic algorithms (binary search and bracket matching are filed under
    // lists and strings).
    &recursion::FlattenToDepth,
    &recursion::CountSubsetsWithSum,
    &recursion::HanoiMoves,
    &recursion::PartitionsWithMaxPart,
    &dynamic_programming::MinCoins,
    &dynamic_programming::LongestIncreasingByStep,
    &dynamic_programming::WeightedEditDistance,
    &dynamic_programming::ClimbStairsStepSet,
    &dynamic_programming::KnapsackMaxValue,
    &lists::SearchSortedOccurrence,
    &strings::BalancedBracketSet,
    &graphs::GridShortestPath,
    &graphs::ComponentsWithMinSize,
    &graphs::TopologicalOrderRanked,
    &intervals::MergeIntervalsWithGap,
    &intervals::CoveredLengthInWindow,
    &matrices::RotateMatrixTimes,
    &matrices::SpiralOrderFromCorner,
    &matrices::DiagonalSumOffset,
];

/// Every family, in a fixed order (the generator's round-robin order).
pub fn all() -> Vec<&'static dyn Family> {
    ALL.to_vec()
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::all;

    #[test]
    fn every_family_lives_in_the_folder_of_its_category() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tasks/families");
        for family in all() {
            let file = root
                .join(family.category().as_str())
                .join(format!("{}.rs", family.name()));
            assert!(
                file.is_file(),
                "{}: expected {}",
                family.name(),
                file.display()
            );
        }
    }
}
