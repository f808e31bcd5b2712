//! What a comparison found, stage by stage, and the markdown table it is reported in.

use std::fmt::Write as _;

use harness::Record;

/// How one stage of the comparison went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It trained: its run log, its parameter count (if the checkpoint could be read) and some samples.
    Trained(Trained),
    /// Its crate does not exist (yet).
    Missing,
    /// It did not build, did not run, or ran and failed: the one line saying why.
    Failed(String),
}

/// A stage that trained.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trained {
    /// This stage's records of the run log, in order.
    pub records: Vec<Record>,
    pub params: Option<usize>,
    pub samples: Vec<String>,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct StageResult {
    pub name: String,
    pub idea: String,
    pub outcome: Outcome,
}

/// The numbers of a finished run, read off its run log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    pub steps: usize,
    pub tokens_seen: u64,
    pub elapsed_s: f64,
    /// The last training loss logged.
    pub train_loss: Option<f64>,
    /// The last validation loss logged.
    pub val_loss: Option<f64>,
}

impl Totals {
    /// Totals of a run log; `None` if it has no records.
    pub fn of(records: &[Record]) -> Option<Totals> {
        let last = records.last()?;
        Some(Totals {
            steps: last.step,
            tokens_seen: last.tokens_seen,
            elapsed_s: last.elapsed_s,
            train_loss: records.iter().rev().find_map(|r| r.train_loss),
            val_loss: records.iter().rev().find_map(|r| r.val_loss),
        })
    }

    /// Training throughput; `None` when the run was too quick to time (a count table's one pass is
    /// logged the moment it is done, so its clock reads about zero).
    pub fn tokens_per_s(&self) -> Option<f64> {
        (self.elapsed_s >= 0.01).then(|| self.tokens_seen as f64 / self.elapsed_s)
    }
}

/// The baselines every curve is measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct References {
    pub vocab_size: usize,
    /// ln(V): the loss of guessing uniformly.
    pub uniform: f64,
    /// The val loss of the count bigram (add-one smoothing) fitted on the training words.
    pub count_bigram: f64,
}

/// What the summary says about the run as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The data file, as the user named it.
    pub data: String,
    /// "full" or "quick".
    pub budget: &'static str,
    pub references: References,
}

/// A run log as a table: every evaluation at a multiple of `every` steps (step 0 included), with its
/// train and val losses, and its seconds since the start if `seconds`.
pub fn log_table(records: &[Record], every: usize, seconds: bool) -> String {
    let mut md = String::from(if seconds {
        "| step | seconds | train loss | val loss |\n|--:|--:|--:|--:|\n"
    } else {
        "| step | train loss | val loss |\n|--:|--:|--:|\n"
    });
    let loss = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{v:.3}"));
    for r in records.iter().filter(|r| r.step.is_multiple_of(every.max(1))) {
        let time = if seconds { format!(" {:.0} |", r.elapsed_s) } else { String::new() };
        md.push_str(&format!(
            "| {} |{time} {} | {} |\n",
            thousands(r.step as u64),
            loss(r.train_loss),
            loss(r.val_loss)
        ));
    }
    md
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds for people: `0.42 s`, `12.3 s`, `2 min 05 s`.
pub fn duration(s: f64) -> String {
    match s {
        s if s < 10.0 => format!("{s:.2} s"),
        s if s < 120.0 => format!("{s:.1} s"),
        s => format!("{} min {:02.0} s", (s / 60.0).floor(), s % 60.0),
    }
}

fn loss(l: Option<f64>) -> String {
    l.map_or_else(|| "–".into(), |l| format!("{l:.4}"))
}

/// The whole `summary.md`: the figure, the table (one row per stage), the references, then five
/// samples per stage, and what failed.
pub fn render(ctx: &Context, results: &[StageResult]) -> String {
    let mut md = String::new();
    let r = &ctx.references;
    let _ = writeln!(md, "# Every stage on the same data\n");
    let _ = writeln!(
        md,
        "`cargo xtask compare` ({} budget) trained each stage on `{}`, on the canonical 80/10/10 split, \
         and measured its loss on the same validation words. Lower is better.\n",
        ctx.budget, ctx.data
    );
    if ctx.budget == "quick" {
        let _ = writeln!(
            md,
            "**A smoke test.** `--quick` trains each stage for a few steps to check that everything runs; \
             its losses do not compare the stages. Run `cargo xtask compare` for the comparison.\n"
        );
    }
    let _ = writeln!(md, "![validation loss against tokens seen and against time](loss.png)\n");
    let _ = writeln!(
        md,
        "| stage | the idea it adds | parameters | steps | tokens seen | wall-clock | tokens/s | train loss | val loss |"
    );
    let _ = writeln!(md, "|---|---|--:|--:|--:|--:|--:|--:|--:|");
    for res in results {
        let cells = match &res.outcome {
            Outcome::Trained(t) => match Totals::of(&t.records) {
                Some(tot) => vec![
                    t.params.map_or_else(|| "?".into(), |p| thousands(p as u64)),
                    thousands(tot.steps as u64),
                    thousands(tot.tokens_seen),
                    duration(tot.elapsed_s),
                    tot.tokens_per_s().map_or_else(|| "–".into(), |t| thousands(t.round() as u64)),
                    loss(tot.train_loss),
                    loss(tot.val_loss),
                ],
                None => vec!["empty run log".into()],
            },
            Outcome::Missing => vec!["missing".into()],
            Outcome::Failed(_) => vec!["failed".into()],
        };
        let mut cells = cells;
        cells.resize(7, String::new());
        // A `|` inside a cell would end it: the idea of the count bigram is P(next | previous).
        let idea = res.idea.replace('|', "\\|");
        let _ = writeln!(md, "| {} | {idea} | {} |", res.name, cells.join(" | "));
    }
    let _ = writeln!(
        md,
        "\nReferences: guessing uniformly among the {} tokens costs ln({}) = {:.4}; the count bigram \
         (add-one smoothing, fitted on the training words) reaches {:.4} on the validation words.",
        r.vocab_size, r.vocab_size, r.uniform, r.count_bigram
    );
    let _ = writeln!(
        md,
        "Tokens seen are next-character predictions learned from; wall-clock is training time on this \
         machine, as each run log records it (`<stage>/log.jsonl`, next to this file).\n"
    );
    let _ = writeln!(md, "## Samples\n");
    for res in results {
        if let Outcome::Trained(t) = &res.outcome {
            let names: Vec<String> = t
                .samples
                .iter()
                .map(|s| if s.is_empty() { "(empty)".into() } else { format!("`{s}`") })
                .collect();
            let _ = writeln!(md, "- **{}**: {}", res.name, names.join(", "));
        }
    }
    let problems: Vec<&StageResult> =
        results.iter().filter(|r| !matches!(r.outcome, Outcome::Trained(_))).collect();
    if !problems.is_empty() {
        let _ = writeln!(md, "\n## Not compared\n");
        for res in problems {
            let why = match &res.outcome {
                Outcome::Missing => "its crate does not exist yet".to_owned(),
                Outcome::Failed(e) => e.clone(),
                Outcome::Trained(_) => unreachable!("filtered out"),
            };
            let _ = writeln!(md, "- **{}**: {why}", res.name);
        }
    }
    md
}

/// The names in a stage's `sample` output, whatever its layout: plain lines (`emma`), numbered lines
/// (`sample  3: emma`), headers (`--- samples ---`, `samples:`) skipped.
pub fn parse_samples(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("---") && !l.starts_with(' '))
        .filter(|l| !l.trim_end().ends_with(':'))
        .map(|l| match l.strip_prefix("sample").and_then(|rest| rest.split_once(':')) {
            Some((n, name)) if n.trim().parse::<usize>().is_ok() => name.trim().to_owned(),
            _ => l.trim().to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(stage: &str, step: usize, tokens: u64, t: f64, train: Option<f64>, val: Option<f64>) -> Record {
        Record {
            stage: stage.into(),
            step,
            tokens_seen: tokens,
            elapsed_s: t,
            train_loss: train,
            val_loss: val,
            val_bpb: None,
            train_s: None,
        }
    }

    #[test]
    fn a_log_becomes_a_table_of_every_nth_step() {
        let log = [
            record("s", 0, 0, 0.2, None, Some(3.3)),
            record("s", 250, 100, 1.0, Some(2.5), Some(2.4)),
            record("s", 500, 200, 2.4, Some(2.2), Some(2.25)),
        ];
        assert_eq!(
            log_table(&log, 500, true),
            "| step | seconds | train loss | val loss |\n|--:|--:|--:|--:|\n| 0 | 0 | – | 3.300 |\n| 500 | 2 | 2.200 | 2.250 |\n"
        );
        assert_eq!(log_table(&log, 250, false).lines().count(), 2 + 3);
    }

    fn context() -> Context {
        Context {
            data: "data/names.txt".into(),
            budget: "quick",
            references: References { vocab_size: 27, uniform: 27f64.ln(), count_bigram: 2.4543 },
        }
    }

    #[test]
    fn totals_take_the_last_of_each_loss() {
        let log =
            [record("mlp", 10, 320, 0.5, Some(3.0), Some(3.1)), record("mlp", 20, 640, 2.0, Some(2.5), None)];
        let t = Totals::of(&log).unwrap();
        assert_eq!((t.steps, t.tokens_seen, t.elapsed_s), (20, 640, 2.0));
        assert_eq!((t.train_loss, t.val_loss), (Some(2.5), Some(3.1)));
        assert_eq!(t.tokens_per_s(), Some(320.0));
        assert_eq!(Totals::of(&[]), None);
        let counted =
            Totals::of(&[record("bigram-counts", 1, 180_000, 2e-6, Some(2.45), Some(2.47))]).unwrap();
        assert_eq!(counted.tokens_per_s(), None);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(0.4213), "0.42 s");
        assert_eq!(duration(65.26), "65.3 s");
        assert_eq!(duration(125.0), "2 min 05 s");
    }

    #[test]
    fn the_table_has_one_row_per_stage_with_its_numbers() {
        let trained = Trained {
            records: vec![
                record("mlp", 100, 3200, 1.0, Some(2.9), Some(3.0)),
                record("mlp", 200, 6400, 2.0, Some(2.4), Some(2.5)),
            ],
            params: Some(11897),
            samples: vec!["emma".into(), "".into()],
        };
        let results = [
            StageResult { name: "mlp".into(), idea: "embeddings".into(), outcome: Outcome::Trained(trained) },
            StageResult {
                name: "nanogpt".into(),
                idea: "P(next | previous)".into(),
                outcome: Outcome::Missing,
            },
            StageResult {
                name: "microgpt".into(),
                idea: "scalars".into(),
                outcome: Outcome::Failed("error: --steps must be at least 1".into()),
            },
        ];
        let md = render(&context(), &results);
        let rows: Vec<&str> =
            md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| stage")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert_eq!(rows[0], "| mlp | embeddings | 11,897 | 200 | 6,400 | 2.00 s | 3,200 | 2.4000 | 2.5000 |");
        assert!(rows[1].starts_with(r"| nanogpt | P(next \| previous) | missing |"), "{}", rows[1]);
        assert!(rows[2].starts_with("| microgpt | scalars | failed |"), "{}", rows[2]);
        // Every row has as many cells as the header.
        let header_cells = md.lines().find(|l| l.starts_with("| stage")).unwrap().matches('|').count();
        let cells = |r: &str| r.matches('|').count() - r.matches(r"\|").count();
        assert!(rows.iter().all(|r| cells(r) == header_cells), "{md}");
        assert!(md.contains("ln(27) = 3.2958") && md.contains("2.4543"), "{md}");
        assert!(md.contains("- **mlp**: `emma`, (empty)"), "{md}");
        assert!(md.contains("- **microgpt**: error: --steps must be at least 1"), "{md}");
        assert!(md.contains("- **nanogpt**: its crate does not exist yet"), "{md}");
        assert!(md.contains("![validation loss"), "{md}");
        assert!(md.contains("**A smoke test.**"), "the quick budget says what it is: {md}");
        let full = render(&Context { budget: "full", ..context() }, &results);
        assert!(!full.contains("smoke test"), "{full}");
    }

    #[test]
    fn samples_are_read_from_every_layout() {
        let plain = "emma\nolivia\n";
        assert_eq!(parse_samples(plain), ["emma", "olivia"]);
        let numbered = "\n--- inference (new, hallucinated names) ---\nsample  1: kamon\nsample  2: ann\n";
        assert_eq!(parse_samples(numbered), ["kamon", "ann"]);
        let bigram = "\n--- samples ---\n           counts\nsample  1: junide\nsample  2: ja\n";
        assert_eq!(parse_samples(bigram), ["junide", "ja"]);
        assert_eq!(parse_samples("samples:\nsam\n"), ["sam"]);
    }
}
