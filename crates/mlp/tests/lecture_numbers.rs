//! The final losses chapter 3 quotes, reproduced by the runs it describes (200,000 steps each, about
//! 10 s of CPU in release mode, so `#[ignore]`: `.ci/run` runs them with `--release -- --ignored`).
//! Four printed decimals, so the tolerance is half a unit in the last place.

use std::path::Path;
use std::process::Command;

use harness::testdata::{makemore_names, ssa_names, temp_dir};

/// Trains with `flags` on `data` and returns the final `train loss | val loss` line's numbers.
fn final_losses(name: &str, data: &Path, flags: &[&str]) -> (f64, f64) {
    let out = temp_dir(name);
    let output = Command::new(env!("CARGO_BIN_EXE_mlp"))
        .args(["train", "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(flags)
        .output()
        .expect("the mlp binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let last = stdout.lines().last().expect("mlp train prints its final losses");
    let number = |label: &str| -> f64 {
        let rest = last.split(label).nth(1).unwrap_or_else(|| panic!("no {label:?} in {last:?}"));
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (number("train loss"), number("val loss"))
}

fn assert_printed(got: (f64, f64), want: (f64, f64), what: &str) {
    let close = |a: f64, b: f64| (a - b).abs() <= 0.5e-4 + 1e-12;
    assert!(close(got.0, want.0) && close(got.1, want.1), "{what}: got {got:?}, the chapter says {want:?}");
}

const PART3: &[&str] = &["--scale-output", "--kaiming", "--batchnorm"];

#[test]
#[ignore = "200,000 steps (about 10 s of CPU in release)"]
fn part2_default_run_on_the_repo_names() {
    assert_printed(final_losses("part2-ssa", &ssa_names(), &[]), (2.1464, 2.2064), "part 2, data/names.txt");
}

#[test]
#[ignore = "200,000 steps (about 12 s of CPU in release)"]
fn part3_fixes_on_the_repo_names() {
    assert_printed(
        final_losses("part3-ssa", &ssa_names(), PART3),
        (2.0664, 2.1201),
        "part 3, data/names.txt",
    );
}

#[test]
#[cfg_attr(makemore_names, ignore = "200,000 steps (about 10 s of CPU in release)")]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn part2_default_run_on_makemore_names() {
    let path = makemore_names().expect("makemore's names.txt, which this ignored test needs");
    assert_printed(
        final_losses("part2-makemore", &path, &[]),
        (2.1301, 2.1742),
        "part 2, makemore's names.txt",
    );
}

#[test]
#[cfg_attr(makemore_names, ignore = "200,000 steps (about 12 s of CPU in release)")]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn part3_fixes_on_makemore_names() {
    let path = makemore_names().expect("makemore's names.txt, which this ignored test needs");
    assert_printed(
        final_losses("part3-makemore", &path, PART3),
        (2.0695, 2.1150),
        "part 3, makemore's names.txt",
    );
}

const PART5: &[&str] =
    &["--wavenet", "--block-size", "8", "--n-embd", "24", "--n-hidden", "128", "--scale-output", "--kaiming"];

#[test]
#[ignore = "200,000 steps of the WaveNet (about 90 s of CPU in release)"]
fn part5_wavenet_on_the_repo_names() {
    assert_printed(
        final_losses("part5-ssa", &ssa_names(), PART5),
        (1.7907, 2.0001),
        "part 5, data/names.txt",
    );
}
