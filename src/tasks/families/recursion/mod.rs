//! Recursion families: nested lists, subset counting, Tower of Hanoi and integer partitions,
//! whose natural solutions call themselves.

mod count_subsets_with_sum;
mod flatten_to_depth;
mod hanoi_moves;
mod partitions_with_max_part;

pub(super) use count_subsets_with_sum::CountSubsetsWithSum;
pub(super) use flatten_to_depth::FlattenToDepth;
pub(super) use hanoi_moves::HanoiMoves;
pub(super) use partitions_with_max_part::PartitionsWithMaxPart;
