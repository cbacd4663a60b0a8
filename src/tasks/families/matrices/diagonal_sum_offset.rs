//! `diagonal_sum_offset`: the sum of the diagonal with j - i == k.

use super::{MATRIX_NAMES, counting_matrix, random_matrix};
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Offsets -5..=5, function names, parameter names.
const RADICES: &[usize] = &[11, 3, 2];

pub(crate) struct DiagonalSumOffset;

impl Family for DiagonalSumOffset {
    fn name(&self) -> &'static str {
        "diagonal_sum_offset"
    }
    fn category(&self) -> Category {
        Category::Matrices
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let k = d[0] as i64 - 5;
        let name = ["diagonal_sum", "sum_diagonal", "offset_diagonal_sum"][d[1]];
        let p = MATRIX_NAMES[d[2]];
        let case = |m: Vec<Vec<i64>>| {
            let sum: i64 = m
                .iter()
                .enumerate()
                .flat_map(|(i, row)| {
                    row.iter()
                        .enumerate()
                        .filter(move |(j, _)| *j as i64 - i as i64 == k)
                        .map(|(_, v)| *v)
                })
                .sum();
            Case::new(vec![PyValue::int_lists(&m)], sum)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(vec![]),
            case(vec![vec![5]]),
            case(vec![
                vec![1, 2, 3],
                vec![4],
                vec![5, 6, 7, 8],
                vec![],
                vec![9, 9, 9, 9, 9, 9],
            ]),
        ];
        for _ in 0..6 {
            let (rows, cols) = (rng.below(6) + 1, rng.below(6) + 1);
            hidden.push(case(random_matrix(&mut rng, rows, cols, -9, 9)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of rows of integers (possibly empty, rows possibly of different lengths). Return the sum of the entries {p}[i][j] whose column index minus row index is {k}, that is j - i == {k} (0 if there are none)."
            ),
            difficulty: Difficulty::Easy,
            tags: &["matrices"],
            examples: vec![
                case(counting_matrix(3, 3)),
                case(counting_matrix(4, 4)),
                case(counting_matrix(6, 6)),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    return sum(row[i + {k}] for i, row in enumerate({p}) if 0 <= i + {k} < len(row))\n"
            ),
        }
        .finish()
    }
}
