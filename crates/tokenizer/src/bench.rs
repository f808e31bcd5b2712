//! `tokenizer bench`: training and encoding times on Shakespeare, as a Markdown section that
//! `cargo xtask bench` includes.
//!
//! The references are minbpe's recorded times on this machine kind (CPython 3.11): 9.5 s (basic) and
//! 9.0 s (regex) to train on the first 200,000 characters with a vocabulary of 512 and then encode the
//! same text.

use std::fmt::Write as _;
use std::time::Instant;

use crate::{AllowedSpecial, Error, Kind, Tokenizer, Trainer};

/// minbpe's train-then-encode times (s) on the first 200,000 characters at vocabulary 512.
pub const MINBPE_BASIC_S: f64 = 9.5;
pub const MINBPE_REGEX_S: f64 = 9.0;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

/// Runs `f` `reps` times: its last result and the median seconds.
fn time<T>(reps: usize, mut f: impl FnMut() -> Result<T, Error>) -> Result<(T, f64), Error> {
    let mut secs = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        last = Some(f()?);
        secs.push(start.elapsed().as_secs_f64());
    }
    Ok((last.expect("ran at least once"), median(secs)))
}

/// The first `n` characters of `text`.
pub fn first_chars(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

fn ms(s: f64) -> String {
    if s < 1.0 { format!("{:.1} ms", s * 1e3) } else { format!("{s:.2} s") }
}

/// Times training and encoding on `text` (Shakespeare) and returns a Markdown section. `quick` runs
/// each once, with a smaller vocabulary for the whole file, to check that the bench runs.
pub fn run(text: &str, quick: bool) -> Result<String, Error> {
    let reps = if quick { 1 } else { 5 };
    let small = first_chars(text, 200_000);
    let mut md = String::new();
    let _ = writeln!(md, "## Tokenizer (byte-level BPE, minbpe's merges exactly)\n");
    let _ = writeln!(
        md,
        "| what | text | vocab | trainer | train | train + encode | minbpe (recorded) | speed-up |"
    );
    let _ = writeln!(md, "|---|---|--:|---|--:|--:|--:|--:|");
    for (kind, name, minbpe) in
        [(Kind::Basic, "basic", MINBPE_BASIC_S), (Kind::Regex, "regex", MINBPE_REGEX_S)]
    {
        for (trainer, label, reps) in [(Trainer::Fast, "fast", reps), (Trainer::Plain, "plain", 1)] {
            let (tok, train) = time(reps, || Tokenizer::train(kind, small, 512, trainer))?;
            let (_, encode) = time(reps, || tok.encode(small, &AllowedSpecial::None))?;
            let _ = writeln!(
                md,
                "| {name} | first 200,000 chars | 512 | {label}{} | {} | {} | {} | {:.0}× |",
                if reps > 1 { format!(" (median of {reps})") } else { String::new() },
                ms(train),
                ms(train + encode),
                ms(minbpe),
                minbpe / (train + encode)
            );
        }
    }
    let vocab = if quick { 1024 } else { 4096 };
    let big_reps = if quick { 1 } else { 3 };
    let (tok, train) = time(big_reps, || Tokenizer::train(Kind::Regex, text, vocab, Trainer::Fast))?;
    let _ = writeln!(
        md,
        "| regex | whole file ({:.2} MB) | {vocab} | fast (median of {big_reps}) | {} | | | |",
        text.len() as f64 / 1e6,
        ms(train)
    );
    let (ids, encode) = time(big_reps, || tok.encode(text, &AllowedSpecial::None))?;
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Encoding the whole file with that vocabulary-{vocab} regex tokenizer: {} ({:.1} MB/s), {} tokens \
         ({:.2} bytes per token).\n",
        ms(encode),
        text.len() as f64 / 1e6 / encode,
        ids.len(),
        text.len() as f64 / ids.len() as f64
    );
    let _ = writeln!(
        md,
        "One thread. minbpe's times (train, then encode the same text) were recorded on this machine kind \
         under CPython 3.11; the speed-up compares like with like (train + encode).\n"
    );
    Ok(md)
}
