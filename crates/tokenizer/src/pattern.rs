//! The regex split: the text is cut into pieces before any merging, so that no token spans two of
//! them (a word and the punctuation after it, letters and digits, ...).

use fancy_regex::Regex;

// ANCHOR: patterns
/// GPT-2's split pattern: contractions, words with one leading space, numbers, punctuation, whitespace.
pub const GPT2_SPLIT_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// GPT-4's (`cl100k_base`): contractions in any case, a word may take one non-letter before it, numbers
/// in groups of at most three digits, newlines kept with the punctuation before them.
pub const GPT4_SPLIT_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
// ANCHOR_END: patterns

/// A compiled split pattern, with its source (which a model file stores).
#[derive(Debug, Clone)]
pub struct SplitPattern {
    source: String,
    regex: Regex,
}

/// The pattern does not compile, or matching it gave up (fancy-regex's backtracking limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl SplitPattern {
    pub fn new(source: &str) -> Result<Self, PatternError> {
        let regex = Regex::new(source)
            .map_err(|e| PatternError(format!("the split pattern does not compile: {}", one_line(&e))))?;
        Ok(SplitPattern { source: source.to_owned(), regex })
    }

    /// GPT-4's pattern, the default.
    pub fn gpt4() -> Self {
        Self::new(GPT4_SPLIT_PATTERN).expect("GPT-4's pattern compiles")
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    // ANCHOR: split
    /// The pieces of `text`, in order: every match of the pattern (Python's `re.findall`).
    pub fn split<'t>(&self, text: &'t str) -> Result<Vec<&'t str>, PatternError> {
        self.regex
            .find_iter(text)
            .map(|m| m.map(|m| m.as_str()))
            .collect::<Result<_, _>>()
            .map_err(|e| PatternError(format!("the split pattern failed on this text: {}", one_line(&e))))
    }
    // ANCHOR_END: split
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt4_pattern_splits_as_tiktoken_does() {
        // Expected pieces: Python's `regex.findall` with the same pattern, as minbpe splits.
        let p = SplitPattern::gpt4();
        assert_eq!(p.split("Hello world").unwrap(), ["Hello", " world"]);
        assert_eq!(
            p.split("I'm here, you'RE there!!!\n\n").unwrap(),
            ["I", "'m", " here", ",", " you", "'RE", " there", "!!!\n\n"]
        );
        assert_eq!(p.split("1234567 apples").unwrap(), ["123", "456", "7", " apples"]);
        assert_eq!(p.split("a   b\n  c").unwrap(), ["a", "  ", " b", "\n", " ", " c"]);
        assert_eq!(p.split("    def f():\n").unwrap(), ["   ", " def", " f", "():\n"]);
    }

    #[test]
    fn possessive_quantifiers_are_possessive() {
        // A possessive quantifier never gives back what it took, so these fail where their greedy
        // versions (`.?a`, `x+x`) would match (Python's `regex` gives the same).
        let p = SplitPattern::new(r".?+a").unwrap();
        assert_eq!(p.split("a").unwrap(), Vec::<&str>::new());
        let p = SplitPattern::new(r"x++x|.").unwrap();
        assert_eq!(p.split("xxx").unwrap(), ["x", "x", "x"]);
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        assert!(SplitPattern::new("(unclosed").unwrap_err().0.contains("does not compile"));
    }
}
