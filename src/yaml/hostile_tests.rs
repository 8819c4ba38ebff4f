//! Hostile YAML through the whole Butane compiler: nesting, alias bombs,
//! huge mappings, stray byte-order marks, tags that do not fit their text.
//! Each refusal is snapshot-tested as the user sees it.

use super::MAX_DEPTH;
use crate::butane::{Options, compile};

/// The diagnostics of compiling `source`, rendered as `kindling butane`
/// prints them; `Ok` with the output when it compiled.
fn run(source: &str) -> Result<String, String> {
    let outcome = compile(source, "config.bu", &Options::default());
    let report: Vec<String> = outcome
        .diagnostics
        .iter()
        .map(|d| d.pretty(Some(source)))
        .collect();
    match outcome.config {
        Some(config) => Ok(serde_json::to_string(&config).expect("serializes")),
        None => Err(report.join("\n")),
    }
}

fn refusal(source: &str) -> String {
    match run(source) {
        Ok(json) => panic!("compiled: {json}"),
        Err(report) => report,
    }
}

const HEAD: &str = "variant: fcos\nversion: 1.5.0\n";

/// A document nested `levels` deep: the top mapping, then block sequences
/// under an unknown key.
fn block_nesting(levels: usize) -> String {
    format!("{HEAD}unknown:\n  {}x\n", "- ".repeat(levels - 1))
}

fn flow_nesting(levels: usize) -> String {
    let inner = levels - 1;
    format!(
        "{HEAD}unknown: {}{}\n",
        "[".repeat(inner),
        "]".repeat(inner)
    )
}

#[test]
fn deep_block_nesting_is_refused_at_its_position() {
    // 7,300 levels used to overflow the main thread's stack.
    insta::assert_snapshot!(refusal(&block_nesting(7_300)));
    insta::assert_snapshot!(refusal(&flow_nesting(MAX_DEPTH + 1)));
    // Mappings count as levels too.
    let mut source = String::from(HEAD);
    for level in 0..=MAX_DEPTH {
        source.push_str(&"  ".repeat(level));
        source.push_str("k:\n");
    }
    assert!(refusal(&source).contains("nested more than 128 levels"));
}

#[test]
fn nesting_up_to_the_limit_compiles() {
    let json = run(&block_nesting(MAX_DEPTH)).expect("compiles");
    assert_eq!(json, r#"{"ignition":{"version":"3.4.0"}}"#);
    run(&flow_nesting(MAX_DEPTH)).expect("compiles");
}

/// Nesting shapes whose recursion costs differ: block and flow sequences,
/// block mappings.
fn deep_documents(levels: usize) -> [String; 3] {
    let mut mappings = String::from(HEAD);
    mappings.push_str("unknown:\n");
    for level in 1..levels {
        mappings.push_str(&"  ".repeat(level));
        mappings.push_str("k:\n");
    }
    [block_nesting(levels), flow_nesting(levels), mappings]
}

/// Compiles every deep document and decodes each into an untyped value (the
/// deepest recursion any field can cause), on a thread with `stack` bytes.
fn compiles_within(levels: usize, stack: usize) -> bool {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            deep_documents(levels).iter().all(|source| {
                let Ok(Some(node)) = super::parse(source) else {
                    return false;
                };
                // Fleet hosts deep-merge service definitions.
                let merged = node.clone().deep_merge(node);
                let untyped = super::de::decode::<serde_json::Value>(&merged);
                run(source).is_ok() && untyped.is_ok()
            })
        })
        .is_ok_and(|handle| handle.join().unwrap_or(false))
}

const PROBE: &str = "KINDLING_STACK_PROBE";

/// The least stack (to 8 KiB) with which a child test process compiles the
/// documents nested `levels` deep: a stack overflow aborts the process, so
/// each try runs in its own.
fn least_stack(levels: usize) -> usize {
    let exe = std::env::current_exe().expect("test binary");
    let works = |stack: usize| {
        std::process::Command::new(&exe)
            .args([
                "--exact",
                "yaml::hostile_tests::deep_nesting_fits_a_worker_stack",
            ])
            .env(PROBE, format!("{levels},{stack}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let (mut low, mut high) = (8 << 10, 8 << 20);
    assert!(works(high), "{levels} levels do not fit 8 MiB");
    while high - low > 8 << 10 {
        let middle = (low + high) / 2;
        if works(middle) {
            high = middle
        } else {
            low = middle
        }
    }
    high
}

/// Fleet builds compile hosts on rayon's workers, whose stacks are Rust's
/// default 2 MiB: the deepest document allowed must fit in half of that.
/// The cost of a level is measured (in whatever profile the tests run) as
/// the difference of the least stacks for two depths.
#[test]
fn deep_nesting_fits_a_worker_stack() {
    if let Ok(probe) = std::env::var(PROBE) {
        // The child: compile at the depth and stack the parent asks for.
        let (levels, stack) = probe.split_once(',').expect("levels,stack");
        let ok = compiles_within(
            levels.parse().expect("levels"),
            stack.parse().expect("stack"),
        );
        assert!(ok, "did not compile");
        return;
    }
    let shallow = least_stack(8);
    let deep = least_stack(MAX_DEPTH);
    let per_level = deep.saturating_sub(shallow) / (MAX_DEPTH - 8);
    eprintln!(
        "least stack: {shallow} B at 8 levels, {deep} B at {MAX_DEPTH}; {per_level} B per level"
    );
    assert!(per_level > 0, "the probe measured nothing");
    assert!(
        deep <= 1 << 20,
        "{deep} B for {MAX_DEPTH} levels; a rayon worker has 2 MiB"
    );
}

#[test]
fn an_alias_bomb_by_bytes_is_refused_before_copying() {
    // A 1 MB string aliased 1,000 times: few nodes, 1 GB of text.
    let mut source = format!("{HEAD}a: &big \"{}\"\nb: [", "x".repeat(1 << 20));
    source.push_str(&vec!["*big"; 1_000].join(", "));
    source.push_str("]\n");
    // How fast the refusal comes is `cargo bench --bench large_inputs`'s
    // job; here, that it comes.
    let report = refusal(&source);
    let line = report
        .lines()
        .find(|line| line.contains("too large"))
        .expect("the refusal");
    insta::assert_snapshot!(line.trim_start_matches(|c| c != '^'));
    // Many aliases of a small string stay within the byte budget.
    let mut small = format!("{HEAD}a: &small \"{}\"\nb: [", "x".repeat(100));
    small.push_str(&vec!["*small"; 1_000].join(", "));
    small.push_str("]\n");
    run(&small).expect("compiles");
}

#[test]
fn a_large_document_without_aliases_is_not_an_alias_bomb() {
    // Over a million nodes, none from an alias.
    let source = format!("{HEAD}unknown: [{}x]\n", "x, ".repeat(1_000_001));
    run(&source).expect("compiles");
}

#[test]
fn a_mapping_with_many_keys_is_checked_for_duplicates_in_linear_time() {
    let keys = |n: usize| {
        let mut source = format!("{HEAD}unknown:\n");
        for key in 0..n {
            source.push_str(&format!("  key{key}: {key}\n"));
        }
        source
    };
    // Linear time is measured by `cargo bench --bench large_inputs`.
    assert!(matches!(super::parse(&keys(50_000)), Ok(Some(_))));
    let mut duplicated = keys(50_000);
    duplicated.push_str("  key7: again\n");
    let error = super::parse(&duplicated).expect_err("duplicate");
    assert_eq!(
        error.message,
        "mapping key \"key7\" already defined at line 11"
    );
    assert_eq!(error.position, crate::diag::Position::new(50_004, 3));
}

#[test]
fn a_byte_order_mark_starting_a_line_is_refused() {
    // YAML 1.2 reads it as the start of a second document; the files below
    // it used to vanish with exit status 0.
    let source = format!(
        "{HEAD}\u{FEFF}storage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n"
    );
    insta::assert_snapshot!(refusal(&source));
    // A leading one is a normal byte-order mark.
    run(&format!("\u{FEFF}{HEAD}")).expect("compiles");
}

#[test]
fn merge_values_must_be_mappings() {
    insta::assert_snapshot!(refusal(&format!("{HEAD}storage:\n  <<: 5\n")));
    let list = refusal(&format!(
        "{HEAD}base: &b {{files: []}}\nstorage:\n  <<: [*b, [x]]\n"
    ));
    assert!(list.contains("config.bu:5:12"), "{list}");
    let merged = run(&format!(
        "{HEAD}base: &b {{files: [{{path: /a}}]}}\nstorage:\n  <<: [*b]\n"
    ))
    .expect("compiles");
    assert!(merged.contains("\"/a\""), "{merged}");
}

fn inline(value: &str) -> String {
    format!("{HEAD}storage:\n  files:\n    - path: /a\n      contents:\n        inline: {value}\n")
}

#[test]
fn tags_must_fit_their_text() {
    insta::assert_snapshot!(refusal(&inline("!!int /c")));
    for (value, fits) in [
        ("!!str 5", true),
        ("!!int 0644", true),
        ("!!float 1", true),
        ("!!bool yes", false),
        ("!!null x", false),
        ("!!float abc", false),
        ("!!timestamp 2001-12-14", true),
    ] {
        assert_eq!(run(&inline(value)).is_ok(), fits, "{value}");
    }
    // In an integer field, `!!int` on a quoted number is an integer.
    let mode = format!("{HEAD}storage:\n  files:\n    - path: /a\n      mode: !!int \"0644\"\n");
    assert!(run(&mode).expect("compiles").contains("\"mode\":420"));
}

#[test]
fn binary_scalars_are_decoded() {
    let hello = run(&inline("!!binary aGVsbG8=")).expect("compiles");
    assert!(hello.contains("data:,hello"), "{hello}");
    let lines = run(&inline("!!binary |\n          aGVs\n          bG8=")).expect("compiles");
    assert!(lines.contains("data:,hello"), "{lines}");
    insta::assert_snapshot!(refusal(&inline("!!binary aGVsbG8")));
    // Bytes that are not UTF-8 are embedded as they are, as Butane does
    // (go-yaml puts them in its string; Butane makes the data URL of them).
    let bytes = run(&inline("!!binary //79")).expect("compiles");
    assert!(bytes.contains("data:,%FF%FE%FD"), "{bytes}");
}

#[test]
fn a_variant_that_is_not_a_string_says_so() {
    insta::assert_snapshot!(refusal("variant: [fcos]\nversion: 1.5.0\n"));
}

#[test]
fn deep_json_for_inspect_and_diff_is_bounded_by_serde_json() {
    // Ignition JSON is read with serde_json, whose recursion limit (128)
    // refuses deep typed values; unknown keys are skipped without recursing.
    let deep = |inner: &str| {
        let levels = 100_000;
        format!(
            r#"{{"ignition":{{"version":"3.4.0"}},{inner}{}{}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    let unknown = deep(r#""unknown":"#);
    assert!(crate::source::parse_ignition(unknown.as_bytes(), "deep.ign").is_ok());
    let typed = format!("{}}}", deep(r#""storage":{"files":"#));
    assert!(crate::source::parse_ignition(typed.as_bytes(), "deep.ign").is_err());
}
