//! The tensor tape's life cycle: parameters persist, scopes free steps, buffers are reused (memory
//! does not grow across steps), stale handles and shape mistakes fail loudly.

mod tensor_support;

use autograd::{Tensor, TensorTape};
use tensor_support::Numbers;

#[test]
fn a_scope_frees_the_step_and_keeps_parameters() {
    let w = Tensor::param(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let before = TensorTape::len();
    {
        let _step = TensorTape::scope();
        let x = Tensor::new(&[1.0, 1.0], &[1, 2]);
        let loss = x.matmul(w).sum();
        loss.backward();
        assert!(TensorTape::len() > before);
    }
    assert_eq!(TensorTape::len(), before);
    // d/dw Σ (x @ w) = xᵀ·1 = every entry 1.
    assert_eq!(w.grad(), vec![1.0; 4]);
    TensorTape::zero_grad();
    assert_eq!(w.grad(), vec![0.0; 4]);
}

#[test]
fn gradients_accumulate_until_zeroed() {
    let w = Tensor::param(&[2.0], &[1]);
    for _ in 0..3 {
        let _step = TensorTape::scope();
        (w * w).sum().backward();
    }
    assert_eq!(w.grad(), vec![12.0]); // 3 × 2w
}

#[test]
fn steps_reuse_their_buffers() {
    // The same graph every step: after the first step, the tape allocates nothing more.
    let mut r = Numbers::new(1);
    let w1 = Tensor::param(&r.vec(30 * 50, 0.2), &[30, 50]);
    let w2 = Tensor::param(&r.vec(50 * 10, 0.2), &[50, 10]);
    let step = |seed: u64| {
        let _step = TensorTape::scope();
        let x = Tensor::new(&Numbers::new(seed).vec(8 * 30, 1.0), &[8, 30]);
        let loss = x.matmul(w1).tanh().matmul(w2).cross_entropy(&[1, 2, 3, 4, 5, 6, 7, 8]);
        loss.backward();
        TensorTape::zero_grad();
    };
    step(0);
    let bytes = TensorTape::bytes();
    let len = TensorTape::len();
    for seed in 1..50 {
        step(seed);
    }
    assert_eq!(TensorTape::bytes(), bytes, "memory grew across identical steps");
    assert_eq!(TensorTape::len(), len);
}

#[test]
#[should_panic(expected = "this Tensor was freed when its TensorScope ended")]
fn a_handle_from_a_finished_step_panics() {
    let stale = {
        let _step = TensorTape::scope();
        Tensor::new(&[1.0], &[1])
    };
    let _next_step = TensorTape::scope();
    let _reuses_the_slot = Tensor::new(&[2.0], &[1]);
    let _ = stale.data();
}

#[test]
#[should_panic(expected = "matmul: inner dims differ, shapes [2, 3] and [4, 5]")]
fn matmul_shape_errors_name_the_op_and_shapes() {
    Tensor::new(&[0.0; 6], &[2, 3]).matmul(Tensor::new(&[0.0; 20], &[4, 5]));
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [2] do not broadcast")]
fn broadcast_errors_name_the_op_and_shapes() {
    let _ = Tensor::new(&[0.0; 6], &[2, 3]) + Tensor::new(&[0.0; 2], &[2]);
}

#[test]
#[should_panic(expected = "backward: the root must hold one number (a loss), got shape [2]")]
fn backward_needs_a_scalar() {
    Tensor::param(&[1.0, 2.0], &[2]).tanh().backward();
}

#[test]
#[should_panic(expected = "depends on no parameter")]
fn backward_needs_a_parameter() {
    Tensor::new(&[1.0, 2.0], &[2]).sum().backward();
}

#[test]
#[should_panic(expected = "reshape: [2, 3] has 6 elements, [4] needs 4")]
fn reshape_checks_the_count() {
    Tensor::new(&[0.0; 6], &[2, 3]).reshape(&[4]);
}

#[test]
#[should_panic(expected = "embedding: index 5 is out of range for a table of 5 rows")]
fn embedding_checks_indices() {
    Tensor::new(&[0.0; 10], &[5, 2]).embedding(&[1, 5], &[2]);
}

#[test]
#[should_panic(expected = "cross_entropy: 3 targets for logits [2, 4] (2 rows)")]
fn cross_entropy_checks_targets() {
    Tensor::new(&[0.0; 8], &[2, 4]).cross_entropy(&[0, 1, 2]);
}

#[test]
fn reshape_is_a_view_that_shares_gradients() {
    let w = Tensor::param(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let _step = TensorTape::scope();
    let v = w.reshape(&[3, 2]);
    assert_eq!(v.shape(), [3, 2]);
    assert_eq!(v.data(), w.data());
    (v * v).sum().backward();
    assert_eq!(w.grad(), vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    assert_eq!(v.grad(), w.grad());
}

#[test]
fn no_grad_records_no_dependence() {
    let w = Tensor::param(&[1.0, 2.0], &[2]);
    let _step = TensorTape::scope();
    {
        let _no_grad = TensorTape::no_grad();
        let y = (w * 2.0).tanh();
        assert!(!y.requires_grad());
        assert!(w.requires_grad());
    }
    assert!((w * 2.0).requires_grad());
}

#[test]
fn gradients_skip_what_does_not_reach_the_loss() {
    let w = Tensor::param(&[1.0, 2.0], &[2]);
    let unused = Tensor::param(&[3.0], &[1]);
    let _step = TensorTape::scope();
    let side = unused.ln(); // computed, but not on the loss's path
    (w * 3.0).sum().backward();
    assert_eq!(w.grad(), vec![3.0, 3.0]);
    assert_eq!(unused.grad(), vec![0.0]);
    assert_eq!(side.grad(), vec![0.0]);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // A product big enough to be split over threads, run on pools of 1, 2 and 3 threads: the numbers
    // must agree bit for bit (each thread's tape is its own, so everything runs inside the pool).
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut r = Numbers::new(9);
            let x = Tensor::param(&r.vec(256 * 96, 1.0), &[4, 64, 96]);
            let w = Tensor::param(&r.vec(96 * 160, 0.1), &[96, 160]);
            let y = x.matmul(w).gelu(); // (4, 64, 160)
            // Self-attention over long sequences (T = 64, 2 heads of 20: the gemm path): (4, 64, 120).
            let qkv = y.reshape(&[4, 64, 160]).narrow(2, 0, 120);
            let z = qkv.causal_self_attention(2).layer_norm(None, None, 1e-5).sum();
            // Attention straight from a fused qkv projection, one task per sequence: (16, 16, 192).
            let w_qkv = Tensor::param(&r.vec(96 * 192, 0.1), &[96, 192]);
            let qkv = x.reshape(&[16, 16, 96]).matmul(w_qkv);
            let z = z + qkv.causal_self_attention(4).layer_norm(None, None, 1e-5).sum();
            z.backward();
            let out = (z.item(), x.grad(), w.grad(), w_qkv.grad());
            TensorTape::clear();
            out
        })
    };
    let one = run(1);
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(one.0.to_bits(), other.0.to_bits(), "loss differs with {threads} threads");
        assert!(one.1.iter().zip(&other.1).all(|(a, b)| a.to_bits() == b.to_bits()), "x grad differs");
        assert!(one.2.iter().zip(&other.2).all(|(a, b)| a.to_bits() == b.to_bits()), "w grad differs");
        assert!(one.3.iter().zip(&other.3).all(|(a, b)| a.to_bits() == b.to_bits()), "w_qkv grad differs");
    }
}

#[test]
fn backward_leaves_other_graphs_alone() {
    // A second, unrelated backward must not hand on the gradients the first left in its inner nodes.
    let a = Tensor::param(&[2.0], &[1]);
    let b = Tensor::param(&[-3.0], &[1]);
    let l = (a * b).tanh() * 2.0;
    l.backward();
    let first = (a.grad(), b.grad());
    let x = Tensor::param(&[0.5], &[1]);
    let o = (x * 3.0).tanh();
    o.backward();
    assert_eq!((a.grad(), b.grad()), first);
    // And a second backward of the same graph adds exactly one more gradient to the parameters.
    l.backward();
    assert_eq!(a.grad()[0], 2.0 * first.0[0]);
    assert_eq!(b.grad()[0], 2.0 * first.1[0]);
}
