//! Architecture check (test only): the crate's modules form no dependency
//! cycle, so every stage imports only from earlier stages and shared types.
//!
//! Every `src/**/*.rs` file is a module (`src/fleet/render.rs` is
//! `fleet::render`). A `crate::…`, `super::…` or `self::…` path in a module
//! (in `use` trees or inline) is an edge between the two modules just below
//! their common parent: `fleet::render` → `butane::model` is `fleet` →
//! `butane`; `quadlet::lints` → `quadlet::context::Ctx` is `lints` →
//! `context` inside `quadlet`. Two kinds of reference are no edge: a parent
//! using its own child, and a child using an item of its parent (the
//! parent's shared model types, `quadlet::ValidateOptions`). Test code (modules
//! declared `#[cfg(test)]`, `tests.rs` files, a trailing inline test
//! module) is left out: tests may drive a whole stage from anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;
type Edges = BTreeMap<Module, BTreeSet<Module>>;

/// The text of every non-test module under `dir`, by module path.
fn modules(dir: &Path) -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(relative) = path
                .with_extension("")
                .strip_prefix(dir)
                .map(Path::to_path_buf)
            else {
                continue;
            };
            let module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.iter().any(|part| part == "tests") {
                continue;
            }
            // main.rs is the binary, which reaches the library as `kindling::`.
            if module == ["main"] {
                continue;
            }
            let module = if module == ["lib"] {
                Vec::new()
            } else {
                module
            };
            found.insert(module, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    let test_only: Vec<Module> = found
        .iter()
        .flat_map(|(module, text)| {
            test_modules(text).into_iter().map(move |name| {
                let mut child = module.clone();
                child.push(name);
                child
            })
        })
        .collect();
    found.retain(|module, _| !test_only.iter().any(|test| module.starts_with(test)));
    found
}

/// The names of the `#[cfg(test)] mod NAME;` declared in `text`.
fn test_modules(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("#[cfg(test)]") else {
            continue;
        };
        let declaration = if rest.trim().is_empty() {
            lines.peek().copied().unwrap_or_default()
        } else {
            rest.trim()
        };
        let name = declaration
            .split_whitespace()
            .skip_while(|word| *word != "mod")
            .nth(1)
            .map(|name| name.trim_end_matches([';', '{']));
        if let Some(name) = name.filter(|name| !name.is_empty()) {
            names.push(name.to_owned());
        }
    }
    names
}

/// `text` without line comments and without a trailing test module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let declares_module = |text: &str| {
            let text = text.trim_start();
            ["mod ", "pub mod ", "pub(crate) mod "]
                .iter()
                .any(|start| text.starts_with(start))
        };
        let test_module = trimmed.starts_with("#[cfg(test)]")
            && (declares_module(trimmed.trim_start_matches("#[cfg(test)]"))
                || lines.peek().is_some_and(|next| declares_module(next)));
        if test_module {
            break;
        }
        let without_comment = line.split("//").next().unwrap_or_default();
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let body = tree[open + 1..].trim_end().trim_end_matches('}');
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (index, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&body[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(expand)
        .map(|rest| {
            if rest == "self" {
                prefix.to_owned()
            } else {
                format!("{prefix}::{rest}")
            }
        })
        .collect()
}

/// Every path starting with `crate`, `super` or `self` in `code`.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for statement in code.split(';') {
        let statement = statement.trim_start();
        let statement = statement
            .strip_prefix("pub(crate) ")
            .or_else(|| statement.strip_prefix("pub(super) "))
            .or_else(|| statement.strip_prefix("pub "))
            .unwrap_or(statement);
        if let Some(tree) = statement.strip_prefix("use ") {
            paths.extend(expand(tree));
        }
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    for start in ["crate::", "super::", "self::"] {
        for (index, _) in code.match_indices(start) {
            if code[..index].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &code[index..];
            let end = rest
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(rest.len());
            paths.push(rest[..end].trim_end_matches(':').to_owned());
        }
    }
    paths
}

/// The absolute path `path` names when written in `module`.
fn resolve(module: &[String], path: &str) -> Option<Module> {
    let mut parts = path.split("::").filter(|p| !p.is_empty()).peekable();
    let mut absolute: Module = match parts.peek().copied()? {
        "crate" => {
            parts.next();
            Vec::new()
        }
        "self" => {
            parts.next();
            module.to_vec()
        }
        "super" => {
            let mut base = module.to_vec();
            while parts.peek() == Some(&"super") {
                parts.next();
                base.pop();
            }
            base
        }
        _ => return None,
    };
    absolute.extend(parts.map(str::to_owned));
    Some(absolute)
}

/// The edges between sibling modules.
fn edges(modules: &BTreeMap<Module, String>) -> Edges {
    let mut edges = Edges::new();
    for (module, text) in modules {
        for path in paths_in(&code_of(text)) {
            let Some(target) = resolve(module, &path) else {
                continue;
            };
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            // A parent using its child, or a child using its parent's items.
            if common == module.len() || common >= target.len() {
                continue;
            }
            let to: Module = target[..=common].to_vec();
            if !modules.contains_key(&to) {
                continue;
            }
            edges
                .entry(module[..=common].to_vec())
                .or_default()
                .insert(to);
        }
    }
    edges
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn cycle(edges: &Edges) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        edges: &Edges,
        done: &mut BTreeSet<Module>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|m| m == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.clone());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, done, stack) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

fn named(modules: &[Module]) -> String {
    modules
        .iter()
        .map(|m| m.join("::"))
        .collect::<Vec<_>>()
        .join(" → ")
}

#[test]
fn the_crate_has_no_module_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    assert!(modules.len() > 50, "found only {} modules", modules.len());
    let edges = edges(&modules);
    // The check sees the imports it should (a sample of known edges).
    let edge = |from: &str, to: &str| {
        let split = |s: &str| s.split("::").map(str::to_owned).collect::<Module>();
        edges
            .get(&split(from))
            .is_some_and(|to_set| to_set.contains(&split(to)))
    };
    assert!(edge("fleet", "butane") && edge("quadlet::lints", "quadlet::context"));
    if let Some(found) = cycle(&edges) {
        panic!("module cycle: {}", named(&found));
    }
}

#[test]
fn a_cycle_between_siblings_is_found_and_parent_items_are_not_edges() {
    let module = |path: &str, text: &str| {
        let path = path.split("::").map(str::to_owned).collect::<Module>();
        (path, text.to_owned())
    };
    let cyclic: BTreeMap<Module, String> = [
        module("q", "mod v;\nmod l;\npub struct Finding;"),
        module("q::v", "use super::{Finding, l};\nfn f() { l::g(); }"),
        module("q::l", "use super::v::Ctx;\n"),
    ]
    .into_iter()
    .collect();
    let found = cycle(&edges(&cyclic)).map(|c| named(&c));
    assert_eq!(found.as_deref(), Some("q::l → q::v → q::l"));

    let acyclic: BTreeMap<Module, String> = [
        module("q", "mod v;\nmod l;\npub struct Finding;"),
        module("q::v", "use super::{Finding, l};"),
        module("q::l", "use crate::q::Finding;\n// see super::v\n"),
        module(
            "q::l::x",
            "use super::super::Finding;\n#[cfg(test)]\nmod tests {\n    use crate::q::v::Ctx;\n}",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(cycle(&edges(&acyclic)), None);
}
