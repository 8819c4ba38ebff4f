//! Tests of data URLs: Ignition's decoder messages and offsets, decoding,
//! the size cap, the writers' escape set, and that whatever parses decodes
//! ([`sample_urls`] also feeds the validator's agreement test, and
//! [`random_bytes`] the encoder's tests).

use super::*;

fn msg(url: &str) -> String {
    DataUrl::parse(url)
        .err()
        .map(|error| error.message)
        .unwrap_or_default()
}

fn at(url: &str) -> usize {
    DataUrl::parse(url)
        .err()
        .map_or(usize::MAX, |error| error.offset)
}

fn ok(url: &str) -> Vec<u8> {
    decode_data_url(url).unwrap_or_else(|error| panic!("{url}: {error}"))
}

/// Deterministic pseudo-random bytes (SplitMix64); the encoder's tests use
/// them too.
pub(crate) fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

#[test]
fn accepts_butane_style_urls() {
    for url in [
        "data:,",
        "data:,hello%20world%0A",
        "data:;base64,",
        "data:;base64,SGVsbG8=",
        "data:;base64,SGk=",
        "data:text/plain;charset=utf-8;base64,SGVsbG8=",
        "data:text/plain;charset=\"utf\\\"8\",x",
        "data:x-foo/bar,x",
        "data:application/json,%7B%7D",
        "data:,a!$&'()*+,;=:@~-._/?%41",
    ] {
        assert!(DataUrl::parse(url).is_ok(), "{url}");
    }
}

#[test]
fn parts() {
    let url = DataUrl::parse("data:text/plain;charset=utf-8;base64,SGk=").expect("parses");
    assert_eq!(
        url,
        DataUrl {
            media_type: "text/plain",
            base64: true,
            data: "SGk=",
        }
    );
    let url = DataUrl::parse("data:,a%20b").expect("parses");
    assert_eq!((url.media_type, url.base64, url.data), ("", false, "a%20b"));
    let url = DataUrl::parse("data:x-a/b,c").expect("parses");
    assert_eq!(url.media_type, "x-a/b");
}

#[test]
fn rejects_with_decoder_messages() {
    assert_eq!(msg("date:,x"), "missing data prefix");
    assert_eq!(msg("data:"), "missing comma before data");
    assert_eq!(msg("data:,a b"), "invalid data character");
    assert_eq!(msg("data:,a#b"), "invalid data character");
    assert_eq!(msg("data:,é"), "invalid data character");
    assert_eq!(
        msg("data:,%4"),
        "rfc2396: unexpected end of unescape sequence"
    );
    assert_eq!(
        msg("data:,%zz"),
        "rfc2396: invalid char 0x25 in unescape sequence"
    );
    assert_eq!(msg("data:text,x"), "invalid character for media type");
    assert_eq!(msg("data:text"), "missing media type slash");
    assert_eq!(msg("data:foo/bar,x"), "invalid media type");
    assert_eq!(msg("data:text/plain"), "incomplete media type");
    assert_eq!(
        msg("data:text/pl@in,x"),
        "invalid character for media subtype"
    );
    assert_eq!(msg("data:;,x"), "unterminated parameter sequence");
    assert_eq!(msg("data:;b64,x"), "expected base64, got b64");
    assert_eq!(msg("data:;a=b"), "missing comma before data");
    assert_eq!(msg("data:;a=\"b"), "unclosed quoted string");
    assert_eq!(msg("data:;a=\"\\q\",x"), "invalid syntax");
    assert_eq!(
        msg("data:;a=%zz,x"),
        "rfc2396: invalid char 0x25 in unescape sequence"
    );
    assert_eq!(msg("data:;a=\"b\"c,x"), "expected semicolon or comma");
    assert_eq!(msg("data:@,x"), "invalid character after data prefix");
    assert_eq!(
        msg("data:;base64,SGk"),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        msg("data:;base64,SGVsbG8"),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        msg("data:;base64,SG=k"),
        "illegal base64 data at input byte 2"
    );
    assert_eq!(msg("data:application/json,{}"), "invalid data character");
    assert_eq!(
        msg("data:;base64,S==="),
        "illegal base64 data at input byte 1"
    );
    assert_eq!(
        msg("data:;base64,SGk=SGk="),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(msg("data:;base64,SG-k"), "invalid data character");
    assert_eq!(msg("DATA:,x"), "missing data prefix");
    assert_eq!(msg("data:;base64,aGk=\r\n"), "invalid data character");
    assert_eq!(msg("data:,a\nb"), "invalid data character");
}

#[test]
fn errors_point_at_the_offending_byte() {
    assert_eq!(at("data:,abc%"), 9);
    assert_eq!(at("data:,%zz"), 6);
    assert_eq!(at("data:,a b"), 7);
    assert_eq!(at("data:"), 5);
    assert_eq!(at("data:foo/bar,x"), 5);
    assert_eq!(at("data:;a=%zz,x"), 8);
    assert_eq!(at("data:;base64,SGVsbG8"), 17);
    assert_eq!(
        DataUrl::parse("data:,%zz")
            .map(drop)
            .map_err(|e| e.to_string()),
        Err(
            "invalid data URL at byte 6: rfc2396: invalid char 0x25 in unescape sequence"
                .to_owned()
        )
    );
}

#[test]
fn empty_quoted_value_leaves_next_value_quoted() {
    // The decoder's quirk: `%zz` is then read as a Go string, not unescaped.
    assert_eq!(ok("data:;a=\"\";b=%zz,x"), b"x");
}

#[test]
fn decode_forms() {
    assert_eq!(ok("data:,"), b"");
    assert_eq!(ok("data:;base64,"), b"");
    assert_eq!(ok("data:,node1"), b"node1");
    assert_eq!(
        ok("data:,Hello%20%26%20%3cwelcome%3E%0A"),
        b"Hello & <welcome>\n"
    );
    assert_eq!(ok("data:,a+b,c"), b"a+b,c");
    assert_eq!(ok("data:;base64,aGk="), b"hi");
    assert_eq!(ok("data:;base64,aG\nk="), b"hi");
    assert_eq!(
        ok("data:;base64,aGl="),
        b"hi",
        "non-zero trailing bits, as Go"
    );
    assert_eq!(ok("data:text/plain,hi"), b"hi");
    assert_eq!(ok("data:text/plain;charset=utf-8,hi"), b"hi");
    assert_eq!(ok("data:text/plain;charset=\"utf-8\";base64,aGk="), b"hi");
    assert_eq!(ok("data:application/octet-stream;base64,AP8="), [0, 255]);
    assert_eq!(ok("data:x-foo/bar,hi"), b"hi");
    assert_eq!(ok("data:text/,hi"), b"hi");
    assert_eq!(ok("data:;charset=utf-8;base64,aGk="), b"hi");
    assert_eq!(ok("data:text/plain;a=\"q\\\"uote\",x"), b"x");
}

#[test]
fn decode_resource_undoes_compression_with_a_cap() {
    let gz = crate::encode::gzip::compress(&[b'a'; 4096]);
    let url = base64_url(&gz);
    assert_eq!(
        decode_resource(&url, Some("gzip"), 4096).map(|v| v.len()),
        Ok(4096)
    );
    assert_eq!(
        decode_resource(&url, Some("gzip"), 4095),
        Err(DataUrlError::TooLarge { limit: 4095 })
    );
    assert_eq!(decode_resource("data:,x", None, 1), Ok(b"x".to_vec()));
    assert_eq!(decode_resource("data:,x", Some(""), 1), Ok(b"x".to_vec()));
    assert_eq!(
        decode_resource("data:,xy", None, 1),
        Err(DataUrlError::TooLarge { limit: 1 })
    );
    assert_eq!(
        decode_resource("data:,x", Some("zstd"), 1),
        Err(DataUrlError::UnsupportedCompression("zstd".to_owned()))
    );
    assert!(matches!(
        decode_resource("data:,x", Some("gzip"), 1),
        Err(DataUrlError::Gzip(_))
    ));
    assert!(matches!(
        decode_resource("data:hello", None, 1),
        Err(DataUrlError::Syntax(_))
    ));
}

#[test]
fn gunzip_multi_member_and_foreign_headers() {
    use std::io::Write as _;
    let mut gz = crate::encode::gzip::compress(b"hello ");
    gz.extend(crate::encode::gzip::compress(b"world"));
    assert_eq!(gunzip(&gz, usize::MAX), Ok(b"hello world".to_vec()));

    // A member with a file name, written by another implementation.
    let mut encoder = flate2::GzBuilder::new()
        .filename("x.txt")
        .write(Vec::new(), flate2::Compression::fast());
    encoder.write_all(b"!").expect("write");
    gz.extend(encoder.finish().expect("finish"));
    assert_eq!(gunzip(&gz, usize::MAX), Ok(b"hello world!".to_vec()));
}

#[test]
fn gunzip_errors() {
    let gzip_error = |bytes: &[u8]| matches!(gunzip(bytes, usize::MAX), Err(DataUrlError::Gzip(_)));
    assert!(gzip_error(b""));
    assert!(gzip_error(b"not gzip"));
    let gz = crate::encode::gzip::compress(b"hello");
    assert!(gzip_error(&gz[..gz.len() - 3]), "truncated");
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    assert!(gzip_error(&bad_crc), "bad crc");
    let mut trailing = gz.clone();
    trailing.extend_from_slice(b"garbage!");
    assert!(gzip_error(&trailing), "trailing garbage");
}

#[test]
fn never_panics_on_odd_input() {
    let samples = [
        "data:",
        "data:;",
        "data:;=",
        "data:;a=",
        "data:;a=\"",
        "data:;a=\"\\",
        "data:x",
        "data:x-",
        "data:x-/",
        "data:X-a/b;c=d",
        "data:text/plain;",
        "data:;base64,=",
        "data:;base64,\n",
        "data:,%",
        "data:,%%%",
        "data:é,",
        "data:xé/b,",
        "data:;a=\"é\",",
        "data:;a=\"\\é\",",
        "data:;a=\"\\x4\",",
        "data:;a=\"\\377\",",
        "data:;a=\"\\400\",",
    ];
    for s in samples {
        let _ = decode_data_url(s);
    }
    for (i, window) in random_bytes(20_000, 11).chunks(20).enumerate() {
        let mut s = String::from("data:");
        s.extend(window.iter().map(|&b| char::from(b % 128)));
        let _ = decode_data_url(&s);
        let lossy = String::from_utf8_lossy(&random_bytes(24, i as u64)).into_owned();
        let _ = decode_data_url(&format!("data:{lossy}"));
    }
}

/// `count` URLs built from pieces of the grammar, valid and not, so that
/// a good share parse and the rest fail in many different places.
pub(crate) fn sample_urls(count: usize, seed: u64) -> Vec<String> {
    const HEADS: [&str; 14] = [
        "",
        "text/plain",
        "x-a/b",
        "X-/",
        "foo/bar",
        "text",
        "image/png",
        "application/",
        "text/pl@in",
        "é",
        ";",
        "x",
        "a/b",
        "text/plain;",
    ];
    const PARAMETERS: [&str; 14] = [
        "",
        ";charset=utf-8",
        ";a=\"q\\\"\"",
        ";a=\"\"",
        ";b=%zz",
        ";b=%41",
        ";a=\"\\x41\"",
        ";a=\"\\q\"",
        ";a=\"\\101\"",
        ";=",
        ";a",
        ";a=\"é\"",
        ";a=b\"",
        ";base64;a=b",
    ];
    const DATA: [&str; 22] = [
        "", "a", "%41", "%4", "%zz", "+", "/", "=", "==", "\n", "\r", "SGk=", "SGVs", "bG8=", "é",
        " ", "#", "?", "'", "-", "AAAA", ",",
    ];
    let mut state = seed | 1;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % n as u64).unwrap_or(0)
    };
    (0..count)
        .map(|_| {
            let mut url = String::from("data:");
            url.push_str(HEADS[next(HEADS.len())]);
            for _ in 0..next(3) {
                url.push_str(PARAMETERS[next(PARAMETERS.len())]);
            }
            url.push_str([",", ";base64,", "", ";b64,"][next(4) % 3 + usize::from(next(8) == 0)]);
            for _ in 0..next(5) {
                // Base64 quanta most of the time, so base64 data often parses.
                if next(2) == 0 {
                    url.push_str("QUJD");
                } else {
                    url.push_str(DATA[next(DATA.len())]);
                }
            }
            url
        })
        .collect()
}

/// Every URL `parse` accepts decodes.
#[test]
fn whatever_parses_decodes() {
    let mut accepted = 0;
    for url in sample_urls(50_000, 0x2545_F491_4F6C_DD1D) {
        if let Ok(parsed) = DataUrl::parse(&url) {
            accepted += 1;
            assert!(parsed.decode().is_ok(), "{url:?}");
        }
    }
    assert!(accepted > 5000, "only {accepted} URLs parsed");
}

#[test]
fn percent_escape_set_is_butanes() {
    let all: Vec<u8> = (0..=255u8).collect();
    let url = percent_url(&all);
    let kept: String = all
        .iter()
        .filter(|&&b| is_unreserved(b))
        .map(|&b| char::from(b))
        .collect();
    assert_eq!(
        kept,
        "!'()*-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
    );
    // The crate's set and the counting predicate agree on every byte.
    for b in 0..=255u8 {
        let written = percent_url(&[b]);
        assert_eq!(written.len() == "data:,".len() + 1, is_unreserved(b), "{b}");
    }
    assert!(url.contains("%20!"), "'!' is kept as is");
    assert!(url.contains("%0A") && url.contains("%25") && url.contains("%2B"));
    assert!(!url.contains("%0a"), "hex must be upper-case");
    assert_eq!(ok(&url), all);
    assert_eq!(url.len(), percent_url_len(&all));
    assert_eq!(
        percent_url(b"Hello & <welcome>\n"),
        "data:,Hello%20%26%20%3Cwelcome%3E%0A"
    );
}

#[test]
fn base64_streaming_matches_one_shot() {
    let data = random_bytes(50, 9);
    for a in 0..=data.len() {
        for b in a..=data.len() {
            let mut url = Base64Url::with_capacity(0);
            for part in [&data[..a], &data[a..b], &data[b..]] {
                url.push(part);
            }
            let url = url.finish();
            assert_eq!(url, format!("data:;base64,{}", B64.encode(&data)));
            assert_eq!(url.len(), base64_url_len(data.len()));
        }
    }
    assert_eq!(base64_url(b"hi"), "data:;base64,aGk=");
}
