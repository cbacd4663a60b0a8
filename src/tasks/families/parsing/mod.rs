//! Parsing families: structured text (integer lists, key=value lists, versions, Roman numerals,
//! CSV rows, durations) turned into Python values, with the separators and units spelled out in
//! the prompt.

mod parse_csv_row;
mod parse_duration;
mod parse_int_list;
mod parse_key_values;
mod parse_version;
mod roman_to_int;

pub(super) use parse_csv_row::ParseCsvRow;
pub(super) use parse_duration::ParseDuration;
pub(super) use parse_int_list::ParseIntList;
pub(super) use parse_key_values::ParseKeyValues;
pub(super) use parse_version::ParseVersion;
pub(super) use roman_to_int::RomanToInt;

// Parsing tasks take one string, as string tasks do, and share their helpers.
use super::strings::{TEXT_PARAMS, quoted, text_case};
