//! `caesar_shift`: shift letters forward in the alphabet by a fixed amount, keeping case.

use super::{TEXT_PARAMS, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const CAESAR_NAMES: &[&str] = &["caesar_shift", "shift_letters", "rotate_letters"];

/// Shifts 1..=25, function names, parameter names.
const RADICES: &[usize] = &[25, CAESAR_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct CaesarShift;

impl Family for CaesarShift {
    fn name(&self) -> &'static str {
        "caesar_shift"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (c, function_name, p) = (d[0], CAESAR_NAMES[d[1]], TEXT_PARAMS[d[2]]);
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
