//! `parse_key_values`: parse `key=value` entries with given separators into a dict of ints.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const PAIR_SEPARATORS: &[&str] = &[";", ",", "&", "|"];
const KEY_VALUE_SEPARATORS: &[&str] = &["=", ":", "->"];
const KEY_VALUE_NAMES: &[&str] = &["parse_key_values", "parse_pairs", "parse_settings"];

/// Pair separators, key-value separators, function names, parameter names.
const RADICES: &[usize] = &[
    PAIR_SEPARATORS.len(),
    KEY_VALUE_SEPARATORS.len(),
    KEY_VALUE_NAMES.len(),
    TEXT_PARAMS.len(),
];

pub(crate) struct ParseKeyValues;

impl Family for ParseKeyValues {
    fn name(&self) -> &'static str {
        "parse_key_values"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (pair_sep, kv_sep) = (PAIR_SEPARATORS[d[0]], KEY_VALUE_SEPARATORS[d[1]]);
        let (function_name, p) = (KEY_VALUE_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let case = |text: String| {
            // Python dicts keep a key's first position when it is overwritten; so does this.
            let mut pairs: Vec<(String, i64)> = Vec::new();
            for entry in text.split(pair_sep).filter(|e| !e.trim().is_empty()) {
                let (key, value) = entry
                    .split_once(kv_sep)
                    .expect("generated entries have a key");
                let value: i64 = value.trim().parse().expect("generated values parse");
                match pairs.iter_mut().find(|(k, _)| k == key.trim()) {
                    Some(pair) => pair.1 = value,
                    None => pairs.push((key.trim().to_string(), value)),
                }
            }
            let dict = pairs
                .into_iter()
                .map(|(k, v)| (PyValue::Str(k), PyValue::Int(v)))
                .collect();
            text_case(&text, PyValue::Dict(dict))
        };
        let entry = |k: &str, v: i64| format!("{k}{kv_sep}{v}");
        let examples = vec![
            case([entry("a", 1), entry("b", 2)].join(pair_sep)),
            case([entry(" x ", -5), entry("y", 7), entry("x", 3)].join(pair_sep)),
            case(String::new()),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(format!("{pair_sep} {pair_sep}")), case(entry("k", 0))];
        for _ in 0..6 {
            let count = rng.int(1, 5);
            let mut entries = Vec::new();
            for _ in 0..count {
                let klen = rng.int(1, 3) as usize;
                let key = rng.string(klen, "abcde");
                let pad = " ".repeat(rng.below(2));
                entries.push(format!("{pad}{key}{pad}{kv_sep}{pad}{}", rng.int(-99, 999)));
            }
            if rng.chance(30) {
                entries.push(String::new());
            }
            hidden.push(case(entries.join(pair_sep)));
        }
        let (qp, qk) = (quoted(pair_sep), quoted(kv_sep));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds entries separated by {qp}; each entry is a key and an \
                 integer value separated by {qk}, with optional spaces around keys and values. \
                 Return a dict mapping each stripped key (a str) to its value (an int); a key \
                 seen again overwrites the earlier value. Skip empty or all-space entries, so \
                 '' gives {{}}."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["parsing".into(), "dicts".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    result = {{}}\n    for entry in {p}.split({qp}):\n        \
                 if not entry.strip():\n            continue\n        \
                 key, value = entry.split({qk}, 1)\n        result[key.strip()] = int(value)\n    \
                 return result\n"
            ),
        }
    }
}
