//! `PyRandom` against numbers printed by CPython 3.11.7 (`import random as R`). Each expected value was
//! produced once by the Python line in the comment above it and pasted here; floats compare bit for bit.

use harness::PyRandom;
use harness::pyrandom::ChoicesError;
use rand::{Rng, RngCore, SeedableRng};

fn assert_bits(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "value {i}: got {g:?}, want {w:?}");
    }
}

#[test]
fn random_matches_python_seed_42() {
    // R.seed(42); print([R.random() for _ in range(5)])
    let want = [
        0.6394267984578837,
        0.025010755222666936,
        0.27502931836911926,
        0.22321073814882275,
        0.7364712141640124,
    ];
    let mut r = PyRandom::new(42);
    let got: Vec<f64> = (0..5).map(|_| r.random()).collect();
    assert_bits(&got, &want);
}

#[test]
fn seeds_use_every_32_bit_word() {
    // for s in (0,1,42,2**32-1,2**32,2**40+5,2**64-1):
    //     R.seed(s); print(s, [R.getrandbits(32) for _ in range(3)], R.random())
    let cases: [(u64, [u32; 3], f64); 7] = [
        (0, [3626764237, 1654615998, 3255389356], 0.890243920837131),
        (1, [577090037, 2444712010, 3639700191], 0.8022650611681835),
        (42, [2746317213, 478163327, 107420369], 0.7415504997598329),
        (4294967295, [2728839433, 2661025012, 872737089], 0.21534345751528883),
        (4294967296, [485306839, 1508871100, 1794561286], 0.9347212762883035),
        (1099511627781, [2166296868, 2220160828, 1153647273], 0.6637982795073579),
        (18446744073709551615, [93740670, 1068495656, 1452108352], 0.6187512294349632),
    ];
    for (seed, words, float) in cases {
        let mut r = PyRandom::new(seed);
        let got: Vec<u32> = (0..3).map(|_| r.genrand_u32()).collect();
        assert_eq!(got, words, "seed {seed}");
        assert_bits(&[r.random()], &[float]);
    }
}

#[test]
fn getrandbits_small_and_large_k() {
    // R.seed(42); print([R.getrandbits(k) for k in (1,7,31,32,33,53,63,64)])
    let want: [u64; 8] =
        [1, 14, 53710184, 3184935163, 1181241943, 1256845828445918, 945351111358374057, 13662908291426823533];
    let mut r = PyRandom::new(42);
    let got: Vec<u64> = [1, 7, 31, 32, 33, 53, 63, 64].iter().map(|&k| r.getrandbits(k)).collect();
    assert_eq!(got, want);
}

#[test]
fn getrandbits_beyond_64_bits_and_zero() {
    // R.seed(42); print(hex(R.getrandbits(100)), hex(R.getrandbits(65)), R.getrandbits(0), R.random())
    let mut r = PyRandom::new(42);
    // 0xb06671ad11c80317fa3b1799d as 32-bit words, least significant first.
    assert_eq!(r.getrandbits_words(100), vec![0xa3b1799d, 0x1c80317f, 0x06671ad1, 0xb]);
    // 0x3eb13b9046685257: 65 bits whose top bit happened to be 0.
    assert_eq!(r.getrandbits_words(65), vec![0x46685257, 0x3eb13b90, 0x0]);
    assert_eq!(r.getrandbits(0), 0);
    assert_bits(&[r.random()], &[0.1395379285251439]); // getrandbits(0) consumed nothing
}

#[test]
fn getrandbits_and_its_words_agree_up_to_64_bits() {
    let (mut a, mut b) = (PyRandom::new(2024), PyRandom::new(2024));
    for k in 0..=64 {
        let words = b.getrandbits_words(k);
        assert_eq!(words.len(), k.div_ceil(32) as usize);
        let joined = words.iter().rev().fold(0u64, |acc, &w| (acc << 32) | u64::from(w));
        assert_eq!(a.getrandbits(k), joined, "k = {k}");
    }
}

#[test]
fn stream_survives_many_twists() {
    // R.seed(42); [R.getrandbits(32) for _ in range(10000)]; print(R.getrandbits(32), R.random())
    let mut r = PyRandom::new(42);
    for _ in 0..10_000 {
        r.genrand_u32();
    }
    assert_eq!(r.genrand_u32(), 557113691);
    assert_bits(&[r.random()], &[0.6142899808483894]);
}

#[test]
fn randrange_uses_randbelow_with_getrandbits() {
    // R.seed(42); print([R.randrange(n) for n in (1,2,3,10,100,1000,2**31,2**32+1,2**63,2**64-1)])
    let ns: [u64; 10] = [1, 2, 3, 10, 100, 1000, 1 << 31, (1 << 32) + 1, 1 << 63, u64::MAX];
    let want: [u64; 10] =
        [0, 0, 2, 4, 31, 228, 599310825, 3163119785, 586287033698423193, 1728372192399379054];
    let mut r = PyRandom::new(42);
    let got: Vec<u64> = ns.iter().map(|&n| r.randbelow(n)).collect();
    assert_eq!(got, want);
}

#[test]
fn randint_is_inclusive_randrange() {
    // R.seed(42); print([R.randint(-5,5) for _ in range(10)])
    let mut r = PyRandom::new(42);
    let got: Vec<i64> = (0..10).map(|_| r.randint(-5, 5)).collect();
    assert_eq!(got, [5, -4, -5, -1, -2, -2, -3, -4, 5, 3]);
    let mut r = PyRandom::new(42);
    let got: Vec<i64> = (0..10).map(|_| r.randrange(-5, 6)).collect();
    assert_eq!(got, [5, -4, -5, -1, -2, -2, -3, -4, 5, 3]);
}

#[test]
fn uniform_matches_python() {
    // R.seed(42); print([R.uniform(-2,3) for _ in range(3)])
    let mut r = PyRandom::new(42);
    let got: Vec<f64> = (0..3).map(|_| r.uniform(-2.0, 3.0)).collect();
    assert_bits(&got, &[1.1971339922894186, -1.8749462238866652, -0.6248534081544037]);
}

#[test]
fn gauss_matches_python_including_its_cache() {
    // R.seed(42); print([R.gauss(0,1) for _ in range(3)], R.gauss(1.5,0.02))
    let mut r = PyRandom::new(42);
    let got: Vec<f64> = (0..3).map(|_| r.gauss(0.0, 1.0)).collect();
    let fourth = r.gauss(1.5, 0.02);
    assert_bits(&got, &[-0.14409032957792836, -0.1729036003315193, -0.11131586156766246]);
    assert_bits(&[fourth], &[1.5140396745019773]);
}

#[test]
fn seed_forgets_the_cached_gauss() {
    let mut r = PyRandom::new(42);
    let first = r.gauss(0.0, 1.0); // leaves the second normal cached
    r.seed(42);
    assert_bits(&[r.gauss(0.0, 1.0)], &[first]);
    assert_bits(&[first], &[-0.14409032957792836]);
}

#[test]
fn shuffle_matches_python() {
    // for s in (0,1,42): R.seed(s); x=list(range(20)); R.shuffle(x); print(s, x)
    let cases: [(u64, [u32; 20]); 3] = [
        (0, [10, 18, 16, 14, 0, 17, 11, 2, 3, 9, 5, 7, 4, 19, 6, 15, 8, 1, 13, 12]),
        (1, [11, 5, 17, 19, 9, 0, 16, 1, 15, 6, 10, 13, 14, 12, 7, 3, 8, 2, 18, 4]),
        (42, [19, 5, 14, 4, 9, 13, 15, 18, 6, 12, 17, 10, 1, 11, 2, 16, 7, 8, 0, 3]),
    ];
    for (seed, want) in cases {
        let mut x: Vec<u32> = (0..20).collect();
        PyRandom::new(seed).shuffle(&mut x);
        assert_eq!(x, want, "seed {seed}");
    }
}

#[test]
fn choices_matches_python() {
    // R.seed(42); print(R.choices(range(5), weights=[0.1,0.2,0.3,0.25,0.15], k=20))
    let mut r = PyRandom::new(42);
    let got = r.try_choices_k(&[0.1, 0.2, 0.3, 0.25, 0.15], 20).unwrap();
    assert_eq!(got, [3, 0, 1, 1, 3, 3, 4, 0, 2, 0, 1, 2, 0, 1, 3, 2, 1, 2, 3, 0]);
    // One draw at a time is the same stream.
    let mut r = PyRandom::new(42);
    let one_by_one: Vec<usize> =
        (0..20).map(|_| r.try_choices(&[0.1, 0.2, 0.3, 0.25, 0.15]).unwrap()).collect();
    assert_eq!(one_by_one, got);
}

#[test]
fn choices_never_picks_zero_weights() {
    // R.seed(7); print(R.choices(range(4), weights=[0,1,0,2], k=12))
    let mut r = PyRandom::new(7);
    let got = r.try_choices_k(&[0.0, 1.0, 0.0, 2.0], 12).unwrap();
    assert_eq!(got, [1, 1, 3, 1, 3, 3, 1, 3, 1, 3, 1, 1]);
}

#[test]
fn choices_refuses_what_python_refuses_and_any_bad_weight() {
    let mut r = PyRandom::new(0);
    assert_eq!(r.try_choices(&[]), Err(ChoicesError::Empty));
    assert_eq!(r.try_choices(&[0.0, 0.0]), Err(ChoicesError::NonPositiveTotal(0.0)));
    assert!(matches!(
        r.try_choices(&[1.0, f64::NAN]),
        Err(ChoicesError::BadWeight { index: 1, value }) if value.is_nan()
    ));
    assert_eq!(
        r.try_choices(&[1.0, f64::INFINITY]),
        Err(ChoicesError::BadWeight { index: 1, value: f64::INFINITY })
    );
    assert_eq!(
        r.try_choices(&[f64::NEG_INFINITY, 1.0]),
        Err(ChoicesError::BadWeight { index: 0, value: f64::NEG_INFINITY })
    );
    // Python would bisect over a negative weight when the total is positive; from a model it is a bug.
    assert_eq!(r.try_choices(&[0.5, -0.25, 1.0]), Err(ChoicesError::BadWeight { index: 1, value: -0.25 }));
    // Every weight finite, but their sum is not.
    assert_eq!(r.try_choices(&[f64::MAX, f64::MAX]), Err(ChoicesError::NonFiniteTotal(f64::INFINITY)));
    assert_eq!(r.try_choices_k(&[0.0], 3), Err(ChoicesError::NonPositiveTotal(0.0)));
    for bad in [&[][..], &[f64::NAN], &[0.0, 0.0], &[-1.0], &[f64::MAX, f64::MAX]] {
        let msg = r.try_choices(bad).unwrap_err().to_string();
        assert!(msg.starts_with("cannot sample") && !msg.contains('\n'), "{msg}");
    }
    // Refusals consume no randomness: the stream is still at its start.
    assert_eq!(r.genrand_u32(), 3626764237);
}

#[test]
fn rngcore_follows_python_streams() {
    // R.seed(42); print(list(R.randbytes(7)), list(R.randbytes(8)))
    let mut r = PyRandom::new(42);
    let (mut seven, mut eight) = ([0u8; 7], [0u8; 8]);
    r.fill_bytes(&mut seven);
    r.fill_bytes(&mut eight);
    assert_eq!(seven, [157, 121, 177, 163, 49, 128, 28]);
    assert_eq!(eight, [209, 26, 103, 6, 251, 64, 214, 189]);

    // next_u32 is genrand_uint32 (see seeds_use_every_32_bit_word), next_u64 is getrandbits(64).
    let mut a = PyRandom::seed_from_u64(42);
    let mut b = PyRandom::new(42);
    assert_eq!(a.next_u32(), 2746317213);
    b.genrand_u32();
    assert_eq!(a.next_u64(), b.getrandbits(64));
    // rand's own traits run on top of it (`Rng::random` is rand's, not `random.random()`).
    let x: f64 = Rng::random(&mut a);
    assert!((0.0..1.0).contains(&x));
    let die = a.random_range(1..=6u32);
    assert!((1..=6).contains(&die));
    assert_eq!(PyRandom::from_seed(42u64.to_le_bytes()).next_u32(), 2746317213);
}
