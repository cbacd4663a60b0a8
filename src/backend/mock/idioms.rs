//! The simulator's built-in knowledge: a short, documented list of idioms it recognises from the
//! wording of a task, and the plausible wrong guesses it makes for everything else. This list is
//! deliberately partial and unreliable: the simulator's baseline is low and varies by family and
//! difficulty.

use super::ParsedPrompt;
use super::adapt::{Literal, literals};
use crate::tasks::Difficulty;
use crate::tasks::families::Rng;

/// What an idiom sees of the task.
struct Ctx<'a> {
    name: &'a str,
    params: &'a [String],
    literals: Vec<Literal>,
    description: &'a str,
}

impl Ctx<'_> {
    fn p(&self) -> Option<&str> {
        self.params.first().map(String::as_str)
    }
    fn num(&self, index: usize) -> Option<&str> {
        self.literals
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
    fn text(&self, index: usize) -> Option<String> {
        self.literals
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
    /// The first `[a, b, c]` list written in the description.
    fn list(&self) -> Option<&str> {
        let start = self.description.find('[')?;
        let end = self.description[start..].find(']')? + start;
        Some(&self.description[start..=end])
    }
    fn def(&self, body: &str) -> Option<String> {
        Some(format!(
            "def {}({}):\n{body}",
            self.name,
            self.params.join(", ")
        ))
    }
}

/// An idiom: if the description contains every `cue`, `write` produces code.
struct Idiom {
    cues: &'static [&'static str],
    difficulty: Difficulty,
    write: fn(&Ctx) -> Option<String>,
}

/// What the simulator knows: thirty-one idioms (listed in the README's mock section) for
/// 30 of the 71 task families. Three of them are subtly wrong (a rotation that forgets the
/// modulo, a parser that forgets the empty input, a palindrome check that forgets the minimum
/// length), as a weak model's knowledge is. The others are right when written without a slip.
const IDIOMS: &[Idiom] = &[
    Idiom {
        cues: &["replaced by"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return {}.replace({}, {})\n",
                c.p()?,
                c.text(0)?,
                c.text(1)?
            ))
        },
    },
    Idiom {
        cues: &["appears in", "removed"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return ''.join(ch for ch in {} if ch not in {})\n",
                c.p()?,
                c.text(0)?
            ))
        },
    },
    Idiom {
        cues: &["how many characters"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return sum(1 for ch in {} if ch in {})\n",
                c.p()?,
                c.text(0)?
            ))
        },
    },
    Idiom {
        cues: &["how many times", "occurs"],
        difficulty: Difficulty::Easy,
        write: |c| c.def(&format!("    return {}.count({})\n", c.p()?, c.text(0)?)),
    },
    Idiom {
        cues: &["padded on the left"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return {}.rjust({}, {})\n",
                c.p()?,
                c.num(0)?,
                c.text(0)?
            ))
        },
    },
    Idiom {
        cues: &["characters followed by"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let (p, n) = (c.p()?, c.num(0)?);
            c.def(&format!(
                "    if len({p}) > {n}:\n        return {p}[:{n}] + {}\n    return {p}\n",
                c.text(0)?
            ))
        },
    },
    Idiom {
        cues: &["greatest common divisor"],
        difficulty: Difficulty::Easy,
        write: |c| {
            Some(format!(
                "import math\n\n\n{}",
                c.def(&format!("    return math.gcd({}, {})\n", c.p()?, c.num(0)?))?
            ))
        },
    },
    Idiom {
        cues: &["least common multiple"],
        difficulty: Difficulty::Medium,
        write: |c| {
            let (p, k) = (c.p()?, c.num(0)?);
            Some(format!("import math\n\n\n{}", c.def(&format!("    if {p} == 0:\n        return 0\n    return abs({p} * {k}) // math.gcd({p}, {k})\n"))?))
        },
    },
    Idiom {
        cues: &["limited to the range"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return max({}, min({}, {}))\n",
                c.num(0)?,
                c.p()?,
                c.num(1)?
            ))
        },
    },
    Idiom {
        cues: &["whose length is greater than"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return ' '.join(w for w in {}.split() if len(w) > {})\n",
                c.p()?,
                c.num(0)?
            ))
        },
    },
    Idiom {
        cues: &["strictly greater than", "sum"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return sum(v for v in {} if v > {})\n",
                c.p()?,
                c.num(0)?
            ))
        },
    },
    Idiom {
        cues: &["divisible by", "original order"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return [x for x in {} if x % {} == 0]\n",
                c.p()?,
                c.num(0)?
            ))
        },
    },
    Idiom {
        cues: &["consecutive chunks of"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let (p, n) = (c.p()?, c.num(0)?);
            c.def(&format!(
                "    return [{p}[i:i + {n}] for i in range(0, len({p}), {n})]\n"
            ))
        },
    },
    Idiom {
        cues: &["running totals"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let p = c.p()?;
            c.def(&format!("    total = {}\n    out = []\n    for v in {p}:\n        total += v\n        out.append(total)\n    return out\n", c.num(0)?))
        },
    },
    Idiom {
        cues: &["lie in the closed range"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return sum(1 for v in {} if {} <= v <= {})\n",
                c.p()?,
                c.num(0)?,
                c.num(1)?
            ))
        },
    },
    Idiom {
        cues: &["every window of"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let (p, n) = (c.p()?, c.num(0)?);
            c.def(&format!(
                "    return [sum({p}[i:i + {n}]) for i in range(len({p}) - {n} + 1)]\n"
            ))
        },
    },
    Idiom {
        cues: &["sum of the digits", "base"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let (p, b) = (c.p()?, c.num(0)?);
            c.def(&format!("    total = 0\n    while {p} > 0:\n        total += {p} % {b}\n        {p} //= {b}\n    return total\n"))
        },
    },
    Idiom {
        cues: &["repeatedly replace", "odd"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let p = c.p()?;
            let limit = c.num(3)?;
            c.def(&format!(
                "    steps = 0\n    while {p} > {limit}:\n        {p} = {p} // 2 if {p} % 2 == 0 else 3 * {p} + 1\n        steps += 1\n    return steps\n"
            ))
        },
    },
    Idiom {
        cues: &["multiples of", "below"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return sum(i for i in range(1, {}) if i % {} == 0 or i % {} == 0)\n",
                c.p()?,
                c.num(0)?,
                c.num(1)?
            ))
        },
    },
    Idiom {
        cues: &["positive divisors", "greater than or equal to"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let p = c.p()?;
            c.def(&format!(
                "    return sum(1 for d in range(1, {p} + 1) if {p} % d == 0 and d >= {})\n",
                c.num(0)?
            ))
        },
    },
    Idiom {
        cues: &["each word reversed"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return {s}.join(w[::-1] for w in {}.split({s}))\n",
                c.p()?,
                s = c.text(0)?
            ))
        },
    },
    Idiom {
        cues: &["fibonacci"],
        difficulty: Difficulty::Medium,
        write: |c| {
            let (p, m) = (c.p()?, c.num(0)?);
            c.def(&format!("    a, b = 0, 1\n    for _ in range({p}):\n        a, b = b, (a + b) % {m}\n    return a % {m}\n"))
        },
    },
    Idiom {
        cues: &["minimum number of coins"],
        difficulty: Difficulty::Medium,
        write: |c| {
            let (p, coins) = (c.p()?, c.list()?);
            c.def(&format!(
                "    best = [0] + [-1] * {p}\n    for total in range(1, {p} + 1):\n        options = [best[total - coin] for coin in {coins} if coin <= total and best[total - coin] >= 0]\n        best[total] = min(options) + 1 if options else -1\n    return best[{p}]\n"
            ))
        },
    },
    Idiom {
        cues: &["ordered sequences of steps"],
        difficulty: Difficulty::Medium,
        write: |c| {
            let (p, steps) = (c.p()?, c.list()?);
            c.def(&format!(
                "    ways = [1] + [0] * {p}\n    for i in range(1, {p} + 1):\n        ways[i] = sum(ways[i - s] for s in {steps} if s <= i)\n    return ways[{p}]\n"
            ))
        },
    },
    Idiom {
        cues: &["shift every letter"],
        difficulty: Difficulty::Medium,
        write: |c| {
            let (p, k) = (c.p()?, c.num(0)?);
            c.def(&format!(
                "    out = []\n    for ch in {p}:\n        if ch.islower():\n            out.append(chr((ord(ch) - 97 + {k}) % 26 + 97))\n        elif ch.isupper():\n            out.append(chr((ord(ch) - 65 + {k}) % 26 + 65))\n        else:\n            out.append(ch)\n    return ''.join(out)\n"
            ))
        },
    },
    // Subtly wrong: forgets to take the shift modulo the length.
    Idiom {
        cues: &["rotated left"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return {p}[{k}:] + {p}[:{k}]\n",
                p = c.p()?,
                k = c.num(0)?
            ))
        },
    },
    // Subtly wrong: an empty text gives int('') and a ValueError.
    Idiom {
        cues: &["holds integers separated by"],
        difficulty: Difficulty::Easy,
        write: |c| {
            c.def(&format!(
                "    return [int(part) for part in {}.split({})]\n",
                c.p()?,
                c.text(0)?
            ))
        },
    },
    // Subtly wrong: ignores the minimum length.
    Idiom {
        cues: &["reads the same forwards and backwards"],
        difficulty: Difficulty::Easy,
        write: |c| {
            let p = c.p()?;
            c.def(&format!("    cleaned = ''.join(ch.lower() for ch in {p} if ch.isalnum())\n    return cleaned == cleaned[::-1]\n"))
        },
    },
    // The most generic cues come last, so a specific idiom wins.
    Idiom {
        cues: &["return", " plus "],
        difficulty: Difficulty::Easy,
        write: |c| c.def(&format!("    return {} + {}\n", c.p()?, c.num(0)?)),
    },
    Idiom {
        cues: &["return", " minus "],
        difficulty: Difficulty::Easy,
        write: |c| c.def(&format!("    return {} - {}\n", c.p()?, c.num(0)?)),
    },
    Idiom {
        cues: &["return", " multiplied by "],
        difficulty: Difficulty::Easy,
        write: |c| c.def(&format!("    return {} * {}\n", c.p()?, c.num(0)?)),
    },
];

/// Code the simulator writes from its own knowledge, with the idiom's difficulty.
pub(crate) fn native(prompt: &ParsedPrompt) -> Option<(String, Difficulty)> {
    let lower = prompt.description.to_lowercase();
    let ctx = Ctx {
        name: &prompt.function_name,
        params: &prompt.params,
        literals: literals(&prompt.description),
        description: &prompt.description,
    };
    // The one-line arithmetic idioms only fire on one-line tasks ("Return n plus 3.").
    let short = lower.split_whitespace().count() <= 6;
    IDIOMS
        .iter()
        .filter(|idiom| idiom.cues.iter().all(|cue| lower.contains(cue)))
        .filter(|idiom| short || !idiom.cues.contains(&"return"))
        .find_map(|idiom| (idiom.write)(&ctx).map(|code| (code, idiom.difficulty)))
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
