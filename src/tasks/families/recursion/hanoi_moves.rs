//! `hanoi_moves`: the move list solving Tower of Hanoi between named pegs.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// (source, target, spare) as indices into a label set.
const PEG_ORDERS: [(usize, usize, usize); 6] = [
    (0, 2, 1),
    (0, 1, 2),
    (1, 0, 2),
    (1, 2, 0),
    (2, 0, 1),
    (2, 1, 0),
];

/// Peg orders, label sets, function names.
const RADICES: &[usize] = &[6, 3, 4];

pub(crate) struct HanoiMoves;

impl Family for HanoiMoves {
    fn name(&self) -> &'static str {
        "hanoi_moves"
    }
    fn category(&self) -> Category {
        Category::Recursion
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (src, dst, via) = PEG_ORDERS[d[0]];
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
