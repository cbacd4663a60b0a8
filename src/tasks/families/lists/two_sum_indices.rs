//! `two_sum_indices`: the first pair of positions whose values add up to a fixed target.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const TWO_SUM_NAMES: &[&str] = &["two_sum_indices", "find_pair_indices", "pair_with_sum"];
const NUMS_PARAMS: &[&str] = &["nums", "values"];

/// Targets -10..=10, function names, parameter names.
const RADICES: &[usize] = &[21, TWO_SUM_NAMES.len(), NUMS_PARAMS.len()];

pub(crate) struct TwoSumIndices;

impl Family for TwoSumIndices {
    fn name(&self) -> &'static str {
        "two_sum_indices"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let t = d[0] as i64 - 10;
        let (function_name, p) = (TWO_SUM_NAMES[d[1]], NUMS_PARAMS[d[2]]);
        let case = |v: Vec<i64>| {
            let mut found = PyValue::None;
            'outer: for i in 0..v.len() {
                for j in i + 1..v.len() {
                    if v[i] + v[j] == t {
                        found =
                            PyValue::Tuple(vec![PyValue::Int(i as i64), PyValue::Int(j as i64)]);
                        break 'outer;
                    }
                }
            }
            Case::new(vec![PyValue::ints(&v)], found)
        };
        let examples = vec![
            case(vec![t + 4, 2, 9, t - 2]),
            // Pair sums here are at least 2t + 51, never t for |t| <= 10.
            case(vec![t + 20, t + 31, t + 45]),
            case(vec![0, t, t, 0]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t])];
        for round in 0..6 {
            let len = rng.int(3, 8) as usize;
            let mut v = rng.ints(len, -10, 10);
            if round % 2 == 0 {
                let i = rng.below(len - 1);
                let j = i + 1 + rng.below(len - i - 1);
                let a = rng.int(-10, 10);
                v[i] = a;
                v[j] = t - a;
            }
            hidden.push(case(v));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Given a list of ints {p}, return a tuple (i, j) of indices with i < j and \
                 {p}[i] + {p}[j] == {t}, choosing the smallest i and, for that i, the smallest \
                 j. Return None if no such pair exists."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["lists".into(), "search".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    for i in range(len({p})):\n        \
                 for j in range(i + 1, len({p})):\n            \
                 if {p}[i] + {p}[j] == {t}:\n                return (i, j)\n    return None\n"
            ),
        }
    }
}
