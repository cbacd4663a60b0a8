//! `group_words_by_length`: a dict from word length to the words of that length.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Minimum lengths 1..=5, function names, parameter names.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct GroupWordsByLength;

impl Family for GroupWordsByLength {
    fn name(&self) -> &'static str {
        "group_words_by_length"
    }
    fn category(&self) -> Category {
        Category::Dicts
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let m = d[0] + 1;
        let name = [
            "group_by_length",
            "words_by_length",
            "bucket_words",
            "length_groups",
        ][d[1]];
        let p = ["words", "strings", "tokens"][d[2]];
        let case = |words: Vec<String>| {
            let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
            for w in &words {
                let len = w.chars().count();
                if len < m {
                    continue;
                }
                match groups.iter_mut().find(|(l, _)| *l == len) {
                    Some(g) => g.1.push(w.clone()),
                    None => groups.push((len, vec![w.clone()])),
                }
            }
            let expected = PyValue::Dict(
                groups
                    .into_iter()
                    .map(|(l, ws)| (PyValue::Int(l as i64), PyValue::strs(&ws)))
                    .collect(),
            );
            Case::new(vec![PyValue::strs(&words)], expected)
        };
        let ws = |words: &[&str]| -> Vec<String> { words.iter().map(|w| w.to_string()).collect() };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case(vec![]), case(ws(&["", "ab", "abcdef"]))];
        for _ in 0..6 {
            let n = rng.below(8) + 1;
            let words = (0..n)
                .map(|_| {
                    let len = rng.below(8);
                    rng.string(len, "abcdefgh")
                })
                .collect();
            hidden.push(case(words));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "Return a dict mapping each word length to the list of strings in {p} with that length, in their original order (duplicates kept); strings shorter than {m} characters are left out."
            ),
            difficulty: Difficulty::Easy,
            tags: &["dicts", "grouping", "strings"],
            examples: vec![
                case(ws(&["hi", "sun", "go", "tree", "a", "moon"])),
                case(ws(&["apple", "kiwi", "plum", "banana"])),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    groups = {{}}\n    for word in {p}:\n        if len(word) >= {m}:\n            groups.setdefault(len(word), []).append(word)\n    return groups\n"
            ),
        }
        .finish()
    }
}
