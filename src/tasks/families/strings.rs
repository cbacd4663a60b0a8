//! String families: counting, replacing, padding, case conversion, encoding and wrapping text,
//! each parametrized by the characters, widths or shifts its prompt spells out. The parsing
//! families live in `strings_parse.rs` and are registered here.

#[path = "strings_parse.rs"]
mod parse;

use super::{Case, Category, Family, Rng, TaskSpec, decode};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

pub(super) static FAMILIES: &[&dyn Family] = &[
    &CountCharsInSet,
    &ReplaceChar,
    &RemoveChars,
    &PadLeft,
    &CountSubstring,
    &KeepLongWords,
    &ReverseEachWord,
    &TruncateText,
    &CaesarShift,
    &RunLengthEncode,
    &SnakeToCamel,
    &WrapText,
    &parse::ParseKeyValues,
    &parse::ParseVersion,
    &parse::RomanToInt,
    &parse::ParseCsvRow,
    &parse::ParseDuration,
];

/// Parameter names for a family's single string argument.
const TEXT_PARAMS: &[&str] = &["text", "s"];

/// A Python string literal as `repr` writes it, so prompts and solutions quote alike.
fn quoted(s: &str) -> String {
    PyValue::str(s).to_python()
}

/// A case calling the function with one string argument.
fn text_case(text: &str, expected: impl Into<PyValue>) -> Case {
    Case::new(vec![PyValue::str(text)], expected)
}

/// Decodes the common layout `[choices, function names, parameter names]`.
fn pick3<'a>(
    index: usize,
    choices: usize,
    names: &[&'a str],
    params: &[&'static str],
) -> (usize, &'a str, &'static str) {
    let d = decode(index, &[choices, names.len(), params.len()]);
    (d[0], names[d[1]], params[d[2]])
}

const COUNT_SETS: &[&str] = &[
    "aeiou",
    "xyz",
    "0123456789",
    ".,!?",
    "abc",
    " ",
    "AEIOU",
    "aeiouAEIOU",
    "-_",
    "mn",
    "e",
    "qwerty",
];
const COUNT_NAMES: &[&str] = &[
    "count_chars_in_set",
    "count_matching_chars",
    "count_from_set",
];

/// `count_chars_in_set`: how many characters of a string belong to a given set.
struct CountCharsInSet;

impl Family for CountCharsInSet {
    fn name(&self) -> &'static str {
        "count_chars_in_set"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        COUNT_SETS.len() * COUNT_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, COUNT_SETS.len(), COUNT_NAMES, TEXT_PARAMS);
        let set = COUNT_SETS[c];
        let chars: Vec<char> = set.chars().collect();
        let case = |text: &str| {
            let n = text.chars().filter(|ch| set.contains(*ch)).count() as i64;
            text_case(text, n)
        };
        let (first, last) = (chars[0], chars[chars.len() - 1]);
        let examples = vec![
            case(&format!("{first}Hi{last}{first} ok")),
            // None of the sets holds these capitals, so the count is 0.
            case("BGHK"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let alphabet = format!("{set}{set}bdfhkpATZ 7.,");
        let mut hidden = vec![case(""), case(&set.repeat(2))];
        for _ in 0..6 {
            let len = rng.int(1, 14) as usize;
            hidden.push(case(&rng.string(len, &alphabet)));
        }
        let q = quoted(set);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return how many characters of the string {p} are one of the characters in {q}, \
                 counting every occurrence (the match is case-sensitive)."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "counting".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return sum(1 for c in {p} if c in {q})\n"
            ),
        }
    }
}

const REPLACE_PAIRS: &[(char, char)] = &[
    (' ', '_'),
    ('a', '4'),
    ('e', '3'),
    ('o', '0'),
    ('.', ','),
    (',', ';'),
    ('-', ' '),
    ('_', ' '),
    ('x', '*'),
    ('!', '?'),
    ('s', '$'),
    ('i', '1'),
    (':', '='),
    ('t', '7'),
    ('l', '|'),
    ('|', '/'),
    ('#', '@'),
    ('a', 'A'),
    ('b', 'p'),
    ('/', '-'),
];
const REPLACE_NAMES: &[&str] = &["replace_char", "swap_char", "substitute_char"];

/// `replace_char`: replace every occurrence of one given character by another.
struct ReplaceChar;

impl Family for ReplaceChar {
    fn name(&self) -> &'static str {
        "replace_char"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        REPLACE_PAIRS.len() * REPLACE_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, REPLACE_PAIRS.len(), REPLACE_NAMES, TEXT_PARAMS);
        let (old, new) = REPLACE_PAIRS[c];
        let case = |text: &str| text_case(text, text.replace(old, &new.to_string()));
        // No pair replaces Z, Q or K, so the last example is left alone.
        let examples = vec![
            case(&format!("go{old}on{old}")),
            case(&format!("{old}Hi")),
            case("ZQK"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let alphabet = format!("{old}{old}{old}abest .-_");
        let mut hidden = vec![case(""), case(&old.to_string())];
        for _ in 0..6 {
            let len = rng.int(1, 12) as usize;
            hidden.push(case(&rng.string(len, &alphabet)));
        }
        let (qo, qn) = (quoted(&old.to_string()), quoted(&new.to_string()));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the string {p} with every {qo} replaced by {qn}; all other characters \
                 stay the same."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return {p}.replace({qo}, {qn})\n"
            ),
        }
    }
}

const REMOVE_SETS: &[&str] = &[
    "aeiou",
    " ",
    ".,!?",
    "0123456789",
    "-_",
    "xyz",
    "AEIOU",
    "aeiouAEIOU",
    "()",
    "'\"",
    "ab",
    "#@",
];
const REMOVE_NAMES: &[&str] = &["remove_chars", "strip_chars", "drop_chars"];

/// `remove_chars`: delete every character that belongs to a given set.
struct RemoveChars;

impl Family for RemoveChars {
    fn name(&self) -> &'static str {
        "remove_chars"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        REMOVE_SETS.len() * REMOVE_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, REMOVE_SETS.len(), REMOVE_NAMES, TEXT_PARAMS);
        let set = REMOVE_SETS[c];
        let chars: Vec<char> = set.chars().collect();
        let case = |text: &str| {
            let kept: String = text.chars().filter(|ch| !set.contains(*ch)).collect();
            text_case(text, kept)
        };
        let (first, last) = (chars[0], chars[chars.len() - 1]);
        let examples = vec![case(&format!("{first}Hi{last}{first} ok")), case("BGHK")];
        let mut rng = Rng::for_variant(self.name(), index);
        let alphabet = format!("{set}{set}bdfhkpATZ 7.,");
        let mut hidden = vec![case(""), case(set)];
        for _ in 0..6 {
            let len = rng.int(1, 14) as usize;
            hidden.push(case(&rng.string(len, &alphabet)));
        }
        let q = quoted(set);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the string {p} with every character that appears in {q} removed; keep \
                 the other characters in their order."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "filtering".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return ''.join(c for c in {p} if c not in {q})\n"
            ),
        }
    }
}

const PAD_FILLS: &[&str] = &["*", "0", ".", " ", "-"];
const PAD_NAMES: &[&str] = &["pad_left", "left_pad", "right_justify"];

/// `pad_left`: pad a string on the left with a fill character up to a fixed width.
struct PadLeft;

impl Family for PadLeft {
    fn name(&self) -> &'static str {
        "pad_left"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // widths 4..=10
        7 * PAD_FILLS.len() * PAD_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[7, PAD_FILLS.len(), PAD_NAMES.len(), TEXT_PARAMS.len()],
        );
        let width = d[0] + 4;
        let fill = PAD_FILLS[d[1]];
        let (function_name, p) = (PAD_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let case = |text: &str| {
            let missing = width.saturating_sub(text.chars().count());
            text_case(text, format!("{}{text}", fill.repeat(missing)))
        };
        let examples = vec![case("ab"), case("abcdefghijk"), case("")];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = Vec::new();
        for len in [width, width - 1, width + 2, 1] {
            hidden.push(case(&rng.string(len, "abc123xyz")));
        }
        for _ in 0..4 {
            let len = rng.below(width + 3);
            hidden.push(case(&rng.string(len, "abc123xyz")));
        }
        let q = quoted(fill);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the string {p} padded on the left with {q} to a length of {width}; if \
                 {p} already has {width} or more characters, return it unchanged."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "formatting".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return {p}.rjust({width}, {q})\n"
            ),
        }
    }
}

const SUBSTRINGS: &[&str] = &[
    "ab", "the", "aa", "xo", "--", "is", "na", "..", "abc", "ing", "oo", "12",
];
const SUBSTRING_NAMES: &[&str] = &["count_substring", "count_occurrences", "occurrences_of"];

/// `count_substring`: count the non-overlapping occurrences of a given substring.
struct CountSubstring;

impl Family for CountSubstring {
    fn name(&self) -> &'static str {
        "count_substring"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        SUBSTRINGS.len() * SUBSTRING_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, SUBSTRINGS.len(), SUBSTRING_NAMES, TEXT_PARAMS);
        let sub = SUBSTRINGS[c];
        // Rust's `matches` scans left to right without overlaps, exactly like Python's count.
        let case = |text: &str| text_case(text, text.matches(sub).count() as i64);
        let examples = vec![
            case(&format!("{sub}x{sub}y{sub}")),
            case(&format!("{sub}{sub}")),
            case("QZ"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let first = sub.chars().next().unwrap_or('a');
        // Three copies of a repeated character ('aaa' for 'aa') test the no-overlap rule.
        let mut hidden = vec![case(""), case(&first.to_string().repeat(3)), case(sub)];
        let alphabet = format!("{sub}xz ");
        for _ in 0..5 {
            let pieces = rng.int(1, 6);
            let mut text = String::new();
            for _ in 0..pieces {
                if rng.chance(50) {
                    text.push_str(sub);
                } else {
                    let len = rng.int(1, 3) as usize;
                    text.push_str(&rng.string(len, &alphabet));
                }
            }
            hidden.push(case(&text));
        }
        let q = quoted(sub);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return how many times {q} occurs in the string {p}, counting non-overlapping \
                 occurrences from left to right."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "counting".into()],
            examples,
            hidden,
            reference_solution: format!("def {function_name}({p}):\n    return {p}.count({q})\n"),
        }
    }
}

const LONG_WORD_NAMES: &[&str] = &["keep_long_words", "long_words", "filter_long_words"];
const SENTENCE_PARAMS: &[&str] = &["text", "sentence", "s"];

/// `keep_long_words`: keep only the words longer than a given length.
struct KeepLongWords;

impl Family for KeepLongWords {
    fn name(&self) -> &'static str {
        "keep_long_words"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // thresholds 1..=8
        8 * LONG_WORD_NAMES.len() * SENTENCE_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, 8, LONG_WORD_NAMES, SENTENCE_PARAMS);
        let n = c + 1;
        let case = |text: &str| {
            let kept: Vec<&str> = text.split_whitespace().filter(|w| w.len() > n).collect();
            text_case(text, kept.join(" "))
        };
        let examples = vec![
            case("the mountaineers climb a cold peak"),
            case("a an"),
            case(""),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("   "), case(&"w".repeat(n + 1))];
        for _ in 0..6 {
            let words = rng.int(1, 7);
            let mut text = " ".repeat(rng.below(2));
            for i in 0..words {
                if i > 0 {
                    text.push_str(&" ".repeat(rng.int(1, 3) as usize));
                }
                // Lengths cluster around the threshold, where mistakes show.
                let len = rng.int(n.saturating_sub(2).max(1) as i64, n as i64 + 3) as usize;
                text.push_str(&rng.string(len, "abcdefghijklmnopqrstuvwxyz"));
            }
            hidden.push(case(&text));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return a string made of the words of {p} (split on whitespace) whose length is \
                 greater than {n}, in their order, joined by single spaces; return '' if \
                 there are none."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "words".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return ' '.join(w for w in {p}.split() if len(w) > {n})\n"
            ),
        }
    }
}

const WORD_SEPARATORS: &[&str] = &[" ", ",", "-", "/", ";", "|", ".", "_"];
const REVERSE_WORD_NAMES: &[&str] = &[
    "reverse_each_word",
    "reverse_words_in_place",
    "mirror_words",
    "flip_each_word",
];

/// `reverse_each_word`: reverse the characters of every word, keeping word order and separators.
struct ReverseEachWord;

impl Family for ReverseEachWord {
    fn name(&self) -> &'static str {
        "reverse_each_word"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        WORD_SEPARATORS.len() * REVERSE_WORD_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(
            index,
            WORD_SEPARATORS.len(),
            REVERSE_WORD_NAMES,
            TEXT_PARAMS,
        );
        let sep = WORD_SEPARATORS[c];
        let case = |text: &str| {
            let words: Vec<String> = text.split(sep).map(|w| w.chars().rev().collect()).collect();
            text_case(text, words.join(sep))
        };
        let examples = vec![
            case(&["hello", "world"].join(sep)),
            case(&["abc", "", "de"].join(sep)),
            case("xy"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(""), case(sep)];
        for _ in 0..6 {
            let count = rng.int(1, 5) as usize;
            let words: Vec<String> = (0..count)
                .map(|_| {
                    let len = rng.int(0, 6) as usize;
                    rng.string(len, "abcdeXYZ12")
                })
                .collect();
            hidden.push(case(&words.join(sep)));
        }
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} is made of words separated by {q}. Return it with the characters \
                 of each word reversed, keeping the words in their order and every separator \
                 where it is."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "words".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return {q}.join(w[::-1] for w in {p}.split({q}))\n"
            ),
        }
    }
}

const SUFFIXES: &[&str] = &["...", "~", ">>"];
const TRUNCATE_NAMES: &[&str] = &["truncate_text", "shorten", "clip_text"];

/// `truncate_text`: cut a string to a fixed length and mark the cut with a given suffix.
struct TruncateText;

impl Family for TruncateText {
    fn name(&self) -> &'static str {
        "truncate_text"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // lengths 3..=10
        8 * SUFFIXES.len() * TRUNCATE_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[8, SUFFIXES.len(), TRUNCATE_NAMES.len(), TEXT_PARAMS.len()],
        );
        let n = d[0] + 3;
        let suffix = SUFFIXES[d[1]];
        let (function_name, p) = (TRUNCATE_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let case = |text: &str| {
            let out = if text.chars().count() > n {
                format!("{}{suffix}", text.chars().take(n).collect::<String>())
            } else {
                text.to_string()
            };
            text_case(text, out)
        };
        let examples = vec![case("hello world"), case("hi")];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("")];
        for len in [n, n + 1, n - 1, 2 * n + 3] {
            hidden.push(case(&rng.string(len, "abcde fgh")));
        }
        for _ in 0..3 {
            let len = rng.below(2 * n);
            hidden.push(case(&rng.string(len, "abcde fgh")));
        }
        let q = quoted(suffix);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "If the string {p} has more than {n} characters, return its first {n} characters \
                 followed by {q}; otherwise return {p} unchanged."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "slicing".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if len({p}) <= {n}:\n        return {p}\n    \
                 return {p}[:{n}] + {q}\n"
            ),
        }
    }
}

const CAESAR_NAMES: &[&str] = &["caesar_shift", "shift_letters", "rotate_letters"];

/// `caesar_shift`: shift letters forward in the alphabet by a fixed amount, keeping case.
struct CaesarShift;

impl Family for CaesarShift {
    fn name(&self) -> &'static str {
        "caesar_shift"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // shifts 1..=25
        25 * CAESAR_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, 25, CAESAR_NAMES, TEXT_PARAMS);
        let k = c as u8 + 1;
        let case = |text: &str| {
            let shifted: String = text
                .chars()
                .map(|ch| match ch {
                    'a'..='z' => ((ch as u8 - b'a' + k) % 26 + b'a') as char,
                    'A'..='Z' => ((ch as u8 - b'A' + k) % 26 + b'A') as char,
                    other => other,
                })
                .collect();
            text_case(text, shifted)
        };
        let examples = vec![case("abc xyz"), case("Hello, World!")];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(""), case("Zz"), case("123 ?!")];
        for _ in 0..5 {
            let len = rng.int(1, 12) as usize;
            hidden.push(case(&rng.string(len, "abmnyzABMNYZ .,7")));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Shift every letter of the string {p} forward in the alphabet with a shift of {k}, \
                 wrapping around from 'z' to 'a' and keeping upper and lower case; leave other \
                 characters unchanged. Return the new string."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["strings".into(), "cipher".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    out = []\n    for c in {p}:\n        \
                 if 'a' <= c <= 'z':\n            out.append(chr((ord(c) - 97 + {k}) % 26 + 97))\n        \
                 elif 'A' <= c <= 'Z':\n            out.append(chr((ord(c) - 65 + {k}) % 26 + 65))\n        \
                 else:\n            out.append(c)\n    return ''.join(out)\n"
            ),
        }
    }
}

const RLE_SEPARATORS: &[&str] = &["", ",", ";", "-", " ", "|"];
const RLE_NAMES: &[&str] = &["run_length_encode", "rle_encode", "compress_runs"];

/// `run_length_encode`: encode runs of equal characters as character and count, in a given
/// order, joined by a given separator.
struct RunLengthEncode;

impl Family for RunLengthEncode {
    fn name(&self) -> &'static str {
        "run_length_encode"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // the count after or before the character
        2 * RLE_SEPARATORS.len() * RLE_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[2, RLE_SEPARATORS.len(), RLE_NAMES.len(), TEXT_PARAMS.len()],
        );
        let count_first = d[0] == 1;
        let sep = RLE_SEPARATORS[d[1]];
        let (function_name, p) = (RLE_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let piece = |ch: char, n: usize| {
            if count_first {
                format!("{n}{ch}")
            } else {
                format!("{ch}{n}")
            }
        };
        let case = |text: &str| {
            let mut pieces = Vec::new();
            let mut chars = text.chars().peekable();
            while let Some(ch) = chars.next() {
                let mut n = 1;
                while chars.next_if_eq(&ch).is_some() {
                    n += 1;
                }
                pieces.push(piece(ch, n));
            }
            text_case(text, pieces.join(sep))
        };
        let examples = vec![case("aaabcc"), case("zZ"), case("")];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("x"), case(&"b".repeat(12))];
        for _ in 0..6 {
            let runs = rng.int(1, 5);
            let mut text = String::new();
            for _ in 0..runs {
                let ch = *rng.pick(&['a', 'b', 'c', 'A']);
                text.push_str(&ch.to_string().repeat(rng.int(1, 11) as usize));
            }
            hidden.push(case(&text));
        }
        let (order, format_expr) = if count_first {
            (
                "the length of the run followed by the character",
                "f'{j - i}{text[i]}'",
            )
        } else {
            (
                "the character followed by the length of the run",
                "f'{text[i]}{j - i}'",
            )
        };
        let format_expr = format_expr.replace("text", p);
        let eg = quoted(&piece('a', 3));
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Run-length encode the string {p}: write each maximal run of equal consecutive \
                 characters as {order} (so 'aaa' becomes {eg}), and join the pieces with {q}. \
                 An empty string gives ''."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["strings".into(), "encoding".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    pieces = []\n    i = 0\n    while i < len({p}):\n        \
                 j = i\n        while j < len({p}) and {p}[j] == {p}[i]:\n            j += 1\n        \
                 pieces.append({format_expr})\n        i = j\n    return {q}.join(pieces)\n"
            ),
        }
    }
}

const CAMEL_SEPARATORS: &[&str] = &["_", "-", ".", " ", "/", ":"];
const CAMEL_NAMES: &[&str] = &["snake_to_camel", "to_camel_case", "camelize"];
const NAME_PARAMS: &[&str] = &["text", "name"];

/// `snake_to_camel`: join separator-delimited lowercase words into lowerCamelCase or
/// UpperCamelCase.
struct SnakeToCamel;

impl Family for SnakeToCamel {
    fn name(&self) -> &'static str {
        "snake_to_camel"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // lower or upper camel case
        CAMEL_SEPARATORS.len() * 2 * CAMEL_NAMES.len() * NAME_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                CAMEL_SEPARATORS.len(),
                2,
                CAMEL_NAMES.len(),
                NAME_PARAMS.len(),
            ],
        );
        let sep = CAMEL_SEPARATORS[d[0]];
        let upper = d[1] == 1;
        let (function_name, p) = (CAMEL_NAMES[d[2]], NAME_PARAMS[d[3]]);
        let case = |text: &str| {
            let mut out = String::new();
            for (i, word) in text.split(sep).filter(|w| !w.is_empty()).enumerate() {
                let mut chars = word.chars();
                let first = chars.next().expect("non-empty word");
                if i > 0 || upper {
                    out.push(first.to_ascii_uppercase());
                } else {
                    out.push(first);
                }
                out.push_str(chars.as_str());
            }
            text_case(text, out)
        };
        let examples = vec![
            case(&["user", "id"].join(sep)),
            case(&["max", "retry", "count"].join(sep)),
            case("x"),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(""), case(&format!("{sep}{sep}a{sep}{sep}b{sep}"))];
        for _ in 0..6 {
            let count = rng.int(1, 4) as usize;
            let words: Vec<String> = (0..count)
                .map(|_| {
                    let len = rng.int(1, 6) as usize;
                    rng.string(len, "abcdefghijklmnopqrstuvwxyz")
                })
                .collect();
            hidden.push(case(&words.join(sep)));
        }
        let (style, rule) = if upper {
            ("UpperCamelCase", "uppercase the first letter of every word")
        } else {
            (
                "lowerCamelCase",
                "keep the first word as it is and uppercase the first letter of every later word",
            )
        };
        let start = if upper { 0 } else { 1 };
        let head = if upper { "''" } else { "words[0]" };
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds lowercase words separated by {q}. Convert it to \
                 {style}: drop the separators (ignoring empty words), {rule}, and leave the other \
                 letters as they are. An empty string gives ''."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["strings".into(), "case".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    words = [w for w in {p}.split({q}) if w]\n    \
                 if not words:\n        return ''\n    \
                 return {head} + ''.join(w[0].upper() + w[1:] for w in words[{start}:])\n"
            ),
        }
    }
}

const WRAP_NAMES: &[&str] = &["wrap_text", "word_wrap", "wrap_lines"];

/// `wrap_text`: greedy word wrapping to a fixed line width, returning the lines.
struct WrapText;

impl Family for WrapText {
    fn name(&self) -> &'static str {
        "wrap_text"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // widths 8..=17
        10 * WRAP_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let (c, function_name, p) = pick3(index, 10, WRAP_NAMES, TEXT_PARAMS);
        let width = c + 8;
        let case = |text: &str| {
            let mut lines: Vec<String> = Vec::new();
            let mut current = String::new();
            for word in text.split_whitespace() {
                if current.is_empty() {
                    current = word.to_string();
                } else if current.len() + 1 + word.len() <= width {
                    current.push(' ');
                    current.push_str(word);
                } else {
                    lines.push(std::mem::replace(&mut current, word.to_string()));
                }
            }
            if !current.is_empty() {
                lines.push(current);
            }
            text_case(text, PyValue::strs(&lines))
        };
        let examples = vec![
            case("the quick brown fox jumps over the lazy dog"),
            case("a extraordinarily b"),
            case(""),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("   "), case(&"x".repeat(width))];
        for _ in 0..6 {
            let words = rng.int(1, 9);
            let mut text = String::new();
            for i in 0..words {
                if i > 0 {
                    text.push_str(&" ".repeat(rng.int(1, 2) as usize));
                }
                let len = rng.int(1, width as i64 + 2) as usize;
                text.push_str(&rng.string(len, "abcdefghij"));
            }
            hidden.push(case(&text));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Break the string {p} into lines of at most {width} characters and return them as \
                 a list of strings. Words are separated by whitespace; fill each line greedily \
                 with as many words as fit, joined by single spaces; a word longer than {width} \
                 goes on a line of its own, unsplit. An empty or all-space {p} gives []."
            ),
            difficulty: Difficulty::Hard,
            tags: vec!["strings".into(), "formatting".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    lines = []\n    current = ''\n    \
                 for word in {p}.split():\n        if not current:\n            current = word\n        \
                 elif len(current) + 1 + len(word) <= {width}:\n            current += ' ' + word\n        \
                 else:\n            lines.append(current)\n            current = word\n    \
                 if current:\n        lines.append(current)\n    return lines\n"
            ),
        }
    }
}
