//! `keep_multiples`: the elements divisible by k, in order.

use super::LIST_NAMES;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Divisors 2..=13, function names, parameter names.
const RADICES: &[usize] = &[12, 3, 2];

pub(crate) struct KeepMultiples;

impl Family for KeepMultiples {
    fn name(&self) -> &'static str {
        "keep_multiples"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
