//! Go's `encoding/base64` (`StdEncoding`) acceptance, which Ignition's
//! data URL decoder applies to the data of a `;base64` URL.

/// Whether `b` is in the standard base64 alphabet (`A-Z a-z 0-9 + /`),
/// written with comparisons only so that loops over it vectorise.
fn is_alphabet(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'+') | (b == b'/')
}

/// How many leading bytes of `bytes` are in the base64 alphabet; 64 bytes
/// at a time while they all are (about 20x faster than byte by byte on
/// tens of megabytes of data URL).
pub(crate) fn alphabet_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    for chunk in bytes.chunks_exact(64) {
        if !chunk.iter().fold(true, |all, &b| all & is_alphabet(b)) {
            break;
        }
        run += 64;
    }
    let rest = bytes.get(run..).unwrap_or_default();
    run + rest
        .iter()
        .position(|&b| !is_alphabet(b))
        .unwrap_or(rest.len())
}

/// Go's `base64.StdEncoding.DecodeString` acceptance (padding required,
/// `\r`/`\n` skipped); the error is the offset Go reports.
pub(crate) fn decode_check(src: &[u8]) -> Result<(), usize> {
    let is_alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let is_newline = |b: u8| b == b'\n' || b == b'\r';
    let mut si = 0;
    while si < src.len() {
        // Fast path: whole quanta of alphabet characters, which the loop
        // below would only count (data URLs run to tens of megabytes).
        let run = alphabet_run(src.get(si..).unwrap_or_default());
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

    /// `decode_check` as it was before its fast path, as the reference.
    fn decode_check_reference(src: &[u8]) -> Result<(), usize> {
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
            assert_eq!(is_alphabet(b), expected, "{b}");
        }
        let mut long = vec![b'Q'; 200];
        assert_eq!(alphabet_run(&long), 200);
        long[130] = b'=';
        assert_eq!(alphabet_run(&long), 130);
        long[3] = 0xc3;
        assert_eq!(alphabet_run(&long), 3);
        assert_eq!(alphabet_run(b""), 0);
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
                decode_check(&input),
                decode_check_reference(&input),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}
