//! The crate's error type: every failure a user can cause is one of these, with a message naming the problem.

use thiserror::Error;

/// Errors from polyact's library functions.
#[derive(Debug, Error)]
pub enum Error {
    /// Input data (a problem file, weights, data, options) is malformed or inconsistent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A relaxation or SDP would need more memory than allowed.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file could not be parsed.
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// A numerical routine failed (e.g. a factorization of a matrix that should be positive definite).
    #[error("numerical failure: {0}")]
    Numerical(String),
}

/// Shorthand for results with [`enum@Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The contents of a text file; a failure is an [`Error::Io`] naming the file.
pub fn read_text(path: impl AsRef<std::path::Path>) -> Result<String> {
    let path = path.as_ref();
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Return an [`Error::InvalidInput`] built with `format!`.
#[macro_export]
macro_rules! invalid {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::InvalidInput(format!($($arg)*)))
    };
}
