//! `snake_to_camel`: join separator-delimited lowercase words into lowerCamelCase or
//! UpperCamelCase.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const CAMEL_SEPARATORS: &[&str] = &["_", "-", ".", " ", "/", ":"];
const CAMEL_NAMES: &[&str] = &["snake_to_camel", "to_camel_case", "camelize"];
const NAME_PARAMS: &[&str] = &["text", "name"];

/// Separators, lower or upper camel case, function names, parameter names.
const RADICES: &[usize] = &[
    CAMEL_SEPARATORS.len(),
    2,
    CAMEL_NAMES.len(),
    NAME_PARAMS.len(),
];

pub(crate) struct SnakeToCamel;

impl Family for SnakeToCamel {
    fn name(&self) -> &'static str {
        "snake_to_camel"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
