//! The tensor engine computes what the scalar engine computes: the same small networks built once
//! from `Value`s (f64, one node per number, micrograd) and once from `Tensor`s (f32, one node per
//! array), compared value for value and gradient for gradient.

mod tensor_support;

use autograd::{Kernels, Tape, Tensor, TensorTape, Value};
use tensor_support::Numbers;

/// A parameter in both engines, from the same f32 numbers.
struct Both {
    values: Vec<Value>,
    tensor: Tensor,
}

fn both(numbers: &[f32], shape: &[usize]) -> Both {
    Both {
        values: numbers.iter().map(|&x| Value::new(x as f64)).collect(),
        tensor: Tensor::param(numbers, shape),
    }
}

/// (rows × k) · (k × cols) with Values, row-major.
fn matmul(a: &[Value], b: &[Value], rows: usize, k: usize, cols: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            let col: Vec<Value> = (0..k).map(|p| b[p * cols + j]).collect();
            out.push(Value::dot(&a[i * k..(i + 1) * k], &col));
        }
    }
    out
}

/// Mean cross-entropy of logit rows with Values: ln Σ e^(l - max) - (l_y - max).
fn cross_entropy(logits: &[Value], v: usize, targets: &[usize]) -> Value {
    let losses: Vec<Value> = targets
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let row = &logits[i * v..(i + 1) * v];
            let max = row.iter().map(|l| l.data()).fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<Value> = row.iter().map(|&l| (l - max).exp()).collect();
            Value::sum(&exps).ln() - (row[y] - max)
        })
        .collect();
    Value::sum(&losses) / targets.len() as f64
}

/// Asserts that a scalar result and a tensor result agree to f32 precision.
fn assert_close(what: &str, scalar: &[f64], tensor: &[f32]) {
    assert_eq!(scalar.len(), tensor.len(), "{what}: lengths");
    let scale = scalar.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-3);
    for (i, (&s, &t)) in scalar.iter().zip(tensor).enumerate() {
        let err = (s - t as f64).abs();
        assert!(
            err <= 2e-5 * scale + 1e-5 * s.abs(),
            "{what}[{i}]: scalar {s} vs tensor {t} (error {err:.2e})"
        );
    }
}

fn grads(values: &[Value]) -> Vec<f64> {
    values.iter().map(|v| v.grad()).collect()
}

// ANCHOR: mlp_both
#[test]
fn a_two_layer_mlp_with_cross_entropy() {
    let (n, d, h, v) = (5, 4, 6, 3);
    let mut r = Numbers::new(1);
    let x = r.vec(n * d, 1.0);
    let targets = [0, 2, 1, 1, 0];
    let w1 = both(&r.vec(d * h, 0.7), &[d, h]);
    let b1 = both(&r.vec(h, 0.3), &[h]);
    let w2 = both(&r.vec(h * v, 0.7), &[h, v]);
    let b2 = both(&r.vec(v, 0.3), &[v]);

    // Scalars: one Value per number, loops for the matrix products.
    let _scalars = Tape::scope();
    let xs: Vec<Value> = x.iter().map(|&x| Value::new(x as f64)).collect();
    let pre = matmul(&xs, &w1.values, n, d, h);
    let hidden: Vec<Value> = pre.iter().enumerate().map(|(i, &p)| (p + b1.values[i % h]).tanh()).collect();
    let out = matmul(&hidden, &w2.values, n, h, v);
    let logits: Vec<Value> = out.iter().enumerate().map(|(i, &o)| o + b2.values[i % v]).collect();
    let loss = cross_entropy(&logits, v, &targets);
    loss.backward();

    // Tensors: the same network, one op per layer.
    let _tensors = TensorTape::scope();
    let xt = Tensor::new(&x, &[n, d]);
    let hidden_t = (xt.matmul(w1.tensor) + b1.tensor).tanh(); // (N, H)
    let logits_t = hidden_t.matmul(w2.tensor) + b2.tensor; // (N, V)
    let loss_t = logits_t.cross_entropy(&targets);
    loss_t.backward();

    assert_close("loss", &[loss.data()], &[loss_t.item()]);
    assert_close("hidden", &hidden.iter().map(|h| h.data()).collect::<Vec<_>>(), &hidden_t.data());
    for (name, p) in [("w1", &w1), ("b1", &b1), ("w2", &w2), ("b2", &b2)] {
        assert_close(name, &grads(&p.values), &p.tensor.grad());
    }
}
// ANCHOR_END: mlp_both

#[test]
fn a_causal_attention_head() {
    // One head over two sequences: a q | k | v projection, causal softmax of q·k/√D, weighted values,
    // an output projection to logits and cross-entropy on the next token.
    let (b, t, c, d, v) = (2, 4, 5, 3, 4);
    let mut r = Numbers::new(2);
    let x = r.vec(b * t * c, 1.0);
    let targets = [1, 3, 0, 2, 2, 1, 3, 0];
    let w_qkv = both(&r.vec(c * 3 * d, 0.8), &[c, 3 * d]);
    let wo = both(&r.vec(d * v, 0.8), &[d, v]);
    let scale = 1.0 / (d as f64).sqrt();

    let _scalars = Tape::scope();
    let xs: Vec<Value> = x.iter().map(|&x| Value::new(x as f64)).collect();
    let qkv = matmul(&xs, &w_qkv.values, b * t, c, 3 * d); // rows of q | k | v
    let part = |row: usize, p: usize| &qkv[row * 3 * d + p * d..][..d]; // p: 0 q, 1 k, 2 v
    let mut ys = Vec::new();
    for seq in 0..b {
        for i in 0..t {
            // Position i sees positions 0..=i only.
            let scores: Vec<Value> =
                (0..=i).map(|j| Value::dot(part(seq * t + i, 0), part(seq * t + j, 1)) * scale).collect();
            let max = scores.iter().map(|s| s.data()).fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<Value> = scores.iter().map(|&s| (s - max).exp()).collect();
            let total = Value::sum(&exps);
            for e in 0..d {
                let weighted: Vec<Value> =
                    (0..=i).map(|j| exps[j] / total * part(seq * t + j, 2)[e]).collect();
                ys.push(Value::sum(&weighted));
            }
        }
    }
    let logits = matmul(&ys, &wo.values, b * t, d, v);
    let loss = cross_entropy(&logits, v, &targets);
    loss.backward();

    // The written-out ops, and the fused op with each of its kernels.
    for (fused, kernels) in [(false, Kernels::Fast), (true, Kernels::Plain), (true, Kernels::Fast)] {
        kernels.set();
        let _tensors = TensorTape::scope();
        let qkv_t = Tensor::new(&x, &[b, t, c]).matmul(w_qkv.tensor); // (B, T, 3D)
        let y = if fused {
            qkv_t.causal_self_attention(1)
        } else {
            let (qt, kt, vt) = (qkv_t.narrow(2, 0, d), qkv_t.narrow(2, d, d), qkv_t.narrow(2, 2 * d, d));
            (qt.matmul_t(kt) * scale as f32).causal_mask().softmax().matmul(vt) // (B, T, T) @ (B, T, D)
        };
        let loss_t = y.matmul(wo.tensor).cross_entropy(&targets);
        loss_t.backward();
        let what = if fused { format!("fused ({kernels})") } else { "primitive".to_owned() };
        assert_close(&format!("{what} y"), &ys.iter().map(|y| y.data()).collect::<Vec<_>>(), &y.data());
        assert_close(&format!("{what} loss"), &[loss.data()], &[loss_t.item()]);
        for (name, p) in [("w_qkv", &w_qkv), ("wo", &wo)] {
            assert_close(&format!("{what} {name}"), &grads(&p.values), &p.tensor.grad());
        }
        TensorTape::zero_grad();
    }
    Kernels::Fast.set();
}

#[test]
fn layer_norm_and_rms_norm() {
    let (n, c) = (3, 5);
    let mut r = Numbers::new(3);
    let x = both(&r.vec(n * c, 2.0), &[n, c]);
    let gain = both(&r.vec(c, 1.0), &[c]);
    let w = r.vec(n * c, 1.0);
    for center in [true, false] {
        let _scalars = Tape::scope();
        let mut out = Vec::new();
        for i in 0..n {
            let row = &x.values[i * c..(i + 1) * c];
            let mean = if center { Value::sum(row) / c as f64 } else { Value::new(0.0) };
            let centred: Vec<Value> = row.iter().map(|&v| v - mean).collect();
            let var = Value::dot(&centred, &centred) / c as f64;
            let rstd = (var + 1e-5).powf(-0.5);
            out.extend(centred.iter().enumerate().map(|(j, &v)| v * rstd * gain.values[j]));
        }
        let weighted: Vec<Value> = out.iter().zip(&w).map(|(&o, &w)| o * w as f64).collect();
        Value::sum(&weighted).backward();

        let _tensors = TensorTape::scope();
        let y = if center {
            x.tensor.layer_norm(Some(gain.tensor), None, 1e-5)
        } else {
            x.tensor.rms_norm(Some(gain.tensor), 1e-5)
        };
        (y * Tensor::new(&w, &[n, c])).sum().backward();
        let what = if center { "layer_norm" } else { "rms_norm" };
        assert_close(&format!("{what} y"), &out.iter().map(|o| o.data()).collect::<Vec<_>>(), &y.data());
        assert_close(&format!("{what} dx"), &grads(&x.values), &x.tensor.grad());
        assert_close(&format!("{what} dgain"), &grads(&gain.values), &gain.tensor.grad());
        Tape::zero_grad();
        TensorTape::zero_grad();
    }
}
