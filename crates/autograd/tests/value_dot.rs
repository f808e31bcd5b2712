//! The fused dot product and matrix-vector product against the chains of two-input nodes they stand
//! for, for every way their inputs can lie on the tape: consecutive runs (the fast path), scattered
//! nodes, runs that overlap, and the same run on both sides; with micrograd's unfused chain itself,
//! with the plain kernels and with the fast ones (which record runs compactly and sum four rows side
//! by side), so that all agree to the bit.

use autograd::{Kernels, Tape, Value};

/// Runs `f` with micrograd's unfused nodes, the plain kernels, then the fast ones (left selected).
fn on_every_kernels(f: impl Fn(Kernels)) {
    for kernels in [Kernels::Unfused, Kernels::Plain, Kernels::Fast] {
        kernels.set();
        f(kernels);
    }
    Kernels::Fast.set();
}

/// Values and every gradient of `fused(vs)` and of `chain(vs)`, which must agree to the bit.
fn assert_same_bits(inputs: &[f64], fused: impl Fn(&[Value]) -> Value, chain: impl Fn(&[Value]) -> Value) {
    let run = |f: &dyn Fn(&[Value]) -> Value| {
        let _scope = Tape::scope();
        let vs: Vec<Value> = inputs.iter().map(|&x| Value::new(x)).collect();
        let out = f(&vs);
        out.backward();
        (out.data().to_bits(), vs.iter().map(|v| v.grad().to_bits()).collect::<Vec<_>>())
    };
    let (chain_out, chain_grads) = run(&chain);
    on_every_kernels(|k| {
        let (fused_out, fused_grads) = run(&fused);
        assert_eq!(fused_out, chain_out, "values differ ({k} kernels)");
        assert_eq!(fused_grads, chain_grads, "gradients differ ({k} kernels)");
    });
}

/// `Σ wᵢ·xᵢ` as Python's `sum(w * x for ...)` builds it: 0 + w₀x₀ + w₁x₁ + …, one node at a time.
fn chain_dot(ws: &[Value], xs: &[Value]) -> Value {
    ws.iter().zip(xs).fold(Value::new(0.0), |acc, (&w, &x)| acc + w * x)
}

const INPUTS: [f64; 8] = [0.31, -1.2, 2.05, 0.7, -0.13, 1.1, 0.45, -0.9];

#[test]
fn dot_of_two_runs() {
    // ws = nodes 0..4 and xs = nodes 4..8: each consecutive, no overlap.
    assert_same_bits(
        &INPUTS,
        |v| Value::dot(&v[..4], &v[4..]).tanh(),
        |v| chain_dot(&v[..4], &v[4..]).tanh(),
    );
}

#[test]
fn dot_of_scattered_nodes() {
    let pick = |v: &[Value], ids: &[usize]| ids.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let (w, x) = ([6, 1, 3, 4], [0, 7, 2, 5]);
    assert_same_bits(
        &INPUTS,
        |v| Value::dot(&pick(v, &w), &pick(v, &x)).tanh(),
        |v| chain_dot(&pick(v, &w), &pick(v, &x)).tanh(),
    );
}

#[test]
fn dot_of_overlapping_runs() {
    // ws = nodes 0..5, xs = nodes 2..7: node 3 is w₃ and x₁ at once.
    assert_same_bits(&INPUTS, |v| Value::dot(&v[..5], &v[2..7]), |v| chain_dot(&v[..5], &v[2..7]));
}

#[test]
fn dot_of_a_run_with_itself() {
    assert_same_bits(&INPUTS, |v| Value::dot(v, v).powf(0.5), |v| chain_dot(v, v).powf(0.5));
}

#[test]
fn dot_of_a_run_with_scattered_nodes() {
    let xs = |v: &[Value]| [v[7], v[5], v[6], v[4]];
    assert_same_bits(&INPUTS, |v| Value::dot(&v[..4], &xs(v)), |v| chain_dot(&v[..4], &xs(v)));
}

/// A weight matrix of `rows` rows of `n`, created row by row (so every row is a run), and the loss
/// `Σ tanh(w·x)` with `x` computed from `inputs` by one elementwise op (so it is a run too).
fn matvec_loss(
    inputs: &[f64],
    rows: usize,
    matvec: impl Fn(&[Vec<Value>], &[Value]) -> Vec<Value>,
) -> (u64, Vec<u64>) {
    let _scope = Tape::scope();
    let n = inputs.len();
    let w: Vec<Vec<Value>> =
        (0..rows).map(|r| (0..n).map(|i| Value::new(((r * n + i) as f64 * 0.37).sin())).collect()).collect();
    let leaves: Vec<Value> = inputs.iter().map(|&x| Value::new(x)).collect();
    let x: Vec<Value> = leaves.iter().map(|&l| l * 1.5).collect();
    let loss = Value::sum(&matvec(&w, &x).iter().map(|o| o.tanh()).collect::<Vec<_>>());
    loss.backward();
    let grads = w.iter().flatten().chain(&leaves).map(|v| v.grad().to_bits()).collect();
    (loss.data().to_bits(), grads)
}

#[test]
fn matvec_is_a_dot_per_row() {
    // 4 rows (one block), 6 (a block and two left over), 9; rows of 1, 5 and 16.
    for (rows, n) in [(4, 5), (6, 5), (9, 16), (3, 1), (8, 1)] {
        let inputs: Vec<f64> = (0..n).map(|i| (i as f64 * 0.71).cos()).collect();
        let chain = matvec_loss(&inputs, rows, |w, x| w.iter().map(|row| chain_dot(row, x)).collect());
        on_every_kernels(|k| {
            let by_rows = matvec_loss(&inputs, rows, |w, x| w.iter().map(|row| Value::dot(row, x)).collect());
            let fused = matvec_loss(&inputs, rows, Value::matvec);
            assert_eq!(fused, by_rows, "{rows}×{n}: matvec differs from dot row by row ({k} kernels)");
            assert_eq!(fused, chain, "{rows}×{n}: matvec differs from the chain of nodes ({k} kernels)");
        });
    }
}

#[test]
fn matvec_falls_back_when_rows_or_input_are_not_runs() {
    on_every_kernels(|_| matvec_with_rows_that_are_not_runs());
}

fn matvec_with_rows_that_are_not_runs() {
    let _scope = Tape::scope();
    let a: Vec<Value> = (0..12).map(|i| Value::new(i as f64 * 0.1 - 0.4)).collect();
    // Rows 1 and 2 are not consecutive nodes; x is scattered; one row shares nodes with x.
    let w = vec![
        a[0..3].to_vec(),
        vec![a[5], a[3], a[4]],
        vec![a[6], a[8], a[7]],
        a[9..12].to_vec(),
        a[1..4].to_vec(),
    ];
    for x in [vec![a[2], a[0], a[1]], a[2..5].to_vec(), a[9..12].to_vec()] {
        let fused = Value::matvec(&w, &x);
        let by_rows: Vec<Value> = w.iter().map(|row| Value::dot(row, &x)).collect();
        let out = Value::sum(&fused) + Value::sum(&by_rows) * 0.0;
        out.backward();
        for (f, r) in fused.iter().zip(&by_rows) {
            assert_eq!(f.data().to_bits(), r.data().to_bits());
        }
        let grads_fused: Vec<f64> = a.iter().map(|v| v.grad()).collect();
        Tape::zero_grad();
        let out = Value::sum(&fused) * 0.0 + Value::sum(&by_rows);
        out.backward();
        let grads_rows: Vec<f64> = a.iter().map(|v| v.grad()).collect();
        Tape::zero_grad();
        assert_eq!(grads_fused, grads_rows);
    }
}

#[test]
fn matvec_matches_finite_differences() {
    on_every_kernels(|_| matvec_against_finite_differences());
}

fn matvec_against_finite_differences() {
    let inputs = [0.3, -0.8, 0.5, 1.2];
    let (_, grads) = matvec_loss(&inputs, 6, Value::matvec);
    let loss = |inputs: &[f64]| f64::from_bits(matvec_loss(inputs, 6, Value::matvec).0);
    let leaf_grads = &grads[6 * inputs.len()..];
    for i in 0..inputs.len() {
        let h = 1e-6;
        let (mut up, mut down) = (inputs, inputs);
        up[i] += h;
        down[i] -= h;
        let numeric = (loss(&up) - loss(&down)) / (2.0 * h);
        let analytic = f64::from_bits(leaf_grads[i]);
        assert!(
            (numeric - analytic).abs() < 1e-6,
            "input {i}: finite difference {numeric}, backward {analytic}"
        );
    }
}

#[test]
fn a_dot_lists_its_inputs_as_pairs() {
    // (A fused node's layout: micrograd's unfused chain has no such node.)
    for kernels in Kernels::ALL {
        let _kernels = kernels.scope();
        dot_inputs_are_pairs();
    }
}

fn dot_inputs_are_pairs() {
    let _scope = Tape::scope();
    let v: Vec<Value> = INPUTS.iter().map(|&x| Value::new(x)).collect();
    // Runs, and scattered nodes: the same interleaved w₀, x₀, w₁, x₁, … either way.
    assert_eq!(Value::dot(&v[..2], &v[2..4]).inputs(), [v[0], v[2], v[1], v[3]]);
    assert_eq!(Value::dot(&[v[5], v[1]], &[v[0], v[7]]).inputs(), [v[5], v[0], v[1], v[7]]);
}

#[test]
fn no_grad_dots_record_nothing() {
    on_every_kernels(|_| no_grad_dots());
}

fn no_grad_dots() {
    let _scope = Tape::scope();
    let v: Vec<Value> = INPUTS.iter().map(|&x| Value::new(x)).collect();
    let _no_grad = Tape::no_grad();
    let d = Value::dot(&v[..4], &v[4..]);
    let m = Value::matvec(&[&v[..4], &v[4..]], &v[..4]);
    assert!(d.inputs().is_empty() && m.iter().all(|o| o.inputs().is_empty()));
    assert_eq!(d.data(), INPUTS[..4].iter().zip(&INPUTS[4..]).fold(0.0, |acc, (w, x)| acc + w * x));
}
