//! String families: counting, replacing, padding, case conversion, encoding and wrapping text,
//! palindromes and bracket matching, each parametrized by the characters, widths or shifts its
//! prompt spells out. Also the helpers for a single string argument, which the parsing families
//! share.

mod balanced_bracket_set;
mod caesar_shift;
mod count_chars_in_set;
mod count_substring;
mod is_palindrome_alnum;
mod keep_long_words;
mod pad_left;
mod remove_chars;
mod replace_char;
mod reverse_each_word;
mod run_length_encode;
mod snake_to_camel;
mod truncate_text;
mod wrap_text;

pub(super) use balanced_bracket_set::BalancedBracketSet;
pub(super) use caesar_shift::CaesarShift;
pub(super) use count_chars_in_set::CountCharsInSet;
pub(super) use count_substring::CountSubstring;
pub(super) use is_palindrome_alnum::IsPalindromeAlnum;
pub(super) use keep_long_words::KeepLongWords;
pub(super) use pad_left::PadLeft;
pub(super) use remove_chars::RemoveChars;
pub(super) use replace_char::ReplaceChar;
pub(super) use reverse_each_word::ReverseEachWord;
pub(super) use run_length_encode::RunLengthEncode;
pub(super) use snake_to_camel::SnakeToCamel;
pub(super) use truncate_text::TruncateText;
pub(super) use wrap_text::WrapText;

use crate::tasks::families::Case;
use crate::tasks::pyvalue::PyValue;

/// Parameter names for a family's single string argument.
pub(super) const TEXT_PARAMS: &[&str] = &["text", "s"];

/// A Python string literal as `repr` writes it, so prompts and solutions quote alike.
pub(super) fn quoted(s: &str) -> String {
    PyValue::str(s).to_python()
}

/// A case calling the function with one string argument.
pub(super) fn text_case(text: &str, expected: impl Into<PyValue>) -> Case {
    Case::new(vec![PyValue::str(text)], expected)
}
