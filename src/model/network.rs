//! Networks with polynomial activations: weights, their coefficient layout and the numeric forward pass. The
//! symbolic mean output f̂(c) = (1/N) Σ_i f(x_i; c) (polynomials in the unknown coefficients) is computed by the
//! statistics pass ([`Network::mean_output_polynomials`], in [`super::stats`]); problem files are in
//! [`super::problem`].
//!
//! A network has D hidden layers, weights W_1..W_{D+1} (W_l is m_l × m_{l−1}) and biases b_1..b_{D+1}
//! (b_l ∈ ℝ^{m_l}, zero unless given). Hidden layer l applies p_l(t) = c_{l,0} + c_{l,1} t + … + c_{l,d_l} t^{d_l}
//! element-wise: h_0 = x, h_l = p_l(W_l h_{l−1} + b_l), f(x; c) = W_{D+1} h_D + b_{D+1}. The constants c_{1,0} = … = c_{D−1,0} = 1 are fixed (normalization); the unknowns are
//! c = (c_{1,1..d_1}, …, c_{D−1,1..d_{D−1}}, c_{D,0..d_D}), see [`CoefficientLayout`].

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::invalid;
#[cfg(test)]
use crate::polynomial::Polynomial;
use crate::polynomial::{Monomial, MonomialBasis};

/// Largest activation degree accepted.
pub const MAX_DEGREE: usize = 12;

/// A dense weight matrix W (r × c), (de)serialized as a list of rows: a thin newtype over faer's [`Mat`].
///
/// It holds Wᵀ as a faer column-major matrix, so that every row of W is one contiguous column slice: the
/// statistics pass reads W row by row and multiplies batches by Wᵀ, and both then run on contiguous memory.
/// Entries are finite and the matrix is not empty (checked on construction).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Vec<f64>>", into = "Vec<Vec<f64>>")]
pub struct Matrix {
    /// Wᵀ (c × r).
    transpose: Mat<f64>,
}

impl Matrix {
    /// Build from a list of rows; errors if empty, ragged or not finite.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Matrix> {
        matrix_from_rows(rows, "matrix")
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.transpose.ncols()
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.transpose.nrows()
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.nrows() && j < self.ncols(),
            "matrix index out of range"
        );
        self.transpose[(j, i)]
    }

    /// Row i.
    pub fn row(&self, i: usize) -> &[f64] {
        self.transpose.col_as_slice(i)
    }

    /// Wᵀ as a faer matrix (c × r): rows of W are its columns.
    pub fn transpose(&self) -> MatRef<'_, f64> {
        self.transpose.as_ref()
    }

    /// The rows as vectors.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        (0..self.nrows()).map(|i| self.row(i).to_vec()).collect()
    }

    /// The product A x.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.ncols(), "vector has the wrong dimension");
        (0..self.nrows())
            .map(|i| self.row(i).iter().zip(x).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// "r×c".
    pub fn shape_string(&self) -> String {
        format!("{}×{}", self.nrows(), self.ncols())
    }
}

/// Build a matrix from rows, naming it `what` in errors.
fn matrix_from_rows(rows: &[Vec<f64>], what: &str) -> Result<Matrix> {
    if rows.is_empty() || rows[0].is_empty() {
        invalid!("{what} is empty (it needs at least one row and one column)");
    }
    let cols = rows[0].len();
    for (r, row) in rows.iter().enumerate() {
        if row.len() != cols {
            invalid!(
                "{what} is ragged: row {} has {} entries but row 1 has {cols}",
                r + 1,
                row.len()
            );
        }
        for (c, &v) in row.iter().enumerate() {
            if !v.is_finite() {
                invalid!(
                    "{what} row {} column {} is {}",
                    r + 1,
                    c + 1,
                    non_finite_name(v)
                );
            }
        }
    }
    Ok(Matrix {
        transpose: Mat::from_fn(cols, rows.len(), |j, i| rows[i][j]),
    })
}

pub(crate) fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() { "NaN" } else { "infinite" }
}

impl TryFrom<Vec<Vec<f64>>> for Matrix {
    type Error = Error;
    fn try_from(rows: Vec<Vec<f64>>) -> Result<Matrix> {
        Matrix::from_rows(&rows)
    }
}

impl From<Matrix> for Vec<Vec<f64>> {
    fn from(m: Matrix) -> Self {
        m.to_rows()
    }
}

/// Where the unknown activation coefficients sit in the unknown vector c (and hence in the POP's variables).
///
/// Order: c_{1,1..d_1}, …, c_{D−1,1..d_{D−1}}, c_{D,0..d_D}; c_{l,0} = 1 is fixed for l < D.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoefficientLayout {
    degrees: Vec<usize>,
    /// `offsets[l]` = index of the first unknown of hidden layer l (0-based); `offsets[D]` = number of unknowns.
    offsets: Vec<usize>,
}

impl CoefficientLayout {
    /// The layout for activation degrees d_1..d_D (D ≥ 1).
    pub fn new(degrees: &[usize]) -> Self {
        assert!(
            !degrees.is_empty(),
            "a network needs at least one hidden layer"
        );
        let depth = degrees.len();
        let mut offsets = Vec::with_capacity(depth + 1);
        let mut k = 0;
        for (l, &d) in degrees.iter().enumerate() {
            offsets.push(k);
            k += if l + 1 == depth { d + 1 } else { d };
        }
        offsets.push(k);
        CoefficientLayout {
            degrees: degrees.to_vec(),
            offsets,
        }
    }

    /// Number of hidden layers D.
    pub fn depth(&self) -> usize {
        self.degrees.len()
    }

    /// Activation degrees d_1..d_D.
    pub fn degrees(&self) -> &[usize] {
        &self.degrees
    }

    /// Number of unknowns d_1 + … + d_D + 1.
    pub fn num_unknowns(&self) -> usize {
        self.offsets[self.depth()]
    }

    /// Number of unknowns of the layers before the last (they enter the mean output nonlinearly).
    pub fn num_inner_unknowns(&self) -> usize {
        self.offsets[self.depth() - 1]
    }

    /// Index in the unknown vector of c_{layer+1, power} (`layer` is 0-based, as in
    /// [`full_coefficients`](Self::full_coefficients)); `None` for the fixed constants and out-of-range indices.
    pub fn index(&self, layer: usize, power: usize) -> Option<usize> {
        let d = *self.degrees.get(layer)?;
        if power > d {
            return None;
        }
        if layer + 1 == self.depth() {
            Some(self.offsets[layer] + power)
        } else if power == 0 {
            None
        } else {
            Some(self.offsets[layer] + power - 1)
        }
    }

    /// Names of the unknowns: "c11", "c12", …, "c20", "c21", … ("c{l}_{j}" when l or j ≥ 10).
    pub fn variable_names(&self) -> Vec<String> {
        let depth = self.depth();
        let mut names = Vec::with_capacity(self.num_unknowns());
        for (l, &d) in self.degrees.iter().enumerate() {
            let first = if l + 1 == depth { 0 } else { 1 };
            for j in first..=d {
                names.push(coefficient_name(l + 1, j));
            }
        }
        names
    }

    /// Full per-layer coefficients (c_{l,0..d_l} for each hidden layer, fixed constants included) from the unknowns.
    pub fn full_coefficients(&self, unknowns: &[f64]) -> Vec<Vec<f64>> {
        assert_eq!(
            unknowns.len(),
            self.num_unknowns(),
            "expected {} unknown coefficients",
            self.num_unknowns()
        );
        let depth = self.depth();
        self.degrees
            .iter()
            .enumerate()
            .map(|(l, _)| {
                let u = &unknowns[self.offsets[l]..self.offsets[l + 1]];
                if l + 1 == depth {
                    u.to_vec()
                } else {
                    std::iter::once(1.0).chain(u.iter().copied()).collect()
                }
            })
            .collect()
    }

    /// The unknowns from full per-layer coefficients (inverse of [`full_coefficients`](Self::full_coefficients)).
    /// Errors on a shape mismatch or if a fixed constant c_{l,0} (l < D) is not 1 (within 1e-12).
    pub fn unknowns(&self, full: &[Vec<f64>]) -> Result<Vec<f64>> {
        let depth = self.depth();
        if full.len() != depth {
            invalid!(
                "coefficients given for {} layers but the network has {depth} hidden layers",
                full.len()
            );
        }
        let mut u = Vec::with_capacity(self.num_unknowns());
        for (l, (c, &d)) in full.iter().zip(&self.degrees).enumerate() {
            if c.len() != d + 1 {
                invalid!(
                    "coefficients of layer {} have {} entries but its degree is {d} (expected {})",
                    l + 1,
                    c.len(),
                    d + 1
                );
            }
            if l + 1 == depth {
                u.extend_from_slice(c);
            } else {
                if (c[0] - 1.0).abs() > 1e-12 {
                    invalid!(
                        "coefficient c{}0 is {} but the normalization c_{{l,0}} = 1 is required for every layer \
                         l < D = {depth}",
                        l + 1,
                        c[0]
                    );
                }
                u.extend_from_slice(&c[1..]);
            }
        }
        Ok(u)
    }
}

/// "c{l}{j}", or "c{l}_{j}" when either index has two digits.
fn coefficient_name(layer: usize, power: usize) -> String {
    if layer >= 10 || power >= 10 {
        format!("c{layer}_{power}")
    } else {
        format!("c{layer}{power}")
    }
}

/// A network with polynomial activations: weights W_1..W_{D+1}, biases b_1..b_{D+1} (zero by default, see
/// [`with_biases`](Self::with_biases)) and activation degrees d_1..d_D.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    weights: Vec<Matrix>,
    /// `biases[l]` has `weights[l].nrows()` entries.
    biases: Vec<Vec<f64>>,
    degrees: Vec<usize>,
}

impl Network {
    /// Build and validate a network from weight matrices given as lists of rows.
    pub fn new(weights: Vec<Vec<Vec<f64>>>, degrees: Vec<usize>) -> Result<Network> {
        Self::check_counts(weights.len(), &degrees)?;
        let matrices = weights
            .iter()
            .enumerate()
            .map(|(l, w)| matrix_from_rows(w, &format!("weight matrix W_{}", l + 1)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_matrices(matrices, degrees)
    }

    /// Build and validate a network from matrices.
    pub fn from_matrices(weights: Vec<Matrix>, degrees: Vec<usize>) -> Result<Network> {
        Self::check_counts(weights.len(), &degrees)?;
        for (l, &d) in degrees.iter().enumerate() {
            if d == 0 || d > MAX_DEGREE {
                invalid!(
                    "activation degree of hidden layer {} is {d}; degrees must be between 1 and {MAX_DEGREE}",
                    l + 1
                );
            }
        }
        for l in 1..weights.len() {
            let (prev, cur) = (&weights[l - 1], &weights[l]);
            if cur.ncols() != prev.nrows() {
                invalid!(
                    "weight matrices do not chain: W_{} is {} but W_{} is {} (W_{} needs {} columns)",
                    l + 1,
                    cur.shape_string(),
                    l,
                    prev.shape_string(),
                    l + 1,
                    prev.nrows()
                );
            }
        }
        let biases = weights.iter().map(|w| vec![0.0; w.nrows()]).collect();
        Ok(Network {
            weights,
            biases,
            degrees,
        })
    }

    /// The network with biases b_1..b_{D+1}: one vector per weight matrix, `biases[l]` with as many entries as
    /// W_{l+1} has rows. Errors on a wrong count or length, or a value that is not finite.
    pub fn with_biases(mut self, biases: Vec<Vec<f64>>) -> Result<Network> {
        let nw = self.weights.len();
        if biases.len() != nw {
            invalid!(
                "{} bias vectors given but the network has {nw} weight matrices (one bias vector per weight \
                 matrix: b_1..b_{nw})",
                biases.len()
            );
        }
        for (l, (b, w)) in biases.iter().zip(&self.weights).enumerate() {
            if b.len() != w.nrows() {
                invalid!(
                    "bias b_{} has {} entries but W_{} is {} (b_{} needs {} entries, one per row)",
                    l + 1,
                    b.len(),
                    l + 1,
                    w.shape_string(),
                    l + 1,
                    w.nrows()
                );
            }
            if let Some(j) = b.iter().position(|v| !v.is_finite()) {
                invalid!(
                    "bias b_{} entry {} is {}",
                    l + 1,
                    j + 1,
                    non_finite_name(b[j])
                );
            }
        }
        self.biases = biases;
        Ok(self)
    }

    fn check_counts(nweights: usize, degrees: &[usize]) -> Result<()> {
        if nweights < 2 {
            invalid!(
                "a network needs at least 2 weight matrices (one hidden layer), got {nweights}"
            );
        }
        if degrees.len() != nweights - 1 {
            invalid!(
                "{} activation degrees given for {} hidden layers (one per hidden layer: {nweights} weight \
                 matrices − 1)",
                degrees.len(),
                nweights - 1
            );
        }
        Ok(())
    }

    /// Number of hidden layers D.
    pub fn depth(&self) -> usize {
        self.degrees.len()
    }

    /// Activation degrees d_1..d_D.
    pub fn degrees(&self) -> &[usize] {
        &self.degrees
    }

    /// Layer widths m_0 (input), m_1, …, m_D, m_{D+1} (output).
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.weights[0].ncols())
            .chain(self.weights.iter().map(Matrix::nrows))
            .collect()
    }

    /// Input dimension m_0.
    pub fn input_dim(&self) -> usize {
        self.weights[0].ncols()
    }

    /// Output dimension m_{D+1}.
    pub fn output_dim(&self) -> usize {
        self.weights[self.depth()].nrows()
    }

    /// Weight matrices W_1..W_{D+1}.
    pub fn weights(&self) -> &[Matrix] {
        &self.weights
    }

    /// Biases b_1..b_{D+1} (zeros when none were given).
    pub fn biases(&self) -> &[Vec<f64>] {
        &self.biases
    }

    /// True when some bias is nonzero.
    pub fn has_biases(&self) -> bool {
        self.biases.iter().flatten().any(|&v| v != 0.0)
    }

    /// The layout of the unknown coefficients.
    pub fn layout(&self) -> CoefficientLayout {
        CoefficientLayout::new(&self.degrees)
    }

    /// Numeric forward pass f(x; c); `coefficients` are full per-layer coefficients c_{l,0..d_l}.
    pub fn forward(&self, coefficients: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
        assert_eq!(
            coefficients.len(),
            self.depth(),
            "one coefficient list per hidden layer expected"
        );
        assert_eq!(x.len(), self.input_dim(), "input has the wrong dimension");
        let mut h = x.to_vec();
        for (l, w) in self.weights[..self.depth()].iter().enumerate() {
            let c = &coefficients[l];
            assert_eq!(
                c.len(),
                self.degrees[l] + 1,
                "layer {} needs {} coefficients",
                l + 1,
                self.degrees[l] + 1
            );
            h = w
                .mul_vec(&h)
                .into_iter()
                .zip(&self.biases[l])
                .map(|(t, b)| {
                    let t = t + b;
                    c.iter().rev().fold(0.0, |acc, &a| acc * t + a)
                })
                .collect();
        }
        let mut f = self.weights[self.depth()].mul_vec(&h);
        for (v, b) in f.iter_mut().zip(&self.biases[self.depth()]) {
            *v += b;
        }
        f
    }
}

/// A per-sample implementation of the mean output, an independent reference for tests.
#[cfg(test)]
impl Network {
    /// Reference implementation (sample by sample, O(N) memory) of the mean output f̂_j(c), one polynomial per
    /// output j, in the
    /// [`num_unknowns`](CoefficientLayout::num_unknowns) unknowns of [`layout`](Self::layout).
    ///
    /// Exact up to rounding. Every hidden unit's value is kept as a dense coefficient vector over the graded
    /// monomial basis of the inner unknowns (layers 1..D−1); the last layer is linear in c_{D,·}, so the powers
    /// s^j of its pre-activations are averaged over the samples before they are multiplied by c_{D,j} and
    /// W_{D+1}. Cost grows with C(n_inner + E, E), E = d_D·deg(s_D), which is small for the usual sizes.
    pub(crate) fn mean_output_polynomials_reference(&self, inputs: &[Vec<f64>]) -> Vec<Polynomial> {
        use rayon::prelude::*;
        assert!(
            !inputs.is_empty(),
            "the mean output needs at least one sample"
        );
        for x in inputs {
            assert_eq!(x.len(), self.input_dim(), "input has the wrong dimension");
        }
        let depth = self.depth();
        let layout = self.layout();
        let alg = Algebra::new(&layout);
        let widths = self.widths();
        let m_last = widths[depth];
        let ls = alg.count(alg.ds_last);
        let n = inputs.len();

        // Phase 1: last pre-activations s_D (m_D × ls per sample), in sample order.
        let work = n * widths.iter().sum::<usize>() * widths.iter().max().unwrap() * ls;
        let pre: Vec<Vec<f64>> = if work > 4_000_000 {
            inputs
                .par_iter()
                .with_min_len(4)
                .map(|x| self.last_preactivation(&alg, &layout, x))
                .collect()
        } else {
            inputs
                .iter()
                .map(|x| self.last_preactivation(&alg, &layout, x))
                .collect()
        };

        // Phase 2: per unit k and power j, Σ_i s_{k,i}^j (length count(j·ds)).
        let d_last = self.degrees[depth - 1];
        let unit_sums = |k: usize| -> Vec<Vec<f64>> {
            let mut sums: Vec<Vec<f64>> = (0..=d_last)
                .map(|j| vec![0.0; alg.count(j * alg.ds_last)])
                .collect();
            sums[0][0] = n as f64;
            let mut p = Vec::new();
            let mut q = Vec::new();
            for s_all in &pre {
                let s = &s_all[k * ls..(k + 1) * ls];
                p.clear();
                p.extend_from_slice(s);
                for (j, sum) in sums.iter_mut().enumerate().skip(1) {
                    if j > 1 {
                        q.clear();
                        q.resize(alg.count(j * alg.ds_last), 0.0);
                        alg.mul_add(&p, s, &mut q);
                        std::mem::swap(&mut p, &mut q);
                    }
                    for (a, b) in sum.iter_mut().zip(&p) {
                        *a += b;
                    }
                }
            }
            sums
        };
        let per_unit: Vec<Vec<Vec<f64>>> = if work > 4_000_000 {
            (0..m_last).into_par_iter().map(unit_sums).collect()
        } else {
            (0..m_last).map(unit_sums).collect()
        };

        // Combine with W_{D+1} and c_{D,j}.
        let w_out = &self.weights[depth];
        let n_inner = layout.num_inner_unknowns();
        let nvars = layout.num_unknowns();
        let inv_n = 1.0 / n as f64;
        (0..w_out.nrows())
            .map(|o| {
                let mut poly = Polynomial::zero(nvars);
                for j in 0..=d_last {
                    let len = alg.count(j * alg.ds_last);
                    let mut acc = vec![0.0; len];
                    for (k, &w) in w_out.row(o).iter().enumerate() {
                        if w != 0.0 {
                            for (a, b) in acc.iter_mut().zip(&per_unit[k][j]) {
                                *a += w * b;
                            }
                        }
                    }
                    for (i, &a) in acc.iter().enumerate() {
                        if a != 0.0 {
                            let mut e = Vec::with_capacity(nvars);
                            e.extend_from_slice(&alg.basis.monomial(i).0);
                            e.resize(nvars, 0);
                            e[n_inner + j] += 1;
                            poly.add_term(Monomial(e), a * inv_n);
                        }
                    }
                }
                // f = W_{D+1} h_D + b_{D+1}: the output bias is a constant.
                poly.add_term(Monomial::one(nvars), self.biases[depth][o]);
                poly
            })
            .collect()
    }

    /// s_D = W_D h_{D−1} + b_D for one sample, as m_D dense vectors (each of length count(ds_D)), concatenated.
    fn last_preactivation(&self, alg: &Algebra, layout: &CoefficientLayout, x: &[f64]) -> Vec<f64> {
        let depth = self.depth();
        let mut a = self.weights[0].mul_vec(x);
        for (v, b) in a.iter_mut().zip(&self.biases[0]) {
            *v += b;
        }
        if depth == 1 {
            return a;
        }
        // h_1 = 1 + Σ_j c_{1,j} a^j: variable c_{1,j} has basis index 1 + (j − 1).
        let d1 = self.degrees[0];
        let mut deg = 1;
        let mut lh = alg.count(1);
        let mut h = vec![0.0; a.len() * lh];
        for (k, &ak) in a.iter().enumerate() {
            let hk = &mut h[k * lh..(k + 1) * lh];
            hk[0] = 1.0;
            let mut p = 1.0;
            for j in 1..=d1 {
                p *= ak;
                hk[1 + layout.index(0, j).unwrap()] = p;
            }
        }
        let mut p = Vec::new();
        let mut q = Vec::new();
        for l in 1..depth {
            // s = W_{l+1} h + b_{l+1} (pre-activation of hidden layer l+1, 1-based).
            let w = &self.weights[l];
            let mut s = vec![0.0; w.nrows() * lh];
            for r in 0..w.nrows() {
                let sr = &mut s[r * lh..(r + 1) * lh];
                sr[0] = self.biases[l][r];
                for (c, &wrc) in w.row(r).iter().enumerate() {
                    if wrc != 0.0 {
                        for (a, b) in sr.iter_mut().zip(&h[c * lh..(c + 1) * lh]) {
                            *a += wrc * b;
                        }
                    }
                }
            }
            if l + 1 == depth {
                return s;
            }
            // h = 1 + Σ_j c_{l+1,j} s^j.
            let d = self.degrees[l];
            let new_deg = 1 + d * deg;
            let ln = alg.count(new_deg);
            let mut hn = vec![0.0; w.nrows() * ln];
            for k in 0..w.nrows() {
                let sk = &s[k * lh..(k + 1) * lh];
                let hk = &mut hn[k * ln..(k + 1) * ln];
                hk[0] = 1.0;
                p.clear();
                p.extend_from_slice(sk);
                for j in 1..=d {
                    if j > 1 {
                        q.clear();
                        q.resize(alg.count(j * deg), 0.0);
                        alg.mul_add(&p, sk, &mut q);
                        std::mem::swap(&mut p, &mut q);
                    }
                    let shift = &alg.shift[layout.index(l, j).unwrap()];
                    for (i, &pi) in p.iter().enumerate() {
                        hk[shift[i] as usize] += pi;
                    }
                }
            }
            h = hn;
            deg = new_deg;
            lh = ln;
        }
        unreachable!("the loop returns at the last hidden layer")
    }
}

/// Dense polynomial arithmetic in the inner unknowns (layers 1..D−1) over a graded monomial basis.
pub(crate) struct Algebra {
    pub(crate) basis: MonomialBasis,
    /// Degree of the last pre-activations s_D in the inner unknowns.
    pub(crate) ds_last: usize,
    /// Width of the multiplication table: count(ds_last).
    pub(crate) cols: usize,
    /// `table[i * cols + j]` = index of m_i·m_j (valid when deg m_i + deg m_j ≤ basis degree); rows cover the
    /// degrees of every left factor that occurs.
    pub(crate) table: Vec<u32>,
    /// `shift[v][i]` = index of z_v·m_i for deg m_i < ds_last.
    pub(crate) shift: Vec<Vec<u32>>,
}

impl Algebra {
    pub(crate) fn new(layout: &CoefficientLayout) -> Self {
        let degrees = layout.degrees();
        let depth = degrees.len();
        // deg s_1 = 0; deg h_l = 1 + d_l deg s_l; deg s_{l+1} = deg h_l.
        let mut ds = 0;
        for &d in &degrees[..depth - 1] {
            ds = 1 + d * ds;
        }
        let e = degrees[depth - 1] * ds;
        let nv = layout.num_inner_unknowns();
        let basis = MonomialBasis::new(nv, e);
        // Products p·s: at the last layer deg p ≤ (d_D − 1)·ds = e − ds; in inner layers deg p < ds.
        let rows = basis.count_up_to((e - ds).max(ds));
        let cols = basis.count_up_to(ds);
        let mut table = vec![u32::MAX; rows * cols];
        for i in 0..rows {
            let di = basis.monomial(i).degree() as usize;
            let jmax = basis.count_up_to(ds.min(e - di));
            for j in 0..jmax {
                table[i * cols + j] = basis.index_of_product(i, j).unwrap() as u32;
            }
        }
        // Shifts z_v·p happen in inner layers only, where deg p ≤ d_l·deg s_l < ds.
        let below = if ds == 0 {
            0
        } else {
            basis.count_up_to(ds - 1)
        };
        let shift = (0..nv)
            .map(|v| {
                let z = Monomial::variable(nv, v);
                (0..below)
                    .map(|i| basis.index(&basis.monomial(i).times(&z)).unwrap() as u32)
                    .collect()
            })
            .collect();
        Algebra {
            basis,
            ds_last: ds,
            cols,
            table,
            shift,
        }
    }

    /// Number of basis monomials of degree ≤ t.
    pub(crate) fn count(&self, t: usize) -> usize {
        self.basis.count_up_to(t)
    }

    /// out += a·b, with b of degree ≤ ds_last and deg a + deg b ≤ basis degree.
    #[cfg(test)]
    fn mul_add(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        debug_assert!(b.len() <= self.cols && a.len() * self.cols <= self.table.len());
        for (i, &ai) in a.iter().enumerate() {
            if ai == 0.0 {
                continue;
            }
            let row = &self.table[i * self.cols..i * self.cols + b.len()];
            for (&k, &bj) in row.iter().zip(b) {
                out[k as usize] += ai * bj;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::problem::*;

    /// Tiny deterministic generator (64-bit LCG, top bits), uniform in [-1, 1).
    pub(crate) struct Lcg(pub u64);

    impl Lcg {
        pub(crate) fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        }

        pub(crate) fn matrix(&mut self, r: usize, c: usize) -> Vec<Vec<f64>> {
            (0..r)
                .map(|_| (0..c).map(|_| self.next()).collect())
                .collect()
        }
    }

    pub(crate) fn random_network(rng: &mut Lcg, widths: &[usize], degrees: &[usize]) -> Network {
        let weights = widths.windows(2).map(|w| rng.matrix(w[1], w[0])).collect();
        Network::new(weights, degrees.to_vec()).unwrap()
    }

    /// [`random_network`] with random biases b_1..b_{D+1} (entries uniform in [−1, 1)).
    pub(crate) fn random_biased_network(
        rng: &mut Lcg,
        widths: &[usize],
        degrees: &[usize],
    ) -> Network {
        let net = random_network(rng, widths, degrees);
        let biases = widths[1..]
            .iter()
            .map(|&m| (0..m).map(|_| rng.next()).collect())
            .collect();
        net.with_biases(biases).unwrap()
    }

    fn check_symbolic_matches_numeric(widths: &[usize], degrees: &[usize], n: usize, seed: u64) {
        check_symbolic_matches_numeric_biased(widths, degrees, n, seed, false);
        check_symbolic_matches_numeric_biased(widths, degrees, n, seed, true);
    }

    /// The streaming mean output equals the per-sample reference and the numeric forward passes averaged
    /// over the samples at random coefficients (with random biases in every layer when `biased`).
    fn check_symbolic_matches_numeric_biased(
        widths: &[usize],
        degrees: &[usize],
        n: usize,
        seed: u64,
        biased: bool,
    ) {
        let mut rng = Lcg(seed);
        let net = if biased {
            random_biased_network(&mut rng, widths, degrees)
        } else {
            random_network(&mut rng, widths, degrees)
        };
        assert_eq!(net.has_biases(), biased);
        let inputs = rng.matrix(n, widths[0]);
        let polys = net.mean_output_polynomials(&inputs).unwrap();
        let layout = net.layout();
        assert_eq!(polys.len(), net.output_dim());
        // The streaming (batched) pass reproduces the per-sample reference computation to rounding.
        for (p, r) in polys
            .iter()
            .zip(net.mean_output_polynomials_reference(&inputs))
        {
            let diff = p - &r;
            assert!(
                diff.max_abs_coefficient() <= 1e-12 * (1.0 + r.max_abs_coefficient()),
                "widths {widths:?} degrees {degrees:?}: fast and reference mean outputs differ by {}",
                diff.max_abs_coefficient()
            );
        }
        for p in &polys {
            assert_eq!(p.nvars(), layout.num_unknowns());
        }
        for _ in 0..5 {
            let u: Vec<f64> = (0..layout.num_unknowns())
                .map(|_| 1.5 * rng.next())
                .collect();
            let full = layout.full_coefficients(&u);
            let mut mean = vec![0.0; net.output_dim()];
            for x in &inputs {
                for (m, v) in mean.iter_mut().zip(net.forward(&full, x)) {
                    *m += v / n as f64;
                }
            }
            let scale = 1.0 + mean.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for (p, m) in polys.iter().zip(&mean) {
                let v = p.evaluate(&u);
                assert!(
                    (v - m).abs() <= 1e-9 * scale,
                    "widths {widths:?} degrees {degrees:?}: symbolic {v} vs numeric {m}"
                );
            }
        }
    }

    #[test]
    fn symbolic_mean_matches_forward_passes() {
        check_symbolic_matches_numeric(&[3, 4, 2], &[3], 7, 1);
        check_symbolic_matches_numeric(&[2, 5, 1], &[1], 3, 2);
        check_symbolic_matches_numeric(&[3, 4, 3, 2], &[2, 3], 6, 3);
        check_symbolic_matches_numeric(&[4, 3, 5, 3], &[3, 2], 5, 4);
        check_symbolic_matches_numeric(&[2, 3, 1, 2], &[1, 1], 4, 5);
        check_symbolic_matches_numeric(&[3, 3, 4, 2, 2], &[2, 1, 1], 6, 6);
        check_symbolic_matches_numeric(&[2, 3, 2, 3, 2], &[1, 2, 2], 5, 7);
        check_symbolic_matches_numeric(&[2, 2, 3, 2, 1], &[2, 2, 1], 4, 8);
        check_symbolic_matches_numeric(&[3, 2, 2, 2, 2, 2], &[1, 1, 2, 1], 3, 9);
        // Several batches (and several rayon workers).
        check_symbolic_matches_numeric(&[3, 4, 3, 2], &[2, 3], 1100, 10);
        check_symbolic_matches_numeric(&[2, 3, 2, 3, 2], &[1, 2, 2], 700, 11);
    }

    #[test]
    fn layout_names_and_round_trip() {
        let l = CoefficientLayout::new(&[2, 3, 1]);
        assert_eq!(l.num_unknowns(), 7);
        assert_eq!(l.num_inner_unknowns(), 5);
        assert_eq!(
            l.variable_names(),
            ["c11", "c12", "c21", "c22", "c23", "c30", "c31"]
        );
        assert_eq!(l.index(0, 0), None);
        assert_eq!(l.index(1, 2), Some(3));
        assert_eq!(l.index(2, 0), Some(5));
        assert_eq!(l.index(2, 2), None);
        let u = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let full = l.full_coefficients(&u);
        assert_eq!(
            full,
            vec![
                vec![1.0, 1.0, 2.0],
                vec![1.0, 3.0, 4.0, 5.0],
                vec![6.0, 7.0]
            ]
        );
        assert_eq!(l.unknowns(&full).unwrap(), u);
        let mut bad = full.clone();
        bad[1][0] = 2.0;
        let e = l.unknowns(&bad).unwrap_err().to_string();
        assert!(e.contains("c20") && e.contains("normalization"), "{e}");
        let e = l.unknowns(&full[..2]).unwrap_err().to_string();
        assert!(e.contains("2 layers"), "{e}");
        let mut bad = full;
        bad[2].push(0.0);
        assert!(
            l.unknowns(&bad)
                .unwrap_err()
                .to_string()
                .contains("layer 3")
        );
        let big = CoefficientLayout::new(&[10, 2]);
        let names = big.variable_names();
        assert_eq!(names[9], "c1_10");
        assert_eq!(names[10], "c20");
        let one = CoefficientLayout::new(&[2]);
        assert_eq!(one.variable_names(), ["c10", "c11", "c12"]);
    }

    #[test]
    fn example_3_4_residuals_and_true_coefficients() {
        let p = example_3_4();
        let tc = p.true_coefficients.clone().unwrap();
        // The data is generated by the true coefficients.
        for (x, y) in p.data.inputs.iter().zip(&p.data.outputs) {
            let f = p.network.forward(&tc, x);
            for (a, b) in f.iter().zip(y) {
                assert!((a - b).abs() < 1e-12, "forward {f:?} vs {y:?}");
            }
        }
        let layout = p.network.layout();
        assert_eq!(layout.variable_names(), ["c11", "c12", "c20", "c21"]);
        let polys = p.network.mean_output_polynomials(&p.data.inputs).unwrap();
        let u = layout.unknowns(&tc).unwrap();
        let ybar = p.data.mean_output();
        for (f, y) in polys.iter().zip(&ybar) {
            assert!((f.evaluate(&u) - y).abs() < 1e-12);
        }
        // Residuals r_j = f̂_j − ŷ_j; r_1 and r_2 are the paper's, all four were checked independently with sympy.
        let n = 4;
        let m = |e: [u16; 4]| Monomial(e.to_vec());
        let expected = [
            Polynomial::from_terms(
                n,
                [
                    (m([0, 0, 1, 0]), 3.0),
                    (m([0, 0, 0, 1]), 9.0),
                    (m([0, 1, 0, 1]), 29.0),
                    (m([0, 0, 0, 0]), -52.0),
                ],
            ),
            Polynomial::from_terms(
                n,
                [
                    (m([1, 0, 0, 1]), 5.0),
                    (m([0, 0, 1, 0]), -1.0),
                    (m([0, 1, 0, 1]), 5.0),
                    (m([0, 0, 0, 0]), -4.0),
                ],
            ),
            Polynomial::from_terms(
                n,
                [
                    (m([1, 0, 0, 1]), -1.0),
                    (m([0, 1, 0, 1]), 41.0),
                    (m([0, 0, 1, 0]), 3.0),
                    (m([0, 0, 0, 1]), 10.0),
                    (m([0, 0, 0, 0]), -76.0),
                ],
            ),
            Polynomial::from_terms(
                n,
                [
                    (m([1, 0, 0, 1]), 2.5),
                    (m([0, 1, 0, 1]), -36.5),
                    (m([0, 0, 1, 0]), -2.0),
                    (m([0, 0, 0, 1]), -9.0),
                    (m([0, 0, 0, 0]), 68.5),
                ],
            ),
        ];
        for (j, e) in expected.iter().enumerate() {
            let r = &polys[j] - &Polynomial::constant(n, ybar[j]);
            let diff = &r - e;
            assert!(diff.max_abs_coefficient() < 1e-12, "r_{} = {r}", j + 1);
        }
    }

    #[test]
    fn network_validation_messages() {
        let sq = |v: f64| vec![vec![v, 0.0], vec![0.0, v]];
        let err =
            |w: Vec<Vec<Vec<f64>>>, d: Vec<usize>| Network::new(w, d).unwrap_err().to_string();
        assert!(err(vec![sq(1.0)], vec![]).contains("at least 2 weight matrices"));
        assert!(
            err(vec![sq(1.0), sq(1.0)], vec![1, 1]).contains("2 activation degrees given for 1")
        );
        assert!(err(vec![sq(1.0), sq(1.0)], vec![0]).contains("degree of hidden layer 1 is 0"));
        assert!(err(vec![sq(1.0), sq(1.0)], vec![13]).contains("between 1 and 12"));
        assert!(err(vec![sq(1.0), vec![]], vec![1]).contains("W_2 is empty"));
        let e = err(vec![sq(1.0), vec![vec![1.0, 2.0], vec![1.0]]], vec![1]);
        assert!(e.contains("W_2 is ragged: row 2 has 1 entries"), "{e}");
        let e = err(vec![sq(1.0), vec![vec![1.0, 2.0, 3.0]]], vec![1]);
        assert!(e.contains("W_2 is 1×3 but W_1 is 2×2"), "{e}");
        let e = err(vec![sq(f64::NAN), sq(1.0)], vec![1]);
        assert!(e.contains("W_1 row 1 column 1 is NaN"), "{e}");
        let e = err(vec![sq(1.0), sq(f64::INFINITY)], vec![1]);
        assert!(e.contains("W_2 row 1 column 1 is infinite"), "{e}");
        let net = Network::new(vec![sq(1.0), vec![vec![1.0, 1.0]]], vec![2]).unwrap();
        assert_eq!(net.widths(), [2, 2, 1]);
        assert_eq!((net.input_dim(), net.output_dim(), net.depth()), (2, 1, 1));
    }

    #[test]
    fn biases_shift_every_layer_and_are_validated() {
        // f(x) = W_2 p(W_1 x + b_1) + b_2 by hand: p(t) = 1 + 2t + 3t², W_1 = [[1, 2], [3, 4]], W_2 = [[1, −1]].
        let net = Network::new(
            vec![vec![vec![1.0, 2.0], vec![3.0, 4.0]], vec![vec![1.0, -1.0]]],
            vec![2],
        )
        .unwrap();
        assert!(!net.has_biases());
        assert_eq!(net.biases(), [vec![0.0, 0.0], vec![0.0]]);
        let net = net.with_biases(vec![vec![0.5, -1.0], vec![10.0]]).unwrap();
        // x = (1, −1): W_1 x + b_1 = (−0.5, −2); p = (1 − 1 + 0.75, 1 − 4 + 12) = (0.75, 9); f = 0.75 − 9 + 10.
        let f = net.forward(&[vec![1.0, 2.0, 3.0]], &[1.0, -1.0]);
        assert_eq!(f, [1.75]);
        let err = |b: Vec<Vec<f64>>| net.clone().with_biases(b).unwrap_err().to_string();
        let e = err(vec![vec![0.0, 0.0]]);
        assert!(
            e.contains("1 bias vectors given but the network has 2"),
            "{e}"
        );
        let e = err(vec![vec![0.0, 0.0], vec![0.0, 0.0]]);
        assert!(
            e.contains("bias b_2 has 2 entries but W_2 is 1×2 (b_2 needs 1 entries"),
            "{e}"
        );
        let e = err(vec![vec![0.0, f64::NAN], vec![0.0]]);
        assert!(e.contains("bias b_1 entry 2 is NaN"), "{e}");
        let e = err(vec![vec![0.0, 0.0], vec![f64::NEG_INFINITY]]);
        assert!(e.contains("bias b_2 entry 1 is infinite"), "{e}");
    }

    const GOOD: &str = r#"{
        "weights": [[[1, 2], [3, 4], [5, 6]], [[1, 0, -1]]],
        "degrees": [2],
        "inputs": [[0.5, 1], [2, -1]],
        "outputs": [[1], [2]],
        "true_coefficients": [[0, 1, 2]],
        "comment": "free text, ignored"
    }"#;

    fn problem_error(s: &str) -> String {
        Problem::from_json_str(s, "p.json").unwrap_err().to_string()
    }

    #[test]
    fn problem_file_round_trip() {
        let p = Problem::from_json_str(GOOD, "good.json").unwrap();
        assert_eq!(p.network.widths(), [2, 3, 1]);
        assert_eq!(p.data.len(), 2);
        assert!(p.test.is_none());
        let q = Problem::from_json_str(&p.to_json_string(), "again").unwrap();
        assert_eq!(p, q);
        let e = example_3_4();
        let mut e2 = e.clone();
        e2.test = Some(Dataset {
            inputs: vec![vec![0.1, 0.2, 0.3, 1e-17]],
            outputs: vec![vec![1.0 / 3.0, 2.0, 3.0, 4.0]],
        });
        let dir = std::env::temp_dir().join(format!("polyact-network-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ex34.json");
        e2.save(&path).unwrap();
        assert_eq!(Problem::load(&path).unwrap(), e2);
        std::fs::remove_dir_all(&dir).unwrap();
        let with_test = GOOD.replace(
            "\"comment\"",
            "\"test_inputs\": [[1, 1]], \"test_outputs\": [[3]], \"comment\"",
        );
        let p = Problem::from_json_str(&with_test, "t").unwrap();
        assert_eq!(p.test.as_ref().unwrap().outputs, vec![vec![3.0]]);
        // Biases: read, written only when nonzero, and read back.
        assert!(!p.to_json_string().contains("biases"));
        let biased = GOOD.replace(
            "\"degrees\"",
            "\"biases\": [[1, 0, -2.5], [0.25]], \"degrees\"",
        );
        let p = Problem::from_json_str(&biased, "b").unwrap();
        assert_eq!(p.network.biases(), [vec![1.0, 0.0, -2.5], vec![0.25]]);
        let text = p.to_json_string();
        assert!(text.contains("\"biases\""), "{text}");
        assert_eq!(Problem::from_json_str(&text, "again").unwrap(), p);
    }

    #[test]
    fn problem_file_errors() {
        let e = Problem::load("/nonexistent/dir/problem.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/dir/problem.json"), "{e}");
        let e = problem_error("{ \"weights\": [[[1]], [[1]]],\n \"degrees\": [1] }");
        assert!(
            e.contains("p.json") && e.contains("missing field `inputs`") && e.contains("line 2"),
            "{e}"
        );
        let e = problem_error(&GOOD.replace("[0.5, 1]", "[NaN, 1]"));
        assert!(
            e.contains("p.json") && e.contains("line 4") && e.contains("NaN or Infinity"),
            "{e}"
        );
        let e = problem_error(&GOOD.replace("[0.5, 1]", "[0.5, -Infinity]"));
        assert!(e.contains("NaN or Infinity"), "{e}");
        let e = problem_error(&GOOD.replace("[0.5, 1]", "[0.5, 1e999]"));
        assert!(
            e.contains("p.json") && e.contains("line 4") && e.contains("finite"),
            "{e}"
        );
        let e = problem_error(
            &GOOD
                .replace("[[0.5, 1], [2, -1]]", "[]")
                .replace("[[1], [2]]", "[]"),
        );
        assert!(e.contains("p.json") && e.contains("no samples"), "{e}");
        let e = problem_error(&GOOD.replace("[[1], [2]]", "[[1]]"));
        assert!(e.contains("2 inputs rows but 1 outputs rows"), "{e}");
        let e = problem_error(&GOOD.replace("[2, -1]", "[2]"));
        assert!(e.contains("inputs row 2 has 1 entries, expected 2"), "{e}");
        let e = problem_error(&GOOD.replace("[[1], [2]]", "[[1], [2, 3]]"));
        assert!(e.contains("outputs row 2 has 2 entries, expected 1"), "{e}");
        let e = problem_error(&GOOD.replace("[[0, 1, 2]]", "[[0, 1]]"));
        assert!(
            e.contains("true_coefficients layer 1 has 2 entries, expected 3"),
            "{e}"
        );
        let e = problem_error(&GOOD.replace("[[0, 1, 2]]", "[[0, 1, 2], [1]]"));
        assert!(e.contains("true_coefficients has 2 layers"), "{e}");
        let e = problem_error(&GOOD.replace("[[1, 0, -1]]", "[[1, 0]]"));
        assert!(
            e.contains("p.json") && e.contains("W_2 is 1×2 but W_1 is 3×2"),
            "{e}"
        );
        let with_biases =
            |b: &str| GOOD.replace("\"degrees\"", &format!("\"biases\": {b}, \"degrees\""));
        let e = problem_error(&with_biases("[[1, 0], [0.25]]"));
        assert!(
            e.contains("p.json") && e.contains("bias b_1 has 2 entries but W_1 is 3×2"),
            "{e}"
        );
        let e = problem_error(&with_biases("[[1, 0, 0]]"));
        assert!(
            e.contains("1 bias vectors given but the network has 2"),
            "{e}"
        );
        let e = problem_error(&with_biases("[[1, NaN, 0], [0.25]]"));
        assert!(e.contains("p.json") && e.contains("NaN or Infinity"), "{e}");
        let e = problem_error(&with_biases("[[1, 1e999, 0], [0.25]]"));
        assert!(e.contains("p.json") && e.contains("finite"), "{e}");
        let e =
            problem_error(&GOOD.replace("\"degrees\"", "\"bias\": [[0, 0, 0], [0]], \"degrees\""));
        assert!(e.contains("bias") && e.contains("biases"), "{e}");
        let e = problem_error(&GOOD.replace("\"degrees\": [2]", "\"degrees\": [2, 2]"));
        assert!(
            e.contains("2 activation degrees given for 1 hidden layers"),
            "{e}"
        );
        let e =
            problem_error(&GOOD.replace("\"comment\"", "\"test_inputs\": [[1, 1]], \"comment\""));
        assert!(
            e.contains("test_inputs is given without test_outputs"),
            "{e}"
        );
        let e = problem_error(&GOOD.replace(
            "\"comment\"",
            "\"test_inputs\": [[1, 1, 1]], \"test_outputs\": [[3]], \"comment\"",
        ));
        assert!(
            e.contains("test_inputs row 1 has 3 entries, expected 2"),
            "{e}"
        );
        // Non-finite values built in code (JSON cannot carry them).
        let mut p = Problem::from_json_str(GOOD, "g").unwrap();
        p.data.inputs[2 - 1][1] = f64::NAN;
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("inputs row 2 column 2 is NaN"), "{e}");
        p.data.inputs[1][1] = 0.0;
        p.data.outputs[0][0] = f64::NEG_INFINITY;
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("outputs row 1 column 1 is infinite"), "{e}");
        p.data.outputs[0][0] = 0.0;
        p.true_coefficients = Some(vec![vec![0.0, f64::NAN, 1.0]]);
        let e = p.validate().unwrap_err().to_string();
        assert!(
            e.contains("true_coefficients layer 1 entry 2 is NaN"),
            "{e}"
        );
    }

    /// Timing of the symbolic mean output at N = 250, widths 40 (run with
    /// `cargo test --release --lib network -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn time_mean_output_polynomials() {
        for degrees in [
            &[3usize, 2][..],
            &[2, 3],
            &[2, 1, 1],
            &[1, 1, 1],
            &[2, 2, 2],
            &[3, 3],
        ] {
            let mut rng = Lcg(42);
            let widths = vec![40; degrees.len() + 2];
            let net = random_network(&mut rng, &widths, degrees);
            let inputs = rng.matrix(250, 40);
            let _ = net.mean_output_polynomials(&inputs).unwrap();
            let reps = 20;
            let t = std::time::Instant::now();
            let mut terms = 0;
            for _ in 0..reps {
                terms = net
                    .mean_output_polynomials(&inputs)
                    .unwrap()
                    .iter()
                    .map(Polynomial::len)
                    .sum::<usize>();
            }
            let dt = t.elapsed().as_secs_f64() / reps as f64;
            println!(
                "degrees {degrees:?}: {:.3} ms per call ({terms} terms in total)",
                dt * 1e3
            );
        }
    }
}
