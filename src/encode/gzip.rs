//! Deterministic gzip for the encode stage. Every member starts with the
//! fixed header [`GZIP_HEADER`] and carries raw deflate data from
//! libdeflate, then CRC-32 and ISIZE; output is a pure function of the
//! input:
//!
//! * inputs up to [`SMALL_INPUT_MAX`]: one member at [`SMALL_LEVEL`];
//! * larger inputs, at [`LARGE_LEVEL`]: up to [`CHUNK_SIZE`] one member;
//!   above that, [`CHUNK_SIZE`] pieces, except that the last [`CHUNK_SIZE`]
//!   bytes are cut into [`FINAL_PIECE_SIZE`] pieces (they keep every core
//!   busy until the end), each its own member, concatenated in input order.
//!   Go's `gzip.Reader` (used by Ignition) reads multi-member streams. The
//!   cut depends on the length alone, so the bytes are identical on every
//!   machine.
//!
//! The pieces of a large input are compressed on every core (rayon tasks
//! taking pieces in input order) and each member goes to the caller's sink
//! as soon as it and all before it are done, by whichever task finished it,
//! so the sink's work (base64) overlaps the compression of later members.
//!
//! Levels and piece sizes: `cargo bench --bench encode` (`BENCH_SWEEP=1`),
//! figures in benches/README.md.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use libdeflater::{CompressionLvl, Compressor};

/// Inputs up to this many bytes are compressed as a single member at
/// [`SMALL_LEVEL`].
pub const SMALL_INPUT_MAX: usize = 4 * 1024;
/// libdeflate level for small inputs: its best before the near-optimal
/// levels, which gain under 0.5% for 3–4x the time.
pub const SMALL_LEVEL: i32 = 9;
/// libdeflate level for larger inputs: 7 makes real logs larger than
/// `gzip -9`, 9 gains little for more time.
pub const LARGE_LEVEL: i32 = 8;
/// Larger inputs are cut into pieces of this size, one gzip member each.
pub const CHUNK_SIZE: usize = 4 * 1024 * 1024;
/// ... except their last [`CHUNK_SIZE`] bytes, cut into pieces of this
/// size.
pub const FINAL_PIECE_SIZE: usize = 1024 * 1024;

/// The fixed 10-byte gzip member header: magic, CM=8 (deflate), no flags,
/// mtime 0, XFL=2 (best compression), OS=255 (unknown) — byte-identical to
/// Go's `compress/gzip` at `BestCompression`.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff];

thread_local! {
    /// Reused compressor for small inputs (saves its allocation and
    /// set-up, ~10 µs, on every small file).
    static SMALL_COMPRESSOR: RefCell<Option<Compressor>> = const { RefCell::new(None) };
}

/// The compressor used by the encode stage: deterministic gzip with a
/// fixed header; multi-member for inputs that span more than one
/// [`CHUNK_SIZE`] piece.
pub fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    compress_in_order(bytes, &mut |member| out.extend_from_slice(member));
    out
}

/// Compresses `data` into gzip members (see the module docs) and feeds
/// them to `sink` in input order; returns the total compressed length.
pub(super) fn compress_in_order<S>(data: &[u8], sink: &mut S) -> usize
where
    S: FnMut(&[u8]) + Send,
{
    // Asking rayon for its thread count starts its pool: two thread spawns
    // that a one-piece input (every typical `kindling butane` run) never uses.
    let tasks = if data.len() > CHUNK_SIZE {
        rayon::current_num_threads()
    } else {
        1
    };
    compress_with_tasks(data, tasks, sink)
}

fn level(l: i32) -> CompressionLvl {
    CompressionLvl::new(l).unwrap_or_else(|_| CompressionLvl::best())
}

/// One gzip member for `data`, using `compressor` and `scratch` (grown as
/// needed, reused between calls).
fn member(compressor: &mut Compressor, data: &[u8], scratch: &mut Vec<u8>) -> Vec<u8> {
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

fn small(data: &[u8]) -> Vec<u8> {
    let run = |c: &mut Compressor| {
        let mut scratch = Vec::new();
        member(c, data, &mut scratch)
    };
    SMALL_COMPRESSOR
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => run(slot.get_or_insert_with(|| Compressor::new(level(SMALL_LEVEL)))),
            Err(_) => run(&mut Compressor::new(level(SMALL_LEVEL))),
        })
        .unwrap_or_else(|_| run(&mut Compressor::new(level(SMALL_LEVEL))))
}

/// The pieces `data` is compressed in, one gzip member each: a function of
/// the length alone, so the output is the same on any number of cores.
pub(super) fn pieces(data: &[u8]) -> Vec<&[u8]> {
    if data.len() <= CHUNK_SIZE {
        return vec![data];
    }
    let (head, tail) = data.split_at(data.len() - CHUNK_SIZE);
    head.chunks(CHUNK_SIZE)
        .chain(tail.chunks(FINAL_PIECE_SIZE))
        .collect()
}

/// Members finished by the tasks, waiting for their turn at the sink.
struct InOrder<'s, S> {
    /// Index of the next member the sink takes.
    next: usize,
    /// Finished members that are not the next one yet.
    waiting: BTreeMap<usize, Vec<u8>>,
    /// The sink, while no task is feeding it.
    sink: Option<&'s mut S>,
}

/// [`compress_in_order`] on up to `tasks` rayon tasks; the members do not
/// depend on `tasks`.
pub(super) fn compress_with_tasks<S>(data: &[u8], tasks: usize, sink: &mut S) -> usize
where
    S: FnMut(&[u8]) + Send,
{
    if data.len() <= SMALL_INPUT_MAX {
        let member = small(data);
        sink(&member);
        return member.len();
    }
    let mut fed = 0;
    let mut counted = |member: &[u8]| {
        fed += member.len();
        sink(member);
    };
    let chunks = pieces(data);
    let next_chunk = AtomicUsize::new(0);
    let state = Mutex::new(InOrder {
        next: 0,
        waiting: BTreeMap::new(),
        sink: Some(&mut counted),
    });
    // Tasks take pieces from a shared counter, in input order, rather than
    // splitting the list between them: the first members are then done
    // first and the sink can start on them while the rest compress.
    let helpers = tasks.clamp(1, chunks.len()) - 1;
    if helpers == 0 {
        compress_task(&chunks, &next_chunk, &state);
    } else {
        rayon::scope(|scope| {
            for _ in 0..helpers {
                scope.spawn(|_| compress_task(&chunks, &next_chunk, &state));
            }
            compress_task(&chunks, &next_chunk, &state);
        });
    }
    // Every piece was handed out once and delivered; the last task to
    // deliver fed the sink up to the end.
    drop(state);
    fed
}

/// Compresses `chunks[i]` for every `i` handed out by `next_chunk` and
/// hands each member to [`deliver`].
fn compress_task<S: FnMut(&[u8])>(
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
        deliver(state, index, member(&mut compressor, chunk, &mut scratch));
    }
}

/// Files member `index`; if no other task is feeding the sink, feeds it
/// every member that is now next in line, with the lock released while the
/// sink works. A task that finds the sink busy leaves its member waiting:
/// the feeding task checks for more under the lock before giving the sink
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
