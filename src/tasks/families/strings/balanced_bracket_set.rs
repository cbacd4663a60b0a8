//! `balanced_bracket_set`: are the brackets of a given subset of kinds balanced?

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

const PAIRS: [(char, char); 4] = [('(', ')'), ('[', ']'), ('{', '}'), ('<', '>')];

/// Non-empty subsets of the four bracket kinds, function names, parameter names.
const RADICES: &[usize] = &[15, 2, 2];

pub(crate) struct BalancedBracketSet;

impl Family for BalancedBracketSet {
    fn name(&self) -> &'static str {
        "balanced_bracket_set"
    }
    fn category(&self) -> Category {
        Category::Strings
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let mask = d[0] + 1;
        let pairs: Vec<(char, char)> = (0..4)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| PAIRS[i])
            .collect();
        // Bracket kinds outside the set: ordinary characters for this task.
        let others: String = (0..4)
            .filter(|i| mask & (1 << i) == 0)
            .flat_map(|i| [PAIRS[i].0, PAIRS[i].1])
            .collect();
        let name = ["is_balanced", "brackets_match"][d[1]];
        let p = ["s", "text"][d[2]];
        let balanced = |s: &str| {
            let mut stack = Vec::new();
            for ch in s.chars() {
                if let Some(&(open, _)) = pairs.iter().find(|(_, close)| *close == ch) {
                    if stack.pop() != Some(open) {
                        return false;
                    }
                } else if pairs.iter().any(|(open, _)| *open == ch) {
                    stack.push(ch);
                }
            }
            stack.is_empty()
        };
        let case = |s: String| {
            let ok = balanced(&s);
            Case::new(vec![PyValue::Str(s)], ok)
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let noise: Vec<char> = format!("ab{others}").chars().collect();
        let mut hidden = vec![case(String::new()), case(pairs[0].0.to_string())];
        for i in 0..6 {
            let mut chars: Vec<char> = Vec::new();
            random_balanced(&mut rng, &pairs, &noise, 3, &mut chars);
            // Every other case is corrupted: a bracket dropped, or two characters swapped.
            if i % 2 == 1 && chars.len() >= 2 {
                let at = rng.below(chars.len() - 1);
                if rng.chance(50) {
                    chars.remove(at);
                } else {
                    chars.swap(at, at + 1);
                }
            }
            hidden.push(case(chars.into_iter().collect()));
        }
        let (o1, c1) = pairs[0];
        let (o2, c2) = pairs[pairs.len() - 1];
        let noisy = others.chars().next().unwrap_or('x');
        let pl = PyValue::strs(
            &pairs
                .iter()
                .map(|(o, c)| format!("{o}{c}"))
                .collect::<Vec<_>>(),
        )
        .to_python();
        let opens: String = pairs.iter().map(|(o, _)| *o).collect();
        let closes = pairs
            .iter()
            .map(|(o, c)| format!("'{c}': '{o}'"))
            .collect::<Vec<_>>()
            .join(", ");
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return True if the brackets in the string {p} are balanced, where the bracket pairs are {pl} and every other character (including any other kind of bracket) is ignored. Balanced means each closing bracket matches the most recent unmatched opening bracket, and no opening bracket is left unmatched."
            ),
            difficulty: Difficulty::Medium,
            tags: &["stacks", "strings"],
            examples: vec![
                case(format!("{o1}a{o2}{c2}{c1}")),
                case(format!("{c1}{o1}")),
                case(format!("{noisy}{o2}x{c2}{o1}{c1}")),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    closers = {{{closes}}}\n    stack = []\n    for ch in {p}:\n        if ch in '{opens}':\n            stack.append(ch)\n        elif ch in closers:\n            if not stack or stack[-1] != closers[ch]:\n                return False\n            stack.pop()\n    return not stack\n"
            ),
        }
        .finish()
    }
}

/// Appends a random balanced bracket sequence over `pairs`, sprinkled with `noise` characters.
fn random_balanced(
    rng: &mut Rng,
    pairs: &[(char, char)],
    noise: &[char],
    depth: usize,
    out: &mut Vec<char>,
) {
    for _ in 0..rng.below(3) + 1 {
        if rng.chance(30) {
            out.push(*rng.pick(noise));
        }
        let (open, close) = *rng.pick(pairs);
        out.push(open);
        if depth > 0 && rng.chance(50) {
            random_balanced(rng, pairs, noise, depth - 1, out);
        }
        out.push(close);
    }
}
