//! Two interleaving half circles: the toy data set of micrograd's demo, generated here rather than taken
//! from scikit-learn, following `sklearn.datasets.make_moons` step by step.

use harness::pyrandom::PyRandom;

/// Points in the plane with a label of -1 or +1 each.
#[derive(Debug, Clone, PartialEq)]
pub struct Moons {
    /// The points, (x, y).
    pub points: Vec<[f64; 2]>,
    /// -1 for the upper moon, +1 for the lower one: the sign the classifier's score should have.
    pub labels: Vec<f64>,
}

/// `n` evenly spaced angles from 0 to π, numpy's `linspace(0, π, n)` to the bit: `i · step`, and the last
/// one exactly π.
fn linspace_pi(n: usize) -> Vec<f64> {
    let step = std::f64::consts::PI / (n.max(2) - 1) as f64;
    (0..n).map(|i| if i + 1 == n && n > 1 { std::f64::consts::PI } else { i as f64 * step }).collect()
}

/// `make_moons(n, noise)`: `n / 2` points on the upper half circle centred at (0, 0) labelled -1, the rest
/// on the lower one centred at (1, 0.5) labelled +1, shuffled, then moved by Gaussian noise of standard
/// deviation `noise` in each coordinate. The shuffle and the noise come from `rng`, so a seed fixes them.
pub fn make_moons(n: usize, noise: f64, rng: &mut PyRandom) -> Moons {
    let n_out = n / 2;
    let n_in = n - n_out;
    let outer = linspace_pi(n_out).into_iter().map(|t| ([t.cos(), t.sin()], -1.0));
    let inner = linspace_pi(n_in).into_iter().map(|t| ([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1.0));
    let mut all: Vec<([f64; 2], f64)> = outer.chain(inner).collect();
    rng.shuffle(&mut all);
    for (p, _) in &mut all {
        p[0] += rng.gauss(0.0, noise);
        p[1] += rng.gauss(0.0, noise);
    }
    let (points, labels) = all.into_iter().unzip();
    Moons { points, labels }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_ends_on_pi_and_steps_evenly() {
        let t = linspace_pi(5);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[4], std::f64::consts::PI);
        assert_eq!(t[2], 2.0 * (std::f64::consts::PI / 4.0));
    }

    #[test]
    fn half_the_points_on_each_moon() {
        let m = make_moons(101, 0.0, &mut PyRandom::new(1));
        assert_eq!(m.points.len(), 101);
        assert_eq!(m.labels.iter().filter(|&&y| y < 0.0).count(), 50);
        assert_eq!(m.labels.iter().filter(|&&y| y > 0.0).count(), 51);
        // Without noise every point is on its circle.
        for (p, y) in m.points.iter().zip(&m.labels) {
            let c = if *y < 0.0 { [0.0, 0.0] } else { [1.0, 0.5] };
            let r = ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-12, "{p:?} is not on its moon");
        }
    }

    #[test]
    fn the_seed_fixes_the_data() {
        let a = make_moons(100, 0.1, &mut PyRandom::new(1337));
        assert_eq!(a, make_moons(100, 0.1, &mut PyRandom::new(1337)));
        assert_ne!(a, make_moons(100, 0.1, &mut PyRandom::new(1338)));
    }
}
