//! The merges and encodings equal minbpe's own, on the first 200,000 characters of Shakespeare with a
//! vocabulary of 512: `../shared/reference/minbpe-shakespeare-200k-512.{basic,regex}.{merges,ids}`
//! (minbpe's `BasicTokenizer` and `RegexTokenizer`, its default GPT-4 pattern). Ignored, saying why,
//! when those files are not beside the workspace.

mod common;

use tokenizer::{Kind, Pair, Tokenizer, Trainer};

const SKIP: &str = "minbpe's reference output is not in ../shared/reference beside the workspace";

/// minbpe's merges (`left right new_id` lines) and ids (one line), or None with a note.
fn reference(kind: &str) -> Option<(Vec<Pair>, Vec<u32>)> {
    let dir = common::reference_dir();
    let merges = std::fs::read_to_string(dir.join(format!("minbpe-shakespeare-200k-512.{kind}.merges")));
    let ids = std::fs::read_to_string(dir.join(format!("minbpe-shakespeare-200k-512.{kind}.ids")));
    let (Ok(merges), Ok(ids)) = (merges, ids) else {
        eprintln!("skipping: {SKIP}");
        return None;
    };
    let merges = merges
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<u32> = l.split_whitespace().map(|s| s.parse().expect("a number")).collect();
            assert_eq!(f[2], 256 + i as u32, "reference merges are numbered in order");
            (f[0], f[1])
        })
        .collect();
    let ids = ids.split_whitespace().map(|s| s.parse().expect("an id")).collect();
    Some((merges, ids))
}

fn check(kind: Kind, name: &str, trainer: Trainer) {
    let Some((merges, ids)) = reference(name) else { return };
    let text = common::shakespeare_chars(200_000);
    assert_eq!(text.chars().count(), 200_000);
    let tok = Tokenizer::train(kind, text, 512, trainer).unwrap();
    assert_eq!(merges.len(), 256);
    if let Some(i) = (0..256).find(|&i| tok.merges()[i] != merges[i]) {
        panic!("merge {i} differs: ours {:?}, minbpe's {:?}", tok.merges()[i], merges[i]);
    }
    let ours = tok.encode_ordinary(text).unwrap();
    assert_eq!(ours.len(), ids.len(), "number of tokens");
    assert!(
        ours == ids,
        "the encodings differ first at token {:?}",
        ours.iter().zip(&ids).position(|(a, b)| a != b)
    );
}

#[test]
#[cfg_attr(
    not(has_minbpe_reference),
    ignore = "minbpe's reference output is not in ../shared/reference beside the workspace"
)]
fn basic_fast_merges_and_ids_equal_minbpe() {
    check(Kind::Basic, "basic", Trainer::Fast);
}

#[test]
#[cfg_attr(
    not(has_minbpe_reference),
    ignore = "minbpe's reference output is not in ../shared/reference beside the workspace"
)]
fn regex_fast_merges_and_ids_equal_minbpe() {
    check(Kind::Regex, "regex", Trainer::Fast);
}

#[test]
#[ignore = "slow: minbpe's own algorithm on 200,000 characters (about a second in release)"]
fn basic_plain_merges_and_ids_equal_minbpe() {
    check(Kind::Basic, "basic", Trainer::Plain);
}

#[test]
#[ignore = "slow: minbpe's own algorithm on 200,000 characters (about a second in release)"]
fn regex_plain_merges_and_ids_equal_minbpe() {
    check(Kind::Regex, "regex", Trainer::Plain);
}

#[test]
#[cfg_attr(
    not(has_minbpe_reference),
    ignore = "minbpe's reference output is not in ../shared/reference beside the workspace"
)]
fn the_plain_encoder_gives_minbpes_ids_too() {
    // Train fast (proven equal above), encode the plain way: the encoders agree with minbpe separately.
    for (kind, name) in [(Kind::Basic, "basic"), (Kind::Regex, "regex")] {
        let Some((_, ids)) = reference(name) else { return };
        let text = common::shakespeare_chars(200_000);
        let tok = Tokenizer::train(kind, text, 512, Trainer::Fast).unwrap();
        assert!(tok.encode_ordinary_plain(text).unwrap() == ids, "{name}");
    }
}
