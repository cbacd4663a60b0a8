//! `chunk_list`: split a list into consecutive chunks of n elements.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Chunk sizes 2..=11, function names, parameter names.
const RADICES: &[usize] = &[10, 3, 2];

pub(crate) struct ChunkList;

impl Family for ChunkList {
    fn name(&self) -> &'static str {
        "chunk_list"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
