use super::*;

fn ok(src: &str) -> UnitFile {
    match parse(src) {
        Ok(f) => f,
        Err(e) => panic!("unexpected parse error: {e}"),
    }
}

fn errs(src: &str) -> Vec<ParseError> {
    match parse(src) {
        Ok(f) => panic!("expected an error, got {f:?}"),
        Err(e) => e.0,
    }
}

fn pos(line: usize, column: usize) -> Position {
    Position { line, column }
}

#[test]
fn sections_keys_and_positions() {
    let f = ok("[Unit]\nDescription=Web\n\n[Container]\n  Image = quay.io/a/b:1  \n");
    assert_eq!(f.section_names(), ["Unit", "Container"]);
    let img = f.last("Container", "Image").expect("Image");
    assert_eq!(img.value, "quay.io/a/b:1");
    assert_eq!(img.key_pos, pos(5, 3));
    assert_eq!(img.value_pos, pos(5, 11));
    assert_eq!(f.section_header("Container"), Some(pos(4, 1)));
    let d = f.last("Unit", "Description").expect("Description");
    assert_eq!((d.key_pos, d.value_pos), (pos(2, 1), pos(2, 13)));
}

#[test]
fn comments_and_blank_lines() {
    let f = ok("# c\n; c\n\n[Unit]\n# Description=nope\n  ; x=y\nA=1\n");
    assert_eq!(f.entries("Unit").count(), 1);
    // No sections at all is fine (Quadlet accepts an empty file).
    assert!(ok("").sections.is_empty());
    assert!(ok("\n\n# only comments\n").sections.is_empty());
}

#[test]
fn repeated_keys_and_sections_keep_order() {
    let f = ok("[Container]\nVolume=a:/a\n[Unit]\nA=1\n[Container]\nVolume=b:/b\nVolume=c:/c\n");
    assert_eq!(f.sections.len(), 3);
    let vols: Vec<&str> = f
        .all("Container", "Volume")
        .iter()
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(vols, ["a:/a", "b:/b", "c:/c"]);
    assert_eq!(
        f.last("Container", "Volume").map(|e| e.key_pos.line),
        Some(7)
    );
}

#[test]
fn empty_value_resets_lists() {
    let f = ok("[Container]\nVolume=a:/a\nVolume=\nVolume=b:/b\nImage=x\nImage=\n");
    let vols: Vec<&str> = f
        .all("Container", "Volume")
        .iter()
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(vols, ["b:/b"]);
    // Single-value lookup: last assignment is empty → unset.
    assert_eq!(f.value("Container", "Image"), None);
    assert_eq!(
        f.last("Container", "Image").map(|e| e.value.as_str()),
        Some("")
    );
    let empty = f.last("Container", "Image").expect("entry");
    assert_eq!(empty.value_pos, pos(6, 7), "empty value points after `=`");
}

#[test]
fn quoting_is_kept_raw_and_unquote_strips_one_pair() {
    let f = ok("[Container]\nExec=sh -c \"echo hi\"\nLabel=\"a=b\"  \nX=\"\"\"\n");
    assert_eq!(
        f.last("Container", "Exec").map(|e| e.value.as_str()),
        Some("sh -c \"echo hi\"")
    );
    assert_eq!(f.value("Container", "Label"), Some("a=b"));
    assert_eq!(f.last("Container", "X").map(Entry::unquoted), Some("\""));
    assert_eq!(unquote("\"only-leading"), "\"only-leading");
    assert_eq!(unquote("sh -c \"x\""), "sh -c \"x\"");
}

#[test]
fn continuation_lines_join_without_space() {
    let f = ok(
        "[Service]\nExecStartPre=/bin/sh -c 'a; \\\n   b; \\\n # comment inside\n   c'\nNext=1\n",
    );
    let e = f.last("Service", "ExecStartPre").expect("entry");
    assert_eq!(e.value, "/bin/sh -c 'a; b; c'");
    assert_eq!(
        (e.key_pos, e.value_pos, e.last_line),
        (pos(2, 1), pos(2, 14), 5)
    );
    assert_eq!(f.last("Service", "Next").map(|e| e.key_pos.line), Some(6));
    // No space is inserted where the line had none.
    let f = ok("[A]\nK=ab\\\ncd\n");
    assert_eq!(f.value("A", "K"), Some("abcd"));
}

#[test]
fn continuation_value_on_next_line_has_its_position() {
    let f = ok("[A]\nK=\\\n    value\n");
    let e = f.last("A", "K").expect("entry");
    assert_eq!(e.value, "value");
    assert_eq!(e.value_pos, pos(3, 5));
}

#[test]
fn continuation_quirks_are_reported_as_warnings() {
    // A blank line inside a continuation is skipped: the next line is glued on.
    let f = ok("[A]\nK=a\\\n\nB=c\n");
    assert_eq!(f.value("A", "K"), Some("aB=c"));
    assert_eq!(f.warnings.len(), 1);
    assert_eq!(f.warnings[0].kind, ParseErrorKind::BlankLineInContinuation);
    // The file ends inside a continuation: the value is lost.
    let f = ok("[A]\nK=a\\\n# trailing comment\n");
    assert!(f.last("A", "K").is_none());
    assert_eq!(f.warnings[0].kind, ParseErrorKind::ContinuationAtEndOfFile);
    assert_eq!(f.warnings[0].pos, pos(2, 1));
    // A backslash on the very last line is simply dropped.
    let f = ok("[A]\nK=a\\");
    assert_eq!(f.value("A", "K"), Some("a"));
    assert!(f.warnings.is_empty());
    // A lone backslash line does not start a continuation.
    let f = ok("[A]\n\\\nK=v\n");
    assert_eq!(f.value("A", "K"), Some("v"));
}

#[test]
fn comment_lines_never_continue() {
    let f = ok("[A]\n# comment \\\nK=v\n");
    assert_eq!(f.value("A", "K"), Some("v"));
}

#[test]
fn crlf_and_unicode() {
    let f = ok("[Unit]\r\nDescription=Grüße 🌍\r\n\u{a0}K=v\r\n");
    assert_eq!(f.value("Unit", "Description"), Some("Grüße 🌍"));
    let k = f.last("Unit", "K").expect("K");
    assert_eq!(k.key_pos, pos(3, 2), "columns count characters");
    let f = ok("[Unit]\nD=é=x\n");
    assert_eq!(f.last("Unit", "D").map(|e| e.value_pos), Some(pos(2, 3)));
}

#[test]
fn key_outside_section() {
    let e = errs("Image=x\n[Container]\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, ParseErrorKind::KeyOutsideSection);
    assert_eq!(e[0].pos, pos(1, 1));
    assert!(e[0].message.contains("add a header"), "{}", e[0].message);
}

#[test]
fn garbage_lines() {
    let e = errs("[Container]\nImage=x\n{% if FOO %}\n  just words\n=novalue\n");
    let kinds: Vec<_> = e.iter().map(|e| (e.kind, e.pos)).collect();
    assert_eq!(
        kinds,
        [
            (ParseErrorKind::InvalidLine, pos(3, 1)),
            (ParseErrorKind::InvalidLine, pos(4, 3)),
            (ParseErrorKind::InvalidLine, pos(5, 1)),
        ]
    );
    assert!(e[0].message.contains("Jinja"));
    // Lenient parsing keeps what it understood.
    let (f, errors) = parse_lenient("[Container]\nImage=x\ngarbage\nUser=1\n");
    assert_eq!(errors.len(), 1);
    assert_eq!(f.value("Container", "User"), Some("1"));
}

#[test]
fn section_header_errors() {
    let e = errs("[Unit\n");
    assert_eq!(e[0].kind, ParseErrorKind::UnterminatedSectionHeader);
    assert!(e[0].message.contains("closing `]`"));
    let e = errs("[Unit] Description=x\n");
    assert_eq!(e[0].kind, ParseErrorKind::TextAfterSectionHeader);
    assert_eq!(e[0].pos, pos(1, 7));
    let e = errs("[]\n");
    assert_eq!(e[0].kind, ParseErrorKind::InvalidSectionName);
    let e = errs("[a[b]\n");
    assert_eq!(e[0].kind, ParseErrorKind::InvalidSectionName);
    // Whitespace after `]` is fine.
    assert!(parse("[Unit] \t\n").is_ok());
}

#[test]
fn error_display() {
    let e = errs("x\n");
    assert!(e[0].to_string().starts_with("1:1: "));
    let all = ParseErrors(e).to_string();
    assert!(all.contains("not a `Key=Value` pair"));
}

#[test]
fn never_panics_on_weird_input() {
    let inputs = [
        "\0\0\0",
        "[",
        "]",
        "=",
        "\\",
        "\\\\\n\\",
        "[\u{7}]\n",
        "[A]\n=\n",
        "[A]\nK\u{85}=v\n",
        "[A]\nK=\u{85}v\n",
        "\u{feff}[Unit]\n",
        "[A]\n\u{2028}K=v\u{2029}\n",
        "[A]\r\rK=v",
        "[A]\nK=v\\\n\\\n\\",
    ];
    for input in inputs {
        let _ = parse_lenient(input);
    }
    // Pseudo-random byte soup mapped to chars.
    let mut x: u32 = 12345;
    for _ in 0..300 {
        let s: String = (0..64)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let c = (x >> 16) % 128;
                match c {
                    0..=9 => '\n',
                    10..=14 => '[',
                    15..=19 => ']',
                    20..=24 => '=',
                    25..=27 => '\\',
                    28..=30 => '#',
                    _ => char::from_u32(c).unwrap_or('x'),
                }
            })
            .collect();
        let (f, errs) = parse_lenient(&s);
        for e in &errs {
            assert!(e.pos.line >= 1 && e.pos.column >= 1);
        }
        for entry in f.sections.iter().flat_map(|s| &s.entries) {
            assert!(entry.key_pos.line >= 1 && entry.value_pos.column >= 1);
        }
    }
}
