//! Python values as the task generator sees them: arguments and expected results of test cases,
//! rendered as Python literals into hidden tests.

use std::fmt::Write as _;

/// A Python value that can be written as a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    /// Insertion-ordered, as Python dicts are.
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// The value as Python source text, e.g. `[1, 'a', (2, 3)]`.
    pub fn to_python(&self) -> String {
        let mut out = String::new();
        self.write_python(&mut out);
        out
    }

    fn write_python(&self, out: &mut String) {
        match self {
            PyValue::None => out.push_str("None"),
            PyValue::Bool(true) => out.push_str("True"),
            PyValue::Bool(false) => out.push_str("False"),
            PyValue::Int(n) => {
                let _ = write!(out, "{n}");
            }
            PyValue::Float(x) => {
                assert!(x.is_finite(), "task values must be finite floats");
                // Rust's `{:?}` is the shortest round-trip form, like Python's repr.
                let _ = write!(out, "{x:?}");
            }
            PyValue::Str(s) => write_str_literal(s, out),
            PyValue::List(items) => {
                out.push('[');
                write_seq(items, out);
                out.push(']');
            }
            PyValue::Tuple(items) => {
                out.push('(');
                write_seq(items, out);
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            PyValue::Dict(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_python(out);
                    out.push_str(": ");
                    v.write_python(out);
                }
                out.push('}');
            }
        }
    }

    /// Shorthands for generator code.
    pub fn str(s: impl Into<String>) -> PyValue {
        PyValue::Str(s.into())
    }
    pub fn ints(values: &[i64]) -> PyValue {
        PyValue::List(values.iter().map(|&v| PyValue::Int(v)).collect())
    }
    pub fn strs<S: AsRef<str>>(values: &[S]) -> PyValue {
        PyValue::List(values.iter().map(|v| PyValue::str(v.as_ref())).collect())
    }
    /// A list of integer lists, e.g. `[[1, 2], [3]]`.
    pub fn int_lists(rows: &[Vec<i64>]) -> PyValue {
        PyValue::List(rows.iter().map(|r| PyValue::ints(r)).collect())
    }
}

fn write_seq(items: &[PyValue], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.write_python(out);
    }
}

/// Writes a single-quoted Python string literal, escaping like `repr`.
fn write_str_literal(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

impl From<i64> for PyValue {
    fn from(v: i64) -> Self {
        PyValue::Int(v)
    }
}
impl From<bool> for PyValue {
    fn from(v: bool) -> Self {
        PyValue::Bool(v)
    }
}
impl From<&str> for PyValue {
    fn from(v: &str) -> Self {
        PyValue::Str(v.to_string())
    }
}
impl From<String> for PyValue {
    fn from(v: String) -> Self {
        PyValue::Str(v)
    }
}
impl From<f64> for PyValue {
    fn from(v: f64) -> Self {
        PyValue::Float(v)
    }
}

#[cfg(test)]
mod tests {
    use super::PyValue::*;

    #[test]
    fn renders_python_literals() {
        let v = List(vec![
            Int(-3),
            Float(1.0),
            Float(0.1),
            Str("it's\n".into()),
            Tuple(vec![Int(1)]),
            Dict(vec![(Str("a".into()), None)]),
            Bool(true),
        ]);
        assert_eq!(
            v.to_python(),
            "[-3, 1.0, 0.1, 'it\\'s\\n', (1,), {'a': None}, True]"
        );
    }
}
