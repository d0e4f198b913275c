//! The top-level modules of `src/` use each other one way: this test reads every source file,
//! collects which top-level modules it names (`crate::x`, `$crate::x`, `crate::{x, y}` groups,
//! `super::` chains that climb to the crate root) and fails naming a cycle, with the lines that
//! make each of its edges. Doc links and tests count too: a newcomer reads them as uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Where one top-level module names another: `file:line`.
type Evidence = BTreeMap<(String, String), Vec<String>>;

#[test]
fn top_level_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (modules, evidence) = module_edges(&src);
    let mut graph = DiGraph::<&str, ()>::new();
    let nodes: BTreeMap<&str, NodeIndex> = modules
        .iter()
        .map(|m| (m.as_str(), graph.add_node(m.as_str())))
        .collect();
    for (from, to) in evidence.keys() {
        graph.add_edge(nodes[from.as_str()], nodes[to.as_str()], ());
    }
    let cycles: Vec<String> = tarjan_scc(&graph)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| describe_cycle(&graph, &scc, &evidence))
        .collect();
    assert!(
        cycles.is_empty(),
        "top-level modules form cycles:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_scan_finds_plain_grouped_macro_and_escaping_paths() {
    let text = concat!(
        "use crate",
        "::graph::Graph;\nuse crate",
        "::{plan::{self, Plan}, state};\n$crate",
        "::pipeline::write_out();\nuse super::super::super::drift;\nuse super::local;\n"
    );
    let found = names_in(text, 2);
    assert_eq!(found, ["graph", "plan", "state", "pipeline", "drift"].map(String::from));
}

/// Every top-level module and, per edge between two of them, where the edge comes from.
fn module_edges(src: &Path) -> (BTreeSet<String>, Evidence) {
    let mut files = Vec::new();
    collect_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(src, f).first().cloned())
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut evidence = Evidence::new();
    for file in &files {
        let path = module_path(src, file);
        let Some(from) = path.first().filter(|m| modules.contains(*m)) else {
            continue;
        };
        if file.ends_with("module_layers.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (number, line) in text.lines().enumerate() {
            for to in names_in(line, path.len()) {
                if &to != from && modules.contains(&to) {
                    let at = format!("{}:{}", file.strip_prefix(src).unwrap_or(file).display(), number + 1);
                    evidence.entry((from.clone(), to)).or_default().push(at);
                }
            }
        }
    }
    (modules, evidence)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, out);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            out.push(entry);
        }
    }
}

/// `a/b.rs` and `a/b/mod.rs` are module `a::b`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level module names a line of a file at module depth `depth` reaches through the crate
/// root. A `super::` chain escapes when it is at least as long as the file's depth (inline
/// modules make it deeper; then the name after it is rarely a top-level module's).
fn names_in(line: &str, depth: usize) -> Vec<String> {
    let crate_root = concat!("crate", "::");
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut at = 0;
    while at < line.len() {
        let rest = &line[at..];
        let starts_word =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':');
        if starts_word && rest.starts_with(crate_root) {
            at += crate_root.len();
            at = path_heads(line, at, &mut found);
        } else if starts_word && rest.starts_with("super::") {
            let mut supers = 0;
            while line[at..].starts_with("super::") {
                supers += 1;
                at += "super::".len();
            }
            if supers >= depth {
                at = path_heads(line, at, &mut found);
            }
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// Reads the first segment of the path at `at` (each item's, for a `{...}` group) into `found`;
/// returns where the path ends.
fn path_heads(line: &str, at: usize, found: &mut Vec<String>) -> usize {
    let ident = |from: usize| -> usize {
        line[from..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(line.len(), |end| from + end)
    };
    if !line[at..].starts_with('{') {
        let end = ident(at);
        found.push(line[at..end].to_string());
        return end;
    }
    let mut depth = 0;
    let mut item_start = true;
    for (offset, c) in line[at..].char_indices() {
        match c {
            '{' => {
                depth += 1;
                item_start = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return at + offset + 1;
                }
            }
            ',' if depth == 1 => item_start = true,
            c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                let start = at + offset;
                found.push(line[start..ident(start)].to_string());
                item_start = false;
            }
            _ => {}
        }
    }
    line.len()
}

/// One cycle through the strongly connected `scc`, each edge with the lines that make it.
fn describe_cycle(graph: &DiGraph<&str, ()>, scc: &[NodeIndex], evidence: &Evidence) -> String {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let start = scc[0];
    // Breadth-first from `start` within the component back to `start`: the shortest cycle.
    let mut previous: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    'search: while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(node) {
            if !members.contains(&next) || previous.contains_key(&next) {
                continue;
            }
            previous.insert(next, node);
            if next == start {
                break 'search;
            }
            queue.push_back(next);
        }
    }
    let mut cycle = vec![start];
    let mut node = previous[&start];
    while node != start {
        cycle.push(node);
        node = previous[&node];
    }
    cycle.push(start);
    cycle.reverse();
    let names: Vec<&str> = cycle.iter().map(|n| graph[*n]).collect();
    let edges: Vec<String> = names
        .windows(2)
        .map(|pair| {
            let lines = &evidence[&(pair[0].to_string(), pair[1].to_string())];
            let more = match lines.len() {
                0..=3 => String::new(),
                n => format!(" and {} more", n - 3),
            };
            format!(
                "  {} -> {}: {}{more}",
                pair[0],
                pair[1],
                lines[..lines.len().min(3)].join(", ")
            )
        })
        .collect();
    format!("{}\n{}", names.join(" -> "), edges.join("\n"))
}
