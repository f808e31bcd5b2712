//! Checkpoints: save, load, and every way loading can fail (one line each, never a panic), plus the
//! overwrite policy.

use harness::checkpoint::{self, CONFIG_FILE, CheckpointError, WEIGHTS_FILE};
use harness::{NamedTensor, TensorData, Vocab};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Config {
    n_embd: usize,
    vocab: Vocab,
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("harness-checkpoint").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config() -> Config {
    Config { n_embd: 3, vocab: Vocab::from_docs(&["ab".to_string()]) }
}

fn tensors() -> Vec<NamedTensor> {
    vec![
        NamedTensor::f32("wte", &[3, 3], (0..9).map(|i| i as f32 * 0.1 - 0.3).collect()),
        NamedTensor::f64("lm_head", &[3, 2], vec![1e-300, -0.0, f64::MIN_POSITIVE, 1.0 / 3.0, -7.25, 1e300]),
    ]
}

fn saved(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    assert!(checkpoint::save(&dir, "mlp", &config(), &tensors()).unwrap().is_none());
    dir
}

fn load_err(dir: &Path, stage: &str) -> CheckpointError {
    let err = checkpoint::load::<Config>(dir, stage).unwrap_err();
    assert!(!err.to_string().contains('\n'), "one line: {err}");
    err
}

#[test]
fn round_trip_is_exact() {
    let dir = saved("round-trip");
    let ck = checkpoint::load::<Config>(&dir, "mlp").unwrap();
    assert_eq!(ck.stage, "mlp");
    assert_eq!(ck.config, config());
    ck.expect_names(&["wte", "lm_head"]).unwrap();
    let want = tensors();
    let (TensorData::F32(wte), TensorData::F64(lm_head)) = (&want[0].data, &want[1].data) else {
        unreachable!()
    };
    assert_eq!(ck.expect_shape("wte", &[3, 3]).unwrap(), &wte[..]);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(ck.expect_shape_f64("lm_head", &[3, 2]).unwrap()), bits(lm_head)); // -0.0 and all
    // config.json is readable by people and says what it is.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    assert_eq!(json["stage"], "mlp");
    assert_eq!(json["format"], checkpoint::FORMAT);
    assert_eq!(json["version"], checkpoint::FORMAT_VERSION);
    assert_eq!(json["config"]["n_embd"], 3);
    // No temporary files are left behind: the checkpoint, and the (empty) lock file of the run directory.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [harness::rundir::LOCK_FILE, CONFIG_FILE, WEIGHTS_FILE]);
    assert_eq!(std::fs::read(dir.join(harness::rundir::LOCK_FILE)).unwrap(), b"");
}

#[test]
fn shape_dtype_and_name_checks() {
    let ck = checkpoint::load::<Config>(&saved("shapes"), "mlp").unwrap();
    let msg = ck.expect_shape("wte", &[3, 4]).unwrap_err().to_string();
    assert!(msg.contains("wte") && msg.contains("[3, 3]") && msg.contains("[3, 4]"), "{msg}");
    assert!(ck.expect_shape("lm_head", &[3, 2]).unwrap_err().to_string().contains("is f64, expected f32"));
    assert!(ck.expect_shape_f64("wte", &[3, 3]).unwrap_err().to_string().contains("is f32, expected f64"));
    assert!(ck.expect_shape("wpe", &[3]).unwrap_err().to_string().contains("`wpe` is missing"));
    assert!(ck.expect_names(&["wte"]).unwrap_err().to_string().contains("unexpected tensors [\"lm_head\"]"));
    assert!(
        ck.expect_names(&["wte", "lm_head", "wpe"]).unwrap_err().to_string().contains("`wpe` is missing")
    );
}

#[test]
fn missing_checkpoint() {
    let dir = fresh_dir("missing");
    let err = load_err(&dir, "mlp");
    assert!(matches!(err, CheckpointError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains(&dir.join(CONFIG_FILE).display().to_string()));

    let dir = saved("missing-weights");
    std::fs::remove_file(dir.join(WEIGHTS_FILE)).unwrap();
    let err = load_err(&dir, "mlp");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");
}

#[test]
fn wrong_stage() {
    let err = load_err(&saved("wrong-stage"), "nanogpt");
    assert!(
        matches!(&err, CheckpointError::WrongStage { found, expected, .. } if found == "mlp" && expected == "nanogpt")
    );
    assert!(err.to_string().contains("stage `mlp`, not `nanogpt`"), "{err}");
}

#[test]
fn truncated_weights() {
    let dir = saved("truncated");
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).unwrap();
    for keep in [bytes.len() - 1, bytes.len() / 2, 7, 0] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let err = load_err(&dir, "mlp");
        assert!(matches!(err, CheckpointError::BadWeights(..)), "{keep}: {err:?}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn corrupt_or_swapped_weights() {
    let dir = saved("corrupt");
    let path = dir.join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40; // one flipped bit in the data
    std::fs::write(&path, &bytes).unwrap();
    let err = load_err(&dir, "mlp");
    assert!(err.to_string().contains("do not match"), "{err}");

    // Weights from a different save, same shapes: the config's fingerprint catches it.
    let other = fresh_dir("other");
    let mut t = tensors();
    t[0] = NamedTensor::f32("wte", &[3, 3], vec![0.5; 9]);
    checkpoint::save(&other, "mlp", &config(), &t).unwrap();
    let dir = saved("swapped");
    let theirs = std::fs::read(other.join(WEIGHTS_FILE)).unwrap();
    std::fs::write(dir.join(WEIGHTS_FILE), theirs).unwrap();
    assert!(matches!(load_err(&dir, "mlp"), CheckpointError::BadWeights(..)));
}

#[test]
fn config_problems() {
    let dir = saved("config");
    let path = dir.join(CONFIG_FILE);
    let good = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    assert!(matches!(load_err(&dir, "mlp"), CheckpointError::NotOurs(_)));

    std::fs::write(&path, good.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let err = load_err(&dir, "mlp");
    assert!(matches!(err, CheckpointError::Version { found: 99, .. }), "{err:?}");

    std::fs::write(&path, good.replace("\"n_embd\": 3", "\"n_embd\": \"three\"")).unwrap();
    let err = load_err(&dir, "mlp");
    assert!(matches!(err, CheckpointError::BadConfig(..)), "{err:?}");
    assert!(err.to_string().contains("config does not fit"), "{err}");
}

#[test]
fn bad_tensors_are_refused_before_writing() {
    let dir = fresh_dir("bad-tensors");
    let short = [NamedTensor::f32("w", &[2, 3], vec![0.0; 5])];
    let err = checkpoint::save(&dir, "mlp", &config(), &short).unwrap_err();
    assert!(err.to_string().contains("has 5 values, but shape [2, 3]"), "{err}");
    let twice = [NamedTensor::f32("w", &[1], vec![0.0]), NamedTensor::f64("w", &[1], vec![0.0])];
    assert!(
        checkpoint::save(&dir, "mlp", &config(), &twice).unwrap_err().to_string().contains("appears twice")
    );
    assert!(!dir.join(CONFIG_FILE).exists() && !dir.join(WEIGHTS_FILE).exists());
}

#[test]
fn saving_over_our_own_run_replaces_it_with_a_note() {
    let dir = saved("replace");
    let t = vec![NamedTensor::f32("wte", &[2], vec![4.0, 5.0])];
    let note = checkpoint::save(&dir, "mlp", &config(), &t).unwrap().expect("a note");
    assert_eq!(note.to_string(), format!("replacing previous run in {}", dir.display()));
    let ck = checkpoint::load::<Config>(&dir, "mlp").unwrap();
    assert_eq!(ck.expect_shape("wte", &[2]).unwrap(), [4.0, 5.0]);
    ck.expect_names(&["wte"]).unwrap();
}

#[test]
fn weights_left_by_a_crash_before_the_config_are_ours() {
    let dir = saved("crash");
    std::fs::remove_file(dir.join(CONFIG_FILE)).unwrap();
    assert!(checkpoint::is_our_weights(&dir.join(WEIGHTS_FILE)));
    assert!(checkpoint::save(&dir, "mlp", &config(), &tensors()).unwrap().is_some());
    checkpoint::load::<Config>(&dir, "mlp").unwrap();
}

#[test]
fn someone_elses_files_are_refused_and_kept() {
    for (file, content) in
        [(CONFIG_FILE, &b"{\"lr\": 0.1}"[..]), (WEIGHTS_FILE, &b"\x08\0\0\0\0\0\0\0{}      "[..])]
    {
        let dir = fresh_dir(&format!("foreign-{file}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), content).unwrap();
        let err = checkpoint::save(&dir, "mlp", &config(), &tensors()).unwrap_err();
        assert!(matches!(err, CheckpointError::Overwrite(_)), "{file}: {err:?}");
        assert!(err.to_string().starts_with("refusing to overwrite"), "{err}");
        assert_eq!(std::fs::read(dir.join(file)).unwrap(), content, "{file} untouched");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "nothing else written");
    }
}

#[test]
fn a_file_where_the_directory_should_be_is_an_error() {
    let dir = fresh_dir("file-not-dir");
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    std::fs::write(&dir, "x").unwrap();
    let err = checkpoint::save(&dir, "mlp", &config(), &tensors()).unwrap_err();
    assert!(matches!(err, CheckpointError::RunDir(_)), "{err:?}");
    assert_eq!(err.to_string(), format!("--out {} is a file, not a directory", dir.display()));
    assert_eq!(std::fs::read(&dir).unwrap(), b"x");
    std::fs::remove_file(&dir).unwrap();
}

/// 64-bit FNV-1a, as the checkpoint's config records it, to forge a config that vouches for garbage.
fn fnv1a64_hex(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

#[test]
fn garbage_weights_vouched_for_by_the_config_still_fail_cleanly() {
    let dir = saved("garbage");
    let config_path = dir.join(CONFIG_FILE);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    let cases: [(&[u8], &str); 3] = [
        (b"\xff\xff\xff\xff\xff\xff\xff\x7f{}", "not a valid safetensors file"), // header longer than the file
        (b"\x10\0\0\0\0\0\0\0{\"a\":{\"dtype\":\"F32\"}}", "not a valid safetensors file"), // header cut mid-JSON
        (b"\x02\0\0\0\0\0\0\0{}", "tensors do not match"), // a valid file, but with no tensors
    ];
    for (garbage, want) in cases {
        std::fs::write(dir.join(WEIGHTS_FILE), garbage).unwrap();
        json["weights"]["bytes"] = garbage.len().into();
        json["weights"]["fnv1a64"] = fnv1a64_hex(garbage).into();
        std::fs::write(&config_path, json.to_string()).unwrap();
        let err = load_err(&dir, "mlp");
        assert!(matches!(err, CheckpointError::BadWeights(..)), "{err:?}");
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn the_same_checkpoint_is_the_same_bytes() {
    // Same seed, same data → the same files, byte for byte (no map-ordered metadata).
    let (a, b) = (fresh_dir("bytes-a"), fresh_dir("bytes-b"));
    for dir in [&a, &b] {
        harness::checkpoint::save(dir, "test", &config(), &tensors()).unwrap();
    }
    for file in [harness::checkpoint::WEIGHTS_FILE, harness::checkpoint::CONFIG_FILE] {
        assert_eq!(std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap(), "{file}");
    }
}
