//! `parse_csv_row`: split one CSV-like row with a given delimiter and quote character.

use super::{quoted, text_case};
use crate::tasks::Difficulty;
use crate::tasks::families::{Category, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const CSV_DELIMITERS: &[&str] = &[",", ";", "|", "\t", ":"];
const CSV_QUOTES: &[&str] = &["\"", "'"];
const CSV_NAMES: &[&str] = &["parse_csv_row", "split_csv_line", "parse_row"];
const CSV_PARAMS: &[&str] = &["line", "row"];

/// Delimiters, quote characters, function names, parameter names.
const RADICES: &[usize] = &[
    CSV_DELIMITERS.len(),
    CSV_QUOTES.len(),
    CSV_NAMES.len(),
    CSV_PARAMS.len(),
];

pub(crate) struct ParseCsvRow;

impl Family for ParseCsvRow {
    fn name(&self) -> &'static str {
        "parse_csv_row"
    }
    fn category(&self) -> Category {
        Category::Parsing
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
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
