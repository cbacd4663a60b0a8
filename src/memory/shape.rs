//! The shape of a task: its description with the literals and parameter names abstracted
//! (`Return <P0> plus <N>.`). Tasks of one kind share a shape whatever their values, and tasks
//! of different kinds do not, however alike they sound; so knowledge about a kind (a procedure,
//! a rule about one kind's slip) is keyed and retrieved by shape, never by word overlap.
//! Procedures are stored over the same abstraction (`<<name>>`, `<<p0>>`, `<<L0>>`) and filled
//! in here with a task's own names and values.

use crate::tasks::Task;

/// A literal value written in a task description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Number(String),
    Text(String),
}

/// The literals of a description, in order: integers and quoted strings.
pub fn literals(text: &str) -> Vec<Literal> {
    literal_spans(text).into_iter().map(|(_, l)| l).collect()
}

/// The description with every literal replaced by `<N>` (number) or `<S>` (string): the shape
/// shared by tasks that differ only in their parameters.
pub fn pattern(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    for (span, literal) in literal_spans(text) {
        out.extend(&chars[at..span.start]);
        out.push_str(match literal {
            Literal::Number(_) => "<N>",
            Literal::Text(_) => "<S>",
        });
        at = span.end;
    }
    out.extend(&chars[at..]);
    out
}

/// The pattern of a task: its description with literals hidden and its parameter names
/// replaced by `<P0>`, `<P1>`, ... so tasks that differ only in values and names share it.
pub fn task_pattern(description: &str, params: &[String]) -> String {
    let mut text = pattern(description);
    for (i, p) in params.iter().enumerate() {
        text = crate::code::replace_token(&text, p, &format!("<P{i}>"));
    }
    text
}

/// The parameter names of a signature such as `"(values, k=2)"`.
pub fn signature_params(signature: &str) -> Vec<String> {
    signature
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(|p| p.split(['=', ':']).next().unwrap_or("").trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Literals with their character ranges.
fn literal_spans(text: &str) -> Vec<(std::ops::Range<usize>, Literal)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let prev_is_word = i > 0 && is_word(chars[i - 1]);
        if (c == '\'' || c == '"') && !prev_is_word {
            if let Some(len) = chars[i + 1..]
                .iter()
                .take_while(|&&x| x != '\n')
                .position(|&x| x == c)
            {
                let after = chars.get(i + 1 + len + 1).copied();
                if !after.is_some_and(is_word) {
                    out.push((
                        i..i + len + 2,
                        Literal::Text(chars[i + 1..i + 1 + len].iter().collect()),
                    ));
                    i += len + 2;
                    continue;
                }
            }
        }
        let starts_number = c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()));
        if starts_number && !prev_is_word {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && is_word(chars[i]) {
                continue;
            }
            out.push((start..i, Literal::Number(chars[start..i].iter().collect())));
            continue;
        }
        i += 1;
    }
    out
}

/// The shape of a task: its description's pattern with its own parameters abstracted.
pub fn task_shape(task: &Task) -> String {
    task_pattern(
        super::description(&task.prompt),
        &signature_params(&task.signature),
    )
}

/// Fills a procedure's template (`<<name>>`, `<<p0>>`.., `<<L0>>`..) with a task's function
/// name, parameters and the literals of its description, in order; `None` when the task lacks
/// something the template needs.
pub fn instantiate(template: &str, task: &Task) -> Option<String> {
    let mut code = template.replace("<<name>>", &task.function_name);
    for (i, p) in signature_params(&task.signature).iter().enumerate() {
        code = code.replace(&format!("<<p{i}>>"), p);
    }
    for (i, literal) in literals(super::description(&task.prompt))
        .iter()
        .enumerate()
    {
        let text = match literal {
            Literal::Number(n) => n.clone(),
            Literal::Text(t) => format!("{t:?}"),
        };
        code = code.replace(&format!("<<L{i}>>"), &text);
    }
    (!code.contains("<<")).then_some(code)
}

/// The template inside a stored procedure recipe (its fenced code block).
pub fn recipe_template(recipe: &str) -> Option<&str> {
    let start = recipe.find("```python\n")? + "```python\n".len();
    let end = recipe[start..].find("```")? + start;
    Some(recipe[start..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(prompt: &str, name: &str, signature: &str) -> Task {
        Task {
            task_id: "t".into(),
            prompt: prompt.into(),
            function_name: name.into(),
            signature: signature.into(),
            reference_tests: String::new(),
            assert_tests: Vec::new(),
            family: None,
            category: None,
            difficulty: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn one_kind_shares_a_shape_and_another_kind_does_not() {
        let plus3 = task("Return n plus 3.\n\nExamples:\n    f(0) == 3", "f", "(n)");
        let plus9 = task("Return x plus 9.", "g", "(x)");
        let minus = task("Return n minus 3.", "f", "(n)");
        assert_eq!(task_shape(&plus3), "Return <P0> plus <N>.");
        assert_eq!(task_shape(&plus3), task_shape(&plus9));
        assert_ne!(task_shape(&plus3), task_shape(&minus));
    }

    #[test]
    fn fills_a_template_with_the_tasks_own_names_and_values() {
        let t = task("Replace 'a' with 'b' in s, 2 times.", "swap_ab", "(s)");
        let template = "def <<name>>(<<p0>>):\n    return <<p0>>.replace(<<L0>>, <<L1>>, <<L2>>)";
        assert_eq!(
            instantiate(template, &t).unwrap(),
            "def swap_ab(s):\n    return s.replace(\"a\", \"b\", 2)"
        );
        assert_eq!(instantiate("def <<name>>(<<p1>>): pass", &t), None);
        assert_eq!(
            recipe_template("```python\ndef <<name>>():\n    pass\n```\nFill ..."),
            Some("def <<name>>():\n    pass")
        );
    }
}
