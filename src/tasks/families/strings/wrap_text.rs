//! `wrap_text`: greedy word wrapping to a fixed line width, returning the lines.

use super::{TEXT_PARAMS, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const WRAP_NAMES: &[&str] = &["wrap_text", "word_wrap", "wrap_lines"];

/// Widths 8..=17, function names, parameter names.
const RADICES: &[usize] = &[10, WRAP_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct WrapText;

impl Family for WrapText {
    fn name(&self) -> &'static str {
        "wrap_text"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], WRAP_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
