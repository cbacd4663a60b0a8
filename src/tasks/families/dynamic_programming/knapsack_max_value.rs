//! `knapsack_max_value`: 0/1 knapsack best value under a capacity.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Capacities 5..=24, function names.
const RADICES: &[usize] = &[20, 3];

pub(crate) struct KnapsackMaxValue;

impl Family for KnapsackMaxValue {
    fn name(&self) -> &'static str {
        "knapsack_max_value"
    }
    fn category(&self) -> Category {
        Category::DynamicProgramming
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let cap = d[0] + 5;
        let name = ["knapsack", "best_value", "max_loot"][d[1]];
        let p = "items";
        let case = |items: Vec<(i64, i64)>| {
            let mut best = vec![0i64; cap + 1];
            for &(w, v) in &items {
                for c in (w as usize..=cap).rev() {
                    best[c] = best[c].max(best[c - w as usize] + v);
                }
            }
            let arg = PyValue::List(
                items
                    .iter()
                    .map(|&(w, v)| PyValue::Tuple(vec![PyValue::Int(w), PyValue::Int(v)]))
                    .collect(),
            );
            Case::new(vec![arg], best[cap])
        };
        let c = cap as i64;
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![(c + 1, 10)]), case(vec![(c, 7)])];
        for _ in 0..5 {
            let n = rng.below(7) + 1;
            let items = (0..n).map(|_| (rng.int(1, 10), rng.int(1, 30))).collect();
            hidden.push(case(items));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of (weight, value) tuples of positive integers. Choosing each item at most once and keeping the total weight at most {cap}, return the largest total value possible (0 if nothing fits)."
            ),
            difficulty: Difficulty::Hard,
            tags: &["dynamic-programming"],
            examples: vec![
                case(vec![(3, 4), (4, 5), (2, 3)]),
                case(vec![(5, 10), (4, 40), (6, 30), (3, 50)]),
                case(vec![(c + 2, 100), (1, 1)]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    best = [0] * ({cap} + 1)\n    for weight, value in {p}:\n        for c in range({cap}, weight - 1, -1):\n            best[c] = max(best[c], best[c - weight] + value)\n    return best[{cap}]\n"
            ),
        }
        .finish()
    }
}
