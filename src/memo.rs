//! A memo with a byte budget: what was computed for a key, kept once per
//! context it was computed in, all dropped at once when the budget is
//! spent. A fleet repeats the same inputs on many hosts; the encoder
//! (`encode::memo`), the fleet's rendered units (`fleet::render`), Quadlet
//! validation (`fleet::lint`), snippets (`fleet::assemble`) and certificate
//! check (`fleet::certs`) keep their results in one of these.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct BoundedMemo<K, E> {
    /// Key → each entry kept for it (one per context). Keys are whole
    /// texts (units, data URLs) hashed on every lookup: foldhash hashes
    /// them several times faster than the standard SipHash, and its
    /// per-process seed still keeps inputs from choosing collisions.
    entries: HashMap<K, Vec<E>, foldhash::fast::RandomState>,
    bytes: usize,
    budget: usize,
}

impl<K: Hash + Eq, E> BoundedMemo<K, E> {
    /// An empty memo that holds at most `budget` bytes (as its callers
    /// count them).
    pub fn new(budget: usize) -> Self {
        BoundedMemo {
            entries: HashMap::default(),
            bytes: 0,
            budget,
        }
    }

    /// The entry kept for `key` that `same` accepts.
    pub fn find<Q>(&self, key: &Q, same: impl FnMut(&&E) -> bool) -> Option<&E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key)?.iter().find(same)
    }

    /// Keeps `entry` for `key`, counting `size` bytes; when that would
    /// pass the budget, everything kept so far is dropped first.
    pub fn insert(&mut self, key: K, entry: E, size: usize) {
        if self.bytes + size > self.budget {
            self.entries.clear();
            self.bytes = 0;
        }
        self.bytes += size;
        self.entries.entry(key).or_default().push(entry);
    }

    /// How many entries it keeps.
    pub fn len(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_one_entry_per_context_and_starts_over_past_the_budget() {
        let mut memo: BoundedMemo<String, (u8, &str)> = BoundedMemo::new(10);
        memo.insert("a".to_owned(), (1, "one"), 4);
        memo.insert("a".to_owned(), (2, "two"), 4);
        assert_eq!(memo.find("a", |e| e.0 == 2), Some(&(2, "two")));
        assert_eq!(memo.find("a", |e| e.0 == 3), None);
        assert_eq!(memo.len(), 2);
        // 8 + 4 > 10: the memo starts over with the new entry alone.
        memo.insert("b".to_owned(), (1, "b"), 4);
        assert_eq!(memo.find("a", |_| true), None);
        assert_eq!(memo.find("b", |_| true), Some(&(1, "b")));
        assert_eq!(memo.len(), 1);
        assert!(!memo.is_empty());
    }
}
