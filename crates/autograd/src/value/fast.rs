//! The fast version of [`Value::dot`] and [`Value::matvec`] (the plain ones are in `ops.rs`): the same
//! nodes, the same numbers to the bit, less tape and less time.
//!
//! - A dot product of two *runs* (n consecutive nodes each: a weight row created row by row, times a
//!   vector that one elementwise op just built) is recorded as three numbers, [`Inputs::Run`], instead
//!   of 2n pairs, and its forward and backward run over plain slices.
//! - `matvec` sums four rows side by side: each sum must add its terms in order, one after the other,
//!   and four independent sums keep the CPU busy while each waits for its last addition.
//!
//! Each sum still adds its terms left to right from 0, so the results are bit for bit the plain ones
//! (`tests/value_dot.rs` checks both against chains of two-input nodes).

use super::Value;
use super::tape::{self, Inputs, Storage};

/// [`Value::dot`], recording two runs as one [`Inputs::Run`].
pub(super) fn dot(ws: &[Value], xs: &[Value]) -> Value {
    tape::with(|t| dot_on(t, ws, xs))
}

/// [`Value::matvec`], four rows at a time where every row and `x` are runs.
pub(super) fn matvec<Row: AsRef<[Value]>>(w: &[Row], x: &[Value]) -> Vec<Value> {
    tape::with(|t| {
        let mut out = Vec::with_capacity(w.len());
        let x_run = run(x);
        let mut rows = w.chunks_exact(4);
        for four in &mut rows {
            let four: [&[Value]; 4] = std::array::from_fn(|r| four[r].as_ref());
            match x_run.and_then(|x0| Some((four_runs(four, x0, x.len())?, x0))) {
                Some((w0, x0)) => out.extend(four_dots(t, w0, x0, x.len())),
                None => out.extend(four.iter().map(|row| dot_on(t, row, x))),
            }
        }
        out.extend(rows.remainder().iter().map(|row| dot_on(t, row.as_ref(), x)));
        out
    })
}

/// The dot products of the runs of n nodes from each of `w0` with the run of n nodes from `x0`,
/// summed side by side, each in its own order.
fn four_dots(t: &mut Storage, w0: [u32; 4], x0: u32, n: usize) -> [Value; 4] {
    let xd = &t.data[x0 as usize..][..n];
    let wd = w0.map(|w| &t.data[w as usize..][..n]);
    let mut acc = [0.0; 4];
    for k in 0..n {
        for (acc, wd) in acc.iter_mut().zip(&wd) {
            *acc += wd[k] * xd[k];
        }
    }
    std::array::from_fn(|r| Value(t.push_node(acc[r], Inputs::Run { w: w0[r], x: x0, n: n as u32 })))
}

/// [`Value::dot`] on the tape `t`.
fn dot_on(t: &mut Storage, ws: &[Value], xs: &[Value]) -> Value {
    assert_eq!(ws.len(), xs.len(), "Value::dot: {} weights but {} inputs", ws.len(), xs.len());
    let n = ws.len();
    if let Some((w, x)) = run(ws).zip(run(xs))
        && runs_may_pair(w, x, n)
    {
        let (wd, xd) = (&t.data[w as usize..][..n], &t.data[x as usize..][..n]);
        let acc = (0..n).fold(0.0, |acc, k| acc + wd[k] * xd[k]);
        return Value(t.push_node(acc, Inputs::Run { w, x, n: n as u32 }));
    }
    let data = &t.data;
    let acc = (0..n).fold(0.0, |acc, i| acc + data[ws[i].0 as usize] * data[xs[i].0 as usize]);
    Value(t.push_pairs(acc, ws.iter().zip(xs).map(|(w, x)| [w.0, x.0])))
}

/// Two runs of n nodes from `w` and from `x` can be one [`Inputs::Run`] if they are the same run or
/// do not overlap.
fn runs_may_pair(w: u32, x: u32, n: usize) -> bool {
    w == x || w.abs_diff(x) as usize >= n
}

/// The first nodes of four rows that are each a run of n nodes that may pair with the run from `x`.
fn four_runs(rows: [&[Value]; 4], x: u32, n: usize) -> Option<[u32; 4]> {
    let mut firsts = [0; 4];
    for (first, row) in firsts.iter_mut().zip(rows) {
        *first = run(row).filter(|&w| row.len() == n && runs_may_pair(w, x, n))?;
    }
    Some(firsts)
}

/// The first node of `vs` if they are consecutive nodes on the tape.
fn run(vs: &[Value]) -> Option<u32> {
    let first = vs.first()?.0;
    // Branch-free, so that it compiles to a few vector instructions.
    let (mut mismatch, mut id) = (0, first);
    for v in vs {
        mismatch |= v.0 ^ id;
        id = id.wrapping_add(1);
    }
    (mismatch == 0).then_some(first)
}

/// Backward of an [`Inputs::Run`] node whose gradient is `g`: ∂/∂w = x and ∂/∂x = w, as for pairs.
/// The two runs are the same or do not overlap, so adding to the `w`s' gradients and then to the
/// `x`s' adds to each gradient in the order the pairs would.
pub(super) fn run_backward(
    data: &[f64],
    grad: &mut [f64],
    reached: &mut [bool],
    (w, x, n): (u32, u32, u32),
    g: f64,
) {
    let (w, x) = (w as usize..(w + n) as usize, x as usize..(x + n) as usize);
    for (dw, &x) in grad[w.clone()].iter_mut().zip(&data[x.clone()]) {
        *dw += x * g;
    }
    for (dx, &w) in grad[x.clone()].iter_mut().zip(&data[w.clone()]) {
        *dx += w * g;
    }
    reached[w].fill(true);
    reached[x].fill(true);
}
