//! Splitting big elementwise loops over both cores. Each element is computed the same way whichever
//! thread runs it, so results never depend on the number of threads.

use rayon::prelude::*;

// ANCHOR: split
/// Below this many elements a loop runs on the calling thread: waking the pool costs more.
const PAR_MIN: usize = 1 << 16;
/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// Runs `f(out_chunk, x_chunk)` over matching chunks of `out` and `x`, in parallel when they are big.
pub(crate) fn zip_chunks(out: &mut [f32], x: &[f32], f: impl Fn(&mut [f32], &[f32]) + Sync + Send) {
    debug_assert_eq!(out.len(), x.len());
    if out.len() < PAR_MIN {
        f(out, x);
    } else {
        out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK)).for_each(|(o, x)| f(o, x));
    }
}
// ANCHOR_END: split

/// Runs `f(out_chunk, x_chunk, y_chunk)` over matching chunks of three equal-length slices.
pub(crate) fn zip3_chunks(
    out: &mut [f32],
    x: &[f32],
    y: &[f32],
    f: impl Fn(&mut [f32], &[f32], &[f32]) + Sync + Send,
) {
    debug_assert!(out.len() == x.len() && x.len() == y.len());
    if out.len() < PAR_MIN {
        f(out, x, y);
    } else {
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .zip(y.par_chunks(CHUNK))
            .for_each(|((o, x), y)| f(o, x, y));
    }
}

/// Runs `f(first_row_index, rows)` over blocks of whole rows of length `row` (for ops that work row by
/// row: softmax, the norms), in parallel when there are many elements.
pub(crate) fn rows_mut(out: &mut [f32], row: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    let row = row.max(1);
    if out.len() < PAR_MIN {
        f(0, out);
    } else {
        let rows_per_task = (CHUNK / row).max(1);
        out.par_chunks_mut(rows_per_task * row)
            .enumerate()
            .for_each(|(i, block)| f(i * rows_per_task, block));
    }
}

/// Like [`rows_mut`] for two outputs written row by row together: `a` has `a_row` numbers per row,
/// `b` has `b_row` (a normalised row and its saved statistics).
pub(crate) fn rows2_mut(
    a: &mut [f32],
    a_row: usize,
    b: &mut [f32],
    b_row: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync + Send,
) {
    let (a_row, b_row) = (a_row.max(1), b_row.max(1));
    if a.len() < PAR_MIN {
        f(0, a, b);
    } else {
        let rows_per_task = (CHUNK / a_row).max(1);
        a.par_chunks_mut(rows_per_task * a_row)
            .zip(b.par_chunks_mut(rows_per_task * b_row))
            .enumerate()
            .for_each(|(i, (a, b))| f(i * rows_per_task, a, b));
    }
}

/// How many threads the ops above may split their work over (rayon's pool: the cores, unless
/// `RAYON_NUM_THREADS` says otherwise).
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `f` on one of rayon's worker threads and waits for it: how a program should run its tensor code.
///
/// Every big op above splits its work in two with rayon. Called from a thread outside rayon's pool,
/// each split hands both halves to the pool and puts the caller to sleep until they are done, hundreds
/// of times a step. From a worker, the op runs one half itself and the other worker steals the other.
/// The tensor tape is per thread, so everything that makes and uses tensors belongs inside `f`.
pub fn on_worker<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with a scratch buffer of `n` floats owned by the current thread and kept between calls,
/// so that kernels needing a temporary row allocate nothing after the first step.
pub(crate) fn with_scratch<R>(n: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with_borrow_mut(|s| {
        if s.len() < n {
            s.resize(n, 0.0);
        }
        f(&mut s[..n])
    })
}
