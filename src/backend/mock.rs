//! `mock`: an honest simulator of a weak code model, for demos and tests.
//!
//! It never sees tests or reference solutions: it reads only its prompt, like a model.
//! - Built-in knowledge is a small, documented set of idioms (see `idioms.rs`) that it applies
//!   unreliably: easy tasks come out right about half the time, hard ones rarely.
//! - Everything else gets a plausible wrong guess.
//! - It gains from memory only through the text of its prompt: when the chat holds a verified
//!   solution of a similar task (a worked example turn) or a procedure, it adapts that text to the new task (renames the
//!   function and parameters, substitutes the literals of the new prompt for the old ones). If the
//!   retrieved memory belongs to another kind of task, the adaptation is wrong: misleading memory
//!   misleads it, so its memory gain measures retrieval quality.
//! - Candidates are deterministic given the seed, and differ across the k candidates of a task.
//! - Failures are realistic: wrong logic, off-by-one, syntax errors, a wrong function name,
//!   markdown fences or prose around the code, and now and then a runaway loop.
//! - Rules in its prompt that name one of its four slips (a renamed function, a missing colon,
//!   a number one off, one operator for another) prevent that slip, when it was about to make
//!   it, 60% of the time; any other advice is ignored. It reads the rule's words, nothing else:
//!   a rule that names a slip it does not make changes nothing.

mod adapt;
pub mod adapter;
mod idioms;
mod noise;

use std::time::Instant;

use super::extract::extract_code;
use super::{Backend, Candidate, GenerationRequest};
use crate::prompt::{MEMORY_HEADER, PROCEDURE_MARKER, RULE_MARKER, TASK_MARKER};
use crate::tasks::families::Rng;

/// The simulator's model name, recorded with every run.
pub const MOCK_MODEL: &str = "mock-weak-v1";

/// Chance that an adaptation of remembered code is botched (a copy slip).
const ADAPT_SLIP_PERCENT: u64 = 12;

/// Chance that a rule naming the slip the simulator is about to make prevents it.
const HEED_PERCENT: u64 = 60;

#[derive(Debug, Default, Clone)]
pub struct MockBackend;

/// What the simulator understands of its prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ParsedPrompt {
    pub description: String,
    pub function_name: String,
    pub params: Vec<String>,
    /// Remembered (description, code) pairs, best first.
    pub examples: Vec<(String, String)>,
    /// Remembered procedure recipes (templates with `{name}`, `{p0}`, `{L0}` placeholders).
    pub procedures: Vec<String>,
    /// The rules of its memory block, lowercase.
    pub rules: Vec<String>,
}

impl ParsedPrompt {
    /// The task and its memory from a whole request: the user message and the worked examples
    /// sent before it (each a remembered task and its code; the last one is the best).
    pub(crate) fn from_request(request: &GenerationRequest) -> ParsedPrompt {
        let mut parsed = ParsedPrompt::parse(&request.user, &request.function_name);
        for shot in request.shots.iter().rev() {
            let task = ParsedPrompt::parse(&shot.user, "");
            let code = fenced(&shot.assistant).unwrap_or_else(|| shot.assistant.clone());
            parsed.examples.push((task.description, code));
        }
        parsed
    }

    /// The task of a user message, with the procedures of its memory block.
    pub(crate) fn parse(user: &str, function_name: &str) -> ParsedPrompt {
        let (task_part, memory_part) = match user.find(MEMORY_HEADER) {
            Some(i) => (&user[..i], &user[i + MEMORY_HEADER.len()..]),
            None => (user, ""),
        };
        let body = task_part
            .trim_start()
            .strip_prefix(TASK_MARKER)
            .unwrap_or(task_part);
        let task_text = body.split("\nFunction name:").next().unwrap_or(body);
        let description = crate::prompt::description(task_text).to_string();
        let params = task_part
            .lines()
            .find_map(|l| l.strip_prefix("Signature: def "))
            .and_then(|sig| {
                sig.split_once('(')
                    .map(|(_, rest)| rest.rsplit_once(')').map(|(p, _)| p).unwrap_or(rest))
            })
            .map(|p| {
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut parsed = ParsedPrompt {
            description,
            function_name: function_name.to_string(),
            params,
            ..Default::default()
        };
        for block in memory_part.split("\n### ").skip(1) {
            let block = format!("### {block}");
            if block.starts_with(PROCEDURE_MARKER) {
                if let Some(code) = fenced(&block) {
                    parsed.procedures.push(code);
                }
            } else if let Some(rule) = block.strip_prefix(RULE_MARKER) {
                parsed
                    .rules
                    .push(rule.trim_start_matches(':').trim().to_lowercase());
            }
        }
        parsed
    }

    /// Whether a rule of the prompt names this slip (by its words, as a reader would).
    pub(crate) fn warns_about(&self, slip: noise::Slip) -> bool {
        let mentions = |phrases: &[&str]| {
            self.rules
                .iter()
                .any(|rule| phrases.iter().any(|p| rule.contains(p)))
        };
        match slip {
            noise::Slip::WrongName => mentions(&["function name", "name the function"]),
            noise::Slip::SyntaxError => mentions(&["colon", "syntax"]),
            noise::Slip::OffByOne => {
                mentions(&["one more or one less", "off-by-one", "off by one"])
            }
            noise::Slip::Operator { from, to } => {
                let word = |op: &str| op.trim_matches(|c: char| " .()".contains(c)).to_string();
                let (right, wrong) = (word(from), word(to));
                !right.is_empty()
                    && !wrong.is_empty()
                    && mentions(&[&format!("use `{right}`, not `{wrong}`")])
            }
            noise::Slip::RunawayLoop => false,
        }
    }
}

fn fenced(block: &str) -> Option<String> {
    let start = block.find("```python\n")? + "```python\n".len();
    let end = block[start..].find("```")? + start;
    Some(block[start..end].trim_end().to_string())
}

fn prompt_hash(text: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl MockBackend {
    /// One candidate's raw text.
    /// `adapter` is a simulated adapter the request asked for, drawing from its own stream.
    fn write_candidate(
        &self,
        prompt: &ParsedPrompt,
        rng: &mut Rng,
        adapter: Option<(&adapter::SimulatedAdapter, &mut Rng)>,
    ) -> String {
        // Prefer memory, as a model given a worked example tends to copy it.
        let from_memory = prompt
            .procedures
            .iter()
            .find_map(|recipe| adapt::from_procedure(recipe, prompt))
            .or_else(|| {
                // Later candidates sometimes look at the second example.
                let order: Vec<usize> = if prompt.examples.len() > 1 && rng.chance(25) {
                    vec![1, 0]
                } else {
                    vec![0, 1]
                };
                order
                    .into_iter()
                    .filter_map(|i| prompt.examples.get(i))
                    .find_map(|(desc, code)| adapt::from_example(desc, code, prompt))
            })
            .or_else(|| adapter.and_then(|(learned, stream)| learned.recall(prompt, stream)));
        let code = match from_memory {
            Some(code) if !rng.chance(ADAPT_SLIP_PERCENT) => code,
            Some(code) => botched(&code, prompt, rng),
            None => match idioms::native(prompt) {
                Some((code, difficulty)) => {
                    let right_percent = match difficulty {
                        crate::tasks::Difficulty::Easy => 45,
                        crate::tasks::Difficulty::Medium => 30,
                        crate::tasks::Difficulty::Hard => 15,
                    };
                    if rng.chance(right_percent) {
                        code
                    } else {
                        botched(&code, prompt, rng)
                    }
                }
                None => idioms::guess(prompt, rng),
            },
        };
        noise::dress(&code, rng)
    }
}

/// One slip in right code, unless a rule of the prompt names that slip and is heeded. The
/// heeding draw is made only when a rule names the slip, so without rules the random stream
/// (and every candidate) is what it was.
fn botched(code: &str, prompt: &ParsedPrompt, rng: &mut Rng) -> String {
    let (wrong, slip) = noise::botch(code, rng);
    if prompt.warns_about(slip) && rng.chance(HEED_PERCENT) {
        code.to_string()
    } else {
        wrong
    }
}

impl Backend for MockBackend {
    fn name(&self) -> &'static str {
        "mock"
    }

    fn model(&self) -> String {
        MOCK_MODEL.to_string()
    }

    fn is_simulation(&self) -> bool {
        true
    }

    fn generate(&self, request: &GenerationRequest) -> anyhow::Result<Vec<Candidate>> {
        let prompt = ParsedPrompt::from_request(request);
        // The random stream depends on the task, not on its memory (worked examples, the block):
        // with and without memory the simulator draws the same numbers (common random numbers), so a paired comparison
        // of conditions shows what the memory changed, not sampling noise.
        // The block starts with a blank line after the task; without it the task part is byte
        // for byte the no-memory prompt.
        let block = format!("\n{MEMORY_HEADER}");
        let task_part = request
            .user
            .split(block.as_str())
            .next()
            .unwrap_or(&request.user);
        let base = request.seed ^ prompt_hash(task_part);
        let adapter = match &request.adapter {
            Some(super::AdapterRef::Simulated(path)) => {
                Some(adapter::SimulatedAdapter::load(std::path::Path::new(path))?)
            }
            _ => None,
        };
        Ok((0..request.n)
            .map(|i| {
                let started = Instant::now();
                // Greedy decoding (temperature 0) gives the same text for every candidate.
                let stream = if request.temperature <= 0.0 { 0 } else { i };
                let mut rng =
                    Rng::for_variant("mock", (base as usize) ^ stream.wrapping_mul(0x9e37_79b9));
                let mut adapter_rng = Rng::for_variant(
                    "mock-adapter",
                    (base as usize) ^ stream.wrapping_mul(0x9e37_79b9),
                );
                let raw = self.write_candidate(
                    &prompt,
                    &mut rng,
                    adapter.as_deref().map(|a| (a, &mut adapter_rng)),
                );
                let code = extract_code(&raw, &request.function_name);
                Candidate {
                    error: code
                        .is_none()
                        .then(|| "no Python code in the response".to_string()),
                    code: code.unwrap_or_default(),
                    completion_tokens: Some((raw.len() / 4) as u32),
                    prompt_tokens: Some((request.user.len() / 4) as u32),
                    raw,
                    latency_ms: started.elapsed().as_secs_f64() * 1e3,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(user: &str, n: usize, seed: u64) -> GenerationRequest {
        GenerationRequest {
            system: crate::prompt::SYSTEM.into(),
            user: user.into(),
            shots: Vec::new(),
            function_name: "add_const_3".into(),
            n,
            temperature: 0.2,
            max_tokens: 256,
            seed,
            adapter: None,
        }
    }

    const PLAIN: &str = "Task:\nReturn n plus 3.\n\nExamples:\n    add_const_3(0) == 3\n\nFunction name: add_const_3\nSignature: def add_const_3(n):\n";

    #[test]
    fn parses_its_prompt() {
        let p = ParsedPrompt::parse(PLAIN, "add_const_3");
        assert_eq!(p.description, "Return n plus 3.");
        assert_eq!(p.params, vec!["n"]);
        assert!(p.examples.is_empty());
    }

    #[test]
    fn is_deterministic_and_varies_across_candidates() {
        let a = MockBackend.generate(&request(PLAIN, 8, 1)).unwrap();
        let b = MockBackend.generate(&request(PLAIN, 8, 1)).unwrap();
        let strip = |cs: &[Candidate]| {
            cs.iter()
                .map(|c| (c.raw.clone(), c.code.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&a), strip(&b));
        let distinct: std::collections::HashSet<&str> = a.iter().map(|c| c.raw.as_str()).collect();
        assert!(
            distinct.len() > 1,
            "k candidates should differ: {distinct:?}"
        );
    }

    #[test]
    fn heeds_only_rules_that_name_its_slip() {
        let with_rule = |rule: &str| {
            ParsedPrompt::parse(
                &format!("{PLAIN}\n{MEMORY_HEADER}\n\n{RULE_MARKER}: {rule}\n"),
                "add_const_3",
            )
        };
        let name = with_rule(
            "Name the function exactly as the task's \"Function name:\" line says: attempts that renamed it failed.",
        );
        assert!(name.warns_about(noise::Slip::WrongName));
        assert!(!name.warns_about(noise::Slip::SyntaxError));
        let plus = with_rule("In tasks like \"Return <P0> plus <N>.\", use `+`, not `-`: ...");
        assert!(plus.warns_about(noise::Slip::Operator {
            from: " + ",
            to: " - "
        }));
        assert!(!plus.warns_about(noise::Slip::Operator {
            from: " - ",
            to: " + "
        }));
        assert!(!ParsedPrompt::parse(PLAIN, "add_const_3").warns_about(noise::Slip::WrongName));
        // A rule changes candidates only where it names the slip being made.
        let plain = MockBackend.generate(&request(PLAIN, 16, 3)).unwrap();
        let mut advised = request(PLAIN, 16, 3);
        advised.user = format!(
            "{PLAIN}\n{MEMORY_HEADER}\n\n{RULE_MARKER}: Name the function exactly as the task's \"Function name:\" line says.\n"
        );
        let advised = MockBackend.generate(&advised).unwrap();
        for (a, b) in plain.iter().zip(&advised) {
            if a.code != b.code {
                assert!(a.code.contains("add_const_3_solution("), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn adapts_a_remembered_sibling_solution() {
        let mut req = request(PLAIN, 1, 0);
        req.shots = vec![crate::backend::Shot {
            user: "Task:\nReturn x plus 7.\n\nExamples:\n    add_const_7(0) == 7\n\nFunction name: add_const_7\nSignature: def add_const_7(x):\n".into(),
            assistant: "def add_const_7(x):\n    return x + (7)".into(),
        }];
        let p = ParsedPrompt::from_request(&req);
        assert_eq!(p.examples.len(), 1);
        assert_eq!(p.examples[0].0, "Return x plus 7.");
        let code = adapt::from_example(&p.examples[0].0, &p.examples[0].1, &p).unwrap();
        assert_eq!(code.trim(), "def add_const_3(n):\n    return n + (3)");
    }
}

#[cfg(test)]
mod knowledge_tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::tasks::families;
    use crate::tasks::render::render;

    /// The documented idioms are right, except the three documented as subtly wrong, and the
    /// simulator knows only the families its README section lists.
    #[test]
    fn idioms_solve_exactly_the_documented_families() {
        let verifier = crate::verify::Verifier::start(crate::verify::VerifierConfig::new(
            crate::verify::Mode::Fast,
        ))
        .unwrap();
        let mut outcome: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for family in families::all() {
            for index in [0, family.variants() / 2, family.variants() - 1] {
                let task = render(&family.build(index), family.name());
                let user = crate::prompt::user_message(&task, &crate::memory::Retrieved::default());
                let parsed = ParsedPrompt::parse(&user, &task.function_name);
                if let Some((code, _)) = idioms::native(&parsed) {
                    let entry = outcome.entry(family.name()).or_default();
                    entry.1 += 1;
                    if verifier.verify(&task, &code).passed() {
                        entry.0 += 1;
                    }
                }
            }
        }
        let known: Vec<&str> = outcome.keys().copied().collect();
        let wrong: Vec<&str> = outcome
            .iter()
            .filter(|(_, (ok, n))| ok < n)
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(
            wrong,
            vec!["is_palindrome_alnum", "parse_int_list", "rotate_left"],
            "{outcome:?}"
        );
        assert_eq!(known.len(), 30, "{known:?}");
    }
}
