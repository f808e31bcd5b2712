//! Initialisers: Python's numbers from Python's RNG, and the right statistics.

use autograd::init;
use harness::PyRandom;

#[test]
fn box_muller_reproduces_python_random_gauss() {
    // python3: random.seed(42); [random.gauss(0, 1) for _ in range(6)]
    let want = [
        -0.14409032957792836,
        -0.1729036003315193,
        -0.11131586156766246,
        0.7019837250988631,
        -0.12758828378288709,
        -1.4973534143409575,
    ];
    let mut got = [0.0f64; 6];
    init::fill_normal(&mut PyRandom::new(42), &mut got, 0.0, 1.0);
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-15 * w.abs().max(1.0), "{got:?}");
    }
    // As a parameter (f32): random.seed(42); [random.gauss(0.5, 0.02) for _ in range(5)]
    let want = [
        0.49711819340844143,
        0.4965419279933696,
        0.49777368276864675,
        0.5140396745019773,
        0.49744823432434226,
    ];
    let p = init::normal(&mut PyRandom::new(42), &[5], 0.5, 0.02);
    for (g, w) in p.data().iter().zip(want) {
        assert_eq!(*g, w as f32);
    }
}

#[test]
fn uniform_reproduces_python_random() {
    // python3: random.seed(7); [random.random() for _ in range(3)], then random.uniform(-0.5, 0.5).
    let mut rng = PyRandom::new(7);
    let got: Vec<f64> = (0..3).map(|_| init::random(&mut rng)).collect();
    assert_eq!(got, vec![0.32383276483316237, 0.15084917392450192, 0.6509344730398537]);
    let p = init::uniform(&mut PyRandom::new(7), &[4], -0.5, 0.5);
    let want = [-0.17616723516683763, -0.3491508260754981, 0.15093447303985374, -0.42756371333245724];
    assert_eq!(p.data(), want.map(|w| w as f32).to_vec());
}

#[test]
fn kaiming_has_the_right_scale() {
    // makemore part 3: W1 ~ N(0, 1) · (5/3) / √fan_in.
    let fan_in = 30;
    let w = init::kaiming(&mut PyRandom::new(1), &[fan_in, 2000], fan_in, init::TANH_GAIN);
    let v = w.data();
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let want = 5.0 / 3.0 / (fan_in as f64).sqrt();
    assert!(mean.abs() < 0.01 * want * 10.0, "mean {mean}");
    assert!((std / want - 1.0).abs() < 0.01, "std {std} vs {want}");
    assert_eq!(w.shape(), [fan_in, 2000]);
    assert!(w.requires_grad());
}

#[test]
fn uniform_stays_in_range_and_constant_fills() {
    let u = init::uniform(&mut PyRandom::new(3), &[1000], -0.25, 0.25);
    assert!(u.data().iter().all(|&x| (-0.25..0.25).contains(&x)));
    assert_eq!(init::constant(&[3], 1.0).data(), vec![1.0; 3]);
}
