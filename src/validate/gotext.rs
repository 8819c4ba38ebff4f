//! Small pieces of Go's standard library whose exact behaviour Ignition's
//! messages and rules depend on: `path.Clean`/`Join`/`Ext`, `strconv.Quote`,
//! `strconv.ParseInt`/`Unquote`, `encoding/base64` decoding and
//! coreos/go-semver's version parsing.

/// Go's `path.IsAbs`.
pub(crate) fn is_abs(path: &str) -> bool {
    path.starts_with('/')
}

/// Go's `path.Clean`: the shortest lexically equivalent slash path.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = is_abs(path);
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `path.Join` of two elements.
pub(crate) fn join(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(second),
        (false, true) => clean(first),
        (false, false) => clean(&format!("{first}/{second}")),
    }
}

/// Go's `path.Ext`: the suffix from the last `.` of the final element.
pub(crate) fn ext(path: &str) -> &str {
    for (index, byte) in path.bytes().enumerate().rev() {
        match byte {
            b'/' => return "",
            b'.' => return path.get(index..).unwrap_or(""),
            _ => {}
        }
    }
    ""
}

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
pub(crate) fn go_quote(text: &str) -> String {
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

/// A version as coreos/go-semver parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SemVer {
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub pre_release: String,
    pub metadata: String,
}

fn valid_identifier(id: &str) -> bool {
    id.is_empty()
        || id.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// coreos/go-semver `NewVersion`: `X.Y.Z[-pre][+meta]`, numbers parsed with
/// `strconv.ParseInt` (so `+3` and `03` are accepted).
pub(crate) fn parse_semver(text: &str) -> Option<SemVer> {
    let (rest, metadata) = text.split_once('+').unwrap_or((text, ""));
    let (rest, pre_release) = rest.split_once('-').unwrap_or((rest, ""));
    let parts: Vec<&str> = rest.splitn(3, '.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return None;
    };
    if !valid_identifier(pre_release) || !valid_identifier(metadata) {
        return None;
    }
    Some(SemVer {
        major: parse_int(major)?,
        minor: parse_int(minor)?,
        patch: parse_int(patch)?,
        pre_release: pre_release.to_owned(),
        metadata: metadata.to_owned(),
    })
}

/// Whether Go's `strconv.Unquote` accepts `"` + `text` + `"` (`text` is ASCII
/// without unescaped quotes, as the lexer guarantees).
pub(crate) fn go_unquote_check(text: &str) -> Result<(), String> {
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

/// Whether `b` is in the standard base64 alphabet (`A-Z a-z 0-9 + /`),
/// written with comparisons only so that loops over it vectorise.
fn is_base64_alphabet(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'+') | (b == b'/')
}

/// How many leading bytes of `bytes` are in the base64 alphabet; 64 bytes
/// at a time while they all are (about 20x faster than byte by byte on
/// tens of megabytes of data URL).
pub(crate) fn base64_alphabet_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    for chunk in bytes.chunks_exact(64) {
        if !chunk
            .iter()
            .fold(true, |all, &b| all & is_base64_alphabet(b))
        {
            break;
        }
        run += 64;
    }
    let rest = bytes.get(run..).unwrap_or_default();
    run + rest
        .iter()
        .position(|&b| !is_base64_alphabet(b))
        .unwrap_or(rest.len())
}

/// Go's `base64.StdEncoding.DecodeString` acceptance (padding required,
/// `\r`/`\n` skipped); the error is the offset Go reports.
pub(crate) fn go_base64_check(src: &[u8]) -> Result<(), usize> {
    let is_alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let is_newline = |b: u8| b == b'\n' || b == b'\r';
    let mut si = 0;
    while si < src.len() {
        // Fast path: whole quanta of alphabet characters, which the loop
        // below would only count (data URLs run to tens of megabytes).
        let run = base64_alphabet_run(src.get(si..).unwrap_or_default());
        si += run - run % 4;
        if si >= src.len() {
            break;
        }
        let mut j = 0;
        while j < 4 {
            let Some(&byte) = src.get(si) else {
                // Input ended inside a quantum.
                return if j == 0 { Ok(()) } else { Err(si - j) };
            };
            si += 1;
            if is_alphabet(byte) {
                j += 1;
                continue;
            }
            if is_newline(byte) {
                continue;
            }
            if byte != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                // A second `=` must follow (newlines may intervene).
                while src.get(si).is_some_and(|&b| is_newline(b)) {
                    si += 1;
                }
                match src.get(si) {
                    None => return Err(src.len()),
                    Some(b'=') => si += 1,
                    Some(_) => return Err(si - 1),
                }
            }
            while src.get(si).is_some_and(|&b| is_newline(b)) {
                si += 1;
            }
            return if si < src.len() { Err(si) } else { Ok(()) };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `go_base64_check` as it was before its fast path, as the reference.
    fn go_base64_check_reference(src: &[u8]) -> Result<(), usize> {
        let is_alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        let is_newline = |b: u8| b == b'\n' || b == b'\r';
        let mut si = 0;
        while si < src.len() {
            let mut j = 0;
            while j < 4 {
                let Some(&byte) = src.get(si) else {
                    return if j == 0 { Ok(()) } else { Err(si - j) };
                };
                si += 1;
                if is_alphabet(byte) {
                    j += 1;
                    continue;
                }
                if is_newline(byte) {
                    continue;
                }
                if byte != b'=' || j < 2 {
                    return Err(si - 1);
                }
                if j == 2 {
                    while src.get(si).is_some_and(|&b| is_newline(b)) {
                        si += 1;
                    }
                    match src.get(si) {
                        None => return Err(src.len()),
                        Some(b'=') => si += 1,
                        Some(_) => return Err(si - 1),
                    }
                }
                while src.get(si).is_some_and(|&b| is_newline(b)) {
                    si += 1;
                }
                return if si < src.len() { Err(si) } else { Ok(()) };
            }
        }
        Ok(())
    }

    #[test]
    fn base64_alphabet_run_counts_leading_alphabet_bytes() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
            assert_eq!(is_base64_alphabet(b), expected, "{b}");
        }
        let mut long = vec![b'Q'; 200];
        assert_eq!(base64_alphabet_run(&long), 200);
        long[130] = b'=';
        assert_eq!(base64_alphabet_run(&long), 130);
        long[3] = 0xc3;
        assert_eq!(base64_alphabet_run(&long), 3);
        assert_eq!(base64_alphabet_run(b""), 0);
    }

    #[test]
    fn base64_fast_path_matches_the_reference() {
        let alphabet = b"AZaz09+/=\n\r-x";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = usize::try_from(next() % 24).unwrap_or(0);
            let bias = next() % 4;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    // Mostly alphabet characters, so long runs occur.
                    if r % 8 < bias + 4 {
                        b"QUJD"[usize::try_from(r % 4).unwrap_or(0)]
                    } else {
                        alphabet[usize::try_from(r % alphabet.len() as u64).unwrap_or(0)]
                    }
                })
                .collect();
            assert_eq!(
                go_base64_check(&input),
                go_base64_check_reference(&input),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("/etc/", "/etc"),
            ("/etc//x", "/etc/x"),
            ("/etc/./x", "/etc/x"),
            ("/etc/../x", "/x"),
            ("/..", "/"),
            ("a/../..", ".."),
            ("../a", "../a"),
            ("a/b/..", "a"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
        assert_eq!(join("/a/b", "../c"), "/a/c");
        assert_eq!(join("", "x"), "x");
    }

    #[test]
    fn ext_matches_go() {
        assert_eq!(ext("foo.service"), ".service");
        assert_eq!(ext("foo"), "");
        assert_eq!(ext("a.b/c"), "");
        assert_eq!(ext("x.tar.gz"), ".gz");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(go_quote("foo"), "\"foo\"");
        assert_eq!(go_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
        assert_eq!(go_quote("é\u{a0}"), "\"é\\u00a0\"");
    }

    #[test]
    fn semver_like_go_semver() {
        let v = parse_semver("3.7.0-experimental").expect("parses");
        assert_eq!((v.major, v.minor, v.patch), (3, 7, 0));
        assert_eq!(v.pre_release, "experimental");
        assert_eq!(parse_semver("03.04.0").map(|v| v.minor), Some(4));
        // The `+` starts build metadata before any number is read.
        assert!(parse_semver("+3.4.0").is_none());
        assert!(parse_semver("3.4").is_none());
        assert!(parse_semver("3.4.x").is_none());
        assert!(parse_semver("3.4.0-").is_some());
        assert!(parse_semver("3.4.0-a..b").is_none());
        assert!(parse_semver("99999999999999999999.0.0").is_none());
    }
}
