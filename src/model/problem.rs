//! Problems: a network with its data (and optionally the true coefficients and a test set), the problem-file
//! format (JSON, with weights given inline or as CSV/NPY paths), and the paper's Example 3.4.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::network::{Matrix, Network, non_finite_name};
use crate::error::{Error, Result};
use crate::invalid;

/// Samples (x_i, y_i), i = 1..N.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Dataset {
    /// Inputs x_i (N rows of length m_0).
    pub inputs: Vec<Vec<f64>>,
    /// Outputs y_i (N rows of length m_{D+1}).
    pub outputs: Vec<Vec<f64>>,
}

impl Dataset {
    /// Number of samples N.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Mean output ŷ = (1/N) Σ_i y_i (empty if there are no samples).
    pub fn mean_output(&self) -> Vec<f64> {
        let Some(first) = self.outputs.first() else {
            return Vec::new();
        };
        let mut m = vec![0.0; first.len()];
        for y in &self.outputs {
            for (a, b) in m.iter_mut().zip(y) {
                *a += b;
            }
        }
        let n = self.outputs.len() as f64;
        m.iter_mut().for_each(|a| *a /= n);
        m
    }

    /// Check the data against a network; `inputs_name`/`outputs_name` name the fields in messages.
    fn validate(&self, network: &Network, inputs_name: &str, outputs_name: &str) -> Result<()> {
        if self.inputs.is_empty() && self.outputs.is_empty() {
            invalid!("no samples: {inputs_name} and {outputs_name} are empty");
        }
        if self.inputs.len() != self.outputs.len() {
            invalid!(
                "{} {inputs_name} rows but {} {outputs_name} rows (one output row per input row is needed)",
                self.inputs.len(),
                self.outputs.len()
            );
        }
        for (rows, name, dim, what) in [
            (
                &self.inputs,
                inputs_name,
                network.input_dim(),
                "the input dimension, columns of W_1".to_string(),
            ),
            (
                &self.outputs,
                outputs_name,
                network.output_dim(),
                format!("the output dimension, rows of W_{}", network.depth() + 1),
            ),
        ] {
            for (r, row) in rows.iter().enumerate() {
                if row.len() != dim {
                    invalid!(
                        "{name} row {} has {} entries, expected {dim} ({what})",
                        r + 1,
                        row.len()
                    );
                }
                if let Some(c) = row.iter().position(|v| !v.is_finite()) {
                    invalid!(
                        "{name} row {} column {} is {}",
                        r + 1,
                        c + 1,
                        non_finite_name(row[c])
                    );
                }
            }
        }
        Ok(())
    }
}

/// A learning problem: a network, training data, optionally the true coefficients and test data.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The network (weights and activation degrees).
    pub network: Network,
    /// Training data.
    pub data: Dataset,
    /// Full per-layer coefficients that generated the data, if known.
    pub true_coefficients: Option<Vec<Vec<f64>>>,
    /// Held-out data ("test_inputs"/"test_outputs" in a problem file), if any.
    pub test: Option<Dataset>,
}

/// ‖a − b‖₂ over all layers' coefficients.
pub fn coefficient_distance(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The problem file's JSON layout.
#[derive(Serialize, Deserialize)]
struct ProblemFile {
    weights: Vec<MatrixSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    biases: Option<Vec<Vec<f64>>>,
    degrees: Vec<usize>,
    inputs: MatrixSpec,
    outputs: MatrixSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    true_coefficients: Option<Vec<Vec<f64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_inputs: Option<MatrixSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_outputs: Option<MatrixSpec>,
}

/// The keys of a problem file ("comment" is free text, ignored).
const PROBLEM_KEYS: &[&str] = &[
    "weights",
    "biases",
    "degrees",
    "inputs",
    "outputs",
    "true_coefficients",
    "test_inputs",
    "test_outputs",
    "comment",
];

/// The network part of a problem file (data fields are skipped without being stored or read).
#[derive(Deserialize)]
struct NetworkFile {
    weights: Vec<MatrixSpec>,
    #[serde(default)]
    biases: Option<Vec<Vec<f64>>>,
    degrees: Vec<usize>,
    #[serde(default)]
    true_coefficients: Option<Vec<Vec<f64>>>,
}

/// An invalid-input error of problem file `source`, prefixed with its name.
fn problem_context(source: &str, e: Error) -> Error {
    match e {
        Error::InvalidInput(m) => Error::InvalidInput(format!("problem {source}: {m}")),
        other => other,
    }
}

/// The network of a problem file's `weights`, `biases` and `degrees` (data files relative to `base`).
fn network_of_file(
    weights: Vec<MatrixSpec>,
    biases: Option<Vec<Vec<f64>>>,
    degrees: Vec<usize>,
    base: Option<&Path>,
    source: &str,
) -> Result<Network> {
    let weights = weights
        .into_iter()
        .map(|w| w.resolve(base))
        .collect::<Result<Vec<_>>>()?;
    let network = Network::new(weights, degrees).map_err(|e| problem_context(source, e))?;
    match biases {
        None => Ok(network),
        Some(b) => network
            .with_biases(b)
            .map_err(|e| problem_context(source, e)),
    }
}

/// A matrix in a problem file: embedded rows, or the path of a CSV/NPY file (relative to the problem file).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum MatrixSpec {
    Rows(Vec<Vec<f64>>),
    File(String),
}

impl MatrixSpec {
    fn resolve(self, base: Option<&Path>) -> Result<Vec<Vec<f64>>> {
        match self {
            MatrixSpec::Rows(r) => Ok(r),
            MatrixSpec::File(f) => {
                let p = Path::new(&f);
                let full = match base {
                    Some(b) if p.is_relative() => b.join(p),
                    _ => p.to_path_buf(),
                };
                crate::model::data::read_matrix(&full)
            }
        }
    }
}

impl Problem {
    /// ‖c_true − c‖₂ over all coefficients (per layer, c_{l,0} included), when true coefficients are known.
    pub fn coefficient_error(&self, coefficients: &[Vec<f64>]) -> Option<f64> {
        self.true_coefficients
            .as_ref()
            .map(|t| coefficient_distance(t, coefficients))
    }

    /// Build and validate a problem.
    pub fn new(
        network: Network,
        data: Dataset,
        true_coefficients: Option<Vec<Vec<f64>>>,
        test: Option<Dataset>,
    ) -> Result<Problem> {
        let p = Problem {
            network,
            data,
            true_coefficients,
            test,
        };
        p.validate()?;
        Ok(p)
    }

    /// Check data shapes, finiteness and the true coefficients' shape against the network.
    pub fn validate(&self) -> Result<()> {
        self.data.validate(&self.network, "inputs", "outputs")?;
        if let Some(test) = &self.test {
            test.validate(&self.network, "test_inputs", "test_outputs")?;
        }
        if let Some(tc) = &self.true_coefficients {
            let degrees = self.network.degrees();
            if tc.len() != degrees.len() {
                invalid!(
                    "true_coefficients has {} layers but the network has {} hidden layers",
                    tc.len(),
                    degrees.len()
                );
            }
            for (l, (c, &d)) in tc.iter().zip(degrees).enumerate() {
                if c.len() != d + 1 {
                    invalid!(
                        "true_coefficients layer {} has {} entries, expected {} (c_{{{},0..{d}}} for degree {d})",
                        l + 1,
                        c.len(),
                        d + 1,
                        l + 1
                    );
                }
                if let Some(j) = c.iter().position(|v| !v.is_finite()) {
                    invalid!(
                        "true_coefficients layer {} entry {} is {}",
                        l + 1,
                        j + 1,
                        non_finite_name(c[j])
                    );
                }
            }
        }
        Ok(())
    }

    /// Parse and validate a problem from JSON; `source` names it in error messages (e.g. the file path).
    pub fn from_json_str(s: &str, source: &str) -> Result<Problem> {
        Self::from_json_in(s, source, None)
    }

    /// Parse a problem file whose data-file paths are relative to `base` (the file's directory).
    pub fn from_json_in(s: &str, source: &str, base: Option<&Path>) -> Result<Problem> {
        crate::error::check_json_keys(s, PROBLEM_KEYS, source, "a problem file")?;
        let file: ProblemFile = serde_json::from_str(s).map_err(|e| Error::Parse {
            path: source.to_string(),
            message: parse_message(s, &e),
        })?;
        let context = |e: Error| problem_context(source, e);
        let network = network_of_file(file.weights, file.biases, file.degrees, base, source)?;
        let test = match (file.test_inputs, file.test_outputs) {
            (None, None) => None,
            (Some(inputs), Some(outputs)) => Some(Dataset {
                inputs: inputs.resolve(base)?,
                outputs: outputs.resolve(base)?,
            }),
            (Some(_), None) => {
                invalid!("problem {source}: test_inputs is given without test_outputs")
            }
            (None, Some(_)) => {
                invalid!("problem {source}: test_outputs is given without test_inputs")
            }
        };
        Problem::new(
            network,
            Dataset {
                inputs: file.inputs.resolve(base)?,
                outputs: file.outputs.resolve(base)?,
            },
            file.true_coefficients,
            test,
        )
        .map_err(context)
    }

    /// Read only the network and the true coefficients (if any) of a problem file: its data (embedded or in
    /// data files) are neither kept nor read, so this is cheap whatever the data size.
    pub fn load_network(path: impl AsRef<Path>) -> Result<(Network, Option<Vec<Vec<f64>>>)> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let s = crate::error::read_text(path)?;
        crate::error::check_json_keys(&s, PROBLEM_KEYS, &name, "a problem file")?;
        let file: NetworkFile = serde_json::from_str(&s).map_err(|e| Error::Parse {
            path: name.clone(),
            message: parse_message(&s, &e),
        })?;
        let context = |e: Error| problem_context(&name, e);
        let network = network_of_file(
            file.weights,
            file.biases,
            file.degrees,
            path.parent(),
            &name,
        )?;
        if let Some(tc) = &file.true_coefficients {
            let degrees = network.degrees();
            if tc.len() != degrees.len() || tc.iter().zip(degrees).any(|(c, &d)| c.len() != d + 1) {
                return Err(context(Error::InvalidInput(format!(
                    "true_coefficients must have {} layers of degree + 1 entries",
                    degrees.len()
                ))));
            }
        }
        Ok((network, file.true_coefficients))
    }

    /// Read and validate a problem file.
    pub fn load(path: impl AsRef<Path>) -> Result<Problem> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let s = crate::error::read_text(path)?;
        Self::from_json_in(&s, &name, path.parent())
    }

    /// The problem as JSON in the problem-file layout (one matrix or data row per line).
    pub fn to_json_string(&self) -> String {
        let mut out = String::from("{\n");
        let mut fields: Vec<String> = Vec::new();
        let weights: Vec<Vec<Vec<f64>>> =
            self.network.weights().iter().map(Matrix::to_rows).collect();
        let mut w = String::from("  \"weights\": [\n");
        for (l, m) in weights.iter().enumerate() {
            w.push_str("    ");
            w.push_str(&rows_json(m, "    "));
            w.push_str(if l + 1 < weights.len() { ",\n" } else { "\n" });
        }
        w.push_str("  ]");
        fields.push(w);
        if self.network.has_biases() {
            fields.push(format!(
                "  \"biases\": {}",
                rows_json(self.network.biases(), "  ")
            ));
        }
        fields.push(format!(
            "  \"degrees\": {}",
            serde_json::to_string(self.network.degrees()).unwrap()
        ));
        fields.push(format!(
            "  \"inputs\": {}",
            rows_json(&self.data.inputs, "  ")
        ));
        fields.push(format!(
            "  \"outputs\": {}",
            rows_json(&self.data.outputs, "  ")
        ));
        if let Some(tc) = &self.true_coefficients {
            fields.push(format!("  \"true_coefficients\": {}", rows_json(tc, "  ")));
        }
        if let Some(t) = &self.test {
            fields.push(format!("  \"test_inputs\": {}", rows_json(&t.inputs, "  ")));
            fields.push(format!(
                "  \"test_outputs\": {}",
                rows_json(&t.outputs, "  ")
            ));
        }
        out.push_str(&fields.join(",\n"));
        out.push_str("\n}\n");
        out
    }

    /// Write the problem file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json_string()).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// `[\n{indent}  row,\n …{indent}]` with each row compact.
fn rows_json(rows: &[Vec<f64>], indent: &str) -> String {
    if rows.is_empty() {
        return "[]".to_string();
    }
    let mut s = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            s,
            "{indent}  {}{}",
            serde_json::to_string(r).unwrap(),
            if i + 1 < rows.len() { ",\n" } else { "\n" }
        );
    }
    s.push_str(indent);
    s.push(']');
    s
}

/// serde's message (with line and column), plus a hint when the offending token is NaN or Infinity.
fn parse_message(s: &str, e: &serde_json::Error) -> String {
    let mut msg = e.to_string();
    if msg.starts_with("number out of range") {
        msg.push_str(" (every number in a problem file must be a finite 64-bit float)");
        return msg;
    }
    if let Some(line) = s.lines().nth(e.line().saturating_sub(1)) {
        let start = line
            .char_indices()
            .nth(e.column().saturating_sub(1))
            .map_or(line.len(), |(i, _)| i);
        // The column may point at or just after the start of the token: look a little back.
        let from = line[..start]
            .char_indices()
            .rev()
            .take(9)
            .last()
            .map_or(start, |(i, _)| i);
        let window = line[from..].to_ascii_lowercase();
        if window.contains("nan") || window.contains("inf") {
            msg.push_str(
                " (JSON has no NaN or Infinity: every number in a problem file must be finite)",
            );
        }
    }
    msg
}

/// The paper's Example 3.4: D = 2, widths 4, degrees (2, 1), two samples, true coefficients
/// c11 = 1, c12 = −2, c20 = 1, c21 = −1.
pub fn example_3_4() -> Problem {
    let weights = vec![
        vec![
            vec![1.0, 0.0, -1.0, 1.0],
            vec![0.0, 1.0, 1.0, 1.0],
            vec![-1.0, 0.0, 1.0, -1.0],
            vec![-2.0, 1.0, -1.0, 0.0],
        ],
        vec![
            vec![1.0, -1.0, 0.0, 2.0],
            vec![2.0, 1.0, 1.0, 0.0],
            vec![1.0, 1.0, 1.0, 2.0],
            vec![0.0, 1.0, 1.0, 1.0],
        ],
        vec![
            vec![1.0, 1.0, 0.0, 1.0],
            vec![-2.0, -1.0, 1.0, 1.0],
            vec![1.0, 0.0, 1.0, 1.0],
            vec![-1.0, 0.0, -2.0, 1.0],
        ],
    ];
    let network = Network::new(weights, vec![2, 1]).expect("example 3.4 network is valid");
    let data = Dataset {
        inputs: vec![vec![2.0, 1.0, 0.0, -1.0], vec![-1.0, 1.0, 1.0, 1.0]],
        outputs: vec![
            vec![66.0, -22.0, 106.0, -104.0],
            vec![38.0, 30.0, 46.0, -33.0],
        ],
    };
    Problem::new(
        network,
        data,
        Some(vec![vec![1.0, 1.0, -2.0], vec![1.0, -1.0]]),
        None,
    )
    .expect("example 3.4 is valid")
}
