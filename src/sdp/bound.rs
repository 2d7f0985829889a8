//! A lower bound on the optimal value of an SDP that is valid at *any* dual point, feasible or not.
//!
//! For every x feasible for (P) (X_b(x) ⪰ 0 for every block, E x̄ = 0 for the equalities, x̄ = (1, x)), every
//! symmetric Z_b and every w, with aᵢ = Σ_b ⟨F_bi, Z_b⟩, eᵢ = (Eᵀw)ᵢ and rᵢ = cᵢ − aᵢ − eᵢ (i = 1..m):
//!
//! ```text
//!   c₀ + cᵀx = (c₀ − a₀ − e₀) + Σᵢ rᵢ xᵢ + Σ_b ⟨X_b(x), Z_b⟩              (an identity: Σᵢ eᵢ x̄ᵢ = wᵀE x̄ = 0)
//!            ≥ (c₀ − a₀ − e₀) − Σᵢ |rᵢ| Bᵢ + Σ_b min(0, μ_b) T_b
//! ```
//!
//! where Bᵢ ≥ |xᵢ| and T_b ≥ tr X_b(x) hold for every feasible x, and μ_b ≤ λ_min(Z_b) (⟨X, Z⟩ ≥ λ_min(Z)·tr X
//! for X ⪰ 0). The caller supplies B (for a moment relaxation with a ball, `MomentRelaxation::moment_bounds`);
//! T_b = |tr F_b0| + Σᵢ |tr F_bi| Bᵢ. Every quantity is computed in exact-value intervals (directed rounding,
//! [`crate::verified`]) and μ_b is proved by a shifted floating-point Cholesky (Rump), so the returned value is
//! a theorem about the SDP whose data are exactly the stored doubles, whatever Z and w are: no dual
//! feasibility, no convergence and no tolerance is assumed. Z_b is first made exactly symmetric,
//! S_b = fl((Z_b + Z_bᵀ)/2), and the bound is the one for S_b (a dual point too).

use crate::error::{Error, Result};
use crate::sdp::block::symmetric_eigenvalues;
use crate::sdp::{BlockMatrix, SdpProblem};
use crate::verified::{
    Interval, add_down, add_up, min_eigenvalue_lower_bound, mul_down, mul_up, sub_down,
};

/// The parts of a [`valid_lower_bound`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ValidBound {
    /// The bound: every feasible x has c₀ + cᵀx ≥ `value` (−∞ when no eigenvalue bound could be proved).
    pub value: f64,
    /// c₀ − a₀ − e₀ rounded down: the dual objective at the point.
    pub dual_objective: f64,
    /// Σᵢ |rᵢ| Bᵢ rounded up: what the dual residual costs.
    pub residual_correction: f64,
    /// −Σ_b min(0, μ_b) T_b rounded up: what the negative eigenvalues of Z cost.
    pub eigenvalue_correction: f64,
}

/// What a valid lower bound needs to know of (P)'s feasible set: `variables[i]` ≥ |x_{i+1}| for every
/// feasible x, and weighted trace bounds of some blocks (may be empty). For a moment relaxation with a ball:
/// `MomentRelaxation::feasible_set_bounds`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeasibleSetBounds {
    /// Bᵢ ≥ |xᵢ|, one per variable.
    pub variables: Vec<f64>,
    /// Weighted trace bounds of some blocks.
    pub traces: Vec<TraceWeights>,
}

impl FeasibleSetBounds {
    /// [`valid_lower_bound_weighted`] with these bounds.
    pub fn valid_lower_bound(
        &self,
        problem: &SdpProblem,
        dual: &[BlockMatrix],
        multipliers: &[f64],
    ) -> Result<ValidBound> {
        valid_lower_bound_weighted(problem, dual, multipliers, &self.variables, &self.traces)
    }
}

/// A weighted trace bound of one block: for every feasible x, tr(D X_b(x)) ≤ `bound` with D = diag(`weights`)
/// (all positive). Then ⟨X_b, Z_b⟩ ≥ μ·tr(D X_b) + ν·tr X_b whenever Z_b − μD ⪰ νI, and the eigenvalue
/// correction of block b can use the weighted bound instead of T_b ([`valid_lower_bound_weighted`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TraceWeights {
    /// The block (index into the problem's blocks).
    pub block: usize,
    /// D's diagonal, one positive weight per row of the block.
    pub weights: Vec<f64>,
    /// The bound on tr(D X_b(x)) over the feasible set.
    pub bound: f64,
}

/// `x[i] ± a·b` accumulated into an interval (a, b exact doubles).
fn add_product(acc: &mut Interval, a: f64, b: f64) {
    acc.lo = add_down(acc.lo, mul_down(a, b));
    acc.hi = add_up(acc.hi, mul_up(a, b));
}

/// The weighted eigenvalue correction of one block (row-major, exactly symmetric `s`): the smallest
/// −μ·T_D − min(0, ν)·T over a few μ ≤ 0, each the approximate λ_min of D^{-1/2} S D^{-1/2} lowered by a
/// margin (10⁻¹⁵ … 10⁻⁸ of its largest |eigenvalue|) so that S − μD is PSD despite rounding, and ν a proved
/// lower bound on λ_min(S − μD), its diagonal rounded down; +∞ when no bound could be proved.
fn weighted_correction(s: &[f64], n: usize, w: &TraceWeights, t: f64) -> f64 {
    let root: Vec<f64> = w.weights.iter().map(|v| 1.0 / v.sqrt()).collect();
    let scaled = faer::Mat::from_fn(n, n, |i, j| s[i * n + j] * root[i] * root[j]);
    let ev = symmetric_eigenvalues(scaled.as_ref());
    let lo = ev.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ev.iter().fold(0.0f64, |h, v| h.max(v.abs()));
    if !lo.is_finite() || !hi.is_finite() {
        return f64::INFINITY;
    }
    let top_weight = w.weights.iter().copied().fold(0.0f64, f64::max);
    let mut best = f64::INFINITY;
    let mut margin = 1e-15;
    while margin <= 1e-8 {
        let mu = lo.min(0.0) - margin * hi;
        // S − μD with its diagonal rounded down (−μ ≥ 0): below the exact matrix in the PSD order.
        let mut shifted = s.to_vec();
        for i in 0..n {
            shifted[i * n + i] = add_down(s[i * n + i], mul_down(-mu, w.weights[i]));
        }
        let nu = min_eigenvalue_lower_bound(&shifted, n, 0.0, hi * top_weight + 1.0);
        if let Some(nu) = nu.filter(|v| !v.is_nan()) {
            let c = add_up(mul_up(-mu, w.bound), mul_up((-nu).max(0.0), t));
            best = best.min(c);
            if nu >= 0.0 {
                break;
            }
        }
        margin *= 10.0;
    }
    best
}

/// The valid lower bound of the [module docs](self) at the dual point (`dual`, `multipliers`), given
/// `bounds[i]` ≥ |x_{i+1}| for every feasible x (length m). `multipliers` may be empty (w = 0).
pub fn valid_lower_bound(
    problem: &SdpProblem,
    dual: &[BlockMatrix],
    multipliers: &[f64],
    bounds: &[f64],
) -> Result<ValidBound> {
    valid_lower_bound_weighted(problem, dual, multipliers, bounds, &[])
}

/// [`valid_lower_bound`] with weighted trace bounds for some blocks (for a moment relaxation:
/// `MomentRelaxation::trace_weights`, weights |α|!/α! on the moment matrix with T = Σ_{j≤k} R^{2j}, and on
/// the balls' localizing matrices). For such a block the eigenvalue correction is the smaller of the plain one, −min(0, μ_b)·T_b, and the weighted one,
/// −μ·T_D − min(0, ν)·T_b: μ ≤ 0 an approximation of λ_min(D^{-1/2} S_b D^{-1/2}) and ν a proved lower bound
/// on λ_min(S_b − μD), its diagonal rounded down.
pub fn valid_lower_bound_weighted(
    problem: &SdpProblem,
    dual: &[BlockMatrix],
    multipliers: &[f64],
    bounds: &[f64],
    weighted: &[TraceWeights],
) -> Result<ValidBound> {
    let m = problem.num_vars();
    for w in weighted {
        let dim = problem.blocks().get(w.block).map(|b| b.dim());
        if dim != Some(w.weights.len())
            || w.weights.iter().any(|v| !(v.is_finite() && *v > 0.0))
            || w.bound.is_nan()
            || w.bound < 0.0
        {
            return Err(Error::InvalidInput(
                "the trace weights do not match their block, or are not positive".into(),
            ));
        }
    }
    if bounds.len() != m {
        return Err(Error::InvalidInput(format!(
            "{} variable bounds for an SDP with {m} variables",
            bounds.len()
        )));
    }
    if bounds.iter().any(|b| b.is_nan() || *b < 0.0) {
        return Err(Error::InvalidInput(
            "a variable bound is negative or not a number".into(),
        ));
    }
    if dual.len() != problem.blocks().len() {
        return Err(Error::InvalidInput(format!(
            "{} dual blocks for an SDP with {} blocks",
            dual.len(),
            problem.blocks().len()
        )));
    }
    let eqs = problem.equalities();
    if !multipliers.is_empty() && multipliers.len() != eqs.len() {
        return Err(Error::InvalidInput(format!(
            "{} equality multipliers for {} equalities",
            multipliers.len(),
            eqs.len()
        )));
    }
    let mut a = vec![Interval::point(0.0); m + 1];
    let mut neg = 0.0f64; // −Σ_b min(0, μ_b)·T_b, rounded up
    for (k, (block, z)) in problem.blocks().iter().zip(dual).enumerate() {
        let n = block.dim();
        // The exactly symmetric S_b (row-major) and its proved λ_min lower bound.
        let (s, mu) = match z {
            BlockMatrix::Dense(z) if !block.is_diagonal() && z.nrows() == n && z.ncols() == n => {
                let mut s = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        s[i * n + j] = 0.5 * z[(i, j)] + 0.5 * z[(j, i)];
                    }
                }
                let sym = faer::Mat::from_fn(n, n, |i, j| s[i * n + j]);
                let ev = symmetric_eigenvalues(sym.as_ref());
                let lo = ev.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ev.iter().fold(0.0f64, |h, v| h.max(v.abs()));
                let mu = min_eigenvalue_lower_bound(&s, n, lo, hi);
                (s, mu)
            }
            BlockMatrix::Diagonal(d) if block.is_diagonal() && d.len() == n => {
                let mu = d.iter().copied().fold(f64::INFINITY, f64::min);
                let mu = if mu.is_nan() { None } else { Some(mu) };
                let mut s = vec![0.0; n * n];
                for (i, v) in d.iter().enumerate() {
                    s[i * n + i] = *v;
                }
                (s, mu)
            }
            _ => {
                return Err(Error::InvalidInput(format!(
                    "dual block {} does not match its constraint block",
                    k + 1
                )));
            }
        };
        let Some(mu) = mu.filter(|v| !v.is_nan()) else {
            return Ok(ValidBound {
                value: f64::NEG_INFINITY,
                dual_objective: f64::NAN,
                residual_correction: f64::NAN,
                eigenvalue_correction: f64::INFINITY,
            });
        };
        let weights = weighted.iter().find(|w| w.block == k && mu < 0.0);
        let mut traces = if mu < 0.0 {
            vec![Interval::point(0.0); m + 1]
        } else {
            vec![]
        };
        block.for_each_entry(|var, i, j, coef| {
            if i == j {
                add_product(&mut a[var], coef, s[i * n + i]);
                if let Some(t) = traces.get_mut(var) {
                    t.add(coef);
                }
            } else {
                // F has coef at (i, j) and (j, i): 2·coef·S_ij (doubling is exact).
                add_product(&mut a[var], 2.0 * coef, s[i * n + j]);
            }
        });
        if mu < 0.0 {
            let mut t = traces[0].magnitude();
            for (tr, b) in traces[1..].iter().zip(bounds) {
                t = add_up(t, mul_up(tr.magnitude(), *b));
            }
            let plain = mul_up(-mu, t);
            let correction = match weights {
                Some(w) => plain.min(weighted_correction(&s, n, w, t)),
                None => plain,
            };
            neg = add_up(neg, correction);
        }
    }
    let mut e = vec![Interval::point(0.0); m + 1];
    for (row, &w) in eqs.iter().zip(multipliers) {
        for &(i, c) in row {
            add_product(&mut e[i as usize], c, w);
        }
    }
    let c = problem.objective();
    let dual_objective = sub_down(sub_down(c[0], a[0].hi), e[0].hi);
    let mut resid = 0.0f64;
    for i in 1..=m {
        // r_i ∈ [c_i − a.hi − e.hi, c_i − a.lo − e.lo].
        let lo = sub_down(sub_down(c[i], a[i].hi), e[i].hi);
        let hi = -sub_down(sub_down(-c[i], -a[i].lo), -e[i].lo);
        let r = lo.abs().max(hi.abs());
        if r != 0.0 {
            resid = add_up(resid, mul_up(r, bounds[i - 1]));
        }
    }
    let value = sub_down(sub_down(dual_objective, resid), neg);
    Ok(ValidBound {
        value: if value.is_nan() {
            f64::NEG_INFINITY
        } else {
            value
        },
        dual_objective,
        residual_correction: resid,
        eigenvalue_correction: neg,
    })
}
