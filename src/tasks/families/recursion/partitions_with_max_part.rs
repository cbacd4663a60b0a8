//! `partitions_with_max_part`: partitions of n into parts no larger than k.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Names an integer parameter may take.
const NUMBER_NAMES: &[&str] = &["n", "number"];

/// Largest parts 2..=13, function names, parameter names.
const RADICES: &[usize] = &[12, 3, 2];

pub(crate) struct PartitionsWithMaxPart;

impl Family for PartitionsWithMaxPart {
    fn name(&self) -> &'static str {
        "partitions_with_max_part"
    }
    fn category(&self) -> Category {
        Category::Recursion
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] + 2;
        let name = ["count_partitions", "partition_count", "ways_to_split"][d[1]];
        let p = NUMBER_NAMES[d[2]];
        let case = |n: i64| {
            let n_us = n as usize;
            let mut ways = vec![0i64; n_us + 1];
            ways[0] = 1;
            for part in 1..=k {
                for total in part..=n_us {
                    ways[total] += ways[total - part];
                }
            }
            Case::new(vec![PyValue::Int(n)], ways[n_us])
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(k as i64), case(k as i64 + 1)];
        for _ in 0..4 {
            hidden.push(case(rng.int(2, 60)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the number of ways to write the non-negative integer {p} as a sum of positive integers that are each at most {k}, ignoring order (1 + 2 and 2 + 1 are the same way); 0 has exactly one way, the empty sum."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "dynamic-programming", "math"],
            examples: vec![case(5), case(10), case(4)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    ways = [1] + [0] * {p}\n    for part in range(1, {k} + 1):\n        for total in range(part, {p} + 1):\n            ways[total] += ways[total - part]\n    return ways[{p}]\n"
            ),
        }
        .finish()
    }
}
