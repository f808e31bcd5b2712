//! Plain-line progress output (what CI and pipes see). The bar itself needs a terminal; it is exercised
//! by running a stage binary in one.

use harness::Progress;
use harness::progress::step_line;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A writer whose output the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn the_line_format() {
    assert_eq!(step_line(0, 3.295_836_866), "step 0 | loss 3.2958");
    assert_eq!(step_line(999, 2.0), "step 999 | loss 2.0000");
    assert_eq!(step_line(5, f64::NAN), "step 5 | loss NaN");
}

#[test]
fn plain_lines_every_n_steps_and_at_the_end() {
    let out = Captured::default();
    let mut p = Progress::plain(25, out.clone()).every(10);
    for step in 0..25 {
        p.step(step, 3.0 - step as f64 * 0.01);
    }
    p.println("val loss 2.9000");
    p.finish();
    assert_eq!(
        out.text(),
        "step 0 | loss 3.0000\nstep 10 | loss 2.9000\nstep 20 | loss 2.8000\nstep 24 | loss 2.7600\nval loss 2.9000\n"
    );
}

#[test]
fn default_interval_is_a_tenth_of_the_run() {
    let out = Captured::default();
    let mut p = Progress::plain(100, out.clone());
    for step in 0..100 {
        p.step(step, 1.0);
    }
    p.finish();
    let steps: Vec<String> = out.text().lines().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(steps, ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "99"]);
}

#[test]
fn every_zero_means_every_step() {
    let out = Captured::default();
    let mut p = Progress::plain(3, out.clone()).every(0);
    for step in 0..3 {
        p.step(step, 1.5);
    }
    assert_eq!(out.text().lines().count(), 3);
}
