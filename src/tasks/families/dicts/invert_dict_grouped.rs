//! `invert_dict_grouped`: invert a str->int dict into value -> sorted keys, above a threshold.

use std::collections::BTreeMap;

use super::{random_keys, str_int_dict};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Thresholds -3..=6, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct InvertDictGrouped;

impl Family for InvertDictGrouped {
    fn name(&self) -> &'static str {
        "invert_dict_grouped"
    }
    fn category(&self) -> Category {
        Category::Dicts
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
