//! `grid_shortest_path`: BFS distance between grid corners with a given move set.

use std::collections::VecDeque;

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const MOVE_SETS: [&[(i64, i64)]; 3] = [
    &[(-1, 0), (1, 0), (0, -1), (0, 1)],
    &[
        (-1, -1),
        (-1, 0),
        (-1, 1),
        (0, -1),
        (0, 1),
        (1, -1),
        (1, 0),
        (1, 1),
    ],
    &[
        (-2, -1),
        (-2, 1),
        (-1, -2),
        (-1, 2),
        (1, -2),
        (1, 2),
        (2, -1),
        (2, 1),
    ],
];
const WALLS: [char; 4] = ['#', 'X', '*', '@'];

/// Move sets, wall characters, value when unreachable, function names.
const RADICES: &[usize] = &[3, 4, 2, 3];

pub(crate) struct GridShortestPath;

impl Family for GridShortestPath {
    fn name(&self) -> &'static str {
        "grid_shortest_path"
    }
    fn category(&self) -> Category {
        Category::Graphs
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let moves = MOVE_SETS[d[0]];
        let wall = WALLS[d[1]];
        let unreachable = [PyValue::Int(-1), PyValue::None][d[2]].clone();
        let ul = unreachable.to_python();
        let name = ["shortest_path_length", "grid_distance", "min_moves"][d[3]];
        let p = "grid";
        let case = |rows: Vec<String>| {
            let cells: Vec<Vec<char>> = rows.iter().map(|r| r.chars().collect()).collect();
            let (h, w) = (cells.len() as i64, cells[0].len() as i64);
            let open = |r: i64, c: i64| {
                (0..h).contains(&r) && (0..w).contains(&c) && {
                    cells[r as usize][c as usize] != wall
                }
            };
            let mut dist = vec![vec![-1i64; w as usize]; h as usize];
            let mut queue = VecDeque::new();
            if open(0, 0) && open(h - 1, w - 1) {
                dist[0][0] = 0;
                queue.push_back((0i64, 0i64));
            }
            while let Some((r, c)) = queue.pop_front() {
                for &(dr, dc) in moves {
                    let (nr, nc) = (r + dr, c + dc);
                    if open(nr, nc) && dist[nr as usize][nc as usize] < 0 {
                        dist[nr as usize][nc as usize] = dist[r as usize][c as usize] + 1;
                        queue.push_back((nr, nc));
                    }
                }
            }
            let end = dist[h as usize - 1][w as usize - 1];
            let expected = if end >= 0 {
                PyValue::Int(end)
            } else {
                unreachable.clone()
            };
            Case::new(vec![PyValue::strs(&rows)], expected)
        };
        // Grids drawn with '#' for walls, then switched to this variant's wall character.
        let grid = |rows: &[&str]| -> Vec<String> {
            rows.iter()
                .map(|r| r.replace('#', &wall.to_string()))
                .collect()
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(grid(&["."])), case(grid(&["#..", "...", "..."]))];
        for _ in 0..6 {
            let (h, w) = (rng.below(4) + 2, rng.below(4) + 2);
            let mut rows: Vec<Vec<char>> = (0..h)
                .map(|_| {
                    (0..w)
                        .map(|_| if rng.chance(30) { wall } else { '.' })
                        .collect()
                })
                .collect();
            rows[0][0] = '.';
            rows[h - 1][w - 1] = '.';
            hidden.push(case(rows.into_iter().map(String::from_iter).collect()));
        }
        let ml = format!(
            "[{}]",
            moves
                .iter()
                .map(|(a, b)| format!("({a}, {b})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a non-empty list of equal-length strings; the character '{wall}' marks a wall and every other character is an open cell. Starting at the top-left cell, each move adds one of the (row, column) offsets {ml} and must land on an open cell inside the grid. Return the minimum number of moves needed to reach the bottom-right cell, or {ul} if it cannot be reached (including when either corner is a wall)."
            ),
            difficulty: Difficulty::Hard,
            tags: &["graphs", "bfs", "grids"],
            examples: vec![
                case(grid(&["...", ".#.", "..."])),
                case(grid(&[".#..", "....", "..#."])),
                case(grid(&[".#", "#."])),
                case(grid(&["....."])),
                case(grid(&["..", ".#"])),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    from collections import deque\n\n    moves = {ml}\n    rows, cols = len({p}), len({p}[0])\n    if {p}[0][0] == '{wall}' or {p}[rows - 1][cols - 1] == '{wall}':\n        return {ul}\n    dist = {{(0, 0): 0}}\n    queue = deque([(0, 0)])\n    while queue:\n        r, c = queue.popleft()\n        if (r, c) == (rows - 1, cols - 1):\n            return dist[(r, c)]\n        for dr, dc in moves:\n            nr, nc = r + dr, c + dc\n            if 0 <= nr < rows and 0 <= nc < cols and {p}[nr][nc] != '{wall}' and (nr, nc) not in dist:\n                dist[(nr, nc)] = dist[(r, c)] + 1\n                queue.append((nr, nc))\n    return {ul}\n"
            ),
        }
        .finish()
    }
}
