//! The simulator's mistakes and its untidy output. Each botch is a mistake real small models
//! make; `dress` wraps code the way chat models do (fences, prose), which extraction must handle.

use crate::tasks::families::Rng;

/// Which mistake a botch made, so that advice in the prompt naming it can prevent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slip {
    OffByOne,
    /// `from` (right) written as `to`.
    Operator {
        from: &'static str,
        to: &'static str,
    },
    WrongName,
    SyntaxError,
    RunawayLoop,
}

/// One kind of mistake: the botched code and which slip it is, or `None` where it cannot apply.
type Botch = fn(&str, &mut Rng) -> Option<(String, Slip)>;

/// Introduces one realistic mistake into otherwise right code, and says which.
pub(crate) fn botch(code: &str, rng: &mut Rng) -> (String, Slip) {
    // Runaway loops are rare, as they are in real samples (and each costs a full timeout).
    if rng.below(1000) == 0 {
        return (runaway_loop(code), Slip::RunawayLoop);
    }
    let attempts: [Botch; 4] = [off_by_one, swap_operator, wrong_name, syntax_error];
    let start = rng.below(attempts.len());
    for i in 0..attempts.len() {
        if let Some((out, slip)) = attempts[(start + i) % attempts.len()](code, rng) {
            if out != code {
                return (out, slip);
            }
        }
    }
    syntax_error(code, rng).unwrap_or_else(|| (format!("{code}\n)"), Slip::SyntaxError))
}

/// Changes an integer literal in the body by one.
fn off_by_one(code: &str, rng: &mut Rng) -> Option<(String, Slip)> {
    let body_start = code.find('\n')?;
    let body = &code[body_start..];
    let positions: Vec<usize> = body
        .char_indices()
        .filter(|&(i, c)| {
            c.is_ascii_digit()
                && !body[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|p| p.is_alphanumeric() || p == '_')
                && !body[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_ascii_digit())
        })
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() {
        return None;
    }
    let at = positions[rng.below(positions.len())];
    let mut start = at;
    while start > 0 && body.as_bytes()[start - 1].is_ascii_digit() {
        start -= 1;
    }
    let value: i64 = body[start..=at].parse().ok()?;
    let delta = if rng.chance(50) { 1 } else { -1 };
    Some((
        format!(
            "{}{}{}{}",
            &code[..body_start],
            &body[..start],
            value + delta,
            &body[at + 1..]
        ),
        Slip::OffByOne,
    ))
}

/// Swaps one operator or builtin for a plausible wrong one.
fn swap_operator(code: &str, rng: &mut Rng) -> Option<(String, Slip)> {
    const SWAPS: &[(&str, &str)] = &[
        (" + ", " - "),
        (" - ", " + "),
        (" * ", " + "),
        (" < ", " <= "),
        (" <= ", " < "),
        (" > ", " >= "),
        (" >= ", " > "),
        (" == ", " != "),
        ("max(", "min("),
        ("min(", "max("),
        (".lower()", ".upper()"),
        ("[::-1]", ""),
        (" and ", " or "),
        ("sorted(", "list("),
        (" // ", " / "),
        (" % ", " // "),
    ];
    let body_start = code.find('\n')?;
    let applicable: Vec<&(&str, &str)> = SWAPS
        .iter()
        .filter(|(from, _)| code[body_start..].contains(from))
        .collect();
    if applicable.is_empty() {
        return None;
    }
    let (from, to) = *applicable[rng.below(applicable.len())];
    let body = code[body_start..].replacen(from, to, 1);
    Some((
        format!("{}{body}", &code[..body_start]),
        Slip::Operator { from, to },
    ))
}

/// Names the function differently from what was asked.
fn wrong_name(code: &str, _rng: &mut Rng) -> Option<(String, Slip)> {
    let (name, _) = crate::code::signature(code)?;
    Some((
        code.replacen(&format!("def {name}("), &format!("def {name}_solution("), 1),
        Slip::WrongName,
    ))
}

/// Drops the colon of the `def` line.
fn syntax_error(code: &str, _rng: &mut Rng) -> Option<(String, Slip)> {
    let line_end = code.find('\n').unwrap_or(code.len());
    let def_line = &code[..line_end];
    let colon = def_line.rfind(':')?;
    Some((
        format!("{}{}", &def_line[..colon], &code[colon + 1..]),
        Slip::SyntaxError,
    ))
}

/// Starts the body with a loop that never ends.
fn runaway_loop(code: &str) -> String {
    match code.find('\n') {
        Some(i) => format!(
            "{}\n    while True:\n        pass{}",
            &code[..i],
            &code[i..]
        ),
        None => code.to_string(),
    }
}

/// Wraps code the way chat models do; now and then with prose and no code at all.
pub(crate) fn dress(code: &str, rng: &mut Rng) -> String {
    let code = code.trim_end();
    match rng.below(100) {
        0..=54 => format!("{code}\n"),
        55..=79 => format!("```python\n{code}\n```"),
        80..=91 => {
            format!("Here is the function:\n\n```python\n{code}\n```\n\nIt handles the examples.")
        }
        92..=97 => format!("Sure! The solution is below.\n{code}\n"),
        _ => "I think this needs a loop over the input and a careful check of the edge cases."
            .to_string(),
    }
}
