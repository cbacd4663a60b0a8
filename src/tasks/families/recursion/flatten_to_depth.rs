//! `flatten_to_depth`: splice nested lists into their parents up to d levels deep.

use crate::tasks::Difficulty;
use crate::tasks::families::{Case, Category, Draft, Family, Rng, TaskSpec, decode, product};
use crate::tasks::pyvalue::PyValue;

/// Depths 2..=6, function names, parameter names.
const RADICES: &[usize] = &[5, 4, 3];

pub(crate) struct FlattenToDepth;

impl Family for FlattenToDepth {
    fn name(&self) -> &'static str {
        "flatten_to_depth"
    }
    fn category(&self) -> Category {
        Category::Recursion
    }
    fn variants(&self) -> usize {
        product(RADICES)
    }
    fn build(&self, index: usize) -> TaskSpec {
        use Nested::{Int as I, List as L};
        let dec = decode(index, RADICES);
        let d = dec[0] + 2;
        let name = ["flatten_to_depth", "flatten_levels", "flat_depth", "unnest"][dec[1]];
        let p = ["items", "nested", "data"][dec[2]];
        let case =
            |items: Vec<Nested>| Case::new(vec![nested_py(&items)], nested_py(&flatten(&items, d)));
        // [1, [2, [3, [4, [5, [6, [7, [8]]]]]]], 9]: each depth leaves a different tail.
        let mut chain = L(vec![I(8)]);
        for v in (2..=7).rev() {
            chain = L(vec![I(v), chain]);
        }
        let mut rng = Rng::for_variant(self.name(), index);
        let mut hidden = vec![
            case(vec![]),
            case(vec![I(5)]),
            case(vec![L(vec![]), L(vec![L(vec![])])]),
        ];
        for _ in 0..5 {
            hidden.push(case(random_nested(&mut rng, d + 2)));
        }
        Draft {
            function_name: name.into(),
            params: vec![p],
            description: format!(
                "{p} is a list whose items are integers or lists built the same way. Flatten it {d} levels deep: every list nested at most {d} levels inside {p} (its own items are at level 1) is replaced by its items, in order, while lists nested more deeply stay lists. Return the new list without modifying {p}."
            ),
            difficulty: Difficulty::Medium,
            tags: &["recursion", "lists"],
            examples: vec![
                case(vec![I(1), chain, I(9)]),
                case(vec![L(vec![I(1), I(2)]), L(vec![L(vec![I(3)])]), I(4), L(vec![])]),
            ],
            hidden,
            reference: format!(
                "def {name}({p}):\n    def go(xs, depth):\n        out = []\n        for x in xs:\n            if isinstance(x, list) and depth > 0:\n                out.extend(go(x, depth - 1))\n            else:\n                out.append(x)\n        return out\n\n    return go({p}, {d})\n"
            ),
        }
        .finish()
    }
}

/// A value of a nested integer list: an integer or a list of such values.
#[derive(Debug, Clone)]
enum Nested {
    Int(i64),
    List(Vec<Nested>),
}

impl Nested {
    fn to_py(&self) -> PyValue {
        match self {
            Nested::Int(n) => PyValue::Int(*n),
            Nested::List(items) => nested_py(items),
        }
    }
}

fn nested_py(items: &[Nested]) -> PyValue {
    PyValue::List(items.iter().map(Nested::to_py).collect())
}

/// Splices lists into their parent up to `depth` levels down (JavaScript's `flat(depth)`).
fn flatten(items: &[Nested], depth: usize) -> Vec<Nested> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Nested::List(inner) if depth > 0 => out.extend(flatten(inner, depth - 1)),
            other => out.push(other.clone()),
        }
    }
    out
}

/// A random nested list with up to four items per list and at most `depth` levels of lists.
fn random_nested(rng: &mut Rng, depth: usize) -> Vec<Nested> {
    let len = rng.below(5);
    (0..len)
        .map(|_| {
            if depth > 0 && rng.chance(40) {
                Nested::List(random_nested(rng, depth - 1))
            } else {
                Nested::Int(rng.int(-9, 30))
            }
        })
        .collect()
}
