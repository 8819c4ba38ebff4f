//! Four jobs: the Ignition JSON schemas are embedded without their
//! indentation, their subset-checker tables are written out as Rust
//! statics, the git commit the binary is built from is recorded for
//! `kindling --version` (`KINDLING_GIT_COMMIT`; "unknown" when building
//! from a tarball without `.git`, unless the packager sets that variable),
//! and so is the Podman tag of the Quadlet key table
//! (`KINDLING_QUADLET_KEYS_TAG`): clap builds the version text on every
//! start, and parsing the 70 KB table for one string cost each `kindling
//! butane` run ~0.1 ms (`cargo bench --bench butane`).
//!
//! The schemas under `src/ignition/schema/` are the official documents,
//! pretty-printed (~16 KB each), half of it whitespace. The copies in
//! `OUT_DIR` that `src/ignition/spec.rs` embeds are the same JSON with the
//! whitespace between tokens removed (a test checks they parse to the same
//! document); the official validator parses one when a config fails the
//! fast check.
//!
//! That fast check (its tables in `src/validate/subset.rs`, compiled into
//! this script too; the walk in `src/validate/proof.rs`, which is not)
//! would otherwise parse a schema on every `kindling butane` run.
//! `subset_tables.rs` in `OUT_DIR` holds its tables already built: one
//! `IGNITION_<version>` static per schema file (identical files share one
//! table), `None` where a schema uses a keyword outside the subset. A test
//! checks each table equals the one parsed at run time. What this saves:
//! `cargo bench --bench butane`, figures in `benches/README.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The library's subset-checker tables and their parser.
#[path = "src/validate/subset.rs"]
mod subset;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/validate/subset.rs");
    let schemas = minify_schemas();
    write_subset_tables(&schemas);
    record_commit();
    record_quadlet_keys_tag();
}

/// Sets `KINDLING_QUADLET_KEYS_TAG` to `_meta.generated_from_tag` of
/// `src/quadlet/keys.json`.
fn record_quadlet_keys_tag() {
    const KEYS: &str = "src/quadlet/keys.json";
    println!("cargo:rerun-if-changed={KEYS}");
    let text = std::fs::read_to_string(KEYS).expect("src/quadlet/keys.json is readable");
    let keys: serde_json::Value = serde_json::from_str(&text).expect("keys.json is JSON");
    let tag = keys["_meta"]["generated_from_tag"]
        .as_str()
        .expect("keys.json has _meta.generated_from_tag");
    println!("cargo:rustc-env=KINDLING_QUADLET_KEYS_TAG={tag}");
}

/// Sets `KINDLING_GIT_COMMIT` for the crate: the packager's value if given,
/// else the source tree's `HEAD` (12 digits), else "unknown". Reruns when
/// HEAD or the branch it names moves (only files that exist are watched: a
/// missing one would rerun the script on every build).
fn record_commit() {
    println!("cargo:rerun-if-env-changed=KINDLING_GIT_COMMIT");
    if let Some(commit) = std::env::var("KINDLING_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
    {
        println!("cargo:rustc-env=KINDLING_GIT_COMMIT={}", commit.trim());
        return;
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    // A tarball unpacked inside some other repository is not that commit.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
    let own_tree = git(&["rev-parse", "--show-toplevel"]).is_some_and(|top| {
        let top = Path::new(&top).canonicalize().ok();
        top.is_some() && top == manifest_dir.and_then(|dir| dir.canonicalize().ok())
    });
    let commit = own_tree
        .then(|| git(&["rev-parse", "--verify", "--quiet", "--short=12", "HEAD"]))
        .flatten();
    if commit.is_some() {
        let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
        if let Some(branch) = git(&["symbolic-ref", "--quiet", "HEAD"]) {
            watched.push(git(&["rev-parse", "--git-path", &branch]));
            watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
        }
        for path in watched.into_iter().flatten() {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    let commit = commit.unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=KINDLING_GIT_COMMIT={commit}");
}

fn out_dir() -> std::path::PathBuf {
    std::env::var_os("OUT_DIR")
        .expect("cargo sets OUT_DIR for build scripts")
        .into()
}

/// Writes each schema minified to `OUT_DIR`; returns file name → minified
/// text, sorted by name.
fn minify_schemas() -> BTreeMap<String, String> {
    let source = Path::new("src/ignition/schema");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = out_dir();
    let mut schemas = BTreeMap::new();
    let entries = std::fs::read_dir(source).expect("src/ignition/schema is readable");
    for entry in entries {
        let path = entry.expect("a schema directory entry").path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("a schema is UTF-8 text");
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a schema file has a UTF-8 name");
        let minified = minify(&text);
        std::fs::write(out.join(name), &minified).expect("OUT_DIR is writable");
        schemas.insert(name.to_owned(), minified);
    }
    schemas
}

/// `ignition-3.7.0-experimental.json` → `IGNITION_3_7_0_EXPERIMENTAL`.
fn static_name(file: &str) -> String {
    file.trim_end_matches(".json")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn write_subset_tables(schemas: &BTreeMap<String, String>) {
    let mut code = String::from("// Written by build.rs from src/ignition/schema/*.json.\n");
    let mut first_with_text: BTreeMap<&str, String> = BTreeMap::new();
    for (file, text) in schemas {
        let name = static_name(file);
        if let Some(original) = first_with_text.get(text.as_str()) {
            writeln!(code, "pub(super) use self::{original} as {name};").expect("String write");
            continue;
        }
        first_with_text.insert(text, name.clone());
        let table = match subset::Subset::parse(text) {
            Some(table) => format!("Some({})", rust_subset(&table)),
            None => "None".to_owned(),
        };
        writeln!(
            code,
            "pub(super) static {name}: Option<Subset<'static>> = {table};"
        )
        .expect("String write");
    }
    std::fs::write(out_dir().join("subset_tables.rs"), code).expect("OUT_DIR is writable");
}

/// `table` as a Rust expression of borrowed slices.
fn rust_subset(table: &subset::Subset<'_>) -> String {
    let mut code = String::from("Subset { nodes: Cow::Borrowed(&[\n");
    for node in table.nodes.iter() {
        let properties = list(&node.properties, |(name, index)| {
            format!("({name:?}, {index})")
        });
        let required = list(&node.required, |name| format!("{name:?}"));
        let all_of = list(&node.all_of, |index| index.to_string());
        let link = match node.link {
            subset::Link::None => "Link::None".to_owned(),
            subset::Link::Ref(target) => format!("Link::Ref({target})"),
            subset::Link::Unproven => "Link::Unproven".to_owned(),
        };
        writeln!(
            code,
            "SubsetNode {{ types: {}, properties: {properties}, items: {:?}, required: {required}, all_of: {all_of}, link: {link} }},",
            node.types, node.items,
        )
        .expect("String write");
    }
    code.push_str("]) }");
    code
}

/// `items` as `Cow::Borrowed(&[a, b])`.
fn list<T>(items: &[T], item: impl Fn(&T) -> String) -> String {
    let items: Vec<String> = items.iter().map(item).collect();
    format!("Cow::Borrowed(&[{}])", items.join(", "))
}

/// `json` without the whitespace between tokens (strings are kept whole).
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}
