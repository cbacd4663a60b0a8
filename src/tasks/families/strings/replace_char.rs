//! `replace_char`: replace every occurrence of one given character by another.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

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

/// Character pairs, function names, parameter names.
const RADICES: &[usize] = &[REPLACE_PAIRS.len(), REPLACE_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct ReplaceChar;

impl Family for ReplaceChar {
    fn name(&self) -> &'static str {
        "replace_char"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], REPLACE_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
