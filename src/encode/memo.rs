//! The small-file memo: a thread that calls [`memoize_on_this_thread`] (the
//! fleet compiler's workers do) keeps the encodings of small inputs it has
//! made, keyed by the input, because a fleet places the same unit, drop-in,
//! trust anchor and snippet files on many hosts and compressing a small
//! file costs far more than hashing it (`cargo bench --bench encode`,
//! benches/README.md). Results are identical with or without the memo. It
//! holds at most [`MEMO_BUDGET`] bytes and starts over when full. Other
//! threads (`kindling butane`) never look at it.

use std::cell::RefCell;

use super::EncodedResource;
use super::gzip::SMALL_INPUT_MAX;
use crate::memo::BoundedMemo;

/// Most bytes (inputs plus their encodings) a thread's memo holds.
pub const MEMO_BUDGET: usize = 16 * 1024 * 1024;

/// Encodings made on this thread, when it asked for them to be kept:
/// input → each way it was encoded.
pub(super) type Memo = BoundedMemo<Vec<u8>, MemoEntry>;

/// One encoding of an input, with the arguments it was made with.
pub(super) struct MemoEntry {
    user_compression: Option<String>,
    allow_gzip: bool,
    encoded: EncodedResource,
}

thread_local! {
    pub(super) static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Keeps the encodings of small inputs made on the calling thread, so an
/// input seen again is not compressed again.
pub fn memoize_on_this_thread() {
    MEMO.with(|memo| {
        if let Ok(mut memo) = memo.try_borrow_mut() {
            memo.get_or_insert_with(|| Memo::new(MEMO_BUDGET));
        }
    });
}

/// `encode()`'s result for these arguments, from this thread's memo if it
/// keeps one and has it.
pub(super) fn memoized(
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
        Some(memo.find(contents, same).map(|entry| entry.encoded.clone()))
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
                let entry = MemoEntry {
                    user_compression: user_compression.map(str::to_owned),
                    allow_gzip,
                    encoded: encoded.clone(),
                };
                let size = contents.len() + encoded.source.len();
                memo.insert(contents.to_vec(), entry, size);
            });
            encoded
        }
    }
}
