//! `keep_long_words`: keep only the words longer than a given length.

use super::text_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const LONG_WORD_NAMES: &[&str] = &["keep_long_words", "long_words", "filter_long_words"];
const SENTENCE_PARAMS: &[&str] = &["text", "sentence", "s"];

/// Length thresholds 1..=8, function names, parameter names.
const RADICES: &[usize] = &[8, LONG_WORD_NAMES.len(), SENTENCE_PARAMS.len()];

pub(crate) struct KeepLongWords;

impl Family for KeepLongWords {
    fn name(&self) -> &'static str {
        "keep_long_words"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], LONG_WORD_NAMES[d[1]], SENTENCE_PARAMS[d[2]]);
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
