//! The crate's error type: everything that can go wrong reading data or a model file.

use std::path::PathBuf;

/// Errors of the `signbridge-signs` crate.
#[derive(Debug, thiserror::Error)]
pub enum SignsError {
    /// A data file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV table row could not be parsed.
    #[error("{path}: bad CSV row {row}: {reason}")]
    Csv {
        path: PathBuf,
        row: usize,
        reason: String,
    },
    /// A JSON Lines record could not be parsed.
    #[error("{path}: bad JSON on line {line}: {reason}")]
    Json {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A calibration profile or example that cannot be used.
    #[error("{0}")]
    Profile(String),
    /// The model bytes are not a model this version understands.
    #[error("invalid model file: {0}")]
    Model(String),
    /// Training was asked to do something impossible (no samples, unknown label...).
    #[error("cannot train: {0}")]
    Training(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, SignsError>;
