//! Encoding with our exported ranks in tiktoken gives our ids: tiktoken's own loader reads the
//! `.tiktoken` file, and `tiktoken.Encoding(pat_str=GPT-4's pattern, mergeable_ranks=ours)` encodes
//! several texts. Ignored, saying why, when python3 cannot import tiktoken (`pip install tiktoken`).

mod common;

use std::process::Command;

use tokenizer::model_file::tiktoken_ranks;
use tokenizer::pattern::GPT4_SPLIT_PATTERN;
use tokenizer::{Kind, Tokenizer, Trainer};

const SCRIPT: &str = r#"
import os, sys
os.environ["TIKTOKEN_CACHE_DIR"] = ""  # read the file itself, never a cached copy
import tiktoken
from tiktoken.load import load_tiktoken_bpe
ranks_path, pattern, *texts = sys.argv[1:]
enc = tiktoken.Encoding(name="zero-to-gpt", pat_str=pattern,
                        mergeable_ranks=load_tiktoken_bpe(ranks_path), special_tokens={})
for path in texts:
    with open(path, encoding="utf-8", newline="") as f:
        print(" ".join(map(str, enc.encode_ordinary(f.read()))))
"#;

/// tiktoken's ids for each text, with `tok`'s ranks; None (after a note) if tiktoken is not there.
fn tiktoken_ids(tok: &Tokenizer, texts: &[String], name: &str) -> Option<Vec<Vec<u32>>> {
    let dir = common::temp_dir(name);
    let ranks = dir.join("tokenizer.tiktoken");
    std::fs::write(&ranks, tiktoken_ranks(tok).unwrap()).unwrap();
    let mut paths = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let p = dir.join(format!("text{i}.txt"));
        std::fs::write(&p, t).unwrap();
        paths.push(p);
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&ranks)
        .arg(GPT4_SPLIT_PATTERN)
        .args(&paths)
        .output();
    let out = match out {
        Ok(out) if out.status.success() => out,
        Ok(out)
            if String::from_utf8_lossy(&out.stderr).contains("No module named 'tiktoken'")
                || !cfg!(has_tiktoken) =>
        {
            eprintln!("skipping: python3 cannot import tiktoken");
            return None;
        }
        Ok(out) => panic!("the tiktoken script failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            eprintln!("skipping: cannot run python3: {e}");
            return None;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8(out.stdout).unwrap();
    Some(stdout.lines().map(|l| l.split_whitespace().map(|s| s.parse().unwrap()).collect()).collect())
}

fn texts() -> Vec<String> {
    let s = common::shakespeare();
    let start = s.char_indices().nth(3_000_000).unwrap().0;
    vec![
        tokenizer::bench::first_chars(&s[start..], 50_000).to_owned(),
        common::shakespeare_chars(2_000).to_owned(),
        "Hello world! 안녕하세요 세계! Привет, мир! こんにちは世界 🌍🌍 مرحبا 12345678901 don't WON'T it's"
            .into(),
        "fn main() {\n    let x = vec![1, 2, 3];\r\n\tprintln!(\"{x:?}\");\n}\n\n\n   \n".into(),
        "   leading and trailing spaces   \n\n\n\r\n\r\n  \t\t x".into(),
        "Ünïcödé naïve café — “quotes” ‘single’ … ½ ² ٣ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{200b}\u{feff}".into(),
        String::new(),
    ]
}

fn check(tok: &Tokenizer, name: &str) {
    let texts = texts();
    let Some(theirs) = tiktoken_ids(tok, &texts, name) else { return };
    assert_eq!(theirs.len(), texts.len());
    for (text, theirs) in texts.iter().zip(theirs) {
        let ours = tok.encode_ordinary(text).unwrap();
        let at = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert!(
            ours == theirs,
            "{name}: differs from tiktoken at token {at:?} of {:?}",
            &text[..text.len().min(60)]
        );
    }
}

#[test]
#[cfg_attr(not(has_tiktoken), ignore = "python3 cannot import tiktoken (pip install tiktoken)")]
fn shakespeare_tokenizer_encodes_as_tiktoken_does() {
    let tok = Tokenizer::train(Kind::Regex, common::shakespeare_chars(300_000), 1024, Trainer::Fast).unwrap();
    check(&tok, "tiktoken-shakespeare");
}

#[test]
#[cfg_attr(not(has_tiktoken), ignore = "python3 cannot import tiktoken (pip install tiktoken)")]
fn many_scripts_tokenizer_encodes_as_tiktoken_does() {
    let text = texts()[2..].concat().repeat(5) + common::shakespeare_chars(20_000);
    let tok = Tokenizer::train(Kind::Regex, &text, 600, Trainer::Fast).unwrap();
    check(&tok, "tiktoken-scripts");
}
