//! `run_length_encode`: encode runs of equal characters as character and count, in a given
//! order, joined by a given separator.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const RLE_SEPARATORS: &[&str] = &["", ",", ";", "-", " ", "|"];
const RLE_NAMES: &[&str] = &["run_length_encode", "rle_encode", "compress_runs"];

/// The count after or before the character, separators, function names, parameter names.
const RADICES: &[usize] = &[2, RLE_SEPARATORS.len(), RLE_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct RunLengthEncode;

impl Family for RunLengthEncode {
    fn name(&self) -> &'static str {
        "run_length_encode"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
