//! `flatten_one_level`: flatten a list of lists one level, with a separator value between
//! consecutive inner lists.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const FLATTEN_NAMES: &[&str] = &["flatten_one_level", "join_groups", "flatten_with_separator"];
const FLATTEN_SEPARATORS: &[i64] = &[0, -1, 1, 5, 7, 9, 42, 99, 100, -100];
const GROUP_PARAMS: &[&str] = &["groups", "lists"];

/// Separator values, function names, parameter names.
const RADICES: &[usize] = &[
    FLATTEN_SEPARATORS.len(),
    FLATTEN_NAMES.len(),
    GROUP_PARAMS.len(),
];

pub(crate) struct FlattenOneLevel;

impl Family for FlattenOneLevel {
    fn name(&self) -> &'static str {
        "flatten_one_level"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let sep = FLATTEN_SEPARATORS[d[0]];
        let (function_name, p) = (FLATTEN_NAMES[d[1]], GROUP_PARAMS[d[2]]);
        let case = |groups: Vec<Vec<i64>>| {
            let mut flat = Vec::new();
            for (i, group) in groups.iter().enumerate() {
                if i > 0 {
                    flat.push(sep);
                }
                flat.extend(group);
            }
            let arg = PyValue::List(groups.iter().map(|g| PyValue::ints(g)).collect());
            Case::new(vec![arg], PyValue::ints(&flat))
        };
        let examples = vec![
            case(vec![vec![1, 2], vec![3]]),
            case(vec![vec![4], vec![], vec![5, 6]]),
            case(vec![vec![8, 9]]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![]]), case(vec![vec![], vec![]])];
        for _ in 0..5 {
            let count = rng.int(1, 4) as usize;
            let groups = (0..count)
                .map(|_| {
                    let len = rng.below(4);
                    rng.ints(len, 0, 20)
                })
                .collect();
            hidden.push(case(groups));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Flatten {p}, a list of lists of ints, one level into a single list, inserting \
                 the value {sep} between consecutive inner lists the way str.join puts a \
                 separator between strings (so [[1], [], [2]] gives [1, {sep}, {sep}, 2]). An \
                 empty list gives []."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["lists".into(), "nesting".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    result = []\n    \
                 for i, group in enumerate({p}):\n        if i:\n            \
                 result.append({sep})\n        result.extend(group)\n    return result\n"
            ),
        }
    }
}
