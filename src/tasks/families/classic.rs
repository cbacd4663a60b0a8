//! The original project's families (`add_const`, `mul_const`, `rotate_left`, ...), made
//! parametric: every constant that changes behaviour is spelled out in the prompt.

use super::{Case, Category, Family, Rng, TaskSpec, decode};
use crate::tasks::Difficulty;
use crate::tasks::pyvalue::PyValue;

pub(super) static FAMILIES: &[&dyn Family] = &[
    &AddConst,
    &MulConst,
    &RotateLeft,
    &IsPalindromeAlnum,
    &TwoSumIndices,
    &Clamp,
    &GcdValue,
    &LcmValue,
    &PiecewiseValue,
    &DedupePreserve,
    &ParseIntList,
    &FlattenOneLevel,
];

const NUMBER_NAMES: &[&str] = &["n", "x", "value"];

/// `add_const`: return the argument plus a constant (the original's main family).
struct AddConst;

impl Family for AddConst {
    fn name(&self) -> &'static str {
        "add_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        // constants -40..=40 except 0, times three parameter names.
        80 * NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[80, NUMBER_NAMES.len()]);
        let k = if d[0] < 40 {
            d[0] as i64 - 40
        } else {
            d[0] as i64 - 39
        };
        let param = NUMBER_NAMES[d[1]];
        let suffix = if k < 0 {
            format!("neg{}", -k)
        } else {
            k.to_string()
        };
        let function_name = format!("add_const_{suffix}");
        let description = if k < 0 {
            format!("Return {param} minus {}.", -k)
        } else {
            format!("Return {param} plus {k}.")
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n + k);
        let examples = vec![case(0), case(5), case(-3)];
        let hidden = (0..8).map(|_| case(rng.int(-1000, 1000))).collect();
        TaskSpec {
            function_name: function_name.clone(),
            params: vec![param],
            description,
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({param}):\n    return {param} + ({k})\n"
            ),
        }
    }
}

/// `mul_const`: return the argument times a constant.
struct MulConst;

impl Family for MulConst {
    fn name(&self) -> &'static str {
        "mul_const"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        // constants -12..=12 except -1, 0, 1, times three parameter names.
        22 * NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[22, NUMBER_NAMES.len()]);
        let k = if d[0] < 11 {
            d[0] as i64 - 12
        } else {
            d[0] as i64 - 9
        };
        let param = NUMBER_NAMES[d[1]];
        let suffix = if k < 0 {
            format!("neg{}", -k)
        } else {
            k.to_string()
        };
        let function_name = format!("mul_const_{suffix}");
        let description = format!("Return {param} multiplied by {k}.");
        let mut rng = Rng::for_variant(self.name(), index);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n * k);
        let examples = vec![case(1), case(3), case(-2)];
        let hidden = (0..8).map(|_| case(rng.int(-500, 500))).collect();
        TaskSpec {
            function_name: function_name.clone(),
            params: vec![param],
            description,
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({param}):\n    return {param} * ({k})\n"
            ),
        }
    }
}

/// A Python string literal as `repr` writes it, so prompts and solutions quote alike.
fn quoted(s: &str) -> String {
    PyValue::str(s).to_python()
}

/// A list of ints as a Python value.
fn int_list(values: &[i64]) -> PyValue {
    PyValue::ints(values)
}

/// Euclid's algorithm on absolute values, shared by the gcd and lcm oracles.
fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

const ROTATE_NAMES: &[&str] = &["rotate_left", "rotate_list_left", "shift_left"];
const LIST_PARAMS: &[&str] = &["values", "items"];

/// `rotate_left`: rotate a list left by a fixed number of positions, wrapping around.
struct RotateLeft;

impl Family for RotateLeft {
    fn name(&self) -> &'static str {
        "rotate_left"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        // shifts 1..=10
        10 * ROTATE_NAMES.len() * LIST_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[10, ROTATE_NAMES.len(), LIST_PARAMS.len()]);
        let k = d[0] + 1;
        let (function_name, p) = (ROTATE_NAMES[d[1]], LIST_PARAMS[d[2]]);
        let case = |v: Vec<i64>| {
            let s = if v.is_empty() { 0 } else { k % v.len() };
            let rotated = [&v[s..], &v[..s]].concat();
            Case::new(vec![int_list(&v)], int_list(&rotated))
        };
        // The first example must actually move elements, so its length must not divide k.
        let first_len = if k % 5 == 0 { 6 } else { 5 };
        let examples = vec![
            case((1..=first_len).collect()),
            case(vec![10, 20, 30]),
            case(vec![]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![rng.int(-9, 9)])];
        for _ in 0..7 {
            let len = rng.int(2, 12) as usize;
            hidden.push(case(rng.ints(len, -20, 20)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return a new list with the elements of the list {p} rotated left by a shift of \
                 {k}: the elements before index {k} move to the end, keeping their order. If \
                 the length of {p} is {k} or less, shift by {k} modulo the length instead. An \
                 empty list gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["lists".into(), "slicing".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if not {p}:\n        return []\n    \
                 k = {k} % len({p})\n    return {p}[k:] + {p}[:k]\n"
            ),
        }
    }
}

const PALINDROME_NAMES: &[&str] = &[
    "is_palindrome_alnum",
    "is_clean_palindrome",
    "reads_same_both_ways",
];
const TEXT_PARAMS: &[&str] = &["text", "s"];

/// `is_palindrome_alnum`: is a string a palindrome over its letters and digits, ignoring case,
/// with at least a given number of such characters?
struct IsPalindromeAlnum;

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

impl Family for IsPalindromeAlnum {
    fn name(&self) -> &'static str {
        "is_palindrome_alnum"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        // minimum lengths 1..=10
        10 * PALINDROME_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[10, PALINDROME_NAMES.len(), TEXT_PARAMS.len()]);
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

const TWO_SUM_NAMES: &[&str] = &["two_sum_indices", "find_pair_indices", "pair_with_sum"];
const NUMS_PARAMS: &[&str] = &["nums", "values"];

/// `two_sum_indices`: the first pair of positions whose values add up to a fixed target.
struct TwoSumIndices;

impl Family for TwoSumIndices {
    fn name(&self) -> &'static str {
        "two_sum_indices"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        // targets -10..=10
        21 * TWO_SUM_NAMES.len() * NUMS_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[21, TWO_SUM_NAMES.len(), NUMS_PARAMS.len()]);
        let t = d[0] as i64 - 10;
        let (function_name, p) = (TWO_SUM_NAMES[d[1]], NUMS_PARAMS[d[2]]);
        let case = |v: Vec<i64>| {
            let mut found = PyValue::None;
            'outer: for i in 0..v.len() {
                for j in i + 1..v.len() {
                    if v[i] + v[j] == t {
                        found =
                            PyValue::Tuple(vec![PyValue::Int(i as i64), PyValue::Int(j as i64)]);
                        break 'outer;
                    }
                }
            }
            Case::new(vec![int_list(&v)], found)
        };
        let examples = vec![
            case(vec![t + 4, 2, 9, t - 2]),
            // Pair sums here are at least 2t + 51, never t for |t| <= 10.
            case(vec![t + 20, t + 31, t + 45]),
            case(vec![0, t, t, 0]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![t])];
        for round in 0..6 {
            let len = rng.int(3, 8) as usize;
            let mut v = rng.ints(len, -10, 10);
            if round % 2 == 0 {
                let i = rng.below(len - 1);
                let j = i + 1 + rng.below(len - i - 1);
                let a = rng.int(-10, 10);
                v[i] = a;
                v[j] = t - a;
            }
            hidden.push(case(v));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Given a list of ints {p}, return a tuple (i, j) of indices with i < j and \
                 {p}[i] + {p}[j] == {t}, choosing the smallest i and, for that i, the smallest \
                 j. Return None if no such pair exists."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["lists".into(), "search".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    for i in range(len({p})):\n        \
                 for j in range(i + 1, len({p})):\n            \
                 if {p}[i] + {p}[j] == {t}:\n                return (i, j)\n    return None\n"
            ),
        }
    }
}

const CLAMP_NAMES: &[&str] = &["clamp", "clamp_value", "bound_value"];
const CLAMP_LOWS: &[i64] = &[-10, -5, -1, 0, 1, 3, 10, 50];
const CLAMP_WIDTHS: &[i64] = &[5, 10, 20];

/// `clamp`: limit a number to a fixed inclusive range.
struct Clamp;

impl Family for Clamp {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        CLAMP_LOWS.len() * CLAMP_WIDTHS.len() * CLAMP_NAMES.len() * NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                CLAMP_LOWS.len(),
                CLAMP_WIDTHS.len(),
                CLAMP_NAMES.len(),
                NUMBER_NAMES.len(),
            ],
        );
        let lo = CLAMP_LOWS[d[0]];
        let hi = lo + CLAMP_WIDTHS[d[1]];
        let (function_name, p) = (CLAMP_NAMES[d[2]], NUMBER_NAMES[d[3]]);
        let case = |x: i64| Case::new(vec![PyValue::Int(x)], x.clamp(lo, hi));
        let examples = vec![case(lo - 7), case(hi + 3), case(lo + 2)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [lo, hi, lo - 1, hi + 1].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(lo - 50, hi + 50)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the int {p} limited to the range {lo}..{hi} inclusive: {lo} if {p} is \
                 below {lo}, {hi} if {p} is above {hi}, otherwise {p} itself."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["arithmetic".into(), "conditionals".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    return max({lo}, min({hi}, {p}))\n"
            ),
        }
    }
}

const GCD_NAMES: &[&str] = &["gcd_value", "gcd_with_const", "common_divisor"];
const GCD_CONSTANTS: &[i64] = &[
    12, 18, 20, 24, 28, 30, 36, 40, 42, 45, 48, 54, 56, 60, 72, 84, 90, 96, 100, 120,
];
const TWO_NUMBER_NAMES: &[&str] = &["n", "x"];

/// `gcd_value`: the greatest common divisor of the argument and a fixed constant.
struct GcdValue;

impl Family for GcdValue {
    fn name(&self) -> &'static str {
        "gcd_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        GCD_CONSTANTS.len() * GCD_NAMES.len() * TWO_NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[GCD_CONSTANTS.len(), GCD_NAMES.len(), TWO_NUMBER_NAMES.len()],
        );
        let k = GCD_CONSTANTS[d[0]];
        let (function_name, p) = (GCD_NAMES[d[1]], TWO_NUMBER_NAMES[d[2]]);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], gcd(n, k));
        let examples = vec![case(8), case(-3 * k), case(35)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [0, k / 2, 7 * k, -k / 3, 1].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(-500, 500)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the greatest common divisor of the int {p} and {k}: the largest positive \
                 int dividing both (use the absolute value of {p}; for {p} == 0 the answer is \
                 {k})."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["number-theory".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    a, b = abs({p}), {k}\n    while b:\n        \
                 a, b = b, a % b\n    return a\n"
            ),
        }
    }
}

const LCM_NAMES: &[&str] = &["lcm_value", "lcm_with_const", "least_common_multiple"];
const LCM_CONSTANTS: &[i64] = &[
    2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 18, 20, 21, 24, 25, 30, 36,
];

/// `lcm_value`: the least common multiple of the argument and a fixed constant.
struct LcmValue;

impl Family for LcmValue {
    fn name(&self) -> &'static str {
        "lcm_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        LCM_CONSTANTS.len() * LCM_NAMES.len() * TWO_NUMBER_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[LCM_CONSTANTS.len(), LCM_NAMES.len(), TWO_NUMBER_NAMES.len()],
        );
        let k = LCM_CONSTANTS[d[0]];
        let (function_name, p) = (LCM_NAMES[d[1]], TWO_NUMBER_NAMES[d[2]]);
        let case = |n: i64| Case::new(vec![PyValue::Int(n)], n.abs() * k / gcd(n, k));
        let examples = vec![case(4), case(-9), case(0)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [1, k, 2 * k, -7].into_iter().map(case).collect();
        for _ in 0..4 {
            hidden.push(case(rng.int(-60, 60)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return the least common multiple of the int {p} and {k}: the smallest positive \
                 int divisible by both the absolute value of {p} and {k}. Return 0 when {p} is 0."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["number-theory".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    a, b = abs({p}), {k}\n    while b:\n        \
                 a, b = b, a % b\n    return abs({p}) * {k} // a\n"
            ),
        }
    }
}

const PIECEWISE_NAMES: &[&str] = &["piecewise_value", "piecewise", "step_function"];
const PIECE_STARTS: &[i64] = &[-5, -2, 0, 3];
const PIECE_WIDTHS: &[i64] = &[4, 10];
const PIECE_SLOPES: &[i64] = &[2, 3, -2];
const PIECE_OFFSETS: &[i64] = &[1, 5, 10];
const PIECE_TOPS: &[i64] = &[0, 100];

/// `piecewise_value`: a three-piece function of x with fixed thresholds and coefficients.
struct PiecewiseValue;

impl Family for PiecewiseValue {
    fn name(&self) -> &'static str {
        "piecewise_value"
    }
    fn category(&self) -> Category {
        Category::Math
    }
    fn variants(&self) -> usize {
        PIECE_STARTS.len()
            * PIECE_WIDTHS.len()
            * PIECE_SLOPES.len()
            * PIECE_OFFSETS.len()
            * PIECE_TOPS.len()
            * PIECEWISE_NAMES.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                PIECE_STARTS.len(),
                PIECE_WIDTHS.len(),
                PIECE_SLOPES.len(),
                PIECE_OFFSETS.len(),
                PIECE_TOPS.len(),
                PIECEWISE_NAMES.len(),
            ],
        );
        let a = PIECE_STARTS[d[0]];
        let b = a + PIECE_WIDTHS[d[1]];
        let (m, c, v) = (PIECE_SLOPES[d[2]], PIECE_OFFSETS[d[3]], PIECE_TOPS[d[4]]);
        let function_name = PIECEWISE_NAMES[d[5]];
        let case = |x: i64| {
            let y = if x < a {
                m * x
            } else if x < b {
                x + c
            } else {
                v
            };
            Case::new(vec![PyValue::Int(x)], y)
        };
        let examples = vec![case(a - 4), case(a + 1), case(b + 2)];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden: Vec<Case> = [a - 1, a, b - 1, b, a - 10, b + 7]
            .into_iter()
            .map(case)
            .collect();
        for _ in 0..2 {
            hidden.push(case(rng.int(a - 20, b + 20)));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec!["x"],
            description: format!(
                "Given an int x, return {m} * x if x < {a}; x + {c} if {a} <= x < {b}; and {v} \
                 if x >= {b}."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["conditionals".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}(x):\n    if x < {a}:\n        return {m} * x\n    \
                 if x < {b}:\n        return x + {c}\n    return {v}\n"
            ),
        }
    }
}

const DEDUPE_NAMES: &[&str] = &[
    "dedupe_preserve",
    "remove_duplicates",
    "unique_in_order",
    "dedupe",
];

/// `dedupe_preserve`: keep at most k occurrences of each value (the first or the last ones),
/// preserving order.
struct DedupePreserve;

/// Keeps at most `k` occurrences of each value: the earliest ones, or the latest if `last`.
fn keep_at_most<T: Clone + Eq + std::hash::Hash>(values: &[T], k: usize, last: bool) -> Vec<T> {
    let mut seen = std::collections::HashMap::new();
    let mut keep = |v: &T| {
        let count = seen.entry(v.clone()).or_insert(0usize);
        *count += 1;
        *count <= k
    };
    if last {
        let mut kept: Vec<T> = values.iter().rev().filter(|v| keep(v)).cloned().collect();
        kept.reverse();
        kept
    } else {
        values.iter().filter(|v| keep(v)).cloned().collect()
    }
}

impl Family for DedupePreserve {
    fn name(&self) -> &'static str {
        "dedupe_preserve"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        // keep 1..=4 occurrences, the first or the last ones
        4 * 2 * DEDUPE_NAMES.len() * LIST_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, &[4, 2, DEDUPE_NAMES.len(), LIST_PARAMS.len()]);
        let k = d[0] + 1;
        let last = d[1] == 1;
        let which = if last { "last" } else { "first" };
        let (function_name, p) = (DEDUPE_NAMES[d[2]], LIST_PARAMS[d[3]]);
        let case = |v: Vec<i64>| {
            let kept = keep_at_most(&v, k, last);
            Case::new(vec![int_list(&v)], int_list(&kept))
        };
        let examples = vec![
            case(vec![5, 1, 5, 2, 1, 5, 5, 5, 5, 2]),
            case(vec![4, 4, 4, 4, 4, 4]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![rng.int(-9, 9)])];
        let words = ["a", "b", "a", "c", "b", "a", "a", "a", "c", "a"];
        hidden.push(Case::new(
            vec![PyValue::strs(&words)],
            PyValue::strs(&keep_at_most(&words, k, last)),
        ));
        for _ in 0..5 {
            let len = rng.int(6, 12) as usize;
            hidden.push(case(rng.ints(len, 0, 3)));
        }
        let reversed = if last { "reversed(" } else { "(" };
        let flip = if last { "    result.reverse()\n" } else { "" };
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Return a new list with the elements of the list {p} (ints or strings) in their \
                 original order, keeping for each value only its {which} {k} occurrence(s) and \
                 dropping any other occurrences."
            ),
            difficulty: if k == 1 && !last {
                Difficulty::Easy
            } else {
                Difficulty::Medium
            },
            tags: vec!["lists".into(), "dedupe".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    counts = {{}}\n    result = []\n    \
                 for v in {reversed}{p}):\n        counts[v] = counts.get(v, 0) + 1\n        \
                 if counts[v] <= {k}:\n            result.append(v)\n{flip}    return result\n"
            ),
        }
    }
}

const PARSE_INT_NAMES: &[&str] = &[
    "parse_int_list",
    "parse_numbers",
    "split_ints",
    "to_int_list",
];
const INT_SEPARATORS: &[&str] = &[",", ";", "|", ":", "/", "#", "&", "~"];

/// `parse_int_list`: parse integers separated by a given character into a list.
struct ParseIntList;

impl Family for ParseIntList {
    fn name(&self) -> &'static str {
        "parse_int_list"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        INT_SEPARATORS.len() * PARSE_INT_NAMES.len() * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                INT_SEPARATORS.len(),
                PARSE_INT_NAMES.len(),
                TEXT_PARAMS.len(),
            ],
        );
        let sep = INT_SEPARATORS[d[0]];
        let (function_name, p) = (PARSE_INT_NAMES[d[1]], TEXT_PARAMS[d[2]]);
        let case = |text: String| {
            let values: Vec<i64> = if text.trim().is_empty() {
                Vec::new()
            } else {
                text.split(sep)
                    .map(|part| part.trim().parse().expect("generated ints parse"))
                    .collect()
            };
            Case::new(vec![PyValue::Str(text)], int_list(&values))
        };
        let examples = vec![
            case(["1", "2", "3"].join(sep)),
            case(format!(" 10 {sep}-4 ")),
            case(String::new()),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("   ".into()), case(rng.int(-9, 99).to_string())];
        for _ in 0..6 {
            let count = rng.int(1, 6) as usize;
            let parts: Vec<String> = (0..count)
                .map(|_| {
                    let before = " ".repeat(rng.below(3));
                    let after = " ".repeat(rng.below(2));
                    format!("{before}{}{after}", rng.int(-50, 99))
                })
                .collect();
            hidden.push(case(parts.join(sep)));
        }
        let q = quoted(sep);
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds integers separated by {q}, possibly with spaces around \
                 each integer. Return them as a list of ints, in order; an empty or all-space \
                 {p} gives []."
            ),
            difficulty: Difficulty::Easy,
            tags: vec!["parsing".into(), "strings".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    if not {p}.strip():\n        return []\n    \
                 return [int(part) for part in {p}.split({q})]\n"
            ),
        }
    }
}

const FLATTEN_NAMES: &[&str] = &["flatten_one_level", "join_groups", "flatten_with_separator"];
const FLATTEN_SEPARATORS: &[i64] = &[0, -1, 1, 5, 7, 9, 42, 99, 100, -100];
const GROUP_PARAMS: &[&str] = &["groups", "lists"];

/// `flatten_one_level`: flatten a list of lists one level, with a separator value between
/// consecutive inner lists.
struct FlattenOneLevel;

impl Family for FlattenOneLevel {
    fn name(&self) -> &'static str {
        "flatten_one_level"
    }
    fn category(&self) -> Category {
        Category::Lists
    }
    fn variants(&self) -> usize {
        FLATTEN_SEPARATORS.len() * FLATTEN_NAMES.len() * GROUP_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                FLATTEN_SEPARATORS.len(),
                FLATTEN_NAMES.len(),
                GROUP_PARAMS.len(),
            ],
        );
        let sep = FLATTEN_SEPARATORS[d[0]];
        let (function_name, p) = (FLATTEN_NAMES[d[1]], GROUP_PARAMS[d[2]]);
        let case = |groups: Vec<Vec<i64>>| {
            let mut flat = Vec::new();
            for (i, group) in groups.iter().enumerate() {
                if i > 0 {
                    flat.push(sep);
                }
                flat.extend(group);
            }
            let arg = PyValue::List(groups.iter().map(|g| int_list(g)).collect());
            Case::new(vec![arg], int_list(&flat))
        };
        let examples = vec![
            case(vec![vec![1, 2], vec![3]]),
            case(vec![vec![4], vec![], vec![5, 6]]),
            case(vec![vec![8, 9]]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(vec![vec![]]), case(vec![vec![], vec![]])];
        for _ in 0..5 {
            let count = rng.int(1, 4) as usize;
            let groups = (0..count)
                .map(|_| {
                    let len = rng.below(4);
                    rng.ints(len, 0, 20)
                })
                .collect();
            hidden.push(case(groups));
        }
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Flatten {p}, a list of lists of ints, one level into a single list, inserting \
                 the value {sep} between consecutive inner lists the way str.join puts a \
                 separator between strings (so [[1], [], [2]] gives [1, {sep}, {sep}, 2]). An \
                 empty list gives []."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["lists".into(), "nesting".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    result = []\n    \
                 for i, group in enumerate({p}):\n        if i:\n            \
                 result.append({sep})\n        result.extend(group)\n    return result\n"
            ),
        }
    }
}
