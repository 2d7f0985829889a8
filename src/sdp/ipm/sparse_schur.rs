//! The Schur complement factored as a sparse matrix when its pattern is sparse.
//!
//! B_ij = Σ_b tr(F_bi G_b F_bj Y_b) is nonzero only when the variables i and j both appear in a block b (in
//! one row of a diagonal block). When the blocks are small and each holds few variables — the clique blocks
//! of correlative sparsity: a chain of cliques gives a banded B — the pattern is a small part of the
//! m × m matrix, and a sparse Cholesky factorization (faer's, after a fill-reducing ordering) costs a
//! fraction of the dense one's m³/3 flops. The assembly still writes into the dense buffer; the pattern's
//! lower-triangle entries are gathered from it before each factorization.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{LltRef, SymbolicCholesky, factorize_symbolic_cholesky};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, Mat, Par, Side};

use crate::sdp::ConstraintBlock;
use crate::sdp::SdpProblem;
use crate::sdp::ipm::schur::SchurMatrix;

/// Factor sparsely only SDPs with at least this many variables (below it a dense factorization takes
/// milliseconds).
pub const SPARSE_SCHUR_MIN_VARS: usize = 500;
/// … whose pattern holds at most this fraction of the lower triangle's entries …
pub const SPARSE_SCHUR_MAX_DENSITY: f64 = 0.1;
/// … and whose Cholesky factor (after the fill-reducing ordering) holds at most this fraction.
pub const SPARSE_SCHUR_MAX_FILL: f64 = 0.25;

/// The pattern of B's lower triangle over the variables 1..=m (index i − 1), its symbolic factorization,
/// and the latest numeric one.
pub(crate) struct SparseSchur {
    pattern: SymbolicSparseColMat<usize>,
    symbolic: SymbolicCholesky<usize>,
    values: Vec<f64>,
    /// The numeric factor (valid after a successful [`Self::factor`]).
    factor: Vec<f64>,
    factored: bool,
}

/// The sets of variables (1..=m) coupled in B by each block (each row of a diagonal block on its own).
fn coupled_sets(p: &SdpProblem) -> Vec<Vec<usize>> {
    let mut sets = vec![];
    for block in p.blocks() {
        match block {
            ConstraintBlock::Diagonal(d) => {
                for row in d.rows() {
                    sets.push(row.iter().map(|&(v, _)| v as usize).collect());
                }
            }
            _ => {
                let mut vars = vec![];
                block.for_each_entry(|v, _, _, _| vars.push(v));
                sets.push(vars);
            }
        }
    }
    for s in &mut sets {
        s.retain(|&v| v > 0);
        s.sort_unstable();
        s.dedup();
    }
    sets
}

impl SparseSchur {
    /// The sparse factorization's data for `p`, or `None` when a dense factorization is the better one: fewer
    /// than [`SPARSE_SCHUR_MIN_VARS`] variables, a pattern denser than [`SPARSE_SCHUR_MAX_DENSITY`], or a
    /// factor denser than [`SPARSE_SCHUR_MAX_FILL`].
    pub(crate) fn new(p: &SdpProblem) -> Option<SparseSchur> {
        let m = p.num_vars();
        if m < SPARSE_SCHUR_MIN_VARS {
            return None;
        }
        let triangle = m as f64 * (m as f64 + 1.0) / 2.0;
        let sets = coupled_sets(p);
        let bound: f64 = sets
            .iter()
            .map(|s| s.len() as f64 * (s.len() as f64 + 1.0) / 2.0)
            .sum();
        if bound > SPARSE_SCHUR_MAX_DENSITY * triangle * 4.0 {
            return None; // too dense even before duplicates are merged
        }
        let mut columns: Vec<Vec<usize>> = (0..m).map(|j| vec![j]).collect();
        for s in &sets {
            for (a, &j) in s.iter().enumerate() {
                columns[j - 1].extend(s[a..].iter().map(|&i| i - 1));
            }
        }
        let mut col_ptr = Vec::with_capacity(m + 1);
        let mut row_idx = vec![];
        col_ptr.push(0);
        for c in &mut columns {
            c.sort_unstable();
            c.dedup();
            row_idx.extend_from_slice(c);
            col_ptr.push(row_idx.len());
        }
        if row_idx.len() as f64 > SPARSE_SCHUR_MAX_DENSITY * triangle {
            return None;
        }
        let pattern = SymbolicSparseColMat::new_checked(m, m, col_ptr, None, row_idx);
        let symbolic = factorize_symbolic_cholesky(
            pattern.as_ref(),
            Side::Lower,
            Default::default(),
            Default::default(),
        )
        .ok()?;
        if symbolic.len_val() as f64 > SPARSE_SCHUR_MAX_FILL * triangle {
            return None;
        }
        let values = vec![0.0; pattern.row_idx().len()];
        let factor = vec![0.0; symbolic.len_val()];
        Some(SparseSchur {
            pattern,
            symbolic,
            values,
            factor,
            factored: false,
        })
    }

    /// Its size in words, for `verbose`.
    pub(crate) fn describe(&self) -> String {
        let m = self.pattern.ncols() as f64;
        format!(
            "sparse, {} of the {:.0} entries of its lower triangle, {} in its Cholesky factor",
            self.values.len(),
            m * (m + 1.0) / 2.0,
            self.factor.len()
        )
    }

    /// Factor the pattern's entries of `b` (its trailing m × m lower triangle) plus `shift` on the diagonal;
    /// false if the matrix is not numerically positive definite.
    pub(crate) fn factor(&mut self, b: &SchurMatrix, shift: f64) -> bool {
        let n = b.dim;
        let cp = self.pattern.col_ptr();
        let rows = self.pattern.row_idx();
        for j in 0..n - 1 {
            let column = &b.data[(j + 1) * n + 1..(j + 2) * n];
            for (value, &i) in self.values[cp[j]..cp[j + 1]]
                .iter_mut()
                .zip(&rows[cp[j]..cp[j + 1]])
            {
                *value = column[i] + if i == j { shift } else { 0.0 };
            }
        }
        if self.values.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let par = Par::Seq;
        let mut mem = MemBuffer::new(
            self.symbolic
                .factorize_numeric_llt_scratch::<f64>(par, Default::default()),
        );
        self.factored = self
            .symbolic
            .factorize_numeric_llt::<f64>(
                &mut self.factor,
                SparseColMatRef::new(self.pattern.as_ref(), &self.values),
                Side::Lower,
                Default::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .is_ok();
        self.factored
    }

    /// Solve B z = rhs with the last factorization (rhs indexed 1..=m, entry 0 ignored); z[0] = 0.
    pub(crate) fn solve(&self, rhs: &[f64]) -> Vec<f64> {
        let m = rhs.len() - 1;
        let mut z = Mat::from_fn(m, 1, |i, _| rhs[i + 1]);
        assert!(self.factored, "factored before solving");
        let par = Par::Seq;
        let mut mem = MemBuffer::new(self.symbolic.solve_in_place_scratch::<f64>(1, par));
        LltRef::new(&self.symbolic, &self.factor).solve_in_place_with_conj(
            Conj::No,
            z.as_mut(),
            par,
            MemStack::new(&mut mem),
        );
        let mut out = vec![0.0; m + 1];
        for i in 0..m {
            out[i + 1] = z[(i, 0)];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::sdp::DiagonalBlock;

    /// m variables in a diagonal block whose row i holds the variables i..i+width (a band of B).
    fn banded(m: usize, width: usize) -> SdpProblem {
        let rows = (1..=m)
            .map(|i| (i..=(i + width).min(m)).map(|v| (v as u32, 1.0)).collect())
            .collect();
        let blocks = vec![ConstraintBlock::Diagonal(DiagonalBlock::new(rows))];
        SdpProblem::new(m, vec![0.0; m + 1], blocks).unwrap()
    }

    /// On a banded pattern the sparse factorization is chosen and solves B z = r: z is recovered from
    /// r = B z (B formed densely on the pattern, diagonally dominant), with a shift too.
    #[test]
    fn a_banded_schur_complement_is_factored_sparsely_and_solves() {
        let (m, width) = (600, 3);
        let p = banded(m, width);
        let mut sparse = SparseSchur::new(&p).expect("banded: sparse");
        let n = m + 1;
        let mut b = SchurMatrix::zeros(n);
        let mut rng = Rng::new(5);
        let mut full = Mat::<f64>::zeros(m, m);
        for j in 0..m {
            for i in j..(j + width + 1).min(m) {
                let v = if i == j { 10.0 } else { rng.normal() };
                full[(i, j)] = v;
                full[(j, i)] = v;
                b.data[(j + 1) * n + i + 1] = v; // lower triangle only, as the assembly fills it
            }
        }
        let z: Vec<f64> = (0..m).map(|_| rng.normal()).collect();
        for shift in [0.0, 0.5] {
            assert!(sparse.factor(&b, shift));
            let mut rhs = vec![0.0; m + 1];
            for i in 0..m {
                rhs[i + 1] = (0..m).map(|j| full[(i, j)] * z[j]).sum::<f64>() + shift * z[i];
            }
            let got = sparse.solve(&rhs);
            assert_eq!(got[0], 0.0);
            let err = (0..m)
                .map(|i| (got[i + 1] - z[i]).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-10, "shift {shift}: {err}");
        }
        // Not positive definite: refused.
        b.data[n + 1] = -100.0;
        assert!(!sparse.factor(&b, 0.0));
    }

    /// A block holding every variable makes B dense, and a small SDP is factored densely anyway.
    #[test]
    fn dense_or_small_patterns_are_left_to_the_dense_factorization() {
        assert!(SparseSchur::new(&banded(600, 600)).is_none());
        assert!(SparseSchur::new(&banded(SPARSE_SCHUR_MIN_VARS - 1, 2)).is_none());
    }
}
