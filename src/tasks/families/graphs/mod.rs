//! Graph families: shortest paths on a grid, connected components and topological order, with
//! the moves, sizes and tie-breaks spelled out in the prompt.

mod components_with_min_size;
mod grid_shortest_path;
mod topological_order_ranked;

pub(super) use components_with_min_size::ComponentsWithMinSize;
pub(super) use grid_shortest_path::GridShortestPath;
pub(super) use topological_order_ranked::TopologicalOrderRanked;
