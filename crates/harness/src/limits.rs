//! Limits before work: a size flag or a loaded config that would need more memory than the machine can
//! give is refused with one line naming it, before anything is allocated, instead of ending in
//! `memory allocation of N bytes failed` (an abort) or the OOM killer.
//!
//! - The memory cap is **half of `MemAvailable`** in `/proc/meminfo` when it can be read (the other half
//!   is left for the rest of the machine and the estimate's slack), else a fixed [`FALLBACK_CAP`] = 8 GiB.
//! - Estimates are products of sizes; [`product`] multiplies with overflow checks, so an absurd flag is
//!   an error too, never a wrapped-around small number or a panic.
//! - A data file may hold at most [`MAX_DATA_BYTES`] = 1 GiB (the lectures' `names.txt` is 228 KB; a
//!   character-level model on more than a gigabyte is not what this project teaches).
//! - A sample stops after at most [`MAX_SAMPLE_TOKENS`] tokens, so a model that never emits its end token
//!   cannot loop forever.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// The memory cap when `/proc/meminfo` cannot be read.
pub const FALLBACK_CAP: u128 = 8 << 30;
/// The largest data file [`crate::load_docs`] reads.
pub const MAX_DATA_BYTES: u64 = 1 << 30;
/// The longest sample, in tokens, any stage draws before giving up on its end token.
pub const MAX_SAMPLE_TOKENS: usize = 1000;
/// The most samples one `sample` command draws: plenty for any study, while a few zeros too many end in
/// one line instead of hours of output.
pub const MAX_SAMPLES: usize = 100_000;

/// The most optimisation steps a run may ask for: weeks of training at the fastest stage's pace, so a
/// number beyond it is a typo, refused in one line rather than trained on forever.
pub const MAX_STEPS: usize = 100_000_000;

/// Refuses a step count (`flag`: `--steps`, `--warmup-steps`, …) of 0 when `at_least_one`, or above
/// [`MAX_STEPS`], naming the flag.
pub fn check_steps(flag: &str, steps: usize, at_least_one: bool) -> anyhow::Result<()> {
    anyhow::ensure!(!at_least_one || steps > 0, "{flag} must be at least 1");
    anyhow::ensure!(steps <= MAX_STEPS, "{flag} must be at most {MAX_STEPS}");
    Ok(())
}

/// Refuses a `--num-samples` above [`MAX_SAMPLES`], naming the flag.
pub fn check_num_samples(num_samples: usize) -> anyhow::Result<()> {
    anyhow::ensure!(num_samples <= MAX_SAMPLES, "--num-samples must be at most {MAX_SAMPLES}");
    Ok(())
}

/// A size that is too large; prints as one line naming what asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    /// The estimate is above the cap.
    TooMuchMemory { what: String, bytes: u128, cap: u128 },
    /// The estimate itself does not fit in 128 bits.
    Overflow { what: String },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooMuchMemory { what, bytes, cap } => write!(
                f,
                "{what} needs about {} of memory, more than the {} this run may use (half the memory available): make it smaller",
                human_bytes(*bytes),
                human_bytes(*cap)
            ),
            Self::Overflow { what } => {
                write!(f, "{what} is too large: its memory estimate does not even fit in 128 bits")
            }
        }
    }
}

impl std::error::Error for LimitError {}

/// `factors` multiplied together, or an error naming `what` if the product overflows.
pub fn product(what: &str, factors: &[u128]) -> Result<u128, LimitError> {
    factors
        .iter()
        .try_fold(1u128, |acc, &f| acc.checked_mul(f))
        .ok_or_else(|| LimitError::Overflow { what: what.to_owned() })
}

/// `terms` added together, or an error naming `what` if the sum overflows.
pub fn sum(what: &str, terms: &[u128]) -> Result<u128, LimitError> {
    terms
        .iter()
        .try_fold(0u128, |acc, &t| acc.checked_add(t))
        .ok_or_else(|| LimitError::Overflow { what: what.to_owned() })
}

/// How much memory a run may use: half of `MemAvailable`, or [`FALLBACK_CAP`] when it cannot be read.
pub fn memory_cap() -> u128 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_available_bytes(&text))
        .map_or(FALLBACK_CAP, |bytes| bytes / 2)
}

/// `MemAvailable` from the text of `/proc/meminfo`, in bytes.
fn mem_available_bytes(meminfo: &str) -> Option<u128> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let kib: u128 = parts.next()?.parse().ok()?;
    (parts.next()? == "kB").then(|| kib * 1024)
}

/// Refuses an estimate of `bytes` above [`memory_cap`]; `what` names the flag or file it came from
/// (`--block-size 1000000000`, say).
pub fn check_memory(what: &str, bytes: u128) -> Result<(), LimitError> {
    check_memory_within(what, bytes, memory_cap())
}

/// [`check_memory`] against a given cap.
pub fn check_memory_within(what: &str, bytes: u128, cap: u128) -> Result<(), LimitError> {
    if bytes <= cap { Ok(()) } else { Err(LimitError::TooMuchMemory { what: what.to_owned(), bytes, cap }) }
}

/// `bytes` in binary units with three significant figures: `512 B`, `1.50 KiB`, `7.21 GiB`.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {}", UNITS[unit])
}

/// Reads all of `reader`, refusing more than `cap` bytes: one byte past the cap is read to tell, never
/// the whole of an endless stream such as `/dev/zero` (whose length, like a pipe's, reads as 0).
pub fn read_at_most(reader: impl Read, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::other(format!("larger than {}", human_bytes(u128::from(cap)))));
    }
    Ok(bytes)
}

/// [`read_at_most`] of the file (or device, or link target) at `path`.
pub fn read_file_at_most(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    read_at_most(std::fs::File::open(path)?, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_sums_overflow_into_errors() {
        assert_eq!(product("x", &[]).unwrap(), 1);
        assert_eq!(product("x", &[4, 1_000_000_000, 768]).unwrap(), 3_072_000_000_000);
        let e = product("--block-size 1e30", &[u128::MAX / 2, 3]).unwrap_err();
        assert_eq!(e, LimitError::Overflow { what: "--block-size 1e30".into() });
        assert!(e.to_string().starts_with("--block-size 1e30 is too large"));
        assert_eq!(sum("x", &[1, 2, 3]).unwrap(), 6);
        assert!(sum("x", &[u128::MAX, 1]).is_err());
    }

    #[test]
    fn the_cap_refuses_with_one_line_in_human_units() {
        check_memory_within("--n-embd 64", 1 << 20, 1 << 30).unwrap();
        check_memory_within("exactly", 1 << 30, 1 << 30).unwrap();
        let e = check_memory_within("--block-size 1000000000", 3 << 40, 8 << 30).unwrap_err();
        let s = e.to_string();
        assert_eq!(s.lines().count(), 1);
        assert!(s.starts_with("--block-size 1000000000 needs about 3.00 TiB"), "{s}");
        assert!(s.contains("8.00 GiB"), "{s}");
    }

    #[test]
    fn the_real_cap_is_positive_and_refuses_the_absurd() {
        let cap = memory_cap();
        assert!(cap > 0);
        assert!(check_memory("absurd", u128::from(u64::MAX) * 2).is_err());
        check_memory("tiny", 1).unwrap();
    }

    #[test]
    fn meminfo_is_parsed_and_its_absence_tolerated() {
        let text = "MemTotal:       23000000 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n";
        assert_eq!(mem_available_bytes(text), Some(12_000_000 * 1024));
        assert_eq!(mem_available_bytes("MemTotal: 5 kB\n"), None);
        assert_eq!(mem_available_bytes("MemAvailable: lots kB\n"), None);
        assert_eq!(mem_available_bytes("MemAvailable: 5 MB\n"), None);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(8 << 30), "8.00 GiB");
        assert_eq!(human_bytes(250 << 20), "250 MiB");
        assert!(human_bytes(u128::MAX).ends_with("ZiB"));
    }
}
