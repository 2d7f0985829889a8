//! From the moments of a solved relaxation to minimizers: numerical ranks, flat truncation, extraction.
//!
//! Numerical rank: the number of eigenvalues of M_t(y) above `tol × λ_max` (default tol = 1e-6, relative).
//! Flat truncation (Curto–Fialkow; Nie §5): rank M_t(y) = rank M_{t−d}(y) for some d ≤ t ≤ k, where
//! d = max(1, ⌈deg g_j/2⌉) over the constraints. Then y has an r-atomic representing measure supported on
//! global minimizers; r = rank. For r = 1 the minimizer is the vector of first-order moments; for r > 1 the
//! points are recovered by the method of Henrion and Lasserre (2005): a basis of r linearly independent
//! rows of a factor of M_t, multiplication matrices, and the eigenvectors of a random combination of them.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef};
use serde::Serialize;

use crate::relax::moment::MomentRelaxation;
use crate::rng::Rng;
use crate::sdp::block::symmetric_eigenvalues;

/// Default relative threshold of the numerical rank.
pub const DEFAULT_RANK_TOLERANCE: f64 = 1e-6;

/// Number of eigenvalues above `tol × largest` (0 for a matrix with no positive eigenvalue).
pub fn numerical_rank(m: MatRef<'_, f64>, tol: f64) -> usize {
    let eig = symmetric_eigenvalues(m);
    let lmax = eig.iter().copied().fold(0.0f64, f64::max);
    if lmax.is_nan() || lmax <= 0.0 {
        return 0;
    }
    eig.iter().filter(|&&e| e > tol * lmax).count()
}

/// Result of the flat-truncation test on a moment vector.
#[derive(Clone, Debug, Serialize)]
pub struct FlatTruncation {
    /// rank M_t(y) for t = 0..=k.
    pub ranks: Vec<usize>,
    /// The smallest t at which rank M_t = rank M_{t−d}, if any.
    pub flat_order: Option<usize>,
}

impl FlatTruncation {
    /// Test flat truncation of `moments` (full moment vector) with step `d` ≥ 1. A term-sparse relaxation has
    /// no moment matrix to test (no ranks; never flat).
    pub fn test(relax: &MomentRelaxation, moments: &[f64], d: usize, tol: f64) -> FlatTruncation {
        let k = relax.order();
        let ranks: Vec<usize> = (0..=k)
            .map_while(|t| relax.moment_matrix(moments, t))
            .map(|m| numerical_rank(m.as_ref(), tol))
            .collect();
        if ranks.len() <= k {
            return FlatTruncation {
                ranks: vec![],
                flat_order: None,
            };
        }
        let d = d.max(1);
        let flat_order = (d..=k).find(|&t| ranks[t] == ranks[t - d] && ranks[t] > 0);
        FlatTruncation { ranks, flat_order }
    }

    /// True when flat truncation holds.
    pub fn is_flat(&self) -> bool {
        self.flat_order.is_some()
    }

    /// The rank at the flat order (the number of minimizers), if flat.
    pub fn rank(&self) -> Option<usize> {
        self.flat_order.map(|t| self.ranks[t])
    }
}

/// Candidate points read off the `count` leading eigenvectors of M_1(y), each scaled so that its entry for the
/// constant monomial is 1. Eigenvectors beyond the numerical rank (eigenvalue ≤ `tol` × the largest) and those
/// whose constant entry is below 1e-3 in magnitude are skipped.
///
/// For the moments of a single point z, M_1 = (1, z)(1, z)ᵀ and the one candidate is z itself. For a moment
/// vector that is not flat (a point of maximal rank on a large optimal face, say) the first-order moments are
/// one weighted average of what M_1 spans, and the leading eigenvectors are others; all are only starting points
/// for the local refinement, not certified minimizers. None for a term-sparse relaxation (no M_1).
pub fn eigenvector_points(
    relax: &MomentRelaxation,
    moments: &[f64],
    count: usize,
    tol: f64,
) -> Vec<Vec<f64>> {
    let Some(m1) = relax.moment_matrix(moments, 1) else {
        return vec![];
    };
    let s = m1.nrows();
    let Ok(evd) = m1.self_adjoint_eigen(faer::Side::Lower) else {
        return vec![];
    };
    let (u, lambda) = (evd.U(), evd.S().column_vector());
    // Eigenvalues ascending: the leading ones are last.
    let top = lambda[s - 1];
    (0..count.min(s))
        .map(|j| s - 1 - j)
        .filter(|&k| lambda[k] > tol * top && u[(0, k)].abs() >= 1e-3)
        .map(|k| {
            let row_values: Vec<f64> = (1..s).map(|i| u[(i, k)] / u[(0, k)]).collect();
            relax.complete_point(&row_values)
        })
        .collect()
}

/// Recover the `r` atoms of a flat moment vector at order `t` (rank of M_t = r). Returns the points,
/// or `None` when the numerical data do not support r real points.
pub fn extract_points(
    relax: &MomentRelaxation,
    moments: &[f64],
    t: usize,
    r: usize,
    seed: u64,
) -> Option<Vec<Vec<f64>>> {
    if r == 1 {
        return Some(vec![relax.first_order_moments(moments)]);
    }
    if t == 0 {
        return None;
    }
    let basis = relax.row_basis()?;
    let n = basis.nvars();
    let mt = relax.moment_matrix(moments, t)?;
    let s = mt.nrows();
    // Factor M_t ≈ V Vᵀ with the r leading eigenpairs.
    let evd = mt.self_adjoint_eigen(faer::Side::Lower).ok()?;
    let (u, sv) = (evd.U(), evd.S().column_vector());
    let v = Mat::from_fn(s, r, |i, j| {
        let k = s - 1 - j; // eigenvalues ascending: take the largest r
        u[(i, k)] * sv[k].max(0.0).sqrt()
    });
    // Greedy pivoted selection of r well-conditioned rows among monomials of degree ≤ t − 1
    // (Gram–Schmidt with largest-norm pivoting).
    let candidates = basis.count_up_to(t - 1);
    let mut chosen: Vec<usize> = vec![];
    let mut q: Vec<Vec<f64>> = vec![];
    for _ in 0..r {
        let mut best = (0.0, usize::MAX, vec![]);
        for i in 0..candidates {
            if chosen.contains(&i) {
                continue;
            }
            let mut w: Vec<f64> = (0..r).map(|j| v[(i, j)]).collect();
            for qk in &q {
                let d: f64 = w.iter().zip(qk).map(|(a, b)| a * b).sum();
                w.iter_mut().zip(qk).for_each(|(a, b)| *a -= d * b);
            }
            let nw = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if nw > best.0 {
                best = (nw, i, w);
            }
        }
        if best.1 == usize::MAX || best.0 < 1e-8 {
            return None;
        }
        let (nw, i, w) = best;
        chosen.push(i);
        q.push(w.into_iter().map(|x| x / nw).collect());
    }
    // W = V · V[B, :]⁻¹ so that W[B, :] = I; N_i[j, :] = W[index(x_i · b_j), :].
    let vb = Mat::from_fn(r, r, |a, j| v[(chosen[a], j)]);
    let vb_inv = vb.as_ref().partial_piv_lu().inverse();
    let w = &v * &vb_inv;
    let mult: Vec<Mat<f64>> = (0..n)
        .map(|i| {
            Mat::from_fn(r, r, |a, j| {
                let m = basis
                    .monomial(chosen[a])
                    .times(&crate::polynomial::Monomial::variable(n, i));
                w[(basis.index(&m).expect("degree ≤ t"), j)]
            })
        })
        .collect();
    // Random combination; its eigenvectors diagonalize every N_i.
    let mut rng = Rng::new(seed);
    let lambda: Vec<f64> = (0..n).map(|_| rng.uniform_in(0.5, 1.5)).collect();
    let mut comb = Mat::<f64>::zeros(r, r);
    for (ni, &l) in mult.iter().zip(&lambda) {
        comb += ni * faer::Scale(l);
    }
    let eig = comb.eigen().ok()?;
    let vecs = eig.U();
    let vre = Mat::from_fn(r, r, |i, j| vecs[(i, j)].re);
    let vinv = vre.as_ref().partial_piv_lu().inverse();
    let diagonals: Vec<Mat<f64>> = mult.iter().map(|ni| &vinv * ni * &vre).collect();
    let points: Vec<Vec<f64>> = (0..r)
        .map(|j| {
            let row_values: Vec<f64> = diagonals.iter().map(|d| d[(j, j)]).collect();
            relax.complete_point(&row_values)
        })
        .collect();
    if points.iter().flatten().all(|x| x.is_finite()) {
        Some(points)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relax::moment::tests::example_3_4_pop;

    fn point_moments(relax: &MomentRelaxation, z: &[f64]) -> Vec<f64> {
        relax
            .basis()
            .monomials()
            .iter()
            .map(|m| m.evaluate(z))
            .collect()
    }

    #[test]
    fn the_leading_eigenvector_of_a_point_s_moments_is_that_point() {
        let relax = MomentRelaxation::new(&example_3_4_pop(), 2, 1 << 30).unwrap();
        let z = [0.7, -1.3, 0.4, 2.1, 0.05];
        let points = eigenvector_points(
            &relax,
            &point_moments(&relax, &z),
            3,
            DEFAULT_RANK_TOLERANCE,
        );
        // M_1 has rank one: one candidate, from (1, z)/‖(1, z)‖.
        assert_eq!(points.len(), 1);
        for (a, b) in points[0].iter().zip(&z) {
            assert!((a - b).abs() < 1e-10, "{:?} vs {z:?}", points[0]);
        }
    }
}
