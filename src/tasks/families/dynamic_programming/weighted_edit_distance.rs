//! `weighted_edit_distance`: edit distance with given insert/delete/replace costs.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Insert, delete and replace costs 1..=3 each, function names.
const RADICES: &[usize] = &[3, 3, 3, 3];

pub(crate) struct WeightedEditDistance;

impl Family for WeightedEditDistance {
    fn name(&self) -> &'static str {
        "weighted_edit_distance"
    }
    fn category(&self) -> Category {
        Category::DynamicProgramming
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        let d = decode(index, RADICES);
        let (ins, del, sub) = (d[0] as i64 + 1, d[1] as i64 + 1, d[2] as i64 + 1);
        let name = ["edit_cost", "transform_cost", "min_edit_cost"][d[3]];
        let case = |a: &str, b: &str| {
            let (a_chars, b_chars): (Vec<char>, Vec<char>) =
                (a.chars().collect(), b.chars().collect());
            let mut row: Vec<i64> = (0..=b_chars.len() as i64).map(|j| j * ins).collect();
            for (i, ca) in a_chars.iter().enumerate() {
                let mut next = vec![(i as i64 + 1) * del];
                for (j, cb) in b_chars.iter().enumerate() {
                    let replace = row[j] + if ca == cb { 0 } else { sub };
                    next.push(replace.min(row[j + 1] + del).min(next[j] + ins));
                }
                row = next;
            }
            Case::new(vec![PyValue::str(a), PyValue::str(b)], row[b_chars.len()])
        };
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![case("", ""), case("same", "same"), case("ab", "ba")];
        for _ in 0..5 {
            let (la, lb) = (rng.below(7), rng.below(7));
            let (a, b) = (rng.string(la, "abc"), rng.string(lb, "abc"));
            hidden.push(case(&a, &b));
        }
        Draft {
            function_name: name.into(),
            params: vec!["a", "b"],
            description: format!(
                "Return the minimum total cost of turning the string a into the string b, where inserting one character costs {ins}, deleting one character costs {del} and replacing one character by a different one costs {sub}."
            ),
            difficulty: Difficulty::Hard,
            tags: &["dynamic-programming", "strings"],
            examples: vec![
                case("kitten", "sitting"),
                case("abc", ""),
                case("", "xy"),
                case("flaw", "lawn"),
            ],
            hidden,
            reference: format!(
                "def {name}(a, b):\n    row = [j * {ins} for j in range(len(b) + 1)]\n    for i, ca in enumerate(a, 1):\n        nxt = [i * {del}]\n        for j, cb in enumerate(b, 1):\n            nxt.append(min(row[j - 1] + (0 if ca == cb else {sub}), row[j] + {del}, nxt[j - 1] + {ins}))\n        row = nxt\n    return row[-1]\n"
            ),
        }
        .finish()
    }
}
