//! What every stage of zero-to-gpt needs, done once and the same way for all of them, so that a diff
//! between two stages shows the new idea and nothing else:
//!
//! - [`data`]: the documents, read exactly as microGPT's Python reads them.
//! - [`vocab`]: characters ↔ token ids, with BOS.
//! - [`pyrandom`]: CPython's `random` module, bit for bit, to reproduce Karpathy's numbers.
//! - [`split`]: the canonical 80/10/10 split of the shuffled documents.
//! - [`runlog`]: one JSON line per evaluation, read back by `cargo xtask compare`.
//! - [`checkpoint`]: weights (safetensors) + config (JSON), saved atomically as a pair, checked on load.
//! - [`rundir`]: a run's `--out` directory, checked and locked before any work.
//! - [`overwrite`]: nothing the user had on disk is overwritten silently (per file, never through a
//!   symlink, never outside the chosen directory): the guard every writer goes through.
//! - [`guard`]: the divergence guard (NaN, infinite or exploding losses and weights).
//! - [`limits`]: memory estimates checked before allocating, the data-file cap, the sample-length cap.
//! - [`progress`]: a bar on a terminal, `step N | loss X` lines otherwise.
//! - [`cli`]: the command line every stage shares (train, sample, the no-argument run).
//! - [`run`]: a training run's bookkeeping: divergence guard, progress, evaluation schedule, run log.
//! - [`testdata`]: where tests find the data files.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod cli;
pub mod data;
pub mod guard;
pub mod limits;
pub mod overwrite;
pub mod progress;
pub mod pyrandom;
pub mod run;
pub mod rundir;
pub mod runlog;
pub mod split;
pub mod testdata;
pub mod vocab;

pub use checkpoint::{Checkpoint, CheckpointError, NamedTensor, TensorData};
pub use data::{DataError, default_data_path, load_docs};
pub use guard::Diverged;
pub use limits::LimitError;
pub use overwrite::{OverwriteError, Replacing};
pub use progress::Progress;
pub use pyrandom::PyRandom;
pub use run::Run;
pub use rundir::{RunDir, RunDirError};
pub use runlog::{Record, RunLogWriter, read_run_log};
pub use split::Split;
pub use vocab::{UnknownChar, Vocab};
