//! The divergence guard: a run whose loss or weights have blown up stops with one line, before it logs
//! or saves anything from the blown-up state.
//!
//! The rule, the same for every stage and every loss (train or validation):
//! - a loss that is NaN or infinite has **diverged**;
//! - a finite loss above [`LOSS_LIMIT`] = 1000 has **exploded**. Every loss in these lectures is a mean
//!   cross-entropy in nats (or micrograd's moons hinge loss, around 1): the uniform guess over 27
//!   characters is ln 27 ≈ 3.3, and the worst start the lectures show (makemore's unscaled
//!   initialisation) is 27.9. A loss of 1000 means the right token got probability e⁻¹⁰⁰⁰: no run that is
//!   still learning gets there, and a too-large learning rate passes through it on its way to 1e31 and NaN.
//! - weights that hold a NaN or an infinity have diverged, whatever the loss said (the last update of a
//!   run is never seen by a loss).
//!
//! The error names the step and suggests the usual cure, a lower `--learning-rate`.

use crate::checkpoint::{NamedTensor, TensorData};
use std::fmt;

/// Above this a finite loss counts as exploded (see the module docs for why 1000).
pub const LOSS_LIMIT: f64 = 1000.0;

/// A run that has diverged: what blew up, where, and to what. Prints as one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Diverged {
    /// The step at which it was seen, when known.
    pub step: Option<usize>,
    /// What blew up: `train loss`, `val loss`, or `weights (tensor `wte`)`.
    pub what: String,
    /// The offending value.
    pub value: f64,
}

impl fmt::Display for Diverged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(step) = self.step {
            write!(f, "step {step}: ")?;
        }
        let how = if self.value.is_finite() {
            format!("{} is {:e}, above {LOSS_LIMIT}", self.what, self.value)
        } else {
            format!("{} is {}", self.what, self.value)
        };
        write!(f, "{how}: training diverged (try a lower --learning-rate); nothing was saved from it")
    }
}

impl std::error::Error for Diverged {}

fn check(step: Option<usize>, what: &str, loss: f64) -> Result<(), Diverged> {
    if loss.is_finite() && loss <= LOSS_LIMIT {
        Ok(())
    } else {
        Err(Diverged { step, what: what.to_owned(), value: loss })
    }
}

/// Checks the training loss of `step`: an error if it is NaN, infinite or above [`LOSS_LIMIT`].
pub fn check_loss(step: usize, train_loss: f64) -> Result<(), Diverged> {
    check(Some(step), "train loss", train_loss)
}

/// Checks the validation loss of `step`, by the same rule as [`check_loss`].
pub fn check_val(step: usize, val_loss: f64) -> Result<(), Diverged> {
    check(Some(step), "val loss", val_loss)
}

/// Checks that every weight is finite; the error names the first tensor that is not.
pub fn check_weights(tensors: &[NamedTensor]) -> Result<(), Diverged> {
    match first_non_finite(tensors) {
        Some((name, value)) => {
            Err(Diverged { step: None, what: format!("weights (tensor `{name}`)"), value })
        }
        None => Ok(()),
    }
}

/// The first tensor holding a NaN or infinity, and that value.
pub(crate) fn first_non_finite(tensors: &[NamedTensor]) -> Option<(&str, f64)> {
    tensors.iter().find_map(|t| {
        let bad = match &t.data {
            TensorData::F32(v) => v.iter().find(|x| !x.is_finite()).map(|&x| f64::from(x)),
            TensorData::F64(v) => v.iter().find(|x| !x.is_finite()).copied(),
        };
        bad.map(|x| (t.name.as_str(), x))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_line(e: &Diverged) -> String {
        let s = e.to_string();
        assert_eq!(s.lines().count(), 1, "{s}");
        s
    }

    #[test]
    fn ordinary_losses_pass() {
        for loss in [0.0, 2.05, 3.2958, 27.88, LOSS_LIMIT] {
            check_loss(3, loss).unwrap();
            check_val(3, loss).unwrap();
        }
    }

    #[test]
    fn non_finite_losses_stop_the_run_naming_the_step() {
        for (loss, shown) in [(f64::NAN, "NaN"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "-inf")] {
            let e = check_loss(17, loss).unwrap_err();
            let s = one_line(&e);
            assert!(s.starts_with("step 17: train loss is ") && s.contains(shown), "{s}");
            assert!(s.contains("--learning-rate"), "{s}");
            let s = one_line(&check_val(4, loss).unwrap_err());
            assert!(s.starts_with("step 4: val loss is "), "{s}");
        }
    }

    #[test]
    fn exploding_finite_losses_stop_the_run() {
        for loss in [1000.5, 1e31, f64::MAX] {
            let s = one_line(&check_loss(0, loss).unwrap_err());
            assert!(s.contains("above 1000") && s.contains("diverged"), "{s}");
        }
        // A negative cross-entropy cannot happen, but is finite and not exploding: not this guard's job.
        check_loss(0, -1.0).unwrap();
    }

    #[test]
    fn non_finite_weights_name_the_tensor() {
        let good = NamedTensor::f32("wte", &[2], vec![1.0, -2.0]);
        check_weights(std::slice::from_ref(&good)).unwrap();
        check_weights(&[]).unwrap();
        for bad in [
            NamedTensor::f32("lm_head", &[3], vec![0.0, f32::NAN, 1.0]),
            NamedTensor::f64("W", &[1], vec![f64::NEG_INFINITY]),
        ] {
            let name = bad.name.clone();
            let e = check_weights(&[good.clone(), bad]).unwrap_err();
            let s = one_line(&e);
            assert!(s.contains(&format!("tensor `{name}`")) && !s.starts_with("step"), "{s}");
        }
        // Huge but finite weights are finite: the loss guard judges them.
        check_weights(&[NamedTensor::f32("w", &[1], vec![f32::MAX])]).unwrap();
    }
}
