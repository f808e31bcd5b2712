//! The canonical split, against Python's numbers:
//! ```python
//! docs = [l.strip() for l in open(p).read().strip().split('\n') if l.strip()]
//! random.seed(42); random.shuffle(docs); n = len(docs); n1, n2 = int(0.8*n), int(0.9*n)
//! P = lambda d: sum(len(w) + 1 for w in d)
//! print(len(docs[:n1]), len(docs[n1:n2]), len(docs[n2:]), docs[:5], docs[-3:], P(docs), P(docs[:n1]), ...)
//! ```

use harness::split::{Split, cuts, n_predictions, shuffled_indices};
use harness::{load_docs, testdata};

fn check(split: &Split, sizes: [usize; 3], head: [&str; 5], tail: [&str; 3], predictions: [usize; 4]) {
    assert_eq!([split.train.len(), split.val.len(), split.test.len()], sizes);
    assert_eq!(split.shuffled[..5], head);
    assert_eq!(split.shuffled[split.shuffled.len() - 3..], tail);
    let [all, train, val, test] = predictions;
    assert_eq!(n_predictions(&split.shuffled), all);
    assert_eq!(
        [n_predictions(&split.train), n_predictions(&split.val), n_predictions(&split.test)],
        [train, val, test]
    );
    // The parts are the shuffled list, in order.
    let joined: Vec<&String> = split.train.iter().chain(&split.val).chain(&split.test).collect();
    assert!(joined.iter().zip(&split.shuffled).all(|(a, b)| *a == b));
}

#[test]
fn repo_names_split() {
    let docs = load_docs(&testdata::ssa_names()).unwrap();
    let split = Split::new(&docs);
    check(
        &split,
        [25_805, 3_226, 3_226],
        ["anaiza", "julyen", "lyberty", "dalen", "malick"],
        ["nathalie", "mirha", "caidyn"],
        [229_804, 183_802, 22_949, 23_053],
    );
    // The same split as positions in `docs`, for callers that need no copies.
    let (order, (n1, n2)) = (shuffled_indices(docs.len()), cuts(docs.len()));
    assert_eq!((n1, n2), (25_805, 25_805 + 3_226));
    assert!(order.iter().zip(&split.shuffled).all(|(&i, word)| docs[i] == *word));
}

#[test]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn makemore_names_split() {
    let Some(path) = testdata::makemore_names() else { return };
    let docs = load_docs(&path).unwrap();
    assert_eq!(docs.len(), 32_033);
    check(
        &Split::new(&docs),
        [25_626, 3_203, 3_204],
        ["yuheng", "diondre", "xavien", "jori", "juanluis"],
        ["opal", "zaylynn", "yovani"],
        [228_146, 182_625, 22_655, 22_866],
    );
}

#[test]
fn tiny_inputs_do_not_panic() {
    let one = vec!["solo".to_string()];
    let s = Split::new(&one);
    // int(0.8*1) == 0, int(0.9*1) == 0: everything lands in test, as in Python.
    assert_eq!((s.train.len(), s.val.len(), s.test.len()), (0, 0, 1));
    let ten: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let s = Split::new(&ten);
    assert_eq!((s.train.len(), s.val.len(), s.test.len()), (8, 1, 1));
    // The input itself is left alone.
    assert_eq!(ten[0], "0");
}

#[test]
fn predictions_count_characters_not_bytes() {
    assert_eq!(n_predictions(&["zoë".to_string(), "al".to_string()]), 4 + 3);
}
