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
    RowReader::open(path)?.read_all()
}

/// CSV: one row per line, fields separated by commas (spaces around them are ignored). A first line whose
/// fields are not all numbers is a header. Empty lines are skipped.
pub fn parse_csv(text: &str, path: &Path) -> Result<Vec<Vec<f64>>> {
    RowReader::new(
        Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        Kind::Csv,
        None,
        path,
    )?
    .read_all()
}

/// NPY version 1–3: magic, version, header length, a Python dict literal with `descr`, `fortran_order`,
/// `shape`, then the data.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Vec<Vec<f64>>> {
    RowReader::new(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        Kind::Npy,
        Some(bytes.len() as u64),
        path,
    )?
    .read_all()
}

/// Longest NPY header accepted (NumPy writes a few hundred bytes; it reads at most 10 000 by default).
const MAX_NPY_HEADER: usize = 1 << 16;

/// File type of a data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Csv,
    Npy,
}

/// Reads a CSV or NPY matrix a batch of rows at a time, so that a pass over the data needs memory for one
/// batch only (whatever the number of rows). Same formats and messages as [`read_matrix`].
pub struct RowReader {
    path: String,
    source: Box<dyn std::io::BufRead + Send>,
    state: State,
    rows: usize,
}

enum State {
    Csv {
        width: Option<usize>,
        lineno: usize,
        line: String,
        seen_row: bool,
    },
    Npy {
        rows_left: usize,
        cols: usize,
        size: usize,
        buf: Vec<u8>,
    },
}

impl RowReader {
    /// Open a `.csv` (or `.txt`) or `.npy` file, chosen by the extension; NPY headers are read and checked.
    pub fn open(path: &Path) -> Result<RowReader> {
        let kind = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("npy") => Kind::Npy,
            Some("csv") | Some("txt") => Kind::Csv,
            _ => {
                return Err(bad(
                    path,
                    "unknown data file type (expected .csv or .npy)".into(),
                ));
            }
        };
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        RowReader::new(
            Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
            kind,
            Some(len),
            path,
        )
    }

    fn new(
        mut source: Box<dyn std::io::BufRead + Send>,
        kind: Kind,
        total_len: Option<u64>,
        path: &Path,
    ) -> Result<RowReader> {
        let state = match kind {
            Kind::Csv => State::Csv {
                width: None,
                lineno: 0,
                line: String::new(),
                seen_row: false,
            },
            Kind::Npy => {
                let (n, m, size, start) = read_npy_header(&mut source, path)?;
                let need = n.checked_mul(m).and_then(|c| c.checked_mul(size));
                let have = total_len.map(|l| l.saturating_sub(start as u64) as usize);
                if let Some(have) = have
                    && need != Some(have)
                {
                    return Err(bad(
                        path,
                        format!(
                            "shape ({n}, {m}) needs {} bytes of data, the file has {have}",
                            n.saturating_mul(m).saturating_mul(size)
                        ),
                    ));
                }
                State::Npy {
                    rows_left: n,
                    cols: m,
                    size,
                    buf: vec![],
                }
            }
        };
        Ok(RowReader {
            path: path.display().to_string(),
            source,
            state,
            rows: 0,
        })
    }

    /// Number of columns, when known (NPY: from the header; CSV: after the first row).
    pub fn ncols(&self) -> Option<usize> {
        match &self.state {
            State::Csv {
                width, seen_row, ..
            } => width.filter(|_| *seen_row),
            State::Npy { cols, .. } => Some(*cols),
        }
    }

    /// Rows read so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    fn err(&self, message: String) -> Error {
        Error::Parse {
            path: self.path.clone(),
            message,
        }
    }

    /// Append up to `max_rows` rows (row-major) to `out`; returns how many were read (0 at the end).
    pub fn read_rows(&mut self, max_rows: usize, out: &mut Vec<f64>) -> Result<usize> {
        let start_rows = self.rows;
        match &mut self.state {
            State::Csv {
                width,
                lineno,
                line,
                seen_row,
            } => {
                while self.rows - start_rows < max_rows {
                    line.clear();
                    let got = self.source.read_line(line).map_err(|e| {
                        if e.kind() == std::io::ErrorKind::InvalidData {
                            Error::Parse {
                                path: self.path.clone(),
                                message: "not UTF-8 text".into(),
                            }
                        } else {
                            Error::Io {
                                path: self.path.clone(),
                                source: e,
                            }
                        }
                    })?;
                    if got == 0 {
                        break;
                    }
                    *lineno += 1;
                    let text = line.trim();
                    if text.is_empty() {
                        continue;
                    }
                    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
                    if !*seen_row
                        && width.is_none()
                        && fields.iter().all(|f| f.parse::<f64>().is_err())
                    {
                        *width = Some(fields.len()); // header
                        continue;
                    }
                    let before = out.len();
                    for (k, f) in fields.iter().enumerate() {
                        match f.parse::<f64>() {
                            Ok(x) if x.is_finite() => out.push(x),
                            _ => {
                                out.truncate(before);
                                return Err(Error::Parse {
                                    path: self.path.clone(),
                                    message: format!(
                                        "row {lineno} field {}: \"{f}\" is not a finite number",
                                        k + 1
                                    ),
                                });
                            }
                        }
                    }
                    match *width {
                        Some(w) if w != fields.len() => {
                            out.truncate(before);
                            return Err(Error::Parse {
                                path: self.path.clone(),
                                message: format!(
                                    "row {lineno} has {} fields, expected {w}",
                                    fields.len()
                                ),
                            });
                        }
                        _ => *width = Some(fields.len()),
                    }
                    *seen_row = true;
                    self.rows += 1;
                }
            }
            State::Npy {
                rows_left,
                cols,
                size,
                buf,
            } => {
                let take = max_rows.min(*rows_left);
                let (m, size) = (*cols, *size);
                if take == 0 || m == 0 {
                    // Nothing left, or an empty (0, 0) array: no bytes to read, no chunks to cut.
                    return Ok(self.rows - start_rows);
                }
                buf.resize(take * m * size, 0);
                self.source.read_exact(buf).map_err(|e| Error::Parse {
                    path: self.path.clone(),
                    message: format!("truncated NPY data: {e}"),
                })?;
                out.reserve(take * m);
                for (r, row) in buf.chunks_exact(m * size).enumerate() {
                    for (j, b) in row.chunks_exact(size).enumerate() {
                        let v = if size == 8 {
                            f64::from_le_bytes(b.try_into().expect("8 bytes"))
                        } else {
                            f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64
                        };
                        if !v.is_finite() {
                            return Err(Error::Parse {
                                path: self.path.clone(),
                                message: format!(
                                    "row {} field {} is not finite",
                                    self.rows + r + 1,
                                    j + 1
                                ),
                            });
                        }
                        out.push(v);
                    }
                }
                *rows_left -= take;
                self.rows += take;
            }
        }
        Ok(self.rows - start_rows)
    }

    /// Read every remaining row; errors if the file has no data rows at all.
    pub fn read_all(mut self) -> Result<Vec<Vec<f64>>> {
        let mut flat = vec![];
        while self.read_rows(1 << 16, &mut flat)? > 0 {}
        if self.rows == 0 && matches!(self.state, State::Csv { .. }) {
            return Err(self.err("no data rows".into()));
        }
        let m = self.ncols().unwrap_or(1).max(1);
        Ok(flat.chunks(m).map(<[f64]>::to_vec).collect())
    }
}

use std::io::Read as _;

/// Read and check an NPY header: (rows, columns, bytes per value, offset of the data).
fn read_npy_header(
    source: &mut dyn std::io::BufRead,
    path: &Path,
) -> Result<(usize, usize, usize, usize)> {
    let mut pre = [0u8; 12];
    let mut got = 0;
    while got < 10 {
        match source.read(&mut pre[got..10]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        }
    }
    if got < 10 || &pre[..6] != b"\x93NUMPY" {
        return Err(bad(path, "not an NPY file (bad magic)".into()));
    }
    let (hlen, start) = match pre[6] {
        1 => (u16::from_le_bytes([pre[8], pre[9]]) as usize, 10),
        2 | 3 => {
            source
                .read_exact(&mut pre[10..12])
                .map_err(|_| bad(path, "truncated NPY header".into()))?;
            (
                u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize,
                12,
            )
        }
        v => return Err(bad(path, format!("unsupported NPY version {v}"))),
    };
    if hlen > MAX_NPY_HEADER {
        return Err(bad(
            path,
            format!("NPY header length {hlen} is more than {MAX_NPY_HEADER} bytes"),
        ));
    }
    let mut hbytes = vec![0u8; hlen];
    source
        .read_exact(&mut hbytes)
        .map_err(|_| bad(path, "truncated or non-text NPY header".into()))?;
    let header = std::str::from_utf8(&hbytes)
        .map_err(|_| bad(path, "truncated or non-text NPY header".into()))?;
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
        .filter(|_| shape_text.starts_with('('))
        .ok_or_else(|| bad(path, "malformed NPY shape (expected a tuple)".into()))?;
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
    if m == 0 && n > 0 {
        return Err(bad(path, format!("shape ({n}, 0): rows without columns")));
    }
    Ok((n, m, size, start + hlen))
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

    #[test]
    fn row_reader_streams_the_same_rows_in_batches() {
        let dir = std::env::temp_dir().join(format!("polyact-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows: Vec<Vec<f64>> = (0..7)
            .map(|i| vec![i as f64, 0.5 - i as f64, 1e-3 * i as f64])
            .collect();
        let npy = dir.join("r.npy");
        std::fs::write(&npy, npy_bytes(&rows)).unwrap();
        let csv = dir.join("r.csv");
        let text: String = std::iter::once("a,b,c\n".to_string())
            .chain(
                rows.iter()
                    .map(|r| format!("{},{},{}\n\n", r[0], r[1], r[2])),
            )
            .collect();
        std::fs::write(&csv, text).unwrap();
        for path in [&npy, &csv] {
            let mut reader = RowReader::open(path).unwrap();
            let mut flat = vec![];
            let mut sizes = vec![];
            loop {
                let k = reader.read_rows(3, &mut flat).unwrap();
                if k == 0 {
                    break;
                }
                sizes.push(k);
            }
            assert_eq!(sizes, [3, 3, 1], "{}", path.display());
            assert_eq!(reader.ncols(), Some(3));
            assert_eq!(reader.rows_read(), 7);
            let back: Vec<Vec<f64>> = flat.chunks(3).map(<[f64]>::to_vec).collect();
            assert_eq!(back, rows, "{}", path.display());
            assert_eq!(read_matrix(path).unwrap(), rows);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
