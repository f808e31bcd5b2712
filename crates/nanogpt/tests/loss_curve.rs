//! `nanogpt loss-curve` draws a run's log, and refuses what it cannot draw in one line.

use harness::testdata::{StageBin, assert_one_line_error, assert_unchanged, snapshot, temp_dir};

#[test]
fn a_run_is_drawn_and_bad_input_is_one_line() {
    let bin = StageBin::new(
        env!("CARGO_BIN_EXE_nanogpt"),
        &["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--eval-iters", "2", "--batch-size", "8"],
    );
    let dir = temp_dir("loss-curve");
    let (_, run) = bin.trained(&dir, &[]);
    let (run, stem) = (run.to_str().unwrap(), dir.join("loss"));
    let draw = |extra: &[&str]| {
        bin.run(&[&["loss-curve", "--checkpoint", run, "--figure", stem.to_str().unwrap()], extra].concat())
    };
    let output = draw(&["--target", "2.5"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.join("loss.png").is_file() && dir.join("loss.svg").is_file());
    let before = snapshot(&dir);
    assert_one_line_error(&draw(&["--target", "NaN"]), "--target");
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let no_log = bin.run(&["loss-curve", "--checkpoint", empty.to_str().unwrap(), "--figure", "x"]);
    assert_one_line_error(&no_log, "log.jsonl");
    std::fs::remove_dir(&empty).unwrap();
    assert_unchanged(&dir, &before);
}
