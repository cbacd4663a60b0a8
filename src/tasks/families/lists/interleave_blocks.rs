//! `interleave_blocks`: interleave two lists in blocks of n, appending the leftovers.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Block sizes 1..=5, which list goes first, function names, parameter names.
const RADICES: &[usize] = &[5, 2, 3, 2];

pub(crate) struct InterleaveBlocks;

impl Family for InterleaveBlocks {
    fn name(&self) -> &'static str {
        "interleave_blocks"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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

/// A random list whose length is drawn from `0..=max_len`.
fn random_list(rng: &mut Rng, max_len: usize, lo: i64, hi: i64) -> Vec<i64> {
    let len = rng.below(max_len + 1);
    rng.ints(len, lo, hi)
}
