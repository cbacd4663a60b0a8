//! Graph, grid, interval and matrix families (a submodule of `algorithms.rs`, which registers
//! them and defines the `family!` macro used here).

use std::collections::{BTreeSet, VecDeque};

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

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

/// `grid_shortest_path`: BFS distance between grid corners with a given move set.
pub(super) struct GridShortestPath;
family!(GridShortestPath, "grid_shortest_path", Algorithms);

impl GridShortestPath {
    const MOVE_SETS: [&'static [(i64, i64)]; 3] = [
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
    // Move sets, wall characters, value when unreachable, function names.
    const RADICES: &'static [usize] = &[3, 4, 2, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let moves = Self::MOVE_SETS[d[0]];
        let wall = Self::WALLS[d[1]];
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

/// `components_with_min_size`: connected components with at least m nodes.
pub(super) struct ComponentsWithMinSize;
family!(
    ComponentsWithMinSize,
    "components_with_min_size",
    Algorithms
);

impl ComponentsWithMinSize {
    // Minimum sizes 1..=5, function names, parameter-name pairs.
    const RADICES: &'static [usize] = &[5, 4, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let m = d[0] + 1;
        let name = [
            "count_components",
            "component_count",
            "big_components",
            "count_clusters",
        ][d[1]];
        let (n, e) = [("n", "edges"), ("num_nodes", "edges"), ("n", "links")][d[2]];
        let case = |count: usize, edges: Vec<Vec<i64>>| {
            let mut parent: Vec<usize> = (0..count).collect();
            fn find(parent: &mut [usize], x: usize) -> usize {
                let mut root = x;
                while parent[root] != root {
                    root = parent[root];
                }
                parent[x] = root;
                root
            }
            for edge in &edges {
                let (a, b) = (
                    find(&mut parent, edge[0] as usize),
                    find(&mut parent, edge[1] as usize),
                );
                parent[a] = b;
            }
            let mut sizes = vec![0usize; count];
            for x in 0..count {
                sizes[find(&mut parent, x)] += 1;
            }
            let big = sizes.iter().filter(|&&s| s >= m).count() as i64;
            Case::new(
                vec![PyValue::Int(count as i64), PyValue::int_lists(&edges)],
                big,
            )
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0, vec![]), case(1, vec![vec![0, 0]])];
        for _ in 0..6 {
            let count = rng.below(9) + 1;
            let edges = (0..rng.below(count + 1))
                .map(|_| vec![rng.below(count) as i64, rng.below(count) as i64])
                .collect();
            hidden.push(case(count, edges));
        }
        let chain = (0..5).map(|i| vec![i, i + 1]).collect();
        Draft {
            function_name: name.into(),
            params: vec![n, e],
            description: format!(
                "Return the number of connected components with at least {m} nodes in the undirected graph whose nodes are 0, 1, ..., {n} - 1 and whose edges are the [u, v] pairs in {e} (self-loops and repeated edges may appear)."
            ),
            difficulty: Difficulty::Medium,
            tags: &["graphs", "union-find"],
            examples: vec![
                case(
                    8,
                    vec![vec![0, 1], vec![1, 2], vec![3, 4], vec![4, 5], vec![6, 7]],
                ),
                case(5, vec![vec![0, 1], vec![1, 2], vec![3, 4]]),
                case(6, vec![vec![0, 1], vec![0, 2], vec![0, 3], vec![4, 4]]),
                case(7, chain),
            ],
            hidden,
            reference: format!(
                "def {name}({n}, {e}):\n    parent = list(range({n}))\n\n    def find(x):\n        while parent[x] != x:\n            parent[x] = parent[parent[x]]\n            x = parent[x]\n        return x\n\n    for u, v in {e}:\n        parent[find(u)] = find(v)\n    sizes = {{}}\n    for x in range({n}):\n        root = find(x)\n        sizes[root] = sizes.get(root, 0) + 1\n    return sum(1 for size in sizes.values() if size >= {m})\n"
            ),
        }
        .finish()
    }
}

/// `topological_order_ranked`: Kahn's order with smallest/largest-label tie-break.
pub(super) struct TopologicalOrderRanked;
family!(
    TopologicalOrderRanked,
    "topological_order_ranked",
    Algorithms
);

impl TopologicalOrderRanked {
    // Tie-break, first label (0 or 1), value for a cycle, function names, parameter names.
    const RADICES: &'static [usize] = &[2, 2, 2, 4, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let largest = d[0] == 1;
        let base = d[1] as i64;
        let cyclic = [PyValue::List(vec![]), PyValue::None][d[2]].clone();
        let cl = cyclic.to_python();
        let name = ["task_order", "schedule_tasks", "topo_order", "build_order"][d[3]];
        let (n, e) = [("n", "deps"), ("count", "before")][d[4]];
        // Pairs are written relative to label 0 and shifted by `base`.
        let case = |count: i64, pairs: Vec<(i64, i64)>| {
            let mut indegree = vec![0usize; count as usize];
            for &(_, b) in &pairs {
                indegree[b as usize] += 1;
            }
            let mut ready: BTreeSet<i64> =
                (0..count).filter(|&t| indegree[t as usize] == 0).collect();
            let mut order = Vec::new();
            while let Some(t) = if largest {
                ready.pop_last()
            } else {
                ready.pop_first()
            } {
                order.push(t + base);
                for &(a, b) in &pairs {
                    if a == t {
                        indegree[b as usize] -= 1;
                        if indegree[b as usize] == 0 {
                            ready.insert(b);
                        }
                    }
                }
            }
            let expected = if order.len() == count as usize {
                PyValue::ints(&order)
            } else {
                cyclic.clone()
            };
            let shifted: Vec<Vec<i64>> = pairs
                .iter()
                .map(|&(a, b)| vec![a + base, b + base])
                .collect();
            Case::new(
                vec![PyValue::Int(count), PyValue::int_lists(&shifted)],
                expected,
            )
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0, vec![]), case(1, vec![])];
        for i in 0..6 {
            let count = rng.below(7) + 2;
            let mut perm: Vec<i64> = (0..count as i64).collect();
            rng.shuffle(&mut perm);
            let mut pairs = Vec::new();
            for x in 0..count {
                for y in x + 1..count {
                    if rng.chance(30) {
                        pairs.push((perm[x], perm[y]));
                    }
                }
            }
            // Every third case gets a reversed copy of one pair: a guaranteed cycle.
            if i % 3 == 2 {
                let (a, b) = pairs.first().copied().unwrap_or((perm[0], perm[1]));
                pairs.push((a, b));
                pairs.push((b, a));
            }
            rng.shuffle(&mut pairs);
            hidden.push(case(count as i64, pairs));
        }
        let (lo, hi) = if base == 0 {
            ("0".to_string(), format!("{n} - 1"))
        } else {
            ("1".to_string(), n.to_string())
        };
        let labels = if base == 0 {
            format!("range({n})")
        } else {
            format!("range(1, {n} + 1)")
        };
        let sign = if largest { "-" } else { "" };
        Draft {
            function_name: name.into(),
            params: vec![n, e],
            description: format!(
                "There are {n} tasks labelled {lo} to {hi}, and each pair [a, b] in {e} means task a must be done before task b. Return a list of all the tasks in an order that respects every pair, always taking the {} label among the tasks whose predecessors are all done; if the pairs contain a cycle, return {cl}.",
                if largest { "largest" } else { "smallest" }
            ),
            difficulty: Difficulty::Hard,
            tags: &["graphs", "topological-sort", "heaps"],
            examples: vec![
                case(4, vec![(2, 0), (3, 1), (0, 1)]),
                case(3, vec![(0, 1), (1, 2), (2, 0)]),
                case(3, vec![]),
            ],
            hidden,
            reference: format!(
                "def {name}({n}, {e}):\n    import heapq\n\n    after = {{t: [] for t in {labels}}}\n    indegree = {{t: 0 for t in {labels}}}\n    for a, b in {e}:\n        after[a].append(b)\n        indegree[b] += 1\n    ready = [{sign}t for t in {labels} if indegree[t] == 0]\n    heapq.heapify(ready)\n    order = []\n    while ready:\n        t = {sign}heapq.heappop(ready)\n        order.append(t)\n        for nxt in after[t]:\n            indegree[nxt] -= 1\n            if indegree[nxt] == 0:\n                heapq.heappush(ready, {sign}nxt)\n    return order if len(order) == {n} else {cl}\n"
            ),
        }
        .finish()
    }
}

/// Random `[start, end]` intervals (start <= end) with starts in `lo..=hi`.
fn random_intervals(rng: &mut Rng, max_count: usize, lo: i64, hi: i64) -> Vec<Vec<i64>> {
    (0..rng.below(max_count + 1))
        .map(|_| {
            let start = rng.int(lo, hi);
            vec![start, start + rng.int(0, 8)]
        })
        .collect()
}

/// `merge_intervals_with_gap`: merge intervals overlapping or separated by at most g.
pub(super) struct MergeIntervalsWithGap;
family!(
    MergeIntervalsWithGap,
    "merge_intervals_with_gap",
    Algorithms
);

impl MergeIntervalsWithGap {
    // Gaps 0..=9, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let g = d[0] as i64;
        let name = [
            "merge_intervals",
            "merge_close_intervals",
            "coalesce_intervals",
        ][d[1]];
        let p = ["intervals", "spans"][d[2]];
        let case = |intervals: Vec<Vec<i64>>| {
            let mut sorted = intervals.clone();
            sorted.sort();
            let mut merged: Vec<Vec<i64>> = Vec::new();
            for iv in sorted {
                match merged.last_mut() {
                    Some(last) if iv[0] <= last[1] + g => last[1] = last[1].max(iv[1]),
                    _ => merged.push(iv),
                }
            }
            Case::new(
                vec![PyValue::int_lists(&intervals)],
                PyValue::int_lists(&merged),
            )
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![4, 4]])];
        for _ in 0..6 {
            hidden.push(case(random_intervals(&mut rng, 7, -10, 25)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of [start, end] integer pairs with start <= end, in any order. Merge intervals that overlap or are separated by a gap of at most {g}: after sorting by start, an interval is merged into the previous merged interval [s, e] when its start is at most e + {g}. Return the merged intervals as a list of [start, end] lists sorted by start."
            ),
            difficulty: Difficulty::Medium,
            tags: &["intervals", "sorting"],
            examples: vec![
                case(vec![vec![8, 10], vec![1, 3], vec![2, 6], vec![15, 18]]),
                case(vec![vec![5, 7], vec![1, 2]]),
                case(vec![vec![0, 0], vec![g + 1, g + 3], vec![20, 30]]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    merged = []\n    for start, end in sorted({p}):\n        if merged and start <= merged[-1][1] + {g}:\n            merged[-1][1] = max(merged[-1][1], end)\n        else:\n            merged.append([start, end])\n    return merged\n"
            ),
        }
        .finish()
    }
}

/// `covered_length_in_window`: length of the union of intervals inside a window.
pub(super) struct CoveredLengthInWindow;
family!(
    CoveredLengthInWindow,
    "covered_length_in_window",
    Algorithms
);

impl CoveredLengthInWindow {
    const WINDOWS: [(i64, i64); 10] = [
        (0, 10),
        (0, 20),
        (-5, 5),
        (-10, 10),
        (3, 15),
        (-20, 0),
        (5, 25),
        (0, 50),
        (-8, 12),
        (10, 30),
    ];
    // Windows, function names, parameter names.
    const RADICES: &'static [usize] = &[10, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let (lo, hi) = Self::WINDOWS[d[0]];
        let name = ["covered_length", "union_length", "coverage"][d[1]];
        let p = ["intervals", "spans"][d[2]];
        let case = |intervals: Vec<Vec<i64>>| {
            // Clip to the window, then sum the lengths of the merged pieces.
            let mut clipped: Vec<(i64, i64)> = intervals
                .iter()
                .map(|iv| (iv[0].max(lo), iv[1].min(hi)))
                .filter(|(s, e)| s < e)
                .collect();
            clipped.sort_unstable();
            let mut total = 0;
            let mut current: Option<(i64, i64)> = None;
            for (s, e) in clipped {
                current = match current {
                    Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                    Some((cs, ce)) => {
                        total += ce - cs;
                        Some((s, e))
                    }
                    None => Some((s, e)),
                };
            }
            if let Some((cs, ce)) = current {
                total += ce - cs;
            }
            Case::new(vec![PyValue::int_lists(&intervals)], total)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![lo - 4, hi + 4]])];
        for _ in 0..6 {
            hidden.push(case(random_intervals(&mut rng, 6, lo - 10, hi + 2)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list of [start, end] integer pairs with start <= end, each covering the points x with start <= x <= end. Return the total length of the part of the segment [{lo}, {hi}] covered by at least one interval (overlapping parts count once)."
            ),
            difficulty: Difficulty::Medium,
            tags: &["intervals", "sorting"],
            examples: vec![
                case(vec![vec![lo + 1, lo + 3], vec![lo + 2, lo + 6], vec![lo + 8, lo + 10]]),
                case(vec![vec![lo - 5, lo + 2], vec![hi - 1, hi + 4]]),
                case(vec![vec![lo - 3, lo - 1]]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    total, reach = 0, {lo}\n    for start, end in sorted({p}):\n        start, end = max(start, reach), min(end, {hi})\n        if start < end:\n            total += end - start\n            reach = end\n    return total\n"
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

/// `rotate_matrix_times`: rotate a matrix clockwise k quarter turns.
pub(super) struct RotateMatrixTimes;
family!(RotateMatrixTimes, "rotate_matrix_times", Algorithms);

impl RotateMatrixTimes {
    /// Quarter-turn counts; multiples of 4 are left out (they return the input unchanged).
    const TURNS: [usize; 12] = [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15];
    // Turn counts, function names, parameter names.
    const RADICES: &'static [usize] = &[12, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
        let k = Self::TURNS[d[0]];
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

/// `spiral_order_from_corner`: spiral traversal from a given corner and direction.
pub(super) struct SpiralOrderFromCorner;
family!(
    SpiralOrderFromCorner,
    "spiral_order_from_corner",
    Algorithms
);

impl SpiralOrderFromCorner {
    const CORNERS: [&'static str; 4] = ["top-left", "top-right", "bottom-right", "bottom-left"];
    // Start corners, direction, function names, parameter names.
    const RADICES: &'static [usize] = &[4, 2, 3, 3];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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
                Self::CORNERS[corner],
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

/// `diagonal_sum_offset`: the sum of the diagonal with j - i == k.
pub(super) struct DiagonalSumOffset;
family!(DiagonalSumOffset, "diagonal_sum_offset", Algorithms);

impl DiagonalSumOffset {
    // Offsets -5..=5, function names, parameter names.
    const RADICES: &'static [usize] = &[11, 3, 2];

    fn spec(&self, index: usize) -> TaskSpec {
        let d = decode(index, Self::RADICES);
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
