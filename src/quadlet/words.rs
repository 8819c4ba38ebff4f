//! Splitting of values into words the way systemd (and Quadlet) split
//! whitespace-separated lists: double or single quotes group words and are
//! removed, backslash escapes are either decoded (`Unescape`, used for
//! argument-like keys such as `Environment=` or `Exec=`) or kept verbatim
//! (`Retain`, used for plain word lists such as `[Unit] After=`).
//!
//! This is an independent, lenient re-implementation: an unterminated quote
//! simply runs to the end of the value, and an unknown escape keeps the
//! escaped character.

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
}
