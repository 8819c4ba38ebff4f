//! Tests of the encode stage: Butane's examples and tie-breaks, the gzip
//! pipeline's members and determinism, the memo, and round trips through
//! [`crate::dataurl`].
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::form::{Plain, gzip_wins, pick_plain};
use super::gzip::{
    CHUNK_SIZE, FINAL_PIECE_SIZE, GZIP_HEADER, SMALL_INPUT_MAX, compress as gzip,
    compress_with_tasks, pieces,
};
use super::memo::MEMO;
use super::*;
use crate::dataurl::tests::random_bytes;
use crate::dataurl::{base64_url_len, percent_url_len};

fn gzip_with_tasks(bytes: &[u8], tasks: usize) -> Vec<u8> {
    let mut out = Vec::new();
    compress_with_tasks(bytes, tasks, &mut |member| out.extend_from_slice(member));
    out
}

/// Compressible but non-trivial text of exactly `n` bytes.
fn text_bytes(n: usize) -> Vec<u8> {
    let words = random_bytes(n / 4 + 1, 7);
    let mut out = Vec::with_capacity(n + 32);
    let mut i = 0;
    while out.len() < n {
        let w = words[i % words.len()];
        i += 1;
        out.extend_from_slice(
            format!("line {} host-{} unit{}.service ok\n", w, w % 7, w % 13).as_bytes(),
        );
    }
    out.truncate(n);
    out
}

fn enc(s: &str) -> EncodedResource {
    encode_data_url(s.as_bytes(), None, true)
}

fn roundtrip(r: &EncodedResource) -> Vec<u8> {
    crate::dataurl::decode_resource(&r.source, r.compression.as_deref(), usize::MAX).unwrap()
}

// ---- butane.md §4.2 examples -------------------------------------------

#[test]
fn example_node1() {
    let r = enc("node1");
    assert_eq!(r.source, "data:,node1");
    assert_eq!(r.compression.as_deref(), Some(""));
}

/// The memo hands back exactly what encoding gives, for each way of
/// asking (user compression, gzip allowed), and only on threads that
/// asked for it.
#[test]
fn memo_gives_what_encoding_gives() {
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"short".to_vec(),
        "[Unit]\nDescription=memo\n".repeat(20).into_bytes(),
        vec![0xff; 300],
    ];
    let ways = [
        (None, true),
        (None, false),
        (Some("gzip"), true),
        (Some(""), true),
    ];
    let fresh: Vec<EncodedResource> = inputs
        .iter()
        .flat_map(|input| ways.map(|(user, gzip)| encode_data_url(input, user, gzip)))
        .collect();
    let memoized = std::thread::spawn(move || {
        memoize_on_this_thread();
        let once: Vec<EncodedResource> = inputs
            .iter()
            .flat_map(|input| ways.map(|(user, gzip)| encode_data_url(input, user, gzip)))
            .collect();
        let again: Vec<EncodedResource> = inputs
            .iter()
            .flat_map(|input| ways.map(|(user, gzip)| encode_data_url(input, user, gzip)))
            .collect();
        let held = MEMO.with(|memo| memo.borrow().as_ref().map_or(0, |memo| memo.len()));
        (once, again, held)
    })
    .join()
    .expect("memo thread");
    assert_eq!(memoized.0, fresh);
    assert_eq!(memoized.1, fresh);
    assert_eq!(memoized.2, fresh.len());
    let here = MEMO.with(|memo| memo.borrow().is_none());
    assert!(here, "a thread that did not ask keeps no memo");
}

#[test]
fn example_hello_welcome() {
    let r = enc("Hello & <welcome>\n");
    assert_eq!(r.source, "data:,Hello%20%26%20%3Cwelcome%3E%0A");
    assert_eq!(r.compression.as_deref(), Some(""));
}

#[test]
fn example_empty() {
    let r = enc("");
    assert_eq!(r.source, "data:,");
    assert_eq!(r.compression.as_deref(), Some(""));
    assert_eq!(roundtrip(&r), b"");
}

#[test]
fn example_40_a_stays_plain() {
    let s = "a".repeat(40);
    let r = enc(&s);
    assert_eq!(r.source, format!("data:,{s}"));
    assert_eq!(r.compression.as_deref(), Some(""));
}

#[test]
fn example_50_a_is_gzipped() {
    let s = "a".repeat(50);
    let r = enc(&s);
    assert_eq!(r.compression.as_deref(), Some("gzip"));
    // Same fixed header as Go's gzip.BestCompression output.
    assert!(
        r.source.starts_with("data:;base64,H4sIAAAAAAAC/"),
        "{}",
        r.source
    );
    assert_eq!(roundtrip(&r), s.as_bytes());
    // Butane's own output is 40 characters of opaque data; ours must not
    // be longer.
    assert!(r.source.len() <= "data:;base64,H4sIAAAAAAAC/0okGQACAAD//32610cyAAAA".len());
}

#[test]
fn random_binary_uses_base64() {
    let b = random_bytes(48, 1);
    let r = encode_data_url(&b, None, true);
    assert_eq!(r.source, format!("data:;base64,{}", B64.encode(&b)));
    assert_eq!(r.compression.as_deref(), Some(""));
    assert_eq!(roundtrip(&r), b);
}

#[test]
fn user_gzip_is_kept_and_not_recompressed() {
    let s = "a".repeat(1000);
    let r = encode_data_url(s.as_bytes(), Some("gzip"), true);
    assert_eq!(r.source, format!("data:,{s}"));
    assert_eq!(r.compression.as_deref(), Some("gzip"));

    // Already-gzipped binary: base64 chosen, value kept, bytes untouched.
    let gz = gzip(&text_bytes(5000));
    let r = encode_data_url(&gz, Some("gzip"), true);
    assert_eq!(r.source, format!("data:;base64,{}", B64.encode(&gz)));
    assert_eq!(r.compression.as_deref(), Some("gzip"));

    // Any other non-empty value is passed through untouched as well.
    let r = encode_data_url(b"x", Some("zstd"), true);
    assert_eq!(r.compression.as_deref(), Some("zstd"));
}

#[test]
fn empty_user_compression_means_none() {
    let s = "a".repeat(1000);
    assert_eq!(
        encode_data_url(s.as_bytes(), Some(""), true),
        encode_data_url(s.as_bytes(), None, true)
    );
    assert_eq!(
        encode_data_url(s.as_bytes(), Some(""), true)
            .compression
            .as_deref(),
        Some("gzip")
    );
}

#[test]
fn gzip_not_allowed() {
    let s = "a".repeat(1000);
    let r = encode_data_url(s.as_bytes(), None, false);
    assert_eq!(r.source, format!("data:,{s}"));
    assert_eq!(r.compression.as_deref(), Some(""));
}

#[test]
fn plain_data_url_fcos_1_0() {
    assert_eq!(
        encode_plain_data_url(b"Hello & <welcome>\n"),
        "data:,Hello%20%26%20%3Cwelcome%3E%0A"
    );
    let s = "a".repeat(200);
    assert_eq!(encode_plain_data_url(s.as_bytes()), format!("data:,{s}"));
    assert_eq!(encode_plain_data_url(b""), "data:,");
    assert_eq!(
        encode_plain_data_url(&[0x00, 0xff, b'/']),
        "data:,%00%FF%2F"
    );
}

// ---- tie-breaks -------------------------------------------------------

#[test]
fn tie_keeps_percent_form() {
    // 9 bytes, 5 escaped: percent = 1 + 9 + 10 = 20 = base64 (8 + 12).
    let b = b"ab  cd   ";
    assert_eq!(percent_url_len(b), 25);
    assert_eq!(base64_url_len(b.len()), 25);
    let r = encode_data_url(b, None, false);
    assert_eq!(r.source, "data:,ab%20%20cd%20%20%20");
    // One more escape tips it to base64.
    let b = b"ab  c    ";
    assert_eq!(percent_url_len(b), 27);
    let r = encode_data_url(b, None, false);
    assert_eq!(r.source, format!("data:;base64,{}", B64.encode(b)));
}

#[test]
fn decision_rules() {
    assert_eq!(pick_plain(20, 20), Plain::Percent(20));
    assert_eq!(pick_plain(21, 20), Plain::Base64(20));
    assert_eq!(pick_plain(19, 20), Plain::Percent(19));
    // len(Z) + 4 must be strictly below len(W).
    assert!(!gzip_wins(40, 44));
    assert!(gzip_wins(40, 45));
    assert!(!gzip_wins(usize::MAX, usize::MAX));
}

#[test]
fn gzip_threshold_against_actual_lengths() {
    // For every length the decision must equal the rule applied to the
    // real gzip output length.
    for n in 0..400 {
        for input in [vec![b'a'; n], text_bytes(n), random_bytes(n, n as u64)] {
            let plain = pick_plain(percent_url_len(&input), base64_url_len(n));
            let z = base64_url_len(gzip(&input).len());
            let r = encode_data_url(&input, None, true);
            let expect_gzip = z + 4 < plain.len();
            assert_eq!(
                r.compression.as_deref() == Some("gzip"),
                expect_gzip,
                "n={n}"
            );
            let expected_len = if expect_gzip { z } else { plain.len() };
            assert_eq!(r.source.len(), expected_len, "n={n}");
            assert_eq!(roundtrip(&r), input, "n={n}");
        }
    }
}

// ---- gzip -------------------------------------------------------------

#[test]
fn gzip_header_is_fixed() {
    for input in [&b""[..], b"x", &text_bytes(100_000)] {
        let gz = gzip(input);
        assert_eq!(gz[..10], GZIP_HEADER);
        assert_eq!(crate::dataurl::gunzip(&gz, usize::MAX).unwrap(), input);
    }
}

#[test]
fn large_input_is_multi_member_and_thread_independent() {
    let input = text_bytes(2 * CHUNK_SIZE + 12_345);
    let sizes: Vec<usize> = pieces(&input).iter().map(|p| p.len()).collect();
    let final_pieces = CHUNK_SIZE / FINAL_PIECE_SIZE;
    assert_eq!(sizes.len(), 2 + final_pieces);
    assert_eq!(sizes[..2], [CHUNK_SIZE, 12_345]);
    assert!(sizes[2..].iter().all(|&n| n == FINAL_PIECE_SIZE));
    let mut members = Vec::new();
    let len = compress_with_tasks(&input, 1, &mut |m| members.push(m.to_vec()));
    assert_eq!(members.len(), sizes.len());
    assert_eq!(len, members.iter().map(Vec::len).sum::<usize>());
    for m in &members {
        assert_eq!(m[..10], GZIP_HEADER);
    }
    let one = members.concat();
    for tasks in [2, 3, 8] {
        assert!(gzip_with_tasks(&input, tasks) == one, "tasks={tasks}");
    }
    let gz = gzip(&input);
    assert!(gz == one);
    assert_eq!(crate::dataurl::gunzip(&gz, usize::MAX).unwrap(), input);

    let r = encode_data_url(&input, None, true);
    assert_eq!(r.compression.as_deref(), Some("gzip"));
    assert_eq!(r.source, format!("data:;base64,{}", B64.encode(&gz)));
    assert_eq!(roundtrip(&r), input);
}

#[test]
fn deterministic() {
    for input in [
        text_bytes(300),
        text_bytes(SMALL_INPUT_MAX + 1),
        random_bytes(5000, 3),
    ] {
        let a = encode_data_url(&input, None, true);
        let b = encode_data_url(&input, None, true);
        assert_eq!(a, b);
        let c = std::thread::spawn(move || encode_data_url(&input, None, true))
            .join()
            .unwrap();
        assert_eq!(a, c);
    }
}

// ---- decoding ---------------------------------------------------------

#[test]
fn roundtrip_many() {
    for (i, n) in [
        0usize,
        1,
        2,
        3,
        47,
        48,
        49,
        1000,
        SMALL_INPUT_MAX,
        SMALL_INPUT_MAX + 1,
        70_000,
    ]
    .into_iter()
    .enumerate()
    {
        for input in [random_bytes(n, i as u64), text_bytes(n)] {
            for (uc, allow) in [(None, true), (None, false), (Some("gzip"), true)] {
                let r = encode_data_url(&input, uc, allow);
                if r.compression.as_deref() == Some("gzip") && uc.is_some() {
                    // The user claimed gzip: only the data URL layer round-trips.
                    assert_eq!(crate::dataurl::decode_data_url(&r.source).unwrap(), input);
                } else {
                    assert_eq!(roundtrip(&r), input, "n={n}");
                }
            }
        }
    }
}
