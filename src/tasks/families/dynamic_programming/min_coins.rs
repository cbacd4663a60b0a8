//! `min_coins`: fewest coins from a fixed set making an amount, or -1.

use super::list_literal;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const COIN_SETS: &[&[i64]] = &[
    &[1, 5, 10, 25],
    &[1, 3, 4],
    &[2, 5],
    &[3, 7],
    &[1, 5, 7],
    &[4, 9],
    &[2, 3, 7],
    &[5, 10, 20],
    &[1, 7, 10],
    &[6, 9, 20],
    &[3, 5],
    &[2, 7, 11],
    &[1, 4, 6, 9],
    &[5, 8],
    &[4, 5, 6],
    &[3, 10, 12],
    &[1, 2, 5],
    &[7, 11, 13],
    &[2, 9],
    &[6, 10, 15],
];

/// Coin sets, function names, parameter names.
const RADICES: &[usize] = &[20, 3, 2];

pub(crate) struct MinCoins;

impl Family for MinCoins {
    fn name(&self) -> &'static str {
        "min_coins"
    }
    fn category(&self) -> Category {
        Category::DynamicProgramming
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let coins = COIN_SETS[d[0]];
        let name = ["min_coins", "fewest_coins", "coin_change"][d[1]];
        let p = ["amount", "target"][d[2]];
        let best = |amount: i64| -> Vec<Option<i64>> {
            let mut best = vec![None; amount as usize + 1];
            best[0] = Some(0);
            for total in 1..=amount as usize {
                best[total] = coins
                    .iter()
                    .filter(|&&c| c as usize <= total)
                    .filter_map(|&c| best[total - c as usize])
                    .min()
                    .map(|m| m + 1);
            }
            best
        };
        let case = |amount: i64| {
            let answer = best(amount)[amount as usize].unwrap_or(-1);
            Case::new(vec![PyValue::Int(amount)], answer)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        // The largest unreachable amount up to 40 (if any), so -1 is tested where possible.
        let table = best(40);
        let unreachable = (1..=40).rev().find(|&a| table[a as usize].is_none());
        let mut hidden = vec![case(0), case(unreachable.unwrap_or(1))];
        for _ in 0..6 {
            hidden.push(case(rng.int(1, 60)));
        }
        let cl = list_literal(coins);
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the minimum number of coins with values from {cl} (each value may be used any number of times) that add up to exactly {p}, or -1 if that is impossible; {p} = 0 needs 0 coins."
            ),
            difficulty: Difficulty::Medium,
            tags: &["dynamic-programming"],
            examples: vec![case(11), case(2 * coins[coins.len() - 1]), case(23), case(1)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    inf = float('inf')\n    best = [0] + [inf] * {p}\n    for total in range(1, {p} + 1):\n        for coin in {cl}:\n            if coin <= total:\n                best[total] = min(best[total], best[total - coin] + 1)\n    return best[{p}] if best[{p}] != inf else -1\n"
            ),
        }
        .finish()
    }
}
