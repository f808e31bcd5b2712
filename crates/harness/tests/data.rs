//! `load_docs` reads files as `[l.strip() for l in open(p).read().strip().split('\n') if l.strip()]` does.

use harness::data::{DataError, is_py_space, load_docs, parse_docs};
use std::path::PathBuf;

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("harness-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn isspace_matches_python_over_every_code_point() {
    // print([hex(c) for c in range(0x110000) if chr(c).isspace()])
    let want: Vec<u32> = vec![
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
        0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
        0x3000,
    ];
    let got: Vec<u32> =
        (0..0x110000).filter_map(char::from_u32).filter(|&c| is_py_space(c)).map(u32::from).collect();
    assert_eq!(got, want);
}

#[test]
fn parse_matches_python_on_awkward_text() {
    // Each expected list printed by Python 3.11 for the same bytes written to a file and read with
    // [l.strip() for l in open(p, encoding='utf-8').read().strip().split('\n') if l.strip()]
    let cases: [(&str, &[&str]); 5] = [
        ("  alice \r\nbob\rcarol\n\n\x1c dave\x1f\n", &["alice", "bob", "carol", "dave"]),
        ("e\u{2028}f \u{3000}\n\u{a0}g\u{85}h\x0b\n\t\n", &["e\u{2028}f", "g\u{85}h"]),
        ("\r\r\nx\r\n\r\n", &["x"]),
        ("\u{feff}bom\n", &["\u{feff}bom"]),
        ("a\x0cb\n", &["a\x0cb"]),
    ];
    for (text, want) in cases {
        assert_eq!(parse_docs(text), want, "{text:?}");
        let path = tmp("awkward.txt", text.as_bytes());
        assert_eq!(load_docs(&path).unwrap(), want, "{text:?} from a file");
    }
}

#[test]
fn repo_names_load_whole() {
    let docs = load_docs(&harness::default_data_path()).unwrap();
    assert_eq!(docs.len(), 32_257);
    assert!(docs.iter().all(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_lowercase())));
}

#[test]
fn missing_file_says_where_it_looked_and_what_to_do() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-names.txt");
    let err = load_docs(&path).unwrap_err();
    assert!(matches!(err, DataError::NotFound(_)));
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("data/names.txt") && msg.contains("--data FILE"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn non_utf8_names_its_line() {
    // Line breaks of all three kinds before the bad byte: \n, \r\n, lone \r → the bad byte is on line 4.
    let path = tmp("latin1.txt", b"ann\nbob\r\ncid\rd\xe9sir\xe9e\n");
    let err = load_docs(&path).unwrap_err();
    assert!(matches!(err, DataError::NotUtf8 { line: 4, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("line 4") && msg.contains("not UTF-8") && !msg.contains('\n'), "{msg}");
}

#[test]
fn empty_or_blank_file_has_no_documents() {
    for (name, bytes) in [("empty.txt", &b""[..]), ("blank.txt", &b" \n\r\n\t \n"[..])] {
        let err = load_docs(&tmp(name, bytes)).unwrap_err();
        assert!(matches!(err, DataError::Empty(_)), "{name}: {err:?}");
        assert!(err.to_string().contains("no documents"), "{err}");
    }
}

#[test]
fn a_directory_is_one_line_naming_it_not_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    for err in [load_docs(dir).unwrap_err(), harness::data::check_data(dir).unwrap_err()] {
        assert!(matches!(err, DataError::IsDir(..)), "{err:?}");
        assert!(err.to_string().ends_with("is a directory; give a text file"), "{err}");
    }
}

#[test]
fn default_path_is_the_repo_file() {
    let path = harness::default_data_path();
    assert!(path.ends_with("data/names.txt"));
    assert!(path.is_file());
    assert!(!path.to_string_lossy().contains(".."), "{}", path.display());
}
