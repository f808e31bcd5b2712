//! Special tokens: strings such as `<|endoftext|>` that get one id of their own, outside the merges,
//! and minbpe's (and tiktoken's) rules for when text that spells one is the token.

use fancy_regex::Regex;

use crate::error::Error;

/// What `encode` does with special tokens that appear in the text (minbpe's `allowed_special`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AllowedSpecial {
    /// Each becomes its special id.
    All,
    /// They are ordinary text, encoded byte by byte like the rest.
    None,
    /// It is an error for the text to contain one (the default, as in tiktoken: a document that spells
    /// `<|endoftext|>` should not end a document by accident).
    #[default]
    NoneRaise,
    /// Only these become special ids; the others are ordinary text.
    Some(Vec<String>),
}

/// One piece of text cut at special tokens: ordinary text, or a special token's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'t> {
    Text(&'t str),
    Special(u32),
}

/// Checks a special token's name as a minbpe model file can hold it: one line, no spaces.
pub fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::BadSpecial("the empty string".into()));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(Error::BadSpecial(format!(
            "{name:?} contains whitespace, which a .model file cannot hold"
        )));
    }
    Ok(())
}

// ANCHOR: split_special
/// Cuts `text` at every occurrence of the `allowed` special tokens, in order. Where two could match at
/// the same place, the one listed first wins, as in Python's `re.split` on their alternation.
pub fn split<'t>(text: &'t str, allowed: &[(String, u32)]) -> Vec<Part<'t>> {
    if allowed.is_empty() {
        return vec![Part::Text(text)];
    }
    let alternation: Vec<String> = allowed.iter().map(|(s, _)| fancy_regex::escape(s).into_owned()).collect();
    let re = Regex::new(&alternation.join("|")).expect("escaped literals always compile");
    let mut parts = Vec::new();
    let mut start = 0;
    // Literal alternatives never backtrack, so matching cannot fail.
    for m in re.find_iter(text).map_while(Result::ok) {
        parts.push(Part::Text(&text[start..m.start()]));
        let id = allowed.iter().find(|(s, _)| s == m.as_str()).map(|&(_, id)| id).expect("it matched one");
        parts.push(Part::Special(id));
        start = m.end();
    }
    parts.push(Part::Text(&text[start..]));
    parts
}
// ANCHOR_END: split_special

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_special_tokens() {
        let eot = vec![("<|endoftext|>".to_owned(), 600)];
        assert_eq!(
            split("a<|endoftext|>b<|endoftext|>", &eot),
            [Part::Text("a"), Part::Special(600), Part::Text("b"), Part::Special(600), Part::Text("")]
        );
        assert_eq!(split("a<|endoftext|>b", &[]), [Part::Text("a<|endoftext|>b")]);
    }

    #[test]
    fn the_first_listed_wins_where_two_match() {
        let both = vec![("<|a|>".to_owned(), 1), ("<|a|>b".to_owned(), 2)];
        assert_eq!(split("<|a|>b", &both), [Part::Text(""), Part::Special(1), Part::Text("b")]);
        let both: Vec<_> = both.into_iter().rev().collect();
        assert_eq!(split("<|a|>b", &both), [Part::Text(""), Part::Special(2), Part::Text("")]);
    }

    #[test]
    fn names_must_fit_a_model_file() {
        assert!(check_name("<|endoftext|>").is_ok());
        assert!(check_name("two words").is_err());
        assert!(check_name("").is_err());
    }
}
