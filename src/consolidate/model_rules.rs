//! Rules written by the model (as ExpeL does, from contrasts): the model is shown failed and
//! verified attempts at tasks of one kind and asked for the slip and its fix in one sentence.
//! A reply is kept only when it is well-formed; whether the rule then stays is decided by its
//! measured effect (`effect.rs`), as for every rule.

use crate::backend::{Backend, GenerationRequest};
use crate::prompt::description;
use crate::store::contrasts::FailedAttempt;
use crate::store::episodes::Episode;

/// Contrasts shown to the model per rule.
const SHOWN: usize = 3;

const WRITER_SYSTEM: &str = "You compare failed and verified attempts at Python programming tasks and write short, general advice that prevents the failure.";

/// The sampling settings of the writer.
pub struct Writer<'a> {
    pub backend: &'a dyn Backend,
    pub temperature: f32,
    pub max_tokens: u32,
    pub seed: u64,
}

fn writer_prompt(contrasts: &[(FailedAttempt, Episode)]) -> String {
    let mut text = String::from(
        "Here are attempts at programming tasks of one kind: each failed attempt is followed by a verified attempt at the same task.\n",
    );
    for (failed, verified) in contrasts.iter().take(SHOWN) {
        let why = failed
            .first_failure
            .as_deref()
            .or(failed.error.as_deref())
            .unwrap_or("");
        text.push_str(&format!(
            "\nTask: {}\nFailed attempt ({}{}{}):\n```python\n{}\n```\nVerified attempt:\n```python\n{}\n```\n",
            description(&verified.prompt),
            failed.verdict,
            if why.is_empty() { "" } else { ": " },
            why.lines().next().unwrap_or(""),
            failed.code.trim_end(),
            verified.code.trim_end()
        ));
    }
    text.push_str(
        "\nWrite ONE sentence of at most 30 words: the mistake the failed attempts made and how to avoid it in tasks like these. Do not write code.",
    );
    text
}

impl Writer<'_> {
    /// The model's rule for these contrasts, or why its reply is not one.
    pub fn write(
        &self,
        contrasts: &[(FailedAttempt, Episode)],
    ) -> anyhow::Result<Result<String, String>> {
        let request = GenerationRequest {
            system: WRITER_SYSTEM.into(),
            user: writer_prompt(contrasts),
            shots: Vec::new(),
            function_name: String::new(),
            n: 1,
            temperature: self.temperature,
            max_tokens: self.max_tokens.max(96),
            seed: self.seed,
            adapter: None,
        };
        let reply = self
            .backend
            .generate(&request)?
            .into_iter()
            .next()
            .map(|c| c.raw)
            .unwrap_or_default();
        Ok(well_formed(&reply))
    }
}

/// The first sentence-like paragraph of a reply, if it is a usable rule.
pub fn well_formed(reply: &str) -> Result<String, String> {
    let text = match reply.find("</think>") {
        Some(end) => &reply[end + "</think>".len()..],
        None if reply.contains("<think>") => return Err("the reply is unfinished reasoning".into()),
        None => reply,
    };
    // Small models open with a preamble that announces the answer ("Here's a sentence that
    // could help:"); the rule is the paragraph after it.
    let first = text
        .trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|p| !p.is_empty() && !p.ends_with(':'))
        .unwrap_or_default();
    let first = first
        .trim_matches(|c: char| c == '"' || c == '*' || c == '-' || c.is_whitespace())
        .to_string();
    if first.contains("```")
        || first.contains("def ")
        || first.contains("return ") && first.contains('(') && first.contains(':')
    {
        return Err("the reply contains code".into());
    }
    let words = first.split_whitespace().count();
    if !(5..=60).contains(&words) {
        return Err(format!("the reply has {words} words; a rule has 5 to 60"));
    }
    if !first.chars().any(char::is_alphabetic) {
        return Err("the reply has no words".into());
    }
    // A decoding loop ("Your ENTIRE ENTIRE ENTIRE ...") is no insight.
    let distinct: std::collections::HashSet<String> =
        first.split_whitespace().map(|w| w.to_lowercase()).collect();
    if distinct.len() * 2 < words {
        return Err(format!(
            "the reply repeats itself ({} distinct words of {words})",
            distinct.len()
        ));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn keeps_one_sentence_and_rejects_code_and_chatter() {
        assert_eq!(
            well_formed("<think>hmm</think>\n\nUse slicing with the shift taken modulo the length to rotate a list.\n\nMore text.").unwrap(),
            "Use slicing with the shift taken modulo the length to rotate a list."
        );
        assert!(well_formed("```python\ndef f(x): return x\n```").is_err());
        assert!(well_formed("Yes.").is_err());
        assert!(well_formed("<think>unfinished").is_err());
    }

    #[test]
    fn skips_preambles_and_rejects_decoding_loops() {
        // Replies SmolLM2-135M wrote when asked for a rule.
        assert!(well_formed("Here's a sentence that could help solve this problem:").is_err());
        assert!(
            well_formed("I can help with that. Here's a rewritten version of your sentence:")
                .is_err()
        );
        assert_eq!(
            well_formed(
                "Here is an insight:\n\nMultiply the argument by the constant named in the task."
            )
            .unwrap(),
            "Multiply the argument by the constant named in the task."
        );
        let looping = format!("Your {}", ["ENTIRE"; 40].join(" "));
        assert!(
            well_formed(&looping)
                .unwrap_err()
                .contains("repeats itself")
        );
    }
}
