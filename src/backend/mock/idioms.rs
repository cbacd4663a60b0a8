//! The simulator's built-in knowledge: a short, documented list of idioms it recognises from the
//! wording of a task, and the plausible wrong guesses it makes for everything else. This list is
//! deliberately small; the simulator's baseline is low and varies by family and difficulty.

use super::ParsedPrompt;
use super::adapt::{Literal, literals};
use crate::tasks::Difficulty;
use crate::tasks::families::Rng;

/// An idiom: if the description contains every `cue`, `write` produces code from the function
/// name, the parameters and the literals of the description.
struct Idiom {
    cues: &'static [&'static str],
    difficulty: Difficulty,
    write: fn(&str, &[String], &[Literal]) -> Option<String>,
}

fn number(literals: &[Literal], index: usize) -> Option<&str> {
    literals
        .iter()
        .filter_map(|l| {
            if let Literal::Number(n) = l {
                Some(n.as_str())
            } else {
                None
            }
        })
        .nth(index)
}

fn text(literals: &[Literal], index: usize) -> Option<String> {
    literals
        .iter()
        .filter_map(|l| {
            if let Literal::Text(t) = l {
                Some(format!("{t:?}"))
            } else {
                None
            }
        })
        .nth(index)
}

fn one_param(params: &[String]) -> Option<&str> {
    params.first().map(String::as_str)
}

/// What the simulator knows: sixteen idioms, each listed in the README's mock section. Three of
/// them are subtly wrong (it forgets the modulo of a rotation, the empty input of a parser and
/// the minimum length of a palindrome), as a weak model's knowledge is.
const IDIOMS: &[Idiom] = &[
    Idiom {
        cues: &["plus"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p} + {k}\n",
                p = one_param(params)?,
                k = number(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["minus"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p} - {k}\n",
                p = one_param(params)?,
                k = number(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["multiplied by"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p} * {k}\n",
                p = one_param(params)?,
                k = number(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["replaced by"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p}.replace({a}, {b})\n",
                p = one_param(params)?,
                a = text(lits, 0)?,
                b = text(lits, 1)?
            ))
        },
    },
    Idiom {
        cues: &["appears in", "removed"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return ''.join(c for c in {p} if c not in {a})\n",
                p = one_param(params)?,
                a = text(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["how many characters"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return sum(1 for c in {p} if c in {a})\n",
                p = one_param(params)?,
                a = text(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["how many times", "occurs"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p}.count({a})\n",
                p = one_param(params)?,
                a = text(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["padded on the left"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p}.rjust({w}, {f})\n",
                p = one_param(params)?,
                f = text(lits, 0)?,
                w = number(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["characters followed by"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            let (p, n) = (one_param(params)?, number(lits, 0)?);
            Some(format!(
                "def {name}({p}):\n    if len({p}) > {n}:\n        return {p}[:{n}] + {e}\n    return {p}\n",
                e = text(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["greatest common divisor"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "import math\n\n\ndef {name}({p}):\n    return math.gcd({p}, {k})\n",
                p = one_param(params)?,
                k = number(lits, 0)?
            ))
        },
    },
    Idiom {
        cues: &["least common multiple"],
        difficulty: Difficulty::Medium,
        write: |name, params, lits| {
            let (p, k) = (one_param(params)?, number(lits, 0)?);
            Some(format!(
                "import math\n\n\ndef {name}({p}):\n    if {p} == 0:\n        return 0\n    return abs({p} * {k}) // math.gcd({p}, {k})\n"
            ))
        },
    },
    Idiom {
        cues: &["limited to the range"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return max({lo}, min({p}, {hi}))\n",
                p = one_param(params)?,
                lo = number(lits, 0)?,
                hi = number(lits, 1)?
            ))
        },
    },
    Idiom {
        cues: &["whose length is greater than"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return ' '.join(w for w in {p}.split() if len(w) > {n})\n",
                p = one_param(params)?,
                n = number(lits, 0)?
            ))
        },
    },
    // Subtly wrong: forgets to take the shift modulo the length.
    Idiom {
        cues: &["rotated left"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return {p}[{k}:] + {p}[:{k}]\n",
                p = one_param(params)?,
                k = number(lits, 0)?
            ))
        },
    },
    // Subtly wrong: an empty text gives int('') and a ValueError.
    Idiom {
        cues: &["integers separated by"],
        difficulty: Difficulty::Easy,
        write: |name, params, lits| {
            Some(format!(
                "def {name}({p}):\n    return [int(part) for part in {p}.split({s})]\n",
                p = one_param(params)?,
                s = text(lits, 0)?
            ))
        },
    },
    // Subtly wrong: ignores the minimum length.
    Idiom {
        cues: &["reads the same forwards and backwards"],
        difficulty: Difficulty::Easy,
        write: |name, params, _| {
            let p = one_param(params)?;
            Some(format!(
                "def {name}({p}):\n    cleaned = ''.join(c.lower() for c in {p} if c.isalnum())\n    return cleaned == cleaned[::-1]\n"
            ))
        },
    },
];

/// Code the simulator writes from its own knowledge, with the idiom's difficulty.
pub(crate) fn native(prompt: &ParsedPrompt) -> Option<(String, Difficulty)> {
    let lower = prompt.description.to_lowercase();
    let lits = literals(&prompt.description);
    IDIOMS
        .iter()
        .filter(|idiom| idiom.cues.iter().all(|cue| lower.contains(cue)))
        .find_map(|idiom| {
            (idiom.write)(&prompt.function_name, &prompt.params, &lits)
                .map(|code| (code, idiom.difficulty))
        })
}

/// A plausible but uninformed attempt, shaped by the words of the task.
pub(crate) fn guess(prompt: &ParsedPrompt, rng: &mut Rng) -> String {
    let lower = prompt.description.to_lowercase();
    let name = &prompt.function_name;
    let params = if prompt.params.is_empty() {
        vec!["x".to_string()]
    } else {
        prompt.params.clone()
    };
    let p = &params[0];
    let body = if lower.contains("true") && lower.contains("false") {
        format!("return bool({p})")
    } else if lower.contains("number of") || lower.contains("count") {
        format!("return len({p})")
    } else if lower.contains("list") {
        if rng.chance(50) {
            format!("return sorted({p})")
        } else {
            format!("return [x for x in {p} if x]")
        }
    } else if lower.contains("string") || lower.contains("text") {
        format!("return {p}.strip()")
    } else if lower.contains("sum") {
        format!("return sum({p})")
    } else {
        format!("return {p}")
    };
    format!("def {name}({}):\n    {body}\n", params.join(", "))
}
