//! Sufficient statistics of the training data: every loss depends on the data only through a few sums, which
//! are computed in one streaming pass, can be computed shard by shard on different machines, and merge exactly
//! (up to floating-point summation order).
//!
//! # The fixed support
//!
//! Each output f_o(x; c) of the network is a polynomial in the unknowns c whose monomials lie in a fixed set
//! that depends on the degrees only: with s = s_D the last pre-activation (a polynomial of degree
//! δ = deg s_D in the inner unknowns c_{1..D−1}), f_o = Σ_u W_{D+1}[o, u] Σ_{j=0}^{d_D} c_{D,j} s_u^j + b_{D+1,o},
//! so apart from the constant output bias its monomials are c_{D,j}·μ for j = 0..d_D and μ an inner monomial
//! of degree ≤ j·δ. These K monomials are the *support*; a_{io} ∈ ℝ^K is the coefficient vector of
//! f_o(x_i; c) − b_{D+1,o} over it. The output bias is a constant shift of every output, so each loss sees the
//! residual a_{io}ᵀ·(support) − (y_{io} − b_{D+1,o}): the statistics use the shifted targets
//! ỹ_{io} = y_{io} − b_{D+1,o} (exact for every loss).
//!
//! # The statistics of each loss
//!
//! * mean-inf, ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞: the sums Σ_i a_{io} (one K-vector per output o), Σ_i ỹ_i and N.
//! * lsq, (1/N) Σ_i ‖f(x_i; c) − y_i‖²: with b_{io} = [a_{io}; −ỹ_{io}] ∈ ℝ^{K+1} and v(c) the support monomials
//!   followed by 1, the loss is v(c)ᵀ G v(c) / N with the Gram matrix G = Σ_{i,o} b_{io} b_{io}ᵀ; G and N.
//! * max-inf, max_i ‖f(x_i; c) − y_i‖_∞: every residual r_{io}(c) = b_{io}ᵀ v(c) is a constraint, so the
//!   statistics are all N·m_{D+1} rows b_{io}: inherently O(N) memory (no constant-size summary exists).
//!
//! Statistics store sums, not means, so shards merge by adding (and concatenating, for max-inf) and adding
//! counts.
//!
//! # The pass
//!
//! Samples are processed in batches of B rows, in parallel (rayon; each worker reduces into its own
//! accumulator, the accumulators are summed at the end). Every hidden unit's value is a polynomial in the inner
//! unknowns, stored *coefficient-major*: coefficient k of layer l is a B × m_l matrix H_k. Then
//! * layer 1: A = X_B W_1ᵀ + b_1 (one GEMM, the bias added to every row), H_0 = 1, H_{c_{1,j}} = A^{∘j}
//!   (element-wise powers);
//! * layer l+1: S_k = H_k W_{l+1}ᵀ for every coefficient k — one GEMM on the stacked blocks (H_0 = 1, so
//!   S_0 = W_{l+1}·1 + b_{l+1} in every row without a GEMM: the bias is part of the constant block);
//!   inner activations 1 + Σ_j c_{l+1,j} s^j use the multiplication table of the monomial basis, block by block;
//! * last layer: the powers s^j are formed block by block (element-wise products over the whole batch);
//! * mean-inf sums the power blocks over the batch and multiplies by W_{D+1} once, at the end (it is linear);
//!   the top power s^{d_D} is never stored: its products are summed over the rows as they are formed;
//! * lsq needs only ‖Σ_j F_j‖² with F = P·W_{D+1}ᵀ, i.e. the Gram matrix of P·W_{D+1}ᵀ; with R the Cholesky
//!   factor of W_{D+1}ᵀW_{D+1} (when m_{D+1} ≥ m_D and it is well conditioned) PWᵀWPᵀ = (PR)(PR)ᵀ, so the
//!   GEMM is by the triangular R (split into blocks to skip its zero quarter) instead of W, and the lower
//!   triangle of the K × K Gram matrix of the columns of P·R is accumulated by a register-blocked kernel;
//!   the cross row −Σ Pᵀ(Ỹ W) and the corner Σ‖ỹ‖² are added separately;
//! * max-inf keeps the rows of A.

use std::path::Path;

use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::invalid;
use crate::model::Loss;
use crate::model::network::Algebra;
use crate::model::{CoefficientLayout, Dataset, Matrix, Network, Problem};
use crate::polynomial::{Monomial, Polynomial, monomial_count};

/// Format tag written into every statistics file.
pub const FORMAT: &str = "polyact-statistics/1";

/// Rows per read when streaming data files ([`SufficientStatistics::from_files`]).
pub const FILE_CHUNK: usize = 1 << 13;

/// Batches per parallel task of the pass.
const GROUP_BATCHES: usize = 8;

/// Largest batch (rows per block) of the pass (measured fastest of 32, 64, 128 by `cargo bench --bench stats`).
pub const MAX_BATCH: usize = 64;

/// Which network the statistics belong to: degrees, widths and a hash of the exact weights and biases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFingerprint {
    /// Activation degrees d_1..d_D.
    pub degrees: Vec<usize>,
    /// Widths m_0..m_{D+1}.
    pub widths: Vec<usize>,
    /// FNV-1a (64 bit) over the bit patterns of all weights, row by row, layer by layer, then (only when some
    /// bias is nonzero, so that a network without biases keeps its hash) of all biases, layer by layer; 16 hex
    /// digits.
    pub weights_hash: String,
}

impl NetworkFingerprint {
    /// The fingerprint of a network.
    pub fn of(network: &Network) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut hash = |v: f64| {
            for byte in v.to_bits().to_le_bytes() {
                h ^= byte as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for w in network.weights() {
            (0..w.nrows()).flat_map(|i| w.row(i)).for_each(|&v| hash(v));
        }
        if network.has_biases() {
            network.biases().iter().flatten().for_each(|&v| hash(v));
        }
        NetworkFingerprint {
            degrees: network.degrees().to_vec(),
            widths: network.widths(),
            weights_hash: format!("{h:016x}"),
        }
    }

    fn describe(&self) -> String {
        format!(
            "degrees {:?}, widths {:?}, weights hash {}",
            self.degrees, self.widths, self.weights_hash
        )
    }
}

/// The per-loss sums (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "loss")]
pub enum Sums {
    /// mean-inf: `outputs[o]` = Σ_i a_{io} (length K), `targets[o]` = Σ_i ỹ_{io} = Σ_i (y_{io} − b_{D+1,o}).
    #[serde(rename = "mean-inf")]
    MeanInf {
        outputs: Vec<Vec<f64>>,
        targets: Vec<f64>,
    },
    /// lsq: the Gram matrix G = Σ_{i,o} b_{io} b_{io}ᵀ ((K+1) × (K+1), rows).
    #[serde(rename = "lsq")]
    Lsq { gram: Vec<Vec<f64>> },
    /// max-inf: every row b_{io} = [a_{io}; −ỹ_{io}] (sample-major, then output), length K+1 each.
    #[serde(rename = "max-inf")]
    MaxInf { residuals: Vec<Vec<f64>> },
}

/// Sufficient statistics of a data set (or a shard of it) for one network and one loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SufficientStatistics {
    /// Always [`FORMAT`].
    pub format: String,
    /// The network the statistics were computed for.
    pub network: NetworkFingerprint,
    /// Number of samples N.
    pub count: u64,
    /// Size K of the support (the number of monomials of f in c).
    pub support: usize,
    /// The sums.
    pub sums: Sums,
}

/// Size K of the support for activation degrees d_1..d_D: Σ_{j=0}^{d_D} C(n_inner + j·δ, j·δ).
pub fn support_len(degrees: &[usize]) -> usize {
    let (n_inner, ds) = inner_dims(degrees);
    let d = degrees[degrees.len() - 1];
    (0..=d).map(|j| monomial_count(n_inner, j * ds)).sum()
}

/// (number of inner unknowns, degree δ of s_D in them).
fn inner_dims(degrees: &[usize]) -> (usize, usize) {
    let inner = &degrees[..degrees.len() - 1];
    let mut ds = 0;
    for &d in inner {
        ds = 1 + d * ds;
    }
    (inner.iter().sum(), ds)
}

impl SufficientStatistics {
    /// The statistics of a problem's training data.
    pub fn from_problem(problem: &Problem, loss: Loss) -> Result<Self> {
        Self::from_data(&problem.network, &problem.data, loss)
    }

    /// The statistics of a data set (rows must match the network; they are checked).
    pub fn from_data(network: &Network, data: &Dataset, loss: Loss) -> Result<Self> {
        if data.inputs.len() != data.outputs.len() {
            invalid!(
                "{} input rows but {} output rows",
                data.inputs.len(),
                data.outputs.len()
            );
        }
        let mut builder = StatisticsBuilder::new(network, loss);
        let (m0, mo) = (network.input_dim(), network.output_dim());
        const CHUNK: usize = 1 << 14;
        let mut x = Vec::with_capacity(CHUNK * m0);
        let mut y = Vec::with_capacity(CHUNK * mo);
        for (xs, ys) in data.inputs.chunks(CHUNK).zip(data.outputs.chunks(CHUNK)) {
            x.clear();
            y.clear();
            for (i, (xi, yi)) in xs.iter().zip(ys).enumerate() {
                if xi.len() != m0 || yi.len() != mo {
                    invalid!(
                        "sample {} has {} inputs and {} outputs; the network needs {m0} and {mo}",
                        i + 1,
                        xi.len(),
                        yi.len()
                    );
                }
                x.extend_from_slice(xi);
                y.extend_from_slice(yi);
            }
            builder.add_rows(&x, &y)?;
        }
        builder.finish()
    }

    /// The statistics of the samples in two data files (CSV or NPY; row i of `inputs` is x_i, row i of
    /// `outputs` is y_i), streamed: a reader thread reads the next [`FILE_CHUNK`] rows while the pass
    /// processes the current ones, so memory is independent of the number of rows (except for max-inf).
    pub fn from_files(
        network: &Network,
        inputs: &Path,
        outputs: &Path,
        loss: Loss,
    ) -> Result<Self> {
        use crate::model::data::RowReader;
        let mut xr = RowReader::open(inputs)?;
        let mut yr = RowReader::open(outputs)?;
        let (m0, mo) = (network.input_dim(), network.output_dim());
        let mut builder = StatisticsBuilder::new(network, loss);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Vec<f64>, Vec<f64>)>>(1);
        let read = move || -> Result<()> {
            loop {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                let nx = xr.read_rows(FILE_CHUNK, &mut x)?;
                let ny = yr.read_rows(FILE_CHUNK, &mut y)?;
                for (reader, path, dim, what) in [
                    (&xr, inputs, m0, "inputs (m_0)"),
                    (&yr, outputs, mo, "outputs (m_{D+1})"),
                ] {
                    if let Some(c) = reader.ncols().filter(|&c| c != dim) {
                        invalid!(
                            "{}: rows have {c} columns but the network has {dim} {what}",
                            path.display()
                        );
                    }
                }
                if nx != ny {
                    invalid!(
                        "{} and {} have different numbers of rows (one output row per input row is needed)",
                        inputs.display(),
                        outputs.display()
                    );
                }
                if nx == 0 || tx.send(Ok((x, y))).is_err() {
                    return Ok(());
                }
            }
        };
        std::thread::scope(|scope| -> Result<()> {
            let reader = scope.spawn(read);
            for chunk in rx {
                let (x, y) = chunk?;
                builder.add_rows(&x, &y)?;
            }
            reader.join().expect("the reader thread does not panic")
        })?;
        builder.finish().map_err(|e| match e {
            Error::InvalidInput(m) => Error::InvalidInput(format!(
                "{} and {}: {m}",
                inputs.display(),
                outputs.display()
            )),
            other => other,
        })
    }

    /// The loss these statistics are for.
    pub fn loss(&self) -> Loss {
        match self.sums {
            Sums::MeanInf { .. } => Loss::MeanInf,
            Sums::Lsq { .. } => Loss::Lsq,
            Sums::MaxInf { .. } => Loss::MaxInf,
        }
    }

    /// Add another shard's statistics (sums and counts add; max-inf rows are appended). Errors when the shards
    /// belong to different networks or losses.
    pub fn merge(&mut self, other: &SufficientStatistics) -> Result<()> {
        if self.network != other.network {
            invalid!(
                "the statistics belong to different networks ({} vs {})",
                self.network.describe(),
                other.network.describe()
            );
        }
        if self.loss() != other.loss() {
            invalid!(
                "the statistics are for different losses ({} vs {})",
                self.loss(),
                other.loss()
            );
        }
        if self.support != other.support {
            invalid!(
                "the statistics have different supports ({} vs {} monomials)",
                self.support,
                other.support
            );
        }
        match (&mut self.sums, &other.sums) {
            (
                Sums::MeanInf { outputs, targets },
                Sums::MeanInf {
                    outputs: o2,
                    targets: t2,
                },
            ) => {
                add_rows_into(outputs, o2);
                for (a, b) in targets.iter_mut().zip(t2) {
                    *a += b;
                }
            }
            (Sums::Lsq { gram }, Sums::Lsq { gram: g2 }) => add_rows_into(gram, g2),
            (Sums::MaxInf { residuals }, Sums::MaxInf { residuals: r2 }) => {
                residuals.extend_from_slice(r2)
            }
            _ => unreachable!("the losses were compared above"),
        }
        self.count += other.count;
        Ok(())
    }

    /// Check the statistics against their own fingerprint: format, N ≥ 1, shapes, finiteness.
    pub fn validate(&self) -> Result<()> {
        if self.format != FORMAT {
            invalid!(
                "not a statistics file of this version (format \"{}\", expected \"{FORMAT}\")",
                self.format
            );
        }
        let fp = &self.network;
        if fp.degrees.is_empty()
            || fp.widths.len() != fp.degrees.len() + 2
            || fp.widths.contains(&0)
            || fp
                .degrees
                .iter()
                .any(|&d| d == 0 || d > crate::model::MAX_DEGREE)
        {
            invalid!(
                "the network fingerprint is inconsistent ({})",
                fp.describe()
            );
        }
        if self.count == 0 {
            invalid!("the statistics have N = 0 samples (an empty shard cannot be used)");
        }
        let k = support_len(&fp.degrees);
        if self.support != k {
            invalid!(
                "support size {} does not match the degrees {:?} (expected {k})",
                self.support,
                fp.degrees
            );
        }
        let mo = fp.widths[fp.widths.len() - 1];
        let shape = |rows: &[Vec<f64>], r: usize, c: usize, what: &str| -> Result<()> {
            if rows.len() != r || rows.iter().any(|row| row.len() != c) {
                invalid!("{what} must be {r} rows of {c} numbers");
            }
            Ok(())
        };
        let values: Vec<&f64> = match &self.sums {
            Sums::MeanInf { outputs, targets } => {
                shape(outputs, mo, k, "mean-inf \"outputs\"")?;
                if targets.len() != mo {
                    invalid!("mean-inf \"targets\" must have {mo} numbers");
                }
                outputs.iter().flatten().chain(targets).collect()
            }
            Sums::Lsq { gram } => {
                shape(gram, k + 1, k + 1, "lsq \"gram\"")?;
                gram.iter().flatten().collect()
            }
            Sums::MaxInf { residuals } => {
                let rows = usize::try_from(self.count)
                    .ok()
                    .and_then(|n| n.checked_mul(mo))
                    .unwrap_or(usize::MAX);
                shape(residuals, rows, k + 1, "max-inf \"residuals\" (N·outputs)")?;
                residuals.iter().flatten().collect()
            }
        };
        if values.iter().any(|v| !v.is_finite()) {
            invalid!("the statistics contain a number that is not finite");
        }
        Ok(())
    }

    /// Check that the statistics were computed for `network`.
    pub fn check_network(&self, network: &Network) -> Result<()> {
        let fp = NetworkFingerprint::of(network);
        if fp != self.network {
            invalid!(
                "the statistics were computed for a different network ({}) than the problem's ({})",
                self.network.describe(),
                fp.describe()
            );
        }
        Ok(())
    }

    /// Parse and validate statistics from JSON; `source` names them in errors.
    pub fn from_json_str(s: &str, source: &str) -> Result<Self> {
        crate::error::check_json_keys(
            s,
            &["format", "network", "count", "support", "sums"],
            source,
            "a statistics file",
        )?;
        let st: SufficientStatistics = serde_json::from_str(s).map_err(|e| Error::Parse {
            path: source.to_string(),
            message: format!("not a valid statistics file: {e}"),
        })?;
        st.validate().map_err(|e| match e {
            Error::InvalidInput(m) => Error::Parse {
                path: source.to_string(),
                message: m,
            },
            other => other,
        })?;
        Ok(st)
    }

    /// Read and validate a statistics file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let s = crate::error::read_text(path)?;
        Self::from_json_str(&s, &name)
    }

    /// Load several shards and merge them (in order).
    pub fn load_merged(paths: &[impl AsRef<Path>]) -> Result<Self> {
        let mut it = paths.iter();
        let Some(first) = it.next() else {
            invalid!("no statistics files given");
        };
        let mut total = Self::load(first)?;
        for p in it {
            let next = Self::load(p)?;
            total.merge(&next).map_err(|e| match e {
                Error::InvalidInput(m) => Error::InvalidInput(format!(
                    "{} cannot be merged with {}: {m}",
                    p.as_ref().display(),
                    first.as_ref().display()
                )),
                other => other,
            })?;
        }
        Ok(total)
    }

    /// The statistics as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("statistics serialize")
    }

    /// Write the statistics file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// The support monomials in the unknowns of `layout`, in the order of the statistics' coefficients.
    pub fn support_monomials(layout: &CoefficientLayout) -> Vec<Monomial> {
        let degrees = layout.degrees();
        let (n_inner, ds) = inner_dims(degrees);
        let nvars = layout.num_unknowns();
        let basis = crate::polynomial::MonomialBasis::new(n_inner, degrees[degrees.len() - 1] * ds);
        let mut out = Vec::new();
        for j in 0..=degrees[degrees.len() - 1] {
            for i in 0..basis.count_up_to(j * ds) {
                let mut e = Vec::with_capacity(nvars);
                e.extend_from_slice(&basis.monomial(i).0);
                e.resize(nvars, 0);
                e[n_inner + j] += 1;
                out.push(Monomial(e));
            }
        }
        out
    }

    /// Mean residuals r_o(c) = (1/N) Σ_i (f_o(x_i; c) − y_{io}) (mean-inf statistics only).
    pub fn mean_residuals(&self, layout: &CoefficientLayout) -> Result<Vec<Polynomial>> {
        let Sums::MeanInf { outputs, targets } = &self.sums else {
            invalid!(
                "mean residuals need mean-inf statistics, these are for {}",
                self.loss()
            );
        };
        let support = Self::support_monomials(layout);
        let inv_n = 1.0 / self.count as f64;
        let nvars = layout.num_unknowns();
        Ok(outputs
            .iter()
            .zip(targets)
            .map(|(a, &y)| {
                let mut p = residual(nvars, &support, a, -y);
                p = p.scale(inv_n);
                p
            })
            .collect())
    }

    /// Residuals r_{io}(c) = f_o(x_i; c) − y_{io} of every sample and output (max-inf statistics only).
    pub fn sample_residuals(&self, layout: &CoefficientLayout) -> Result<Vec<Polynomial>> {
        let Sums::MaxInf { residuals } = &self.sums else {
            invalid!(
                "per-sample residuals need max-inf statistics, these are for {}",
                self.loss()
            );
        };
        let support = Self::support_monomials(layout);
        let k = support.len();
        let nvars = layout.num_unknowns();
        Ok(residuals
            .iter()
            .map(|b| residual(nvars, &support, &b[..k], b[k]))
            .collect())
    }

    /// (1/N) Σ_i ‖f(x_i; c) − y_i‖² = v(c)ᵀ G v(c) / N (lsq statistics only).
    pub fn least_squares(&self, layout: &CoefficientLayout) -> Result<Polynomial> {
        let Sums::Lsq { gram } = &self.sums else {
            invalid!(
                "the least-squares polynomial needs lsq statistics, these are for {}",
                self.loss()
            );
        };
        let nvars = layout.num_unknowns();
        let mut support = Self::support_monomials(layout);
        support.push(Monomial::one(nvars));
        let scale = 1.0 / self.count as f64;
        let mut f = Polynomial::zero(nvars);
        for (i, row) in gram.iter().enumerate() {
            for (j, &g) in row.iter().enumerate() {
                if g != 0.0 {
                    f.add_term(support[i].times(&support[j]), scale * g);
                }
            }
        }
        Ok(f)
    }
}

impl Network {
    /// The mean output f̂_j(c) = (1/N) Σ_i f_j(x_i; c), one polynomial per output j, in the
    /// [`num_unknowns`](CoefficientLayout::num_unknowns) unknowns of [`layout`](Self::layout).
    ///
    /// Exact up to rounding; computed by the streaming pass of this module (batched GEMMs on coefficient
    /// blocks, memory independent of N). Errors when `inputs` is empty or a row has the wrong length.
    pub fn mean_output_polynomials(&self, inputs: &[Vec<f64>]) -> Result<Vec<Polynomial>> {
        let data = Dataset {
            inputs: inputs.to_vec(),
            outputs: vec![vec![0.0; self.output_dim()]; inputs.len()],
        };
        let stats = SufficientStatistics::from_data(self, &data, Loss::MeanInf)?;
        stats.mean_residuals(&self.layout())
    }
}

/// Σ_k a_k m_k + constant.
fn residual(nvars: usize, support: &[Monomial], a: &[f64], constant: f64) -> Polynomial {
    let mut p = Polynomial::zero(nvars);
    for (m, &c) in support.iter().zip(a) {
        p.add_term(m.clone(), c);
    }
    p.add_term(Monomial::one(nvars), constant);
    p
}

fn add_rows_into(a: &mut [Vec<f64>], b: &[Vec<f64>]) {
    for (ra, rb) in a.iter_mut().zip(b) {
        for (x, y) in ra.iter_mut().zip(rb) {
            *x += y;
        }
    }
}

/// Streaming computation of [`SufficientStatistics`]: feed rows with [`add_rows`](Self::add_rows) (any number
/// of calls, each processed in parallel), then [`finish`](Self::finish). Memory is independent of the number
/// of rows fed (except for max-inf, whose statistics are per sample).
pub struct StatisticsBuilder<'a> {
    kernel: Kernel<'a>,
    loss: Loss,
    acc: Accumulator,
}

impl<'a> StatisticsBuilder<'a> {
    /// A builder for `network` and `loss`.
    pub fn new(network: &'a Network, loss: Loss) -> Self {
        let kernel = Kernel::new(network);
        let acc = Accumulator::new(&kernel, loss);
        StatisticsBuilder { kernel, loss, acc }
    }

    /// Add samples: `inputs` holds rows x_i (row-major, m_0 per row), `outputs` the rows y_i (m_{D+1} per row).
    /// Errors on a length that is not a whole number of rows, mismatched row counts or non-finite values.
    pub fn add_rows(&mut self, inputs: &[f64], outputs: &[f64]) -> Result<()> {
        let (m0, mo) = (
            self.kernel.network.input_dim(),
            self.kernel.network.output_dim(),
        );
        if !inputs.len().is_multiple_of(m0) || !outputs.len().is_multiple_of(mo) {
            invalid!(
                "inputs must come in rows of {m0} and outputs in rows of {mo} numbers (got {} and {})",
                inputs.len(),
                outputs.len()
            );
        }
        let n = inputs.len() / m0;
        if outputs.len() / mo != n {
            invalid!(
                "{n} input rows but {} output rows (one output row per input row is needed)",
                outputs.len() / mo
            );
        }
        // Fixed groups of batches, each reduced into its own accumulator, summed in order: the result does
        // not depend on how rayon schedules the groups (bit-for-bit reproducible for given chunks).
        let b = self.kernel.batch;
        let group = GROUP_BATCHES * b;
        let kernel = &self.kernel;
        let loss = self.loss;
        let parts: Vec<Accumulator> = inputs
            .par_chunks(group * m0)
            .zip(outputs.par_chunks(group * mo))
            .map_init(Workspace::default, |ws, (xg, yg)| {
                // Checked here, in parallel: a serial scan of the whole input costs as much as a tenth of the
                // pass.
                if xg.iter().chain(yg).any(|v| !v.is_finite()) {
                    invalid!("the data contain a number that is not finite");
                }
                let mut acc = Accumulator::new(kernel, loss);
                for (x, y) in xg.chunks(b * m0).zip(yg.chunks(b * mo)) {
                    kernel.accumulate(x, y, &mut acc, ws);
                }
                Ok(acc)
            })
            .collect::<Result<_>>()?;
        for part in parts {
            self.acc.add(part);
        }
        Ok(())
    }

    /// Number of samples fed so far.
    pub fn count(&self) -> u64 {
        self.acc.count
    }

    /// The statistics; errors when no samples were fed.
    pub fn finish(self) -> Result<SufficientStatistics> {
        if self.acc.count == 0 {
            invalid!("no samples: the statistics of an empty data set are undefined");
        }
        let net = self.kernel.network;
        let k = self.kernel.support;
        let sums = match self.acc.data {
            AccData::MeanInf { units, targets } => {
                // outputs[o][k] = Σ_u W_{D+1}[o, u] · (Σ_i s_u^j coefficient k).
                let w = &net.weights()[net.depth()];
                let m = w.ncols();
                let outputs = (0..w.nrows())
                    .map(|o| {
                        let wo = w.row(o);
                        (0..k)
                            .map(|kk| {
                                units[kk * m..(kk + 1) * m]
                                    .iter()
                                    .zip(wo)
                                    .map(|(a, b)| a * b)
                                    .sum()
                            })
                            .collect()
                    })
                    .collect();
                Sums::MeanInf { outputs, targets }
            }
            AccData::Lsq { gram } => {
                let k1 = k + 1;
                // Column-major, lower triangle accumulated: mirror it.
                let gram = (0..k1)
                    .map(|i| {
                        (0..k1)
                            .map(|j| {
                                if i >= j {
                                    gram[j * k1 + i]
                                } else {
                                    gram[i * k1 + j]
                                }
                            })
                            .collect()
                    })
                    .collect();
                Sums::Lsq { gram }
            }
            AccData::MaxInf { rows } => Sums::MaxInf {
                residuals: rows.chunks(k + 1).map(<[f64]>::to_vec).collect(),
            },
        };
        Ok(SufficientStatistics {
            format: FORMAT.to_string(),
            network: NetworkFingerprint::of(net),
            count: self.acc.count,
            support: k,
            sums,
        })
    }
}

/// Per-worker running sums.
struct Accumulator {
    count: u64,
    data: AccData,
}

enum AccData {
    /// `units[k·m_D + u]` = Σ_i (coefficient k of s_u^j), `targets[o]` = Σ_i y_{io}.
    MeanInf { units: Vec<f64>, targets: Vec<f64> },
    /// (K+1)² column-major; only the lower triangle is accumulated.
    Lsq { gram: Vec<f64> },
    /// Rows of length K+1, concatenated.
    MaxInf { rows: Vec<f64> },
}

impl Accumulator {
    fn new(kernel: &Kernel, loss: Loss) -> Self {
        let k = kernel.support;
        let net = kernel.network;
        let data = match loss {
            Loss::MeanInf => AccData::MeanInf {
                units: vec![0.0; k * net.weights()[net.depth()].ncols()],
                targets: vec![0.0; net.output_dim()],
            },
            Loss::Lsq => AccData::Lsq {
                gram: vec![0.0; (k + 1) * (k + 1)],
            },
            Loss::MaxInf => AccData::MaxInf { rows: vec![] },
        };
        Accumulator { count: 0, data }
    }

    fn add(&mut self, other: Accumulator) {
        self.count += other.count;
        let add = |a: &mut Vec<f64>, b: &[f64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        match (&mut self.data, other.data) {
            (
                AccData::MeanInf { units, targets },
                AccData::MeanInf {
                    units: u2,
                    targets: t2,
                },
            ) => {
                add(units, &u2);
                add(targets, &t2);
            }
            (AccData::Lsq { gram }, AccData::Lsq { gram: g2 }) => add(gram, &g2),
            (AccData::MaxInf { rows }, AccData::MaxInf { rows: r2 }) => rows.extend(r2),
            _ => unreachable!("accumulators of one builder share the loss"),
        }
    }
}

/// Scratch buffers of one worker.
#[derive(Default)]
struct Workspace {
    a: Vec<f64>,
    h: Vec<f64>,
    s: Vec<f64>,
    t: Vec<f64>,
    u: Vec<f64>,
    p: Vec<f64>,
    f: Vec<f64>,
}

/// The network-dependent part of the pass (see the module documentation).
struct Kernel<'a> {
    network: &'a Network,
    layout: CoefficientLayout,
    alg: Algebra,
    /// `power_offsets[j]` = first support index of c_{D,j}; the last entry is K.
    power_offsets: Vec<usize>,
    support: usize,
    batch: usize,
    /// Rᵀ (m_D × r) for a factor R of the output Gram, RᵀR = W_{D+1}ᵀW_{D+1}: the lsq Gram of the outputs is
    /// the Gram of R·(power blocks). R is the Cholesky factor (upper triangular, r = m_D) when m_{D+1} ≥ m_D,
    /// which halves the product or better, else W_{D+1} itself (r = m_{D+1}).
    out_rt: Mat<f64>,
    /// Whether `out_rt` is lower triangular.
    out_tri: bool,
}

/// Rᵀ for the lsq pass (see [`Kernel::out_rt`]): the Cholesky factor L of WᵀW (R = Lᵀ) when W has at least
/// as many rows as columns and WᵀW is numerically positive definite (then the triangular product costs at most
/// half of the one with W), else Wᵀ.
fn output_factor(w: &Matrix) -> (Mat<f64>, bool) {
    let wt = w.transpose();
    let (mo, md) = (w.nrows(), w.ncols());
    // Flops per row of the power blocks: 2·m_{D+1}·m_D with W, m_D² with a triangular factor; WᵀW is
    // singular when m_{D+1} < m_D.
    if mo >= md {
        let gram = wt * wt.transpose();
        if let Ok(llt) = gram.llt(faer::Side::Lower) {
            let l = llt.L().to_owned();
            let diag_min = (0..md).map(|i| l[(i, i)]).fold(f64::INFINITY, f64::min);
            let diag_max = (0..md).map(|i| l[(i, i)]).fold(0.0f64, f64::max);
            // A factor this ill-conditioned would lose digits against the product with W itself.
            if diag_min > 1e-6 * diag_max {
                return (l, true);
            }
        }
    }
    (wt.to_owned(), false)
}

/// dst (rows × W.nrows, row-major) = lhs (rows × W.ncols, row-major) · Wᵀ.
fn gemm_wt(dst: &mut [f64], lhs: &[f64], rows: usize, w: &Matrix) {
    let (mo, mi) = (w.nrows(), w.ncols());
    let lhs = MatRef::from_row_major_slice(lhs, rows, mi);
    let rhs = w.transpose();
    debug_assert_eq!((rhs.nrows(), rhs.ncols()), (mi, mo));
    let dst = MatMut::from_row_major_slice_mut(dst, rows, mo);
    faer::linalg::matmul::matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
}

/// o += x·y element-wise; fused multiply-adds when `FMA` (the caller is compiled with the FMA feature).
#[inline(always)]
fn fma_into<const FMA: bool>(o: &mut [f64], x: &[f64], y: &[f64]) {
    for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
        *o = if FMA { x.mul_add(*y, *o) } else { *o + x * y };
    }
}

/// o += x element-wise.
#[inline(always)]
fn add_into(o: &mut [f64], x: &[f64]) {
    for (o, x) in o.iter_mut().zip(x) {
        *o += x;
    }
}

/// out += a·b over coefficient blocks of length `blk`, through the basis's multiplication table
/// (a has `na` blocks, b has `nb` ≤ table width blocks): [`mul_blocks_row_sums`] with one row of width `blk`.
#[inline(always)]
fn mul_blocks<const FMA: bool>(
    alg: &Algebra,
    a: &[f64],
    na: usize,
    b: &[f64],
    nb: usize,
    out: &mut [f64],
    blk: usize,
) {
    mul_blocks_row_sums::<FMA>(alg, a, na, b, nb, out, blk, blk);
}

/// Like [`mul_blocks`], but the product blocks are summed over the `blk / width` rows instead of stored:
/// out[k·width..(k+1)·width] += Σ_rows a_i ∘ b_j for every table entry k = i·j.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn mul_blocks_row_sums<const FMA: bool>(
    alg: &Algebra,
    a: &[f64],
    na: usize,
    b: &[f64],
    nb: usize,
    out: &mut [f64],
    blk: usize,
    width: usize,
) {
    for i in 0..na {
        let ai = &a[i * blk..(i + 1) * blk];
        let row = &alg.table[i * alg.cols..i * alg.cols + nb];
        for (jj, &k) in row.iter().enumerate() {
            let bj = &b[jj * blk..(jj + 1) * blk];
            let o = &mut out[k as usize * width..(k as usize + 1) * width];
            for (x, y) in ai.chunks_exact(width).zip(bj.chunks_exact(width)) {
                fma_into::<FMA>(o, x, y);
            }
        }
    }
}

/// G (lower triangle, column-major with leading dimension `ld`) += AᵀA for A column-major n × k (k ≥ 1):
/// 2 × 4 blocks of dot products over the rows, eight AVX2 accumulators. faer's GEMM runs this shape
/// (a k × k result from very long columns) at half the speed.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gram_lower_add_avx2(g: &mut [f64], ld: usize, a: &[f64], n: usize, k: usize) {
    use std::arch::x86_64::*;
    assert!(k >= 1 && a.len() >= n * k && ld >= k && g.len() >= (k - 1) * ld + k);
    let n4 = n / 4 * 4;
    let base = a.as_ptr();
    let mut p0 = 0;
    while p0 < k {
        let mut q0 = 0;
        while q0 < (p0 + 2).min(k) {
            // Columns past k repeat the last one (their results are dropped).
            let xp = [p0, p0 + 1].map(|c| c.min(k - 1) * n);
            let yp = [q0, q0 + 1, q0 + 2, q0 + 3].map(|c| c.min(k - 1) * n);
            let mut acc = [_mm256_setzero_pd(); 8];
            // SAFETY: every column offset is ≤ (k − 1)·n and i + 4 ≤ n4 ≤ n, so each 4-wide load stays inside
            // a[..n·k] (asserted above).
            unsafe {
                let mut i = 0;
                while i < n4 {
                    let x0 = _mm256_loadu_pd(base.add(xp[0] + i));
                    let x1 = _mm256_loadu_pd(base.add(xp[1] + i));
                    let y0 = _mm256_loadu_pd(base.add(yp[0] + i));
                    let y1 = _mm256_loadu_pd(base.add(yp[1] + i));
                    let y2 = _mm256_loadu_pd(base.add(yp[2] + i));
                    let y3 = _mm256_loadu_pd(base.add(yp[3] + i));
                    acc[0] = _mm256_fmadd_pd(x0, y0, acc[0]);
                    acc[1] = _mm256_fmadd_pd(x0, y1, acc[1]);
                    acc[2] = _mm256_fmadd_pd(x0, y2, acc[2]);
                    acc[3] = _mm256_fmadd_pd(x0, y3, acc[3]);
                    acc[4] = _mm256_fmadd_pd(x1, y0, acc[4]);
                    acc[5] = _mm256_fmadd_pd(x1, y1, acc[5]);
                    acc[6] = _mm256_fmadd_pd(x1, y2, acc[6]);
                    acc[7] = _mm256_fmadd_pd(x1, y3, acc[7]);
                    i += 4;
                }
            }
            for u in 0..2 {
                for v in 0..4 {
                    let (p, q) = (p0 + u, q0 + v);
                    if p >= k || q > p {
                        continue;
                    }
                    let mut t = [0.0; 4];
                    // SAFETY: t holds four f64.
                    unsafe { _mm256_storeu_pd(t.as_mut_ptr(), acc[u * 4 + v]) };
                    let mut sum = (t[0] + t[1]) + (t[2] + t[3]);
                    for r in n4..n {
                        sum += a[p * n + r] * a[q * n + r];
                    }
                    g[q * ld + p] += sum;
                }
            }
            q0 += 4;
        }
        p0 += 2;
    }
}

/// G (lower triangle of the k × k leading block of a column-major matrix with leading dimension `ld`) += AᵀA
/// for A column-major n × k.
fn gram_lower_add(g: &mut [f64], ld: usize, a: &[f64], n: usize, k: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        return unsafe { gram_lower_add_avx2(g, ld, a, n, k) };
    }
    use faer::linalg::matmul::triangular::{BlockStructure, matmul};
    let a = MatRef::from_column_major_slice(&a[..n * k], n, k);
    let g = MatMut::from_column_major_slice_with_stride_mut(&mut g[..(k - 1) * ld + k], k, k, ld);
    matmul(
        g,
        BlockStructure::TriangularLower,
        Accum::Add,
        a.transpose(),
        BlockStructure::Rectangular,
        a,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

fn fill_zero(v: &mut Vec<f64>, len: usize) {
    v.clear();
    v.resize(len, 0.0);
}

impl<'a> Kernel<'a> {
    fn new(network: &'a Network) -> Self {
        let layout = network.layout();
        let alg = Algebra::new(&layout);
        let d = network.degrees()[network.depth() - 1];
        let mut power_offsets = Vec::with_capacity(d + 2);
        let mut k = 0;
        for j in 0..=d {
            power_offsets.push(k);
            k += alg.count(j * alg.ds_last);
        }
        power_offsets.push(k);
        // At most 8 MB for the largest block stack (K+1 blocks of B × max width), and at most MAX_BATCH rows: at
        // widths 40 the lsq pass is fastest with B = 64, where its power and output blocks stay in L2.
        let widest = network.widths().into_iter().max().unwrap_or(1);
        let batch = ((1usize << 20) / ((k + 1) * widest).max(1)).clamp(8, MAX_BATCH);
        let (out_rt, out_tri) = output_factor(&network.weights()[network.depth()]);
        Kernel {
            network,
            layout,
            alg,
            power_offsets,
            support: k,
            batch,
            out_rt,
            out_tri,
        }
    }

    /// The power blocks of the last layer for a batch of b rows: ws.p holds K blocks of b × m_D (row-major);
    /// block `power_offsets[j] + μ` is the coefficient of the inner monomial μ in s^j. With `skip_top` and
    /// d_D ≥ 2 the blocks of the top power s^{d_D} are left out (the caller reduces them on the fly).
    /// Returns m_D.
    #[inline(always)]
    fn powers<const FMA: bool>(
        &self,
        x: &[f64],
        b: usize,
        ws: &mut Workspace,
        skip_top: bool,
    ) -> usize {
        let net = self.network;
        let w = net.weights();
        let degrees = net.degrees();
        let depth = net.depth();
        let alg = &self.alg;
        let m1 = w[0].nrows();
        fill_zero(&mut ws.a, b * m1);
        gemm_wt(&mut ws.a, x, b, &w[0]);
        if net.has_biases() {
            for row in ws.a.chunks_exact_mut(m1) {
                for (a, bias) in row.iter_mut().zip(&net.biases()[0]) {
                    *a += bias;
                }
            }
        }
        // s: the last pre-activation, `ls` blocks of b × m_last, in ws.s (or ws.a when D = 1).
        let (ls, m_last) = if depth == 1 {
            std::mem::swap(&mut ws.a, &mut ws.s);
            (1, m1)
        } else {
            let blk = b * m1;
            let mut lh = alg.count(1);
            fill_zero(&mut ws.h, lh * blk);
            ws.h[..blk].fill(1.0);
            // h_1 = 1 + Σ_j c_{1,j} a^j.
            fill_zero(&mut ws.t, blk);
            ws.t.fill(1.0);
            for j in 1..=degrees[0] {
                for (t, a) in ws.t.iter_mut().zip(&ws.a) {
                    *t *= a;
                }
                let k = 1 + self.layout.index(0, j).expect("c_{1,j} is unknown");
                ws.h[k * blk..(k + 1) * blk].copy_from_slice(&ws.t);
            }
            let mut m_prev = m1;
            let mut deg = 1;
            let mut l = 1;
            loop {
                let m = w[l].nrows();
                fill_zero(&mut ws.s, lh * b * m);
                // Block 0 of h is the constant 1 (h = 1 + Σ_j c_j s^j), so S_0 = W·1 + b in every row: no GEMM.
                let ones: Vec<f64> = (0..m)
                    .map(|r| w[l].row(r).iter().sum::<f64>() + net.biases()[l][r])
                    .collect();
                for row in ws.s[..b * m].chunks_exact_mut(m) {
                    row.copy_from_slice(&ones);
                }
                gemm_wt(
                    &mut ws.s[b * m..],
                    &ws.h[b * m_prev..lh * b * m_prev],
                    (lh - 1) * b,
                    &w[l],
                );
                if l + 1 == depth {
                    break (lh, m);
                }
                // h_{l+1} = 1 + Σ_j c_{l+1,j} s^j.
                let blk = b * m;
                let d = degrees[l];
                let new_deg = 1 + d * deg;
                let ln = alg.count(new_deg);
                fill_zero(&mut ws.h, ln * blk);
                ws.h[..blk].fill(1.0);
                ws.t.clear();
                ws.t.extend_from_slice(&ws.s);
                for j in 1..=d {
                    if j > 1 {
                        fill_zero(&mut ws.u, alg.count(j * deg) * blk);
                        mul_blocks::<FMA>(
                            alg,
                            &ws.t,
                            alg.count((j - 1) * deg),
                            &ws.s,
                            lh,
                            &mut ws.u,
                            blk,
                        );
                        std::mem::swap(&mut ws.t, &mut ws.u);
                    }
                    let shift = &alg.shift[self.layout.index(l, j).expect("c_{l,j} is unknown")];
                    for (i, &dst) in shift.iter().enumerate().take(alg.count(j * deg)) {
                        let dst = dst as usize;
                        add_into(
                            &mut ws.h[dst * blk..(dst + 1) * blk],
                            &ws.t[i * blk..(i + 1) * blk],
                        );
                    }
                }
                deg = new_deg;
                lh = ln;
                m_prev = m;
                l += 1;
            }
        };
        // Powers s^j, j = 0..d_D, block by block.
        let blk = b * m_last;
        let ds = alg.ds_last;
        let off = &self.power_offsets;
        let top = off.len() - 2;
        let stored = if skip_top && top >= 2 {
            off[top]
        } else {
            self.support
        };
        fill_zero(&mut ws.p, stored * blk);
        ws.p[..blk].fill(1.0);
        ws.p[off[1] * blk..(off[1] + ls) * blk].copy_from_slice(&ws.s[..ls * blk]);
        for j in 2..off.len() - 1 {
            if off[j] >= stored {
                break;
            }
            let (lo, hi) = ws.p.split_at_mut(off[j] * blk);
            mul_blocks::<FMA>(
                alg,
                &lo[off[j - 1] * blk..],
                alg.count((j - 1) * ds),
                &lo[off[1] * blk..(off[1] + ls) * blk],
                ls,
                &mut hi[..(off[j + 1] - off[j]) * blk],
                blk,
            );
        }
        m_last
    }

    /// Add one batch (x: b rows of m_0, y: b rows of m_{D+1}) to `acc`: the element-wise kernels compiled
    /// for AVX2 and FMA when the CPU has them (checked at run time), portable code otherwise.
    fn accumulate(&self, x: &[f64], y: &[f64], acc: &mut Accumulator, ws: &mut Workspace) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { self.accumulate_avx2_fma(x, y, acc, ws) };
        }
        self.accumulate_with::<false>(x, y, acc, ws)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn accumulate_avx2_fma(&self, x: &[f64], y: &[f64], acc: &mut Accumulator, ws: &mut Workspace) {
        self.accumulate_with::<true>(x, y, acc, ws)
    }

    #[inline(always)]
    fn accumulate_with<const FMA: bool>(
        &self,
        x: &[f64],
        y: &[f64],
        acc: &mut Accumulator,
        ws: &mut Workspace,
    ) {
        let net = self.network;
        let b = x.len() / net.input_dim();
        let mean_inf = matches!(acc.data, AccData::MeanInf { .. });
        let m = self.powers::<FMA>(x, b, ws, mean_inf);
        let k = self.support;
        let out_bias = &net.biases()[net.depth()];
        acc.count += b as u64;
        match &mut acc.data {
            AccData::MeanInf { units, targets } => {
                // Stored blocks: summed over the rows; the top power (when not stored): its products are
                // summed over the rows as they are formed, never written out.
                let stored = ws.p.len() / (b * m);
                for kk in 0..stored {
                    let dst = &mut units[kk * m..(kk + 1) * m];
                    for row in ws.p[kk * b * m..(kk + 1) * b * m].chunks_exact(m) {
                        add_into(dst, row);
                    }
                }
                if stored < k {
                    let off = &self.power_offsets;
                    let top = off.len() - 2;
                    let blk = b * m;
                    let ls = off[2] - off[1];
                    mul_blocks_row_sums::<FMA>(
                        &self.alg,
                        &ws.p[off[top - 1] * blk..off[top] * blk],
                        off[top] - off[top - 1],
                        &ws.p[off[1] * blk..off[2] * blk],
                        ls,
                        &mut units[off[top] * m..],
                        blk,
                        m,
                    );
                }
                for row in y.chunks_exact(targets.len()) {
                    for ((t, v), bias) in targets.iter_mut().zip(row).zip(out_bias) {
                        *t += v - bias;
                    }
                }
            }
            AccData::Lsq { gram } => {
                // G = Σ_i b_i b_iᵀ with b_io = [a_io; −ỹ_io]: the K × K block is Σ_i P_iᵀ (RᵀR) P_i, the Gram of
                // F = P·Rᵀ; the last row is −Σ_i P_iᵀ Wᵀ ỹ_i and the corner Σ_i ‖ỹ_i‖².
                use faer::linalg::matmul::matmul;
                let rt = self.out_rt.as_ref();
                let r = rt.ncols();
                let br = b * r;
                fill_zero(&mut ws.f, k * br);
                // Power block 0 is the constant 1: F_0 = (R·1)ᵀ in every row.
                let ones: Vec<f64> = (0..r).map(|j| rt.col(j).sum()).collect();
                for row in ws.f[..br].chunks_exact_mut(r) {
                    row.copy_from_slice(&ones);
                }
                let rows = (k - 1) * b;
                let pm = MatRef::from_row_major_slice(&ws.p[b * m..k * b * m], rows, m);
                let mut fm = MatMut::from_row_major_slice_mut(&mut ws.f[br..], rows, r);
                if self.out_tri && m >= 16 {
                    // F = P·L with L lower triangular, in 2 × 2 blocks: three of the four block products.
                    // The split rounded to a multiple of 8 (faer's micro-kernels are 8 columns wide).
                    let h = (m / 2).div_ceil(8) * 8;
                    let (l11, l21, l22) = (
                        rt.submatrix(0, 0, h, h),
                        rt.submatrix(h, 0, m - h, h),
                        rt.submatrix(h, h, m - h, m - h),
                    );
                    let (p1, p2) = (pm.subcols(0, h), pm.subcols(h, m - h));
                    let (mut f1, f2) = fm.as_mut().split_at_col_mut(h);
                    matmul(f1.as_mut(), Accum::Replace, p1, l11, 1.0, Par::Seq);
                    matmul(f1, Accum::Add, p2, l21, 1.0, Par::Seq);
                    matmul(f2, Accum::Replace, p2, l22, 1.0, Par::Seq);
                } else {
                    matmul(fm, Accum::Replace, pm, rt, 1.0, Par::Seq);
                }
                // Lower triangle only (G is symmetric).
                gram_lower_add(gram, k + 1, &ws.f, br, k);
                let mut g = MatMut::from_column_major_slice_mut(gram, k + 1, k + 1);
                // z = Ỹ W (b × m_D), Ỹ = Y − 1 b_{D+1}ᵀ; the last row −Pᵀz and the corner ‖Ỹ‖².
                let w_out = &net.weights()[net.depth()];
                let mo = w_out.nrows();
                fill_zero(&mut ws.t, b * mo);
                let mut yy = 0.0;
                for (d, yr) in ws.t.chunks_exact_mut(mo).zip(y.chunks_exact(mo)) {
                    for ((d, v), bias) in d.iter_mut().zip(yr).zip(out_bias) {
                        *d = v - bias;
                        yy += *d * *d;
                    }
                }
                fill_zero(&mut ws.u, b * m);
                matmul(
                    MatMut::from_row_major_slice_mut(&mut ws.u, b, m),
                    Accum::Replace,
                    MatRef::from_row_major_slice(&ws.t, b, mo),
                    w_out.transpose().transpose(),
                    1.0,
                    Par::Seq,
                );
                matmul(
                    g.as_mut().submatrix_mut(k, 0, 1, k).transpose_mut(),
                    Accum::Add,
                    MatRef::from_column_major_slice(&ws.p[..k * b * m], b * m, k).transpose(),
                    MatRef::from_column_major_slice(&ws.u, b * m, 1),
                    -1.0,
                    Par::Seq,
                );
                g[(k, k)] += yy;
            }
            AccData::MaxInf { rows } => {
                let w_out = &net.weights()[net.depth()];
                let bm = b * w_out.nrows();
                fill_zero(&mut ws.f, (k + 1) * bm);
                // Power block 0 is the constant 1: its outputs are W_{D+1}·1 in every row.
                let ones: Vec<f64> = (0..w_out.nrows())
                    .map(|r| w_out.row(r).iter().sum())
                    .collect();
                for row in ws.f[..bm].chunks_exact_mut(w_out.nrows()) {
                    row.copy_from_slice(&ones);
                }
                gemm_wt(&mut ws.f[bm..k * bm], &ws.p[b * m..], (k - 1) * b, w_out);
                for (row, yr) in ws.f[k * bm..]
                    .chunks_exact_mut(w_out.nrows())
                    .zip(y.chunks_exact(w_out.nrows()))
                {
                    for ((d, v), bias) in row.iter_mut().zip(yr).zip(out_bias) {
                        *d = bias - v;
                    }
                }
                rows.reserve(bm * (k + 1));
                for r in 0..bm {
                    rows.extend((0..=k).map(|kk| ws.f[kk * bm + r]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::synthetic::{SyntheticSpec, generate};
    use crate::rng::Rng;

    fn flat(acc: &Accumulator) -> Vec<f64> {
        match &acc.data {
            AccData::MeanInf { units, targets } => units.iter().chain(targets).copied().collect(),
            AccData::Lsq { gram } => gram.clone(),
            AccData::MaxInf { rows } => rows.clone(),
        }
    }

    /// The portable kernels and the ones the CPU dispatch picks give the same sums, on networks that take the
    /// triangular and the W path of the lsq pass, with and without biases, at depths 1 to 3.
    #[test]
    fn portable_and_dispatched_kernels_agree() {
        for (degrees, widths, biases) in [
            (&[3usize][..], &[4usize, 6, 5][..], false),
            (&[2, 3], &[5, 7, 9, 8], true),
            (&[2, 3], &[5, 7, 18, 24], false),
            (&[2, 2], &[5, 7, 20, 3], true),
            (&[1, 2, 2], &[3, 4, 5, 6, 2], false),
        ] {
            let p = generate(&SyntheticSpec {
                degrees: degrees.to_vec(),
                widths: widths.to_vec(),
                samples: 1,
                test_samples: 0,
                noise: 0.0,
                seed: 5,
                biases,
            })
            .unwrap();
            let net = &p.network;
            let kernel = Kernel::new(net);
            assert_eq!(
                kernel.out_tri,
                widths[widths.len() - 1] >= widths[widths.len() - 2]
            );
            let mut rng = Rng::new(11);
            let b = 37;
            let x: Vec<f64> = (0..b * net.input_dim()).map(|_| rng.normal()).collect();
            let y: Vec<f64> = (0..b * net.output_dim()).map(|_| rng.normal()).collect();
            for &loss in Loss::ALL {
                let mut a1 = Accumulator::new(&kernel, loss);
                let mut a2 = Accumulator::new(&kernel, loss);
                kernel.accumulate_with::<false>(&x, &y, &mut a1, &mut Workspace::default());
                kernel.accumulate(&x, &y, &mut a2, &mut Workspace::default());
                let (v1, v2) = (flat(&a1), flat(&a2));
                assert_eq!(v1.len(), v2.len());
                let scale = v1.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (u, v) in v1.iter().zip(&v2) {
                    assert!(
                        (u - v).abs() <= 1e-12 * scale,
                        "{degrees:?} {loss}: {u} vs {v}"
                    );
                }
            }
        }
    }

    /// The blocked Gram kernel equals the dot products of the columns, for sizes with partial blocks and a row
    /// count that is not a multiple of the vector width.
    #[test]
    fn gram_kernel_equals_the_dot_products() {
        let mut rng = Rng::new(3);
        for (n, k) in [(1usize, 1usize), (7, 3), (64, 5), (130, 20), (9, 21)] {
            let a: Vec<f64> = (0..n * k).map(|_| rng.normal()).collect();
            let ld = k + 1;
            let mut g = vec![0.5; ld * ld];
            gram_lower_add(&mut g, ld, &a, n, k);
            for q in 0..k {
                for p in 0..ld {
                    let want = if p >= q && p < k {
                        0.5 + (0..n).map(|r| a[p * n + r] * a[q * n + r]).sum::<f64>()
                    } else {
                        0.5
                    };
                    let got = g[q * ld + p];
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "n {n} k {k} ({p},{q})"
                    );
                }
            }
        }
    }
}
