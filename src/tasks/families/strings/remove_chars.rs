//! `remove_chars`: delete every character that belongs to a given set.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

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

/// Character sets, function names, parameter names.
const RADICES: &[usize] = &[REMOVE_SETS.len(), REMOVE_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct RemoveChars;

impl Family for RemoveChars {
    fn name(&self) -> &'static str {
        "remove_chars"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], REMOVE_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
