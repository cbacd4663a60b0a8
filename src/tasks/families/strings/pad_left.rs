//! `pad_left`: pad a string on the left with a fill character up to a fixed width.

use super::{TEXT_PARAMS, quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

const PAD_FILLS: &[&str] = &["*", "0", ".", " ", "-"];
const PAD_NAMES: &[&str] = &["pad_left", "left_pad", "right_justify"];

/// Widths 4..=10, fill characters, function names, parameter names.
const RADICES: &[usize] = &[7, PAD_FILLS.len(), PAD_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct PadLeft;

impl Family for PadLeft {
    fn name(&self) -> &'static str {
        "pad_left"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
