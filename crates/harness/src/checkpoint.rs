//! A checkpoint is a directory: `model.safetensors` (the named weights) and `config.json` (what the model
//! is, so `sample` can rebuild it).
//!
//! `config.json` also names the stage, a format version, and the weights file it goes with (its length,
//! an FNV-1a hash, each tensor's dtype and shape). Loading checks all of it, so a checkpoint from another
//! stage, a truncated file or weights from a different save each give one clear line instead of garbage.
//! Each file is written to a temporary name and renamed into place: a crash never leaves half a file.

use crate::overwrite::{OverwriteError, Replacing, guard_replace};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// The weights file inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
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

/// Saves `tensors` and `config` into `dir` (created if needed). Returns a note when this replaced an
/// earlier run of ours; refuses, touching nothing, if `config.json` or `model.safetensors` there is not ours.
pub fn save<C: Serialize>(
    dir: &Path,
    stage: &str,
    config: &C,
    tensors: &[NamedTensor],
) -> Result<Option<Replacing>, CheckpointError> {
    let mut manifest_tensors = BTreeMap::new();
    for t in tensors {
        if t.shape.iter().product::<usize>() != t.data.len() {
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

    std::fs::create_dir_all(dir).map_err(|e| CheckpointError::Io(dir.to_path_buf(), e))?;
    let (config_path, weights_path) = (dir.join(CONFIG_FILE), dir.join(WEIGHTS_FILE));
    let note_config = guard_replace(&config_path, is_our_config).map_err(CheckpointError::Overwrite)?;
    let note_weights = guard_replace(&weights_path, is_our_weights).map_err(CheckpointError::Overwrite)?;

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

    // Weights first: a crash between the two renames leaves a config that no longer matches them, which
    // the hash in the config detects at load time.
    write_atomic(&weights_path, &bytes)?;
    write_atomic(&config_path, json.as_bytes())?;
    Ok(note_config.or(note_weights))
}

/// Loads the checkpoint in `dir`, checking that it is ours, of `stage`, and whole.
pub fn load<C: DeserializeOwned>(dir: &Path, stage: &str) -> Result<Checkpoint<C>, CheckpointError> {
    let config_path = dir.join(CONFIG_FILE);
    let text = read(&config_path)?;
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

    let weights_path = dir.join(WEIGHTS_FILE);
    let bytes = read(&weights_path)?;
    let bad = |msg: String| CheckpointError::BadWeights(weights_path.clone(), msg);
    if bytes.len() as u64 != file.weights.bytes {
        return Err(bad(format!(
            "{} bytes, but {CONFIG_FILE} expects {} (truncated, or from another save)",
            bytes.len(),
            file.weights.bytes
        )));
    }
    if fnv1a64_hex(&bytes) != file.weights.fnv1a64 {
        return Err(bad(format!("contents do not match {CONFIG_FILE} (corrupt, or from another save)")));
    }
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
    Ok(Checkpoint { stage: file.stage, config: file.config, tensors })
}

/// Whether `path` is a `config.json` written by [`save`] (any version, any stage).
pub fn is_our_config(path: &Path) -> bool {
    let Ok(text) = std::fs::read(path) else { return false };
    serde_json::from_slice::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("format").and_then(|f| f.as_str()) == Some(FORMAT))
}

/// Whether `path` is a safetensors file written by [`save`]: its header metadata carries our marker.
pub fn is_our_weights(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else { return false };
    SafeTensors::read_metadata(&bytes).is_ok_and(|(_, meta)| {
        meta.metadata().as_ref().and_then(|m| m.get("format")).map(String::as_str) == Some(FORMAT)
    })
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

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`: readers see
/// the old file or the new one, never a torn one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CheckpointError::Io(path.to_path_buf(), e)
    })
}

fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CheckpointError::NotFound(path.to_path_buf()),
        _ => CheckpointError::Io(path.to_path_buf(), e),
    })
}

/// 64-bit FNV-1a: a fingerprint tying `config.json` to the exact weights file it was saved with.
fn fnv1a64_hex(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}
