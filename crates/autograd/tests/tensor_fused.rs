//! Fused ops compute the same numbers as the primitive ops they replace.

mod tensor_support;

use autograd::{Tensor, TensorTape};
use tensor_support::{Numbers, on_both_kernels};

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn linear_equals_matmul_plus_bias() {
    let mut r = Numbers::new(2);
    let (x, w, b) = (r.vec(4 * 3 * 8, 1.0), r.vec(8 * 6, 1.0), r.vec(6, 1.0));
    let run = |fused: bool| {
        let (px, pw, pb) =
            (Tensor::param(&x, &[4, 3, 8]), Tensor::param(&w, &[8, 6]), Tensor::param(&b, &[6]));
        let _step = TensorTape::scope();
        let y = if fused { px.linear(pw, Some(pb)) } else { px.matmul(pw) + pb };
        y.tanh().sum().backward();
        (y.data(), px.grad(), pw.grad(), pb.grad())
    };
    let (fused, plain) = (run(true), run(false));
    close(&fused.0, &plain.0, 1e-6, "y");
    close(&fused.1, &plain.1, 1e-6, "dx");
    close(&fused.2, &plain.2, 1e-6, "dw");
    close(&fused.3, &plain.3, 1e-6, "db");
}

#[test]
fn linear_t_takes_pytorch_layout() {
    // nn.Linear stores (out, in): x @ Wᵀ.
    let x = Tensor::new(&[1.0, 2.0], &[1, 2]);
    let w = Tensor::new(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    let b = Tensor::new(&[0.5, 0.5, 0.5], &[3]);
    assert_eq!(x.linear_t(w, Some(b)).data(), vec![1.5, 2.5, 3.5]);
}

/// Self-attention of `x`, a (B, T, 3C) projection with `h` heads of `d` columns, scored as
/// sum(y · w) (+ sum(x · also), an op created after y, so that its gradient reaches x first): fused
/// (with the kernels selected), or by splitting x into (B, H, T, D) copies, attending per head with
/// the primitive ops (scores, mask, softmax, weighted sum) and merging the heads back.
/// Returns y and the gradient of x.
fn self_attention_run(
    x: &[f32],
    (b, t, h, d): (usize, usize, usize, usize),
    w: Tensor,
    also: Option<Tensor>,
    fused: bool,
) -> (Vec<f32>, Vec<f32>) {
    let c = h * d;
    let qkv = Tensor::param(x, &[b, t, 3 * c]);
    let _step = TensorTape::scope();
    let y = if fused {
        qkv.causal_self_attention(h)
    } else {
        let heads = |i: usize| qkv.narrow(2, i * c, c).reshape(&[b, t, h, d]).transpose(1, 2); // (B, H, T, D)
        let att = (heads(0).matmul_t(heads(1)) * (1.0 / (d as f32).sqrt())).causal_mask().softmax();
        att.matmul(heads(2)).transpose(1, 2).reshape(&[b, t, c])
    };
    assert_eq!(y.shape(), [b, t, c]);
    let score = (y * w).sum();
    match also {
        Some(w2) => (score + (qkv * w2).sum()).backward(),
        None => score.backward(),
    }
    (y.data(), qkv.grad())
}

#[test]
fn causal_self_attention_equals_split_heads() {
    // Reading the heads in place out of a (B, T, 3C) projection against splitting it into copies;
    // both sizes of kernel (loops, and gemm).
    for (seed, dims) in [(4, (3, 7, 2, 5)), (5, (2, 36, 3, 26))] {
        let mut r = Numbers::new(seed);
        let (b, t, h, d) = dims;
        let x = r.vec(b * t * 3 * h * d, 1.5);
        let w = Tensor::new(&r.vec(b * t * h * d, 1.0), &[b, t, h * d]);
        let split = self_attention_run(&x, dims, w, None, false);
        on_both_kernels(|k| {
            let fused = self_attention_run(&x, dims, w, None, true);
            close(&fused.0, &split.0, 1e-6, &format!("y ({k})"));
            close(&fused.1, &split.1, 1e-5, &format!("dqkv ({k})"));
        });
    }
}

#[test]
fn causal_self_attention_adds_to_a_gradient_already_there() {
    // qkv also feeds a later op, whose backward runs first: attention's backward must then add its
    // dq, dk, dv into each head's columns in place, with the loops and with gemm.
    for (seed, dims) in [(6, (2, 7, 2, 5)), (7, (2, 36, 3, 26))] {
        let mut r = Numbers::new(seed);
        let (b, t, h, d) = dims;
        let n = b * t * 3 * h * d;
        let x = r.vec(n, 1.5);
        let w = Tensor::new(&r.vec(b * t * h * d, 1.0), &[b, t, h * d]);
        let w2 = Tensor::new(&r.vec(n, 1.0), &[b, t, 3 * h * d]);
        let split = self_attention_run(&x, dims, w, Some(w2), false);
        on_both_kernels(|k| {
            let fused = self_attention_run(&x, dims, w, Some(w2), true);
            close(&fused.0, &split.0, 1e-6, &format!("y ({k})"));
            close(&fused.1, &split.1, 1e-5, &format!("dqkv ({k})"));
            // And the gradient really is both parts: w2 plus attention's share.
            let (_, attention_only) = self_attention_run(&x, dims, w, None, true);
            let sum: Vec<f32> = attention_only.iter().zip(w2.data()).map(|(a, b)| a + b).collect();
            close(&fused.1, &sum, 1e-5, &format!("dqkv = attention + w2 ({k})"));
        });
    }
}
