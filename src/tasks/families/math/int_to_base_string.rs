//! `int_to_base_string`: an integer's representation in base b.

use super::int_case;
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Draft, Family, Rng, TaskSpec, decode, product};

/// Bases 2..=36 except 10, function names.
const RADICES: &[usize] = &[34, 2];

pub(crate) struct IntToBaseString;

impl Family for IntToBaseString {
    fn name(&self) -> &'static str {
        "int_to_base_string"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let b = if d[0] < 8 { d[0] + 2 } else { d[0] + 3 } as i64;
        let name = ["to_base", "format_in_base"][d[1]];
        let p = "n";
        let case = |n: i64| {
            const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
            let mut rest = n.abs();
            let mut out = Vec::new();
            loop {
                out.push(DIGITS[(rest % b) as usize]);
                rest /= b;
                if rest == 0 {
                    break;
                }
            }
            if n < 0 {
                out.push(b'-');
            }
            out.reverse();
            int_case(n, String::from_utf8(out).expect("ascii digits"))
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(0), case(-1), case(b), case(-(b * b) - 3)];
        for _ in 0..4 {
            hidden.push(case(rng.int(-100_000, 100_000)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return the integer {p} written in base {b} as a string, using the digits 0-9 and then lowercase letters a-z; a negative number gets a leading '-', and 0 gives '0'."
            ),
            difficulty: Difficulty::Medium,
            tags: &["math", "bases", "strings"],
            examples: vec![case(255), case(-b - 1), case(b - 1)],
            hidden,
            reference: format!(
                "def {name}({p}):\n    digits = '0123456789abcdefghijklmnopqrstuvwxyz'\n    if {p} == 0:\n        return '0'\n    sign = '-' if {p} < 0 else ''\n    {p} = abs({p})\n    out = ''\n    while {p}:\n        out = digits[{p} % {b}] + out\n        {p} //= {b}\n    return sign + out\n"
            ),
        }
        .finish()
    }
}
