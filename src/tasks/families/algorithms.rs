//! Classic algorithm families: recursion, dynamic programming, binary search and bracket
//! matching here; graphs, grids, intervals and matrices in `algorithms_graphs.rs`.

use super::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

#[path = "algorithms_graphs.rs"]
mod graphs;

pub(super) static FAMILIES: &[&dyn Family] = &[
    &FlattenToDepth,
    &CountSubsetsWithSum,
    &HanoiMoves,
    &PartitionsWithMaxPart,
    &MinCoins,
    &LongestIncreasingByStep,
    &WeightedEditDistance,
    &ClimbStairsStepSet,
    &KnapsackMaxValue,
    &SearchSortedOccurrence,
    &BalancedBracketSet,
    &graphs::GridShortestPath,
    &graphs::ComponentsWithMinSize,
    &graphs::TopologicalOrderRanked,
    &graphs::MergeIntervalsWithGap,
    &graphs::CoveredLengthInWindow,
    &graphs::RotateMatrixTimes,
    &graphs::SpiralOrderFromCorner,
    &graphs::DiagonalSumOffset,
];

/// A value of a nested integer list: an integer or a list of such values.
#[derive(Debug, Clone)]
enum Nested {
    Int(i64),
    List(Vec<Nested>),
}

impl Nested {
    fn to_py(&self) -> PyValue {
        match self {
            Nested::Int(n) => PyValue::Int(*n),
            Nested::List(items) => nested_py(items),
        }
    }
}

fn nested_py(items: &[Nested]) -> PyValue {
    PyValue::List(items.iter().map(Nested::to_py).collect())
}

/// Splices lists into their parent up to `depth` levels down (JavaScript's `flat(depth)`).
fn flatten(items: &[Nested], depth: usize) -> Vec<Nested> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Nested::List(inner) if depth > 0 => out.extend(flatten(inner, depth - 1)),
            other => out.push(other.clone()),
        }
    }
    out
}

/// A random nested list with up to four items per list and at most `depth` levels of lists.
fn random_nested(rng: &mut Rng, depth: usize) -> Vec<Nested> {
    let len = rng.below(5);
    (0..len)
        .map(|_| {
            if depth > 0 && rng.chance(40) {
                Nested::List(random_nested(rng, depth - 1))
            } else {
                Nested::Int(rng.int(-9, 30))
            }
        })
        .collect()
}

/// `flatten_to_depth`: splice nested lists into their parents up to d levels deep.
struct FlattenToDepth;
family!(FlattenToDepth, "flatten_to_depth", Recursion);

impl FlattenToDepth {
    // Depths 2..=6, function names, parameter names.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        use Nested::{Int as I, List as L};
        let dec = decode(index, Self::RADICES);
        let d = dec[0] + 2;
        let name = ["flatten_to_depth", "flatten_levels", "flat_depth", "unnest"][dec[1]];
        let p = ["items", "nested", "data"][dec[2]];
        let case =
            |items: Vec<Nested>| Case::new(vec![nested_py(&items)], nested_py(&flatten(&items, d)));
        // [1, [2, [3, [4, [5, [6, [7, [8]]]]]]], 9]: each depth leaves a different tail.
        let mut chain = L(vec![I(8)]);
        for v in (2..=7).rev() {
            chain = L(vec![I(v), chain]);
        }
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(vec![]),
            case(vec![I(5)]),
            case(vec![L(vec![]), L(vec![L(vec![])])]),
        ];
        for _ in 0..5 {
            hidden.push(case(random_nested(&mut rng, d + 2)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list whose items are integers or lists built the same way. Flatten it {d} levels deep: every list nested at most {d} levels inside {p} (its own items are at level 1) is replaced by its items, in order, while lists nested more deeply stay lists. Return the new list without modifying {p}."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "lists"],
            examples: vec![
                case(vec![I(1), chain, I(9)]),
                case(vec![L(vec![I(1), I(2)]), L(vec![L(vec![I(3)])]), I(4), L(vec![])]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    def go(xs, depth):\n        out = []\n        for x in xs:\n            if isinstance(x, list) and depth > 0:\n                out.extend(go(x, depth - 1))\n            else:\n                out.append(x)\n        return out\n\n    return go({p}, {d})\n"
            ),
        }
        .finish()
    }
}

/// `count_subsets_with_sum`: how many subsets (by position) sum to a target.
struct CountSubsetsWithSum;
family!(CountSubsetsWithSum, "count_subsets_with_sum", Recursion);

impl CountSubsetsWithSum {
    // Targets -5..=14, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let t = d[0] as i64 - 5;
        let name = ["count_subsets", "subset_sum_count", "ways_to_sum"][d[1]];
        let p = ["values", "nums"][d[2]];
        let case = |v: Vec<i64>| {
            // Brute force over bitmasks: lists stay at most 10 long.
            let count = (0u32..1 << v.len())
                .filter(|mask| {
                    let sum: i64 = (0..v.len())
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| v[i])
                        .sum();
                    sum == t
                })
                .count() as i64;
            Case::new(vec![PyValue::ints(&v)], count)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t]), case(vec![t, 0, t])];
        for _ in 0..5 {
            let len = rng.below(10) + 1;
            hidden.push(case(rng.ints(len, -4, 8)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return how many subsets of {p} have elements adding up to exactly {t}. Elements are told apart by position (equal values at different positions give different subsets), and the empty subset, whose sum is 0, counts too."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "backtracking"],
            examples: vec![
                case(vec![1, 2, 3, 4, 5]),
                case(vec![3, -2, -3, 5, -5, 1]),
                case(vec![t]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    def count(i, remaining):\n        if i == len({p}):\n            return 1 if remaining == 0 else 0\n        return count(i + 1, remaining) + count(i + 1, remaining - {p}[i])\n\n    return count(0, {t})\n"
            ),
        }
        .finish()
    }
}

/// `hanoi_moves`: the move list solving Tower of Hanoi between named pegs.
struct HanoiMoves;
family!(HanoiMoves, "hanoi_moves", Recursion);

impl HanoiMoves {
    /// (source, target, spare) as indices into a label set.
    const PEG_ORDERS: [(usize, usize, usize); 6] = [
        (0, 2, 1),
        (0, 1, 2),
        (1, 0, 2),
        (1, 2, 0),
        (2, 0, 1),
        (2, 1, 0),
    ];
    // Peg orders, label sets, function names.
    const RADICES: &'static [usize] = &[6, 3, 4];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let (src, dst, via) = Self::PEG_ORDERS[d[0]];
        let labels: [PyValue; 3] = match d[1] {
            0 => ["A", "B", "C"].map(PyValue::str),
            1 => ["left", "middle", "right"].map(PyValue::str),
            _ => [1, 2, 3].map(PyValue::Int),
        };
        let name = ["hanoi_moves", "tower_of_hanoi", "solve_hanoi", "hanoi_plan"][d[2]];
        let p = "n";
        let lit = |i: usize| labels[i].to_python();
        fn solve(k: i64, from: usize, to: usize, spare: usize, out: &mut Vec<(usize, usize)>) {
            if k > 0 {
                solve(k - 1, from, spare, to, out);
                out.push((from, to));
                solve(k - 1, spare, to, from, out);
            }
        }
        let case = |n: i64| {
            let mut moves = Vec::new();
            solve(n, src, dst, via, &mut moves);
            let expected = PyValue::List(
                moves
                    .into_iter()
                    .map(|(a, b)| PyValue::Tuple(vec![labels[a].clone(), labels[b].clone()]))
                    .collect(),
            );
            Case::new(vec![PyValue::Int(n)], expected)
        };
        // The input space is tiny, so the hidden cases are simply every n up to 6.
        let hidden = (0..=6).map(case).collect();
        let (s, t, v) = (lit(src), lit(dst), lit(via));
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Solve the Tower of Hanoi for {p} disks (n >= 0) stacked on peg {s}: move them all to peg {t}, using peg {v} as the spare, one disk at a time and never putting a larger disk on a smaller one. Return the shortest sequence of moves as a list of (from_peg, to_peg) tuples."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion"],
            examples: vec![case(1), case(2)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    moves = []\n\n    def solve(k, src, dst, via):\n        if k == 0:\n            return\n        solve(k - 1, src, via, dst)\n        moves.append((src, dst))\n        solve(k - 1, via, dst, src)\n\n    solve({p}, {s}, {t}, {v})\n    return moves\n"
            ),
        }
        .finish()
    }
}

/// `partitions_with_max_part`: partitions of n into parts no larger than k.
struct PartitionsWithMaxPart;
family!(PartitionsWithMaxPart, "partitions_with_max_part", Recursion);

impl PartitionsWithMaxPart {
    // Largest parts 2..=13, function names, parameter names.
    const RADICES: &'static [usize] = &[12, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let k = d[0] + 2;
        let name = ["count_partitions", "partition_count", "ways_to_split"][d[1]];
        let p = NUMBER_NAMES[d[2]];
        let case = |n: i64| {
            let n_us = n as usize;
            let mut ways = vec![0i64; n_us + 1];
            ways[0] = 1;
            for part in 1..=k {
                for total in part..=n_us {
                    ways[total] += ways[total - part];
                }
            }
            Case::new(vec![PyValue::Int(n)], ways[n_us])
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(1), case(k as i64), case(k as i64 + 1)];
        for _ in 0..4 {
            hidden.push(case(rng.int(2, 60)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the number of ways to write the non-negative integer {p} as a sum of positive integers that are each at most {k}, ignoring order (1 + 2 and 2 + 1 are the same way); 0 has exactly one way, the empty sum."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "dynamic-programming", "math"],
            examples: vec![case(5), case(10), case(4)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    ways = [1] + [0] * {p}\n    for part in range(1, {k} + 1):\n        for total in range(part, {p} + 1):\n            ways[total] += ways[total - part]\n    return ways[{p}]\n"
            ),
        }
        .finish()
    }
}

/// Names an integer parameter may take.
const NUMBER_NAMES: &[&str] = &["n", "number"];

/// A list literal such as `[1, 5, 7]`.
fn list_literal(values: &[i64]) -> String {
    PyValue::ints(values).to_python()
}

/// `min_coins`: fewest coins from a fixed set making an amount, or -1.
struct MinCoins;
family!(MinCoins, "min_coins", Algorithms);

impl MinCoins {
    const COIN_SETS: &'static [&'static [i64]] = &[
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
    // Coin sets, function names, parameter names.
    const RADICES: &'static [usize] = &[20, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let coins = Self::COIN_SETS[d[0]];
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

/// `longest_increasing_by_step`: longest subsequence rising by at least d each step.
struct LongestIncreasingByStep;
family!(
    LongestIncreasingByStep,
    "longest_increasing_by_step",
    Algorithms
);

impl LongestIncreasingByStep {
    // Minimum rises 1..=10, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let dec = decode(index, Self::RADICES);
        let d = dec[0] as i64 + 1;
        let name = ["longest_rising", "lis_with_step", "longest_climb"][dec[1]];
        let p = ["values", "nums"][dec[2]];
        let case = |v: Vec<i64>| {
            let mut best = vec![1i64; v.len()];
            for i in 0..v.len() {
                for j in 0..i {
                    if v[i] - v[j] >= d {
                        best[i] = best[i].max(best[j] + 1);
                    }
                }
            }
            Case::new(vec![PyValue::ints(&v)], best.into_iter().max().unwrap_or(0))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![4]), case(vec![4, 4, 4])];
        for _ in 0..5 {
            let len = rng.below(10) + 2;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the length of the longest subsequence of {p} (elements kept in their original order, not necessarily adjacent) in which every element is at least {d} greater than the element before it; an empty list gives 0."
            ),
            difficulty: Difficulty::Medium,
            tags: &["dynamic-programming", "lists"],
            examples: vec![
                case(vec![1, 5, 2, 8, 3, 12, 20]),
                case(vec![10, 9, 8]),
                case(vec![0, 3, 6, 9, 12, 15, 30]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    best = [1] * len({p})\n    for i in range(len({p})):\n        for j in range(i):\n            if {p}[i] - {p}[j] >= {d}:\n                best[i] = max(best[i], best[j] + 1)\n    return max(best, default=0)\n"
            ),
        }
        .finish()
    }
}

/// `weighted_edit_distance`: edit distance with given insert/delete/replace costs.
struct WeightedEditDistance;
family!(WeightedEditDistance, "weighted_edit_distance", Algorithms);

impl WeightedEditDistance {
    // Insert, delete and replace costs 1..=3 each, function names.
    const RADICES: &'static [usize] = &[3, 3, 3, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let (ins, del, sub) = (d[0] as i64 + 1, d[1] as i64 + 1, d[2] as i64 + 1);
        let name = ["edit_cost", "transform_cost", "min_edit_cost"][d[3]];
        let case = |a: &str, b: &str| {
            let (a_chars, b_chars): (Vec<char>, Vec<char>) =
                (a.chars().collect(), b.chars().collect());
            let mut row: Vec<i64> = (0..=b_chars.len() as i64).map(|j| j * ins).collect();
            for (i, ca) in a_chars.iter().enumerate() {
                let mut next = vec![(i as i64 + 1) * del];
                for (j, cb) in b_chars.iter().enumerate() {
                    let replace = row[j] + if ca == cb { 0 } else { sub };
                    next.push(replace.min(row[j + 1] + del).min(next[j] + ins));
                }
                row = next;
            }
            Case::new(vec![PyValue::str(a), PyValue::str(b)], row[b_chars.len()])
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("", ""), case("same", "same"), case("ab", "ba")];
        for _ in 0..5 {
            let (la, lb) = (rng.below(7), rng.below(7));
            let (a, b) = (rng.string(la, "abc"), rng.string(lb, "abc"));
            hidden.push(case(&a, &b));
        }
        Draft {
            function_name: name.into(),
            params: vec!["a", "b"],
            description: format!(
                "Return the minimum total cost of turning the string a into the string b, where inserting one character costs {ins}, deleting one character costs {del} and replacing one character by a different one costs {sub}."
            ),
            difficulty: Difficulty::Hard,
            tags: &["dynamic-programming", "strings"],
            examples: vec![
                case("kitten", "sitting"),
                case("abc", ""),
                case("", "xy"),
                case("flaw", "lawn"),
            ],
            hidden,
            reference: format!(
                "def {name}(a, b):\n    row = [j * {ins} for j in range(len(b) + 1)]\n    for i, ca in enumerate(a, 1):\n        nxt = [i * {del}]\n        for j, cb in enumerate(b, 1):\n            nxt.append(min(row[j - 1] + (0 if ca == cb else {sub}), row[j] + {del}, nxt[j - 1] + {ins}))\n        row = nxt\n    return row[-1]\n"
            ),
        }
        .finish()
    }
}

/// `climb_stairs_step_set`: ordered ways to climb n stairs with allowed step sizes.
struct ClimbStairsStepSet;
family!(ClimbStairsStepSet, "climb_stairs_step_set", Algorithms);

impl ClimbStairsStepSet {
    const STEP_SETS: &'static [&'static [i64]] = &[
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
    // Step sets, function names.
    const RADICES: &'static [usize] = &[20, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let steps = Self::STEP_SETS[d[0]];
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

/// `knapsack_max_value`: 0/1 knapsack best value under a capacity.
struct KnapsackMaxValue;
family!(KnapsackMaxValue, "knapsack_max_value", Algorithms);

impl KnapsackMaxValue {
    // Capacities 5..=24, function names.
    const RADICES: &'static [usize] = &[20, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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

/// `search_sorted_occurrence`: binary search for the first/last index of a target.
struct SearchSortedOccurrence;
family!(
    SearchSortedOccurrence,
    "search_sorted_occurrence",
    Algorithms
);

impl SearchSortedOccurrence {
    // Sort order, first or last occurrence, value when absent, function names, parameter names.
    const RADICES: &'static [usize] = &[2, 2, 2, 4, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let descending = d[0] == 1;
        let last = d[1] == 1;
        let absent = [PyValue::Int(-1), PyValue::None][d[2]].clone();
        let al = absent.to_python();
        let name = ["find_index", "search_sorted", "locate", "binary_find"][d[3]];
        let (p, t) = [("values", "target"), ("arr", "x")][d[4]];
        let case = |v: Vec<i64>, target: i64| {
            let mut hits = (0..v.len()).filter(|&i| v[i] == target);
            let hit = if last { hits.next_back() } else { hits.next() };
            Case::new(
                vec![PyValue::ints(&v), PyValue::Int(target)],
                hit.map_or(absent.clone(), |i| PyValue::Int(i as i64)),
            )
        };
        let sorted = |mut v: Vec<i64>| {
            v.sort_unstable();
            if descending {
                v.reverse();
            }
            v
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![], 3), case(vec![3], 3), case(vec![3], 4)];
        for i in 0..5 {
            let len = rng.below(10) + 1;
            let v = sorted(rng.ints(len, -5, 8));
            // Alternate a target that occurs with one that may not.
            let target = if i % 2 == 0 {
                v[rng.below(len)]
            } else {
                rng.int(-6, 9)
            };
            hidden.push(case(v, target));
        }
        // The search narrows to the first index where `cond` fails; the first occurrence sits
        // there, the last one just before it.
        let cond = match (descending, last) {
            (false, false) => "<",
            (false, true) => "<=",
            (true, false) => ">",
            (true, true) => ">=",
        };
        let (pos, found) = if last {
            ("lo - 1", format!("lo > 0 and {p}[lo - 1] == {t}"))
        } else {
            ("lo", format!("lo < len({p}) and {p}[lo] == {t}"))
        };
        Draft {
            function_name: name.into(),
            params: vec![p, t],
            description: format!(
                "{p} is a list of integers sorted in {} order (it may contain duplicates). Return the index of the {} occurrence of {t} in {p}, or {al} if {t} does not occur. Use binary search.",
                if descending { "descending" } else { "ascending" },
                if last { "last" } else { "first" },
            ),
            difficulty: Difficulty::Medium,
            tags: &["binary-search", "lists"],
            examples: vec![
                case(sorted(vec![1, 2, 2, 2, 5, 7]), 2),
                case(sorted(vec![1, 2, 2, 2, 5, 7]), 6),
                case(sorted(vec![4, 4, 9]), 9),
            ],
            hidden,
            reference: format!(
                "def {name}({p}, {t}):\n    lo, hi = 0, len({p})\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if {p}[mid] {cond} {t}:\n            lo = mid + 1\n        else:\n            hi = mid\n    return {pos} if {found} else {al}\n"
            ),
        }
        .finish()
    }
}

/// `balanced_bracket_set`: are the brackets of a given subset of kinds balanced?
struct BalancedBracketSet;
family!(BalancedBracketSet, "balanced_bracket_set", Algorithms);

impl BalancedBracketSet {
    const PAIRS: [(char, char); 4] = [('(', ')'), ('[', ']'), ('{', '}'), ('<', '>')];
    // Non-empty subsets of the four bracket kinds, function names, parameter names.
    const RADICES: &'static [usize] = &[15, 2, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let mask = d[0] + 1;
        let pairs: Vec<(char, char)> = (0..4)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| Self::PAIRS[i])
            .collect();
        // Bracket kinds outside the set: ordinary characters for this task.
        let others: String = (0..4)
            .filter(|i| mask & (1 << i) == 0)
            .flat_map(|i| [Self::PAIRS[i].0, Self::PAIRS[i].1])
            .collect();
        let name = ["is_balanced", "brackets_match"][d[1]];
        let p = ["s", "text"][d[2]];
        let balanced = |s: &str| {
            let mut stack = Vec::new();
            for ch in s.chars() {
                if let Some(&(open, _)) = pairs.iter().find(|(_, close)| *close == ch) {
                    if stack.pop() != Some(open) {
                        return false;
                    }
                } else if pairs.iter().any(|(open, _)| *open == ch) {
                    stack.push(ch);
                }
            }
            stack.is_empty()
        };
        let case = |s: String| {
            let ok = balanced(&s);
            Case::new(vec![PyValue::Str(s)], ok)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let noise: Vec<char> = format!("ab{others}").chars().collect();
        let mut hidden = vec![case(String::new()), case(pairs[0].0.to_string())];
        for i in 0..6 {
            let mut chars: Vec<char> = Vec::new();
            random_balanced(&mut rng, &pairs, &noise, 3, &mut chars);
            // Every other case is corrupted: a bracket dropped, or two characters swapped.
            if i % 2 == 1 && chars.len() >= 2 {
                let at = rng.below(chars.len() - 1);
                if rng.chance(50) {
                    chars.remove(at);
                } else {
                    chars.swap(at, at + 1);
                }
            }
            hidden.push(case(chars.into_iter().collect()));
        }
        let (o1, c1) = pairs[0];
        let (o2, c2) = pairs[pairs.len() - 1];
        let noisy = others.chars().next().unwrap_or('x');
        let pl = PyValue::strs(
            &pairs
                .iter()
                .map(|(o, c)| format!("{o}{c}"))
                .collect::<Vec<_>>(),
        )
        .to_python();
        let opens: String = pairs.iter().map(|(o, _)| *o).collect();
        let closes = pairs
            .iter()
            .map(|(o, c)| format!("'{c}': '{o}'"))
            .collect::<Vec<_>>()
            .join(", ");
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return True if the brackets in the string {p} are balanced, where the bracket pairs are {pl} and every other character (including any other kind of bracket) is ignored. Balanced means each closing bracket matches the most recent unmatched opening bracket, and no opening bracket is left unmatched."
            ),
            difficulty: Difficulty::Medium,
            tags: &["stacks", "strings"],
            examples: vec![
                case(format!("{o1}a{o2}{c2}{c1}")),
                case(format!("{c1}{o1}")),
                case(format!("{noisy}{o2}x{c2}{o1}{c1}")),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    closers = {{{closes}}}\n    stack = []\n    for ch in {p}:\n        if ch in '{opens}':\n            stack.append(ch)\n        elif ch in closers:\n            if not stack or stack[-1] != closers[ch]:\n                return False\n            stack.pop()\n    return not stack\n"
            ),
        }
        .finish()
    }
}

/// Appends a random balanced bracket sequence over `pairs`, sprinkled with `noise` characters.
fn random_balanced(
    rng: &mut Rng,
    pairs: &[(char, char)],
    noise: &[char],
    depth: usize,
    out: &mut Vec<char>,
) {
    for _ in 0..rng.below(3) + 1 {
        if rng.chance(30) {
            out.push(*rng.pick(noise));
        }
        let (open, close) = *rng.pick(pairs);
        out.push(open);
        if depth > 0 && rng.chance(50) {
            random_balanced(rng, pairs, noise, depth - 1, out);
        }
        out.push(close);
    }
}
