//! `reverse_each_word`: reverse the characters of every word, keeping word order and separators.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const WORD_SEPARATORS: &[&str] = &[" ", ",", "-", "/", ";", "|", ".", "_"];
const REVERSE_WORD_NAMES: &[&str] = &[
    "reverse_each_word",
    "reverse_words_in_place",
    "mirror_words",
    "flip_each_word",
];

/// Word separators, function names, parameter names.
const RADICES: &[usize] = &[
    WORD_SEPARATORS.len(),
    REVERSE_WORD_NAMES.len(),
    TEXT_PARAMS.len(),
];

pub(crate) struct ReverseEachWord;

impl Family for ReverseEachWord {
    fn name(&self) -> &'static str {
        "reverse_each_word"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], REVERSE_WORD_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
