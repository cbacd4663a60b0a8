//! `roman_to_int`: parse a list of Roman numerals with a given separator into their values.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const ROMAN_SEPARATORS: &[&str] = &[" ", ",", ";", "|", "/", "-", "+"];
const ROMAN_NAMES: &[&str] = &["roman_to_int", "parse_roman", "roman_values"];
const ROMAN_PARAMS: &[&str] = &["text", "numerals", "s"];

/// Separators, function names, parameter names.
const RADICES: &[usize] = &[
    ROMAN_SEPARATORS.len(),
    ROMAN_NAMES.len(),
    ROMAN_PARAMS.len(),
];

pub(crate) struct RomanToInt;

impl Family for RomanToInt {
    fn name(&self) -> &'static str {
        "roman_to_int"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let sep = ROMAN_SEPARATORS[d[0]];
        let (function_name, p) = (ROMAN_NAMES[d[1]], ROMAN_PARAMS[d[2]]);
        // The numbers are the oracle: their canonical numerals are the input.
        let case = |values: &[i64]| {
            let numerals: Vec<String> = values.iter().map(|&v| to_roman(v)).collect();
            text_case(&numerals.join(sep), PyValue::ints(values))
        };
        let examples = vec![case(&[3, 4, 9]), case(&[1994]), case(&[])];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(&[40, 90, 400, 900]), case(&[3999, 1])];
        for _ in 0..6 {
            let count = rng.int(1, 5) as usize;
            let values: Vec<i64> = (0..count)
                .map(|_| {
                    if rng.chance(60) {
                        rng.int(1, 50)
                    } else {
                        rng.int(1, 3999)
                    }
                })
                .collect();
            hidden.push(case(&values));
        }
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds Roman numerals (uppercase I, V, X, L, C, D, M, with \
                 subtractive pairs such as IV and XC) separated by {q}. Return the list of their \
                 int values, in order; an empty {p} gives []."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["parsing".into(), "roman".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    \
                 values = {{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}}\n    \
                 result = []\n    if not {p}:\n        return result\n    \
                 for numeral in {p}.split({q}):\n        total = 0\n        \
                 for i, c in enumerate(numeral):\n            \
                 if i + 1 < len(numeral) and values[numeral[i + 1]] > values[c]:\n                \
                 total -= values[c]\n            else:\n                total += values[c]\n        \
                 result.append(total)\n    return result\n"
            ),
        }
    }
}

/// Writes `n` (1..=3999) as a canonical Roman numeral.
fn to_roman(mut n: i64) -> String {
    const DIGITS: &[(i64, &str)] = &[
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for &(value, digits) in DIGITS {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_roman;

    #[test]
    fn roman_numerals_are_canonical() {
        assert_eq!(to_roman(1994), "MCMXCIV");
        assert_eq!(to_roman(3999), "MMMCMXCIX");
        assert_eq!(to_roman(4), "IV");
    }
}
