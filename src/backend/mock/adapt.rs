//! How the simulator reuses remembered code: rename the function and its parameters, and
//! substitute the literals of the new task's description for those of the old one, in order.
//! This is text manipulation, not understanding: remembered code of another kind of task is
//! adapted just as confidently, and comes out wrong.

use super::ParsedPrompt;
use crate::code::replace_all;
pub(crate) use crate::code::signature;
pub(crate) use crate::prompt::{Literal, literals};

/// Adapts a remembered solution of another task to the task in `prompt`.
pub(crate) fn from_example(
    old_description: &str,
    old_code: &str,
    prompt: &ParsedPrompt,
) -> Option<String> {
    let (old_name, old_params) = signature(old_code)?;
    let mut identifiers = vec![(old_name, prompt.function_name.clone())];
    if old_params.len() == prompt.params.len() {
        identifiers.extend(old_params.into_iter().zip(prompt.params.iter().cloned()));
    }
    let mut code = replace_all(old_code, &identifiers, false);
    let old_literals = literals(old_description);
    let new_literals = literals(&prompt.description);
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    for (old, new) in old_literals.iter().zip(&new_literals) {
        match (old, new) {
            (Literal::Number(a), Literal::Number(b)) if a != b => {
                // A negative parameter is often written as a subtraction of its magnitude.
                numbers.push((
                    a.trim_start_matches('-').to_string(),
                    b.trim_start_matches('-').to_string(),
                ));
            }
            (Literal::Text(a), Literal::Text(b)) if a != b => texts.push((a.clone(), b.clone())),
            _ => {}
        }
    }
    numbers.dedup();
    texts.dedup();
    code = replace_all(&code, &numbers, false);
    code = replace_all(&code, &texts, true);
    Some(code)
}

/// Fills a procedure's template (`<<name>>`, `<<p0>>`, `<<L0>>`, ...) for the task in `prompt`.
/// Returns None when the task does not provide what the template needs.
pub(crate) fn from_procedure(template: &str, prompt: &ParsedPrompt) -> Option<String> {
    let mut code = template.replace("<<name>>", &prompt.function_name);
    for (i, param) in prompt.params.iter().enumerate() {
        code = code.replace(&format!("<<p{i}>>"), param);
    }
    for (i, literal) in literals(&prompt.description).iter().enumerate() {
        let text = match literal {
            Literal::Number(n) => n.clone(),
            Literal::Text(t) => format!("{t:?}"),
        };
        code = code.replace(&format!("<<L{i}>>"), &text);
    }
    (!code.contains("<<")).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_procedures_or_declines() {
        let prompt = ParsedPrompt {
            description: "Return n plus 5.".into(),
            function_name: "add5".into(),
            params: vec!["n".into()],
            ..Default::default()
        };
        assert_eq!(
            from_procedure("def <<name>>(<<p0>>):\n    return <<p0>> + <<L0>>", &prompt).unwrap(),
            "def add5(n):\n    return n + 5"
        );
        assert_eq!(
            from_procedure("def <<name>>(<<p0>>, <<p1>>):\n    return <<L1>>", &prompt),
            None
        );
    }
}
