//! The PowerShell scripts are twins of the bash ones, and nobody can run them here: this reads
//! both of each pair and checks that they run the same programs in the same order, each
//! subcommand with the same flags (`rslm` for the demos, the Python helper for the model
//! server). Values may differ in spelling (`"$HELDOUT"`, `$heldout`); a flag that one twin
//! passes and the other forgets may not.

use std::collections::{BTreeMap, BTreeSet};

/// One invocation: the subcommand and the flags it was given.
type Call = (String, BTreeSet<String>);

/// The bash and PowerShell spellings of the program whose invocations are compared.
struct Pair {
    bash: &'static str,
    powershell: &'static str,
    bash_program: &'static str,
    powershell_programs: &'static [&'static str],
}

const PAIRS: &[Pair] = &[
    Pair {
        bash: "scripts/run_demo.sh",
        powershell: "scripts/run_demo.ps1",
        bash_program: "$rslm",
        powershell_programs: &["Invoke-Rslm", "Invoke-Stage"],
    },
    Pair {
        bash: "scripts/run_real_demo.sh",
        powershell: "scripts/run_real_demo.ps1",
        bash_program: "$rslm",
        powershell_programs: &["Invoke-Rslm", "Invoke-Stage"],
    },
    Pair {
        bash: "scripts/model_server.sh",
        powershell: "scripts/model_server.ps1",
        bash_program: "$HELPER",
        powershell_programs: &["$Helper"],
    },
];

#[test]
fn powershell_scripts_run_what_their_bash_twins_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut problems = Vec::new();
    for pair in PAIRS {
        let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
        let bash = calls(&read(pair.bash), Shell::Bash, &[pair.bash_program]);
        let powershell = calls(
            &read(pair.powershell),
            Shell::PowerShell,
            pair.powershell_programs,
        );
        assert!(
            bash.len() >= 3,
            "{}: found only {bash:?}; does the extraction still match the script?",
            pair.bash
        );
        if bash != powershell {
            problems.push(format!(
                "{} and {} differ:\n  bash:       {}\n  powershell: {}",
                pair.bash,
                pair.powershell,
                show(&bash),
                show(&powershell)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_extraction_sees_a_forgotten_flag() {
    let bash = "x=(--a 1)\n\"$rslm\" eval \"${x[@]}\" --k 1 \\\n  --n 2\n";
    let powershell = "$x = @('--a', 1)\nInvoke-Rslm eval @x --k 1\n";
    let b = calls(bash, Shell::Bash, &["$rslm"]);
    let p = calls(powershell, Shell::PowerShell, &["Invoke-Rslm"]);
    assert_eq!(show(&b), "eval --a --k --n");
    assert_eq!(show(&p), "eval --a --k");
}

#[derive(Clone, Copy, PartialEq)]
enum Shell {
    Bash,
    PowerShell,
}

/// The invocations of `programs` in `script`, in the order they appear.
fn calls(script: &str, shell: Shell, programs: &[&str]) -> Vec<Call> {
    let continuation = if shell == Shell::Bash { "\\\n" } else { "`\n" };
    // A PowerShell line ending in a comma continues (an array literal over several lines).
    let joined = script.replace(continuation, " ").replace(",\n", ", ");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let arrays = arrays(&lines, shell);
    let mut found = Vec::new();
    for line in lines {
        // The program must be named on the line itself, not only inside an array it expands.
        if line.starts_with("function ") || !programs.iter().any(|p| line.contains(p)) {
            continue;
        }
        let words = words(line, shell, &arrays);
        let Some(start) = words.iter().position(|w| programs.contains(&w.as_str())) else {
            continue;
        };
        let mut rest = words[start + 1..].iter();
        // Invoke-Stage NAME ITERATION (rslm arguments...): the stage's own two come first.
        if words[start] == "Invoke-Stage" {
            rest.nth(1);
        }
        let mut subcommand = None;
        let mut flags = BTreeSet::new();
        for word in rest {
            if word.starts_with('|') || word.starts_with('>') {
                break;
            }
            if word.starts_with("--") {
                flags.insert(word.clone());
            } else if subcommand.is_none()
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            {
                subcommand = Some(word.clone());
            }
        }
        if let Some(subcommand) = subcommand {
            found.push((subcommand, flags));
        }
    }
    found
}

/// Array variables (`name=(...)`, `name+=(...)`; `$name = @(...)`, `$name += @(...)`) and
/// the words ever put in them, by name without case or underscores.
fn arrays(lines: &[&str], shell: Shell) -> BTreeMap<String, Vec<String>> {
    let mut arrays: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let mut rest = *line;
        while let Some(open) = rest.find(if shell == Shell::Bash { "=(" } else { "@(" }) {
            let before = rest[..open].trim_end_matches(['+', '=', ' ']);
            let name_start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &before[name_start..];
            let is_assignment = match shell {
                Shell::Bash => !name.is_empty(),
                Shell::PowerShell => {
                    before[..name_start].ends_with('$') && rest[..open].contains('=')
                }
            };
            let Some(close) = rest[open..].find(')') else {
                break;
            };
            if is_assignment {
                let body = &rest[open + 2..open + close];
                let entry = arrays.entry(normal(name)).or_default();
                entry.extend(words(body, shell, &BTreeMap::new()));
            }
            rest = &rest[open + close + 1..];
        }
    }
    arrays
}

/// The words of a command line, arrays expanded, quotes and PowerShell's array syntax dropped.
fn words(line: &str, shell: Shell, arrays: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    let cleaned: String = line
        .chars()
        .map(|c| if "\"'(),+".contains(c) { ' ' } else { c })
        .collect();
    for word in cleaned.split_whitespace() {
        let reference = match shell {
            // "${name[@]}" (also inside "${name[@]+...}")
            Shell::Bash => word
                .strip_prefix("${")
                .and_then(|w| w.split_once("[@]"))
                .map(|(name, _)| name),
            // $name or @name (splatting)
            Shell::PowerShell => word.strip_prefix('$').or_else(|| word.strip_prefix('@')),
        };
        match reference.and_then(|name| arrays.get(&normal(name))) {
            Some(items) => out.extend(items.iter().cloned()),
            None => {
                let word = word.trim_start_matches('@');
                if !word.is_empty() {
                    out.push(word.to_string());
                }
            }
        }
    }
    out
}

fn normal(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "")
}

fn show(calls: &[Call]) -> String {
    calls
        .iter()
        .map(|(sub, flags)| {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            format!("{sub} {}", flags.join(" ")).trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("; ")
}
