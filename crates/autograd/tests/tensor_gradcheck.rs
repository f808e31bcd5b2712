//! Every tensor op's backward against finite differences (see `tensor_support::gradcheck`).

mod tensor_support;

use autograd::Tensor;
use tensor_support::{Numbers, gradcheck, gradcheck_tol, input, on_both_kernels};

#[test]
fn matmul_2d() {
    let mut r = Numbers::new(1);
    gradcheck("matmul 2d", &[input(r.vec(12, 1.0), &[3, 4]), input(r.vec(20, 1.0), &[4, 5])], |p| {
        p[0].matmul(p[1])
    });
}

#[test]
fn matmul_batched_and_shared() {
    let mut r = Numbers::new(2);
    // (B, M, K) @ (B, K, N): one product per batch item.
    gradcheck(
        "matmul batched",
        &[input(r.vec(24, 1.0), &[2, 3, 4]), input(r.vec(16, 1.0), &[2, 4, 2])],
        |p| p[0].matmul(p[1]),
    );
    // (B, T, C) @ (C, N): one weight shared by every position; its gradient sums over them.
    gradcheck(
        "matmul shared weight",
        &[input(r.vec(24, 1.0), &[2, 3, 4]), input(r.vec(20, 1.0), &[4, 5])],
        |p| p[0].matmul(p[1]),
    );
    // (M, K) @ (B, K, N): the left operand shared.
    gradcheck(
        "matmul shared left",
        &[input(r.vec(6, 1.0), &[2, 3]), input(r.vec(24, 1.0), &[2, 3, 4])],
        |p| p[0].matmul(p[1]),
    );
    // Four batch dims worth of attention shape: (B, H, T, D).
    gradcheck(
        "matmul 4d",
        &[input(r.vec(48, 1.0), &[2, 2, 3, 4]), input(r.vec(48, 1.0), &[2, 2, 4, 3])],
        |p| p[0].matmul(p[1]),
    );
}

#[test]
fn matmul_transposed() {
    let mut r = Numbers::new(3);
    // q @ kᵀ, batched.
    gradcheck(
        "matmul_t batched",
        &[input(r.vec(24, 1.0), &[2, 3, 4]), input(r.vec(40, 1.0), &[2, 5, 4])],
        |p| p[0].matmul_t(p[1]),
    );
    // x @ Wᵀ with a PyTorch-layout (out, in) weight shared over the batch.
    gradcheck("matmul_t shared", &[input(r.vec(24, 1.0), &[2, 3, 4]), input(r.vec(20, 1.0), &[5, 4])], |p| {
        p[0].matmul_t(p[1])
    });
}

#[test]
fn matmul_of_a_tensor_with_itself() {
    // Both operands are the same tensor: its gradient gets both contributions.
    let mut r = Numbers::new(4);
    gradcheck("x @ x", &[input(r.vec(9, 1.0), &[3, 3])], |p| p[0].matmul(p[0]));
    gradcheck("x @ xᵀ", &[input(r.vec(12, 1.0), &[3, 4])], |p| p[0].matmul_t(p[0]));
}

#[test]
fn big_matmul_split_over_cores() {
    // Large enough that the product is split between threads; the split must not change gradients.
    let mut r = Numbers::new(5);
    let a = r.vec(64 * 48, 0.3);
    let b = r.vec(48 * 40, 0.3);
    let w = r.vec(40, 1.0);
    let wt = Tensor::new(&w, &[40, 1]);
    let inputs = [input(a, &[64, 48]), input(b, &[48, 40])];
    on_both_kernels(|k| {
        gradcheck_tol(&format!("big matmul ({k} kernels)"), &inputs, 5e-4, 2e-3, |p| {
            // Reduce to a few outputs so the check stays quick but every element matters.
            p[0].matmul(p[1]).matmul(wt).sum_dim(0, false)
        })
    });
}

#[test]
fn broadcasting_arithmetic() {
    let mut r = Numbers::new(6);
    let shapes: &[(&[usize], &[usize])] = &[
        (&[2, 3], &[2, 3]),
        (&[2, 3, 4], &[4]),       // bias
        (&[2, 3, 4], &[2, 3, 1]), // per-row
        (&[3, 1], &[1, 4]),       // outer
        (&[2, 3], &[]),           // scalar tensor
        (&[4], &[3, 2, 4]),       // left operand broadcast
        (&[2, 1, 4], &[3, 1]),    // both broadcast
    ];
    for (sa, sb) in shapes {
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        let a = input(r.vec(na, 1.0), sa);
        let b = input(r.away_from_zero(nb, 0.5, 1.5), sb);
        let name = format!("{sa:?} ∘ {sb:?}");
        gradcheck(&format!("add {name}"), &[input(a.data.clone(), sa), input(b.data.clone(), sb)], |p| {
            p[0] + p[1]
        });
        gradcheck(&format!("sub {name}"), &[input(a.data.clone(), sa), input(b.data.clone(), sb)], |p| {
            p[0] - p[1]
        });
        gradcheck(&format!("mul {name}"), &[input(a.data.clone(), sa), input(b.data.clone(), sb)], |p| {
            p[0] * p[1]
        });
        gradcheck(&format!("div {name}"), &[a, b], |p| p[0] / p[1]);
    }
}

#[test]
fn scalar_arithmetic() {
    let mut r = Numbers::new(7);
    let x = input(r.away_from_zero(6, 0.5, 2.0), &[2, 3]);
    let c = |x: &tensor_support::Input| input(x.data.clone(), &x.shape);
    gradcheck("x * 2", &[c(&x)], |p| p[0] * 2.0);
    gradcheck("3 * x", &[c(&x)], |p| 3.0 * p[0]);
    gradcheck("x + 1", &[c(&x)], |p| p[0] + 1.0);
    gradcheck("1 - x", &[c(&x)], |p| 1.0 - p[0]);
    gradcheck("x - 1", &[c(&x)], |p| p[0] - 1.0);
    gradcheck("x / 4", &[c(&x)], |p| p[0] / 4.0);
    gradcheck("2 / x", &[c(&x)], |p| 2.0 / p[0]);
    gradcheck("-x", &[c(&x)], |p| -p[0]);
    gradcheck("x * x + x", &[c(&x)], |p| p[0] * p[0] + p[0]);
}

#[test]
fn reductions() {
    let mut r = Numbers::new(8);
    let x = r.vec(24, 1.0);
    for axis in [0isize, 1, 2, -1] {
        for keepdim in [false, true] {
            gradcheck(&format!("sum_dim {axis} {keepdim}"), &[input(x.clone(), &[2, 3, 4])], |p| {
                p[0].sum_dim(axis, keepdim)
            });
            gradcheck(&format!("mean_dim {axis} {keepdim}"), &[input(x.clone(), &[2, 3, 4])], |p| {
                p[0].mean_dim(axis, keepdim)
            });
        }
    }
    gradcheck("sum", &[input(x.clone(), &[2, 3, 4])], |p| p[0].sum());
    gradcheck("mean", &[input(x, &[2, 3, 4])], |p| p[0].mean());
}

#[test]
fn unary_functions() {
    let mut r = Numbers::new(9);
    let any = r.vec(12, 2.0);
    let pos = r.positive(12, 0.2, 3.0);
    let kinkless = r.away_from_zero(12, 0.05, 2.0);
    let x = |d: &Vec<f32>| input(d.clone(), &[3, 4]);
    gradcheck("exp", &[x(&any)], |p| p[0].exp());
    gradcheck("ln", &[x(&pos)], |p| p[0].ln());
    gradcheck("tanh", &[x(&any)], |p| p[0].tanh());
    gradcheck("relu", &[x(&kinkless)], |p| p[0].relu());
    gradcheck("gelu", &[x(&any)], |p| p[0].gelu());
    gradcheck("gelu wide", &[input(r.vec(12, 6.0), &[12])], |p| p[0].gelu());
    gradcheck("powf 3", &[x(&any)], |p| p[0].powf(3.0));
    gradcheck("powf -0.5", &[x(&pos)], |p| p[0].powf(-0.5));
    gradcheck("sqrt", &[x(&pos)], |p| p[0].sqrt());
    gradcheck("affine", &[x(&any)], |p| p[0].affine(-1.5, 0.25));
}

#[test]
fn views_and_permutations() {
    let mut r = Numbers::new(10);
    let x = r.vec(24, 1.0);
    let w = Tensor::new(&r.vec(24, 1.0), &[24]);
    // A reshape is free (it shares buffers), so check that gradients still flow through it.
    gradcheck("reshape", &[input(x.clone(), &[2, 3, 4])], |p| {
        p[0].reshape(&[6, 4]).tanh().reshape(&[24]) * w
    });
    gradcheck("reshape inferred", &[input(x.clone(), &[2, 3, 4])], |p| p[0].reshape(&[usize::MAX, 2]).exp());
    gradcheck("transpose", &[input(x.clone(), &[2, 3, 4])], |p| p[0].transpose(0, 2));
    gradcheck("transpose (1, 2)", &[input(x.clone(), &[2, 3, 4])], |p| p[0].transpose(1, 2));
    gradcheck("permute", &[input(x.clone(), &[2, 3, 4])], |p| p[0].permute(&[1, 2, 0]));
    gradcheck("permute 4d", &[input(r.vec(48, 1.0), &[2, 3, 2, 4])], |p| p[0].permute(&[0, 2, 1, 3]));
    // A view of a view of a parameter, used twice.
    gradcheck("views used twice", &[input(x, &[2, 3, 4])], |p| {
        let v = p[0].reshape(&[6, 4]);
        v.matmul_t(v.reshape(&[6, 4]))
    });
}

#[test]
fn indexing() {
    let mut r = Numbers::new(11);
    let table = r.vec(20, 1.0);
    // Repeated indices: the gradients of the same row must add up.
    let ids = [3usize, 1, 3, 0, 4, 3];
    gradcheck("embedding", &[input(table.clone(), &[5, 4])], |p| p[0].embedding(&ids, &[2, 3]));
    gradcheck("pick", &[input(r.vec(12, 1.0), &[3, 4])], |p| p[0].pick(&[2, 0, 2]));
    let x = r.vec(60, 1.0);
    for axis in 0..3 {
        gradcheck(&format!("narrow {axis}"), &[input(x.clone(), &[3, 4, 5])], |p| p[0].narrow(axis, 1, 2));
    }
    // Pieces of one tensor used together: each gets its own stretch of the gradient.
    gradcheck("narrow pieces", &[input(x.clone(), &[3, 4, 5])], |p| {
        p[0].narrow(2, 0, 2) * p[0].narrow(2, 2, 2) + p[0].narrow(2, 4, 1).sum_dim(-1, true)
    });
}

#[test]
fn softmax_and_causal_mask() {
    let mut r = Numbers::new(12);
    gradcheck("softmax", &[input(r.vec(24, 2.0), &[2, 3, 4])], |p| p[0].softmax());
    gradcheck("causal softmax", &[input(r.vec(32, 2.0), &[2, 4, 4])], |p| p[0].causal_mask().softmax());
    gradcheck("causal mask", &[input(r.vec(18, 2.0), &[2, 3, 3])], |p| p[0].causal_mask().exp());
    gradcheck("causal softmax, more keys", &[input(r.vec(24, 2.0), &[2, 3, 4])], |p| {
        p[0].causal_mask().softmax()
    });
}

#[test]
fn cross_entropy() {
    let mut r = Numbers::new(13);
    let logits = r.vec(20, 3.0);
    gradcheck("cross_entropy", &[input(logits.clone(), &[4, 5])], |p| p[0].cross_entropy(&[1, 0, 4, 1]));
    gradcheck("cross_entropy 3d", &[input(logits.clone(), &[2, 2, 5])], |p| {
        p[0].cross_entropy(&[1, 0, 4, 1])
    });
    gradcheck("cross_entropy ignore", &[input(logits, &[4, 5])], |p| {
        p[0].cross_entropy_ignore(&[1, 9, 4, 9], 9)
    });
}

#[test]
fn norms() {
    let mut r = Numbers::new(14);
    let x = r.vec(24, 2.0);
    let gain = r.vec(6, 1.5);
    let bias = r.vec(6, 1.0);
    let inp = |d: &Vec<f32>, s: &[usize]| input(d.clone(), s);
    gradcheck("layer_norm", &[inp(&x, &[4, 6])], |p| p[0].layer_norm(None, None, 1e-5));
    gradcheck("layer_norm gain bias", &[inp(&x, &[2, 2, 6]), inp(&gain, &[6]), inp(&bias, &[6])], |p| {
        p[0].layer_norm(Some(p[1]), Some(p[2]), 1e-5)
    });
    gradcheck("rms_norm", &[inp(&x, &[4, 6])], |p| p[0].rms_norm(None, 1e-5));
    gradcheck("rms_norm gain", &[inp(&x, &[4, 6]), inp(&gain, &[6])], |p| p[0].rms_norm(Some(p[1]), 1e-5));
    gradcheck("batch_norm", &[inp(&x, &[4, 6]), inp(&gain, &[6]), inp(&bias, &[6])], |p| {
        p[0].batch_norm(p[1], p[2], 1e-5).0
    });
    gradcheck("batch_norm 3d", &[inp(&x, &[2, 2, 6]), inp(&gain, &[6]), inp(&bias, &[6])], |p| {
        p[0].batch_norm(p[1], p[2], 1e-5).0
    });
    let (mean, var) = (r.vec(6, 0.5), r.positive(6, 0.5, 2.0));
    gradcheck("batch_norm_eval", &[inp(&x, &[4, 6]), inp(&gain, &[6]), inp(&bias, &[6])], |p| {
        p[0].batch_norm_eval(p[1], p[2], &mean, &var, 1e-5)
    });
}

#[test]
fn dropout() {
    let mut r = Numbers::new(15);
    let x = r.vec(40, 1.0);
    gradcheck("dropout", &[input(x, &[4, 10])], |p| {
        // The same seed for every evaluation, so the mask is fixed.
        let mut rng = tensor_support::TestRng(7);
        p[0].dropout(0.3, &mut rng)
    });
}

#[test]
fn attention_block() {
    // Everything at once: one causal self-attention head with projections, as nanoGPT computes it.
    let mut r = Numbers::new(16);
    let (b, t, c, h) = (2, 3, 4, 2);
    let x = input(r.vec(b * t * c, 1.0), &[b, t, c]);
    let w_attn = input(r.vec(c * 3 * c, 0.5), &[c, 3 * c]);
    let w_proj = input(r.vec(c * c, 0.5), &[c, c]);
    gradcheck("attention", &[x, w_attn, w_proj], |p| {
        let qkv = p[0].matmul(p[1]); // (B, T, 3C)
        let heads = |t: Tensor| t.reshape(&[b, 3, h, c / h]).transpose(1, 2); // (B, H, T, D)
        let (q, k, v) =
            (heads(qkv.narrow(2, 0, c)), heads(qkv.narrow(2, c, c)), heads(qkv.narrow(2, 2 * c, c)));
        let att = (q.matmul_t(k) * (1.0 / ((c / h) as f32).sqrt())).causal_mask().softmax(); // (B, H, T, T)
        let y = att.matmul(v).transpose(1, 2).reshape(&[b, t, c]); // (B, T, C)
        y.matmul(p[2]).layer_norm(None, None, 1e-5)
    });
}

#[test]
fn linear_layers() {
    let mut r = Numbers::new(17);
    let (x, w, b) = (r.vec(24, 1.0), r.vec(20, 1.0), r.vec(5, 1.0));
    gradcheck(
        "linear",
        &[input(x.clone(), &[2, 3, 4]), input(w.clone(), &[4, 5]), input(b.clone(), &[5])],
        |p| p[0].linear(p[1], Some(p[2])),
    );
    gradcheck("linear no bias", &[input(x.clone(), &[6, 4]), input(w.clone(), &[4, 5])], |p| {
        p[0].linear(p[1], None)
    });
    gradcheck("linear_t", &[input(x, &[2, 3, 4]), input(w, &[5, 4]), input(b, &[5])], |p| {
        p[0].linear_t(p[1], Some(p[2]))
    });
}

#[test]
#[should_panic(expected = "analytic 0 vs numeric")]
fn the_checker_catches_a_missing_gradient() {
    // A copy made with Tensor::new is a constant: no gradient flows back through it, so the analytic
    // gradient is 0 (the `p * 0` only keeps the output attached) while the function clearly depends on
    // the input. The checker must refuse it.
    gradcheck("detached", &[input(vec![0.5, -0.3], &[2])], |p| {
        Tensor::new(&p[0].data(), &[2]).exp() + p[0] * 0.0
    });
}

#[test]
fn fused_causal_self_attention() {
    // q | k | v read in place out of one (B, T, 3C) tensor, 2 heads of 3; and a long sequence, for
    // the gemm path.
    let mut r = Numbers::new(20);
    gradcheck("causal_self_attention", &[input(r.vec(2 * 4 * 18, 1.5), &[2, 4, 18])], |p| {
        p[0].causal_self_attention(2)
    });
    // Edge shapes: one position, heads of one column, no batch dim.
    gradcheck("causal_self_attention T=1", &[input(r.vec(2 * 12, 1.5), &[2, 1, 12])], |p| {
        p[0].causal_self_attention(2)
    });
    gradcheck("causal_self_attention D=1", &[input(r.vec(5 * 9, 1.5), &[5, 9])], |p| {
        p[0].causal_self_attention(3)
    });
    gradcheck("causal_self_attention T=36", &[input(r.vec(36 * 3 * 52, 0.5), &[1, 36, 156])], |p| {
        p[0].causal_self_attention(2)
    });
}
