//! Contrasts: a failed attempt set against a verified attempt at the same task. When the two
//! differ by one slip (a renamed function, a missing colon, a number one off, one operator for
//! another, a loop that never ends, no code at all), the slip and its fix are what a rule can
//! say. Classification is deterministic and reads only the two programs and the task's
//! description; attempts that differ in more than one place teach nothing certain and are kept
//! as unclassified contrasts.

use crate::code::signature;
use crate::memory::shape::{Literal, literals};
use crate::prompt::description;
use crate::store::contrasts::FailedAttempt;
use crate::store::episodes::Episode;
use crate::tasks::Task;

/// Operators and builtins whose swap is a slip a rule can name (`<` for `<=`, `max` for `min`).
const SWAPPABLE: &[&str] = &[
    "+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "and", "or", "max", "min",
    "sorted", "list", "lower", "upper",
];

/// What went wrong in a failed attempt that a verified one got right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slip {
    NoCode,
    WrongName,
    SyntaxError,
    RunawayLoop,
    /// A number of the task's description written one off.
    TaskNumberOffByOne,
    /// Another constant (a bound, a start) one off.
    ConstantOffByOne,
    /// One operator or builtin for another, in one kind of task.
    Operator {
        shape: String,
        failed: String,
        verified: String,
    },
}

impl Slip {
    /// The stable key contrasts are grouped by.
    pub fn key(&self) -> String {
        match self {
            Slip::NoCode => "no_code".into(),
            Slip::WrongName => "wrong_name".into(),
            Slip::SyntaxError => "syntax_error".into(),
            Slip::RunawayLoop => "runaway_loop".into(),
            Slip::TaskNumberOffByOne => "task_number_off_by_one".into(),
            Slip::ConstantOffByOne => "constant_off_by_one".into(),
            Slip::Operator {
                shape,
                failed,
                verified,
            } => format!("operator\u{1f}{shape}\u{1f}{failed}\u{1f}{verified}"),
        }
    }

    /// The slip of a key written by `key`.
    pub fn from_key(key: &str) -> Option<Slip> {
        Some(match key {
            "no_code" => Slip::NoCode,
            "wrong_name" => Slip::WrongName,
            "syntax_error" => Slip::SyntaxError,
            "runaway_loop" => Slip::RunawayLoop,
            "task_number_off_by_one" => Slip::TaskNumberOffByOne,
            "constant_off_by_one" => Slip::ConstantOffByOne,
            other => {
                let mut parts = other.strip_prefix("operator\u{1f}")?.split('\u{1f}');
                Slip::Operator {
                    shape: parts.next()?.into(),
                    failed: parts.next()?.into(),
                    verified: parts.next()?.into(),
                }
            }
        })
    }

    /// The task shape the rule is about (`None`: every kind of task).
    pub fn scope(&self) -> Option<String> {
        match self {
            Slip::Operator { shape, .. } => Some(shape.clone()),
            _ => None,
        }
    }

    /// The rule: the slip that failed and what fixed it, in words a model can act on.
    pub fn rule(&self) -> String {
        match self {
            Slip::NoCode => "Answer with the Python function itself: replies that described a solution in prose and gave no code failed where a reply with just the function passed.".into(),
            Slip::WrongName => "Name the function exactly as the task's \"Function name:\" line says: attempts that renamed it (for example with a \"_solution\" suffix) failed where the same code under the asked name passed.".into(),
            Slip::SyntaxError => "Write code that parses, and end the def line with a colon: attempts with a syntax error failed where the same code written correctly passed.".into(),
            Slip::RunawayLoop => "Make every loop end: attempts with a `while True:` loop that never exits timed out where a loop over the input passed.".into(),
            Slip::TaskNumberOffByOne => "Use the numbers written in the task exactly: attempts that used one more or one less than the task's number failed where the task's own number passed.".into(),
            Slip::ConstantOffByOne => "Check bounds and start values for off-by-one errors: attempts with a constant one more or one less than a verified solution's failed.".into(),
            Slip::Operator { shape, failed, verified } => format!(
                "In tasks like \"{shape}\", use `{verified}`, not `{failed}`: attempts with `{failed}` failed where the same code with `{verified}` passed."
            ),
        }
    }
}

/// Python source as tokens: names and numbers, quoted strings, operators; whitespace dropped.
fn tokens(code: &str) -> Vec<String> {
    const TWO: &[&str] = &["<=", ">=", "==", "!=", "//", "**", "->", "+=", "-="];
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == '\'' || c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c && chars[i] != '\n' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.push(chars[start..i].iter().collect());
        } else {
            let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if TWO.contains(&pair.as_str()) {
                out.push(pair);
                i += 2;
            } else {
                out.push(c.to_string());
                i += 1;
            }
        }
    }
    out
}

/// The differing middles of two token sequences (after their common prefix and suffix).
fn difference<'a>(failed: &'a [String], verified: &'a [String]) -> (&'a [String], &'a [String]) {
    let prefix = failed
        .iter()
        .zip(verified)
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = failed[prefix..]
        .iter()
        .rev()
        .zip(verified[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (
        &failed[prefix..failed.len() - suffix],
        &verified[prefix..verified.len() - suffix],
    )
}

/// The slip between a failed attempt and a verified one of the same task, if there is one.
pub fn classify(
    failed: &FailedAttempt,
    verified: &Episode,
    task: &Task,
    shape: &str,
) -> Option<Slip> {
    if failed.code.trim().is_empty() {
        return failed.error.is_some().then_some(Slip::NoCode);
    }
    let asked = &task.function_name;
    if let (Some((failed_name, _)), Some((verified_name, _))) =
        (signature(&failed.code), signature(&verified.code))
    {
        if &failed_name != asked && &verified_name == asked {
            let renamed =
                failed
                    .code
                    .replacen(&format!("def {failed_name}("), &format!("def {asked}("), 1);
            return (tokens(&renamed) == tokens(&verified.code)).then_some(Slip::WrongName);
        }
    }
    let failed_tokens = tokens(&failed.code);
    let verified_tokens = tokens(&verified.code);
    let (f, v) = difference(&failed_tokens, &verified_tokens);
    match (f, v) {
        ([], [colon]) if colon == ":" => Some(Slip::SyntaxError),
        (inserted, [])
            if failed.verdict == "timeout" && inserted.join(" ").contains("while True") =>
        {
            Some(Slip::RunawayLoop)
        }
        ([a], [b]) => {
            if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
                if (x - y).abs() != 1 {
                    return None;
                }
                let in_task = literals(description(&task.prompt))
                    .iter()
                    .any(|l| matches!(l, Literal::Number(n) if n.trim_start_matches('-') == b));
                return Some(if in_task {
                    Slip::TaskNumberOffByOne
                } else {
                    Slip::ConstantOffByOne
                });
            }
            (SWAPPABLE.contains(&a.as_str()) && SWAPPABLE.contains(&b.as_str())).then(|| {
                Slip::Operator {
                    shape: shape.to_string(),
                    failed: a.clone(),
                    verified: b.clone(),
                }
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Task {
        Task {
            task_id: "t".into(),
            prompt: "Return n plus 3.".into(),
            function_name: "add3".into(),
            signature: "(n)".into(),
            reference_tests: String::new(),
            assert_tests: Vec::new(),
            family: None,
            category: None,
            difficulty: None,
            tags: Vec::new(),
        }
    }

    fn failed(code: &str, verdict: &str) -> FailedAttempt {
        FailedAttempt {
            id: 1,
            task_id: "t".into(),
            code: code.into(),
            verdict: verdict.into(),
            first_failure: None,
            error: None,
            log: String::new(),
        }
    }

    fn slip(failed_code: &str, verdict: &str) -> Option<Slip> {
        let verified = Episode {
            id: 1,
            task_id: "t".into(),
            family: None,
            prompt: "Return n plus 3.".into(),
            function_name: "add3".into(),
            code: "def add3(n):\n    return n + 3\n".into(),
        };
        classify(
            &failed(failed_code, verdict),
            &verified,
            &task(),
            "Return <P0> plus <N>.",
        )
    }

    #[test]
    fn names_the_one_slip_between_a_failed_and_a_verified_attempt() {
        assert_eq!(
            slip("def add3_solution(n):\n    return n + 3", "fail"),
            Some(Slip::WrongName)
        );
        assert_eq!(
            slip("def add3(n)\n    return n + 3", "error"),
            Some(Slip::SyntaxError)
        );
        assert_eq!(
            slip("def add3(n):\n    return n + 4", "fail"),
            Some(Slip::TaskNumberOffByOne)
        );
        assert_eq!(
            slip("def add3(n):\n    return n - 3", "fail"),
            Some(Slip::Operator {
                shape: "Return <P0> plus <N>.".into(),
                failed: "-".into(),
                verified: "+".into()
            })
        );
        assert_eq!(
            slip(
                "def add3(n):\n    while True:\n        pass\n    return n + 3",
                "timeout"
            ),
            Some(Slip::RunawayLoop)
        );
        assert_eq!(
            slip("def add3(n):\n    return 2 * n - 7", "fail"),
            None,
            "more than one difference"
        );
        let mut none = failed("", "error");
        none.error = Some("no Python code in the response".into());
        let verified = Episode {
            id: 1,
            task_id: "t".into(),
            family: None,
            prompt: String::new(),
            function_name: "add3".into(),
            code: "def add3(n):\n    return n + 3".into(),
        };
        assert_eq!(classify(&none, &verified, &task(), "s"), Some(Slip::NoCode));
    }

    #[test]
    fn keys_round_trip() {
        for slip in [
            Slip::NoCode,
            Slip::WrongName,
            Slip::ConstantOffByOne,
            Slip::Operator {
                shape: "Return <P0> plus <N>.".into(),
                failed: "-".into(),
                verified: "+".into(),
            },
        ] {
            assert_eq!(Slip::from_key(&slip.key()), Some(slip));
        }
    }
}
