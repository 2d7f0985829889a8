//! Verified arithmetic for the SOS certificates ([`crate::relax::certificate`]) and the valid SDP bounds
//! ([`crate::sdp::bound`]): binary64 operations rounded up or down
//! (round-to-nearest results corrected by their exact error, from `mul_add` and TwoSum, or widened by one
//! ulp with `next_up`/`next_down` where the error term could underflow), intervals of exact values, and a
//! rigorous lower bound on the smallest eigenvalue of a symmetric matrix from a floating-point Cholesky
//! factorization (Rump's criterion).
//!
//! The one assumption is IEEE 754 binary64 arithmetic with round-to-nearest (Rust's `f64`) and a correctly
//! rounded `mul_add` and `sqrt` (both guaranteed by Rust).

/// Below this magnitude a product's rounding error may not be representable: widen by one ulp instead.
const TINY: f64 = 1.0e-270;
/// The unit roundoff u = 2⁻⁵³.
const U: f64 = f64::EPSILON / 2.0;
/// The smallest positive subnormal η = 2⁻¹⁰⁷⁴.
const ETA: f64 = f64::from_bits(1);

fn widen_up(p: f64) -> f64 {
    if p.is_nan() { p } else { p.next_up() }
}

/// The exact a·b rounded up (+∞ on overflow).
pub fn mul_up(a: f64, b: f64) -> f64 {
    let p = a * b;
    if a == 0.0 || b == 0.0 || !p.is_finite() {
        return if p.is_finite() { 0.0 } else { widen_up(p) };
    }
    if p.abs() < TINY {
        return widen_up(p);
    }
    if a.mul_add(b, -p) > 0.0 {
        p.next_up()
    } else {
        p
    }
}

/// The exact a·b rounded down (−∞ on overflow).
pub fn mul_down(a: f64, b: f64) -> f64 {
    -mul_up(-a, b)
}

/// The exact a + b rounded up (TwoSum: the rounding error of a sum is exact in binary64).
pub fn add_up(a: f64, b: f64) -> f64 {
    let s = a + b;
    if !s.is_finite() {
        return widen_up(s);
    }
    let bp = s - a;
    let ap = s - bp;
    let err = (a - ap) + (b - bp);
    if err > 0.0 { s.next_up() } else { s }
}

/// The exact a + b rounded down.
pub fn add_down(a: f64, b: f64) -> f64 {
    -add_up(-a, -b)
}

/// The exact a − b rounded down.
pub fn sub_down(a: f64, b: f64) -> f64 {
    add_down(a, -b)
}

/// The exact a / b rounded up, for b > 0.
pub fn div_up(a: f64, b: f64) -> f64 {
    debug_assert!(b > 0.0);
    let q = a / b;
    if !q.is_finite() || q.abs() < TINY {
        return widen_up(q);
    }
    // a − q·b, exact when no underflow: positive means q < a/b.
    if (-q).mul_add(b, a) > 0.0 {
        q.next_up()
    } else {
        q
    }
}

/// The exact √x rounded up, for x ≥ 0.
pub fn sqrt_up(x: f64) -> f64 {
    let s = x.sqrt();
    if !s.is_finite() || s < TINY {
        return widen_up(s);
    }
    if (-s).mul_add(s, x) > 0.0 {
        s.next_up()
    } else {
        s
    }
}

/// xᵈ rounded up, for x ≥ 0.
pub fn pow_up(x: f64, d: u32) -> f64 {
    (0..d).fold(1.0, |acc, _| mul_up(acc, x))
}

/// A closed interval [lo, hi] of reals (the exact value of a sum being accumulated lies in it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// The point interval [x, x].
    pub fn point(x: f64) -> Interval {
        Interval { lo: x, hi: x }
    }

    /// self + x (x exact).
    pub fn add(&mut self, x: f64) {
        self.lo = add_down(self.lo, x);
        self.hi = add_up(self.hi, x);
    }

    /// self − a·b (a, b exact).
    pub fn sub_product(&mut self, a: f64, b: f64) {
        self.lo = sub_down(self.lo, mul_up(a, b));
        self.hi = add_up(self.hi, -mul_down(a, b));
    }

    /// An upper bound on |v| over the interval (+∞ or NaN when the accumulation overflowed).
    pub fn magnitude(&self) -> f64 {
        if self.lo.is_nan() || self.hi.is_nan() {
            return f64::NAN;
        }
        self.lo.abs().max(self.hi.abs())
    }
}

/// Backward error constant of Cholesky in dimension n: γ' ≥ γ_{n+1}/(1 − γ_{n+1}), γ_k = k·u/(1 − k·u).
fn cholesky_gamma(n: usize) -> f64 {
    let k = (n + 1) as f64 * U;
    let g = k / (1.0 - k);
    // The few roundings of these two lines are relative 1e-16 each; the factor covers them.
    g / (1.0 - g) * (1.0 + 1e-10)
}

/// Floating-point Cholesky of the symmetric matrix `a` (row-major, n×n, only the lower triangle read), the
/// textbook algorithm with sequential inner products: true when it runs to completion (every pivot > 0 and
/// finite).
fn cholesky_runs(a: &[f64], n: usize) -> bool {
    let mut l = vec![0.0f64; n * n];
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= l[j * n + k] * l[j * n + k];
        }
        if !(s > 0.0 && s.is_finite()) {
            return false;
        }
        let d = s.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut t = a[i * n + j];
            for k in 0..j {
                t -= l[i * n + k] * l[j * n + k];
            }
            let v = t / d;
            if !v.is_finite() {
                return false;
            }
            l[i * n + j] = v;
        }
    }
    true
}

/// μ with λ_min(S) ≥ μ, proved when fl-Cholesky of Ã = S − c·I (diagonal rounded down) runs to completion:
/// then R̂ᵀR̂ = Ã + ΔA with |ΔA| ≤ γ_{n+1}|R̂ᵀ||R̂| (Demmel; Higham, Accuracy and Stability, Thm 10.3), and
/// by Cauchy–Schwarz on the columns of R̂, ‖ΔA‖₂ ≤ γ_{n+1}/(1 − γ_{n+1})·tr(Ã); underflow adds at most
/// 3n(2n + 2 + max(1, maxᵢ Ãᵢᵢ))·η (a generous form of Rump's underflow term, "Verification of positive
/// definiteness", BIT 46, 2006). So S = Ã + cI + D (D ⪰ 0 diagonal) ⪰ (c − ‖ΔA‖₂)·I.
fn shifted_cholesky_bound(s: &[f64], n: usize, c: f64) -> Option<f64> {
    let mut a = s.to_vec();
    let mut trace = 0.0f64;
    let mut max_diag = 1.0f64;
    for i in 0..n {
        let d = sub_down(s[i * n + i], c);
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        a[i * n + i] = d;
        trace = add_up(trace, d);
        max_diag = max_diag.max(d);
    }
    if !cholesky_runs(&a, n) {
        return None;
    }
    let nf = n as f64;
    let under = mul_up(
        mul_up(3.0, nf),
        mul_up(add_up(add_up(mul_up(2.0, nf), 2.0), max_diag), ETA),
    );
    let err = add_up(mul_up(cholesky_gamma(n), trace), under);
    Some(sub_down(c, err))
}

/// A rigorous lower bound on the smallest eigenvalue of the symmetric matrix `s` (row-major n×n; exactly
/// symmetric), or `None` when no shift lets the floating-point Cholesky run (entries not finite, or the
/// matrix is too indefinite for the shifts tried). `approx_min` is an approximate smallest eigenvalue and
/// `approx_max_abs` an approximate largest |eigenvalue| (they only choose the shifts; the bound does not rely
/// on them). The bound is ≥ 0 whenever fl-Cholesky of S − c₀I runs with c₀ just above the error term (Rump's
/// test of positive semidefiniteness); otherwise the shift is lowered below `approx_min` step by step.
pub fn min_eigenvalue_lower_bound(
    s: &[f64],
    n: usize,
    approx_min: f64,
    approx_max_abs: f64,
) -> Option<f64> {
    assert_eq!(s.len(), n * n, "a square matrix");
    if n == 0 {
        return Some(f64::INFINITY);
    }
    if s.iter().any(|v| !v.is_finite()) {
        return None;
    }
    if n == 1 {
        return Some(s[0]);
    }
    let nf = n as f64;
    let pos_trace = (0..n).fold(0.0f64, |t, i| add_up(t, s[i * n + i].max(0.0)));
    let max_diag = (0..n).fold(1.0f64, |m, i| m.max(s[i * n + i].abs()));
    let under = mul_up(
        mul_up(3.0, nf),
        mul_up(add_up(add_up(mul_up(2.0, nf), 2.0), max_diag), ETA),
    );
    let err = add_up(mul_up(cholesky_gamma(n), pos_trace), under);
    // Rump's test: S − c₀I with c₀ slightly above the error bound.
    let c0 = mul_up(1.01, err);
    if let Some(mu) = shifted_cholesky_bound(s, n, c0)
        && mu >= 0.0
    {
        return Some(mu);
    }
    if !approx_min.is_finite() || !approx_max_abs.is_finite() {
        return None;
    }
    // Shifts below the approximate smallest eigenvalue, by margins growing from the error level.
    let mut margin = 4.0 * err + 8.0 * nf * U * approx_max_abs;
    for _ in 0..60 {
        if let Some(mu) = shifted_cholesky_bound(s, n, approx_min - margin) {
            return Some(mu);
        }
        margin *= 4.0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_rounding_brackets_the_exact_value() {
        // 0.1 · 3: the exact product of the two doubles lies strictly between the two roundings.
        let (lo, hi) = (mul_down(0.1, 3.0), mul_up(0.1, 3.0));
        assert!(lo < hi && hi == lo.next_up());
        assert!(lo <= 0.1 * 3.0 && 0.1 * 3.0 <= hi);
        // Exact operations are not widened.
        assert_eq!(mul_up(1.5, 2.0), 3.0);
        assert_eq!(add_up(1.0, 2.0), 3.0);
        assert_eq!(sqrt_up(100.0), 10.0);
        assert_eq!(div_up(100.0, 4.0), 25.0);
        // 1 + 2⁻⁶⁰ is not representable: rounded up it is the next double above 1, down it is 1.
        let t = 2f64.powi(-60);
        assert_eq!(add_up(1.0, t), 1.0f64.next_up());
        assert_eq!(add_down(1.0, t), 1.0);
        // √2 rounded up squares to more than 2 (in exact arithmetic: checked with the error-free product).
        let r = sqrt_up(2.0);
        assert!(r.mul_add(r, -2.0) > 0.0);
        assert!(div_up(1.0, 3.0) * 3.0 >= 1.0);
    }

    #[test]
    fn the_eigenvalue_bound_is_below_and_close_to_the_true_one() {
        // [[1, b], [b, 1]] has eigenvalues 1 ± b (exact for b = 0.5 and 0.75).
        for b in [0.5, 0.75, -0.75] {
            let s = [1.0, b, b, 1.0];
            let mu =
                min_eigenvalue_lower_bound(&s, 2, 1.0 - f64::abs(b), 1.0 + f64::abs(b)).unwrap();
            let exact = 1.0 - f64::abs(b);
            assert!(mu <= exact.max(0.0), "{mu}");
            assert!(mu > -1e-14, "{mu}");
        }
        // diag(3, −2): λ_min = −2 exactly; the bound is below it and within 1e-12.
        let s = [3.0, 0.0, 0.0, -2.0];
        let mu = min_eigenvalue_lower_bound(&s, 2, -2.0, 3.0).unwrap();
        assert!(mu <= -2.0 && mu > -2.0 - 1e-12, "{mu}");
        // The singular all-ones matrix (λ_min = 0): a bound ≤ 0 and ≥ −1e-13; never a positive claim.
        let n = 6;
        let s = vec![1.0; n * n];
        let mu = min_eigenvalue_lower_bound(&s, n, 0.0, 6.0).unwrap();
        assert!(mu <= 0.0 && mu > -1e-12, "{mu}");
    }

    #[test]
    fn a_matrix_indefinite_by_1e_15_gets_a_negative_bound() {
        // [[1, 1], [1, 1 − 2⁻⁵⁰]]: det = −2⁻⁵⁰ < 0, λ_min ≈ −2⁻⁵¹ ≈ −4.4e-16.
        let d = 1.0 - 2f64.powi(-50);
        let s = [1.0, 1.0, 1.0, d];
        let mu = min_eigenvalue_lower_bound(&s, 2, 0.0, 2.0).unwrap();
        assert!(mu < -4.4e-16, "{mu}");
        assert!(mu > -1e-13, "{mu}");
        // The same matrix with 1e-15 added to both diagonal entries is PSD but ill-conditioned: the bound
        // may be slightly negative but never above its true λ_min (2⁻⁴⁹ − 2⁻⁵¹ ≈ 1.33e-15).
        let s = [1.0 + 2f64.powi(-49), 1.0, 1.0, d + 2f64.powi(-49)];
        let mu = min_eigenvalue_lower_bound(&s, 2, 0.0, 2.0).unwrap();
        assert!(mu <= 2f64.powi(-49) - 2f64.powi(-51), "{mu}");
        assert!(mu > -1e-13, "{mu}");
    }

    #[test]
    fn non_finite_matrices_have_no_bound() {
        assert_eq!(
            min_eigenvalue_lower_bound(&[1.0, f64::NAN, f64::NAN, 1.0], 2, 0.0, 1.0),
            None
        );
    }
}
