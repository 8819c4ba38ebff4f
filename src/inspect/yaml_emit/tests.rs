use super::*;
use crate::yaml::{self, Node, Style, Value};

fn parse(source: &str) -> Node {
    match yaml::parse(source) {
        Ok(Some(node)) => node,
        other => panic!("unexpected parse result {other:?} for:\n{source}"),
    }
}

/// Emits `text` as a map value and as a sequence item and checks the
/// parser reads back the same text, and that a plain scalar is used
/// only when a YAML 1.1 reader could not take it for something else.
fn round_trip(text: &str) {
    let doc = Yaml::Map(vec![
        ("k".to_owned(), Yaml::str(text)),
        ("l".to_owned(), Yaml::Seq(vec![Yaml::str(text)])),
        (
            "m".to_owned(),
            Yaml::Seq(vec![Yaml::Map(vec![
                ("a".to_owned(), Yaml::str(text)),
                ("b".to_owned(), Yaml::str(text)),
            ])]),
        ),
        ("after".to_owned(), Yaml::Int(1)),
    ]);
    let source = to_string(&doc);
    let root = parse(&source);
    let scalar = |node: Option<&Node>| node.and_then(Node::as_scalar).cloned();
    let check = |found: Option<yaml::Scalar>, place: &str| {
        let found = found.unwrap_or_else(|| panic!("{place} missing in:\n{source}"));
        assert_eq!(found.text, text, "{place} in:\n{source}");
        if found.style == Style::Plain {
            assert!(
                !quote::might_read_as_non_string(text),
                "{text:?} left plain"
            );
            assert!(!found.is_null());
        }
    };
    check(scalar(root.get("k")), "map value");
    let first = |node: Option<&Node>| match node.map(|n| &n.value) {
        Some(Value::Sequence(items)) => items.first().cloned(),
        _ => None,
    };
    check(scalar(first(root.get("l")).as_ref()), "sequence item");
    let item = first(root.get("m"));
    check(
        scalar(item.as_ref().and_then(|i| i.get("a"))),
        "first key in item",
    );
    check(
        scalar(item.as_ref().and_then(|i| i.get("b"))),
        "second key in item",
    );
    assert_eq!(
        scalar(root.get("after")).map(|s| s.text).as_deref(),
        Some("1")
    );
}

#[test]
fn tricky_strings_read_back_unchanged() {
    let cases = [
        "",
        " ",
        "  ",
        "plain",
        "with space",
        " leading",
        "trailing ",
        "yes",
        "no",
        "Yes",
        "NO",
        "on",
        "off",
        "y",
        "n",
        "true",
        "False",
        "null",
        "~",
        "Null",
        "0644",
        "644",
        "0o644",
        "0x1a4",
        "1_000",
        "1:20",
        "1.5.0",
        "-1",
        "+1",
        ".5",
        ".inf",
        "-.Inf",
        ".nan",
        "1e3",
        "=",
        "<<",
        "#comment",
        "a #b",
        "a#b",
        "key: value",
        "ends:",
        "a:b",
        "- item",
        "-",
        "--- doc",
        "...",
        "? q",
        "[x]",
        "{x}",
        "*alias",
        "&anchor",
        "!tag",
        "%dir",
        "@at",
        "`tick",
        "'single'",
        "\"double\"",
        "back\\slash",
        "|",
        ">",
        "tab\there",
        "\ttab",
        "é unicode ✓",
        "emoji 🔥",
        "nul\0byte",
        "bell\x07",
        "esc\x1b[2J",
        "del\x7f",
        "c1\u{85}",
        "ls\u{2028}x",
        "bom\u{feff}",
        "bidi\u{202e}",
        "cr\r",
        "crlf\r\nline\r\n",
        "line\n",
        "two\nlines",
        "two\nlines\n",
        "keep\n\n",
        "keep\n\n\n",
        "\nleading newline",
        "\n\nx\n",
        "  indented\nnext\n",
        "\tindented\n",
        "x\n  more\n",
        "x\n\n  y\n",
        "trailing spaces  \nx  \n",
        "last line spaces\n  ",
        "\n",
        "\n\n",
        " \n",
        "a\n \n",
        "# not a comment\n",
        "a: b\n- c\n",
        "---\n...\n",
        "\"quoted\"\n'x'\n",
        "ends no newline\nx",
        "/usr/bin/env bash",
        "http://example.com/a?b=c#frag",
        "defaults,noatime",
        "ssh-ed25519 AAAAC3Nza core@host",
        "$6$salt$hash/.",
        "2001:db8::1",
    ];
    for case in cases {
        round_trip(case);
    }
}

#[test]
fn blocks_use_the_right_chomping_and_indicator() {
    let emit = |text: &str| to_string(&Yaml::Map(vec![("k".to_owned(), Yaml::str(text))]));
    assert_eq!(emit("a\nb\n"), "k: |\n  a\n  b\n");
    assert_eq!(emit("a\nb"), "k: |-\n  a\n  b\n");
    assert_eq!(emit("a\n\n"), "k: |+\n  a\n\n");
    assert_eq!(emit("  a\nb\n"), "k: |2\n    a\n  b\n");
    assert_eq!(emit("cr\r\nx\n"), "k: \"cr\\r\\nx\\n\"\n");
    assert_eq!(emit("\n"), "k: \"\\n\"\n");
}

#[test]
fn scalars_and_structure() {
    let doc = Yaml::Map(vec![
        ("variant".to_owned(), Yaml::str("fcos")),
        ("version".to_owned(), Yaml::str("1.5.0")),
        (
            "storage".to_owned(),
            Yaml::Map(vec![(
                "files".to_owned(),
                Yaml::Seq(vec![Yaml::Map(vec![
                    ("path".to_owned(), Yaml::str("/etc/hostname")),
                    ("mode".to_owned(), Yaml::Mode(0o644)),
                    ("overwrite".to_owned(), Yaml::Bool(true)),
                ])]),
            )]),
        ),
        ("empty".to_owned(), Yaml::Seq(Vec::new())),
    ]);
    assert_eq!(
        to_string(&doc),
        "variant: fcos\nversion: \"1.5.0\"\nstorage:\n  files:\n    - path: /etc/hostname\n      mode: 0644\n      overwrite: true\nempty: []\n"
    );
}

#[test]
fn modes_are_octal_when_in_range() {
    assert_eq!(mode_text(0o644), "0644");
    assert_eq!(mode_text(0o4755), "04755");
    assert_eq!(mode_text(0), "0000");
    assert_eq!(mode_text(-1), "-1");
    assert_eq!(mode_text(0o10000), "4096");
}

#[test]
fn nested_sequences_and_odd_keys() {
    let doc = Yaml::Map(vec![
        (
            "a b".to_owned(),
            Yaml::Seq(vec![Yaml::Seq(vec![Yaml::Int(1)])]),
        ),
        ("yes".to_owned(), Yaml::Bool(false)),
    ]);
    let source = to_string(&doc);
    let root = parse(&source);
    assert!(root.get("a b").is_some(), "{source}");
    assert_eq!(
        root.get("yes")
            .and_then(Node::as_scalar)
            .map(|s| s.text.as_str()),
        Some("false")
    );
}
