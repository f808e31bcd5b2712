//! A checkpoint is a directory: `model.safetensors` (the named weights) and `config.json` (what the model
//! is, so `sample` can rebuild it).
//!
//! `config.json` also names the stage, a format version, and the weights file it goes with (its length,
//! an FNV-1a hash, each tensor's dtype and shape). Loading checks all of it, so a checkpoint from another
//! stage, a truncated file, weights from a different save or weights that hold NaN each give one clear
//! line instead of garbage.
//!
//! **Atomic as a pair.** `config.json` is the commit record: a save is done the instant the new
//! `config.json` is renamed into place, and it names its weights by content (length and hash), not by
//! file name. A save goes:
//!
//! 1. the new weights are written to `model.next.safetensors` (temporary name, fsync, rename, fsync the
//!    directory) — the old `config.json` still vouches for the old `model.safetensors`;
//! 2. the new `config.json` is written the same way — it now vouches for `model.next.safetensors`;
//! 3. `model.next.safetensors` is renamed over `model.safetensors`.
//!
//! [`load`] takes whichever of the two weights files matches `config.json`, so a kill at any instant
//! leaves the previous checkpoint or the new one loadable, never neither; the next save (or
//! [`RunDir::create`]) finishes an interrupted step 3 first. A learner sees `model.safetensors` and
//! `config.json` only, except in the moment between steps 2 and 3. The layout of `config.json` is
//! unchanged, so [`FORMAT_VERSION`] stays 1 and older checkpoints load as before.
//!
//! Saving goes through [`RunDir`]: the directory is locked against a second run, and each file is
//! replaced only if it is ours (see [`crate::overwrite`]).

use crate::limits::LimitError;
use crate::overwrite::{OverwriteError, Replacing, sync_dir, write_atomic};
use crate::rundir::{RunDir, RunDirError};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// The weights file inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Where a save puts the new weights before its `config.json` commits to them (see the module docs).
pub const NEXT_WEIGHTS_FILE: &str = "model.next.safetensors";
/// The config file inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";
/// The marker in both files that says "written by zero-to-gpt".
pub const FORMAT: &str = "zero-to-gpt checkpoint";
/// Bumped whenever the layout changes, so an old checkpoint is refused rather than misread.
pub const FORMAT_VERSION: u32 = 1;

/// A tensor's numbers: micrograd-style stages keep f64, tensor stages f32.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
}

impl TensorData {
    fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::F64(v) => v.len(),
        }
    }

    fn dtype(&self) -> Dtype {
        match self {
            Self::F32(_) => Dtype::F32,
            Self::F64(_) => Dtype::F64,
        }
    }

    fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            Self::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Self::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

/// One named weight tensor, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// The name the model knows it by (`wte`, `lm_head`, …).
    pub name: String,
    /// Its dimensions; their product is the number of values.
    pub shape: Vec<usize>,
    /// Its values.
    pub data: TensorData,
}

impl NamedTensor {
    /// An f32 tensor.
    pub fn f32(name: impl Into<String>, shape: &[usize], data: Vec<f32>) -> Self {
        Self { name: name.into(), shape: shape.to_vec(), data: TensorData::F32(data) }
    }

    /// An f64 tensor.
    pub fn f64(name: impl Into<String>, shape: &[usize], data: Vec<f64>) -> Self {
        Self { name: name.into(), shape: shape.to_vec(), data: TensorData::F64(data) }
    }
}

/// Everything that can go wrong saving or loading a checkpoint; each prints as one line.
#[derive(Debug)]
pub enum CheckpointError {
    /// No checkpoint file at the path.
    NotFound(PathBuf),
    /// A file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// `config.json` is not one of ours (or not JSON).
    NotOurs(PathBuf),
    /// Written by another version of the format.
    Version { path: PathBuf, found: u64 },
    /// The checkpoint belongs to another stage.
    WrongStage { dir: PathBuf, found: String, expected: String },
    /// `config.json` is ours but its contents do not fit this stage's config.
    BadConfig(PathBuf, String),
    /// The weights file is truncated, corrupt, or not the one `config.json` was saved with.
    BadWeights(PathBuf, String),
    /// A tensor is missing, or its dtype/shape is not what the model expects.
    Tensor(String),
    /// Saving would overwrite something that is not ours.
    Overwrite(OverwriteError),
    /// The weights hold a NaN or an infinity: `tensor` is the first that does.
    NonFinite { dir: PathBuf, tensor: String },
    /// The run directory cannot be used (not a directory, unwritable, another run in it).
    RunDir(RunDirError),
    /// The checkpoint is too large for this machine.
    Limit(LimitError),
}

impl From<RunDirError> for CheckpointError {
    fn from(e: RunDirError) -> Self {
        match e {
            RunDirError::Overwrite(e) => Self::Overwrite(e),
            other => Self::RunDir(other),
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(p) => {
                write!(f, "no checkpoint: {} not found (train one first with --out)", p.display())
            }
            Self::Io(p, e) => write!(f, "cannot access {}: {e}", p.display()),
            Self::NotOurs(p) => write!(f, "{} is not a zero-to-gpt checkpoint config", p.display()),
            Self::Version { path, found } => write!(
                f,
                "{} has checkpoint format version {found}, this build reads version {FORMAT_VERSION}",
                path.display()
            ),
            Self::WrongStage { dir, found, expected } => {
                write!(f, "{} holds a checkpoint of stage `{found}`, not `{expected}`", dir.display())
            }
            Self::BadConfig(p, msg) => write!(f, "{}: config does not fit this stage: {msg}", p.display()),
            Self::BadWeights(p, msg) => write!(f, "{}: {msg}", p.display()),
            Self::Tensor(msg) => write!(f, "checkpoint does not fit the model: {msg}"),
            Self::Overwrite(e) => e.fmt(f),
            Self::NonFinite { dir, tensor } => write!(
                f,
                "the checkpoint holds NaN/inf weights (the run diverged): tensor `{tensor}` in {}",
                dir.display()
            ),
            Self::RunDir(e) => e.fmt(f),
            Self::Limit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CheckpointError {}

/// What `config.json` holds besides the caller's config.
#[derive(Serialize, Deserialize)]
struct ConfigFile<C> {
    format: String,
    version: u32,
    stage: String,
    weights: Manifest,
    config: C,
}

/// The weights file that `config.json` was saved with.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Manifest {
    bytes: u64,
    fnv1a64: String,
    tensors: BTreeMap<String, TensorInfo>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TensorInfo {
    dtype: String,
    shape: Vec<usize>,
}

/// A loaded checkpoint: its stage, its config and its tensors.
#[derive(Debug, Clone)]
pub struct Checkpoint<C> {
    /// The stage that wrote it (checked equal to the one asked for).
    pub stage: String,
    /// The caller's config, as saved.
    pub config: C,
    /// The weights, by name.
    pub tensors: BTreeMap<String, NamedTensor>,
    /// The directory it was loaded from (a stage may keep files of its own beside it).
    pub dir: PathBuf,
}

impl<C> Checkpoint<C> {
    /// The f32 values of tensor `name`, if it exists with exactly `shape`: the model's own check that the
    /// weights fit the architecture its config describes.
    pub fn expect_shape(&self, name: &str, shape: &[usize]) -> Result<&[f32], CheckpointError> {
        match &self.expect_tensor(name, shape)?.data {
            TensorData::F32(v) => Ok(v),
            TensorData::F64(_) => {
                Err(CheckpointError::Tensor(format!("tensor `{name}` is f64, expected f32")))
            }
        }
    }

    /// [`Checkpoint::expect_shape`] for f64 tensors.
    pub fn expect_shape_f64(&self, name: &str, shape: &[usize]) -> Result<&[f64], CheckpointError> {
        match &self.expect_tensor(name, shape)?.data {
            TensorData::F64(v) => Ok(v),
            TensorData::F32(_) => {
                Err(CheckpointError::Tensor(format!("tensor `{name}` is f32, expected f64")))
            }
        }
    }

    fn expect_tensor(&self, name: &str, shape: &[usize]) -> Result<&NamedTensor, CheckpointError> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| CheckpointError::Tensor(format!("tensor `{name}` is missing")))?;
        if t.shape != shape {
            return Err(CheckpointError::Tensor(format!(
                "tensor `{name}` has shape {:?}, the model expects {shape:?}",
                t.shape
            )));
        }
        Ok(t)
    }

    /// Checks that the checkpoint holds exactly these tensors, no fewer and no more (a leftover tensor
    /// means the weights are from a different architecture).
    pub fn expect_names(&self, names: &[&str]) -> Result<(), CheckpointError> {
        let extra: Vec<&str> =
            self.tensors.keys().map(String::as_str).filter(|n| !names.contains(n)).collect();
        if let Some(missing) = names.iter().find(|n| !self.tensors.contains_key(**n)) {
            return Err(CheckpointError::Tensor(format!("tensor `{missing}` is missing")));
        }
        if !extra.is_empty() {
            return Err(CheckpointError::Tensor(format!("unexpected tensors {extra:?}")));
        }
        Ok(())
    }
}

/// Saves `tensors` and `config` into `dir` (created if needed): [`RunDir::create`] then
/// [`RunDir::save_checkpoint`], for a stage that saves once. Returns a note when this replaced an earlier
/// run of ours; refuses, touching nothing, if a file there is not ours, `dir` is locked by another run,
/// or a weight is NaN or infinite.
pub fn save<C: Serialize>(
    dir: &Path,
    stage: &str,
    config: &C,
    tensors: &[NamedTensor],
) -> Result<Option<Replacing>, CheckpointError> {
    check_tensors(dir, tensors)?; // before the directory is even created
    let run = RunDir::create(dir, stage)?;
    run.save_checkpoint(config, tensors)?;
    Ok(run.replacing().cloned())
}

/// Shapes agree with lengths, names are unique, and every value is finite.
fn check_tensors(
    dir: &Path,
    tensors: &[NamedTensor],
) -> Result<BTreeMap<String, TensorInfo>, CheckpointError> {
    let mut manifest_tensors = BTreeMap::new();
    for t in tensors {
        if t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(t.data.len()) {
            return Err(CheckpointError::Tensor(format!(
                "tensor `{}` has {} values, but shape {:?}",
                t.name,
                t.data.len(),
                t.shape
            )));
        }
        let info = TensorInfo { dtype: t.data.dtype().to_string(), shape: t.shape.clone() };
        if manifest_tensors.insert(t.name.clone(), info).is_some() {
            return Err(CheckpointError::Tensor(format!("tensor `{}` appears twice", t.name)));
        }
    }
    if let Some((name, _)) = crate::guard::first_non_finite(tensors) {
        return Err(CheckpointError::NonFinite { dir: dir.to_path_buf(), tensor: name.to_owned() });
    }
    Ok(manifest_tensors)
}

/// The pair-atomic save of the module docs. The caller holds `dir`'s lock and has checked that every
/// file it touches is absent or ours.
pub(crate) fn save_pair<C: Serialize>(
    dir: &Path,
    stage: &str,
    config: &C,
    tensors: &[NamedTensor],
) -> Result<(), CheckpointError> {
    let manifest_tensors = check_tensors(dir, tensors)?;
    let (config_path, weights_path, next_path) =
        (dir.join(CONFIG_FILE), dir.join(WEIGHTS_FILE), dir.join(NEXT_WEIGHTS_FILE));
    let bytes =
        serialize_weights(tensors).map_err(|e| CheckpointError::BadWeights(weights_path.clone(), e))?;
    let manifest =
        Manifest { bytes: bytes.len() as u64, fnv1a64: fnv1a64_hex(&bytes), tensors: manifest_tensors };
    let file = ConfigFile {
        format: FORMAT.to_owned(),
        version: FORMAT_VERSION,
        stage: stage.to_owned(),
        weights: manifest,
        config,
    };
    let mut json = serde_json::to_string_pretty(&file)
        .map_err(|e| CheckpointError::BadConfig(config_path.clone(), e.to_string()))?;
    json.push('\n');

    settle(dir)?; // model.next.safetensors is about to be reused: finish or drop what it holds
    write_atomic(&next_path, &bytes).map_err(CheckpointError::Overwrite)?; // 1
    write_atomic(&config_path, json.as_bytes()).map_err(CheckpointError::Overwrite)?; // 2: the commit
    promote(dir) // 3
}

/// Renames `model.next.safetensors` over `model.safetensors` (step 3 of a save).
fn promote(dir: &Path) -> Result<(), CheckpointError> {
    let (from, to) = (dir.join(NEXT_WEIGHTS_FILE), dir.join(WEIGHTS_FILE));
    std::fs::rename(&from, &to).map_err(|e| CheckpointError::Io(to.clone(), e))?;
    sync_dir(dir).map_err(CheckpointError::Overwrite)
}

/// Finishes a save that was interrupted between its steps 2 and 3 (`config.json` vouches for
/// `model.next.safetensors`: promote it), or drops what one interrupted between 1 and 2 left
/// (`model.next.safetensors` that no config vouches for). Leaves `model.next.safetensors` absent. The
/// caller holds the lock, and has checked that the file, if any, is ours.
pub(crate) fn settle(dir: &Path) -> Result<(), CheckpointError> {
    let next = dir.join(NEXT_WEIGHTS_FILE);
    if std::fs::symlink_metadata(&next).is_err() {
        return Ok(());
    }
    let committed = read_manifest(&dir.join(CONFIG_FILE)).is_some_and(|m| matches(&next, &m).is_ok());
    if committed {
        promote(dir)
    } else {
        std::fs::remove_file(&next).map_err(|e| CheckpointError::Io(next.clone(), e))
    }
}

/// The manifest of an ours `config.json`, if it has one.
fn read_manifest(config_path: &Path) -> Option<Manifest> {
    let text = read_config(config_path).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return None;
    }
    serde_json::from_value(value.get("weights")?.clone()).ok()
}

/// The weights file in `dir` that its `config.json` vouches for: `model.safetensors` normally,
/// `model.next.safetensors` just after an interrupted save. For tools that read the weights themselves.
pub fn weights_path(dir: &Path) -> Result<PathBuf, CheckpointError> {
    let config_path = dir.join(CONFIG_FILE);
    if !config_path.exists() {
        return Err(CheckpointError::NotFound(config_path));
    }
    let manifest = read_manifest(&config_path).ok_or(CheckpointError::NotOurs(config_path))?;
    Ok(read_committed(dir, &manifest)?.0)
}

/// Reads whichever weights file matches `manifest`, `model.safetensors` first; the error is the one
/// about `model.safetensors` when neither does.
fn read_committed(dir: &Path, manifest: &Manifest) -> Result<(PathBuf, Vec<u8>), CheckpointError> {
    let main = dir.join(WEIGHTS_FILE);
    match matches(&main, manifest) {
        Ok(bytes) => Ok((main, bytes)),
        Err(e) => {
            let next = dir.join(NEXT_WEIGHTS_FILE);
            matches(&next, manifest).map(|bytes| (next, bytes)).map_err(|_| e)
        }
    }
}

/// The bytes of `path` if they are exactly the ones `manifest` describes (length first, so a huge file
/// is never read).
fn matches(path: &Path, manifest: &Manifest) -> Result<Vec<u8>, CheckpointError> {
    let bad = |msg: String| CheckpointError::BadWeights(path.to_path_buf(), msg);
    let len = std::fs::metadata(path).map_err(|e| io_error(path, e))?.len();
    if len != manifest.bytes {
        return Err(bad(format!(
            "{len} bytes, but {CONFIG_FILE} expects {} (truncated, or from another save)",
            manifest.bytes
        )));
    }
    let bytes = crate::limits::read_file_at_most(path, manifest.bytes).map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 != manifest.bytes || fnv1a64_hex(&bytes) != manifest.fnv1a64 {
        return Err(bad(format!("contents do not match {CONFIG_FILE} (corrupt, or from another save)")));
    }
    Ok(bytes)
}

/// Loads the checkpoint in `dir`, checking that it is ours, of `stage`, and whole.
pub fn load<C: DeserializeOwned>(dir: &Path, stage: &str) -> Result<Checkpoint<C>, CheckpointError> {
    let config_path = dir.join(CONFIG_FILE);
    let text = read_config(&config_path)?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|_| CheckpointError::NotOurs(config_path.clone()))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(CheckpointError::NotOurs(config_path));
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version != u64::from(FORMAT_VERSION) {
        return Err(CheckpointError::Version { path: config_path, found: version });
    }
    let found = value.get("stage").and_then(|s| s.as_str()).unwrap_or("?");
    if found != stage {
        return Err(CheckpointError::WrongStage {
            dir: dir.to_path_buf(),
            found: found.to_owned(),
            expected: stage.to_owned(),
        });
    }
    let file: ConfigFile<C> = serde_json::from_value(value)
        .map_err(|e| CheckpointError::BadConfig(config_path.clone(), e.to_string()))?;

    crate::limits::check_memory(
        &format!("the checkpoint in {}", dir.display()),
        2 * u128::from(file.weights.bytes),
    )
    .map_err(CheckpointError::Limit)?;
    let (weights_path, bytes) = read_committed(dir, &file.weights)?;
    let bad = |msg: String| CheckpointError::BadWeights(weights_path.clone(), msg);
    let st =
        SafeTensors::deserialize(&bytes).map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        let data = match view.dtype() {
            Dtype::F32 => TensorData::F32(
                view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect(),
            ),
            Dtype::F64 => TensorData::F64(
                view.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect(),
            ),
            other => return Err(bad(format!("tensor `{name}` has dtype {other}, expected F32 or F64"))),
        };
        tensors.insert(name.clone(), NamedTensor { name, shape: view.shape().to_vec(), data });
    }
    let found: BTreeMap<String, TensorInfo> = tensors
        .values()
        .map(|t| (t.name.clone(), TensorInfo { dtype: t.data.dtype().to_string(), shape: t.shape.clone() }))
        .collect();
    if found != file.weights.tensors {
        return Err(bad(format!("tensors do not match the list in {CONFIG_FILE}")));
    }
    let list: Vec<NamedTensor> = tensors.values().cloned().collect();
    if let Some((name, _)) = crate::guard::first_non_finite(&list) {
        return Err(CheckpointError::NonFinite { dir: dir.to_path_buf(), tensor: name.to_owned() });
    }
    Ok(Checkpoint { stage: file.stage, config: file.config, tensors, dir: dir.to_path_buf() })
}

/// Whether `path` is a `config.json` written by [`save`] (any version, any stage).
pub fn is_our_config(path: &Path) -> bool {
    let Ok(text) = read_config(path) else { return false };
    serde_json::from_slice::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("format").and_then(|f| f.as_str()) == Some(FORMAT))
}

/// Whether `path` is a safetensors file written by [`save`]: its header metadata carries our marker.
pub fn is_our_weights(path: &Path) -> bool {
    safetensors_format(path).as_deref() == Some(FORMAT)
}

/// The `format` entry of a safetensors file's header metadata, if it is a safetensors file with one:
/// how a writer recognises a file of its own kind before replacing it. Reads the header only (at most
/// 100 MB of it), never the tensors.
pub fn safetensors_format(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len).ok()?;
    let len = u64::from_le_bytes(len);
    if len > 100_000_000 {
        return None;
    }
    let mut header = Vec::new();
    if file.take(len).read_to_end(&mut header).is_err() || header.len() as u64 != len {
        return None;
    }
    let header = serde_json::from_slice::<serde_json::Value>(&header).ok()?;
    Some(header.get("__metadata__")?.get("format")?.as_str()?.to_owned())
}

fn serialize_weights(tensors: &[NamedTensor]) -> Result<Vec<u8>, String> {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|t| t.data.to_le_bytes()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| Ok((t.name.as_str(), TensorView::new(t.data.dtype(), t.shape.clone(), b)?)))
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| e.to_string())?;
    // One metadata entry only: safetensors keeps metadata in a HashMap, whose order (and so the file's
    // bytes) would change from run to run with two. The stage is recorded in config.json.
    let meta = HashMap::from([("format".to_owned(), FORMAT.to_owned())]);
    safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())
}

/// Ours are a few kilobytes; anything over this is not ours and is not read.
const MAX_CONFIG_BYTES: u64 = 64 << 20;

fn read_config(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    let len = std::fs::metadata(path).map_err(|e| io_error(path, e))?.len();
    if len > MAX_CONFIG_BYTES {
        return Err(CheckpointError::NotOurs(path.to_path_buf()));
    }
    // The length a link to a device reports is no bound: read one byte past the cap at most.
    crate::limits::read_file_at_most(path, MAX_CONFIG_BYTES).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> CheckpointError {
    match e.kind() {
        std::io::ErrorKind::NotFound => CheckpointError::NotFound(path.to_path_buf()),
        _ => CheckpointError::Io(path.to_path_buf(), e),
    }
}

/// 64-bit FNV-1a: a fingerprint tying `config.json` to the exact weights file it was saved with.
fn fnv1a64_hex(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}
