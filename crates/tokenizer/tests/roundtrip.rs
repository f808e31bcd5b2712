//! decode(encode(s)) == s, for arbitrary UTF-8 (regex) and arbitrary bytes (basic); and the fast
//! encoder agrees with the plain one on all of them.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use tokenizer::{AllowedSpecial, Kind, Tokenizer, Trainer};

fn regex() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| {
        // Shakespeare plus some text in other scripts, so that merges of multi-byte characters exist.
        let text =
            format!("{}{}", common::shakespeare_chars(20_000), "안녕하세요 세계 Привет мир 🌍 ".repeat(30));
        let mut tok = Tokenizer::train(Kind::Regex, &text, 420, Trainer::Fast).unwrap();
        tok.register_special_tokens(vec![("<|endoftext|>".into(), 420)]).unwrap();
        tok
    })
}

fn basic() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| {
        let mut bytes = common::shakespeare_chars(10_000).as_bytes().to_vec();
        bytes.extend(common::lcg_bytes(3, 2000, &(0..=255).collect::<Vec<u8>>()));
        Tokenizer::train_bytes(&bytes, 360, Trainer::Fast).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn regex_round_trips_any_text(s in any::<String>()) {
        let tok = regex();
        let ids = tok.encode_ordinary(&s).unwrap();
        prop_assert_eq!(tok.decode(&ids).unwrap(), s.as_bytes());
        prop_assert_eq!(&ids, &tok.encode_ordinary_plain(&s).unwrap());
    }

    #[test]
    fn regex_round_trips_text_that_looks_like_the_training_text(s in "[a-zA-Z ,.;:'!?\n]{0,200}") {
        let tok = regex();
        let ids = tok.encode_ordinary(&s).unwrap();
        prop_assert_eq!(tok.decode(&ids).unwrap(), s.as_bytes());
        prop_assert_eq!(&ids, &tok.encode_ordinary_plain(&s).unwrap());
    }

    #[test]
    fn special_tokens_round_trip(a in any::<String>(), b in "[a-z <|>]{0,40}") {
        let tok = regex();
        let s = format!("{a}<|endoftext|>{b}");
        let ids = tok.encode(&s, &AllowedSpecial::All).unwrap();
        prop_assert!(ids.contains(&420));
        prop_assert_eq!(tok.decode(&ids).unwrap(), s.as_bytes());
    }

    #[test]
    fn basic_round_trips_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let tok = basic();
        let ids = tok.encode_bytes(&bytes).unwrap();
        prop_assert_eq!(tok.decode(&ids).unwrap(), bytes);
    }
}
