//! The vocabulary is microGPT's: `sorted(set(''.join(docs)))`, BOS = n.

use harness::Vocab;

fn docs(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn ids_are_sorted_code_points_then_bos() {
    let v = Vocab::from_docs(&docs(&["emma", "olivia", "Zoë", "ava"]));
    // Python: sorted(set(''.join(['emma','olivia','Zoë','ava']))) == ['Z','a','e','i','l','m','o','v','ë']
    assert_eq!(v.chars(), ['Z', 'a', 'e', 'i', 'l', 'm', 'o', 'v', 'ë']);
    assert_eq!(v.bos(), 9);
    assert_eq!(v.len(), 10);
    assert_eq!(v.stoi('a'), Some(1));
    assert_eq!(v.stoi('q'), None);
}

#[test]
fn encode_decode_round_trip() {
    let v = Vocab::from_docs(&docs(&["emma", "ava"]));
    assert_eq!(v.chars(), ['a', 'e', 'm', 'v']);
    assert_eq!(v.encode("emma").unwrap(), [1, 2, 2, 0]);
    assert_eq!(v.encode_with_bos("ava").unwrap(), [4, 0, 3, 0, 4]);
    assert_eq!(v.decode(&[1, 2, 2, 0, 4]), "emma.");
    assert_eq!(v.itos(4), '.');
    assert_eq!(v.decode(&v.encode("mave").unwrap()), "mave");
}

#[test]
fn repo_vocab_is_the_alphabet() {
    let docs = harness::load_docs(&harness::default_data_path()).unwrap();
    let v = Vocab::from_docs(&docs);
    assert_eq!(v.chars().iter().collect::<String>(), "abcdefghijklmnopqrstuvwxyz");
    assert_eq!(v.len(), 27);
}

#[test]
fn unknown_char_names_char_and_position() {
    let v = Vocab::from_docs(&docs(&["abc"]));
    let err = v.encode("abXc").unwrap_err();
    assert_eq!((err.ch, err.position), ('X', 2));
    let msg = err.to_string();
    assert!(msg.contains("'X'") && msg.contains("U+0058") && msg.contains("position 3"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn serde_round_trip_and_validation() {
    let v = Vocab::from_docs(&docs(&["hello", "world"]));
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"{"chars":"dehlorw"}"#);
    assert_eq!(serde_json::from_str::<Vocab>(&json).unwrap(), v);
    let err = serde_json::from_str::<Vocab>(r#"{"chars":"ba"}"#).unwrap_err();
    assert!(err.to_string().contains("not sorted"), "{err}");
    assert!(serde_json::from_str::<Vocab>(r#"{"chars":"aab"}"#).is_err());
}
