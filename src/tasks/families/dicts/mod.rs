//! Dict families: frequency counts and dict reshaping (histograms, inverting, merging, grouping).

mod bucket_histogram;
mod frequent_value_counts;
mod group_words_by_length;
mod invert_dict_grouped;
mod merge_dicts_min_total;

pub(super) use bucket_histogram::BucketHistogram;
pub(super) use frequent_value_counts::FrequentValueCounts;
pub(super) use group_words_by_length::GroupWordsByLength;
pub(super) use invert_dict_grouped::InvertDictGrouped;
pub(super) use merge_dicts_min_total::MergeDictsMinTotal;

use std::collections::BTreeMap;

use crate::tasks::families::Rng;
use crate::tasks::pyvalue::PyValue;

/// Short distinct words used as dict keys.
const WORDS: &[&str] = &[
    "apple", "kiwi", "fig", "plum", "pear", "lime", "date", "grape", "melon", "peach", "mango",
    "lemon",
];

/// A dict from string keys to integers.
fn str_int_dict(pairs: &[(String, i64)]) -> PyValue {
    PyValue::Dict(
        pairs
            .iter()
            .map(|(k, v)| (PyValue::str(k.as_str()), PyValue::Int(*v)))
            .collect(),
    )
}

/// A dict from integer keys to integers, in key order.
fn int_int_dict(map: &BTreeMap<i64, i64>) -> PyValue {
    PyValue::Dict(
        map.iter()
            .map(|(&k, &v)| (PyValue::Int(k), PyValue::Int(v)))
            .collect(),
    )
}

/// `count` distinct words from `WORDS`, in random order.
fn random_keys(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut words: Vec<&str> = WORDS.to_vec();
    rng.shuffle(&mut words);
    words.into_iter().take(count).map(String::from).collect()
}
