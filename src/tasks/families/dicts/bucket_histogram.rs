//! `bucket_histogram`: a dict counting elements per bucket of a fixed width.

use std::collections::BTreeMap;

use super::int_int_dict;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Bucket widths 2..=11, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct BucketHistogram;

impl Family for BucketHistogram {
    fn name(&self) -> &'static str {
        "bucket_histogram"
    }
    fn category(&self) -> Category {
        Category::Dicts
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let w = d[0] as i64 + 2;
        let name = ["bucket_histogram", "bucket_counts", "histogram_by_width"][d[1]];
        let p = ["values", "nums"][d[2]];
        let case = |v: Vec<i64>| {
            let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
            for &x in &v {
                // Python's floor division, which rounds negatives down.
                *counts.entry(x.div_euclid(w) * w).or_default() += 1;
            }
            Case::new(vec![PyValue::ints(&v)], int_int_dict(&counts))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![-1]), case(vec![w - 1, w, 0])];
        for _ in 0..5 {
            let len = rng.below(10) + 1;
            hidden.push(case(rng.ints(len, -30, 30)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a dict counting the integers of {p} per bucket of width {w}: an integer v falls in the bucket whose key is (v // {w}) * {w} (floor division), and only non-empty buckets appear as keys."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "counting"],
            examples: vec![
                case(vec![1, 2, w, w + 1, 2 * w + 1, -1]),
                case(vec![0, 5 * w]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    counts = {{}}\n    for v in {p}:\n        key = (v // {w}) * {w}\n        counts[key] = counts.get(key, 0) + 1\n    return counts\n"
            ),
        }
        .finish()
    }
}
