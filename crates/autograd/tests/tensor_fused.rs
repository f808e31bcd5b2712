//! Fused ops compute the same numbers as the primitive ops they replace.

mod tensor_support;

use autograd::{Tensor, TensorTape};
use tensor_support::Numbers;

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn causal_attention_equals_mask_softmax_matmul() {
    let mut r = Numbers::new(1);
    let (b, h, t, d) = (3, 2, 7, 5);
    let shape = [b, h, t, d];
    let n = b * h * t * d;
    let (q, k, v) = (r.vec(n, 2.0), r.vec(n, 2.0), r.vec(n, 1.0));
    let w = Tensor::new(&r.vec(n, 1.0), &shape);
    let run = |fused: bool| {
        let (pq, pk, pv) = (Tensor::param(&q, &shape), Tensor::param(&k, &shape), Tensor::param(&v, &shape));
        let _step = TensorTape::scope();
        let y = if fused {
            pq.causal_attention(pk, pv)
        } else {
            (pq.matmul_t(pk) * (1.0 / (d as f32).sqrt())).causal_mask().softmax().matmul(pv)
        };
        (y * w).sum().backward();
        (y.data(), pq.grad(), pk.grad(), pv.grad())
    };
    let (fused, plain) = (run(true), run(false));
    close(&fused.0, &plain.0, 1e-6, "y");
    close(&fused.1, &plain.1, 1e-5, "dq");
    close(&fused.2, &plain.2, 1e-5, "dk");
    close(&fused.3, &plain.3, 1e-5, "dv");
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

#[test]
fn causal_attention_long_sequences_equal_the_primitives() {
    // The gemm path (T·T·D above the small-product limit) against the written-out ops.
    let mut r = Numbers::new(3);
    let shape = [2, 2, 40, 24];
    let n = shape.iter().product();
    let (q, k, v) = (r.vec(n, 1.0), r.vec(n, 1.0), r.vec(n, 1.0));
    let w = Tensor::new(&r.vec(n, 1.0), &shape);
    let run = |fused: bool| {
        let (pq, pk, pv) = (Tensor::param(&q, &shape), Tensor::param(&k, &shape), Tensor::param(&v, &shape));
        let _step = TensorTape::scope();
        let y = if fused {
            pq.causal_attention(pk, pv)
        } else {
            (pq.matmul_t(pk) * (1.0 / 24f32.sqrt())).causal_mask().softmax().matmul(pv)
        };
        (y * w).sum().backward();
        (y.data(), pq.grad(), pk.grad(), pv.grad())
    };
    let (fused, plain) = (run(true), run(false));
    close(&fused.0, &plain.0, 1e-5, "y");
    close(&fused.1, &plain.1, 1e-4, "dq");
    close(&fused.2, &plain.2, 1e-4, "dk");
    close(&fused.3, &plain.3, 1e-4, "dv");
}

#[test]
fn causal_self_attention_equals_split_heads() {
    // Reading the heads in place out of a (B, T, 3C) projection against splitting it into
    // (B, H, T, D) copies, attending per head and merging the heads back; both sizes of kernel.
    for (seed, (b, t, h, d)) in [(4, (3, 7, 2, 5)), (5, (2, 36, 3, 26))] {
        let mut r = Numbers::new(seed);
        let c = h * d;
        let n = b * t * 3 * c;
        let x = r.vec(n, 1.5);
        let w = Tensor::new(&r.vec(b * t * c, 1.0), &[b, t, c]);
        let run = |fused: bool| {
            let qkv = Tensor::param(&x, &[b, t, 3 * c]);
            let _step = TensorTape::scope();
            let y = if fused {
                qkv.causal_self_attention(h)
            } else {
                let heads = |i: usize| qkv.narrow(2, i * c, c).reshape(&[b, t, h, d]).transpose(1, 2);
                heads(0).causal_attention(heads(1), heads(2)).transpose(1, 2).reshape(&[b, t, c])
            };
            assert_eq!(y.shape(), [b, t, c]);
            (y * w).sum().backward();
            (y.data(), qkv.grad())
        };
        let (fused, plain) = (run(true), run(false));
        close(&fused.0, &plain.0, 1e-6, "y");
        close(&fused.1, &plain.1, 1e-5, "dqkv");
    }
}

#[test]
fn causal_self_attention_adds_to_a_gradient_already_there() {
    // qkv also feeds a later op, whose backward runs first: attention's backward must then add its
    // dq, dk, dv into each head's columns in place, with the loops and with gemm.
    for (seed, (b, t, h, d)) in [(6, (2, 7, 2, 5)), (7, (2, 36, 3, 26))] {
        let mut r = Numbers::new(seed);
        let c = h * d;
        let n = b * t * 3 * c;
        let x = r.vec(n, 1.5);
        let w = Tensor::new(&r.vec(b * t * c, 1.0), &[b, t, c]);
        let w2 = Tensor::new(&r.vec(n, 1.0), &[b, t, 3 * c]);
        let run = |fused: bool| {
            let qkv = Tensor::param(&x, &[b, t, 3 * c]);
            let _step = TensorTape::scope();
            let y = if fused {
                qkv.causal_self_attention(h)
            } else {
                let heads = |i: usize| qkv.narrow(2, i * c, c).reshape(&[b, t, h, d]).transpose(1, 2);
                heads(0).causal_attention(heads(1), heads(2)).transpose(1, 2).reshape(&[b, t, c])
            };
            let also = (qkv * w2).sum(); // created after y, so its backward reaches qkv first
            ((y * w).sum() + also).backward();
            (y.data(), qkv.grad())
        };
        let (fused, plain) = (run(true), run(false));
        close(&fused.0, &plain.0, 1e-6, "y");
        close(&fused.1, &plain.1, 1e-5, "dqkv");
        // And the gradient really is both parts: w2 plus attention's share.
        let attention_only = {
            let qkv = Tensor::param(&x, &[b, t, 3 * c]);
            let _step = TensorTape::scope();
            (qkv.causal_self_attention(h) * w).sum().backward();
            qkv.grad()
        };
        let sum: Vec<f32> = attention_only.iter().zip(w2.data()).map(|(a, b)| a + b).collect();
        close(&fused.1, &sum, 1e-5, "dqkv = attention + w2");
    }
}
