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
    /// Reading or writing a file failed. The message names the file; the operating system's reason is the
    /// error's `source()` (printed after it by `{:#}` in anyhow, as the command line does).
    #[error("{path}")]
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
    /// The run was interrupted through [`HierarchySettings::interrupt`](crate::relax::hierarchy::HierarchySettings::interrupt)
    /// (e.g. Ctrl-C in Python); nothing is returned.
    #[error("interrupted")]
    Interrupted,
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

/// Reject the keys of the JSON object `text` that are not in `known`: the error names each unknown key and
/// the nearest known one (by edit distance). Text that is not a JSON object passes (the typed parse that
/// follows reports it).
pub fn check_json_keys(text: &str, known: &[&str], source: &str, what: &str) -> Result<()> {
    let Ok(map) =
        serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
    else {
        return Ok(());
    };
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            let nearest = known
                .iter()
                .min_by_key(|n| edit_distance(k, n))
                .expect("known keys");
            format!("unknown key \"{k}\" (did you mean \"{nearest}\"?)")
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::Parse {
        path: source.to_string(),
        message: format!(
            "{} in {what}; its keys are {}",
            unknown.join(", "),
            known.join(", ")
        ),
    })
}

/// Levenshtein distance between `a` and `b` (in characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances_of_known_pairs() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("weight", "weights"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn unknown_keys_are_named_with_the_nearest_known_key() {
        let known = ["weights", "degrees", "test_inputs"];
        let e = check_json_keys(
            r#"{"weights": 1, "test_input": [[1]]}"#,
            &known,
            "p.json",
            "a file",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("p.json") && e.contains("\"test_input\""), "{e}");
        assert!(e.contains("did you mean \"test_inputs\""), "{e}");
        assert!(check_json_keys(r#"{"weights": 1}"#, &known, "p", "a file").is_ok());
        assert!(check_json_keys("[1, 2]", &known, "p", "a file").is_ok());
    }
}
