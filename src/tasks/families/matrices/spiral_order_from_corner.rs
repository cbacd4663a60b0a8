//! `spiral_order_from_corner`: spiral traversal from a given corner and direction.

use super::{MATRIX_NAMES, counting_matrix, random_matrix};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const CORNERS: [&str; 4] = ["top-left", "top-right", "bottom-right", "bottom-left"];

/// Start corners, direction, function names, parameter names.
const RADICES: &[usize] = &[4, 2, 3, 3];

pub(crate) struct SpiralOrderFromCorner;

impl Family for SpiralOrderFromCorner {
    fn name(&self) -> &'static str {
        "spiral_order_from_corner"
    }
    fn category(&self) -> Category {
        Category::Matrices
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let corner = d[0];
        let ccw = d[1] == 1;
        let name = ["spiral_order", "spiral_walk", "spiral_elements"][d[2]];
        let p = MATRIX_NAMES[d[3]];
        let case = |m: Vec<Vec<i64>>| {
            let order = spiral(&m, corner, ccw);
            Case::new(vec![PyValue::int_lists(&m)], PyValue::ints(&order))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![vec![5]]), case(vec![vec![1, 2, 3, 4]])];
        for _ in 0..6 {
            let (rows, cols) = (rng.below(4) + 1, rng.below(5) + 1);
            hidden.push(case(random_matrix(&mut rng, rows, cols, 0, 40)));
        }
        let start = ["0, 0", "0, cols - 1", "rows - 1, cols - 1", "rows - 1, 0"][corner];
        let first_dir = if ccw { (corner + 1) % 4 } else { corner };
        let turn = if ccw { 3 } else { 1 };
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the elements of {p}, a non-empty list of equal-length rows, as a flat list in spiral order: start at the {} corner, walk {} along the outer border, and keep turning inward so that every element is visited exactly once.",
                CORNERS[corner],
                if ccw { "counter-clockwise" } else { "clockwise" }
            ),
            difficulty: Difficulty::Hard,
            tags: &["matrices", "simulation"],
            examples: vec![case(counting_matrix(3, 3)), case(counting_matrix(3, 2))],
            hidden,
            reference: format!(
                "def {name}({p}):\n    rows, cols = len({p}), len({p}[0])\n    dirs = [(0, 1), (1, 0), (0, -1), (-1, 0)]\n    r, c = {start}\n    d = {first_dir}\n    seen = set()\n    out = []\n    for _ in range(rows * cols):\n        out.append({p}[r][c])\n        seen.add((r, c))\n        nr, nc = r + dirs[d][0], c + dirs[d][1]\n        if not (0 <= nr < rows and 0 <= nc < cols) or (nr, nc) in seen:\n            d = (d + {turn}) % 4\n            nr, nc = r + dirs[d][0], c + dirs[d][1]\n        r, c = nr, nc\n    return out\n"
            ),
        }
        .finish()
    }
}

/// Walks a matrix in spiral order from a corner: `corner` 0..4 is top-left, top-right,
/// bottom-right, bottom-left; the walk goes clockwise unless `ccw`.
fn spiral(m: &[Vec<i64>], corner: usize, ccw: bool) -> Vec<i64> {
    // Directions in clockwise order: right, down, left, up.
    const DIRS: [(i64, i64); 4] = [(0, 1), (1, 0), (0, -1), (-1, 0)];
    let (rows, cols) = (m.len() as i64, m[0].len() as i64);
    let (mut r, mut c) = [(0, 0), (0, cols - 1), (rows - 1, cols - 1), (rows - 1, 0)][corner];
    // Walking along the border: clockwise from the top-left goes right, counter-clockwise down.
    let mut dir = if ccw { (corner + 1) % 4 } else { corner };
    let turn = if ccw { 3 } else { 1 };
    let mut seen = vec![vec![false; cols as usize]; rows as usize];
    let mut out = Vec::new();
    for _ in 0..rows * cols {
        out.push(m[r as usize][c as usize]);
        seen[r as usize][c as usize] = true;
        let blocked = |dir: usize| {
            let (nr, nc) = (r + DIRS[dir].0, c + DIRS[dir].1);
            !(0..rows).contains(&nr) || !(0..cols).contains(&nc) || seen[nr as usize][nc as usize]
        };
        if blocked(dir) {
            dir = (dir + turn) % 4;
        }
        r += DIRS[dir].0;
        c += DIRS[dir].1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::spiral;

    #[test]
    fn spiral_walks_from_every_corner() {
        let m = vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]];
        assert_eq!(spiral(&m, 0, false), [1, 2, 3, 6, 9, 8, 7, 4, 5]);
        assert_eq!(spiral(&m, 0, true), [1, 4, 7, 8, 9, 6, 3, 2, 5]);
        assert_eq!(spiral(&m, 1, false), [3, 6, 9, 8, 7, 4, 1, 2, 5]);
        assert_eq!(spiral(&m, 2, true), [9, 6, 3, 2, 1, 4, 7, 8, 5]);
        assert_eq!(spiral(&m, 3, false), [7, 4, 1, 2, 3, 6, 9, 8, 5]);
        let row = vec![vec![1, 2, 3]];
        assert_eq!(spiral(&row, 0, true), [1, 2, 3]);
        assert_eq!(spiral(&row, 2, false), [3, 2, 1]);
    }
}
