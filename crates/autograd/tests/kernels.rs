//! Each fast kernel against its plain twin (`Kernels::Fast` against `Kernels::Plain`), forward and
//! backward, on many shapes, odd and edge ones included (one row, one column, empty sums, shared
//! operands, big enough to be split over the cores or to take attention's gemm path).
//!
//! Where the two add the same terms in the same order the results must be equal as numbers; where
//! the order differs the difference must stay within what rounding allows (see each test).

mod tensor_support;

use autograd::{Kernels, Tape, Tensor, TensorTape, Value};
use tensor_support::Numbers;

/// An input's numbers and shape.
type Input = (Vec<f32>, Vec<usize>);

/// `f(inputs)` with the kernels `kernels`, back-propagated from `seed` (a weight per output element):
/// the output and the gradient of every input.
fn run(kernels: Kernels, inputs: &[Input], seed: &[f32], f: &dyn Fn(&[Tensor]) -> Tensor) -> Vec<Vec<f32>> {
    let previous = kernels.set();
    let params: Vec<Tensor> = inputs.iter().map(|(x, s)| Tensor::param(x, s)).collect();
    let y = {
        let _step = TensorTape::scope();
        let y = f(&params);
        y.backward_with(seed);
        y.data()
    };
    let mut out = vec![y];
    out.extend(params.iter().map(|p| p.grad()));
    TensorTape::clear();
    previous.set();
    out
}

/// The same with every number replaced by its magnitude: for an op that is linear in each input
/// (a product, a sum), this is ±Σ|terms| of every sum the op computes, which bounds its rounding error.
fn magnitudes(inputs: &[Input], seed: &[f32], f: &dyn Fn(&[Tensor]) -> Tensor) -> Vec<Vec<f32>> {
    let abs = |x: &[f32]| x.iter().map(|v| v.abs()).collect::<Vec<_>>();
    let inputs: Vec<Input> = inputs.iter().map(|(x, s)| (abs(x), s.clone())).collect();
    run(Kernels::Plain, &inputs, &abs(seed), f)
}

fn random_inputs(r: &mut Numbers, shapes: &[&[usize]]) -> Vec<Input> {
    shapes.iter().map(|s| (r.vec(s.iter().product(), 1.0), s.to_vec())).collect()
}

/// Equal as numbers (so -0 = +0), output and every gradient.
fn assert_equal(what: &str, fast: &[Vec<f32>], plain: &[Vec<f32>]) {
    for (k, (f, p)) in fast.iter().zip(plain).enumerate() {
        assert_eq!(f.len(), p.len());
        for (i, (a, b)) in f.iter().zip(p).enumerate() {
            assert!(a == b, "{what}: {} element {i}: fast {a} vs plain {b}", name(k));
        }
    }
}

/// Two sums of the same `n` terms added in different orders each differ from the exact sum by at most
/// about n·ε·Σ|terms|, so from each other by twice that.
fn assert_within_rounding(what: &str, fast: &[Vec<f32>], plain: &[Vec<f32>], mag: &[Vec<f32>], n: usize) {
    for (k, ((f, p), m)) in fast.iter().zip(plain).zip(mag).enumerate() {
        for (i, ((a, b), m)) in f.iter().zip(p).zip(m).enumerate() {
            let tol = 2.0 * n as f32 * f32::EPSILON * m.abs() + f32::MIN_POSITIVE;
            assert!(
                (a - b).abs() <= tol,
                "{what}: {} element {i}: fast {a} vs plain {b} (tolerance {tol:e})",
                name(k)
            );
        }
    }
}

fn name(k: usize) -> String {
    if k == 0 { "output".into() } else { format!("gradient of input {}", k - 1) }
}

#[test]
fn matmul_fast_equals_plain() {
    // (shape of a, shape of b, transposed b, with a bias)
    let cases: &[(&[usize], &[usize], bool, bool)] = &[
        (&[1, 1], &[1, 1], false, false),
        (&[3, 4], &[4, 5], false, true),
        (&[1, 7], &[7, 1], false, false),
        (&[5, 1], &[1, 3], false, true),
        (&[4, 0], &[0, 3], false, true), // an empty sum: the bias alone
        (&[2, 3, 4], &[2, 4, 2], false, false),
        (&[2, 3, 4], &[4, 5], false, true),  // a weight shared by every row
        (&[2, 3], &[2, 3, 4], false, false), // the left operand shared
        (&[2, 2, 3, 4], &[2, 2, 5, 4], true, false), // q @ kᵀ per (batch, head)
        (&[2, 3, 4], &[5, 4], true, true),   // PyTorch's Linear layout
        (&[3, 3], &[3, 3], true, false),
        (&[2, 70, 65], &[65, 67], false, true), // big enough to be split over the cores
        (&[130, 33], &[90, 33], true, false),
    ];
    let mut r = Numbers::new(1);
    for &(sa, sb, tb, bias) in cases {
        let n = if tb { sb[sb.len() - 2] } else { sb[sb.len() - 1] };
        let mut shapes = vec![sa, sb];
        let bias_shape = [n];
        if bias {
            shapes.push(&bias_shape);
        }
        let inputs = random_inputs(&mut r, &shapes);
        let f = move |p: &[Tensor]| match (tb, bias) {
            (false, false) => p[0].matmul(p[1]),
            (true, false) => p[0].matmul_t(p[1]),
            (false, true) => p[0].linear(p[1], Some(p[2])),
            (true, true) => p[0].linear_t(p[1], Some(p[2])),
        };
        let out_len = {
            let _s = TensorTape::scope();
            let x: Vec<Tensor> = inputs.iter().map(|(x, s)| Tensor::new(x, s)).collect();
            f(&x).numel()
        };
        let seed = r.vec(out_len, 1.0);
        let fast = run(Kernels::Fast, &inputs, &seed, &f);
        let plain = run(Kernels::Plain, &inputs, &seed, &f);
        // faer adds each sum in SIMD lanes and blocks, not left to right. The longest sum is a forward
        // one (k products and the bias), or a gradient summed over every row of the output (a shared
        // weight's, the bias's) or over n columns of every product (a shared left operand's).
        let (k, rows) = (sa[sa.len() - 1], out_len / n.max(1));
        let batch = rows / sa[sa.len() - 2].max(1);
        let longest = (k + 1).max(rows).max(batch * n);
        let what = format!("{sa:?} @ {sb:?} (transposed {tb}, bias {bias})");
        assert_within_rounding(&what, &fast, &plain, &magnitudes(&inputs, &seed, &f), longest);
    }
}

#[test]
fn broadcasting_fast_equals_plain() {
    let cases: &[(&[usize], &[usize])] = &[
        (&[7], &[7]),
        (&[2, 3, 4], &[2, 3, 4]),
        (&[300, 300], &[300, 300]), // big enough to be split over the cores
        (&[2, 3, 4], &[4]),         // a bias on every row
        (&[2, 3, 4], &[2, 3, 1]),   // a number per row
        (&[4, 1, 2], &[3, 1]),      // both stretched
        (&[1], &[5, 2]),
        (&[], &[3]),
        (&[2, 1, 4], &[1, 3, 1]),
        (&[3, 0], &[3, 1]), // nothing to compute
    ];
    let mut r = Numbers::new(2);
    for &(sa, sb) in cases {
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        // Away from 0, so that division stays tame.
        let inputs: Vec<Input> = vec![
            (r.away_from_zero(na, 0.5, 2.0), sa.to_vec()),
            (r.away_from_zero(nb, 0.5, 2.0), sb.to_vec()),
        ];
        for (op, f) in [
            ("+", (|p: &[Tensor]| p[0] + p[1]) as fn(&[Tensor]) -> Tensor),
            ("-", |p| p[0] - p[1]),
            ("*", |p| p[0] * p[1]),
            ("/", |p| p[0] / p[1]),
        ] {
            let out_len = {
                let _s = TensorTape::scope();
                f(&[Tensor::new(&inputs[0].0, sa), Tensor::new(&inputs[1].0, sb)]).numel()
            };
            let seed = r.vec(out_len, 1.0);
            let fast = run(Kernels::Fast, &inputs, &seed, &f);
            let plain = run(Kernels::Plain, &inputs, &seed, &f);
            let what = format!("{sa:?} {op} {sb:?}");
            // Elementwise, the forward is the same arithmetic on the same numbers.
            assert_eq!(fast[0], plain[0], "{what}: outputs differ");
            if sa == sb {
                // No broadcast: each gradient element is one term.
                assert_equal(&what, &fast, &plain);
            } else {
                // A stretched input's gradient is a sum, which the fast kernel adds row by row.
                assert_within_rounding(&what, &fast, &plain, &magnitudes(&inputs, &seed, &f), out_len);
            }
        }
    }
}

#[test]
fn self_attention_fast_equals_plain() {
    // (shape of qkv, n_head)
    let cases: &[(&[usize], usize)] = &[
        (&[1, 1, 3], 1), // one position, one column
        (&[5, 9], 3),    // no batch dim, heads of one column
        (&[2, 4, 18], 2),
        (&[3, 7, 30], 2),
        (&[2, 36, 156], 2), // T·T·D above the loops' limit: the gemm path
        (&[4, 64, 120], 2), // and split over the cores
    ];
    let mut r = Numbers::new(3);
    for &(shape, h) in cases {
        let inputs = random_inputs(&mut r, &[shape]);
        let f = move |p: &[Tensor]| p[0].causal_self_attention(h);
        let seed = r.vec(shape.iter().product::<usize>() / 3, 1.0);
        let fast = run(Kernels::Fast, &inputs, &seed, &f);
        let plain = run(Kernels::Plain, &inputs, &seed, &f);
        // Not the same additions (the fast kernel sums dot products in SIMD lanes and as gemm) and not
        // the same exp (fastmath's is within a few ulp of the standard library's), so the two agree to
        // f32 precision relative to the numbers involved, here all of order 1.
        for (k, (f, p)) in fast.iter().zip(&plain).enumerate() {
            for (i, (a, b)) in f.iter().zip(p).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "qkv {shape:?}, {h} heads: {} element {i}: fast {a} vs plain {b}",
                    name(k)
                );
            }
        }
    }
}

/// The value and every input's gradient of Σ tanh(matvec(w, x)) with the kernels `kernels`, as bits.
fn matvec_bits(kernels: Kernels, rows: usize, n: usize, scattered: bool) -> Vec<u64> {
    let previous = kernels.set();
    let _scope = Tape::scope();
    let w: Vec<Vec<Value>> =
        (0..rows).map(|r| (0..n).map(|i| Value::new(((r * n + i) as f64 * 0.37).sin())).collect()).collect();
    let leaves: Vec<Value> = (0..n).map(|i| Value::new((i as f64 * 0.71).cos())).collect();
    let mut x: Vec<Value> = leaves.iter().map(|&l| l * 1.5).collect(); // a run of consecutive nodes
    if scattered {
        x.reverse();
    }
    let out = Value::matvec(&w, &x);
    let loss = Value::sum(&out.iter().map(|o| o.tanh()).collect::<Vec<_>>());
    loss.backward();
    let mut bits = vec![loss.data().to_bits()];
    bits.extend(out.iter().map(|o| o.data().to_bits()));
    bits.extend(w.iter().flatten().chain(&leaves).map(|v| v.grad().to_bits()));
    previous.set();
    bits
}

#[test]
fn scalar_matvec_fast_equals_plain_to_the_bit() {
    // Each sum adds its terms left to right from 0 in both, so the bits must match: every row count
    // around the fast kernel's blocks of four, rows of 0, 1 and more, x consecutive or not.
    for rows in 0..=9 {
        for n in [0, 1, 2, 5, 16] {
            for scattered in [false, true] {
                assert_eq!(
                    matvec_bits(Kernels::Fast, rows, n, scattered),
                    matvec_bits(Kernels::Plain, rows, n, scattered),
                    "{rows} rows of {n} (x scattered: {scattered})"
                );
            }
        }
    }
}
