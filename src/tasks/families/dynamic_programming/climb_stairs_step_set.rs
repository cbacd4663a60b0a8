//! `climb_stairs_step_set`: ordered ways to climb n stairs with allowed step sizes.

use super::list_literal;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const STEP_SETS: &[&[i64]] = &[
    &[1, 2],
    &[1, 3],
    &[2, 3],
    &[1, 2, 3],
    &[1, 4],
    &[2, 5],
    &[1, 3, 5],
    &[2, 3, 4],
    &[1, 5],
    &[3, 4],
    &[1, 2, 4],
    &[2, 7],
    &[1, 6],
    &[3, 5],
    &[1, 2, 5],
    &[2, 3, 5],
    &[4, 5],
    &[1, 4, 5],
    &[2, 4, 5],
    &[1, 2, 6],
];

/// Step sets, function names.
const RADICES: &[usize] = &[20, 3];

pub(crate) struct ClimbStairsStepSet;

impl Family for ClimbStairsStepSet {
    fn name(&self) -> &'static str {
        "climb_stairs_step_set"
    }
    fn category(&self) -> Category {
        Category::DynamicProgramming
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let steps = STEP_SETS[d[0]];
        let name = ["count_climbs", "stair_ways", "climb_ways"][d[1]];
        let p = "n";
        let case = |n: i64| {
            let mut ways = vec![0i64; n as usize + 1];
            ways[0] = 1;
            for i in 1..=n as usize {
                ways[i] = steps
                    .iter()
                    .filter(|&&s| s as usize <= i)
                    .map(|&s| ways[i - s as usize])
                    .sum();
            }
            Case::new(vec![PyValue::Int(n)], ways[n as usize])
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(steps[0] + 1)];
        for _ in 0..5 {
            hidden.push(case(rng.int(2, 35)));
        }
        let sl = list_literal(steps);
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the number of different ordered sequences of steps, each step climbing a number of stairs from {sl}, that climb exactly {p} stairs; {p} = 0 has one way (taking no steps)."
            ),
            difficulty: Difficulty::Medium,
            tags: &["dynamic-programming"],
            examples: vec![case(4), case(7), case(10), case(14)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    ways = [1] + [0] * {p}\n    for i in range(1, {p} + 1):\n        ways[i] = sum(ways[i - s] for s in {sl} if s <= i)\n    return ways[{p}]\n"
            ),
        }
        .finish()
    }
}
