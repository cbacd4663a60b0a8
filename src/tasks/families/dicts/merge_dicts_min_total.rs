//! `merge_dicts_min_total`: merge two str->int dicts by summing, keeping totals >= t.

use super::{random_keys, str_int_dict};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Thresholds -4..=5, function names, parameter-name pairs.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct MergeDictsMinTotal;

impl Family for MergeDictsMinTotal {
    fn name(&self) -> &'static str {
        "merge_dicts_min_total"
    }
    fn category(&self) -> Category {
        Category::Dicts
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
