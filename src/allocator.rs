//! The binary's global allocator: glibc's malloc until [`use_mimalloc`] is
//! called, mimalloc for every allocation after it.
//!
//! Why two: fleet commands make millions of small allocations on every core
//! (YAML nodes, template values, JSON), where mimalloc costs about a third
//! less CPU than glibc's malloc (`cargo bench --bench fleet`). A
//! `kindling butane` run on a typical file lasts about a millisecond, and
//! mimalloc's start-up (reserving and faulting in its first segment) would
//! add 0.2-0.4 ms to it (`cargo bench --bench butane`), against ~0.1 ms
//! for its process set-up alone, which runs in every process (a C
//! constructor). So `main` switches to mimalloc only for the commands that
//! do enough work to repay it.
//!
//! Memory allocated before the switch stays glibc's: a block is handed back
//! to mimalloc only when mimalloc says the address is one of its pages
//! (`mi_is_in_heap_region`), and to glibc otherwise. That answer is
//! authoritative in mimalloc 3 (the crate's default): its page map covers
//! the whole address space and every block it hands out, from arenas or
//! straight from the OS, because its own `free` finds blocks through it.
//! (mimalloc 2's map stops at 48 TiB and misses OS-direct segments, so
//! this module must not be built on it.) Before the switch no mimalloc
//! block exists, so mimalloc is not asked at all.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// Set once, never cleared. Threads started after the switch see it through
/// the spawn's happens-before; `main` switches before starting any.
static SWITCHED: AtomicBool = AtomicBool::new(false);

/// `mi_option_purge_delay` and `mi_option_allow_thp` in mimalloc 3's
/// `mi_option_t` (`mimalloc.h`); libmimalloc-sys names only the older
/// options. The test below checks both against their documented defaults.
const OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Sends every later allocation to mimalloc. Call before starting threads.
///
/// mimalloc is set up first for a process that runs about a second and
/// then exits: freed memory is kept rather than given back to the OS after
/// a second (`purge_delay`), and its memory is not marked for transparent
/// huge pages (`allow_thp`). With both defaults a 1,000-host build spent a
/// fifth of its CPU time in the kernel zeroing 2 MiB huge pages as mimalloc
/// touched memory (perf: `clear_page_erms` under
/// `do_huge_pmd_anonymous_page`); with these settings it takes ~10% less
/// CPU (`cargo bench --bench fleet`).
pub fn use_mimalloc() {
    // SAFETY: setting options is allowed at any time; these two are read
    // when mimalloc next maps or purges memory, and no mimalloc block
    // exists yet.
    unsafe {
        libmimalloc_sys::mi_option_set(OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(OPTION_ALLOW_THP, 0);
    }
    SWITCHED.store(true, Ordering::Release);
}

pub struct Switching;

fn switched() -> bool {
    SWITCHED.load(Ordering::Acquire)
}

/// Whether `ptr` was handed out by mimalloc.
fn from_mimalloc(ptr: *mut u8) -> bool {
    // SAFETY: `mi_is_in_heap_region` only looks the address up in
    // mimalloc's page map; it accepts any pointer.
    switched() && unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
}

// SAFETY: each block is allocated and freed by the same allocator: blocks
// from before the switch are glibc's and are not in mimalloc's regions;
// blocks after it are mimalloc's and are recognised by their address.
// `realloc` keeps a block with the allocator that made it.
unsafe impl GlobalAlloc for Switching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe {
            if switched() {
                MiMalloc.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if switched() {
                MiMalloc.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` goes back to the allocator that made it.
        unsafe {
            if from_mimalloc(ptr) {
                MiMalloc.dealloc(ptr, layout);
            } else {
                System.dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; the new block is made by the same
        // allocator as the old one.
        unsafe {
            if from_mimalloc(ptr) {
                MiMalloc.realloc(ptr, layout, new_size)
            } else {
                System.realloc(ptr, layout, new_size)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test for the whole switch (it cannot be undone, so it is not
    /// split): glibc blocks made before it, small and mmap-sized, are
    /// freed and grown by glibc after it; new blocks are mimalloc's.
    #[test]
    fn blocks_go_back_to_the_allocator_that_made_them() {
        let small_before = vec![1u8; 24];
        let mut grown_before = vec![2u8; 100];
        let large_before = vec![3u8; 4 << 20];
        assert!(!from_mimalloc(small_before.as_ptr().cast_mut()));
        // SAFETY: reading an option has no preconditions.
        let option = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        assert_eq!(
            (option(OPTION_PURGE_DELAY), option(OPTION_ALLOW_THP)),
            (1000, 1),
            "the option numbers no longer name purge_delay and allow_thp"
        );
        use_mimalloc();
        assert_eq!(
            (option(OPTION_PURGE_DELAY), option(OPTION_ALLOW_THP)),
            (-1, 0)
        );
        assert!(!from_mimalloc(large_before.as_ptr().cast_mut()));
        let small_after = vec![4u8; 24];
        let zeroed_after = vec![0u64; 1 << 18];
        let huge_after = vec![5u8; 64 << 20];
        for block in [small_after.as_ptr(), huge_after.as_ptr()] {
            assert!(from_mimalloc(block.cast_mut()));
        }
        assert!(from_mimalloc(zeroed_after.as_ptr().cast::<u8>().cast_mut()));
        assert!(zeroed_after.iter().all(|&word| word == 0));
        grown_before.resize(1 << 20, 6);
        assert!(!from_mimalloc(grown_before.as_mut_ptr()));
        assert_eq!(grown_before.get(99), Some(&2));
        assert_eq!(grown_before.get(100), Some(&6));
        drop((small_before, grown_before, large_before));
        drop((small_after, zeroed_after, huge_after));
        let again: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
        assert_eq!(again.get(9_999).map(String::as_str), Some("9999"));
    }
}
