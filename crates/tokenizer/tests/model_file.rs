//! minbpe's `.model` format: what minbpe writes loads here, what is written here is what minbpe writes,
//! and every way a file can be corrupt or foreign is an error naming the problem.

use tokenizer::model_file::{model_text, parse_model};
use tokenizer::pattern::GPT4_SPLIT_PATTERN;
use tokenizer::{AllowedSpecial, Error, Kind, Tokenizer, Trainer};

const TEXT: &str = "hello hello world, hello there; the world is there";

/// What minbpe's `RegexTokenizer` saves after `train(TEXT, 262)` and
/// `register_special_tokens({'<|endoftext|>': 262, '<|fim|>': 300})`, byte for byte.
fn minbpe_regex_model() -> String {
    format!(
        "minbpe v1\n{GPT4_SPLIT_PATTERN}\n2\n<|endoftext|> 262\n<|fim|> 300\n104 101\n256 108\n257 108\n258 111\n32 116\n260 256\n"
    )
}

/// What minbpe's `BasicTokenizer` saves after `train("aaabdaaabac", 259)`.
const MINBPE_BASIC_MODEL: &str = "minbpe v1\n\n0\n97 97\n256 97\n257 98\n";

#[test]
fn a_model_minbpe_saved_loads_and_encodes_as_minbpe_does() {
    let tok = parse_model(&minbpe_regex_model()).unwrap();
    assert_eq!(tok.kind(), Kind::Regex);
    assert_eq!(tok.vocab_size(), 262);
    // minbpe: encode('hello world<|endoftext|>', allowed_special='all')
    let ids = tok.encode("hello world<|endoftext|>", &AllowedSpecial::All).unwrap();
    assert_eq!(ids, [259, 32, 119, 111, 114, 108, 100, 262]);
    let basic = parse_model(MINBPE_BASIC_MODEL).unwrap();
    assert_eq!(basic.kind(), Kind::Basic);
    assert_eq!(basic.encode_ordinary("aaabdaaabac").unwrap(), [258, 100, 258, 97, 99]);
}

#[test]
fn what_we_save_is_what_minbpe_saves() {
    let mut tok = Tokenizer::train(Kind::Regex, TEXT, 262, Trainer::Fast).unwrap();
    tok.register_special_tokens(vec![("<|endoftext|>".into(), 262), ("<|fim|>".into(), 300)]).unwrap();
    assert_eq!(model_text(&tok), minbpe_regex_model());
    let basic = Tokenizer::train(Kind::Basic, "aaabdaaabac", 259, Trainer::Plain).unwrap();
    assert_eq!(model_text(&basic), MINBPE_BASIC_MODEL);
}

#[test]
fn save_then_load_gives_the_same_tokenizer() {
    let text = "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer";
    for kind in [Kind::Basic, Kind::Regex] {
        let mut tok = Tokenizer::train(kind, text, 290, Trainer::Fast).unwrap();
        tok.register_special_tokens(vec![("<|endoftext|>".into(), 290)]).unwrap();
        let back = parse_model(&model_text(&tok)).unwrap();
        assert_eq!((back.kind(), back.pattern(), back.merges()), (tok.kind(), tok.pattern(), tok.merges()));
        assert_eq!(back.special_tokens(), tok.special_tokens());
        assert_eq!(model_text(&back), model_text(&tok));
    }
}

/// The model text with line `n` (1-based) replaced, or removed when `with` is None.
fn edit(n: usize, with: Option<&str>) -> String {
    let text = minbpe_regex_model();
    let mut lines: Vec<&str> = text.lines().collect();
    match with {
        Some(w) => lines[n - 1] = w,
        None => _ = lines.remove(n - 1),
    }
    lines.join("\n") + "\n"
}

fn model_error(text: &str) -> String {
    match parse_model(text) {
        Err(Error::Model(why)) => why,
        Err(e) => panic!("expected a model-file error, got {e:?}"),
        Ok(_) => panic!("accepted a bad model file:\n{text}"),
    }
}

#[test]
fn foreign_files_are_refused() {
    assert!(model_error("").contains("not a minbpe model file"));
    assert!(model_error("{\"vocab\": {}}\n").contains("not a minbpe model file"));
    assert!(model_error("minbpe v2\n\n0\n").contains("not a minbpe model file"));
    assert!(model_error("minbpe v1").contains("line 2"));
}

#[test]
fn corrupt_files_are_refused_saying_where() {
    let cases: [(String, &str); 11] = [
        (edit(3, Some("two")), "line 3: the special-token count is not a number"),
        (edit(3, Some("50")), "fewer special tokens than counted"),
        (edit(4, Some("<|endoftext|>")), "line 4: a special-token line is not `name id`"),
        (edit(4, Some("<|endoftext|> x")), "line 4: a special token's id is not a number"),
        (edit(4, Some("<|endoftext|> 257")), "merged token's"),
        (edit(5, Some("<|endoftext|> 300")), "clashes"),
        (edit(6, Some("104")), "line 6: a merge line is not two token ids"),
        (edit(6, Some("104 -1")), "line 6: a merge line is not two token ids"),
        (edit(7, Some("256 999")), "uses a token not made yet"),
        (edit(7, Some("104 101")), "repeats an earlier merge"),
        (edit(2, Some("(unclosed")), "line 2: the split pattern does not compile"),
    ];
    for (text, needle) in cases {
        let why = model_error(&text);
        assert!(why.contains(needle), "expected {needle:?} in {why:?}");
        assert_eq!(why.lines().count(), 1, "{why}");
    }
    // A blank line among the merges is what minbpe's loader chokes on too.
    assert!(model_error(&(minbpe_regex_model() + "\n")).contains("not two token ids"));
}
