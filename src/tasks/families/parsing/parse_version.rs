//! `parse_version`: parse a version string into a tuple of ints padded to a minimum length.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const VERSION_SEPARATORS: &[&str] = &[".", "-", ":", "/", ","];
const VERSION_NAMES: &[&str] = &["parse_version", "version_tuple", "split_version"];
const VERSION_PARAMS: &[&str] = &["text", "version"];

/// Separators, minimum lengths 2..=4, function names, parameter names.
const RADICES: &[usize] = &[
    VERSION_SEPARATORS.len(),
    3,
    VERSION_NAMES.len(),
    VERSION_PARAMS.len(),
];

pub(crate) struct ParseVersion;

impl Family for ParseVersion {
    fn name(&self) -> &'static str {
        "parse_version"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let sep = VERSION_SEPARATORS[d[0]];
        let n = d[1] + 2;
        let (function_name, p) = (VERSION_NAMES[d[2]], VERSION_PARAMS[d[3]]);
        let case = |parts: &[&str]| {
            let mut values: Vec<PyValue> = parts
                .iter()
                .map(|part| PyValue::Int(part.parse().expect("generated parts parse")))
                .collect();
            while values.len() < n {
                values.push(PyValue::Int(0));
            }
            text_case(&parts.join(sep), PyValue::Tuple(values))
        };
        let examples = vec![
            case(&["2", "5"]),
            case(&["10", "0", "3", "1", "8"]),
            case(&["7"]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(&["0"]), case(&["1", "02", "3"])];
        for _ in 0..6 {
            let count = rng.int(1, 5) as usize;
            let parts: Vec<String> = (0..count).map(|_| rng.int(0, 20).to_string()).collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            hidden.push(case(&parts));
        }
        let q = quoted(sep);
        let eg = quoted(&["1", "4", "2"].join(sep));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} is a version made of non-negative integers separated by {q}, \
                 such as {eg}. Return a tuple of ints with one item per part, padded with zeros \
                 at the end to at least {n} items (longer versions keep all their parts)."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["parsing".into(), "tuples".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    parts = [int(x) for x in {p}.split({q})]\n    \
                 while len(parts) < {n}:\n        parts.append(0)\n    return tuple(parts)\n"
            ),
        }
    }
}
