//! `cargo xtask ladder --quick` end to end: it builds microgpt and nanogpt in release mode and trains
//! six runs, so it is ignored by default (CI runs it with `--ignored`).

use xtask::ladder::{self, Budget, Options};
use xtask::workspace_root;

#[test]
#[ignore = "builds microgpt and nanogpt in release mode and trains each rung briefly (about a minute)"]
fn quick_ladder_trains_one_model_on_every_rung_and_tabulates_it() {
    let root = workspace_root();
    let out = std::env::temp_dir().join(format!("xtask-ladder-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let budget = Budget::QUICK;
    let report =
        ladder::ladder(&root, &Options { out: out.clone(), budget, quick: true }).expect("the ladder runs");

    assert_eq!(report.rows.len(), 6);
    // The same model on every rung: the val loss before training agrees to f32 precision (rungs 1-2
    // compute in f64, 3-6 in f32), over the whole val split.
    let initial: Vec<f64> =
        report.rows.iter().map(|r| r.timed.initial_val.expect("a step-0 evaluation")).collect();
    for (row, v) in report.rows.iter().zip(&initial) {
        assert!((v - initial[0]).abs() <= 1e-6 * initial[0], "{}: {v} against {}", row.rung.name, initial[0]);
        assert!(
            (v - 27f64.ln()).abs() < 0.1,
            "{}: a fresh model is near the uniform guess, not {v}",
            row.rung.name
        );
    }
    for row in &report.rows {
        let t = &row.timed;
        // Every rung learns, saw the same names, and timed its training.
        let last = t.final_val.unwrap();
        assert!(last < t.initial_val.unwrap() - 0.3, "{}: val {last} barely fell", row.rung.name);
        assert_eq!(t.steps * row.rung.batch, budget.doc_steps, "{}", row.rung.name);
        assert!(t.train_s > 0.0 && t.predictions > 0, "{}: {t:?}", row.rung.name);
        assert!(row.records.iter().all(|r| r.train_s.unwrap() <= r.elapsed_s), "{}", row.rung.name);
    }
    // Micrograd's nodes and the fused ones are the same arithmetic: the same losses to the bit.
    let vals = |i: usize| report.rows[i].records.iter().map(|r| r.val_loss).collect::<Vec<_>>();
    assert_eq!(vals(0), vals(1));
    // The plain and fast tensor kernels agree to f32 rounding; one thread and two to the bit.
    for (x, y) in vals(3).iter().zip(vals(4)) {
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!((x - y).abs() < 1e-5, "rungs 4 and 5: {x} against {y}");
    }
    assert_eq!(vals(4), vals(5), "rungs 5 and 6: the thread count changes no bit");

    // The table: a header, the CPython row (run or not), one row per rung, labelled a smoke test.
    let md = std::fs::read_to_string(&report.table).unwrap();
    assert!(md.contains("SMOKE TEST"), "{md}");
    let (ladder, rest) = md.split_once("\nThe top rungs again").expect("the second table follows");
    let rows: Vec<&str> = ladder.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 1 + 1 + 6, "{md}");
    // Then the top rungs at the default size (a header and three rows), and every rung's command.
    assert_eq!(rest.lines().filter(|l| l.starts_with("| ")).count(), 1 + 3, "{rest}");
    let commands: Vec<&str> = rest.lines().filter(|l| l.starts_with("RAYON_NUM_THREADS=")).collect();
    assert_eq!(commands.len(), 6, "{rest}");
    assert!(rest.contains("cargo run --release -p microgpt -- train --held-out --steps 0 --out "), "{rest}");
    assert!(rows[0].contains(&format!("seconds to val ≤ {:.2}", budget.target)), "{}", rows[0]);
    assert!(rows[1].starts_with("| 0 | CPython"), "{}", rows[1]);
    for (i, row) in rows[2..].iter().enumerate() {
        assert!(row.starts_with(&format!("| {} | ", i + 1)), "{row}");
        assert_eq!(row.matches(" | ").count(), 8, "nine columns: {row}");
    }
    assert!(md.contains("tokens/s with the KV cache"), "{md}");
    let png = std::fs::read(&report.figure.png).unwrap();
    let (w, h) = xtask::png_size(&png).expect("ladder.png decodes");
    assert!(w >= 1000 && h >= 500, "{w}x{h}");
    let svg = std::fs::read_to_string(&report.figure.svg).unwrap();
    assert!(svg.contains("seconds of training") && svg.contains("names seen"));
    std::fs::remove_dir_all(&out).unwrap();
}
