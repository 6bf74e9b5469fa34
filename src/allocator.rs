//! The binary's memory allocator, and the program's only unsafe code (the library
//! forbids it): Doug Lea's malloc ([`dlmalloc`]) behind a lock, which hands the
//! pages inside every large block it frees back to the kernel at once
//! (`madvise(MADV_DONTNEED)`). Part of the binary only: `src/main.rs` declares it.
//!
//! Why: dlmalloc, like most allocators, keeps freed memory for reuse and gives back
//! only the top of its heap, past 2 MiB. A pass frees large blocks (a response being
//! read, a table replaced, the old buffer of a vector that grew) between blocks that
//! stay, so the heap stayed resident at its peak. Measured with `bench/run.py` (README
//! "Footprint"): at 4 × 5,000 torrents 12.8 MiB of anonymous memory before, 9.6 after.
//!
//! What goes back: of a block of at least [`PURGE_MIN`] bytes, the whole pages more
//! than [`MARGIN`] bytes from either end. dlmalloc keeps a free block's bookkeeping in
//! its header (just before the block), its first 48 bytes and its last 8 (the next
//! block's header); it never reads the rest of a free block, and those pages read as
//! zeros once written again. They go back while the block is still allocated, never
//! after it is freed: once freed, dlmalloc may unmap the range itself, and another
//! thread could map something there.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use dlmalloc::Dlmalloc;

/// Blocks at least this large give their inner pages back when freed. Smaller ones
/// hold at most a few pages, which the next allocations reuse.
const PURGE_MIN: usize = 32 * 1024;

/// Bytes at each end of a freed block that are left alone (dlmalloc's bookkeeping).
const MARGIN: usize = 128;

/// dlmalloc behind a lock; see the module documentation.
pub(crate) struct Purging(Mutex<Dlmalloc>);

impl Purging {
    pub(crate) const fn new() -> Self {
        Self(Mutex::new(Dlmalloc::new()))
    }

    /// dlmalloc's state. Only a panic while the lock is held could poison it, and nothing
    /// that runs under it panics; the heap is taken as it is either way.
    fn heap(&self) -> MutexGuard<'_, Dlmalloc> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The kernel's page size (read once; 4 KiB if it cannot be read).
fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    match PAGE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: sysconf only reads a system setting.
            let read = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let page = usize::try_from(read)
                .ok()
                .filter(|p| p.is_power_of_two())
                .unwrap_or(4096);
            PAGE.store(page, Ordering::Relaxed);
            page
        }
        page => page,
    }
}

/// The whole pages of `[start, start + len)` that lie more than [`MARGIN`] bytes from
/// either end, as (first address, length); `None` when there are none or the block is
/// below [`PURGE_MIN`].
fn inner_pages(start: usize, len: usize) -> Option<(usize, usize)> {
    if len < PURGE_MIN {
        return None;
    }
    let page = page_size();
    let first = start.checked_add(MARGIN)?.checked_next_multiple_of(page)?;
    let end = start.checked_add(len)?.checked_sub(MARGIN)? & !(page - 1);
    (end > first).then(|| (first, end - first))
}

/// Hands the inner pages of `[start, start + len)` back to the kernel.
///
/// # Safety
/// The range must be a block (or the tail of one) that the caller still owns and will
/// not read again before writing it: allocated from this allocator and not yet freed.
unsafe fn purge(start: *mut u8, len: usize) {
    if let Some((first, bytes)) = inner_pages(start as usize, len) {
        // SAFETY: the pages lie inside a block the caller owns (see above), so nothing
        // else uses them; MADV_DONTNEED on private anonymous memory only drops their
        // contents, which then read as zeros. A failure leaves them resident: harmless.
        unsafe {
            libc::madvise(
                start.wrapping_add(first - start as usize).cast(),
                bytes,
                libc::MADV_DONTNEED,
            );
        }
    }
}

// SAFETY: every method hands the request to dlmalloc under the lock, which makes
// dlmalloc's single-threaded heap safe to share; `purge` only touches blocks still
// allocated to the caller (see its contract).
unsafe impl GlobalAlloc for Purging {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap();
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { heap.malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap();
        // SAFETY: as in `alloc`; dlmalloc clears the block itself.
        unsafe { heap.calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout` (GlobalAlloc's contract) that the
        // caller gives up; it is purged while still allocated (outside the lock: nobody
        // else can reach it), then dlmalloc takes it back.
        unsafe {
            purge(ptr, layout.size());
            self.heap().free(ptr, layout.size(), layout.align());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_size = layout.size();
        if new_size > old_size && old_size >= PURGE_MIN {
            // A large block that grows: moved as GlobalAlloc's default realloc does (a new
            // block, the bytes copied, the old one freed through `dealloc`), so that the
            // old block is purged while still allocated; dlmalloc's realloc would free it
            // inside. The copy runs outside the lock.
            // SAFETY: GlobalAlloc's contract makes `new_size` with the old alignment a
            // valid layout and `ptr` a live block of `old_size` bytes; the new block is
            // larger and distinct from it.
            return unsafe {
                let grown = Layout::from_size_align_unchecked(new_size, layout.align());
                let moved = self.alloc(grown);
                if !moved.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, moved, old_size);
                    self.dealloc(ptr, layout);
                }
                moved
            };
        }
        // SAFETY: the tail past `new_size` is given up by this call (the caller keeps only
        // `new_size` bytes, which dlmalloc keeps or copies); the rest is dlmalloc's own
        // realloc.
        unsafe {
            purge(ptr.wrapping_add(new_size), old_size.saturating_sub(new_size));
            self.heap().realloc(ptr, old_size, layout.align(), new_size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which pages of `[start, start + len)` are resident (mincore(2)).
    fn resident(start: *const u8, len: usize) -> Vec<bool> {
        let page = page_size();
        let first = (start as usize) & !(page - 1);
        let bytes = start as usize + len - first;
        let mut flags = vec![0u8; bytes.div_ceil(page)];
        // SAFETY: the range lies in this process's heap, which stays mapped while the
        // test holds a block after it; `flags` has one byte per page.
        let rc = unsafe { libc::mincore(first as *mut libc::c_void, bytes, flags.as_mut_ptr()) };
        assert_eq!(rc, 0, "mincore failed");
        flags.iter().map(|f| f & 1 == 1).collect()
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 16).expect("valid layout")
    }

    #[test]
    fn a_freed_large_block_leaves_memory_and_a_small_one_stays() {
        let heap = Purging::new();
        let big = 256 * 1024;
        let small = PURGE_MIN - 4096;
        // SAFETY: each block is written within its size and freed once with its layout;
        // the blocks after them keep them from being the top of the heap.
        unsafe {
            let a = heap.alloc(layout(big));
            let b = heap.alloc(layout(small));
            let keep = heap.alloc(layout(64));
            std::ptr::write_bytes(a, 0xAB, big);
            std::ptr::write_bytes(b, 0xCD, small);
            assert!(resident(a, big).iter().all(|r| *r));

            heap.dealloc(a, layout(big));
            let (first, bytes) = inner_pages(a as usize, big).expect("inner pages");
            assert!(bytes >= big - 3 * page_size());
            assert!(resident(first as *const u8, bytes).iter().all(|r| !r));

            heap.dealloc(b, layout(small));
            assert!(resident(b, small).iter().all(|r| *r));
            heap.dealloc(keep, layout(64));
        }
    }

    #[test]
    fn contents_survive_growing_and_shrinking_across_the_threshold() {
        let heap = Purging::new();
        let sizes = [
            100,
            PURGE_MIN - 1,
            PURGE_MIN,
            3 * PURGE_MIN + 5,
            1 << 20,
            70_000,
            10,
        ];
        // SAFETY: every access stays within the block's current size; each block is
        // reallocated with its current layout and freed once.
        unsafe {
            let mut size = 16;
            let mut p = heap.alloc(layout(size));
            let pattern = |i: usize| (i % 251) as u8;
            for i in 0..size {
                *p.add(i) = pattern(i);
            }
            for &next in &sizes {
                let keep = heap.alloc(layout(32));
                p = heap.realloc(p, layout(size), next);
                assert!(!p.is_null());
                for i in 0..size.min(next) {
                    assert_eq!(*p.add(i), pattern(i), "byte {i} after {size} -> {next}");
                }
                for i in size.min(next)..next {
                    *p.add(i) = pattern(i);
                }
                heap.dealloc(keep, layout(32));
                size = next;
            }
            heap.dealloc(p, layout(size));
        }
    }

    #[test]
    fn memory_given_back_is_zeroed_when_allocated_again() {
        let heap = Purging::new();
        let big = 512 * 1024;
        // SAFETY: as above.
        unsafe {
            let keep_before = heap.alloc(layout(64));
            let a = heap.alloc(layout(big));
            let keep_after = heap.alloc(layout(64));
            std::ptr::write_bytes(a, 0xFF, big);
            heap.dealloc(a, layout(big));
            let z = heap.alloc_zeroed(layout(big));
            assert!(!z.is_null());
            assert!(std::slice::from_raw_parts(z, big).iter().all(|b| *b == 0));
            heap.dealloc(z, layout(big));
            heap.dealloc(keep_after, layout(64));
            heap.dealloc(keep_before, layout(64));
        }
    }

    #[test]
    fn only_whole_pages_away_from_the_ends_are_given_back() {
        let page = page_size();
        assert_eq!(inner_pages(0x10_000, PURGE_MIN - 1), None);
        let (first, bytes) = inner_pages(0x10_010, 10 * page).expect("pages");
        assert_eq!(first, 0x10_000 + page);
        // The block ends 16 bytes into its 11th page: that page and the margin stay.
        assert_eq!(first + bytes, 0x10_000 + 9 * page);
        assert!(first >= 0x10_010 + MARGIN);
        assert!(first + bytes <= 0x10_010 + 10 * page - MARGIN);
        assert_eq!(inner_pages(usize::MAX - 100, PURGE_MIN), None);
    }
}
