//! `is_palindrome_alnum`: is a string a palindrome over its letters and digits, ignoring case,
//! with at least a given number of such characters?
//!
//! One of the original project's families, made parametric: every constant that changes
//! behaviour is spelled out in the prompt.

use super::TEXT_PARAMS;
use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const PALINDROME_NAMES: &[&str] = &[
    "is_palindrome_alnum",
    "is_clean_palindrome",
    "reads_same_both_ways",
];

/// Minimum lengths 1..=10, function names, parameter names.
const RADICES: &[usize] = &[10, PALINDROME_NAMES.len(), TEXT_PARAMS.len()];

pub(crate) struct IsPalindromeAlnum;

impl Family for IsPalindromeAlnum {
    fn name(&self) -> &'static str {
        "is_palindrome_alnum"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let n = d[0] + 1;
        let (function_name, p) = (PALINDROME_NAMES[d[1]], TEXT_PARAMS[d[2]]);
        let case = |text: &str| {
            let kept: Vec<char> = text
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let ok = kept.len() >= n && kept.iter().eq(kept.iter().rev());
            Case::new(vec![PyValue::str(text)], ok)
        };
        // Fixed palindromes of exactly n and n - 1 characters show where the threshold lies.
        let fixed = |len: usize| {
            let half: String = "abcdefghij".chars().take(len.div_ceil(2)).collect();
            let mirrored: String = half.chars().rev().skip(len % 2).collect();
            let core = half + &mirrored;
            let mut chars = core.chars();
            let first: String = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .collect();
            format!("{first}{}!", chars.as_str())
        };
        let examples = vec![
            case("A man, a plan, a canal: Panama"),
            case("race a car"),
            case(&fixed(n)),
            case(&fixed(n - 1)),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let alphabet = "abcxyz019";
        let mut hidden = Vec::new();
        for len in [n - 1, n, n + 1, n + 3] {
            let core = palindrome(&mut rng, len, alphabet);
            hidden.push(case(&decorate(&mut rng, &core)));
        }
        for len in [n.max(2), n + 2] {
            // Break the palindrome: the first character no longer matches the last.
            let core = palindrome(&mut rng, len, alphabet);
            let last = core.chars().last().unwrap_or('a');
            let first = if last == 'q' { 'w' } else { 'q' };
            let broken = format!("{first}{}", &core[1..]);
            hidden.push(case(&decorate(&mut rng, &broken)));
        }
        hidden.push(case(""));
        let len = rng.int(4, 12) as usize;
        hidden.push(case(&rng.string(len, "abAB12 ,.")));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return True if the string {p}, after removing every character that is not a \
                 letter or digit and lowercasing the letters, reads the same forwards and \
                 backwards and has a length of at least {n}; otherwise return False."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["strings".into(), "palindrome".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    kept = [c.lower() for c in {p} if c.isalnum()]\n    \
                 return len(kept) >= {n} and kept == kept[::-1]\n"
            ),
        }
    }
}

/// A palindrome of `len` characters drawn from `alphabet`.
fn palindrome(rng: &mut Rng, len: usize, alphabet: &str) -> String {
    let half = rng.string(len.div_ceil(2), alphabet);
    let mirrored: String = half.chars().rev().skip(len % 2).collect();
    half + &mirrored
}

/// Sprinkles upper case and punctuation over `core`, which must not change the answer.
fn decorate(rng: &mut Rng, core: &str) -> String {
    let mut out = String::new();
    for c in core.chars() {
        if rng.chance(30) {
            out.push(*rng.pick(&[' ', ',', '.', '!', '?', '-', '\'']));
        }
        out.push(if rng.chance(40) {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    if rng.chance(50) {
        out.push(*rng.pick(&['!', '?', '.']));
    }
    out
}
