//! The fast trainer and encoder give exactly what the plain ones (minbpe's algorithm) give, on texts
//! chosen to be hard for them: long runs of one byte (overlapping pairs), tiny alphabets (ties at every
//! step), all 256 byte values, many scripts, and Shakespeare.

mod common;

use tokenizer::{Kind, Tokenizer, Trainer};

/// Trains both ways and compares merges, then encodings of the training text and of `other`.
fn same(kind: Kind, text: &str, vocab_size: usize, other: &str) {
    let fast = Tokenizer::train(kind, text, vocab_size, Trainer::Fast).unwrap();
    let plain = Tokenizer::train(kind, text, vocab_size, Trainer::Plain).unwrap();
    assert_eq!(fast.merges().len(), vocab_size - 256);
    if let Some(i) = (0..fast.merges().len()).find(|&i| fast.merges()[i] != plain.merges()[i]) {
        panic!("{kind:?}: merge {i} differs: fast {:?}, plain {:?}", fast.merges()[i], plain.merges()[i]);
    }
    for t in [text, other] {
        assert_eq!(fast.encode_ordinary(t).unwrap(), plain.encode_ordinary_plain(t).unwrap(), "{kind:?}");
    }
}

fn both(text: &str, vocab_size: usize, other: &str) {
    same(Kind::Basic, text, vocab_size, other);
    same(Kind::Regex, text, vocab_size, other);
}

#[test]
fn on_shakespeare() {
    let text = common::shakespeare();
    let start = text.char_indices().nth(2_000_000).unwrap().0;
    let middle = tokenizer::bench::first_chars(&text[start..], 20_000);
    both(common::shakespeare_chars(30_000), 420, middle);
    both(middle, 380, common::shakespeare_chars(5_000));
}

#[test]
fn on_runs_of_one_byte() {
    let text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab aaaaaaa aaa a aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    both(text, 270, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aa aaaaa");
    both(&"ab".repeat(300), 266, "abababa bababab");
}

#[test]
fn on_tiny_alphabets_where_every_step_has_ties() {
    for seed in 1..6 {
        let bytes = common::lcg_bytes(seed, 4000, b"ab c\n");
        let text = String::from_utf8(bytes).unwrap();
        let other = String::from_utf8(common::lcg_bytes(seed + 100, 500, b"ab c\n")).unwrap();
        both(&text, 340, &other);
    }
}

#[test]
fn on_all_byte_values() {
    // Not UTF-8: the basic tokenizer's raw-bytes path.
    let bytes: Vec<u8> = common::lcg_bytes(7, 6000, &(0..=255).collect::<Vec<u8>>())
        .chunks(3)
        .flat_map(|c| [c, &[0xff, 0x00]].concat())
        .collect();
    let fast = Tokenizer::train_bytes(&bytes, 300, Trainer::Fast).unwrap();
    let plain = Tokenizer::train_bytes(&bytes, 300, Trainer::Plain).unwrap();
    assert_eq!(fast.merges(), plain.merges());
    assert_eq!(fast.decode(&fast.encode_bytes(&bytes).unwrap()).unwrap(), bytes);
}

#[test]
fn on_many_scripts() {
    let text = "Hello world! 안녕하세요 세계! Привет, мир! こんにちは世界 🌍🌍🌍 مرحبا بالعالم 12345678 \
                don't WON'T it's   spaced\tout\r\nlines\n\n\n"
        .repeat(20);
    both(&text, 370, "세계 мир 🌍 don't 999 \r\n");
}
