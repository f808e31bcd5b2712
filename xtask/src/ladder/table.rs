//! The ladder's table: per rung, the cost of a step and of a prediction, the speed-up over the rung
//! above and over the first, and the wall-clock (training only) to reach the target val loss.

use std::fmt::Write as _;

use harness::Record;

use super::{BATCH, Budget, Rung, final_val};
use crate::bench::batching::Timing;
use crate::compare::summary::thousands;

/// One rung's run, read from its log.
#[derive(Debug, Clone)]
pub struct Row {
    pub rung: Rung,
    pub records: Vec<Record>,
    pub timed: Timed,
}

/// What a rung's log says about its speed and its loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    pub steps: usize,
    /// Seconds spent training (evaluations and checkpoints left out).
    pub train_s: f64,
    pub predictions: u64,
    /// The val loss of the weights every rung starts from.
    pub initial_val: Option<f64>,
    pub final_val: Option<f64>,
    /// The first evaluation at or below the target: (training seconds, steps) until then.
    pub to_target: Option<(f64, usize)>,
}

impl Timed {
    pub fn of(records: &[Record], target: f64) -> Option<Timed> {
        let last = records.last()?;
        let reached = records.iter().find(|r| r.val_loss.is_some_and(|v| v <= target));
        Some(Timed {
            steps: last.step,
            train_s: last.train_s?,
            predictions: last.tokens_seen,
            initial_val: records.iter().find(|r| r.step == 0).and_then(|r| r.val_loss),
            final_val: final_val(records),
            to_target: reached.and_then(|r| Some((r.train_s?, r.step))),
        })
    }

    pub fn ms_per_step(&self) -> f64 {
        self.train_s * 1e3 / self.steps.max(1) as f64
    }

    pub fn predictions_per_s(&self) -> f64 {
        self.predictions as f64 / self.train_s
    }
}

impl Row {
    /// The row of `rung`, from its run log (a log without training time gives zeros: shown, not hidden).
    pub fn new(rung: Rung, records: Vec<Record>, target: f64) -> Row {
        let zero = Timed {
            steps: 0,
            train_s: 0.0,
            predictions: 0,
            initial_val: None,
            final_val: None,
            to_target: None,
        };
        let timed = Timed::of(&records, target).unwrap_or(zero);
        Row { rung, records, timed }
    }
}

fn ratio(new: f64, old: f64) -> String {
    if new > 0.0 && old > 0.0 && (new / old).is_finite() {
        format!("{:.2}×", new / old)
    } else {
        "n/a".into()
    }
}

fn loss(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}

/// The table and its notes. `python_s`: microgpt.py's wall time for its 1000 steps, if it was run;
/// `sampling`: tokens/s sampling with and without the KV cache; `quick`: label it a smoke test.
pub fn markdown(
    rows: &[Row],
    budget: &Budget,
    python_s: Option<f64>,
    sampling: (f64, f64),
    quick: bool,
) -> String {
    let mut md = String::new();
    if quick {
        md.push_str(
            "**SMOKE TEST (`--quick`): too few steps to measure anything; run the full ladder.**\n\n",
        );
    }
    let target = budget.target;
    let _ = writeln!(
        md,
        "| rung | adds | ms per step | predictions per second | × rung above | × rung 1 | seconds to val ≤ {target:.2} | names seen by then | val loss at the end |"
    );
    md.push_str("|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
    let first = rows.first().map_or(0.0, |r| r.timed.predictions_per_s());
    let fused = rows.get(1).map(|r| r.timed);
    match (python_s, fused) {
        (Some(wall), Some(fused)) => {
            // microgpt.py computes what rung 2 computes (the parity test), one name a step: its steps to
            // the target are rung 2's; only the time per step is its own.
            let ms = wall * 1e3 / 1000.0;
            let per_step = fused.predictions as f64 / fused.steps.max(1) as f64;
            let per_s = per_step / ms * 1e3;
            let to_target = fused.to_target.map_or("not reached".into(), |(_, steps)| {
                format!("≈ {:.0} (rung 2's {} steps at its pace)", steps as f64 * ms / 1e3, thousands(steps as u64))
            });
            let _ = writeln!(
                md,
                "| 0 | CPython running microgpt.py (the original, its own 1000-step run, start-up included) | {ms:.2} | {} | | {} | {to_target} | | |",
                thousands(per_s.round() as u64),
                ratio(per_s, first)
            );
        }
        _ => md.push_str(
            "| 0 | CPython running microgpt.py | not run: set `MICROGPT_PY=/path/to/microgpt.py` | | | | | | |\n",
        ),
    }
    for (i, row) in rows.iter().enumerate() {
        let t = &row.timed;
        let above = if i == 0 {
            String::new()
        } else {
            ratio(t.predictions_per_s(), rows[i - 1].timed.predictions_per_s())
        };
        let (secs, names) = match t.to_target {
            Some((s, steps)) => (format!("{s:.2}"), thousands((steps * row.rung.batch) as u64)),
            None => ("not reached".into(), String::new()),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {} | {above} | {} | {secs} | {names} | {} |",
            i + 1,
            row.rung.adds,
            t.ms_per_step(),
            thousands(t.predictions_per_s().round() as u64),
            ratio(t.predictions_per_s(), first),
            loss(t.final_val)
        );
    }
    let initial: Vec<String> = rows.iter().map(|r| loss(r.timed.initial_val)).collect();
    let names = budget.doc_steps;
    let _ = writeln!(
        md,
        "\nEvery rung trains microGPT's model (4,192 parameters: 1 layer, 4 heads, n_embd 16, block 16) from \
         the same initial weights (val loss before training, rung by rung: {}) on the training names of \
         `data/names.txt`'s canonical split, and learns from {} names in all: rungs 1–3 one name a step for \
         {} steps, rungs 4–6 {BATCH} a step for {} steps. Val losses are over the whole val split, before \
         the first step and {} times a run; the times count training only (evaluations and checkpoints \
         left out). Rungs 1–2 are microgpt's trainer in f64 (cycling through the names in one shuffled \
         order, Adam, the learning rate decaying linearly to 0); rungs 3–6 are nanogpt's in f32, with \
         microGPT's Adam and learning rate, drawing names at random and decaying along a cosine. Batching changes the optimisation: 32 names a step take fewer, averaged \
         updates, so compare the batched rungs by names seen and by seconds, not by steps.",
        initial.join(", "),
        thousands(names as u64),
        thousands(names as u64),
        thousands((names / BATCH) as u64),
        budget.evals
    );
    let _ = writeln!(
        md,
        "\nSampling the same model on tensors, one token at a time (one thread): {} tokens/s with the KV \
         cache, {} recomputing the whole window at every token.",
        thousands(sampling.0.round() as u64),
        thousands(sampling.1.round() as u64)
    );
    md
}

/// The second table: the batched rungs at nanogpt's default size.
pub fn default_size_markdown(timed: &[(&str, Timing)]) -> String {
    let Some((_, first)) = timed.first() else { return String::new() };
    let mut md = format!(
        "\nThe top rungs again at nanogpt's default size ({} parameters: 4 layers, n_embd 64), 32 names a \
         step, timed by `nanogpt bench`:\n\n| rung | ms per step | predictions per second | × rung above |\n|---|--:|--:|--:|\n",
        thousands(first.params)
    );
    for (i, (what, t)) in timed.iter().enumerate() {
        let above = if i == 0 { String::new() } else { ratio(t.per_s, timed[i - 1].1.per_s) };
        let _ = writeln!(md, "| {what} | {:.2} | {} | {above} |", t.ms, thousands(t.per_s.round() as u64));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(step: usize, tokens: u64, train_s: f64, val: f64) -> Record {
        Record {
            stage: "s".into(),
            step,
            tokens_seen: tokens,
            elapsed_s: train_s * 2.0,
            train_loss: None,
            val_loss: Some(val),
            val_bpb: None,
            train_s: Some(train_s),
        }
    }

    #[test]
    fn a_rung_is_timed_to_the_first_evaluation_at_the_target() {
        let records = [
            rec(0, 0, 0.0, 3.3),
            rec(100, 700, 1.0, 2.5),
            rec(200, 1400, 2.0, 2.29),
            rec(300, 2100, 3.0, 2.2),
        ];
        let t = Timed::of(&records, 2.30).unwrap();
        assert_eq!((t.steps, t.predictions, t.initial_val, t.final_val), (300, 2100, Some(3.3), Some(2.2)));
        assert_eq!(t.to_target, Some((2.0, 200)));
        assert_eq!((t.ms_per_step(), t.predictions_per_s()), (10.0, 700.0));
        assert_eq!(Timed::of(&records, 2.0).unwrap().to_target, None);
    }

    #[test]
    fn the_table_has_a_row_per_rung_and_cpython_s_when_it_ran() {
        let budget = Budget { doc_steps: 320, evals: 2, target: 2.30 };
        let rungs = super::super::rungs(&budget, std::path::Path::new("/o"), std::path::Path::new("/o/init"));
        let rows: Vec<Row> = rungs
            .into_iter()
            .enumerate()
            .map(|(i, rung)| {
                let (steps, t) = (320 / rung.batch, 1.0 / (i + 1) as f64); // each rung twice as fast…
                let records =
                    vec![rec(0, 0, 0.0, 3.3), rec(steps / 2, 1120, t / 2.0, 2.29), rec(steps, 2240, t, 2.2)];
                Row::new(rung, records, budget.target)
            })
            .collect();
        let md = markdown(&rows, &budget, None, (1000.0, 250.0), false);
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(lines.len(), 1 + 1 + 6, "{md}");
        assert!(lines[1].contains("not run: set `MICROGPT_PY"), "{}", lines[1]);
        // Rung 2 learns from as many predictions in half the time: 2× rung 1, and 2× the rung above.
        assert!(
            lines[3].starts_with("| 2 | fused nodes") && lines[3].contains("| 2.00× | 2.00× |"),
            "{}",
            lines[3]
        );
        assert!(lines[7].contains("| 1.20× | 6.00× |"), "{}", lines[7]);
        // Half-way, at 160 names (5 steps of 32 on the batched rungs), each reached 2.29 ≤ 2.30.
        assert!(lines[2].contains("| 0.50 | 160 | 2.2000 |"), "{}", lines[2]);
        assert!(lines[5].contains("| 160 | 2.2000 |"), "{}", lines[5]);
        assert!(
            !md.contains("SMOKE TEST") && md.contains("1,000 tokens/s with the KV cache, 250 recomputing")
        );
        // microgpt.py's 1000 steps in 60 s: 60 ms a step, and rung 2's 160 steps to the target at that pace.
        let md = markdown(&rows, &budget, Some(60.0), (1000.0, 250.0), true);
        let cpython = md.lines().find(|l| l.starts_with("| 0 |")).unwrap();
        assert!(
            cpython.contains("| 60.00 | 117 |") && cpython.contains("≈ 10 (rung 2's 160 steps at its pace)"),
            "{cpython}"
        );
        assert!(md.starts_with("**SMOKE TEST"));
    }
}
