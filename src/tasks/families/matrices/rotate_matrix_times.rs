//! `rotate_matrix_times`: rotate a matrix clockwise k quarter turns.

use super::{MATRIX_NAMES, counting_matrix, random_matrix};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Quarter-turn counts; multiples of 4 are left out (they return the input unchanged).
const TURNS: [usize; 12] = [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15];

/// Turn counts, function names, parameter names.
const RADICES: &[usize] = &[12, 3, 2];

pub(crate) struct RotateMatrixTimes;

impl Family for RotateMatrixTimes {
    fn name(&self) -> &'static str {
        "rotate_matrix_times"
    }
    fn category(&self) -> Category {
        Category::Matrices
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = TURNS[d[0]];
        let name = ["rotate_matrix", "rotate_clockwise", "turn_matrix"][d[1]];
        let p = MATRIX_NAMES[d[2]];
        let case = |m: Vec<Vec<i64>>| {
            let mut out = m.clone();
            for _ in 0..k {
                out = rotate_clockwise(&out);
            }
            Case::new(vec![PyValue::int_lists(&m)], PyValue::int_lists(&out))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![vec![7]])];
        for _ in 0..7 {
            let (rows, cols) = (rng.below(4) + 1, rng.below(4) + 1);
            hidden.push(case(random_matrix(&mut rng, rows, cols, 0, 20)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a non-empty list of equal-length rows of integers (a matrix, not necessarily square). Rotate it 90 degrees clockwise {k} times and return the result as a new list of lists."
            ),
            difficulty: Difficulty::Medium,
            tags: &["matrices"],
            examples: vec![case(counting_matrix(2, 2)), case(counting_matrix(2, 3))],
            hidden,
            reference: format!(
                "def {name}({p}):\n    result = [list(row) for row in {p}]\n    for _ in range({k}):\n        result = [list(row) for row in zip(*result[::-1])]\n    return result\n"
            ),
        }
        .finish()
    }
}

/// Rotates a matrix 90 degrees clockwise.
fn rotate_clockwise(m: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let (rows, cols) = (m.len(), m[0].len());
    (0..cols)
        .map(|c| (0..rows).rev().map(|r| m[r][c]).collect())
        .collect()
}
