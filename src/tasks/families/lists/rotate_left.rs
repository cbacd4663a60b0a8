//! `rotate_left`: rotate a list left by a fixed number of positions, wrapping around.
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::ORIGINAL_LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const ROTATE_NAMES: &[&str] = &["rotate_left", "rotate_list_left", "shift_left"];

/// Shifts 1..=10, function names, parameter names.
const RADICES: &[usize] = &[10, ROTATE_NAMES.len(), ORIGINAL_LIST_NAMES.len()];

pub(crate) struct RotateLeft;

impl Family for RotateLeft {
    fn name(&self) -> &'static str {
        "rotate_left"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] + 1;
        let (function_name, p) = (ROTATE_NAMES[d[1]], ORIGINAL_LIST_NAMES[d[2]]);
        let case = |v: Vec<i64>| {
            let s = if v.is_empty() { 0 } else { k % v.len() };
            let rotated = [&v[s..], &v[..s]].concat();
            Case::new(vec![PyValue::ints(&v)], PyValue::ints(&rotated))
        };
        // The first example must actually move elements, so its length must not divide k.
        let first_len = if k % 5 == 0 { 6 } else { 5 };
        let examples = vec![
            case((1..=first_len).collect()),
            case(vec![10, 20, 30]),
            case(vec![]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![rng.int(-9, 9)])];
        for _ in 0..7 {
            let len = rng.int(2, 12) as usize;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return a new list with the elements of the list {p} rotated left by a shift of \
                 {k}: the elements before index {k} move to the end, keeping their order. If \
                 the length of {p} is {k} or less, shift by {k} modulo the length instead. An \
                 empty list gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["lists".into(), "slicing".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if not {p}:\n        return []\n    \
                 k = {k} % len({p})\n    return {p}[k:] + {p}[:k]\n"
            ),
        }
    }
}
