//! Matrix families: rotation, spiral traversal and diagonal sums over lists of rows.

mod diagonal_sum_offset;
mod rotate_matrix_times;
mod spiral_order_from_corner;

pub(super) use diagonal_sum_offset::DiagonalSumOffset;
pub(super) use rotate_matrix_times::RotateMatrixTimes;
pub(super) use spiral_order_from_corner::SpiralOrderFromCorner;

use crate::tasks::families::Rng;

/// Names a matrix parameter may take.
const MATRIX_NAMES: &[&str] = &["matrix", "grid", "m"];

/// A random `rows` x `cols` matrix with entries in `lo..=hi`.
fn random_matrix(rng: &mut Rng, rows: usize, cols: usize, lo: i64, hi: i64) -> Vec<Vec<i64>> {
    (0..rows).map(|_| rng.ints(cols, lo, hi)).collect()
}

/// The matrix with rows `1..=cols`, `cols+1..=2*cols`, ... (easy to follow in examples).
fn counting_matrix(rows: usize, cols: usize) -> Vec<Vec<i64>> {
    (0..rows)
        .map(|r| (1..=cols).map(|c| (r * cols + c) as i64).collect())
        .collect()
}
