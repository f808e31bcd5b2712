//! Cross-entropy, softmax and the norms on inputs that break naive formulas: huge logits, constant
//! rows, all-ignored targets, masked rows. Everything must stay finite, and right.

use autograd::{Tensor, TensorTape};

fn all_finite(v: &[f32]) -> bool {
    v.iter().all(|x| x.is_finite())
}

#[test]
fn cross_entropy_of_huge_logits() {
    // e^10000 overflows; log-sum-exp with the max subtracted does not.
    let logits = Tensor::param(&[1e4, 0.0, -1e4, 1e4, 1e4, 1e4], &[2, 3]);
    let _step = TensorTape::scope();
    let loss = logits.cross_entropy(&[0, 2]);
    loss.backward();
    // Row 0: the target has all the mass, loss 0. Row 1: three equal logits, loss ln 3.
    assert!((loss.item() - (3.0f32.ln() / 2.0)).abs() < 1e-6, "loss {}", loss.item());
    let g = logits.grad();
    assert!(all_finite(&g));
    let third = 1.0 / 3.0 / 2.0;
    let want = [0.0, 0.0, 0.0, third, third, third - 0.5];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{g:?}");
    }
}

#[test]
fn cross_entropy_of_a_confident_wrong_guess() {
    // Loss = 2e4 exactly representable as (max - x_t) + ln Σ: no catastrophic rounding.
    let logits = Tensor::param(&[1e4, -1e4], &[1, 2]);
    let _step = TensorTape::scope();
    let loss = logits.cross_entropy(&[1]);
    loss.backward();
    assert_eq!(loss.item(), 2e4);
    assert_eq!(logits.grad(), vec![1.0, -1.0]);
}

#[test]
fn cross_entropy_of_constant_rows() {
    let logits = Tensor::param(&[7.0; 12], &[3, 4]);
    let _step = TensorTape::scope();
    let loss = logits.cross_entropy(&[0, 1, 3]);
    loss.backward();
    assert!((loss.item() - 4.0f32.ln()).abs() < 1e-6);
    assert!(all_finite(&logits.grad()));
}

#[test]
fn cross_entropy_with_every_target_ignored() {
    let logits = Tensor::param(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let _step = TensorTape::scope();
    let loss = logits.cross_entropy_ignore(&[9, 9], 9);
    loss.backward();
    assert_eq!(loss.item(), 0.0);
    assert_eq!(logits.grad(), vec![0.0; 4]);
}

#[test]
fn cross_entropy_ignore_counts_only_real_targets() {
    let logits = Tensor::param(&[0.0, 0.0, 5.0, -5.0], &[2, 2]);
    let _step = TensorTape::scope();
    let with_ignored = logits.cross_entropy_ignore(&[1, 9], 9);
    let only_first = Tensor::new(&[0.0, 0.0], &[1, 2]).cross_entropy(&[1]);
    assert_eq!(with_ignored.item(), only_first.item()); // ln 2, the mean over one row
}

#[test]
fn softmax_of_huge_and_masked_rows() {
    let x = Tensor::param(&[1e4, 1e4, -1e4, f32::NEG_INFINITY, 0.0, 0.0], &[2, 3]);
    let _step = TensorTape::scope();
    let y = x.softmax();
    let v = y.data();
    assert_eq!(&v[..3], &[0.5, 0.5, 0.0]);
    assert_eq!(&v[3..], &[0.0, 0.5, 0.5]);
    y.backward_with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert!(all_finite(&x.grad()));
    // A causal mask keeps the diagonal, so no row is ever fully masked; if one were, it gets zeros.
    let masked = Tensor::new(&[f32::NEG_INFINITY; 3], &[1, 3]).softmax();
    assert_eq!(masked.data(), vec![0.0; 3]);
}

#[test]
fn norms_of_constant_and_huge_rows() {
    // A constant row has variance 0: the eps keeps 1/std finite and the output is exactly the bias.
    let x = Tensor::param(&[1e4; 8], &[2, 4]);
    let gain = Tensor::param(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let bias = Tensor::param(&[0.5; 4], &[4]);
    let _step = TensorTape::scope();
    let ln = x.layer_norm(Some(gain), Some(bias), 1e-5);
    assert_eq!(ln.data(), vec![0.5; 8]);
    let w = Tensor::new(&[1.0, -2.0, 3.0, 0.5, 1.0, 1.0, -1.0, 2.0], &[2, 4]);
    (ln * w).sum().backward();
    assert!(all_finite(&x.grad()) && all_finite(&gain.grad()) && all_finite(&bias.grad()));

    // Huge spread: normalised to unit variance without overflow.
    let y = Tensor::param(&[1e4, -1e4, 3e4, -3e4], &[1, 4]);
    let ln = y.layer_norm(None, None, 1e-5);
    let v = ln.data();
    let var: f32 = v.iter().map(|a| a * a).sum::<f32>() / 4.0;
    assert!((var - 1.0).abs() < 1e-5, "{v:?}");
    ln.sum().backward();
    assert!(all_finite(&y.grad()));

    // RMS norm of zeros: 0 / √eps = 0, and finite gradients.
    let z = Tensor::param(&[0.0; 4], &[1, 4]);
    let rms = z.rms_norm(None, 1e-5);
    assert_eq!(rms.data(), vec![0.0; 4]);
    (rms * Tensor::new(&[1.0, 2.0, 3.0, 4.0], &[4])).sum().backward();
    assert!(all_finite(&z.grad()));
    // d/dx of x/√(mean(x²)+eps) at 0 is 1/√eps.
    assert!((z.grad()[0] - 1.0 / 1e-5f32.sqrt()).abs() < 1.0);

    // Batch norm of a constant column.
    let b = Tensor::param(&[3.0, 1.0, 3.0, 2.0, 3.0, 3.0], &[3, 2]);
    let (bn, mean, var) =
        b.batch_norm(Tensor::param(&[1.0, 1.0], &[2]), Tensor::param(&[0.0, 0.0], &[2]), 1e-5);
    assert_eq!(mean[0], 3.0);
    assert_eq!(var[0], 0.0);
    assert!(all_finite(&bn.data()));
    bn.sum().backward();
    assert!(all_finite(&b.grad()));
}
