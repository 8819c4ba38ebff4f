//! Go's `strconv` as Ignition's messages and rules use it: `Quote` (what
//! `%q` prints), `ParseInt` and `Unquote`'s acceptance.

/// Go's `unicode.IsPrint`, approximated outside ASCII: Rust's standard
/// library has no general-category table, so control, whitespace, format and
/// private-use characters count as unprintable and everything else as
/// printable.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    let code = u32::from(c);
    let format_or_private = matches!(
        code,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0xE000..=0xF8FF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xFFFE..=0xFFFF
            | 0xE0000..=0xE007F
            | 0xF0000..
    );
    !(c.is_control() || c.is_whitespace() || format_or_private)
}

/// Go's `strconv.Quote` (what `%q` prints for a string).
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_print(c) => out.push(c),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if u32::from(c) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.ParseInt(text, 10, 64)`: optional sign, decimal digits,
/// no overflow.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'+') => (false, text.get(1..)?),
        Some(b'-') => (true, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Accumulate negatively so that i64::MIN parses.
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        value = value.checked_mul(10)?.checked_sub(i64::from(byte - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Whether Go's `strconv.Unquote` accepts `"` + `text` + `"` (`text` is ASCII
/// without unescaped quotes, as the lexer guarantees).
pub(crate) fn unquote_check(text: &str) -> Result<(), String> {
    let invalid = || Err("invalid syntax".to_owned());
    let bytes = text.as_bytes();
    let mut index = 0;
    let digits = |from: usize, count: usize, radix: u32| -> Option<u32> {
        let part = text.get(from..from + count)?;
        if part.chars().all(|c| c.is_digit(radix)) {
            u32::from_str_radix(part, radix).ok()
        } else {
            None
        }
    };
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\n' | b'"' => return invalid(),
            b'\\' => {
                let Some(&escape) = bytes.get(index + 1) else {
                    return invalid();
                };
                index += 2;
                match escape {
                    b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' | b'"' => {}
                    b'x' => {
                        if digits(index, 2, 16).is_none() {
                            return invalid();
                        }
                        index += 2;
                    }
                    b'u' | b'U' => {
                        let count = if escape == b'u' { 4 } else { 8 };
                        match digits(index, count, 16) {
                            Some(code) if char::from_u32(code).is_some() => index += count,
                            _ => return invalid(),
                        }
                    }
                    b'0'..=b'7' => match digits(index - 1, 3, 8) {
                        Some(code) if code <= 255 => index += 2,
                        _ => return invalid(),
                    },
                    _ => return invalid(),
                }
            }
            _ => index += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go() {
        assert_eq!(quote("foo"), "\"foo\"");
        assert_eq!(quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
        assert_eq!(quote("é\u{a0}"), "\"é\\u00a0\"");
    }
}
