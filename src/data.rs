//! Matrices from data files: CSV (comma-separated, header optional) and NPY (NumPy's format: little-endian f8
//! or f4, C order, 1-D or 2-D). Problem files may name such files instead of embedding arrays; relative paths
//! are resolved against the problem file's directory.
//!
//! Every error names the file and, where it applies, the row and field.

use std::path::Path;

use crate::error::{Error, Result};

fn bad(path: &Path, message: String) -> Error {
    Error::Parse {
        path: path.display().to_string(),
        message,
    }
}

/// Read a matrix (rows) from a `.csv` or `.npy` file, chosen by the extension.
pub fn read_matrix(path: &Path) -> Result<Vec<Vec<f64>>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy") => parse_npy(&bytes, path),
        Some("csv") | Some("txt") => {
            let text = String::from_utf8(bytes).map_err(|_| bad(path, "not UTF-8 text".into()))?;
            parse_csv(&text, path)
        }
        _ => Err(bad(
            path,
            "unknown data file type (expected .csv or .npy)".into(),
        )),
    }
}

/// CSV: one row per line, fields separated by commas (spaces around them are ignored). A first line whose
/// fields are not all numbers is a header. Empty lines are skipped.
pub fn parse_csv(text: &str, path: &Path) -> Result<Vec<Vec<f64>>> {
    let mut rows: Vec<Vec<f64>> = vec![];
    let mut width = None;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if rows.is_empty() && width.is_none() && parsed.iter().all(Option::is_none) {
            width = Some(fields.len()); // header
            continue;
        }
        let mut row = Vec::with_capacity(fields.len());
        for (k, (f, v)) in fields.iter().zip(&parsed).enumerate() {
            match v {
                Some(x) if x.is_finite() => row.push(*x),
                _ => {
                    return Err(bad(
                        path,
                        format!(
                            "row {} field {}: \"{f}\" is not a finite number",
                            lineno + 1,
                            k + 1
                        ),
                    ));
                }
            }
        }
        match width {
            Some(w) if w != row.len() => {
                return Err(bad(
                    path,
                    format!("row {} has {} fields, expected {w}", lineno + 1, row.len()),
                ));
            }
            _ => width = Some(row.len()),
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(bad(path, "no data rows".into()));
    }
    Ok(rows)
}

/// NPY version 1–3: magic, version, header length, a Python dict literal with `descr`, `fortran_order`,
/// `shape`, then the data.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Vec<Vec<f64>>> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad(path, "not an NPY file (bad magic)".into()));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(path, format!("unsupported NPY version {v}"))),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad(path, "truncated or non-text NPY header".into()))?;
    let field = |key: &str| -> Result<&str> {
        let i = header
            .find(&format!("'{key}'"))
            .ok_or_else(|| bad(path, format!("NPY header has no '{key}'")))?;
        let rest = &header[i + key.len() + 2..];
        let rest = rest
            .trim_start()
            .strip_prefix(':')
            .unwrap_or(rest)
            .trim_start();
        Ok(rest)
    };
    let descr = field("descr")?;
    let size = if descr.starts_with("'<f8'") {
        8
    } else if descr.starts_with("'<f4'") {
        4
    } else {
        let d: String = descr.chars().take_while(|c| *c != ',').collect();
        return Err(bad(
            path,
            format!("dtype {d} is not supported (need little-endian f8 or f4)"),
        ));
    };
    if field("fortran_order")?.starts_with("True") {
        return Err(bad(
            path,
            "Fortran-order arrays are not supported (need C order)".into(),
        ));
    }
    let shape_text = field("shape")?;
    let close = shape_text
        .find(')')
        .ok_or_else(|| bad(path, "malformed NPY shape".into()))?;
    let dims: Vec<usize> = shape_text[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(path, format!("malformed NPY shape entry \"{s}\"")))
        })
        .collect::<Result<_>>()?;
    let (n, m) = match dims.as_slice() {
        [n] => (*n, 1),
        [n, m] => (*n, *m),
        _ => {
            return Err(bad(
                path,
                format!("shape {dims:?}: need a 1-D or 2-D array"),
            ));
        }
    };
    let data = &bytes[start + hlen..];
    let need = n.checked_mul(m).and_then(|c| c.checked_mul(size));
    if need != Some(data.len()) {
        return Err(bad(
            path,
            format!(
                "shape ({n}, {m}) needs {} bytes of data, the file has {}",
                n * m * size,
                data.len()
            ),
        ));
    }
    let value = |k: usize| -> f64 {
        let b = &data[k * size..(k + 1) * size];
        if size == 8 {
            f64::from_le_bytes(b.try_into().expect("8 bytes"))
        } else {
            f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64
        }
    };
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<f64> = (0..m).map(|j| value(i * m + j)).collect();
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(bad(
                path,
                format!("row {} field {} is not finite", i + 1, j + 1),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Write rows as an NPY file (f8, C order) — for tests and for users converting data.
pub fn npy_bytes(rows: &[Vec<f64>]) -> Vec<u8> {
    let (n, m) = (rows.len(), rows.first().map_or(0, Vec::len));
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n}, {m}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for r in rows {
        for v in r {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_npy_agree_and_errors_name_rows_and_fields() {
        let p = Path::new("d.csv");
        let rows = vec![vec![1.5, -2.0], vec![0.25, 3e-3]];
        assert_eq!(parse_csv("a, b\n1.5, -2\n0.25,3e-3\n", p).unwrap(), rows);
        assert_eq!(parse_csv("1.5,-2\n\n0.25,3e-3", p).unwrap(), rows);
        assert_eq!(
            parse_npy(&npy_bytes(&rows), Path::new("d.npy")).unwrap(),
            rows
        );
        let e = parse_csv("1,2\n3\n", p).unwrap_err().to_string();
        assert!(
            e.contains("d.csv") && e.contains("row 2 has 1 fields, expected 2"),
            "{e}"
        );
        let e = parse_csv("1,2\n3,x\n", p).unwrap_err().to_string();
        assert!(e.contains("row 2 field 2") && e.contains("\"x\""), "{e}");
        let e = parse_csv("1,nan\n", p).unwrap_err().to_string();
        assert!(e.contains("row 1 field 2"), "{e}");
        let mut bad_dtype = npy_bytes(&rows);
        let i = bad_dtype.windows(3).position(|w| w == b"<f8").unwrap();
        bad_dtype[i + 1] = b'i';
        let e = parse_npy(&bad_dtype, Path::new("d.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.npy") && e.contains("dtype '<i8'"), "{e}");
        let mut short = npy_bytes(&rows);
        short.truncate(short.len() - 8);
        let e = parse_npy(&short, Path::new("d.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs 32 bytes"), "{e}");
        let e = parse_npy(b"hello world", Path::new("d.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad magic"), "{e}");
    }
}
