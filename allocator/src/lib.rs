//! The global allocator of the `graft` binary and of the engine's benchmarks: mimalloc.
//!
//! The `mimalloc` crate's allocator calls mimalloc's aligned entry points for every
//! allocation, which cost about 40 instructions more a call than the plain ones (`mi_malloc`
//! and so on); the engine allocates often (the curriculum benchmark's loop: about 126,000
//! allocations an iteration, 1.4 M instructions of 90 M saved). [`MiMalloc`] takes the plain
//! ones whenever they give the alignment asked for (as Rust's own `System` allocator does
//! with the C library's `malloc`), and the aligned ones otherwise.

use libmimalloc_sys as ffi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment every block of mimalloc's plain entry points has when it is at least that
/// large (mimalloc's `MI_MAX_ALIGN_SIZE`, the alignment of `max_align_t`); a smaller block
/// is aligned to its size rounded down to a power of two, as Rust layouts ask (their size
/// is a multiple of their alignment).
const MIN_ALIGN: usize = 16;

/// Whether the plain entry points give blocks of `size` bytes the alignment `align`.
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

/// mimalloc as a global allocator (`#[global_allocator] static A: MiMalloc = MiMalloc;`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MiMalloc;

// SAFETY: every block comes from mimalloc with at least the layout's size and alignment
// (`plain` holds, or the aligned entry point is called) and goes back to mimalloc's `mi_free`
// or `mi_realloc*`, which take blocks from any of its entry points.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions take any size and a power-of-two alignment.
        unsafe {
            if plain(layout.align(), layout.size()) {
                ffi::mi_malloc(layout.size()).cast()
            } else {
                ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if plain(layout.align(), layout.size()) {
                ffi::mi_zalloc(layout.size()).cast()
            } else {
                ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { ffi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from mimalloc; the new block keeps the layout's alignment (the
        // plain entry point only when it gives that alignment at the new size).
        unsafe {
            if plain(layout.align(), new_size) {
                ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment up to 256 bytes gets a block of that alignment, kept through
    /// a reallocation and zeroed when asked.
    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let a = MiMalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 128, 256] {
            for size in (align..=256).step_by(align) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: the layout's size is not zero; each block is freed once, by this
                // allocator, with its layout.
                unsafe {
                    let p = a.alloc_zeroed(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                    p.write_bytes(7, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert_eq!(
                        q as usize % align,
                        0,
                        "realloc of size {size} align {align}"
                    );
                    assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 7));
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let r = a.alloc(layout);
                    assert_eq!(r as usize % align, 0);
                    a.dealloc(r, layout);
                }
            }
        }
    }
}
