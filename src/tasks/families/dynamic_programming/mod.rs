//! Dynamic-programming families: coin change, increasing subsequences, weighted edit distance,
//! stair climbing and the 0/1 knapsack, with the coins, costs and step sets spelled out in the
//! prompt.

mod climb_stairs_step_set;
mod knapsack_max_value;
mod longest_increasing_by_step;
mod min_coins;
mod weighted_edit_distance;

pub(super) use climb_stairs_step_set::ClimbStairsStepSet;
pub(super) use knapsack_max_value::KnapsackMaxValue;
pub(super) use longest_increasing_by_step::LongestIncreasingByStep;
pub(super) use min_coins::MinCoins;
pub(super) use weighted_edit_distance::WeightedEditDistance;

use crate::tasks::pyvalue::PyValue;

/// A list literal such as `[1, 5, 7]`.
fn list_literal(values: &[i64]) -> String {
    PyValue::ints(values).to_python()
}
