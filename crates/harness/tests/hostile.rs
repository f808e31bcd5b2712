//! Hostile input against the shared machinery every stage uses: output directories, checkpoints, the run
//! log, the divergence guard, limits and sampling. Each case asserts that the error is one line and that
//! every file the user had is byte-identical afterwards (a symlink's target too).
//!
//! The kill-during-save loop is at the end: an ignored test (CI runs it in release mode) that SIGKILLs a
//! child process saving checkpoints in a loop, 40 times, and loads after each kill.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::checkpoint::{self, CONFIG_FILE, CheckpointError, NEXT_WEIGHTS_FILE, NamedTensor, WEIGHTS_FILE};
use harness::overwrite::{self, checked_name, write_atomic, write_guarded};
use harness::rundir::{LOCK_FILE, RunDir};
use harness::runlog::LOG_FILE;
use harness::{PyRandom, guard, limits, load_docs};
use serde::{Deserialize, Serialize};

const STAGE: &str = "hostile";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Gen {
    generation: u64,
}

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("harness-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Generation `g`: one tensor whose every value is `g`, big enough that a save takes a moment.
fn tensors(g: u64, n: usize) -> Vec<NamedTensor> {
    vec![NamedTensor::f32("w", &[n], vec![g as f32; n]), NamedTensor::f64("b", &[2], vec![g as f64; 2])]
}

/// Loads `dir` and checks the checkpoint is whole: the config's generation is the weights'.
fn loaded_generation(dir: &Path) -> Result<u64, CheckpointError> {
    let ck = checkpoint::load::<Gen>(dir, STAGE)?;
    let g = ck.config.generation;
    let w = ck.tensors["w"].clone();
    match w.data {
        harness::TensorData::F32(v) => assert!(v.iter().all(|&x| x == g as f32), "weights of another save"),
        _ => panic!("w is f32"),
    }
    Ok(g)
}

/// Every file under `dir` (not following links) with its bytes, or its link target for a symlink.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let content = if meta.file_type().is_symlink() {
            let mut v = b"-> ".to_vec();
            v.extend(std::fs::read_link(&path).unwrap().to_string_lossy().as_bytes());
            v
        } else if meta.is_dir() {
            b"<dir>".to_vec()
        } else {
            std::fs::read(&path).unwrap()
        };
        files.insert(name, content);
    }
    files
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    assert_eq!(s.lines().count(), 1, "not one line: {s}");
    assert!(!s.is_empty());
    s
}

// ---- the output directory ----------------------------------------------------------------------

#[test]
fn out_naming_a_file_is_refused_in_one_line() {
    let dir = fresh("out-is-file");
    let file = dir.join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    let e = RunDir::create(&file, STAGE).unwrap_err();
    assert_eq!(one_line(&e), format!("--out {} is a file, not a directory", file.display()));
    // Below a file: the OS's own refusal, still one line.
    one_line(&RunDir::create(&file.join("sub"), STAGE).unwrap_err());
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
    assert_eq!(snapshot(&dir).len(), 1);
}

#[test]
#[cfg_attr(not(read_only_dirs_bind), ignore = "permission bits do not stop this user (root) writing")]
fn an_unwritable_out_is_refused_before_any_work() {
    if !cfg!(read_only_dirs_bind) {
        // Only reached under `--ignored`: say so rather than fail where the check cannot be made.
        eprintln!("skipping: permission bits do not stop this user (root) writing");
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh("read-only");
        std::fs::write(dir.join("keep.txt"), "x").unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let e = RunDir::create(&dir, STAGE).unwrap_err();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(one_line(&e).starts_with("cannot write into --out"), "{e}");
        assert_eq!(snapshot(&dir).len(), 1);
    }
}

#[test]
fn each_file_a_run_writes_must_be_absent_or_ours_on_its_own() {
    // A foreign file at each name, beside a checkpoint of ours: ours does not vouch for it.
    for name in [CONFIG_FILE, WEIGHTS_FILE, NEXT_WEIGHTS_FILE, LOG_FILE] {
        let dir = fresh(&format!("foreign-{name}"));
        checkpoint::save(&dir, STAGE, &Gen { generation: 1 }, &tensors(1, 4)).unwrap();
        std::fs::write(dir.join(name), b"the user's own bytes\n").unwrap();
        let before = snapshot(&dir);
        let e = RunDir::create(&dir, STAGE).unwrap_err();
        assert!(one_line(&e).starts_with("refusing to overwrite"), "{name}: {e}");
        let e = checkpoint::save(&dir, STAGE, &Gen { generation: 2 }, &tensors(2, 4)).unwrap_err();
        assert!(one_line(&e).starts_with("refusing to overwrite"), "{name}: {e}");
        assert_eq!(snapshot(&dir), before, "{name}: nothing changed");
    }
}

#[test]
fn a_foreign_dir_gets_nothing_new_not_even_a_lock_file() {
    let dir = fresh("foreign-config");
    std::fs::write(dir.join(CONFIG_FILE), "{\"lr\": 0.1}").unwrap();
    let before = snapshot(&dir);
    one_line(&RunDir::create(&dir, STAGE).unwrap_err());
    assert_eq!(snapshot(&dir), before);
}

#[cfg(unix)]
#[test]
fn symlinks_at_any_name_are_refused_and_their_targets_untouched() {
    use std::os::unix::fs::symlink;
    for name in [CONFIG_FILE, WEIGHTS_FILE, NEXT_WEIGHTS_FILE, LOG_FILE, LOCK_FILE] {
        let outside = fresh(&format!("outside-{name}"));
        let target = outside.join("precious.txt");
        std::fs::write(&target, "the user's file outside --out").unwrap();
        let dir = fresh(&format!("link-{name}"));
        symlink(&target, dir.join(name)).unwrap();
        let before = snapshot(&dir);
        let e = RunDir::create(&dir, STAGE).unwrap_err();
        assert!(one_line(&e).contains("is a symlink"), "{name}: {e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "the user's file outside --out");
        assert_eq!(snapshot(&dir), before);
    }
    // A link to a checkpoint of ours is still a link.
    let ours = fresh("link-to-ours-src");
    checkpoint::save(&ours, STAGE, &Gen { generation: 1 }, &tensors(1, 4)).unwrap();
    let dir = fresh("link-to-ours");
    symlink(ours.join(CONFIG_FILE), dir.join(CONFIG_FILE)).unwrap();
    assert!(one_line(&RunDir::create(&dir, STAGE).unwrap_err()).contains("is a symlink"));
}

#[cfg(unix)]
#[test]
fn a_log_symlink_planted_after_the_checks_is_replaced_not_followed() {
    let dir = fresh("late-link");
    let outside = fresh("late-link-outside");
    let target = outside.join("victim.txt");
    std::fs::write(&target, "keep").unwrap();
    let run = RunDir::create(&dir, STAGE).unwrap();
    std::os::unix::fs::symlink(&target, dir.join(LOG_FILE)).unwrap();
    // Refused by the guard; and were the link planted between the guard and the rename, the rename would
    // replace the link itself.
    assert!(one_line(&run.log().unwrap_err()).contains("is a symlink"));
    std::fs::remove_file(dir.join(LOG_FILE)).unwrap();
    // Our temporary name planted as a link: removed, not followed.
    std::os::unix::fs::symlink(&target, overwrite::temp_path(&dir.join(LOG_FILE))).unwrap();
    let mut log = run.log().unwrap();
    log.append(&harness::Record {
        stage: STAGE.into(),
        step: 0,
        tokens_seen: 0,
        elapsed_s: 0.0,
        train_loss: Some(1.0),
        val_loss: None,
        val_bpb: None,
        train_s: None,
    })
    .unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert!(std::fs::symlink_metadata(dir.join(LOG_FILE)).unwrap().is_file());
}

#[test]
fn a_directory_at_a_name_is_refused() {
    let dir = fresh("dir-at-name");
    std::fs::create_dir(dir.join(WEIGHTS_FILE)).unwrap();
    assert!(one_line(&RunDir::create(&dir, STAGE).unwrap_err()).contains("a directory is in the way"));
}

#[test]
fn a_second_run_into_the_same_out_gets_one_line_and_the_first_goes_on() {
    let dir = fresh("busy");
    let first = RunDir::create(&dir, STAGE).unwrap();
    let e = RunDir::create(&dir, STAGE).unwrap_err();
    assert_eq!(
        one_line(&e),
        format!("another run is writing to {} (wait for it to finish, or pick another --out)", dir.display())
    );
    let e = checkpoint::save(&dir, STAGE, &Gen { generation: 9 }, &tensors(9, 4)).unwrap_err();
    assert!(one_line(&e).starts_with("another run is writing to"));
    first.save_checkpoint(&Gen { generation: 1 }, &tensors(1, 4)).unwrap();
    drop(first);
    // The lock dies with its holder.
    let again = RunDir::create(&dir, STAGE).unwrap();
    assert!(again.replacing().is_some());
    assert_eq!(loaded_generation(&dir).unwrap(), 1);
}

#[test]
fn stale_temp_files_of_ours_are_removed_and_nothing_else() {
    let dir = fresh("stale");
    let ours = [
        ".config.json.tmp-4242",
        ".model.safetensors.tmp-1",
        ".model.next.safetensors.tmp-77",
        ".log.jsonl.tmp-3",
    ];
    let theirs = [".config.json.tmp-abc", "config.json.tmp-1", ".notes.tmp-1", ".model.safetensors.tmp-"];
    for name in ours.iter().chain(&theirs) {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    let run = RunDir::create(&dir, STAGE).unwrap();
    for name in ours {
        assert!(!dir.join(name).exists(), "{name} left behind");
    }
    for name in theirs {
        assert_eq!(std::fs::read(dir.join(name)).unwrap(), b"x", "{name} touched");
    }
    run.save_checkpoint(&Gen { generation: 3 }, &tensors(3, 4)).unwrap();
    let tmp: Vec<_> =
        snapshot(&dir).into_keys().filter(|n| n.contains(".tmp-") && !theirs.contains(&n.as_str())).collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

#[test]
fn claimed_names_stay_inside_the_run_dir() {
    let dir = fresh("claim");
    let run = RunDir::create(&dir, STAGE).unwrap();
    for bad in ["../x", "/etc/passwd", "..", "", "a/b"] {
        assert!(one_line(&run.claim(bad, |_| true).unwrap_err()).contains("not a plain file name"));
    }
    std::fs::write(dir.join("mlp-loss.png"), "user's").unwrap();
    assert!(one_line(&run.claim("mlp-loss.png", |_| false).unwrap_err()).starts_with("refusing"));
    assert_eq!(run.claim("fresh.png", |_| false).unwrap(), dir.join("fresh.png"));
}

// ---- checkpoints ------------------------------------------------------------------------------

#[test]
fn nan_weights_are_never_saved_and_the_last_good_checkpoint_stays() {
    let dir = fresh("nan-save");
    checkpoint::save(&dir, STAGE, &Gen { generation: 1 }, &tensors(1, 8)).unwrap();
    let before = snapshot(&dir);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let t = vec![NamedTensor::f32("w", &[2], vec![0.5, bad])];
        let e = checkpoint::save(&dir, STAGE, &Gen { generation: 2 }, &t).unwrap_err();
        assert!(one_line(&e).starts_with("the checkpoint holds NaN/inf weights (the run diverged)"), "{e}");
        let run = RunDir::create(&dir, STAGE).unwrap();
        assert!(run.save_checkpoint(&Gen { generation: 2 }, &t).is_err());
    }
    assert_eq!(snapshot(&dir), before);
    assert_eq!(loaded_generation(&dir).unwrap(), 1);
}

/// 64-bit FNV-1a, as config.json records it, to forge a config that vouches for edited weights.
fn fnv1a64_hex(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

#[test]
fn nan_weights_in_a_checkpoint_are_one_line_at_load() {
    let dir = fresh("nan-load");
    checkpoint::save(&dir, STAGE, &Gen { generation: 1 }, &tensors(1, 4)).unwrap();
    // Overwrite the first value of `b` (f64 1.0) with NaN, and vouch for it in config.json.
    let mut bytes = std::fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    let one = 1.0f64.to_le_bytes();
    let at = bytes.windows(8).position(|w| w == one).unwrap();
    bytes[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(dir.join(WEIGHTS_FILE), &bytes).unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    json["weights"]["fnv1a64"] = fnv1a64_hex(&bytes).into();
    std::fs::write(dir.join(CONFIG_FILE), json.to_string()).unwrap();
    let e = checkpoint::load::<Gen>(&dir, STAGE).unwrap_err();
    assert!(
        one_line(&e).starts_with("the checkpoint holds NaN/inf weights (the run diverged): tensor `b`"),
        "{e}"
    );
}

#[test]
fn every_state_a_kill_can_leave_loads_and_the_next_run_tidies_it() {
    // Generation 1 committed in `dir`, generation 2's files made in `other`.
    let (dir, other) = (fresh("states"), fresh("states-other"));
    checkpoint::save(&dir, STAGE, &Gen { generation: 1 }, &tensors(1, 8)).unwrap();
    checkpoint::save(&other, STAGE, &Gen { generation: 2 }, &tensors(2, 8)).unwrap();
    let new_weights = std::fs::read(other.join(WEIGHTS_FILE)).unwrap();
    let new_config = std::fs::read(other.join(CONFIG_FILE)).unwrap();

    // Killed after step 1: new weights at model.next, the config still the old one.
    std::fs::write(dir.join(NEXT_WEIGHTS_FILE), &new_weights).unwrap();
    assert_eq!(loaded_generation(&dir).unwrap(), 1);
    drop(RunDir::create(&dir, STAGE).unwrap()); // drops the uncommitted weights
    assert!(!dir.join(NEXT_WEIGHTS_FILE).exists());
    assert_eq!(loaded_generation(&dir).unwrap(), 1);

    // Killed after step 2: the config vouches for model.next, model.safetensors is still the old one.
    std::fs::write(dir.join(NEXT_WEIGHTS_FILE), &new_weights).unwrap();
    std::fs::write(dir.join(CONFIG_FILE), &new_config).unwrap();
    assert_eq!(loaded_generation(&dir).unwrap(), 2);
    assert_eq!(checkpoint::weights_path(&dir).unwrap(), dir.join(NEXT_WEIGHTS_FILE));
    drop(RunDir::create(&dir, STAGE).unwrap()); // finishes the save
    assert!(!dir.join(NEXT_WEIGHTS_FILE).exists());
    assert_eq!(std::fs::read(dir.join(WEIGHTS_FILE)).unwrap(), new_weights);
    assert_eq!(loaded_generation(&dir).unwrap(), 2);

    // Killed after step 2 and then model.next lost too: one line, never garbage.
    std::fs::write(dir.join(WEIGHTS_FILE), b"\x02\0\0\0\0\0\0\0{}").unwrap();
    let e = checkpoint::load::<Gen>(&dir, STAGE).unwrap_err();
    assert!(one_line(&e).contains("truncated, or from another save"), "{e}");
}

#[cfg(unix)]
#[test]
fn huge_files_at_our_names_are_judged_without_being_read() {
    // Sparse files: large on paper, nothing on disk. Reading either would take seconds and gigabytes.
    let dir = fresh("huge");
    checkpoint::save(&dir, STAGE, &Gen { generation: 1 }, &tensors(1, 4)).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(dir.join(WEIGHTS_FILE)).unwrap();
    f.set_len(8 << 30).unwrap();
    let e = checkpoint::load::<Gen>(&dir, STAGE).unwrap_err();
    assert!(one_line(&e).contains("8589934592 bytes, but config.json expects"), "{e}");

    let dir = fresh("huge-config");
    std::fs::File::create(dir.join(CONFIG_FILE)).unwrap().set_len(4 << 30).unwrap();
    let e = RunDir::create(&dir, STAGE).unwrap_err();
    assert!(one_line(&e).starts_with("refusing to overwrite"), "{e}");
    let e = checkpoint::load::<Gen>(&dir, STAGE).unwrap_err();
    assert!(one_line(&e).contains("is not a zero-to-gpt checkpoint config"), "{e}");

    let data = dir.join("names.txt");
    std::fs::File::create(&data).unwrap().set_len((1 << 30) + 1).unwrap();
    let e = load_docs(&data).unwrap_err();
    assert!(one_line(&e).contains("is larger than 1.00 GiB"), "{e}");
}

// ---- the output guard -------------------------------------------------------------------------

#[test]
fn names_from_the_user_stay_inside_the_directory() {
    for bad in ["../../x", "/tmp/x", "..", ".", "", "a/b", "a\\b"] {
        assert!(one_line(&checked_name(bad).unwrap_err()).contains("not a plain file name"), "{bad:?}");
    }
}

#[test]
fn guarded_writes_refuse_foreign_files_and_links() {
    let dir = fresh("guarded");
    let theirs = dir.join("summary.md");
    std::fs::write(&theirs, "my summary").unwrap();
    let e = write_guarded(&theirs, b"ours", |_| false).unwrap_err();
    assert!(one_line(&e).starts_with("refusing to overwrite"));
    assert_eq!(std::fs::read(&theirs).unwrap(), b"my summary");
    #[cfg(unix)]
    {
        let link = dir.join("loss.svg");
        std::os::unix::fs::symlink(&theirs, &link).unwrap();
        let e = write_guarded(&link, b"ours", |_| true).unwrap_err();
        assert!(one_line(&e).contains("is a symlink"));
        assert_eq!(std::fs::read(&theirs).unwrap(), b"my summary");
        // Even unguarded, an atomic write replaces the link itself, never its target.
        write_atomic(&link, b"ours").unwrap();
        assert_eq!(std::fs::read(&theirs).unwrap(), b"my summary");
        assert_eq!(std::fs::read(&link).unwrap(), b"ours");
    }
}

// ---- the divergence guard, limits and sampling ------------------------------------------------

#[test]
fn diverged_losses_and_weights_are_one_line_naming_the_step() {
    for loss in [f64::NAN, f64::INFINITY, 1e31] {
        assert!(one_line(&guard::check_loss(7, loss).unwrap_err()).starts_with("step 7: train loss"));
        assert!(one_line(&guard::check_val(8, loss).unwrap_err()).starts_with("step 8: val loss"));
    }
    let e = guard::check_weights(&[NamedTensor::f32("wte", &[1], vec![f32::NAN])]).unwrap_err();
    assert!(one_line(&e).contains("tensor `wte`"));
}

#[test]
fn absurd_sizes_are_one_line_not_an_abort() {
    // microgpt --block-size 1000000000: the attention scores alone, (T, T) f64 per head.
    let bytes = limits::product("--block-size 1000000000", &[1_000_000_000, 1_000_000_000, 8, 4]).unwrap();
    let e = limits::check_memory("--block-size 1000000000", bytes).unwrap_err();
    assert!(one_line(&e).starts_with("--block-size 1000000000 needs about"), "{e}");
    let e = limits::product("--n-embd 1e40", &[u128::MAX, 2]).unwrap_err();
    assert!(one_line(&e).contains("too large"));
}

#[test]
fn sampling_bad_weights_is_an_error_never_a_panic() {
    let mut rng = PyRandom::new(42);
    let cases: [&[f64]; 7] = [
        &[],
        &[0.0; 27],
        &[f64::NAN; 27],
        &[1.0, f64::INFINITY],
        &[1.0, -0.5, 1.0],
        &[f64::MAX, f64::MAX],
        &[-0.0, 0.0],
    ];
    for weights in cases {
        let e = rng.try_choices(weights).unwrap_err();
        assert!(one_line(&e).starts_with("cannot sample"), "{weights:?}: {e}");
    }
}

// ---- kill -9 during saves -----------------------------------------------------------------------

/// The environment variable that turns [`save_loop_child`] into the endless saver the kill test kills.
const CHILD_DIR: &str = "HARNESS_SAVE_LOOP_DIR";

/// Saves generation after generation into a run directory: forever when run by the kill test (which
/// SIGKILLs it), 20 generations otherwise, checking each loads.
#[test]
#[ignore = "the child the kill test runs; alone it saves 20 generations and checks each loads"]
fn save_loop_child() {
    let (dir, forever) = match std::env::var_os(CHILD_DIR) {
        Some(dir) => (PathBuf::from(dir), true),
        None => (fresh("save-loop"), false),
    };
    let run = RunDir::create(&dir, STAGE).unwrap();
    let start = loaded_generation(&dir).unwrap_or(0);
    for g in start + 1.. {
        run.save_checkpoint(&Gen { generation: g }, &tensors(g, 1 << 18)).unwrap();
        if !forever {
            assert_eq!(loaded_generation(&dir).unwrap(), g);
            if g == start + 20 {
                break;
            }
        }
    }
}

#[test]
#[ignore = "heavy: SIGKILLs a saving child 40 times (under a minute); CI runs it in release mode"]
fn a_kill_at_any_instant_leaves_a_loadable_checkpoint() {
    let dir = fresh("kill-loop");
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let (mut last, mut lcg) = (0u64, 0x2545_f491_4f6c_dd1du64);
    for kill in 0..40 {
        let mut child = Command::new(&exe)
            .args(["--exact", "save_loop_child", "--ignored", "--test-threads=1"])
            .env(CHILD_DIR, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A pseudo-random instant 5-124 ms in: start-up, the first save or any moment of a later one.
        lcg = lcg.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        std::thread::sleep(Duration::from_millis(5 + (lcg >> 33) % 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        match loaded_generation(&dir) {
            Ok(g) => {
                assert!(g >= last, "kill {kill}: generation {g} after {last}: an older checkpoint came back");
                last = g;
            }
            // Only before the very first save can there be nothing to load.
            Err(CheckpointError::NotFound(_)) if last == 0 => {}
            Err(e) => panic!("kill {kill}: the checkpoint does not load after generation {last}: {e}"),
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the loop is bounded to a minute");
    }
    assert!(last >= 10, "only {last} generations saved in 40 runs: the kills all came too early");
    // The killed runs' locks died with them, and their temporary files go with the next run.
    let run = RunDir::create(&dir, STAGE).unwrap();
    let left: Vec<_> = snapshot(&dir).into_keys().filter(|n| n.contains(".tmp-")).collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!dir.join(NEXT_WEIGHTS_FILE).exists());
    assert_eq!(loaded_generation(run.dir()).unwrap(), last);
}

#[test]
fn a_killed_runs_lock_does_not_block_the_next() {
    let dir = fresh("stale-lock");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(&exe)
        .args(["--exact", "save_loop_child", "--ignored", "--test-threads=1"])
        .env(CHILD_DIR, &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child holds the lock (its first checkpoint is there), at most 20 s.
    let started = Instant::now();
    while !dir.join(CONFIG_FILE).exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(dir.join(CONFIG_FILE).exists(), "the child never saved");
    assert!(one_line(&RunDir::create(&dir, STAGE).unwrap_err()).starts_with("another run is writing"));
    child.kill().unwrap();
    child.wait().unwrap();
    let run = RunDir::create(&dir, STAGE).unwrap();
    assert!(loaded_generation(run.dir()).unwrap() >= 1);
}

#[test]
fn a_run_checkpoints_at_its_evaluations_and_never_saves_nan_weights() {
    use harness::cli::Saved;
    use harness::run::{Run, Saver};
    let dir = fresh("run-checkpoint");
    let run_dir = RunDir::create(&dir, STAGE).unwrap();
    let saver = Saver::new(&run_dir, &Gen { generation: 7 }).unwrap();
    let vocab = harness::Vocab::from_docs(&["ab"][..]);
    let mut run = Run::new(STAGE, 4, 2, Some(&saver)).unwrap();
    assert!(!run.step(0, 3.0, 1).unwrap(), "no evaluation after step 0 of 4 with interval 2");
    assert!(run.step(1, 2.5, 1).unwrap());
    run.eval(1, 2.4).unwrap();
    run.checkpoint(&tensors(1, 8), &vocab, &PyRandom::new(3)).unwrap();
    let saved = checkpoint::load::<Saved<Gen>>(&dir, STAGE).unwrap();
    assert_eq!(saved.config.config, Gen { generation: 7 });
    assert_eq!(saved.config.vocab, vocab);
    assert_eq!(saved.config.sample_rng, PyRandom::new(3).state());
    let before = snapshot(&dir);
    let mut nan = tensors(2, 8);
    nan[1] = NamedTensor::f64("b", &[2], vec![0.0, f64::NAN]);
    let e = run.checkpoint(&nan, &vocab, &PyRandom::new(3)).unwrap_err().to_string();
    assert!(e.contains("diverged") && e.contains("tensor `b`") && !e.contains('\n'), "{e}");
    assert_eq!(snapshot(&dir), before, "the last good checkpoint stays");
    // A run without a saver saves nothing (library use, tests), but still stops on NaN weights.
    let mut quiet = Run::new(STAGE, 1, 0, None).unwrap();
    assert!(quiet.step(0, 1.0, 1).unwrap());
    quiet.checkpoint(&tensors(3, 8), &vocab, &PyRandom::new(3)).unwrap();
    assert!(quiet.checkpoint(&nan, &vocab, &PyRandom::new(3)).is_err());
}

#[test]
fn a_rerun_keeps_the_earlier_log_with_the_earlier_checkpoint_until_its_own_first_save() {
    use harness::run::{Run, Saver};
    let dir = fresh("rerun-log");
    let vocab = harness::Vocab::from_docs(&["ab"][..]);
    let one_run = |generation: u64, save: bool| {
        let run_dir = RunDir::create(&dir, STAGE).unwrap();
        let saver = Saver::new(&run_dir, &Gen { generation }).unwrap();
        let mut run = Run::new(STAGE, 2, 1, Some(&saver)).unwrap();
        assert!(run.step(0, 3.0, 1).unwrap());
        run.eval(0, generation as f64).unwrap(); // the val loss names the run
        if save {
            run.checkpoint(&tensors(generation, 8), &vocab, &PyRandom::new(3)).unwrap();
        }
        // Dropped here, as when the run fails or stops before (another) checkpoint.
    };
    let logged = || harness::read_run_log(&dir.join(LOG_FILE)).unwrap()[0].val_loss;

    one_run(1, true);
    assert_eq!(logged(), Some(1.0));
    let before = snapshot(&dir);
    one_run(2, false); // a rerun that ends before its first checkpoint
    assert_eq!(snapshot(&dir), before, "the earlier log and checkpoint stay, and no temporary file");
    one_run(3, true);
    let saved = checkpoint::load::<harness::cli::Saved<Gen>>(&dir, STAGE).unwrap();
    assert_eq!((logged(), saved.config.config.generation), (Some(3.0), 3), "the new pair together");

    // With no earlier checkpoint to pair with, a failed run's log is kept for the user to read.
    let dir = fresh("first-run-log");
    let run_dir = RunDir::create(&dir, STAGE).unwrap();
    let saver = Saver::new(&run_dir, &Gen { generation: 1 }).unwrap();
    let mut run = Run::new(STAGE, 2, 1, Some(&saver)).unwrap();
    assert!(run.step(0, 3.0, 1).unwrap());
    run.eval(0, 4.0).unwrap();
    assert!(!dir.join(LOG_FILE).exists(), "pending until a checkpoint or the end");
    drop(run);
    assert_eq!(harness::read_run_log(&dir.join(LOG_FILE)).unwrap()[0].val_loss, Some(4.0));
}

#[cfg(unix)]
#[test]
fn links_to_endless_devices_are_read_one_byte_past_a_cap_at_most() {
    let dir = fresh("endless");
    std::os::unix::fs::symlink("/dev/zero", dir.join(CONFIG_FILE)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join(LOG_FILE)).unwrap();
    // /dev/zero reports a length of 0: only a bounded read stops.
    let e = one_line(&checkpoint::load::<Gen>(&dir, STAGE).unwrap_err());
    assert!(e.contains(CONFIG_FILE), "{e}");
    let e = one_line(&harness::read_run_log(&dir.join(LOG_FILE)).unwrap_err());
    assert!(e.contains("larger than 1.00 GiB"), "{e}");
    assert!(!harness::runlog::is_our_log(&dir.join(LOG_FILE)));
    let e = limits::read_at_most(std::io::repeat(7), 10).unwrap_err().to_string();
    assert_eq!(e, "larger than 10 B");
    assert_eq!(limits::read_at_most(&[1u8, 2, 3][..], 3).unwrap(), [1, 2, 3]);
}
