//! List and dict families: filtering, chunking, windows, running totals, frequency counts and
//! dict reshaping.

use std::collections::BTreeMap;

use super::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

pub(super) static FAMILIES: &[&dyn Family] = &[
    &SumAboveThreshold,
    &KeepMultiples,
    &ChunkList,
    &RunningTotalFrom,
    &KthLargestDistinct,
    &CountInRange,
    &GapDifferences,
    &InterleaveBlocks,
    &WindowSums,
    &TopKFrequent,
    &BucketHistogram,
    &FrequentValueCounts,
    &InvertDictGrouped,
    &MergeDictsMinTotal,
    &GroupWordsByLength,
];

/// Names a list parameter may take.
const LIST_NAMES: &[&str] = &["values", "nums", "items"];

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

/// A random list whose length is drawn from `0..=max_len`.
fn random_list(rng: &mut Rng, max_len: usize, lo: i64, hi: i64) -> Vec<i64> {
    let len = rng.below(max_len + 1);
    rng.ints(len, lo, hi)
}

/// `count` distinct words from `WORDS`, in random order.
fn random_keys(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut words: Vec<&str> = WORDS.to_vec();
    rng.shuffle(&mut words);
    words.into_iter().take(count).map(String::from).collect()
}

/// `sum_above_threshold`: the sum of the list's elements strictly greater than a threshold.
struct SumAboveThreshold;
family!(SumAboveThreshold, "sum_above_threshold", Lists);

impl SumAboveThreshold {
    // Thresholds -5..=14, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let t = d[0] as i64 - 5;
        let name = ["sum_above", "sum_greater_than", "total_above"][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let sum: i64 = v.iter().filter(|&&x| x > t).sum();
            Case::new(vec![PyValue::ints(&v)], sum)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t]), case(vec![t + 1, t - 7])];
        for _ in 0..5 {
            let len = rng.below(8) + 1;
            hidden.push(case(rng.ints(len, t - 10, t + 10)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the sum of the integers in {p} that are strictly greater than {t} (0 if there are none)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "filtering"],
            examples: vec![
                case(vec![t + 1, t - 2, t + 4, t]),
                case(vec![t + 10, t - 1]),
                case(vec![t - 3, t]),
            ],
            hidden,
            reference: format!("def {name}({p}):\n    return sum(v for v in {p} if v > {t})\n"),
        }
        .finish()
    }
}

/// `keep_multiples`: the elements divisible by k, in order.
struct KeepMultiples;
family!(KeepMultiples, "keep_multiples", Lists);

impl KeepMultiples {
    // Divisors 2..=13, function names, parameter names.
    const RADICES: &'static [usize] = &[12, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let k = d[0] as i64 + 2;
        let name = ["keep_multiples", "multiples_only", "filter_multiples"][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let kept: Vec<i64> = v.iter().copied().filter(|x| x % k == 0).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&kept))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![0]), case(vec![k + 1])];
        for _ in 0..5 {
            let len = rng.below(8) + 1;
            // Half the elements are multiples, so the filter keeps and drops something.
            let v = (0..len)
                .map(|_| {
                    if rng.chance(50) {
                        rng.int(-6, 6) * k
                    } else {
                        rng.int(-40, 40)
                    }
                })
                .collect();
            hidden.push(case(v));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of the integers in {p} that are divisible by {k}, in their original order."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "filtering"],
            examples: vec![
                case(vec![k, k + 1, 2 * k, 3, -k]),
                case(vec![1, 5 * k, k - 1]),
                case(vec![k + 1]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [v for v in {p} if v % {k} == 0]\n"
            ),
        }
        .finish()
    }
}

/// `chunk_list`: split a list into consecutive chunks of n elements.
struct ChunkList;
family!(ChunkList, "chunk_list", Lists);

impl ChunkList {
    // Chunk sizes 2..=11, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let n = d[0] + 2;
        let name = ["chunk_list", "split_into_chunks", "chunked"][d[1]];
        let p = ["items", "values"][d[2]];
        let case = |v: Vec<i64>| {
            let chunks: Vec<Vec<i64>> = v.chunks(n).map(<[i64]>::to_vec).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::int_lists(&chunks))
        };
        let seq = |len: usize| (1..=len as i64).collect::<Vec<i64>>();
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![7]), case(seq(n))];
        for _ in 0..5 {
            let len = rng.below(3 * n + 1);
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Split {p} into consecutive chunks of {n} elements and return them as a list of lists, in order; the last chunk holds the leftover elements and may be shorter. An empty list gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "slicing"],
            examples: vec![case(seq(n + 1)), case(seq(2 * n + 2)), case(vec![4, 9])],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [{p}[i:i + {n}] for i in range(0, len({p}), {n})]\n"
            ),
        }
        .finish()
    }
}

/// `running_total_from`: running totals of a list, starting from a given value.
struct RunningTotalFrom;
family!(RunningTotalFrom, "running_total_from", Lists);

impl RunningTotalFrom {
    // Starting values -9..=10, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let s = d[0] as i64 - 9;
        let name = ["running_total", "prefix_totals", "cumulative_sums"][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let totals: Vec<i64> = v
                .iter()
                .scan(s, |total, x| {
                    *total += x;
                    Some(*total)
                })
                .collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&totals))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![-4])];
        for _ in 0..6 {
            let len = rng.below(8) + 1;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of running totals of {p} starting from {s}: element i is {s} plus the sum of the first i + 1 elements of {p}. An empty list gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "accumulation"],
            examples: vec![case(vec![1, 2, 3]), case(vec![5, -2])],
            hidden,
            reference: format!(
                "def {name}({p}):\n    total = {s}\n    out = []\n    for v in {p}:\n        total += v\n        out.append(total)\n    return out\n"
            ),
        }
        .finish()
    }
}

/// `kth_largest_distinct`: the k-th largest distinct value, or a default.
struct KthLargestDistinct;
family!(KthLargestDistinct, "kth_largest_distinct", Lists);

impl KthLargestDistinct {
    // Ranks 2..=4, defaults, function names, parameter names.
    const RADICES: &'static [usize] = &[3, 3, 3, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let k = d[0] + 2;
        let ordinal = ["2nd", "3rd", "4th"][d[0]];
        let default = [PyValue::Int(-1), PyValue::Int(0), PyValue::None][d[1]].clone();
        let dl = default.to_python();
        let name = [
            "kth_largest_distinct",
            "distinct_rank_value",
            "largest_unique_at_rank",
        ][d[2]];
        let p = LIST_NAMES[d[3]];
        let case = |v: Vec<i64>| {
            let mut distinct = v.clone();
            distinct.sort_unstable_by(|a, b| b.cmp(a));
            distinct.dedup();
            let expected = distinct
                .get(k - 1)
                .map_or(default.clone(), |&x| PyValue::Int(x));
            Case::new(vec![PyValue::ints(&v)], expected)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![6]), case(vec![3, 3, 3, 3])];
        for i in 0..5 {
            let len = rng.below(9) + 2;
            // Narrow ranges give many ties; wide ones many distinct values.
            let spread = if i % 2 == 0 { 3 } else { 15 };
            hidden.push(case(rng.ints(len, -spread, spread)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the {ordinal} largest distinct value in {p} (equal values count once), or {dl} if {p} has fewer than {k} distinct values."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "sorting"],
            examples: vec![
                case(vec![5, 1, 5, 3, 9]),
                case(vec![7, 7]),
                case(vec![2, 8, 4, 6, 10, 8]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    distinct = sorted(set({p}), reverse=True)\n    return distinct[{}] if len(distinct) >= {k} else {dl}\n",
                k - 1
            ),
        }
        .finish()
    }
}

/// `count_in_range`: how many elements lie in a closed range.
struct CountInRange;
family!(CountInRange, "count_in_range", Lists);

impl CountInRange {
    // Lower bounds -3..=6, range widths, function names.
    const RADICES: &'static [usize] = &[10, 3, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let lo = d[0] as i64 - 3;
        let hi = lo + [2, 5, 10][d[1]];
        let name = ["count_in_range", "count_between", "how_many_within"][d[2]];
        let p = "values";
        let case = |v: Vec<i64>| {
            let n = v.iter().filter(|&&x| lo <= x && x <= hi).count() as i64;
            Case::new(vec![PyValue::ints(&v)], n)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![lo - 1, hi + 1]), case(vec![hi])];
        for _ in 0..5 {
            let len = rng.below(10) + 1;
            hidden.push(case(rng.ints(len, lo - 8, hi + 8)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return how many integers in {p} lie in the closed range [{lo}, {hi}] (both ends included)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "counting"],
            examples: vec![
                case(vec![lo, hi, lo - 1, hi + 1, lo + 1]),
                case(vec![lo - 5, hi]),
                case(vec![hi + 3]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return sum(1 for v in {p} if {lo} <= v <= {hi})\n"
            ),
        }
        .finish()
    }
}

/// `gap_differences`: differences between elements a fixed number of positions apart.
struct GapDifferences;
family!(GapDifferences, "gap_differences", Lists);

impl GapDifferences {
    // Gaps 1..=6, function names, parameter names.
    const RADICES: &'static [usize] = &[6, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let g = d[0] + 1;
        let name = [
            "gap_differences",
            "step_differences",
            "lagged_differences",
            "differences_at_gap",
        ][d[1]];
        let p = ["values", "nums", "seq"][d[2]];
        let case = |v: Vec<i64>| {
            let diffs: Vec<i64> = v.windows(g + 1).map(|w| w[g] - w[0]).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&diffs))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![5; g]), case(vec![-3; g + 1])];
        for _ in 0..5 {
            let len = rng.below(g + 6) + 1;
            hidden.push(case(rng.ints(len, -30, 30)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list whose element i is {p}[i + {g}] - {p}[i], for every index i where {p}[i + {g}] exists (an empty list if {p} has {g} or fewer elements)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "indexing"],
            examples: vec![
                case(vec![1, 4, 9, 16, 25, 36, 49, 64]),
                case((0..g as i64 + 2).map(|i| 10 - 3 * i * i).collect()),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [{p}[i + {g}] - {p}[i] for i in range(len({p}) - {g})]\n"
            ),
        }
        .finish()
    }
}

/// `interleave_blocks`: interleave two lists in blocks of n, appending the leftovers.
struct InterleaveBlocks;
family!(InterleaveBlocks, "interleave_blocks", Lists);

impl InterleaveBlocks {
    // Block sizes 1..=5, which list goes first, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 2, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let n = d[0] + 1;
        let b_first = d[1] == 1;
        let name = ["interleave_blocks", "alternate_blocks", "weave_lists"][d[2]];
        let (x, y) = [("a", "b"), ("left", "right")][d[3]];
        let (first, second) = if b_first { (y, x) } else { (x, y) };
        let case = |a: Vec<i64>, b: Vec<i64>| {
            let (p, q) = if b_first { (&b, &a) } else { (&a, &b) };
            let mut out = Vec::new();
            let mut i = 0;
            while i < a.len().max(b.len()) {
                out.extend(p.iter().skip(i).take(n));
                out.extend(q.iter().skip(i).take(n));
                i += n;
            }
            Case::new(
                vec![PyValue::ints(&a), PyValue::ints(&b)],
                PyValue::ints(&out),
            )
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(vec![], vec![]),
            case(vec![], vec![4, 5]),
            case(vec![9], vec![]),
        ];
        for _ in 0..5 {
            let a = random_list(&mut rng, 3 * n + 1, 0, 50);
            let b = random_list(&mut rng, 3 * n + 1, 50, 99);
            hidden.push(case(a, b));
        }
        Draft {
            function_name: name.into(),
            params: vec![x, y],
            description: format!(
                "Interleave the lists {x} and {y} in blocks of {n}: repeatedly take the next {n} items of {first}, then the next {n} items of {second}; once one list runs out, append the rest of the other. Return the result as a new list."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "merging"],
            examples: vec![
                case(vec![1, 2, 3, 4, 5, 6], vec![10, 20, 30]),
                case(vec![7], vec![8, 9, 10, 11, 12, 13]),
            ],
            hidden,
            reference: format!(
                "def {name}({x}, {y}):\n    out = []\n    for i in range(0, max(len({x}), len({y})), {n}):\n        out += {first}[i:i + {n}] + {second}[i:i + {n}]\n    return out\n"
            ),
        }
        .finish()
    }
}

/// `window_sums`: the sum of every window of w consecutive elements.
struct WindowSums;
family!(WindowSums, "window_sums", Lists);

impl WindowSums {
    // Window widths 2..=6, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let w = d[0] + 2;
        let name = [
            "window_sums",
            "sliding_window_sums",
            "moving_sums",
            "rolling_sums",
        ][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let sums: Vec<i64> = v.windows(w).map(|s| s.iter().sum()).collect();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&sums))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![3; w - 1]), case(vec![-2; w])];
        for _ in 0..5 {
            let len = rng.below(w + 6) + 1;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of the sums of every window of {w} consecutive elements of {p}, from left to right (an empty list if {p} has fewer than {w} elements)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["lists", "windows"],
            examples: vec![
                case(vec![1, 2, 3, 4, 5, 6, 7]),
                case((0..w as i64 + 1).map(|i| 10 * i - 7).collect()),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return [sum({p}[i:i + {w}]) for i in range(len({p}) - {w} + 1)]\n"
            ),
        }
        .finish()
    }
}

/// `top_k_frequent`: the k most frequent values, with a tie-break by value.
struct TopKFrequent;
family!(TopKFrequent, "top_k_frequent", Lists);

impl TopKFrequent {
    // k 1..=5, tie-break direction, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 2, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let k = d[0] + 1;
        let larger = d[1] == 1;
        let tie = if larger { "larger" } else { "smaller" };
        let name = ["top_k_frequent", "most_common_values", "frequent_leaders"][d[2]];
        let p = ["values", "nums"][d[3]];
        let case = |v: Vec<i64>| {
            let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
            for &x in &v {
                *counts.entry(x).or_default() += 1;
            }
            let mut order: Vec<i64> = counts.keys().copied().collect();
            order.sort_by_key(|x| (-counts[x], if larger { -x } else { *x }));
            order.truncate(k);
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&order))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![-2])];
        for _ in 0..6 {
            let len = rng.below(12) + 1;
            hidden.push(case(rng.ints(len, -4, 4)));
        }
        let key = if larger { "-v" } else { "v" };
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a list of the {k} most frequent values in {p}, most frequent first, breaking ties by putting the {tie} value first. If {p} has fewer than {k} distinct values, return all of them in that order."
            ),
            difficulty: Difficulty::Medium,
            tags: &["lists", "counting", "sorting"],
            examples: vec![
                case(vec![4, 1, 4, 2, 2, 4, 3]),
                case(vec![5, 5, 6, 6, 7]),
                case(vec![9, 8, 9, 8, 7, 7, 6]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    counts = {{}}\n    for v in {p}:\n        counts[v] = counts.get(v, 0) + 1\n    order = sorted(counts, key=lambda v: (-counts[v], {key}))\n    return order[:{k}]\n"
            ),
        }
        .finish()
    }
}

/// `bucket_histogram`: a dict counting elements per bucket of a fixed width.
struct BucketHistogram;
family!(BucketHistogram, "bucket_histogram", Dicts);

impl BucketHistogram {
    // Bucket widths 2..=11, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `frequent_value_counts`: occurrence counts of the values seen at least m times.
struct FrequentValueCounts;
family!(FrequentValueCounts, "frequent_value_counts", Dicts);

impl FrequentValueCounts {
    // Minimum counts 1..=5, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let m = d[0] as i64 + 1;
        let name = [
            "frequent_value_counts",
            "counts_at_least",
            "repeated_counts",
            "common_value_counts",
        ][d[1]];
        let p = LIST_NAMES[d[2]];
        let case = |v: Vec<i64>| {
            let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
            for &x in &v {
                *counts.entry(x).or_default() += 1;
            }
            counts.retain(|_, c| *c >= m);
            Case::new(vec![PyValue::ints(&v)], int_int_dict(&counts))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![8; m as usize])];
        for _ in 0..6 {
            let len = rng.below(16) + 1;
            hidden.push(case(rng.ints(len, -3, 3)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a dict mapping each integer that occurs at least {m} times in {p} to its number of occurrences."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "counting"],
            examples: vec![
                case(vec![4, 4, 4, 4, 4, 2, 2, 2, 7, 7, 1]),
                case(vec![3, 3, 3, 3, 3, 3, 9]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    counts = {{}}\n    for v in {p}:\n        counts[v] = counts.get(v, 0) + 1\n    return {{v: c for v, c in counts.items() if c >= {m}}}\n"
            ),
        }
        .finish()
    }
}

/// `invert_dict_grouped`: invert a str->int dict into value -> sorted keys, above a threshold.
struct InvertDictGrouped;
family!(InvertDictGrouped, "invert_dict_grouped", Dicts);

impl InvertDictGrouped {
    // Thresholds -3..=6, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let t = d[0] as i64 - 3;
        let name = ["invert_dict", "group_keys_by_value", "keys_by_value"][d[1]];
        let p = ["mapping", "scores"][d[2]];
        let case = |pairs: Vec<(String, i64)>| {
            let mut groups: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for (k, v) in &pairs {
                if *v >= t {
                    groups.entry(*v).or_default().push(k.clone());
                }
            }
            let expected = PyValue::Dict(
                groups
                    .into_iter()
                    .map(|(v, mut keys)| {
                        keys.sort();
                        (PyValue::Int(v), PyValue::strs(&keys))
                    })
                    .collect(),
            );
            Case::new(vec![str_int_dict(&pairs)], expected)
        };
        let kv = |pairs: &[(&str, i64)]| -> Vec<(String, i64)> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(kv(&[("solo", t - 1)]))];
        for _ in 0..6 {
            let n = rng.below(8) + 1;
            let keys = random_keys(&mut rng, n);
            let pairs = keys
                .into_iter()
                .map(|k| (k, rng.int(t - 3, t + 3)))
                .collect();
            hidden.push(case(pairs));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a dict from strings to integers. Return a dict that maps each value of {p} that is at least {t} to the alphabetically sorted list of the keys having that value; values below {t} are left out."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "grouping"],
            examples: vec![
                case(kv(&[("pear", t), ("fig", t + 2), ("apple", t), ("kiwi", t - 1)])),
                case(kv(&[("x", t + 1)])),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    out = {{}}\n    for key, value in {p}.items():\n        if value >= {t}:\n            out.setdefault(value, []).append(key)\n    return {{value: sorted(keys) for value, keys in out.items()}}\n"
            ),
        }
        .finish()
    }
}

/// `merge_dicts_min_total`: merge two str->int dicts by summing, keeping totals >= t.
struct MergeDictsMinTotal;
family!(MergeDictsMinTotal, "merge_dicts_min_total", Dicts);

impl MergeDictsMinTotal {
    // Thresholds -4..=5, function names, parameter-name pairs.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let t = d[0] as i64 - 4;
        let name = ["merge_sum", "combine_counts", "merge_totals"][d[1]];
        let (x, y) = [("a", "b"), ("first", "second")][d[2]];
        let case = |a: Vec<(String, i64)>, b: Vec<(String, i64)>| {
            let mut merged = a.clone();
            for (k, v) in &b {
                match merged.iter_mut().find(|(mk, _)| mk == k) {
                    Some(entry) => entry.1 += v,
                    None => merged.push((k.clone(), *v)),
                }
            }
            merged.retain(|(_, v)| *v >= t);
            Case::new(
                vec![str_int_dict(&a), str_int_dict(&b)],
                str_int_dict(&merged),
            )
        };
        let kv = |pairs: &[(&str, i64)]| -> Vec<(String, i64)> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(vec![], vec![]),
            case(vec![], kv(&[("z", t + 2), ("y", t - 2)])),
        ];
        for _ in 0..6 {
            // Keys from a small pool, so the dicts share some of them.
            let draw = |rng: &mut Rng| -> Vec<(String, i64)> {
                let n = rng.below(5);
                random_keys(rng, 6)
                    .into_iter()
                    .take(n)
                    .map(|k| (k, rng.int(t - 6, t + 6)))
                    .collect()
            };
            let a = draw(&mut rng);
            let b = draw(&mut rng);
            hidden.push(case(a, b));
        }
        Draft {
            function_name: name.into(),
            params: vec![x, y],
            description: format!(
                "{x} and {y} are dicts from strings to integers. Merge them into a new dict by adding up the values of keys present in both (a key in only one dict keeps its value), and return only the keys whose merged value is at least {t}."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "merging"],
            examples: vec![
                case(
                    kv(&[("red", t + 1), ("blue", t - 3)]),
                    kv(&[("blue", 5), ("green", t)]),
                ),
                case(kv(&[("k", t - 1)]), kv(&[("k", 1), ("j", t - 1)])),
            ],
            hidden,
            reference: format!(
                "def {name}({x}, {y}):\n    merged = dict({x})\n    for key, value in {y}.items():\n        merged[key] = merged.get(key, 0) + value\n    return {{key: value for key, value in merged.items() if value >= {t}}}\n"
            ),
        }
        .finish()
    }
}

/// `group_words_by_length`: a dict from word length to the words of that length.
struct GroupWordsByLength;
family!(GroupWordsByLength, "group_words_by_length", Dicts);

impl GroupWordsByLength {
    // Minimum lengths 1..=5, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let m = d[0] + 1;
        let name = [
            "group_by_length",
            "words_by_length",
            "bucket_words",
            "length_groups",
        ][d[1]];
        let p = ["words", "strings", "tokens"][d[2]];
        let case = |words: Vec<String>| {
            let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
            for w in &words {
                let len = w.chars().count();
                if len < m {
                    continue;
                }
                match groups.iter_mut().find(|(l, _)| *l == len) {
                    Some(g) => g.1.push(w.clone()),
                    None => groups.push((len, vec![w.clone()])),
                }
            }
            let expected = PyValue::Dict(
                groups
                    .into_iter()
                    .map(|(l, ws)| (PyValue::Int(l as i64), PyValue::strs(&ws)))
                    .collect(),
            );
            Case::new(vec![PyValue::strs(&words)], expected)
        };
        let ws = |words: &[&str]| -> Vec<String> { words.iter().map(|w| w.to_string()).collect() };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(ws(&["", "ab", "abcdef"]))];
        for _ in 0..6 {
            let n = rng.below(8) + 1;
            let words = (0..n)
                .map(|_| {
                    let len = rng.below(8);
                    rng.string(len, "abcdefgh")
                })
                .collect();
            hidden.push(case(words));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a dict mapping each word length to the list of strings in {p} with that length, in their original order (duplicates kept); strings shorter than {m} characters are left out."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "grouping", "strings"],
            examples: vec![
                case(ws(&["hi", "sun", "go", "tree", "a", "moon"])),
                case(ws(&["apple", "kiwi", "plum", "banana"])),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    groups = {{}}\n    for word in {p}:\n        if len(word) >= {m}:\n            groups.setdefault(len(word), []).append(word)\n    return groups\n"
            ),
        }
        .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{algorithms, math};
    use super::FAMILIES;

    /// The validation test samples a dozen variants per family; this checks every variant of
    /// this file's, `math`'s and `algorithms`' families for what can be checked without Python.
    #[test]
    fn every_variant_is_well_formed() {
        let families = FAMILIES
            .iter()
            .chain(math::FAMILIES)
            .chain(algorithms::FAMILIES);
        for family in families {
            assert!(
                family.variants() >= 60,
                "{}: too few variants",
                family.name()
            );
            let difficulty = family.build(0).difficulty;
            for index in 0..family.variants() {
                let spec = family.build(index);
                let at = format!("{} variant {index}", family.name());
                assert_eq!(spec.difficulty, difficulty, "{at}: difficulty changes");
                assert!(spec.examples.len() >= 2, "{at}");
                assert!((6..=10).contains(&spec.hidden.len()), "{at}: hidden count");
                for p in &spec.params {
                    assert!(spec.description.contains(p), "{at}: prompt omits {p}");
                }
                assert!(
                    spec.examples
                        .iter()
                        .chain(&spec.hidden)
                        .any(|c| c.args[0] != c.expected),
                    "{at}: returning the first argument passes"
                );
            }
        }
    }
}
