//! The "encode" stage: turning file contents into Ignition `data:` URLs, the
//! way Butane's `MakeDataURL` does (see `butane.md` §4). The URL forms
//! themselves (and decoding) belong to [`crate::dataurl`]; this module
//! chooses between them and compresses.
//!
//! # Encoding rules (fcos >= 1.1.0)
//!
//! * `P = "," + percent(B)`, where `percent` keeps `A–Z a–z 0–9 - _ . ! ~ * ' ( )`
//!   and writes every other byte as upper-case `%XX`.
//! * `Q = ";base64," + base64(B)` (standard alphabet, padded).
//! * `W = Q` if `len(Q) < len(P)`, else `P` (a tie keeps `P`).
//! * If the user gave no compression (absent or `""`) and gzip is allowed:
//!   `Z = ";base64," + base64(gzip(B))` replaces `W` iff `len(Z) + 4 < len(W)`.
//! * The URL is `"data:" + W`; the `compression` output is `"gzip"` if `Z`
//!   won, `""` if the user gave none, otherwise the user's value unchanged.
//!
//! Only lengths are compared: `len(Q)` is arithmetic, and `len(P)` is
//! counted (one pass over the bytes) only when it can matter: it is at
//! least one character per byte, so a `Z` shorter than that and `Q` wins
//! without it. `Z` is built while it is compressed, before it is known to
//! win (see below); the plain forms only when they win.
//!
//! # gzip output
//!
//! Every member starts with the fixed header `1f 8b 08 00 00000000 02 ff`
//! (no name, mtime 0, XFL=2, OS=255) and carries raw deflate data from
//! libdeflate, then CRC-32 and ISIZE. Output is a pure function of the input:
//!
//! * inputs up to [`SMALL_INPUT_MAX`] (4 KiB): one member at libdeflate level
//!   [`SMALL_LEVEL`] (9). Levels 10–12 (near-optimal parsing) gain under 0.5%
//!   on such files but cost 3.3–4x the time: on the unit, Quadlet and env
//!   files of a 1,000-host fleet (2,426 files of ~0.1–1 KiB), level 9 takes
//!   8.8 µs a file and level 12 35 µs, for 0.45% less output. Every Butane
//!   corpus file stays smaller than Butane's own output (ratio 0.994);
//! * larger inputs, at level [`LARGE_LEVEL`] (8): up to [`CHUNK_SIZE`]
//!   (4 MiB) one member; above that, [`CHUNK_SIZE`] pieces, except that the
//!   last [`CHUNK_SIZE`] bytes are cut into [`FINAL_PIECE_SIZE`] (1 MiB)
//!   pieces, each its own gzip member, members concatenated in input order.
//!   The pieces are compressed on up to `available_parallelism()` threads;
//!   the small final pieces keep every core busy until the end (with 4 MiB
//!   pieces throughout, one core idled for half a piece, ~30 ms, on
//!   average) at a cost of 0.05% in size. Go's `gzip.Reader` (used by
//!   Ignition) reads multi-member streams by default. The cut depends on
//!   the length alone, so the bytes are identical on every machine.
//! * Members are base64-encoded into the URL in input order as soon as each
//!   and all before it are done, by whichever worker finished it, while the
//!   others keep compressing: the encoding overlaps the compression instead
//!   of following it. If gzip then loses (incompressible input) that work
//!   is thrown away, ~2% of the compression's.
//!
//! Measurements (`BENCH_SWEEP=1 cargo bench --bench encode`, 2-core VM,
//! the 64 MiB log-like text of `benches/common/logs.rs`; `gzip -9 -n` =
//! 16,314,282 bytes in 1.68 s, 1.67 CPU-s). Size (% smaller than `gzip -9`)
//! and single-thread CPU seconds:
//!
//! | level | 1 MiB members      | 4 MiB members      | whole file         |
//! |------:|-------------------:|-------------------:|-------------------:|
//! | 6     | +2.80%, 0.58 s     | +3.53%, 0.54 s     | +3.73%, 0.63 s     |
//! | 7     | +3.55%, 0.67 s     | +4.27%, 0.66 s     | +4.42%, 0.65 s     |
//! | 8     | +4.41%, 0.93 s     | +5.09%, 0.92 s     | +5.29%, 0.90 s     |
//! | 9     | +4.43%, 0.90 s     | +5.13%, 0.90 s     | +5.26%, 0.90 s     |
//! | 10    | +6.82%, 5.01 s     | +7.48%, 5.08 s     | +7.69%, 5.91 s     |
//!
//! Level 7 would be ~30% faster and still beat the "2.6% smaller than
//! `gzip -9`" target on this text, but not on real logs
//! (`BENCH_FILES=...`, % smaller than `gzip -9` at 4 MiB members):
//!
//! | file                                   | level 7 | level 8 | level 9 |
//! |----------------------------------------|--------:|--------:|--------:|
//! | Debian `/var/log/dpkg.log` (379 KB)    | -1.19%  | -0.00%  | -0.13%  |
//! | Debian `/var/log/apt/term.log` (196 KB)| -0.38%  | +1.92%  | +1.99%  |
//! | CPython build logs (8.2 MB)            | +0.51%  | +2.41%  | +2.89%  |
//!
//! Level 7 makes real logs *larger* than `gzip -9` would, so 8 it is (9
//! gains little for ~5–15% more time, within noise here). Levels 10–12
//! are 5–8x slower.
//!
//! Against Butane itself (Go's `compress/gzip` at `BestCompression`, run
//! here with Debian's Go 1.19; sizes in bytes, kindling at level 8):
//!
//! | file                      | `gzip -9`  | Go (Butane)         | kindling   | level 7    |
//! |---------------------------|-----------:|--------------------:|-----------:|-----------:|
//! | 64 MiB log text           | 16,314,282 | 15,435,420 (2.24 s) | 15,491,324 | 15,617,138 |
//! | CPython build logs, 8.2 MB| 544,781    | 541,144             | 530,999    | 542,020    |
//! | Debian apt term.log       | 25,829     | 25,853              | 25,334     | 25,928     |
//! | Debian dpkg.log           | 33,706     | 33,636              | 33,721     | 34,119     |
//!
//! So on large files kindling is between 0.36% larger and 1.9% smaller
//! than Butane, at several times its speed; level 7 would be larger than
//! Butane on every one of these (by 0.16–1.4%). Member size: 1 MiB costs +1.1% against one whole-file
//! member, 4 MiB +0.3% (every member restarts with an empty 32 KiB window).
//!
//! End to end on that file (same run): `encode_data_url` 0.486 s median
//! (138 MB/s, 3.45x `gzip -9`; 3.20x counting the 38 ms file read), 0.99
//! CPU-s against gzip's 1.67. Wall-clock ratios need both cores free: any
//! other load pulls them towards the CPU ratio (1.7x). Small inputs: ~7.5 µs
//! for 300 B, ~25 µs for 4 KiB (level 9), ~70 µs for 8 KiB (level 8).
//!
//! # Memo
//!
//! A thread that calls [`memoize_on_this_thread`] (the fleet compiler's
//! workers do) keeps the encodings of small inputs it has made, keyed by
//! the input: a fleet places the same unit, drop-in, trust anchor and
//! snippet files on many hosts, and compressing a small file costs ~10 µs
//! (most of it libdeflate setting up its match finder), hashing it well
//! under 1 µs. Results are identical with or without the memo. The memo
//! holds at most [`MEMO_BUDGET`] bytes and starts over when full. Other
//! threads (`kindling butane`) never look at it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use libdeflater::{CompressionLvl, Compressor};

use crate::dataurl::{Base64Url, base64_url, base64_url_len, percent_url, percent_url_len};

/// Inputs up to this many bytes are compressed as a single member at
/// [`SMALL_LEVEL`].
pub const SMALL_INPUT_MAX: usize = 4 * 1024;
/// libdeflate level for small inputs (its best before the slow
/// near-optimal levels).
pub const SMALL_LEVEL: i32 = 9;
/// libdeflate level for inputs larger than [`SMALL_INPUT_MAX`].
pub const LARGE_LEVEL: i32 = 8;
/// Larger inputs are cut into pieces of this size, one gzip member each.
pub const CHUNK_SIZE: usize = 4 * 1024 * 1024;
/// ... except their last [`CHUNK_SIZE`] bytes, cut into pieces of this
/// size (see the module docs).
pub const FINAL_PIECE_SIZE: usize = 1024 * 1024;

/// Most bytes (inputs plus their encodings) a thread's memo holds.
pub const MEMO_BUDGET: usize = 16 * 1024 * 1024;

/// Encodings made on this thread, when it asked for them to be kept.
#[derive(Default)]
struct Memo {
    /// Input → each way it was encoded.
    entries: HashMap<Vec<u8>, Vec<MemoEntry>>,
    bytes: usize,
}

/// One encoding of an input, with the arguments it was made with.
struct MemoEntry {
    user_compression: Option<String>,
    allow_gzip: bool,
    encoded: EncodedResource,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Keeps the encodings of small inputs made on the calling thread, so an
/// input seen again is not compressed again (see the module docs).
pub fn memoize_on_this_thread() {
    MEMO.with(|memo| {
        if let Ok(mut memo) = memo.try_borrow_mut() {
            memo.get_or_insert_with(Memo::default);
        }
    });
}

/// `encode()`'s result for these arguments, from this thread's memo if it
/// keeps one and has it.
fn memoized(
    contents: &[u8],
    user_compression: Option<&str>,
    allow_gzip: bool,
    encode: impl FnOnce() -> EncodedResource,
) -> EncodedResource {
    if contents.len() > SMALL_INPUT_MAX {
        return encode();
    }
    let same = |entry: &&MemoEntry| {
        entry.user_compression.as_deref() == user_compression && entry.allow_gzip == allow_gzip
    };
    // `None`: no memo on this thread.
    let found = MEMO.with(|memo| {
        let memo = memo.try_borrow().ok()?;
        let memo = memo.as_ref()?;
        Some(
            memo.entries
                .get(contents)
                .and_then(|ways| ways.iter().find(same))
                .map(|entry| entry.encoded.clone()),
        )
    });
    match found {
        None => encode(),
        Some(Some(hit)) => hit,
        Some(None) => {
            let encoded = encode();
            MEMO.with(|memo| {
                let Ok(mut memo) = memo.try_borrow_mut() else {
                    return;
                };
                let Some(memo) = memo.as_mut() else {
                    return;
                };
                let size = contents.len() + encoded.source.len();
                if memo.bytes + size > MEMO_BUDGET {
                    memo.entries.clear();
                    memo.bytes = 0;
                }
                memo.bytes += size;
                memo.entries
                    .entry(contents.to_vec())
                    .or_default()
                    .push(MemoEntry {
                        user_compression: user_compression.map(str::to_owned),
                        allow_gzip,
                        encoded: encoded.clone(),
                    });
            });
            encoded
        }
    }
}

/// The fixed 10-byte gzip member header: magic, CM=8 (deflate), no flags,
/// mtime 0, XFL=2 (best compression), OS=255 (unknown) — byte-identical to
/// Go's `compress/gzip` at `BestCompression`.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff];

/// Result of [`encode_data_url`]: the resource's `source` and `compression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedResource {
    /// The complete `data:` URL.
    pub source: String,
    /// The `compression` value to emit.
    pub compression: Option<String>,
}

// ---------------------------------------------------------------------------
// Encoding API
// ---------------------------------------------------------------------------

/// Butane fcos >= 1.1.0 rules: pick the shortest of percent-encoded `data:,`
/// and `data:;base64,`; if the user gave no compression and `allow_gzip`, also
/// try gzip+base64 and take it only if len(Z)+4 < len(W). compression output:
/// Some("gzip") if gzip won, Some("") if the user gave none and gzip lost,
/// else the user's own value unchanged.
pub fn encode_data_url(
    contents: &[u8],
    user_compression: Option<&str>,
    allow_gzip: bool,
) -> EncodedResource {
    memoized(contents, user_compression, allow_gzip, || {
        encode_uncached(contents, user_compression, allow_gzip)
    })
}

fn encode_uncached(
    contents: &[u8],
    user_compression: Option<&str>,
    allow_gzip: bool,
) -> EncodedResource {
    let user = user_compression.filter(|c| !c.is_empty());
    let b64_len = base64_url_len(contents.len());

    if user.is_none() && allow_gzip {
        // The gzip form is written as its members come out of the
        // compressor, before it is known to win: for a large input the
        // base64 work then overlaps the compression of later members
        // instead of following all of it, and gzip nearly always wins on
        // anything large enough for that to matter.
        let mut url = Base64Url::with_capacity(0);
        let gz_len = gzip_in_order(contents, worker_threads(contents), &mut |member| {
            url.push(member);
        });
        let z_len = base64_url_len(gz_len);
        // The percent form takes at least a character per byte: when gzip
        // beats that and the base64 form, counting its escapes (a pass
        // over the whole input) cannot change the outcome.
        let percent_floor = "data:,".len().saturating_add(contents.len());
        let plain = if gzip_wins(z_len, percent_floor.min(b64_len)) {
            None
        } else {
            Some(pick_plain(percent_url_len(contents), b64_len))
        };
        return match plain {
            Some(plain) if !gzip_wins(z_len, plain.len()) => plain_resource(contents, plain, ""),
            _ => EncodedResource {
                source: url.finish(),
                compression: Some("gzip".to_owned()),
            },
        };
    }

    let plain = pick_plain(percent_url_len(contents), b64_len);
    plain_resource(contents, plain, user.unwrap_or(""))
}

/// Build the uncompressed winner.
fn plain_resource(contents: &[u8], plain: Plain, compression: &str) -> EncodedResource {
    let source = match plain {
        Plain::Base64(_) => base64_url(contents),
        Plain::Percent(_) => percent_url(contents),
    };
    EncodedResource {
        source,
        compression: Some(compression.to_owned()),
    }
}

/// The better of the two uncompressed forms, with its opaque length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    Percent(usize),
    Base64(usize),
}

impl Plain {
    fn len(self) -> usize {
        match self {
            Plain::Percent(n) | Plain::Base64(n) => n,
        }
    }
}

/// Step 3: base64 only if strictly shorter (a tie keeps the percent form).
fn pick_plain(pct_len: usize, b64_len: usize) -> Plain {
    if b64_len < pct_len {
        Plain::Base64(b64_len)
    } else {
        Plain::Percent(pct_len)
    }
}

/// Step 4: gzip only if strictly shorter once the 4 bytes of the word
/// `gzip` in the `compression` field are counted.
fn gzip_wins(z_len: usize, plain_len: usize) -> bool {
    z_len.saturating_add("gzip".len()) < plain_len
}

/// fcos 1.0.0 rule: always `data:,` + percent-encoding, no compression field.
pub fn encode_plain_data_url(contents: &[u8]) -> String {
    percent_url(contents)
}

// ---------------------------------------------------------------------------
// gzip
// ---------------------------------------------------------------------------

thread_local! {
    /// Reused compressor for small inputs (saves its allocation and
    /// set-up, ~10 µs, on every small file).
    static SMALL_COMPRESSOR: RefCell<Option<Compressor>> = const { RefCell::new(None) };
}

fn level(l: i32) -> CompressionLvl {
    CompressionLvl::new(l).unwrap_or_else(|_| CompressionLvl::best())
}

/// One gzip member for `data`, using `compressor` and `scratch` (grown as
/// needed, reused between calls).
fn gzip_member(compressor: &mut Compressor, data: &[u8], scratch: &mut Vec<u8>) -> Vec<u8> {
    let bound = compressor.deflate_compress_bound(data.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    let deflated: &[u8] = match compressor.deflate_compress(data, scratch) {
        Ok(n) => &scratch[..n],
        // Cannot happen with a buffer of `deflate_compress_bound` bytes;
        // fall back to another deflate implementation rather than panic.
        Err(_) => {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            let fallback = enc.write_all(data).and_then(|()| enc.finish());
            *scratch = fallback.unwrap_or_default();
            scratch.as_slice()
        }
    };
    let mut member = Vec::with_capacity(GZIP_HEADER.len() + deflated.len() + 8);
    member.extend_from_slice(&GZIP_HEADER);
    member.extend_from_slice(deflated);
    member.extend_from_slice(&libdeflater::crc32(data).to_le_bytes());
    // ISIZE is the length modulo 2^32 (chunks are far smaller anyway), so the
    // truncating cast is intended.
    member.extend_from_slice(&(data.len() as u32).to_le_bytes());
    member
}

fn gzip_small(data: &[u8]) -> Vec<u8> {
    let run = |c: &mut Compressor| {
        let mut scratch = Vec::new();
        gzip_member(c, data, &mut scratch)
    };
    SMALL_COMPRESSOR
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => run(slot.get_or_insert_with(|| Compressor::new(level(SMALL_LEVEL)))),
            Err(_) => run(&mut Compressor::new(level(SMALL_LEVEL))),
        })
        .unwrap_or_else(|_| run(&mut Compressor::new(level(SMALL_LEVEL))))
}

/// How many threads compress `data`: one for a small input (checked first:
/// `available_parallelism` reads cgroup files on Linux, ~30 µs, as much as
/// compressing a 300-byte file), else one per core.
fn worker_threads(data: &[u8]) -> usize {
    if data.len() <= SMALL_INPUT_MAX {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The pieces `data` is compressed in, one gzip member each: a function of
/// the length alone, so the output is the same on any number of cores.
fn pieces(data: &[u8]) -> Vec<&[u8]> {
    if data.len() <= CHUNK_SIZE {
        return vec![data];
    }
    let (head, tail) = data.split_at(data.len() - CHUNK_SIZE);
    head.chunks(CHUNK_SIZE)
        .chain(tail.chunks(FINAL_PIECE_SIZE))
        .collect()
}

/// Members finished by the workers, waiting for their turn at the sink.
struct InOrder<'s, S> {
    /// Index of the next member the sink takes.
    next: usize,
    /// Finished members that are not the next one yet.
    waiting: BTreeMap<usize, Vec<u8>>,
    /// The sink, while no thread is feeding it.
    sink: Option<&'s mut S>,
}

/// Compresses `data` into gzip members (see the module docs) on up to
/// `max_threads` threads and feeds them to `sink` in input order, each as
/// soon as it and every member before it are done, so that the sink's work
/// (base64 encoding) overlaps the compression of later members. Returns the
/// total compressed length; the members do not depend on `max_threads`.
fn gzip_in_order<S>(data: &[u8], max_threads: usize, sink: &mut S) -> usize
where
    S: FnMut(&[u8]) + Send,
{
    if data.len() <= SMALL_INPUT_MAX {
        let member = gzip_small(data);
        sink(&member);
        return member.len();
    }
    let mut fed = 0;
    let mut counted = |member: &[u8]| {
        fed += member.len();
        sink(member);
    };
    let chunks = pieces(data);
    let threads = max_threads.clamp(1, chunks.len());
    let next_chunk = AtomicUsize::new(0);
    let state = Mutex::new(InOrder {
        next: 0,
        waiting: BTreeMap::new(),
        sink: Some(&mut counted),
    });
    std::thread::scope(|scope| {
        // If a thread cannot be spawned the remaining workers (at least this
        // one) simply take its share.
        let workers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("kindling-gzip".into())
                    .spawn_scoped(scope, || compress_worker(&chunks, &next_chunk, &state))
                    .ok()
            })
            .collect();
        compress_worker(&chunks, &next_chunk, &state);
        // Joined here so that a worker's panic is not re-raised by the
        // scope: the pieces it left are compressed below.
        for worker in workers {
            let _ = worker.join();
        }
    });
    let InOrder {
        next, mut waiting, ..
    } = state.into_inner().unwrap_or_else(PoisonError::into_inner);
    // Every worker has finished, so the sink is free again. A member can
    // only be missing if a worker panicked (none is expected); it is
    // compressed here so the output stays complete and deterministic.
    let mut fallback: Option<(Compressor, Vec<u8>)> = None;
    for (index, chunk) in chunks.iter().enumerate().skip(next) {
        let member = waiting.remove(&index).unwrap_or_else(|| {
            let (compressor, scratch) =
                fallback.get_or_insert_with(|| (Compressor::new(level(LARGE_LEVEL)), Vec::new()));
            gzip_member(compressor, chunk, scratch)
        });
        counted(&member);
    }
    fed
}

/// Compresses `chunks[i]` for every `i` handed out by `next_chunk` and
/// hands each member to [`deliver`].
fn compress_worker<S: FnMut(&[u8])>(
    chunks: &[&[u8]],
    next_chunk: &AtomicUsize,
    state: &Mutex<InOrder<'_, S>>,
) {
    let mut compressor = Compressor::new(level(LARGE_LEVEL));
    let mut scratch = Vec::new();
    loop {
        let index = next_chunk.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = chunks.get(index) else {
            break;
        };
        deliver(
            state,
            index,
            gzip_member(&mut compressor, chunk, &mut scratch),
        );
    }
}

/// Files member `index`; if no other thread is feeding the sink, feeds it
/// every member that is now next in line, with the lock released while the
/// sink works. A thread that finds the sink busy leaves its member waiting:
/// the feeding thread checks for more under the lock before giving the sink
/// back, so no member is left behind.
fn deliver<S: FnMut(&[u8])>(state: &Mutex<InOrder<'_, S>>, index: usize, member: Vec<u8>) {
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    let mut guard = lock();
    guard.waiting.insert(index, member);
    let Some(sink) = guard.sink.take() else {
        return;
    };
    loop {
        let next = guard.next;
        let Some(member) = guard.waiting.remove(&next) else {
            break;
        };
        drop(guard);
        sink(&member);
        guard = lock();
        guard.next += 1;
    }
    guard.sink = Some(sink);
}

/// The compressor used by [`encode_data_url`]: deterministic gzip with a
/// fixed header; multi-member for inputs above [`SMALL_INPUT_MAX`] that span
/// more than one [`CHUNK_SIZE`] piece.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_with_threads(bytes, worker_threads(bytes))
}

fn gzip_with_threads(bytes: &[u8], threads: usize) -> Vec<u8> {
    let mut out = Vec::new();
    gzip_in_order(bytes, threads, &mut |member| out.extend_from_slice(member));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    /// Deterministic pseudo-random bytes (SplitMix64) for tests.
    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
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
            let held = MEMO.with(|memo| {
                memo.borrow()
                    .as_ref()
                    .map_or(0, |memo| memo.entries.values().map(Vec::len).sum::<usize>())
            });
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
        let len = gzip_in_order(&input, 1, &mut |m| members.push(m.to_vec()));
        assert_eq!(members.len(), sizes.len());
        assert_eq!(len, members.iter().map(Vec::len).sum::<usize>());
        for m in &members {
            assert_eq!(m[..10], GZIP_HEADER);
        }
        let one = members.concat();
        for threads in [2, 3, 8] {
            assert!(
                gzip_with_threads(&input, threads) == one,
                "threads={threads}"
            );
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
}
