//! `parse_duration`: parse a duration such as `1h30m` into a whole number of a given unit.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};

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

/// Unit spellings, result units, function names, parameter names.
const RADICES: &[usize] = &[
    DURATION_STYLES.len(),
    DURATION_RESULTS.len(),
    DURATION_NAMES.len(),
    DURATION_PARAMS.len(),
];

pub(crate) struct ParseDuration;

impl Family for ParseDuration {
    fn name(&self) -> &'static str {
        "parse_duration"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
