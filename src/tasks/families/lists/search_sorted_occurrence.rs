//! `search_sorted_occurrence`: binary search for the first/last index of a target.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Sort order, first or last occurrence, value when absent, function names, parameter names.
const RADICES: &[usize] = &[2, 2, 2, 4, 2];

pub(crate) struct SearchSortedOccurrence;

impl Family for SearchSortedOccurrence {
    fn name(&self) -> &'static str {
        "search_sorted_occurrence"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let descending = d[0] == 1;
        let last = d[1] == 1;
        let absent = [PyValue::Int(-1), PyValue::None][d[2]].clone();
        let al = absent.to_python();
        let name = ["find_index", "search_sorted", "locate", "binary_find"][d[3]];
        let (p, t) = [("values", "target"), ("arr", "x")][d[4]];
        let case = |v: Vec<i64>, target: i64| {
            let mut hits = (0..v.len()).filter(|&i| v[i] == target);
            let hit = if last { hits.next_back() } else { hits.next() };
            Case::new(
                vec![PyValue::ints(&v), PyValue::Int(target)],
                hit.map_or(absent.clone(), |i| PyValue::Int(i as i64)),
            )
        };
        let sorted = |mut v: Vec<i64>| {
            v.sort_unstable();
            if descending {
                v.reverse();
            }
            v
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![], 3), case(vec![3], 3), case(vec![3], 4)];
        for i in 0..5 {
            let len = rng.below(10) + 1;
            let v = sorted(rng.ints(len, -5, 8));
            // Alternate a target that occurs with one that may not.
            let target = if i % 2 == 0 {
                v[rng.below(len)]
            } else {
                rng.int(-6, 9)
            };
            hidden.push(case(v, target));
        }
        // The search narrows to the first index where `cond` fails; the first occurrence sits
        // there, the last one just before it.
        let cond = match (descending, last) {
            (false, false) => "<",
            (false, true) => "<=",
            (true, false) => ">",
            (true, true) => ">=",
        };
        let (pos, found) = if last {
            ("lo - 1", format!("lo > 0 and {p}[lo - 1] == {t}"))
        } else {
            ("lo", format!("lo < len({p}) and {p}[lo] == {t}"))
        };
        Draft {
            function_name: name.into(),
            params: vec![p, t],
            description: format!(
                "{p} is a list of integers sorted in {} order (it may contain duplicates). Return the index of the {} occurrence of {t} in {p}, or {al} if {t} does not occur. Use binary search.",
                if descending { "descending" } else { "ascending" },
                if last { "last" } else { "first" },
            ),
            difficulty: Difficulty::Medium,
            tags: &["binary-search", "lists"],
            examples: vec![
                case(sorted(vec![1, 2, 2, 2, 5, 7]), 2),
                case(sorted(vec![1, 2, 2, 2, 5, 7]), 6),
                case(sorted(vec![4, 4, 9]), 9),
            ],
            hidden,
            reference: format!(
                "def {name}({p}, {t}):\n    lo, hi = 0, len({p})\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if {p}[mid] {cond} {t}:\n            lo = mid + 1\n        else:\n            hi = mid\n    return {pos} if {found} else {al}\n"
            ),
        }
        .finish()
    }
}
