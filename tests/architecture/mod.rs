//! Boundaries read off the source tree: SQL stays inside `src/store/`, and the top-level
//! modules of `src/` import each other without cycles. The source is scanned as text (comments,
//! string literals and `#[cfg(test)]` items left out), so no extra crate is needed; a module's
//! imports are its `crate::X` paths, `use crate::{X, ..}` groups included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top layer: it wires the stages together and may import any of them.
const TOP: &[&str] = &["cli", "commands"];

/// The stages and the pieces they share; among these, imports must not form a cycle.
const LOWER: &[&str] = &[
    "backend",
    "candidate",
    "code",
    "consolidate",
    "error",
    "eval",
    "gate",
    "iterate",
    "lab",
    "memory",
    "output",
    "platform",
    "plot",
    "progress",
    "prompt",
    "self_improve",
    "server",
    "stop",
    "store",
    "tasks",
    "train",
    "verify",
];

/// Files outside `src/store/` that still use SQLite directly.
const SQL_ALLOWED: &[(&str, &str)] = &[];

/// Imports between lower modules that would close a cycle, each allowed for a reason.
const CYCLE_EDGES_ALLOWED: &[(&str, &str)] = &[];

/// Imports from a lower module into the top layer.
const TOP_IMPORTS_ALLOWED: &[(&str, &str)] = &[];

#[test]
fn sql_stays_in_the_store() {
    let mut problems = Vec::new();
    let mut used_allowances = BTreeSet::new();
    for file in sources() {
        if file.path.starts_with("src/store/") {
            continue;
        }
        for needle in ["rusqlite", ".conn()", ".conn_mut()"] {
            let Some(line) = find_word(&file.code, needle) else {
                continue;
            };
            if SQL_ALLOWED.contains(&(file.path.as_str(), needle)) {
                used_allowances.insert((file.path.clone(), needle));
                continue;
            }
            problems.push(format!(
                "{}:{line}: `{needle}` outside src/store/; put the query in the store behind a typed function",
                file.path
            ));
        }
    }
    for (path, needle) in SQL_ALLOWED {
        if !used_allowances.contains(&(path.to_string(), *needle)) {
            problems.push(format!(
                "{path} no longer uses `{needle}`: remove it from SQL_ALLOWED in {}",
                file!()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn lower_modules_import_each_other_without_cycles() {
    let graph = import_graph();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(&str, &str), &Vec<String>> = BTreeMap::new();
    for ((from, to), places) in &graph {
        if LOWER.contains(&from.as_str()) && LOWER.contains(&to.as_str()) {
            if CYCLE_EDGES_ALLOWED.contains(&(from.as_str(), to.as_str())) {
                continue;
            }
            edges.insert((from.as_str(), to.as_str()), places);
        }
    }
    for component in cycles(LOWER, edges.keys().copied()) {
        let inside: Vec<String> = edges
            .iter()
            .filter(|((a, b), _)| component.contains(a) && component.contains(b))
            .map(|((a, b), places)| format!("  {a} -> {b}  ({})", places.join(", ")))
            .collect();
        let example = cycle_through(&component, edges.keys().copied());
        problems.push(format!(
            "import cycle {}; the imports among {{{}}}:\n{}",
            example.join(" -> "),
            component.iter().copied().collect::<Vec<_>>().join(", "),
            inside.join("\n")
        ));
    }
    for (from, to) in CYCLE_EDGES_ALLOWED {
        if !graph.contains_key(&(from.to_string(), to.to_string())) {
            problems.push(format!(
                "{from} no longer imports {to}: remove it from CYCLE_EDGES_ALLOWED in {}",
                file!()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}

#[test]
fn only_the_top_layer_imports_the_top_layer() {
    let graph = import_graph();
    let mut problems = Vec::new();
    for ((from, to), places) in &graph {
        if LOWER.contains(&from.as_str())
            && TOP.contains(&to.as_str())
            && !TOP_IMPORTS_ALLOWED.contains(&(from.as_str(), to.as_str()))
        {
            problems.push(format!(
                "{from} imports {to}, the top layer  ({}); pass it plain values instead",
                places.join(", ")
            ));
        }
    }
    for (from, to) in TOP_IMPORTS_ALLOWED {
        if !graph.contains_key(&(from.to_string(), to.to_string())) {
            problems.push(format!(
                "{from} no longer imports {to}: remove it from TOP_IMPORTS_ALLOWED in {}",
                file!()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let found: BTreeSet<String> = sources().iter().filter_map(|f| f.module.clone()).collect();
    let known: BTreeSet<String> = TOP.iter().chain(LOWER).map(|m| m.to_string()).collect();
    assert_eq!(
        found,
        known,
        "src/ and the lists TOP and LOWER in {} disagree: give every top-level module a layer",
        file!()
    );
}

#[test]
fn the_scanner_reads_paths_not_comments_strings_or_tests() {
    let code = strip(
        r##"
use crate::{store::{Store, x}, memory, self};
// crate::commented
/* crate::block /* nested */ crate::still */
let s = "crate::in_string"; let r = r#"crate::raw "quoted""#; let c = '{'; let l: &'a str;
fn f() { crate::prompt::SYSTEM; $crate::error::x(); }
#[cfg(test)]
mod tests { fn g() { let b = '}'; crate::verify::x(); } }
#[cfg(test)]
use crate::train;
fn h() { crate :: eval::y(); }
"##,
    );
    let mut mentioned: Vec<(String, usize)> = crate_paths(&code);
    mentioned.sort();
    assert_eq!(
        mentioned,
        [
            ("error".to_string(), 6),
            ("eval".to_string(), 11),
            ("memory".to_string(), 2),
            ("prompt".to_string(), 6),
            ("store".to_string(), 2),
        ]
    );
    assert_eq!(find_word("use rusqlite::params;", "rusqlite"), Some(1));
    assert_eq!(find_word("let my_rusqlite_x = 1;", "rusqlite"), None);
    assert_eq!(
        cycles(
            &["a", "b", "c", "d"],
            [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        ),
        [BTreeSet::from(["a", "b", "c"])]
    );
    assert_eq!(
        cycle_through(
            &BTreeSet::from(["a", "b", "c"]),
            [("a", "b"), ("b", "c"), ("c", "a")]
        ),
        ["a", "b", "c", "a"]
    );
}

/// One source file: its path from the crate root, its top-level module (`None` for the crate
/// root files), and its code with comments, literals and test items blanked out.
struct Source {
    path: String,
    module: Option<String>,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_rs(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(root).unwrap();
            let path = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let first = relative.components().nth(1).unwrap().as_os_str();
            let first = first.to_string_lossy();
            let module = match first.strip_suffix(".rs") {
                Some("lib" | "main") => None,
                Some(name) => Some(name.to_string()),
                None => Some(first.to_string()),
            };
            let text = std::fs::read_to_string(&file).unwrap();
            Source {
                path,
                module,
                code: strip(&text),
            }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(importing module, imported module)` -> where, as `path:line`.
fn import_graph() -> BTreeMap<(String, String), Vec<String>> {
    let mut graph: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in sources() {
        let Some(from) = &file.module else {
            continue;
        };
        for (to, line) in crate_paths(&file.code) {
            if &to != from && (TOP.contains(&to.as_str()) || LOWER.contains(&to.as_str())) {
                graph
                    .entry((from.clone(), to))
                    .or_default()
                    .push(format!("{}:{line}", file.path));
            }
        }
    }
    for places in graph.values_mut() {
        places.dedup();
    }
    graph
}

/// The first line on which `needle` occurs with no identifier character around it.
fn find_word(code: &str, needle: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.lines()
        .position(|line| {
            line.match_indices(needle).any(|(at, _)| {
                let glued_before = needle.starts_with(is_ident)
                    && line[..at].chars().next_back().is_some_and(is_ident);
                let glued_after = needle.ends_with(is_ident)
                    && line[at + needle.len()..]
                        .chars()
                        .next()
                        .is_some_and(is_ident);
                !glued_before && !glued_after
            })
        })
        .map(|i| i + 1)
}

/// The first segment of every `crate::` path, with its line: `crate::a::b` gives `a`, and
/// `crate::{a::x, b}` gives `a` and `b`.
fn crate_paths(code: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let line_of = |at: usize| chars[..at].iter().filter(|&&c| c == '\n').count() + 1;
    let skip_space = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let ident_at =
        |i: usize| -> String { chars[i..].iter().take_while(|&&c| is_ident(c)).collect() };
    let mut out = Vec::new();
    let mut i = 0;
    while i + 5 <= chars.len() {
        let word = chars[i..i + 5].iter().collect::<String>() == "crate";
        let boundary =
            (i == 0 || !is_ident(chars[i - 1])) && chars.get(i + 5).is_none_or(|&c| !is_ident(c));
        if !(word && boundary) {
            i += 1;
            continue;
        }
        let mut j = skip_space(i + 5);
        if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
            i += 5;
            continue;
        }
        j = skip_space(j + 2);
        if chars.get(j) == Some(&'{') {
            // A group: the first identifier of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            let mut k = j;
            while k < chars.len() {
                match chars[k] {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            item_start = true;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if depth == 1 && item_start && is_ident(c) => {
                        let name = ident_at(k);
                        if name != "self" {
                            out.push((name.clone(), line_of(k)));
                        }
                        item_start = false;
                        k += name.chars().count();
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
            i = k;
        } else {
            let name = ident_at(j);
            if !name.is_empty() {
                out.push((name, line_of(i)));
            }
            i = j;
        }
    }
    out
}

/// The code with comments and the contents of string and character literals replaced by
/// spaces (line breaks kept, so line numbers hold), then every `#[cfg(test)]` item and every
/// file marked `#![cfg(test)]` blanked the same way.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.extend([' ', ' ']);
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.extend([' ', ' ']);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (i == 0
                || !is_ident(chars[i - 1])
                || (chars[i - 1] == 'b' && (i < 2 || !is_ident(chars[i - 2]))))
            && matches!(next, Some('"' | '#'))
            && {
                let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                chars.get(i + 1 + hashes) == Some(&'"')
            }
        {
            // A raw string: r"..", r#".."#, br#".."#.
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            let open = 1 + hashes + 1;
            out.extend(std::iter::repeat_n(' ', open));
            i += open;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.extend(std::iter::repeat_n(' ', closing.len()));
            i += closing.len();
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: '\n', '\'', '\u{7f}'.
            let end = chars[i + 3..]
                .iter()
                .position(|&q| q == '\'')
                .map_or(chars.len(), |p| i + 3 + p + 1);
            out.extend(std::iter::repeat_n(' ', end - i));
            i = end;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.extend([' ', ' ', ' ']);
            i += 3;
        } else {
            // Code, lifetimes and labels included.
            out.push(c);
            i += 1;
        }
    }
    let mut code: String = out.into_iter().collect();
    if code.contains("#![cfg(test)]") {
        return code.chars().map(blank).collect();
    }
    while let Some(start) = code.find("#[cfg(test)]") {
        let end = item_end(&code, start + "#[cfg(test)]".len());
        let blanked: String = code[start..end].chars().map(blank).collect();
        code.replace_range(start..end, &blanked);
    }
    code
}

/// The byte offset just past the item that begins at or after `from`: its `;` or the `}`
/// closing its first block.
fn item_end(code: &str, from: usize) -> usize {
    let mut depth = 0;
    for (offset, c) in code[from..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return from + offset + 1;
                }
            }
            ';' if depth == 0 => return from + offset + 1,
            _ => {}
        }
    }
    code.len()
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn cycles<'a>(
    nodes: &[&'a str],
    edges: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<BTreeSet<&'a str>> {
    struct Tarjan<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<BTreeSet<&'a str>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.next.get(v).cloned().unwrap_or_default() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.insert(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    let mut t = Tarjan {
        next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for &v in nodes {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.found.sort();
    t.found
}

/// One shortest cycle through the first module of a component, as a path that ends where it
/// starts.
fn cycle_through<'a>(
    component: &BTreeSet<&'a str>,
    edges: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<&'a str> {
    let start = *component.first().unwrap();
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        if component.contains(a) && component.contains(b) {
            next.entry(a).or_default().push(b);
        }
    }
    // Breadth-first from `start` until an edge leads back to it.
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in next.get(v).into_iter().flatten() {
            if w == start {
                let mut path = vec![v];
                let mut at = v;
                while at != start {
                    at = parent[at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if w != start && !parent.contains_key(w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start]
}
