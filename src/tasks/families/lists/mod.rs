//! List families: filtering, chunking, rotating, windows, running totals, deduplication,
//! frequency ranking and searching, each parametrized by the constants its prompt spells out.

mod chunk_list;
mod count_in_range;
mod dedupe_preserve;
mod flatten_one_level;
mod gap_differences;
mod interleave_blocks;
mod keep_multiples;
mod kth_largest_distinct;
mod rotate_left;
mod running_total_from;
mod search_sorted_occurrence;
mod sum_above_threshold;
mod top_k_frequent;
mod two_sum_indices;
mod window_sums;

pub(super) use chunk_list::ChunkList;
pub(super) use count_in_range::CountInRange;
pub(super) use dedupe_preserve::DedupePreserve;
pub(super) use flatten_one_level::FlattenOneLevel;
pub(super) use gap_differences::GapDifferences;
pub(super) use interleave_blocks::InterleaveBlocks;
pub(super) use keep_multiples::KeepMultiples;
pub(super) use kth_largest_distinct::KthLargestDistinct;
pub(super) use rotate_left::RotateLeft;
pub(super) use running_total_from::RunningTotalFrom;
pub(super) use search_sorted_occurrence::SearchSortedOccurrence;
pub(super) use sum_above_threshold::SumAboveThreshold;
pub(super) use top_k_frequent::TopKFrequent;
pub(super) use two_sum_indices::TwoSumIndices;
pub(super) use window_sums::WindowSums;

/// Names a list parameter may take (the dict families use them too).
pub(super) const LIST_NAMES: &[&str] = &["values", "nums", "items"];

/// Names the original project's list families (`rotate_left`, `dedupe_preserve`) give their
/// argument.
const ORIGINAL_LIST_NAMES: &[&str] = &["values", "items"];
