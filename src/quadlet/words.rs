//! Splitting of values into words the way systemd (and Quadlet) split
//! whitespace-separated lists: double or single quotes group words and are
//! removed, backslash escapes are either decoded (`Unescape`, used for
//! argument-like keys such as `Environment=` or `Exec=`) or kept verbatim
//! (`Retain`, used for plain word lists such as `[Unit] After=`).
//!
//! This is an independent, lenient re-implementation: an unterminated quote
//! simply runs to the end of the value, and an unknown escape keeps the
//! escaped character. [`unsupported_escape`] finds, separately, the escapes
//! Podman's generator refuses.

/// How backslashes are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// Decode C-style escapes (`\n`, `\t`, `\xHH`, `\\`, `\"`, ...).
    Unescape,
    /// Keep the backslash and the escaped character verbatim.
    Retain,
}

/// Split `value` into words. Never fails.
pub fn split_words(value: &str, escapes: Escapes) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.next() {
                    Some(next) => match escapes {
                        Escapes::Retain => {
                            word.push('\\');
                            word.push(next);
                        }
                        Escapes::Unescape => unescape_into(next, &mut chars, &mut word),
                    },
                    None => word.push('\\'),
                },
                ('"' | '\'', None) => quote = Some(c),
                (q, Some(open)) if q == open => quote = None,
                (w, None) if w.is_whitespace() => break,
                (other, _) => word.push(other),
            }
        }
        words.push(word);
    }
    words
}

fn unescape_into(c: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    let simple = match c {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        's' => Some(' '),
        _ => None,
    };
    if let Some(s) = simple {
        out.push(s);
        return;
    }
    if c == 'x' {
        let mut hex = String::new();
        while hex.len() < 2 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
            if let Some(h) = chars.next() {
                hex.push(h);
            }
        }
        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
            Some(decoded) if hex.len() == 2 => out.push(decoded),
            _ => {
                out.push('x');
                out.push_str(&hex);
            }
        }
        return;
    }
    out.push(c);
}

/// An escape sequence Podman's Quadlet generator cannot decode in an
/// argument-like value (`Exec=`, `Label=`, ...): byte offset of its
/// backslash in the value and the sequence as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEscape {
    pub offset: usize,
    pub sequence: String,
}

/// The first escape sequence that Podman's exec-style splitting rejects
/// ("unsupported escape char"), or `None`. Quotes do not matter: escapes
/// are decoded inside and outside them. A trailing lone backslash is
/// accepted (Podman splits these values in its relaxed mode).
pub fn unsupported_escape(value: &str) -> Option<BadEscape> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let rest = &bytes[i + 1..];
        if rest.is_empty() {
            return None;
        }
        match escape_len(rest) {
            Some(len) => i += 1 + len,
            None => {
                let shown: String = value[i + 1..].chars().take(1).collect();
                return Some(BadEscape {
                    offset: i,
                    sequence: format!("\\{shown}"),
                });
            }
        }
    }
    None
}

/// Length of the valid escape at the start of `p` (the bytes after a
/// backslash), following the C-style rules Podman took from systemd:
/// single letters, `\xHH`, `\uHHHH`, `\UHHHHHHHH` (at most U+10FFFF) and
/// three octal digits (at most 255); a NUL is never allowed.
fn escape_len(p: &[u8]) -> Option<usize> {
    let digits = |n: usize, radix: u32| -> Option<u32> {
        let d = p.get(1..=n)?;
        let s = std::str::from_utf8(d).ok()?;
        if !s.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        u32::from_str_radix(s, radix).ok()
    };
    let (len, code) = match p.first()? {
        b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' | b'"' | b'\'' | b's' => {
            return Some(1);
        }
        b'x' => (3, digits(2, 16)?),
        b'u' => (5, digits(4, 16)?),
        b'U' => (9, digits(8, 16).filter(|c| *c <= 0x10_FFFF)?),
        b'0'..=b'7' => {
            let octal = std::str::from_utf8(p.get(..3)?).ok()?;
            if !octal.chars().all(|c| c.is_digit(8)) {
                return None;
            }
            (3, u32::from_str_radix(octal, 8).ok().filter(|m| *m <= 255)?)
        }
        _ => return None,
    };
    (code != 0).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &str) -> Vec<String> {
        split_words(v, Escapes::Unescape)
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(w("  a b\tc  "), ["a", "b", "c"]);
        assert!(w("   ").is_empty());
        assert!(w("").is_empty());
    }

    #[test]
    fn quotes_group_and_are_removed() {
        assert_eq!(
            w(r#"A=1 "B=two words" 'C=x y'"#),
            ["A=1", "B=two words", "C=x y"]
        );
        assert_eq!(w(r#"pre"fix suf"fix"#), ["prefix suffix"]);
        // Unterminated quote runs to the end.
        assert_eq!(w(r#""abc def"#), ["abc def"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(w(r"a\ b c"), ["a b", "c"]);
        assert_eq!(w(r"\x41\n"), ["A\n"]);
        assert_eq!(w(r"trail\"), ["trail\\"]);
        assert_eq!(w(r"\xZZ"), ["xZZ"]);
        assert_eq!(split_words(r"a\ b c\d", Escapes::Retain), ["a\\ b", "c\\d"]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["\\", "\"", "'", "\\x", "\\x4", "é\\xé", "\u{0}\u{85}"] {
            let _ = split_words(s, Escapes::Unescape);
            let _ = split_words(s, Escapes::Retain);
        }
    }

    fn bad(v: &str) -> Option<(usize, String)> {
        unsupported_escape(v).map(|b| (b.offset, b.sequence))
    }

    #[test]
    fn escapes_podman_decodes_pass() {
        for ok in [
            "",
            "plain words",
            r#"\a\b\f\n\r\t\v\\\"\'\s"#,
            r"\x41 \xfF \u00e9 \U0001F600 \101 \377",
            r#"sh -c "echo \\d""#,
            r"'single \n quoted'",
            "trailing\\",
            r"\\\\q",
        ] {
            assert_eq!(bad(ok), None, "{ok}");
        }
    }

    #[test]
    fn escapes_podman_rejects_are_found_at_their_backslash() {
        assert_eq!(bad(r"foo=\q"), Some((4, r"\q".into())));
        assert_eq!(bad(r#"/bin/sh -c "echo \d""#), Some((17, r"\d".into())));
        assert_eq!(bad(r"a\\b\.c"), Some((4, r"\.".into())));
        assert_eq!(bad("x\\é"), Some((1, "\\é".into())));
        for no in [
            r"\x4",
            r"\xZZ",
            r"\x00",
            r"\u12",
            r"\u0000",
            r"\U00110000",
            r"\U0000000g",
            r"\U00000000",
            r"\0",
            r"\01",
            r"\000",
            r"\400",
            r"\8",
            r"\ ",
            r"\$",
        ] {
            assert_eq!(bad(no).map(|b| b.0), Some(0), "{no}");
        }
    }
}
