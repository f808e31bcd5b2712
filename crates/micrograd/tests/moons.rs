//! The moons demo: it separates the data, and it is micrograd's demo number for number.
//!
//! `reference/moons-micrograd.out` is the output of `reference/moons.py`: Karpathy's notebook loop run by
//! the original Python micrograd (`pip install micrograd`) on this crate's data generator, transcribed
//! with Python's `random`, whose stream `PyRandom` reproduces.

use micrograd::moons::{self, MoonsConfig};

const REFERENCE: &str = include_str!("reference/moons-micrograd.out");

/// The loss and accuracy (in %) of each `step k loss L, accuracy A%` line.
fn reference_steps() -> Vec<(f64, f64)> {
    REFERENCE
        .lines()
        .filter_map(|l| l.strip_prefix("step "))
        .map(|l| {
            let (_, rest) = l.split_once(" loss ").unwrap();
            let (loss, acc) = rest.split_once(", accuracy ").unwrap();
            (loss.parse().unwrap(), acc.trim_end_matches('%').parse().unwrap())
        })
        .collect()
}

#[test]
fn reaches_100_percent_training_accuracy() {
    let run = moons::train(&MoonsConfig::default(), |_| {}).unwrap();
    assert_eq!(run.history.len(), 100);
    let last = run.history.last().unwrap();
    assert_eq!(last.accuracy, 1.0, "{last}");
    assert!(last.loss < 0.02, "{last}");
    assert!(run.history[0].loss > 0.5, "the untrained net should be poor: {}", run.history[0]);
}

#[test]
fn same_data_weights_and_losses_as_python_micrograd() {
    let reference = reference_steps();
    assert_eq!(reference.len(), 100);
    let run = moons::train(&MoonsConfig::default(), |_| {}).unwrap();
    // The data generator is the Python one, to the bit.
    let first = REFERENCE.lines().next().unwrap();
    let p = run.data.points[0];
    assert_eq!(first, format!("first point {:?} {:?} label {:?}", p[0], p[1], run.data.labels[0]));
    // Step 0 is a forward pass only, and with every bias still 0 our `w·x + b` adds in the same order
    // as micrograd's `b + Σ wᵢxᵢ`: same data, same weights, same arithmetic, the same bits.
    assert_eq!(run.history[0].loss.to_bits(), reference[0].0.to_bits(), "{}", run.history[0]);
    // After that the gradients are sums whose order differs (micrograd's order follows Python's set
    // iteration, which varies from run to run even in Python), so the last bits differ, and stay tiny.
    for (ours, (loss, acc)) in run.history.iter().zip(&reference) {
        assert!((ours.loss - loss).abs() <= 1e-12 * loss.abs(), "{ours} vs Python's loss {loss}");
        assert_eq!(ours.accuracy * 100.0, *acc, "{ours} vs Python's accuracy {acc}%");
    }
}

#[test]
fn prints_the_notebooks_line() {
    let report = moons::StepReport { step: 3, loss: 0.25, accuracy: 0.87 };
    assert_eq!(report.to_string(), format!("step 3 loss 0.25, accuracy {:?}%", 0.87 * 100.0));
}

#[test]
fn draws_the_decision_boundary_as_png_and_svg() {
    let cfg = MoonsConfig { steps: 3, ..MoonsConfig::default() };
    let run = moons::train(&cfg, |_| {}).unwrap();
    let dir = std::env::temp_dir().join(format!("micrograd-moons-figure-{}", std::process::id()));
    let saved = moons::figure::draw_boundary(&run, &dir.join("moons")).unwrap();
    let png = std::fs::read(&saved.png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(&saved.svg).unwrap();
    assert!(svg.contains("MLP(2, [16, 16, 1])"));
    std::fs::remove_dir_all(dir).unwrap();
}
