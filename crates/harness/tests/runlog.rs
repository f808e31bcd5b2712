//! The run log: JSON lines written one flushed line at a time, read back with errors that name the line.

use harness::runlog::{LOG_FILE, RunLogError};
use harness::{Record, RunLogWriter, read_run_log};
use std::path::PathBuf;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("harness-runlog").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn record(step: usize, val: Option<f64>) -> Record {
    Record {
        stage: "bigram".into(),
        step,
        tokens_seen: 32 * step as u64,
        elapsed_s: 0.5 * step as f64,
        train_loss: Some(3.3 - 0.01 * step as f64),
        val_loss: val,
        val_bpb: None,
        train_s: None,
    }
}

#[test]
fn round_trip_with_nulls_and_exact_floats() {
    let path = fresh_dir("round-trip").join("nested").join(LOG_FILE);
    let mut w = RunLogWriter::create(&path).unwrap(); // creates the parent directories
    assert!(w.replacing().is_none());
    let records = [record(0, Some(3.2958)), record(10, None), record(20, Some(2.4544382131))];
    for r in &records {
        w.append(r).unwrap();
    }
    // Each line is on disk as soon as it is appended (the writer is still open here).
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert_eq!(
        text.lines().nth(1).unwrap(),
        r#"{"stage":"bigram","step":10,"tokens_seen":320,"elapsed_s":5.0,"train_loss":3.1999999999999997,"val_loss":null}"#
    );
    let back = read_run_log(&path).unwrap();
    assert_eq!(back, records);
    assert_eq!(back[2].val_loss.unwrap().to_bits(), 2.4544382131f64.to_bits());
}

#[test]
fn bad_json_names_the_line() {
    let dir = fresh_dir("bad-json");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(LOG_FILE);
    let good = serde_json::to_string(&record(1, None)).unwrap();
    std::fs::write(&path, format!("{good}\n\n{good}\n{{\"stage\": \"mlp\", \"step\": \n")).unwrap();
    let err = read_run_log(&path).unwrap_err();
    assert!(matches!(err, RunLogError::BadLine { line: 4, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("line 4") && msg.contains(&path.display().to_string()) && !msg.contains('\n'),
        "{msg}"
    );
}

#[test]
fn a_previous_log_of_ours_is_replaced_with_a_note() {
    let path = fresh_dir("replace").join(LOG_FILE);
    let mut w = RunLogWriter::create(&path).unwrap();
    w.append(&record(0, None)).unwrap();
    drop(w);
    let w = RunLogWriter::create(&path).unwrap();
    let note = w.replacing().expect("the earlier log is ours").to_string();
    assert!(note.starts_with("replacing previous run in"), "{note}");
    assert!(read_run_log(&path).unwrap().is_empty(), "the new log starts empty");
}

#[test]
fn someone_elses_file_is_refused_and_kept() {
    let dir = fresh_dir("not-ours");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(LOG_FILE);
    std::fs::write(&path, "my precious notes\n").unwrap();
    let err = RunLogWriter::create(&path).unwrap_err();
    assert!(matches!(err, RunLogError::Overwrite(_)), "{err:?}");
    assert!(err.to_string().starts_with("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my precious notes\n");
}

#[test]
fn ownership_is_per_file_not_per_run_dir() {
    // A run directory of ours (its config.json is ours) does not make a garbage log.jsonl beside it ours.
    let dir = fresh_dir("run-dir");
    harness::checkpoint::save(&dir, "bigram", &(), &[harness::NamedTensor::f32("w", &[1], vec![1.0])])
        .unwrap();
    let path = dir.join(LOG_FILE);
    std::fs::write(&path, "half a line from a crash {\"sta").unwrap();
    let err = RunLogWriter::create(&path).unwrap_err();
    assert!(err.to_string().starts_with("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "half a line from a crash {\"sta");
}

#[test]
fn a_log_torn_by_a_kill_after_a_record_is_still_ours() {
    let dir = fresh_dir("torn");
    let path = dir.join(LOG_FILE);
    let mut w = RunLogWriter::create(&path).unwrap();
    w.append(&record(1, Some(2.0))).unwrap();
    drop(w);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"stage\":\"bi");
    std::fs::write(&path, &text).unwrap();
    assert!(harness::runlog::is_our_log(&path));
    assert!(RunLogWriter::create(&path).unwrap().replacing().is_some());
    std::fs::write(&path, "").unwrap();
    assert!(harness::runlog::is_our_log(&path), "an empty log (killed before its first record) is ours");
}
