//! Constraint blocks of an SDP and the operations every SDP method needs from each: the affine map
//! X(x) = C₀ + Σ xᵢ Fᵢ, its adjoint M ↦ (⟨Fᵢ, M⟩)ᵢ, and the norms ‖Fᵢ‖². The interior-point method's Schur
//! complement contributions Bᵢⱼ += tr(Fᵢ G Fⱼ Y) are in [`crate::sdp::ipm::schur`].
//!
//! Variables are indexed 0..=m where index 0 is the constant (x₀ = 1): the constant matrix C₀ = −F₀ (SDPA's F₀)
//! is stored as "variable 0". For the moment relaxation this is exactly the moment y₀ = 1.

use faer::{Mat, MatRef};

/// A symmetric block matrix value: dense (PSD cone) or diagonal (nonnegative orthant).
#[derive(Clone, Debug, PartialEq)]
pub enum BlockMatrix {
    /// A dense symmetric matrix.
    Dense(Mat<f64>),
    /// A diagonal matrix, stored as its diagonal.
    Diagonal(Vec<f64>),
}

impl BlockMatrix {
    /// A multiple of the identity.
    pub fn identity(dim: usize, diagonal: bool, scale: f64) -> BlockMatrix {
        if diagonal {
            BlockMatrix::Diagonal(vec![scale; dim])
        } else {
            let mut m = Mat::zeros(dim, dim);
            for i in 0..dim {
                m[(i, i)] = scale;
            }
            BlockMatrix::Dense(m)
        }
    }

    /// Trace inner product ⟨A, B⟩.
    pub fn dot(&self, other: &BlockMatrix) -> f64 {
        match (self, other) {
            (BlockMatrix::Dense(a), BlockMatrix::Dense(b)) => {
                let mut s = 0.0;
                for j in 0..a.ncols() {
                    let (ca, cb) = (a.col_as_slice(j), b.col_as_slice(j));
                    s += ca.iter().zip(cb).map(|(x, y)| x * y).sum::<f64>();
                }
                s
            }
            (BlockMatrix::Diagonal(a), BlockMatrix::Diagonal(b)) => {
                a.iter().zip(b).map(|(x, y)| x * y).sum()
            }
            _ => panic!("block kinds differ"),
        }
    }

    /// Frobenius norm.
    pub fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// `self += s · other`.
    pub fn axpy(&mut self, s: f64, other: &BlockMatrix) {
        match (self, other) {
            (BlockMatrix::Dense(a), BlockMatrix::Dense(b)) => {
                for j in 0..a.ncols() {
                    let cb = b.col_as_slice(j);
                    for (x, y) in a.col_as_slice_mut(j).iter_mut().zip(cb) {
                        *x += s * y;
                    }
                }
            }
            (BlockMatrix::Diagonal(a), BlockMatrix::Diagonal(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += s * y;
                }
            }
            _ => panic!("block kinds differ"),
        }
    }

    /// `self *= s`.
    pub fn scale(&mut self, s: f64) {
        match self {
            BlockMatrix::Dense(m) => *m *= faer::Scale(s),
            BlockMatrix::Diagonal(v) => v.iter_mut().for_each(|x| *x *= s),
        }
    }

    /// Dimension of the block.
    pub fn dim(&self) -> usize {
        match self {
            BlockMatrix::Dense(m) => m.nrows(),
            BlockMatrix::Diagonal(d) => d.len(),
        }
    }

    /// Eigenvalues in nondecreasing order (for diagonal blocks: the sorted diagonal).
    pub fn eigenvalues(&self) -> Vec<f64> {
        match self {
            BlockMatrix::Dense(m) => symmetric_eigenvalues(m.as_ref()),
            BlockMatrix::Diagonal(d) => {
                let mut v = d.clone();
                v.sort_by(f64::total_cmp);
                v
            }
        }
    }

    /// Smallest eigenvalue (+∞ for an empty block).
    pub fn min_eigenvalue(&self) -> f64 {
        self.eigenvalues().first().copied().unwrap_or(f64::INFINITY)
    }

    /// Convert to a dense matrix (for reports).
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        match self {
            BlockMatrix::Dense(m) => (0..m.nrows())
                .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
                .collect(),
            BlockMatrix::Diagonal(d) => (0..d.len())
                .map(|i| {
                    (0..d.len())
                        .map(|j| if i == j { d[i] } else { 0.0 })
                        .collect()
                })
                .collect(),
        }
    }
}

/// The Euclidean norm of a vector.
pub(crate) fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The Frobenius norm of a block-diagonal matrix.
pub(crate) fn blocks_norm(b: &[BlockMatrix]) -> f64 {
    b.iter().map(|m| m.dot(m)).sum::<f64>().sqrt()
}

/// Eigenvalues of a symmetric matrix (nondecreasing). NaN input yields NaN output rather than a panic.
pub fn symmetric_eigenvalues(m: MatRef<'_, f64>) -> Vec<f64> {
    if m.nrows() == 0 {
        return vec![];
    }
    if m.nrows() == 1 {
        return vec![m[(0, 0)]];
    }
    if !all_finite(m) {
        return vec![f64::NAN; m.nrows()];
    }
    m.self_adjoint_eigenvalues(faer::Side::Lower)
        .unwrap_or_else(|_| vec![f64::NAN; m.nrows()])
}

fn all_finite(m: MatRef<'_, f64>) -> bool {
    (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()))
}

/// One term g_γ z^γ of a localizing polynomial: its coefficient and, for every moment index `a` of the
/// block's small basis, the full moment index of a + γ.
#[derive(Clone, Debug)]
pub struct ShiftTerm {
    /// The coefficient g_γ.
    pub coefficient: f64,
    /// `target[a]` = variable index of the monomial a + γ.
    pub target: Vec<u32>,
}

/// A block with moment structure: entry (u, v) = Σ_γ g_γ x[target_γ(u + v)].
///
/// The rows and columns are the monomials u of degree ≤ t; u + v ranges over the "small basis" of degree ≤ 2t,
/// whose indices are `sum_index`. The moment matrix is the case g = 1 (one term, identity target).
#[derive(Clone, Debug)]
pub struct LocalizingBlock {
    pub(crate) size: usize,
    pub(crate) small_len: usize,
    /// Row-major `size × size`: small-basis index of u + v.
    pub(crate) sum_index: Vec<u32>,
    /// CSR over small indices: the positions (u, v) with u + v = a.
    pub(crate) pairs_start: Vec<usize>,
    pub(crate) pairs: Vec<(u32, u32)>,
    pub(crate) terms: Vec<ShiftTerm>,
    /// True when there is one term with coefficient 1 and identity target (a moment matrix).
    pub(crate) identity: bool,
    /// True when every row of `sum_index` is strictly increasing (monomials in a graded order); then
    /// only the lower triangle of S is computed.
    pub(crate) monotone: bool,
    /// When `monotone`: `row_start[a·size + v]` = the first u with u + v ≥ a (the rows of column v that row a
    /// of S's lower triangle needs), a table instead of a binary search per row and column.
    pub(crate) row_start: Vec<u16>,
}

impl LocalizingBlock {
    /// Build from the sum table (`size × size`, row-major, values < `small_len`) and the terms.
    pub fn new(size: usize, small_len: usize, sum_index: Vec<u32>, terms: Vec<ShiftTerm>) -> Self {
        assert_eq!(sum_index.len(), size * size);
        assert!(
            sum_index.iter().all(|&a| (a as usize) < small_len),
            "sum index out of the small basis"
        );
        assert!(terms.iter().all(|t| t.target.len() == small_len));
        let mut count = vec![0usize; small_len + 1];
        for &a in &sum_index {
            count[a as usize + 1] += 1;
        }
        for a in 0..small_len {
            count[a + 1] += count[a];
        }
        let pairs_start = count.clone();
        let mut pairs = vec![(0u32, 0u32); size * size];
        let mut next = count;
        for u in 0..size {
            for v in 0..size {
                let a = sum_index[u * size + v] as usize;
                pairs[next[a]] = (u as u32, v as u32);
                next[a] += 1;
            }
        }
        let identity = terms.len() == 1
            && terms[0].coefficient == 1.0
            && terms[0]
                .target
                .iter()
                .enumerate()
                .all(|(a, &t)| t as usize == a);
        let monotone = size <= usize::from(u16::MAX)
            && sum_index
                .chunks_exact(size.max(1))
                .all(|r| r.windows(2).all(|w| w[0] < w[1]));
        let row_start = if monotone {
            let mut t = vec![0u16; small_len * size];
            for (v, sums) in sum_index.chunks_exact(size).enumerate() {
                // Rows u ≥ t[a·size + v] have sums ≥ a: t is the count of sums below a.
                let mut u = 0;
                for a in 0..small_len {
                    while u < size && (sums[u] as usize) < a {
                        u += 1;
                    }
                    t[a * size + v] = u as u16;
                }
            }
            t
        } else {
            vec![]
        };
        LocalizingBlock {
            monotone,
            row_start,
            size,
            small_len,
            sum_index,
            pairs_start,
            pairs,
            terms,
            identity,
        }
    }

    /// Block dimension.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The terms g_γ (coefficient and shift) of the localizing polynomial.
    pub fn terms(&self) -> &[ShiftTerm] {
        &self.terms
    }

    /// The upper-triangle entries (variable, row, column, value) of the coefficient matrices F_i, in no
    /// particular order. A position (u, v) holds g_γ at the variable of u + v + γ, for every term γ.
    pub fn entries(&self) -> Vec<(usize, u32, u32, f64)> {
        let s = self.size;
        let mut out = Vec::with_capacity(s * (s + 1) / 2 * self.terms.len());
        for u in 0..s {
            for v in u..s {
                let a = self.sum_index[u * s + v] as usize;
                for t in &self.terms {
                    out.push((t.target[a] as usize, u as u32, v as u32, t.coefficient));
                }
            }
        }
        out
    }

    /// ỹ_a = Σ_γ g_γ x[target_γ(a)].
    fn shifted(&self, x: &[f64]) -> Vec<f64> {
        let mut yt = vec![0.0; self.small_len];
        for t in &self.terms {
            for (a, &idx) in t.target.iter().enumerate() {
                yt[a] += t.coefficient * x[idx as usize];
            }
        }
        yt
    }

    fn affine(&self, x: &[f64]) -> Mat<f64> {
        let yt = self.shifted(x);
        let s = self.size;
        Mat::from_fn(s, s, |u, v| yt[self.sum_index[u * s + v] as usize])
    }

    fn adjoint_add(&self, m: &Mat<f64>, out: &mut [f64]) {
        let s = self.size;
        let mut t = vec![0.0; self.small_len];
        for v in 0..s {
            let col = m.col_as_slice(v);
            for u in 0..s {
                t[self.sum_index[u * s + v] as usize] += col[u];
            }
        }
        for term in &self.terms {
            for (a, &idx) in term.target.iter().enumerate() {
                out[idx as usize] += term.coefficient * t[a];
            }
        }
    }

    fn squared_norms_add(&self, out: &mut [f64]) {
        for &a in &self.sum_index {
            for t in &self.terms {
                out[t.target[a as usize] as usize] += t.coefficient * t.coefficient;
            }
        }
    }
}

/// One coefficient matrix of a sparse block: (variable index, upper-triangle entries (i ≤ j, value)).
pub type SparseMatrix = (usize, Vec<(u32, u32, f64)>);

/// A block given by sparse symmetric coefficient matrices, as in SDPA files.
#[derive(Clone, Debug)]
pub struct SparseBlock {
    pub(crate) size: usize,
    /// (variable index, upper-triangle entries (i ≤ j, value)), sorted by variable.
    pub(crate) matrices: Vec<SparseMatrix>,
    /// Per matrix, every nonzero (p, q, value) of the full symmetric matrix (off-diagonal ones twice).
    pub(crate) full: Vec<Vec<(u32, u32, f64)>>,
}

impl SparseBlock {
    /// Build from per-variable upper-triangle entries; entries with i > j are mirrored, duplicates summed.
    pub fn new(size: usize, mut matrices: Vec<SparseMatrix>) -> Self {
        matrices.sort_by_key(|(v, _)| *v);
        let mut merged: Vec<SparseMatrix> = Vec::new();
        for (v, entries) in matrices {
            let mut e: Vec<(u32, u32, f64)> = entries
                .into_iter()
                .map(|(i, j, x)| if i <= j { (i, j, x) } else { (j, i, x) })
                .collect();
            if let Some(last) = merged.last_mut().filter(|l| l.0 == v) {
                last.1.append(&mut e);
            } else {
                merged.push((v, e));
            }
        }
        for (_, e) in &mut merged {
            e.sort_by_key(|&(i, j, _)| (i, j));
            e.dedup_by(|b, a| {
                if a.0 == b.0 && a.1 == b.1 {
                    a.2 += b.2;
                    true
                } else {
                    false
                }
            });
            e.retain(|x| x.2 != 0.0);
        }
        merged.retain(|(_, e)| !e.is_empty());
        let full = merged
            .iter()
            .map(|(_, e)| {
                e.iter()
                    .flat_map(|&(i, j, x)| {
                        std::iter::once((i, j, x)).chain((i != j).then_some((j, i, x)))
                    })
                    .collect()
            })
            .collect();
        SparseBlock {
            size,
            matrices: merged,
            full,
        }
    }

    /// The block dimension.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Per-variable upper-triangle entries.
    pub fn matrices(&self) -> &[SparseMatrix] {
        &self.matrices
    }

    fn affine(&self, x: &[f64]) -> Mat<f64> {
        let mut m = Mat::zeros(self.size, self.size);
        for (v, entries) in &self.matrices {
            let xv = x[*v];
            if xv == 0.0 {
                continue;
            }
            for &(i, j, val) in entries {
                m[(i as usize, j as usize)] += xv * val;
                if i != j {
                    m[(j as usize, i as usize)] += xv * val;
                }
            }
        }
        m
    }

    fn adjoint_add(&self, m: &Mat<f64>, out: &mut [f64]) {
        for (v, entries) in &self.matrices {
            out[*v] += trace_with(entries, m.as_ref());
        }
    }

    fn squared_norms_add(&self, out: &mut [f64]) {
        for (v, entries) in &self.matrices {
            out[*v] += entries
                .iter()
                .map(|&(i, j, x)| if i == j { x * x } else { 2.0 * x * x })
                .sum::<f64>();
        }
    }
}

/// tr(F M) for symmetric F given by its upper triangle (M need not be symmetric).
pub(crate) fn trace_with(entries: &[(u32, u32, f64)], m: MatRef<'_, f64>) -> f64 {
    entries
        .iter()
        .map(|&(i, j, val)| {
            let (i, j) = (i as usize, j as usize);
            if i == j {
                val * m[(i, i)]
            } else {
                val * (m[(i, j)] + m[(j, i)])
            }
        })
        .sum()
}

/// A diagonal (LP) block: row r is the affine form Σ (idx, coef) `x[idx]` ≥ 0.
#[derive(Clone, Debug)]
pub struct DiagonalBlock {
    pub(crate) rows: Vec<Vec<(u32, f64)>>,
}

impl DiagonalBlock {
    /// Build from rows of (variable index, coefficient).
    pub fn new(rows: Vec<Vec<(u32, f64)>>) -> Self {
        DiagonalBlock { rows }
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<(u32, f64)>] {
        &self.rows
    }

    fn affine(&self, x: &[f64]) -> Vec<f64> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|&(i, c)| c * x[i as usize]).sum())
            .collect()
    }

    fn adjoint_add(&self, m: &[f64], out: &mut [f64]) {
        for (r, &mv) in self.rows.iter().zip(m) {
            for &(i, c) in r {
                out[i as usize] += c * mv;
            }
        }
    }

    fn squared_norms_add(&self, out: &mut [f64]) {
        for r in &self.rows {
            for &(i, c) in r {
                out[i as usize] += c * c;
            }
        }
    }
}

/// One block of an SDP: its coefficient matrices F₀ (as the constant, variable 0), F₁, …, F_m.
#[derive(Clone, Debug)]
pub enum ConstraintBlock {
    /// Moment/localizing structure (dense PSD block).
    Localizing(LocalizingBlock),
    /// General sparse coefficient matrices (dense PSD block).
    Sparse(SparseBlock),
    /// Diagonal block: nonnegativity of affine forms.
    Diagonal(DiagonalBlock),
}

impl ConstraintBlock {
    /// Dimension of the block.
    pub fn dim(&self) -> usize {
        match self {
            ConstraintBlock::Localizing(b) => b.size,
            ConstraintBlock::Sparse(b) => b.size,
            ConstraintBlock::Diagonal(b) => b.rows.len(),
        }
    }

    /// True for a diagonal (LP) block.
    pub fn is_diagonal(&self) -> bool {
        matches!(self, ConstraintBlock::Diagonal(_))
    }

    /// X(x) = Σᵢ `x[i]` Fᵢ for the full vector x (`x[0]` is the constant's multiplier: 1 for the affine map,
    /// 0 for its linear part).
    pub fn affine(&self, x: &[f64]) -> BlockMatrix {
        match self {
            ConstraintBlock::Localizing(b) => BlockMatrix::Dense(b.affine(x)),
            ConstraintBlock::Sparse(b) => BlockMatrix::Dense(b.affine(x)),
            ConstraintBlock::Diagonal(b) => BlockMatrix::Diagonal(b.affine(x)),
        }
    }

    /// `out[i]` += ⟨Fᵢ, M⟩ for every variable i (including 0).
    pub fn adjoint_add(&self, m: &BlockMatrix, out: &mut [f64]) {
        match (self, m) {
            (ConstraintBlock::Localizing(b), BlockMatrix::Dense(m)) => b.adjoint_add(m, out),
            (ConstraintBlock::Sparse(b), BlockMatrix::Dense(m)) => b.adjoint_add(m, out),
            (ConstraintBlock::Diagonal(b), BlockMatrix::Diagonal(m)) => b.adjoint_add(m, out),
            _ => panic!("block kinds differ"),
        }
    }

    /// `out[i]` += ‖Fᵢ‖²_F for every variable i.
    pub fn squared_norms_add(&self, out: &mut [f64]) {
        match self {
            ConstraintBlock::Localizing(b) => b.squared_norms_add(out),
            ConstraintBlock::Sparse(b) => b.squared_norms_add(out),
            ConstraintBlock::Diagonal(b) => b.squared_norms_add(out),
        }
    }

    /// Call `f(variable, i, j, value)` for every stored entry (i ≤ j) of every coefficient matrix Fᵥ (v = 0 is
    /// C₀): the full matrix has `value` at (i, j) and at (j, i). Entries of one (v, i, j) may be reported more
    /// than once; the matrix entry is their sum.
    pub fn for_each_entry(&self, mut f: impl FnMut(usize, usize, usize, f64)) {
        match self {
            ConstraintBlock::Localizing(b) => {
                let s = b.size;
                for u in 0..s {
                    for v in u..s {
                        let a = b.sum_index[u * s + v] as usize;
                        for t in &b.terms {
                            f(t.target[a] as usize, u, v, t.coefficient);
                        }
                    }
                }
            }
            ConstraintBlock::Sparse(b) => {
                for (var, entries) in &b.matrices {
                    for &(i, j, x) in entries {
                        f(*var, i as usize, j as usize, x);
                    }
                }
            }
            ConstraintBlock::Diagonal(b) => {
                for (k, r) in b.rows.iter().enumerate() {
                    for &(i, c) in r {
                        f(i as usize, k, k, c);
                    }
                }
            }
        }
    }

    /// Largest variable index used (for validation).
    pub fn max_variable(&self) -> usize {
        match self {
            ConstraintBlock::Localizing(b) => b
                .terms
                .iter()
                .flat_map(|t| t.target.iter())
                .copied()
                .max()
                .unwrap_or(0) as usize,
            ConstraintBlock::Sparse(b) => b.matrices.iter().map(|(v, _)| *v).max().unwrap_or(0),
            ConstraintBlock::Diagonal(b) => b
                .rows
                .iter()
                .flat_map(|r| r.iter().map(|(i, _)| *i as usize))
                .max()
                .unwrap_or(0),
        }
    }
}
