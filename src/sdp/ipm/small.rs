//! Dense kernels for small blocks (n ≤ [`SMALL_MAX`]), on the stack.
//!
//! A moment relaxation has one localizing block per output constraint, each of size 6–8 at order 3, and every
//! iteration asks each of them for step lengths several times. Through general routines (triangular solves
//! and an eigenvalue decomposition; faer, n = 8: 3.4 µs for the eigenvalues alone) that costs more than the
//! rest of the iteration's work on these blocks. Most blocks do not bind the step: for them one Cholesky
//! factorization of X + αΔ on the stack (n³/6 flops) answers, and only a binding block needs the smallest
//! eigenvalue of L⁻¹ΔL⁻ᵀ, whose congruence is also formed here.

use faer::MatRef;

use crate::sdp::block::symmetric_eigenvalues;

/// Largest block handled here.
pub const SMALL_MAX: usize = 16;

/// A symmetric n × n matrix on the stack (column-major, leading dimension n).
#[derive(Clone)]
pub struct SmallSym {
    n: usize,
    a: [f64; SMALL_MAX * SMALL_MAX],
}

impl SmallSym {
    /// M = L⁻¹ D L⁻ᵀ for lower-triangular L (nonsingular) and symmetric D, symmetrized.
    ///
    /// # Panics
    /// If n > [`SMALL_MAX`] or the shapes differ (callers check the size).
    pub fn congruence_by_inverse(l: MatRef<'_, f64>, d: MatRef<'_, f64>) -> SmallSym {
        let n = l.nrows();
        assert!(n <= SMALL_MAX && d.nrows() == n && d.ncols() == n && l.ncols() == n);
        // T = L⁻¹ D, column by column (forward substitution); stored row-major in t[i * n + j] = T(i, j)
        // so that the second solve reads rows of T contiguously.
        let mut t = [0.0f64; SMALL_MAX * SMALL_MAX];
        for j in 0..n {
            for i in 0..n {
                let mut s = d[(i, j)];
                for k in 0..i {
                    s -= l[(i, k)] * t[k * n + j];
                }
                t[i * n + j] = s / l[(i, i)];
            }
        }
        // M = L⁻¹ Tᵀ (D symmetric ⇒ L⁻¹ D L⁻ᵀ = L⁻¹ (L⁻¹ D)ᵀ): column j of M solves L m = row j of T.
        let mut m = SmallSym {
            n,
            a: [0.0; SMALL_MAX * SMALL_MAX],
        };
        for j in 0..n {
            for i in 0..n {
                let mut s = t[j * n + i];
                for k in 0..i {
                    s -= l[(i, k)] * m.a[j * n + k];
                }
                m.a[j * n + i] = s / l[(i, i)];
            }
        }
        for j in 0..n {
            for i in 0..j {
                let v = 0.5 * (m.a[j * n + i] + m.a[i * n + j]);
                m.a[j * n + i] = v;
                m.a[i * n + j] = v;
            }
        }
        m
    }

    /// Whether X + αΔ ≻ 0 (Cholesky on the stack, stopping at the first non-positive pivot), for symmetric X,
    /// Δ of size ≤ [`SMALL_MAX`] (lower triangles read).
    pub fn is_positive_definite_along(x: MatRef<'_, f64>, d: MatRef<'_, f64>, alpha: f64) -> bool {
        let n = x.nrows();
        assert!(n <= SMALL_MAX && x.ncols() == n && d.nrows() == n && d.ncols() == n);
        let mut a = [0.0f64; SMALL_MAX * SMALL_MAX];
        for j in 0..n {
            for i in j..n {
                a[j * n + i] = x[(i, j)] + alpha * d[(i, j)];
            }
        }
        for j in 0..n {
            let mut p = a[j * n + j];
            for k in 0..j {
                p -= a[k * n + j] * a[k * n + j];
            }
            if p <= 0.0 || p.is_nan() {
                return false;
            }
            let p = p.sqrt();
            a[j * n + j] = p;
            for i in j + 1..n {
                let mut s = a[j * n + i];
                for k in 0..j {
                    s -= a[k * n + i] * a[k * n + j];
                }
                a[j * n + i] = s / p;
            }
        }
        true
    }

    /// Entry (i, j).
    #[cfg(test)]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.a[j * self.n + i]
    }

    /// The smallest eigenvalue (NaN if an entry is not finite).
    pub fn min_eigenvalue(&self) -> f64 {
        let n = self.n;
        let m = faer::Mat::from_fn(n, n, |i, j| self.a[j * n + i]);
        symmetric_eigenvalues(m.as_ref())
            .first()
            .copied()
            .unwrap_or(f64::INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::block::symmetric_eigenvalues;
    use faer::Mat;

    fn random_sym(n: usize, seed: u64) -> Mat<f64> {
        let mut rng = crate::rng::Rng::new(seed);
        let a = Mat::from_fn(n, n, |_, _| rng.normal());
        Mat::from_fn(n, n, |i, j| a[(i, j)] + a[(j, i)])
    }

    /// The stack Cholesky test agrees with the sign of λ_min(X + αΔ) from faer's eigenvalues, on both sides
    /// of the largest feasible α and at every size.
    #[test]
    fn positive_definiteness_test_matches_eigenvalues() {
        let mut decided = [0usize; 2];
        for n in 1..=SMALL_MAX {
            for seed in 0..6 {
                let b = random_sym(n, 300 + 10 * n as u64 + seed);
                let x = &b * b.transpose() + Mat::<f64>::identity(n, n) * 0.01;
                let d = random_sym(n, 900 + 10 * n as u64 + seed);
                for alpha in [0.0, 1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0] {
                    let at = Mat::from_fn(n, n, |i, j| x[(i, j)] + alpha * d[(i, j)]);
                    let lmin = symmetric_eigenvalues(at.as_ref())[0];
                    let scale = symmetric_eigenvalues(at.as_ref())[n - 1].abs().max(1.0);
                    // Away from singularity the answer must match.
                    if lmin.abs() > 1e-9 * scale {
                        let pd =
                            SmallSym::is_positive_definite_along(x.as_ref(), d.as_ref(), alpha);
                        assert_eq!(pd, lmin > 0.0, "n={n} α={alpha}: λ_min = {lmin}");
                        decided[pd as usize] += 1;
                    }
                }
            }
        }
        assert!(decided[0] > 100 && decided[1] > 100, "{decided:?}");
    }

    #[test]
    fn congruence_by_inverse_matches_triangular_solves() {
        for n in [1, 3, 8, SMALL_MAX] {
            let d = random_sym(n, 7 + n as u64);
            let b = random_sym(n, 70 + n as u64);
            // X = BBᵀ + I, L its Cholesky factor.
            let x = &b * b.transpose() + Mat::<f64>::identity(n, n);
            let l = x.llt(faer::Side::Lower).unwrap().L().to_owned();
            let m = SmallSym::congruence_by_inverse(l.as_ref(), d.as_ref());
            // L M Lᵀ = D.
            let mm = Mat::from_fn(n, n, |i, j| m.get(i, j));
            let back = &l * &mm * l.transpose();
            for j in 0..n {
                for i in 0..n {
                    assert!((back[(i, j)] - d[(i, j)]).abs() <= 1e-11 * (1.0 + d[(i, j)].abs()));
                }
            }
        }
    }
}
