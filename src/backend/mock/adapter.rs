//! A simulated LoRA adapter for the mock backend, so that training, the promotion gate and the
//! `learning` conditions run end to end without PyTorch, in seconds. SIMULATION: nothing is
//! trained; "training" keeps the verified solutions of the training set, grouped by the shape of
//! their task (the description with its literals taken out, `prompt::pattern`), and "serving" the
//! adapter makes the simulator recall a learned solution of the same shape and adapt it to the
//! new task's names and literals, more reliably the more examples of that shape it saw. Like a
//! fine-tuned small model, it helps on the families it was trained on and nowhere else, and it
//! carries its training set's mistakes: a wrongly generalised solution is recalled as confidently
//! as a right one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::ParsedPrompt;
use crate::tasks::families::Rng;

/// The file a simulated adapter is written to, inside its adapter folder.
pub const SIMULATED_ADAPTER_FILE: &str = "simulated_adapter.json";
/// Recorded in the file; a file of another format is refused.
const FORMAT: &str = "rslm-simulated-adapter-v1";

/// Chance that a shape seen once is recalled; each further example adds `RECALL_STEP_PERCENT`,
/// up to `RECALL_MAX_PERCENT` (a fine-tuned model is more reliable on what it saw often).
const RECALL_BASE_PERCENT: u64 = 60;
const RECALL_STEP_PERCENT: u64 = 15;
const RECALL_MAX_PERCENT: u64 = 90;

/// What the simulated adapter "learned": per task shape, the solutions it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatedAdapter {
    pub format: String,
    /// Always true: a reader of the file sees that it is no model.
    pub simulation: bool,
    pub examples: usize,
    /// Task shape -> learned (description, code) pairs, in training order.
    pub learned: BTreeMap<String, Vec<Learned>>,
}

/// One learned solution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    pub description: String,
    pub code: String,
}

impl SimulatedAdapter {
    /// "Trains" on (user message, verified answer) pairs, optionally on top of an earlier
    /// adapter (`--continue-adapter`): the learned solutions of both.
    pub fn train<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        start: Option<&SimulatedAdapter>,
    ) -> SimulatedAdapter {
        let mut adapter = start.cloned().unwrap_or(SimulatedAdapter {
            format: FORMAT.to_string(),
            simulation: true,
            examples: 0,
            learned: BTreeMap::new(),
        });
        for (user, answer) in pairs {
            let task = ParsedPrompt::parse(user, "");
            if task.description.is_empty() {
                continue;
            }
            let code = super::fenced(answer).unwrap_or_else(|| answer.trim().to_string());
            let learned = Learned {
                description: task.description.clone(),
                code,
            };
            let shape = adapter
                .learned
                .entry(crate::memory::shape::pattern(&task.description))
                .or_default();
            if !shape.contains(&learned) {
                shape.push(learned);
                adapter.examples += 1;
            }
        }
        adapter
    }

    /// Reads an adapter file (cached: every request of an eval names the same file).
    pub fn load(path: &Path) -> anyhow::Result<Arc<SimulatedAdapter>> {
        static CACHE: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<SimulatedAdapter>>>> =
            OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(found) = cache.lock().expect("cache lock").get(path) {
            return Ok(found.clone());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the simulated adapter {}", path.display()))?;
        let adapter: SimulatedAdapter = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a simulated adapter", path.display()))?;
        if adapter.format != FORMAT {
            anyhow::bail!(
                "{}: format {:?}, expected {FORMAT}",
                path.display(),
                adapter.format
            );
        }
        let adapter = Arc::new(adapter);
        cache
            .lock()
            .expect("cache lock")
            .insert(path.to_path_buf(), adapter.clone());
        Ok(adapter)
    }

    /// Writes the adapter file.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Shapes learned, for reports.
    pub fn shapes(&self) -> usize {
        self.learned.len()
    }

    /// A learned solution of the task's shape, adapted to it, when the adapter recalls one;
    /// `rng` is the adapter's own stream, so using an adapter leaves the simulator's other
    /// draws unchanged.
    pub(crate) fn recall(&self, prompt: &ParsedPrompt, rng: &mut Rng) -> Option<String> {
        let seen = self
            .learned
            .get(&crate::memory::shape::pattern(&prompt.description))?;
        let extra = seen.len().saturating_sub(1) as u64;
        let percent = (RECALL_BASE_PERCENT + RECALL_STEP_PERCENT * extra).min(RECALL_MAX_PERCENT);
        if !rng.chance(percent) {
            return None;
        }
        // Only a learned task whose literals line up with the new one's (same kinds, same signs)
        // carries over: text substitution cannot turn `- 3` into `+ 1`.
        let fitting: Vec<&Learned> = seen
            .iter()
            .filter(|l| literals_line_up(&l.description, &prompt.description))
            .collect();
        if fitting.is_empty() {
            return None;
        }
        let pick = fitting[rng.below(fitting.len())];
        super::adapt::from_example(&pick.description, &pick.code, prompt)
    }
}

fn literals_line_up(old: &str, new: &str) -> bool {
    use crate::prompt::{Literal, literals};
    let (old, new) = (literals(old), literals(new));
    old.len() == new.len()
        && old.iter().zip(&new).all(|pair| match pair {
            (Literal::Number(a), Literal::Number(b)) => {
                a.starts_with('-') == b.starts_with('-') && (a == "0") == (b == "0")
            }
            (Literal::Text(a), Literal::Text(b)) => a.is_empty() == b.is_empty(),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEVEN: &str = "Task:\nReturn x plus 7.\n\nExamples:\n    add_const_7(0) == 7\n\nFunction name: add_const_7\nSignature: def add_const_7(x):\n";

    #[test]
    fn recalls_only_the_shapes_it_saw_and_adapts_them() {
        let adapter =
            SimulatedAdapter::train([(SEVEN, "def add_const_7(x):\n    return x + (7)")], None);
        assert_eq!((adapter.examples, adapter.shapes()), (1, 1));
        let same_shape = ParsedPrompt::parse(
            "Task:\nReturn x plus 3.\n\nFunction name: add_const_3\nSignature: def add_const_3(x):\n",
            "add_const_3",
        );
        let other = ParsedPrompt::parse(
            "Task:\nReturn the gcd of a and b.\n\nFunction name: g\nSignature: def g(a, b):\n",
            "g",
        );
        let mut recalled = 0;
        for seed in 0..200 {
            let mut rng = Rng::for_variant("t", seed);
            if let Some(code) = adapter.recall(&same_shape, &mut rng) {
                assert_eq!(code.trim(), "def add_const_3(x):\n    return x + (3)");
                recalled += 1;
            }
            assert!(adapter.recall(&other, &mut rng).is_none());
        }
        // About RECALL_BASE_PERCENT of 200; a wide margin, the stream is fixed.
        assert!((90..=150).contains(&recalled), "{recalled}");
    }
}
