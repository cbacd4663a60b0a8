//! `count_chars_in_set`: how many characters of a string belong to a given set.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

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

/// Character sets, function names, parameter names.
const RADICES: &[usize] = &[COUNT_SETS.len(), COUNT_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct CountCharsInSet;

impl Family for CountCharsInSet {
    fn name(&self) -> &'static str {
        "count_chars_in_set"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], COUNT_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
