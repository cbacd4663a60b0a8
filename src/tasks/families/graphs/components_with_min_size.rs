//! `components_with_min_size`: connected components with at least m nodes.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Minimum sizes 1..=5, function names, parameter-name pairs.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct ComponentsWithMinSize;

impl Family for ComponentsWithMinSize {
    fn name(&self) -> &'static str {
        "components_with_min_size"
    }
    fn category(&self) -> Category {
        Category::Graphs
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
