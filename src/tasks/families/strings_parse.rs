//! Parsing families: structured text (key=value lists, versions, Roman numerals, CSV rows,
//! durations) turned into Python values, with the separators and units spelled out in the prompt.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode};
use crate::tasks::pyvalue::PyValue;

const PAIR_SEPARATORS: &[&str] = &[";", ",", "&", "|"];
const KEY_VALUE_SEPARATORS: &[&str] = &["=", ":", "->"];
const KEY_VALUE_NAMES: &[&str] = &["parse_key_values", "parse_pairs", "parse_settings"];
const TEXT_PARAMS: &[&str] = &["text", "s"];

/// `parse_key_values`: parse `key=value` entries with given separators into a dict of ints.
pub(super) struct ParseKeyValues;

impl Family for ParseKeyValues {
    fn name(&self) -> &'static str {
        "parse_key_values"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        PAIR_SEPARATORS.len()
            * KEY_VALUE_SEPARATORS.len()
            * KEY_VALUE_NAMES.len()
            * TEXT_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                PAIR_SEPARATORS.len(),
                KEY_VALUE_SEPARATORS.len(),
                KEY_VALUE_NAMES.len(),
                TEXT_PARAMS.len(),
            ],
        );
        let (pair_sep, kv_sep) = (PAIR_SEPARATORS[d[0]], KEY_VALUE_SEPARATORS[d[1]]);
        let (function_name, p) = (KEY_VALUE_NAMES[d[2]], TEXT_PARAMS[d[3]]);
        let case = |text: String| {
            // Python dicts keep a key's first position when it is overwritten; so does this.
            let mut pairs: Vec<(String, i64)> = Vec::new();
            for entry in text.split(pair_sep).filter(|e| !e.trim().is_empty()) {
                let (key, value) = entry
                    .split_once(kv_sep)
                    .expect("generated entries have a key");
                let value: i64 = value.trim().parse().expect("generated values parse");
                match pairs.iter_mut().find(|(k, _)| k == key.trim()) {
                    Some(pair) => pair.1 = value,
                    None => pairs.push((key.trim().to_string(), value)),
                }
            }
            let dict = pairs
                .into_iter()
                .map(|(k, v)| (PyValue::Str(k), PyValue::Int(v)))
                .collect();
            text_case(&text, PyValue::Dict(dict))
        };
        let entry = |k: &str, v: i64| format!("{k}{kv_sep}{v}");
        let examples = vec![
            case([entry("a", 1), entry("b", 2)].join(pair_sep)),
            case([entry(" x ", -5), entry("y", 7), entry("x", 3)].join(pair_sep)),
            case(String::new()),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(format!("{pair_sep} {pair_sep}")), case(entry("k", 0))];
        for _ in 0..6 {
            let count = rng.int(1, 5);
            let mut entries = Vec::new();
            for _ in 0..count {
                let klen = rng.int(1, 3) as usize;
                let key = rng.string(klen, "abcde");
                let pad = " ".repeat(rng.below(2));
                entries.push(format!("{pad}{key}{pad}{kv_sep}{pad}{}", rng.int(-99, 999)));
            }
            if rng.chance(30) {
                entries.push(String::new());
            }
            hidden.push(case(entries.join(pair_sep)));
        }
        let (qp, qk) = (quoted(pair_sep), quoted(kv_sep));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} holds entries separated by {qp}; each entry is a key and an \
                 integer value separated by {qk}, with optional spaces around keys and values. \
                 Return a dict mapping each stripped key (a str) to its value (an int); a key \
                 seen again overwrites the earlier value. Skip empty or all-space entries, so \
                 '' gives {{}}."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["parsing".into(), "dicts".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    result = {{}}\n    for entry in {p}.split({qp}):\n        \
                 if not entry.strip():\n            continue\n        \
                 key, value = entry.split({qk}, 1)\n        result[key.strip()] = int(value)\n    \
                 return result\n"
            ),
        }
    }
}

const VERSION_SEPARATORS: &[&str] = &[".", "-", ":", "/", ","];
const VERSION_NAMES: &[&str] = &["parse_version", "version_tuple", "split_version"];
const VERSION_PARAMS: &[&str] = &["text", "version"];

/// `parse_version`: parse a version string into a tuple of ints padded to a minimum length.
pub(super) struct ParseVersion;

impl Family for ParseVersion {
    fn name(&self) -> &'static str {
        "parse_version"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        // minimum lengths 2..=4
        VERSION_SEPARATORS.len() * 3 * VERSION_NAMES.len() * VERSION_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                VERSION_SEPARATORS.len(),
                3,
                VERSION_NAMES.len(),
                VERSION_PARAMS.len(),
            ],
        );
        let sep = VERSION_SEPARATORS[d[0]];
        let n = d[1] + 2;
        let (function_name, p) = (VERSION_NAMES[d[2]], VERSION_PARAMS[d[3]]);
        let case = |parts: &[&str]| {
            let mut values: Vec<PyValue> = parts
                .iter()
                .map(|part| PyValue::Int(part.parse().expect("generated parts parse")))
                .collect();
            while values.len() < n {
                values.push(PyValue::Int(0));
            }
            text_case(&parts.join(sep), PyValue::Tuple(values))
        };
        let examples = vec![
            case(&["2", "5"]),
            case(&["10", "0", "3", "1", "8"]),
            case(&["7"]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(&["0"]), case(&["1", "02", "3"])];
        for _ in 0..6 {
            let count = rng.int(1, 5) as usize;
            let parts: Vec<String> = (0..count).map(|_| rng.int(0, 20).to_string()).collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            hidden.push(case(&parts));
        }
        let q = quoted(sep);
        let eg = quoted(&["1", "4", "2"].join(sep));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} is a version made of non-negative integers separated by {q}, \
                 such as {eg}. Return a tuple of ints with one item per part, padded with zeros \
                 at the end to at least {n} items (longer versions keep all their parts)."
            ),
            difficulty: Difficulty::Medium,
            tags: vec!["parsing".into(), "tuples".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    parts = [int(x) for x in {p}.split({q})]\n    \
                 while len(parts) < {n}:\n        parts.append(0)\n    return tuple(parts)\n"
            ),
        }
    }
}

const ROMAN_SEPARATORS: &[&str] = &[" ", ",", ";", "|", "/", "-", "+"];
const ROMAN_NAMES: &[&str] = &["roman_to_int", "parse_roman", "roman_values"];
const ROMAN_PARAMS: &[&str] = &["text", "numerals", "s"];

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

/// `roman_to_int`: parse a list of Roman numerals with a given separator into their values.
pub(super) struct RomanToInt;

impl Family for RomanToInt {
    fn name(&self) -> &'static str {
        "roman_to_int"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        ROMAN_SEPARATORS.len() * ROMAN_NAMES.len() * ROMAN_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                ROMAN_SEPARATORS.len(),
                ROMAN_NAMES.len(),
                ROMAN_PARAMS.len(),
            ],
        );
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

const CSV_DELIMITERS: &[&str] = &[",", ";", "|", "\t", ":"];
const CSV_QUOTES: &[&str] = &["\"", "'"];
const CSV_NAMES: &[&str] = &["parse_csv_row", "split_csv_line", "parse_row"];
const CSV_PARAMS: &[&str] = &["line", "row"];

/// `parse_csv_row`: split one CSV-like row with a given delimiter and quote character.
pub(super) struct ParseCsvRow;

impl Family for ParseCsvRow {
    fn name(&self) -> &'static str {
        "parse_csv_row"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        CSV_DELIMITERS.len() * CSV_QUOTES.len() * CSV_NAMES.len() * CSV_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                CSV_DELIMITERS.len(),
                CSV_QUOTES.len(),
                CSV_NAMES.len(),
                CSV_PARAMS.len(),
            ],
        );
        let (delim, quote) = (CSV_DELIMITERS[d[0]], CSV_QUOTES[d[1]]);
        let (function_name, p) = (CSV_NAMES[d[2]], CSV_PARAMS[d[3]]);
        // Rows are written from their fields, so the fields are the expected value. A field is
        // quoted when asked to or when it must be (it holds the delimiter or the quote).
        let case = |fields: &[(&str, bool)]| {
            let cells: Vec<String> = fields
                .iter()
                .map(|&(field, force)| {
                    if force || field.contains(delim) || field.contains(quote) {
                        let doubled = field.replace(quote, &quote.repeat(2));
                        format!("{quote}{doubled}{quote}")
                    } else {
                        field.to_string()
                    }
                })
                .collect();
            let values: Vec<&str> = fields.iter().map(|&(f, _)| f).collect();
            text_case(&cells.join(delim), PyValue::strs(&values))
        };
        let x_delim_y = format!("x{delim}y");
        let say_hi = format!("say {quote}hi{quote}");
        let examples = vec![
            case(&[("a", false), ("b", false), ("c", false)]),
            case(&[(&x_delim_y, true), ("z", false)]),
            case(&[(&say_hi, true), ("", false)]),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(&[("", false)]), case(&[("", true)])];
        let alphabet = format!("ab xy1{delim}{quote}");
        for _ in 0..6 {
            let count = rng.int(1, 5) as usize;
            let fields: Vec<(String, bool)> = (0..count)
                .map(|_| {
                    let len = rng.int(0, 5) as usize;
                    (rng.string(len, &alphabet), rng.chance(30))
                })
                .collect();
            let fields: Vec<(&str, bool)> = fields.iter().map(|(f, q)| (f.as_str(), *q)).collect();
            hidden.push(case(&fields));
        }
        let (qd, qq) = (quoted(delim), quoted(quote));
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "Split the string {p}, one row of a CSV-like file, into a list of field strings. \
                 Fields are separated by {qd}. A field may be wrapped in {qq} characters: inside \
                 them the delimiter is an ordinary character and two {qq} in a row stand for one \
                 {qq}; the wrapping {qq} characters are not part of the field. Keep spaces as \
                 they are. A row with n delimiters outside quotes has n + 1 fields, so an empty \
                 {p} gives ['']."
            ),
            difficulty: Difficulty::Hard,
            tags: vec!["parsing".into(), "csv".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    fields = []\n    current = []\n    \
                 in_quotes = False\n    i = 0\n    while i < len({p}):\n        c = {p}[i]\n        \
                 if in_quotes:\n            if c == {qq}:\n                \
                 if i + 1 < len({p}) and {p}[i + 1] == {qq}:\n                    \
                 current.append(c)\n                    i += 1\n                else:\n                    \
                 in_quotes = False\n            else:\n                current.append(c)\n        \
                 elif c == {qq}:\n            in_quotes = True\n        elif c == {qd}:\n            \
                 fields.append(''.join(current))\n            current = []\n        else:\n            \
                 current.append(c)\n        i += 1\n    fields.append(''.join(current))\n    \
                 return fields\n"
            ),
        }
    }
}

/// Unit spellings for days, hours, minutes and seconds.
const DURATION_STYLES: &[[&str; 4]] = &[
    ["d", "h", "m", "s"],
    ["D", "H", "M", "S"],
    ["day", "hr", "min", "sec"],
];
const UNIT_SECONDS: [i64; 4] = [86400, 3600, 60, 1];
const DURATION_RESULTS: &[(&str, i64)] = &[("seconds", 1), ("minutes", 60), ("hours", 3600)];
const DURATION_NAMES: &[&str] = &[
    "parse_duration",
    "duration_in_units",
    "total_duration",
    "duration_value",
];
const DURATION_PARAMS: &[&str] = &["text", "duration"];

/// `parse_duration`: parse a duration such as `1h30m` into a whole number of a given unit.
pub(super) struct ParseDuration;

impl Family for ParseDuration {
    fn name(&self) -> &'static str {
        "parse_duration"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        DURATION_STYLES.len()
            * DURATION_RESULTS.len()
            * DURATION_NAMES.len()
            * DURATION_PARAMS.len()
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(
            index,
            &[
                DURATION_STYLES.len(),
                DURATION_RESULTS.len(),
                DURATION_NAMES.len(),
                DURATION_PARAMS.len(),
            ],
        );
        let style = DURATION_STYLES[d[0]];
        let (unit_name, unit_seconds) = DURATION_RESULTS[d[1]];
        let (function_name, p) = (DURATION_NAMES[d[2]], DURATION_PARAMS[d[3]]);
        // `parts` pairs an amount with a unit index (0 = days .. 3 = seconds).
        let case = |parts: &[(i64, usize)], spaced: bool| {
            let pieces: Vec<String> = parts
                .iter()
                .map(|&(amount, unit)| format!("{amount}{}", style[unit]))
                .collect();
            let total: i64 = parts.iter().map(|&(a, u)| a * UNIT_SECONDS[u]).sum();
            let text = pieces.join(if spaced { " " } else { "" });
            text_case(&text, total / unit_seconds)
        };
        let examples = vec![
            case(&[(1, 1), (30, 2)], false),
            case(&[(2, 0), (5, 3)], true),
            case(&[(90, 2)], false),
        ];
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(&[], false),
            case(&[(1, 0), (1, 1), (1, 2), (1, 3)], false),
        ];
        let ranges = [(0, 3), (0, 30), (0, 150), (0, 200)];
        for _ in 0..6 {
            let mut parts: Vec<(i64, usize)> = Vec::new();
            for (unit, &(lo, hi)) in ranges.iter().enumerate() {
                if rng.chance(60) {
                    parts.push((rng.int(lo, hi), unit));
                }
            }
            let parts = if parts.is_empty() {
                vec![(rng.int(1, 5), 1)]
            } else {
                parts
            };
            let spaced = rng.chance(40);
            hidden.push(case(&parts, spaced));
        }
        let [day, hour, minute, second] = style.map(quoted);
        let eg = quoted(&format!("1{}30{}", style[1], style[2]));
        let table: Vec<String> = style
            .iter()
            .zip(UNIT_SECONDS)
            .map(|(u, s)| format!("{}: {s}", quoted(u)))
            .collect();
        let table = table.join(", ");
        TaskSpec {
            function_name: function_name.into(),
            params: vec![p],
            description: format!(
                "The string {p} is a duration such as {eg}: parts made of a non-negative integer \
                 immediately followed by a unit, {day} (day, 86400 seconds), {hour} (hour, 3600 \
                 seconds), {minute} (minute, 60 seconds) or {second} (second); parts may be \
                 separated by spaces. Return the total duration as an int number of {unit_name}, \
                 rounded down. An empty {p} gives 0."
            ),
            difficulty: Difficulty::Hard,
            tags: vec!["parsing".into(), "time".into()],
            examples,
            hidden,
            reference_solution: format!(
                "def {function_name}({p}):\n    import re\n    seconds = {{{table}}}\n    \
                 total = 0\n    \
                 for amount, unit in re.findall(r'(\\d+)\\s*([A-Za-z]+)', {p}):\n        \
                 total += int(amount) * seconds[unit]\n    return total // {unit_seconds}\n"
            ),
        }
    }
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
