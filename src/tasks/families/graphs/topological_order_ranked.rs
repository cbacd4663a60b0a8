//! `topological_order_ranked`: Kahn's order with smallest/largest-label tie-break.

use std::collections::BTreeSet;

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Tie-break, first label (0 or 1), value for a cycle, function names, parameter names.
const RADICES: &[usize] = &[2, 2, 2, 4, 2];

pub(crate) struct TopologicalOrderRanked;

impl Family for TopologicalOrderRanked {
    fn name(&self) -> &'static str {
        "topological_order_ranked"
    }
    fn category(&self) -> Category {
        Category::Graphs
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
