//! The run log's clocks: `elapsed_s` counts everything since the run began, `train_s` only the steps
//! (what `cargo xtask ladder` compares trainers by), and the evaluation before the first step.

use std::time::Duration;

use harness::Vocab;
use harness::checkpoint::NamedTensor;
use harness::run::{Run, Saver};
use harness::rundir::RunDir;
use harness::runlog::{LOG_FILE, read_run_log};

const STAGE: &str = "clock";

#[test]
fn train_s_leaves_out_evaluations_and_checkpoints_and_the_start_is_logged() {
    let dir = std::env::temp_dir().join(format!("harness-run-clock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run_dir = RunDir::create(&dir, STAGE).unwrap();
    let saver = Saver::new(&run_dir, &"config").unwrap();
    let (vocab, weights) = (Vocab::from_docs(&["ab"][..]), vec![NamedTensor::f64("w", &[1], vec![1.0])]);
    let pause = |ms| std::thread::sleep(Duration::from_millis(ms));
    let mut run = Run::new(STAGE, 2, 1, Some(&saver)).unwrap();
    pause(300); // evaluating the fresh model
    run.eval_start(3.3).unwrap();
    for step in 0..2 {
        pause(100); // a training step
        assert!(run.step(step, 3.0, 7).unwrap());
        pause(300); // its evaluation
        run.eval(step, 2.9).unwrap();
        pause(300); // and its checkpoint
        run.checkpoint(&weights, &vocab, &harness::PyRandom::new(1)).unwrap();
    }
    run.finish().unwrap();
    let log = read_run_log(&dir.join(LOG_FILE)).unwrap();
    let steps: Vec<_> = log.iter().map(|r| (r.step, r.tokens_seen, r.val_loss)).collect();
    assert_eq!(steps, [(0, 0, Some(3.3)), (1, 7, Some(2.9)), (2, 14, Some(2.9))]);
    assert_eq!(log[0].train_s, Some(0.0), "nothing trained before the first step");
    // Two steps of 0.1 s were trained, of the 1.4 s before the last record (sleeps may run long).
    let (train, elapsed) = (log[2].train_s.unwrap(), log[2].elapsed_s);
    assert!((0.2..0.5).contains(&train), "train_s {train}");
    assert!(elapsed >= 1.4, "elapsed_s {elapsed}");
    let _ = std::fs::remove_dir_all(&dir);
}
