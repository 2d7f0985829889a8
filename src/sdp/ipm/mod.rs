//! Primal–dual interior-point method: infeasible start, HKM search direction, Mehrotra predictor–corrector.
//!
//! Two starting points: the standard X = ξI, Y = ηI ([`solve`]), or a given primal point x₀ with the dual on
//! the central path, Y = μ₀X(x₀)⁻¹ ([`solve_from`]; for moment relaxations the moments of a Gaussian measure,
//! which saves a third of the iterations).
//!
//! Per iteration, with G = X⁻¹: the Schur complement B_ij = tr(Fᵢ G Fⱼ Y) is assembled block by block from
//! the blocks' structure (see [`crate::sdp::block`]), factored by a dense Cholesky (faer), and used twice
//! (predictor and corrector). Each direction is refined by conjugate gradients on the Newton equation, applied
//! from the data and preconditioned by that factor: near the optimum B is ill-conditioned and a single solve
//! would leave an error that pollutes the dual residual.
//!
//! Step control follows SDPT3: σ = (gap_aff/gap)^e with e = max(1, 3 min(α_p, α_d)²) from the predictor, and a
//! step fraction rising from [`SdpSettings::step_fraction`] to 0.99 with the step lengths. The stopping test
//! asks for small infeasibilities, objective gap and complementarity ⟨X, Y⟩ (the latter two differ by x·r_d,
//! which a large x can make large). Infeasibility is declared on a certificate: Y ⪰ 0 with ‖A(Y)‖ ≤ tol·τ,
//! τ = −⟨C₀, Y⟩ > 0 (primal), or a large x with c·x < 0 along which Σ xᵢFᵢ ⪰ 0 (dual); while the iterate
//! diverges along one, this counts as progress for the stall test.

use std::ops::ControlFlow;
use std::time::Instant;

use faer::linalg::cholesky::llt::factor::{LltRegularization, cholesky_in_place};
use faer::linalg::solvers::DenseSolveCore;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::{Mat, MatMut, Par, Side};

pub mod schur;
pub(crate) mod small;
pub(crate) mod sparse_schur;

use crate::error::{Error, Result};
use crate::sdp::block::{BlockMatrix, symmetric_eigenvalues};
use crate::sdp::{
    IterationInfo, SdpProblem, SdpResiduals, SdpSettings, SdpSolution, SdpStatus, full_vector,
};
use schur::SchurMatrix;
use small::{SMALL_MAX, SmallSym};
use sparse_schur::SparseSchur;

/// Iterations without a 10% improvement of any progress measure after which the solve is declared stalled.
const STALL_ITERATIONS: usize = 20;
/// Once the best iterate is near-optimal (worst measure ≤ 10³·tolerance), iterations without a 10% improvement
/// of that worst measure after which the solve ends with it. There the individual measures wander with
/// rounding (SDPLIB hinf2: gap ≈ 2·10⁻⁷ from iteration 15 on), and a new low of one of them by chance would
/// otherwise restart the longer count.
const NEAR_OPTIMAL_STALL_ITERATIONS: usize = 10;

/// Lower bound on the centering parameter σ while the iterate is infeasible.
const SIGMA_FLOOR_INFEASIBLE: f64 = 0.1;

/// Centrality correctors: the target interval [β_lo, β_hi]·μ_t of the eigenvalues of the scaled product.
const CENTRALITY_BETA_LO: f64 = 0.1;
const CENTRALITY_BETA_HI: f64 = 10.0;
/// Centrality correctors are used while the worst measure (infeasibilities, gap) is above this.
const CENTRALITY_CUTOFF: f64 = 1e-6;
/// Centrality correctors aim at steps this much longer than the current ones.
const CENTRALITY_STEP_INCREASE: f64 = 0.2;

/// The Schur complement is factored in parallel from this many variables on; below, threads cost more than they
/// bring. With a busy-waiting worker ([`SdpSettings::busy_wait`]) the order-3 relaxations of the (2,2) networks
/// (m = 923) solve 5–8% faster with a parallel factorization, those of (1,1,1) (m = 461) 1% slower (min of 3
/// runs each); with sleeping workers the two were equal at 923.
const PARALLEL_SCHUR_MIN: usize = 600;

/// Step lengths of dense blocks up to this size are exact: a block that binds below the running minimum (one
/// Cholesky on the stack tells) gets the smallest eigenvalue of L⁻¹ΔL⁻ᵀ (see [`small`]). Larger blocks
/// bisect. Bisecting small blocks too (1e-3, inline Cholesky) makes SDPLIB's control2 end `near_optimal` after
/// 46 iterations instead of `optimal` after 19, and moves hinf1/hinf2 by ±50%.
const STEP_EIGEN_MAX: usize = SMALL_MAX;
/// Step lengths found by bisection are capped here: beyond a full step only "≥ 1" matters.
const STEP_CAP: f64 = 2.0;

/// Step lengths are computed in parallel over blocks when Σ (block size)³ reaches this (a thread wake-up costs
/// tens of microseconds; SDPLIB's hinf problems take a few milliseconds in all).
const PARALLEL_BLOCKS_MIN_FLOPS: f64 = 1e6;

/// A block of a given starting point X(x₀) is used as it is when λ_min > START_MARGIN·max(1, ‖X‖); otherwise
/// START_SHIFT·max(1, ‖X‖) − λ_min is added to its diagonal (diagonal blocks: per entry).
const START_MARGIN: f64 = 1e-3;
const START_SHIFT: f64 = 1e-2;
/// From a primal point x₀, the dual starts at Y = μ₀X⁻¹ with μ₀ = START_MU_FACTOR·(1 + |c·x₀|)/n. Iterations
/// with factors 0.3, 1, 3, 10 (docs/BENCHMARKS.md): the 25 order-3 relaxations of Tables 1–5 took 664, 613, 619,
/// 670 in all; the order-4 relaxation of t2_n100 took 42, 38, 35 with 1, 3, 10 (0.3 not measured), and those
/// of t5_n100 and t2_n200 39 and 39 with 1, 36 and 35 with 3.
const START_MU_FACTOR: f64 = 3.0;

/// Maximal number of conjugate-gradient refinement steps of one Newton direction.
const MAX_REFINEMENTS: usize = 20;

/// A Newton direction: Δx, ΔX and ΔY per block, and Δw for the equalities (None without equalities).
type Direction = (
    Vec<f64>,
    Vec<BlockMatrix>,
    Vec<BlockMatrix>,
    Option<Vec<f64>>,
);

/// Per-block factorization data of one iterate.
enum Factor {
    /// Cholesky factor L of X (lower) and G = X⁻¹.
    Dense { l: Mat<f64>, inv: Mat<f64> },
    /// Diagonal X and its inverse.
    Diagonal { inv: Vec<f64> },
}

impl Factor {
    fn new(x: &BlockMatrix) -> Option<Factor> {
        match x {
            BlockMatrix::Dense(m) => {
                let llt = m.llt(Side::Lower).ok()?;
                let l = llt.L().to_owned();
                let inv = llt.inverse();
                Some(Factor::Dense { l, inv })
            }
            BlockMatrix::Diagonal(d) => {
                if d.iter().all(|&v| v > 0.0 && v.is_finite()) {
                    Some(Factor::Diagonal {
                        inv: d.iter().map(|v| 1.0 / v).collect(),
                    })
                } else {
                    None
                }
            }
        }
    }

    fn inverse(&self) -> BlockMatrix {
        match self {
            Factor::Dense { inv, .. } => BlockMatrix::Dense(inv.clone()),
            Factor::Diagonal { inv } => BlockMatrix::Diagonal(inv.clone()),
        }
    }

    /// min(α, bound) for the largest α ≥ 0 with X + αΔ ⪰ 0, `bound` ≤ [`STEP_CAP`] (callers need the minimum
    /// over blocks, and only distinguish steps beyond 1). Exact for diagonal blocks and dense ones up to
    /// [`STEP_EIGEN_MAX`]; larger blocks bisect and return a value in [α(1 − 10⁻³), α] when α < bound.
    fn max_step(&self, x: &BlockMatrix, delta: &BlockMatrix, bound: f64) -> f64 {
        match (self, x, delta) {
            (Factor::Dense { .. }, BlockMatrix::Dense(x), BlockMatrix::Dense(d))
                if x.nrows() > STEP_EIGEN_MAX =>
            {
                max_step_bisection(x, d, bound)
            }
            (Factor::Dense { l, .. }, BlockMatrix::Dense(x), BlockMatrix::Dense(d)) => {
                // Most blocks do not bind: one factorization of X + bound·Δ settles that.
                if bound.is_finite()
                    && SmallSym::is_positive_definite_along(x.as_ref(), d.as_ref(), bound)
                {
                    return bound;
                }
                // α_max = −1/λ_min(L⁻¹ Δ L⁻ᵀ).
                let lmin = SmallSym::congruence_by_inverse(l.as_ref(), d.as_ref()).min_eigenvalue();
                if lmin.is_nan() {
                    0.0
                } else if lmin < 0.0 {
                    (-1.0 / lmin).min(bound)
                } else {
                    bound
                }
            }
            (Factor::Diagonal { .. }, BlockMatrix::Diagonal(xv), BlockMatrix::Diagonal(dv)) => xv
                .iter()
                .zip(dv)
                .filter(|(_, d)| **d < 0.0)
                .map(|(x, d)| -x / d)
                .fold(f64::INFINITY, f64::min),
            _ => unreachable!("block kinds differ"),
        }
    }
}

/// Largest α ∈ [0, bound] with X + αΔ ≻ 0, by bisection on Cholesky factorizations (the feasible α form an
/// interval, the PSD cone being convex): to a relative 10⁻³, from below, so the returned step is always feasible.
/// For a block of size n this costs about a dozen factorizations (n³/3 each) instead of a tridiagonalization
/// (4n³/3) with its eigenvalue iteration and the two triangular solves that form L⁻¹ΔL⁻ᵀ (faer, n = 120: all
/// eigenvalues in 262 µs, one Cholesky in 4.4 µs).
fn max_step_bisection(x: &Mat<f64>, d: &Mat<f64>, bound: f64) -> f64 {
    let n = x.nrows();
    let mut work = Mat::<f64>::zeros(n, n);
    let mut mem = faer::dyn_stack::MemBuffer::new(
        faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
            n,
            Par::Seq,
            Default::default(),
        ),
    );
    bisect_step(bound, |a: f64| -> bool {
        for j in 0..n {
            let (xc, dc) = (x.col_as_slice(j), d.col_as_slice(j));
            for (w, (xv, dv)) in work.col_as_slice_mut(j)[j..]
                .iter_mut()
                .zip(xc[j..].iter().zip(&dc[j..]))
            {
                *w = xv + a * dv;
            }
        }
        cholesky_in_place(
            work.as_mut(),
            LltRegularization::default(),
            Par::Seq,
            faer::dyn_stack::MemStack::new(&mut mem),
            Default::default(),
        )
        .is_ok()
    })
}

/// The bisection of [`max_step_bisection`] in [0, cap] given the feasibility test of X + αΔ.
fn bisect_step(cap: f64, mut feasible: impl FnMut(f64) -> bool) -> f64 {
    if feasible(cap) {
        return cap;
    }
    let mut hi = cap;
    let mut lo = loop {
        let a = 0.5 * hi;
        if a < 1e-14 {
            return 0.0;
        }
        if feasible(a) {
            break a;
        }
        hi = a;
    };
    while hi - lo > 1e-3 * lo {
        let mid = 0.5 * (lo + hi);
        if feasible(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

impl Factor {
    /// Centrality correction of one block (Gondzio's multiple centrality correctors, HKM form).
    ///
    /// In the space scaled by X = L Lᵀ, the trial point X + α_p ΔX, Y + α_d ΔY is X̂ = I + α_p L⁻¹ΔX L⁻ᵀ,
    /// Ŷ = Lᵀ(Y + α_d ΔY)L. The eigenvalues λ of H = sym(X̂ Ŷ) outside [β_lo μ_t, β_hi μ_t] are moved to
    /// that interval (a decrease is capped at β_hi μ_t), giving R = Q (clip(λ) − λ) Qᵀ; the returned term is
    /// L⁻ᵀ R L⁻¹, the change of Y that the HKM linearization asks for.
    #[allow(clippy::too_many_arguments)]
    fn centrality_correction(
        &self,
        x: &BlockMatrix,
        y: &BlockMatrix,
        dx: &BlockMatrix,
        dy: &BlockMatrix,
        ap: f64,
        ad: f64,
        mu_t: f64,
    ) -> BlockMatrix {
        let (lo, hi) = (CENTRALITY_BETA_LO * mu_t, CENTRALITY_BETA_HI * mu_t);
        let clip = |v: f64| {
            if v < lo {
                lo - v
            } else if v > hi {
                (hi - v).max(-hi)
            } else {
                0.0
            }
        };
        match (self, x, y, dx, dy) {
            (
                Factor::Dense { l, .. },
                _,
                BlockMatrix::Dense(y),
                BlockMatrix::Dense(dx),
                BlockMatrix::Dense(dy),
            ) => {
                let n = y.nrows();
                // X̂ = I + α_p L⁻¹ ΔX L⁻ᵀ
                let mut t = dx.clone();
                solve_lower_triangular_in_place(l.as_ref(), t.as_mut(), Par::Seq);
                let mut xh = t.transpose().to_owned();
                solve_lower_triangular_in_place(l.as_ref(), xh.as_mut(), Par::Seq);
                let xh = Mat::from_fn(n, n, |i, j| {
                    ap * 0.5 * (xh[(i, j)] + xh[(j, i)]) + if i == j { 1.0 } else { 0.0 }
                });
                // Ŷ = Lᵀ (Y + α_d ΔY) L
                let yt = Mat::from_fn(n, n, |i, j| y[(i, j)] + ad * dy[(i, j)]);
                let yh = l.transpose() * &yt * l;
                let p = &xh * &yh;
                let h = Mat::from_fn(n, n, |i, j| 0.5 * (p[(i, j)] + p[(j, i)]));
                let Ok(eig) = h.self_adjoint_eigen(Side::Lower) else {
                    return BlockMatrix::Dense(Mat::zeros(n, n));
                };
                let q = eig.U();
                let lam = eig.S().column_vector();
                let d: Vec<f64> = (0..n).map(|i| clip(lam[i])).collect();
                let qd = Mat::from_fn(n, n, |i, j| q[(i, j)] * d[j]);
                let mut r = &qd * q.transpose();
                // K = L⁻ᵀ R L⁻¹
                solve_upper_triangular_in_place(l.transpose(), r.as_mut(), Par::Seq);
                let mut k = r.transpose().to_owned();
                solve_upper_triangular_in_place(l.transpose(), k.as_mut(), Par::Seq);
                BlockMatrix::Dense(Mat::from_fn(n, n, |i, j| 0.5 * (k[(i, j)] + k[(j, i)])))
            }
            (
                Factor::Diagonal { inv },
                BlockMatrix::Diagonal(x),
                BlockMatrix::Diagonal(y),
                BlockMatrix::Diagonal(dx),
                BlockMatrix::Diagonal(dy),
            ) => BlockMatrix::Diagonal(
                (0..x.len())
                    .map(|i| clip((x[i] + ap * dx[i]) * (y[i] + ad * dy[i])) * inv[i])
                    .collect(),
            ),
            _ => unreachable!("block kinds differ"),
        }
    }
}

/// sym(A B C) for dense or diagonal blocks of one kind.
fn sym_product3(a: &BlockMatrix, b: &BlockMatrix, c: &BlockMatrix) -> BlockMatrix {
    match (a, b, c) {
        (BlockMatrix::Dense(a), BlockMatrix::Dense(b), BlockMatrix::Dense(c)) => {
            let p = a * b * c;
            BlockMatrix::Dense(Mat::from_fn(p.nrows(), p.ncols(), |i, j| {
                0.5 * (p[(i, j)] + p[(j, i)])
            }))
        }
        (BlockMatrix::Diagonal(a), BlockMatrix::Diagonal(b), BlockMatrix::Diagonal(c)) => {
            BlockMatrix::Diagonal(
                a.iter()
                    .zip(b)
                    .zip(c)
                    .map(|((x, y), z)| x * y * z)
                    .collect(),
            )
        }
        _ => unreachable!("block kinds differ"),
    }
}

fn blocks_dot(a: &[BlockMatrix], b: &[BlockMatrix]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.dot(y)).sum()
}

fn blocks_norm(a: &[BlockMatrix]) -> f64 {
    blocks_dot(a, a).sqrt()
}

fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The Cholesky-factored Schur complement (trailing m × m block of the (m+1)² buffer), factored in place, or
/// as a sparse matrix when `sparse` is set ([`sparse_schur`]).
struct FactoredSchur<'a> {
    b: &'a mut SchurMatrix,
    sparse: Option<&'a mut SparseSchur>,
}

impl FactoredSchur<'_> {
    fn view(&mut self) -> MatMut<'_, f64> {
        let n = self.b.dim;
        MatMut::from_column_major_slice_mut(&mut self.b.data, n, n).submatrix_mut(
            1,
            1,
            n - 1,
            n - 1,
        )
    }

    /// Factor in place; on failure rebuild B with `assemble` and retry with a growing diagonal shift (no copy
    /// of B is kept: failures are rare and B can be large). Returns false if every try failed.
    fn factor(&mut self, par: Par, assemble: &mut dyn FnMut(&mut SchurMatrix)) -> bool {
        let n = self.b.dim;
        let m = n - 1;
        let diag_max = |b: &SchurMatrix| {
            let d: Vec<f64> = (1..n).map(|i| b.data[i * n + i]).collect();
            d.iter()
                .all(|v| v.is_finite())
                .then(|| d.iter().fold(0.0f64, |a, &b| a.max(b.abs())))
        };
        let Some(dmax) = diag_max(self.b).filter(|&d| d > 0.0) else {
            return false;
        };
        if let Some(sparse) = self.sparse.as_deref_mut() {
            // The gathered entries are a copy: B itself is never overwritten, so no reassembly.
            return [0.0, 1e-14, 1e-12, 1e-10]
                .into_iter()
                .any(|shift| sparse.factor(self.b, shift * dmax));
        }
        for shift in [0.0, 1e-14, 1e-12, 1e-10] {
            if shift > 0.0 {
                assemble(self.b);
                for i in 1..n {
                    self.b.data[i * n + i] += shift * dmax;
                }
            }
            let mut mem = faer::dyn_stack::MemBuffer::new(
                faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
                    m,
                    par,
                    Default::default(),
                ),
            );
            let stack = faer::dyn_stack::MemStack::new(&mut mem);
            let ok = cholesky_in_place(
                self.view(),
                LltRegularization::default(),
                par,
                stack,
                Default::default(),
            )
            .is_ok();
            if ok {
                if shift > 0.0 && std::env::var_os("POLYACT_DEBUG").is_some() {
                    eprintln!("      Schur complement shifted by {shift:e}·max diag");
                }
                return true;
            }
        }
        false
    }

    /// Solve B z = rhs (rhs indexed 1..=m, entry 0 ignored); returns z with z[0] = 0. Sequential: a single
    /// right-hand side is bound by memory bandwidth, and threads only add synchronization (faer, m = 1715:
    /// 1.26 ms on one thread, 1.71 ms on two).
    fn solve(&mut self, rhs: &[f64]) -> Vec<f64> {
        if let Some(sparse) = self.sparse.as_deref() {
            return sparse.solve(rhs);
        }
        let par = Par::Seq;
        let m = self.b.dim - 1;
        let mut z = Mat::from_fn(m, 1, |i, _| rhs[i + 1]);
        let l = self.view();
        let l = l.as_ref();
        solve_lower_triangular_in_place(l, z.as_mut(), par);
        solve_upper_triangular_in_place(l.transpose(), z.as_mut(), par);
        let mut out = vec![0.0; m + 1];
        for i in 0..m {
            out[i + 1] = z[(i, 0)];
        }
        out
    }
}

/// The equality part of the Newton system: Z = B⁻¹Eᵀ and the Cholesky factor of K = E B⁻¹ Eᵀ.
struct EqualitySchur {
    /// Z, one column per equality (entries 1..=m; entry 0 is 0).
    z: Vec<Vec<f64>>,
    /// Cholesky factor of K (lower).
    k: Mat<f64>,
}

impl EqualitySchur {
    /// None when there are no equalities or K cannot be factored even with a small shift.
    fn new(p: &SdpProblem, fs: &mut FactoredSchur) -> Option<EqualitySchur> {
        let l = p.equalities.len();
        if l == 0 {
            return None;
        }
        let m = p.num_vars;
        let z: Vec<Vec<f64>> = p
            .equalities
            .iter()
            .map(|row| {
                let mut e = vec![0.0; m + 1];
                for &(i, c) in row {
                    if i > 0 {
                        e[i as usize] += c;
                    }
                }
                fs.solve(&e)
            })
            .collect();
        let mut k = Mat::from_fn(l, l, |i, j| {
            p.equalities[i]
                .iter()
                .filter(|(v, _)| *v > 0)
                .map(|&(v, c)| c * z[j][v as usize])
                .sum::<f64>()
        });
        let kmax = (0..l).map(|i| k[(i, i)].abs()).fold(0.0, f64::max);
        for shift in [0.0, 1e-14, 1e-12, 1e-10, 1e-8] {
            let mut t = k.clone();
            for i in 0..l {
                t[(i, i)] += shift * kmax;
            }
            if let Ok(llt) = t.llt(Side::Lower) {
                k = llt.L().to_owned();
                return Some(EqualitySchur { z, k });
            }
        }
        None
    }

    /// Solve B Δx − EᵀΔw = h, E Δx = r_e given Δx₀ = B⁻¹h in `dx`: Δw = K⁻¹(r_e − E Δx₀),
    /// Δx = Δx₀ + Z Δw (updated in place). Returns Δw.
    fn correct(&self, p: &SdpProblem, dx: &mut [f64], re: &[f64]) -> Vec<f64> {
        let l = self.z.len();
        let mut t = Mat::from_fn(l, 1, |i, _| re[i] - Self::e_times(p, i, dx));
        solve_lower_triangular_in_place(self.k.as_ref(), t.as_mut(), Par::Seq);
        solve_upper_triangular_in_place(self.k.as_ref().transpose(), t.as_mut(), Par::Seq);
        let dw: Vec<f64> = (0..l).map(|i| t[(i, 0)]).collect();
        for (zj, &wj) in self.z.iter().zip(&dw) {
            for (d, zv) in dx.iter_mut().zip(zj) {
                *d += wj * zv;
            }
        }
        dx[0] = 0.0;
        dw
    }

    /// (E v)_i over the variables (entry 0 of v ignored).
    fn e_times(p: &SdpProblem, i: usize, v: &[f64]) -> f64 {
        p.equalities[i]
            .iter()
            .filter(|(j, _)| *j > 0)
            .map(|&(j, c)| c * v[j as usize])
            .sum()
    }
}

/// Measures of an iterate.
#[derive(Clone, Copy, Debug)]
struct Measures {
    pobj: f64,
    dobj: f64,
    pinf: f64,
    dinf: f64,
    gap: f64,
    /// Complementarity ⟨X, Y⟩ / (1 + |pobj| + |dobj|). It differs from `gap` by x·(c − A(Y)): requiring both
    /// small keeps a dual residual multiplied by a large x from passing for a small gap.
    compl: f64,
}

impl Measures {
    fn worst(&self) -> f64 {
        self.pinf.max(self.dinf).max(self.gap).max(self.compl)
    }
}

/// Solve an SDP from the standard starting point X = ξI, Y = ηI (ξ, η from the norms of the data, as SDPA and
/// CSDP do). Never panics on numerical trouble: the status says how the solve ended, and the best iterate found
/// is returned. Errors only when the problem would not fit in `settings.max_memory_bytes`.
pub fn solve(problem: &SdpProblem, settings: &SdpSettings) -> Result<SdpSolution> {
    solve_monitored(problem, settings, StartPoint::Standard, &mut |_| {
        ControlFlow::Continue(())
    })
}

/// Solve an SDP from a primal point x₀ (one value per variable), e.g. the moments of a probability measure for a
/// moment relaxation ([`crate::relax::moment::MomentRelaxation::gaussian_start`]).
///
/// Each block starts at X(x₀) where that is safely positive definite (λ_min > 10⁻³‖X‖) and is otherwise shifted
/// into the interior; the dual starts on the central path, Y₀ = μ₀ X₀⁻¹, with μ₀ = 3(1 + |c·x₀|)/n, n the total
/// block dimension (a duality gap of three times the size of the starting objective; the factor 3 saves 8–10% of
/// the iterations at order 4 and is neutral at orders 2 and 3). Errors on a wrong length or a value
/// that is not finite; otherwise as [`solve`].
pub fn solve_from(problem: &SdpProblem, settings: &SdpSettings, x0: &[f64]) -> Result<SdpSolution> {
    solve_monitored(problem, settings, StartPoint::Primal(x0), &mut |_| {
        ControlFlow::Continue(())
    })
}

/// Solve an SDP from an iterate kept by an earlier solve of the same constraints ([`SdpSettings::warm_start_gap`]),
/// with a slightly different objective: the primal point and the slack X stay feasible, the dual Y is kept and
/// only its residual changes with the objective. This pays only for a small change: the kept iterate is close
/// to the boundary of the cone. On random SDPs (tests/sdp_solver.rs) an objective moved by 10⁻³ of its size
/// took 4–5 iterations instead of 12–17, one moved by its whole size 26–33 instead of 13–15. Errors when the
/// iterate does not have the problem's shape (number of variables, blocks and their sizes, equality
/// constraints); otherwise as [`solve`].
pub fn solve_warm(
    problem: &SdpProblem,
    settings: &SdpSettings,
    start: &WarmStart,
) -> Result<SdpSolution> {
    solve_monitored(problem, settings, StartPoint::Warm(start), &mut |_| {
        ControlFlow::Continue(())
    })
}

/// Where a solve starts: the three starts of [`solve`], [`solve_from`] and [`solve_warm`].
#[derive(Clone, Copy, Debug)]
pub enum StartPoint<'a> {
    /// X = ξI, Y = ηI ([`solve`]).
    Standard,
    /// X(x₀), Y = μ₀X⁻¹ ([`solve_from`]).
    Primal(&'a [f64]),
    /// An iterate kept by an earlier solve of the same constraints ([`solve_warm`]).
    Warm(&'a WarmStart),
}

/// Solve an SDP from `start` (errors as [`solve_from`] and [`solve_warm`] for their starts), showing
/// `monitor` every iterate ([`IterationInfo`], the starting point included) before the solver decides
/// whether to stop there. When the monitor returns [`ControlFlow::Break`], the solve ends with
/// [`SdpStatus::Interrupted`] and the iterate the monitor was shown, unless that iterate is optimal or
/// certifies infeasibility (then that status). The monitor runs on the solver's thread (a rayon worker),
/// hence `Send`; it may watch a flag set elsewhere (a signal handler, a user interface).
pub fn solve_monitored(
    problem: &SdpProblem,
    settings: &SdpSettings,
    start: StartPoint,
    monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
) -> Result<SdpSolution> {
    let from = match start {
        StartPoint::Standard => Start::Standard,
        StartPoint::Primal(x0) => {
            if x0.len() != problem.num_vars() {
                return Err(Error::InvalidInput(format!(
                    "the starting point has {} values, the SDP has {} variables",
                    x0.len(),
                    problem.num_vars()
                )));
            }
            if let Some(i) = x0.iter().position(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "value {} of the starting point is not finite",
                    i + 1
                )));
            }
            Start::Primal(x0)
        }
        StartPoint::Warm(start) => {
            let it = &start.iterate;
            let fits = |m: &[BlockMatrix]| {
                m.len() == problem.blocks.len()
                    && m.iter().zip(&problem.blocks).all(|(b, p)| {
                        b.dim() == p.dim()
                            && matches!(b, BlockMatrix::Diagonal(_)) == p.is_diagonal()
                    })
            };
            if it.x.len() != problem.num_vars()
                || it.w.len() != problem.equalities.len()
                || !fits(&it.xs)
                || !fits(&it.ys)
            {
                return Err(Error::InvalidInput(
                    "the warm start was kept from an SDP of another shape".into(),
                ));
            }
            Start::Iterate(it)
        }
    };
    if let Some(t) = settings.time_limit.filter(|t| t.is_nan() || *t < 0.0) {
        return Err(Error::InvalidInput(format!(
            "the time limit must be a nonnegative number of seconds, got {t}"
        )));
    }
    check_memory(problem, settings)?;
    Ok(with_workers_awake(settings.busy_wait, || {
        Ipm::new(problem, settings).run(from, monitor)
    }))
}

/// An iterate kept by a solve to start another one ([`solve_warm`]).
#[derive(Clone, Debug)]
pub struct WarmStart {
    iterate: Iterate,
}

/// Where the interior-point method starts.
enum Start<'a> {
    /// X = ξI, Y = ηI.
    Standard,
    /// X(x₀), Y = μ₀X⁻¹.
    Primal(&'a [f64]),
    /// A kept iterate.
    Iterate(&'a Iterate),
}

/// Run `f` on a rayon worker while another worker busy-waits for its parallel work ([`SdpSettings::busy_wait`]).
///
/// An iteration has several short parallel regions (the Schur complement's assembly, step lengths, the
/// factorization of a large B) separated by sequential work. Between them rayon's workers go to sleep, and
/// waking one costs ~100 µs on the 2-core machine of docs/BENCHMARKS.md (a `rayon::join` of two 20 µs tasks
/// after 1 ms of sequential work: 128 µs; with a busy-waiting worker: 24 µs), a tenth of an iteration of the
/// order-3 (1,1,1) relaxation. So `f` runs inside a rayon scope, and a spawned keeper job polls the pool for work
/// (`rayon::yield_now`) until `f` returns; OpenBLAS's threads, under CSDP, wait the same way.
///
/// Only when called from outside the pool, with at least two threads: a solve already on a worker (solves run
/// in parallel) leaves the pool as it is. The keeper exits at once if it is run by `f`'s own thread (a thread
/// waiting for stolen work may pick it up), where spinning would block `f`.
fn with_workers_awake<R: Send>(enabled: bool, f: impl FnOnce() -> R + Send) -> R {
    use std::sync::atomic::{AtomicBool, Ordering};
    if !enabled || rayon::current_thread_index().is_some() || rayon::current_num_threads() < 2 {
        return f();
    }
    let done = AtomicBool::new(false);
    rayon::scope(|scope| {
        // The worker that runs `f` (this closure runs on a worker).
        let owner = rayon::current_thread_index();
        let done = &done;
        scope.spawn(move |_| {
            if rayon::current_thread_index() == owner {
                return;
            }
            while !done.load(Ordering::Acquire) {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    std::hint::spin_loop();
                }
            }
        });
        // Set on every exit, a panic of `f` included: the scope waits for the keeper before it returns.
        struct Done<'a>(&'a AtomicBool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Release);
            }
        }
        let _done = Done(done);
        f()
    })
}

fn check_memory(problem: &SdpProblem, settings: &SdpSettings) -> Result<()> {
    let need = problem.memory_estimate();
    if need > settings.max_memory_bytes {
        return Err(Error::TooLarge(format!(
            "the SDP has {} variables and needs about {:.1} GB (limit {:.1} GB)",
            problem.num_vars(),
            need as f64 / 1e9,
            settings.max_memory_bytes as f64 / 1e9
        )));
    }
    Ok(())
}

/// faer's implicit parallelism (its global setting, used by the `*` operator, `llt`, `inverse`, eigenvalues) is
/// switched off while a solve runs and restored afterwards: the per-block work on small matrices lost up to a
/// third of a solve's time to thread wake-ups. The solver parallelizes explicitly where it pays (the Schur
/// complement's assembly, factorization and solves).
struct SequentialFaer(Par);

impl SequentialFaer {
    fn new() -> Self {
        let previous = faer::get_global_parallelism();
        faer::set_global_parallelism(Par::Seq);
        SequentialFaer(previous)
    }
}

impl Drop for SequentialFaer {
    fn drop(&mut self) {
        faer::set_global_parallelism(self.0);
    }
}

struct Ipm<'a> {
    p: &'a SdpProblem,
    s: &'a SdpSettings,
    par: Par,
    /// The two sides' step lengths are computed in parallel only when the blocks are large enough to repay it.
    parallel_blocks: bool,
    /// Blocks whose step lengths are exact (small dense and diagonal), and those found by bisection.
    exact_step_blocks: Vec<usize>,
    bisection_blocks: Vec<usize>,
    n: f64,
    c_norm: f64,
    c0_norm: f64,
}

#[derive(Clone, Debug)]
struct Iterate {
    x: Vec<f64>,
    xs: Vec<BlockMatrix>,
    ys: Vec<BlockMatrix>,
    /// Multipliers of the equality constraints.
    w: Vec<f64>,
}

impl<'a> Ipm<'a> {
    fn new(p: &'a SdpProblem, s: &'a SdpSettings) -> Self {
        let c0 = p.blocks.iter().map(|b| {
            let mut e = vec![0.0; p.num_vars + 1];
            e[0] = 1.0;
            b.affine(&e)
        });
        let c0_norm = c0.map(|b| b.norm().powi(2)).sum::<f64>().sqrt();
        let (bisection_blocks, exact_step_blocks): (Vec<usize>, Vec<usize>) = (0..p.blocks.len())
            .partition(|&k| !p.blocks[k].is_diagonal() && p.blocks[k].dim() > STEP_EIGEN_MAX);
        Ipm {
            p,
            s,
            exact_step_blocks,
            bisection_blocks,
            parallel_blocks: p
                .blocks
                .iter()
                .map(|b| (b.dim() as f64).powi(3))
                .sum::<f64>()
                >= PARALLEL_BLOCKS_MIN_FLOPS,
            par: if p.num_vars < PARALLEL_SCHUR_MIN {
                Par::Seq
            } else {
                Par::rayon(0)
            },
            n: p.total_dim() as f64,
            c_norm: norm2(&p.objective[1..]),
            c0_norm,
        }
    }

    /// The starting point from a primal x₀ (see [`solve_from`]).
    fn initial_from(&self, x0: &[f64]) -> Iterate {
        let full = full_vector(x0);
        let mut xs = Vec::with_capacity(self.p.blocks.len());
        let mut shifted = 0;
        for b in &self.p.blocks {
            let mut xb = b.affine(&full);
            let scale = xb.norm().max(1.0);
            if !scale.is_finite() {
                // x₀ too large for this block's data: start it at the identity.
                shifted += 1;
                xs.push(BlockMatrix::identity(b.dim(), b.is_diagonal(), 1.0));
                continue;
            }
            match &mut xb {
                BlockMatrix::Dense(m) => {
                    let lmin = symmetric_eigenvalues(m.as_ref())
                        .first()
                        .copied()
                        .unwrap_or(0.0);
                    if lmin.is_nan() || lmin <= START_MARGIN * scale {
                        shifted += 1;
                        let shift = START_SHIFT * scale - lmin.min(0.0);
                        for i in 0..m.nrows() {
                            m[(i, i)] += shift;
                        }
                    }
                }
                BlockMatrix::Diagonal(d) => {
                    for v in d.iter_mut().filter(|v| **v <= START_MARGIN * scale) {
                        shifted += 1;
                        *v = START_SHIFT * scale;
                    }
                }
            }
            xs.push(xb);
        }
        let mu0 = START_MU_FACTOR * (1.0 + self.p.primal_objective(x0).abs()) / self.n;
        if self.s.verbose {
            eprintln!(
                "initial point: X(x₀), {shifted} of {} blocks (or diagonal entries) shifted into the interior; Y = μ₀X⁻¹, μ₀ = {mu0:.3e}",
                self.p
                    .blocks
                    .iter()
                    .map(|b| if b.is_diagonal() { b.dim() } else { 1 })
                    .sum::<usize>()
            );
        }
        let ys = xs
            .iter()
            .map(|xb| {
                let mut yb = Factor::new(xb).map(|f| f.inverse()).unwrap_or_else(|| {
                    BlockMatrix::identity(xb.dim(), matches!(xb, BlockMatrix::Diagonal(_)), 1.0)
                });
                scale_block(&mut yb, mu0);
                yb
            })
            .collect();
        Iterate {
            x: x0.to_vec(),
            xs,
            ys,
            w: vec![0.0; self.p.equalities.len()],
        }
    }

    fn initial(&self) -> Iterate {
        let m = self.p.num_vars;
        let mut sq = vec![0.0; m + 1];
        for b in &self.p.blocks {
            b.squared_norms_add(&mut sq);
        }
        let norms: Vec<f64> = sq.iter().map(|v| v.sqrt()).collect();
        let c = &self.p.objective;
        let alpha = (1..=m)
            .map(|i| (1.0 + c[i].abs()) / (1.0 + norms[i]))
            .fold(0.0, f64::max)
            * self.n;
        let beta = (1.0 + norms.iter().fold(0.0f64, |a, &b| a.max(b))) / self.n.sqrt();
        let (xi, eta) = (10.0 * beta.max(1.0), 10.0 * alpha.max(1.0));
        if self.s.verbose {
            eprintln!("initial point: X = {xi:.3e} I, Y = {eta:.3e} I");
        }
        Iterate {
            x: vec![0.0; m],
            xs: self
                .p
                .blocks
                .iter()
                .map(|b| BlockMatrix::identity(b.dim(), b.is_diagonal(), xi))
                .collect(),
            ys: self
                .p
                .blocks
                .iter()
                .map(|b| BlockMatrix::identity(b.dim(), b.is_diagonal(), eta))
                .collect(),
            w: vec![0.0; self.p.equalities.len()],
        }
    }

    /// Residuals of an iterate: R_p = X(x) − X (blocks), A(Y) (full), and the measures.
    fn measure(&self, it: &Iterate) -> (Vec<BlockMatrix>, Vec<f64>, Measures) {
        let full = full_vector(&it.x);
        let mut rp: Vec<BlockMatrix> = self.p.blocks.iter().map(|b| b.affine(&full)).collect();
        for (r, x) in rp.iter_mut().zip(&it.xs) {
            r.axpy(-1.0, x);
        }
        let mut aty = self.p.adjoint(&it.ys);
        self.p.equality_adjoint_add(&it.w, &mut aty);
        let eq = self.p.equality_residual(&full);
        let c = &self.p.objective;
        let pobj = self.p.primal_objective(&it.x);
        let dobj = c[0] - aty[0];
        let rd: f64 = c[1..]
            .iter()
            .zip(&aty[1..])
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        let meas = Measures {
            pobj,
            dobj,
            pinf: (blocks_norm(&rp).powi(2) + eq.iter().map(|v| v * v).sum::<f64>()).sqrt()
                / (1.0 + self.c0_norm),
            dinf: rd / (1.0 + self.c_norm),
            gap: (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs()),
            compl: blocks_dot(&it.xs, &it.ys).abs() / (1.0 + pobj.abs() + dobj.abs()),
        };
        (rp, aty, meas)
    }

    fn solution(
        &self,
        it: Iterate,
        meas: Measures,
        status: SdpStatus,
        iterations: usize,
        start: Instant,
    ) -> SdpSolution {
        SdpSolution {
            status,
            x: it.x,
            primal_slack: it.xs,
            dual: it.ys,
            equality_multipliers: it.w,
            primal_objective: meas.pobj,
            dual_objective: meas.dobj,
            residuals: SdpResiduals {
                primal_infeasibility: meas.pinf,
                dual_infeasibility: meas.dinf,
                relative_gap: meas.gap,
            },
            iterations,
            seconds: start.elapsed().as_secs_f64(),
            warm_start: None,
            valid_bound: None,
        }
    }

    /// Measures that decrease while the iterate diverges along an infeasibility certificate: ‖A(Y)‖/τ with
    /// τ = −⟨C₀, Y⟩ (primal), and (1 + ‖c‖)/τ with τ = −c·x (dual); +∞ when τ ≤ 0.
    fn certificate_measures(&self, it: &Iterate, aty: &[f64]) -> (f64, f64) {
        let tau_p = -aty[0];
        let cert_p = if tau_p > 0.0 {
            norm2(&aty[1..]) / tau_p
        } else {
            f64::INFINITY
        };
        let tau_d = -(self.p.primal_objective(&it.x) - self.p.objective[0]);
        let cert_d = if tau_d > 0.0 {
            (1.0 + self.c_norm) / tau_d
        } else {
            f64::INFINITY
        };
        (cert_p, cert_d)
    }

    /// Check for certificates of infeasibility at the current iterate.
    fn infeasibility(&self, it: &Iterate, aty: &[f64]) -> Option<SdpStatus> {
        let tol = self.s.infeasibility_tolerance;
        // Primal infeasible: Y/τ with τ = −⟨C₀, Y⟩ > 0 has A(Y/τ) ≈ 0.
        let tau = -aty[0];
        if tau > 0.0 && norm2(&aty[1..]) / tau < tol {
            return Some(SdpStatus::PrimalInfeasible);
        }
        // Dual infeasible: d = x/τ with τ = −c·x > 0 has Σ dᵢFᵢ ⪰ 0.
        let tau = -(self.p.primal_objective(&it.x) - self.p.objective[0]);
        let xnorm = norm2(&it.x);
        if tau > 0.0 && xnorm > 1e6 && tau / xnorm > tol {
            let mut d = vec![0.0; it.x.len() + 1];
            for (di, xi) in d[1..].iter_mut().zip(&it.x) {
                *di = xi / tau;
            }
            let lin: Vec<BlockMatrix> = self.p.blocks.iter().map(|b| b.affine(&d)).collect();
            let scale = blocks_norm(&lin).max(f64::MIN_POSITIVE);
            let lmin = lin
                .iter()
                .map(BlockMatrix::min_eigenvalue)
                .fold(f64::INFINITY, f64::min);
            if lmin / scale > -tol {
                return Some(SdpStatus::DualInfeasible);
            }
        }
        None
    }

    /// The solve, with the iterate kept for a warm start attached ([`SdpSettings::warm_start_gap`]).
    fn run(
        &self,
        start: Start,
        monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
    ) -> SdpSolution {
        let mut kept = None;
        let mut solution = self.iterate(start, &mut kept, monitor);
        solution.warm_start = kept;
        solution
    }

    fn iterate(
        &self,
        from: Start,
        kept: &mut Option<WarmStart>,
        monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
    ) -> SdpSolution {
        let _sequential = SequentialFaer::new();
        let start = Instant::now();
        let m = self.p.num_vars;
        let nb = self.p.blocks.len();
        let mut it = match from {
            Start::Primal(x0) => self.initial_from(x0),
            Start::Standard => self.initial(),
            Start::Iterate(it) => {
                if self.s.verbose {
                    eprintln!(
                        "initial point: an iterate kept from a solve of the same constraints"
                    );
                }
                it.clone()
            }
        };
        let mut schur = SchurMatrix::zeros(m + 1);
        let mut sparse = if self.s.sparse_schur {
            SparseSchur::new(self.p)
        } else {
            None
        };
        if self.s.verbose
            && let Some(sp) = &sparse
        {
            eprintln!("Schur complement: {}", sp.describe());
        }
        let mut best: Option<(Iterate, Measures)> = None;
        let mut stall = 0usize;
        let mut near_stall = 0usize;
        let mut progress = [f64::INFINITY; 5];
        let tol = self.s.tolerance;
        // Seconds spent in assembly, factorization, and the rest of the Newton steps (shown with `verbose`).
        let mut timing = [0.0f64; 3];

        for iter in 0..=self.s.max_iterations {
            let (rp, aty, meas) = self.measure(&it);
            if kept.is_none()
                && self.s.warm_start_gap > 0.0
                && meas.worst() <= self.s.warm_start_gap
            {
                *kept = Some(WarmStart {
                    iterate: it.clone(),
                });
            }
            let mu_now = blocks_dot(&it.xs, &it.ys) / self.n;
            if self.s.verbose {
                eprintln!(
                    "{iter:3}  pobj {:+.9e}  dobj {:+.9e}  pinf {:.2e}  dinf {:.2e}  gap {:.2e}  μ {:.2e}",
                    meas.pobj, meas.dobj, meas.pinf, meas.dinf, meas.gap, mu_now
                );
            }
            let interrupted = monitor(&IterationInfo {
                iteration: iter,
                primal_objective: meas.pobj,
                dual_objective: meas.dobj,
                relative_gap: meas.gap,
                complementarity: meas.compl,
                primal_infeasibility: meas.pinf,
                dual_infeasibility: meas.dinf,
                seconds: start.elapsed().as_secs_f64(),
            })
            .is_break();
            // Progress: a 10% decrease, below the best seen so far, of the infeasibility, the gap, μ, or of the
            // measures of the infeasibility certificates (the iterate diverging along a certificate is progress).
            let (cert_p, cert_d) = self.certificate_measures(&it, &aty);
            let now = [meas.pinf.max(meas.dinf), meas.gap, mu_now, cert_p, cert_d];
            let improved = now.iter().zip(&progress).any(|(v, b)| *v < 0.9 * b);
            for (b, v) in progress.iter_mut().zip(now) {
                *b = b.min(v);
            }
            let best_worst = best.as_ref().map_or(f64::INFINITY, |(_, b)| b.worst());
            near_stall = if meas.worst() < 0.9 * best_worst {
                0
            } else {
                near_stall + 1
            };
            if meas.worst() <= best_worst {
                best = Some((it.clone(), meas));
            }
            stall = if improved { 0 } else { stall + 1 };
            if self.s.verbose && (meas.worst() <= tol || iter == self.s.max_iterations) {
                eprintln!(
                    "time: assembly {:.3} s, factorization {:.3} s, directions {:.3} s, total {:.3} s",
                    timing[0],
                    timing[1],
                    timing[2],
                    start.elapsed().as_secs_f64()
                );
            }
            if meas.worst() <= tol {
                return self.solution(it, meas, SdpStatus::Optimal, iter, start);
            }
            if let Some(status) = self.infeasibility(&it, &aty) {
                return self.solution(it, meas, status, iter, start);
            }
            if interrupted {
                return self.solution(it, meas, SdpStatus::Interrupted, iter, start);
            }
            if iter == self.s.max_iterations {
                break;
            }
            if self
                .s
                .time_limit
                .is_some_and(|t| start.elapsed().as_secs_f64() >= t)
            {
                return self.finish_best(best, SdpStatus::TimeLimit, iter, start);
            }
            let near_optimal = best_worst.min(meas.worst()) <= 1e3 * tol;
            if stall >= STALL_ITERATIONS
                || (near_optimal && near_stall >= NEAR_OPTIMAL_STALL_ITERATIONS)
            {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            }

            // Factor X and Y; G = X⁻¹.
            // The two sides in parallel (the largest block's factorization and inverse dominate each).
            let factor_all =
                |m: &[BlockMatrix]| -> Option<Vec<Factor>> { m.iter().map(Factor::new).collect() };
            let (fx, fy) = rayon::join(|| factor_all(&it.xs), || factor_all(&it.ys));
            let (Some(fx), Some(fy)) = (fx, fy) else {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            };
            let g: Vec<BlockMatrix> = fx.iter().map(Factor::inverse).collect();

            let mut assemble = |b: &mut SchurMatrix| {
                schur::assemble_schur(&self.p.blocks, &g, &it.ys, b);
            };
            let t0 = Instant::now();
            assemble(&mut schur);
            let t1 = Instant::now();
            let mut fs = FactoredSchur {
                b: &mut schur,
                sparse: sparse.as_mut(),
            };
            if !fs.factor(self.par, &mut assemble) {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            }
            timing[0] += (t1 - t0).as_secs_f64();
            timing[1] += t1.elapsed().as_secs_f64();
            let t2 = Instant::now();

            let mu = mu_now;
            let eqs = EqualitySchur::new(self.p, &mut fs);
            // E = sym(Y R_p G), shared by predictor and corrector.
            let e: Vec<BlockMatrix> = (0..nb)
                .map(|k| sym_product3(&it.ys[k], &rp[k], &g[k]))
                .collect();

            // Direction for target μ_t and second-order term `corr` (blocks or none).
            let direction =
                |fs: &mut FactoredSchur, mu_t: f64, corr: Option<&[BlockMatrix]>| -> Direction {
                    // μ_t G, used by the right-hand side and by ΔY.
                    let mu_g: Vec<BlockMatrix> = g
                        .iter()
                        .map(|gk| {
                            let mut t = gk.clone();
                            scale_block(&mut t, mu_t);
                            t
                        })
                        .collect();
                    // rhs = A(μ_t G − corr − E) − c
                    let mut rhs = vec![0.0; m + 1];
                    for k in 0..nb {
                        let mut mk = mu_g[k].clone();
                        mk.axpy(-1.0, &e[k]);
                        if let Some(c) = corr {
                            mk.axpy(-1.0, &c[k]);
                        }
                        self.p.blocks[k].adjoint_add(&mk, &mut rhs);
                    }
                    for (r, c) in rhs.iter_mut().zip(&self.p.objective).skip(1) {
                        *r -= c;
                    }
                    // With equalities: B Δx − EᵀΔw = rhs + Eᵀw and E Δx = −E x.
                    self.p.equality_adjoint_add(&it.w, &mut rhs);
                    rhs[0] = 0.0;
                    let mut dx = fs.solve(&rhs);
                    let dw = eqs.as_ref().map(|q| {
                        // r_e = −E x; then iterative refinement of the saddle-point system with B applied
                        // exactly from the data (the factorization of B may carry a small shift).
                        let re: Vec<f64> = self
                            .p
                            .equality_residual(&full_vector(&it.x))
                            .iter()
                            .map(|v| -v)
                            .collect();
                        let mut dw = q.correct(self.p, &mut dx, &re);
                        for _ in 0..3 {
                            let bdx = self.apply_schur(&g, &it.ys, &dx);
                            let mut etw = vec![0.0; m + 1];
                            self.p.equality_adjoint_add(&dw, &mut etw);
                            let mut r1: Vec<f64> =
                                (0..=m).map(|i| rhs[i] - (bdx[i] - etw[i])).collect();
                            r1[0] = 0.0;
                            let r2: Vec<f64> = (0..re.len())
                                .map(|i| re[i] - EqualitySchur::e_times(self.p, i, &dx))
                                .collect();
                            let mut ddx = fs.solve(&r1);
                            let ddw = q.correct(self.p, &mut ddx, &r2);
                            for (a, b) in dx.iter_mut().zip(&ddx) {
                                *a += b;
                            }
                            for (a, b) in dw.iter_mut().zip(&ddw) {
                                *a += b;
                            }
                        }
                        dw
                    });
                    // ΔX = A*(Δx) + R_p ; ΔY = μ_t G − Y − sym(G ΔX Y) − corr
                    let mut dxs = Vec::with_capacity(nb);
                    let mut dys = Vec::with_capacity(nb);
                    for k in 0..nb {
                        let mut dxk = self.p.blocks[k].affine(&dx);
                        dxk.axpy(1.0, &rp[k]);
                        let mut dyk = sym_product3(&g[k], &dxk, &it.ys[k]);
                        scale_block(&mut dyk, -1.0);
                        dyk.axpy(1.0, &mu_g[k]);
                        dyk.axpy(-1.0, &it.ys[k]);
                        if let Some(c) = corr {
                            dyk.axpy(-1.0, &c[k]);
                        }
                        dxs.push(dxk);
                        dys.push(dyk);
                    }
                    (dx, dxs, dys, dw)
                };
            // Refinement by preconditioned conjugate gradients of the direction that is taken (the predictor and
            // the trial correctors only set step lengths and σ).
            let refine_direction =
                |fs: &mut FactoredSchur,
                 d: Direction|
                 -> (Vec<f64>, Vec<BlockMatrix>, Vec<BlockMatrix>, Vec<f64>, bool) {
                    let (mut dx, mut dxs, mut dys, dw) = d;
                    // Refinement by preconditioned conjugate gradients: the Newton residual A(ΔY) − r_d equals
                    // rhs − BΔx with B applied exactly (from the data, not the assembled matrix); the Cholesky factor
                    // is the preconditioner. Near the optimum B is ill-conditioned (and may need a shift to factor),
                    // and one solve leaves an error that would pollute the dual residual.
                    let ady = self.p.adjoint(&dys);
                    let mut r = vec![0.0; m + 1];
                    for i in 1..=m {
                        r[i] = ady[i] - (self.p.objective[i] - aty[i]);
                    }
                    let target = 1e-3 * tol * (1.0 + self.c_norm);
                    let refined = if dw.is_none() {
                        self.refine(fs, &g, &it.ys, &r, target)
                    } else {
                        None // the refinement solves B alone; with equalities the system is the saddle point
                    };
                    let changed = refined.is_some();
                    if let Some(delta) = refined {
                        for (a, d) in dx.iter_mut().zip(&delta) {
                            *a += d;
                        }
                        for k in 0..nb {
                            let ak = self.p.blocks[k].affine(&delta);
                            dys[k].axpy(-1.0, &sym_product3(&g[k], &ak, &it.ys[k]));
                            dxs[k].axpy(1.0, &ak);
                        }
                    }
                    (dx, dxs, dys, dw.unwrap_or_default(), changed)
                };
            // Maximal step lengths (primal and dual side in parallel when the blocks are large).
            let steps = |dxs: &[BlockMatrix], dys: &[BlockMatrix]| -> (f64, f64) {
                // The running minimum is passed on as a bound: a block that does not bind below it (most of
                // them) is settled by one factorization. Small and diagonal blocks come first: their steps are
                // exact and cheap, and a large block (bisection) then rarely needs more than one test.
                let side = |f: &[Factor], x: &[BlockMatrix], d: &[BlockMatrix]| {
                    self.exact_step_blocks
                        .iter()
                        .chain(&self.bisection_blocks)
                        .fold(STEP_CAP, |b, &k| b.min(f[k].max_step(&x[k], &d[k], b)))
                };
                if self.parallel_blocks {
                    rayon::join(|| side(&fx, &it.xs, dxs), || side(&fy, &it.ys, dys))
                } else {
                    (side(&fx, &it.xs, dxs), side(&fy, &it.ys, dys))
                }
            };

            // Predictor.
            let (_, dxp, dyp, _) = direction(&mut fs, 0.0, None);
            let (ap, ad) = steps(&dxp, &dyp);
            let (ap, ad) = (ap.min(1.0), ad.min(1.0));
            let predictor_steps = (ap, ad);
            let mut gap_aff = 0.0;
            for k in 0..nb {
                let mut xk = it.xs[k].clone();
                xk.axpy(ap, &dxp[k]);
                let mut yk = it.ys[k].clone();
                yk.axpy(ad, &dyp[k]);
                gap_aff += xk.dot(&yk);
            }
            // Mehrotra's σ, kept from driving μ to zero while the iterate is still far from feasible
            // (an aggressive μ with a large dual residual loses centrality and stalls).
            let infeasible = meas.pinf.max(meas.dinf) > tol;
            let floor = if infeasible {
                SIGMA_FLOOR_INFEASIBLE
            } else {
                0.0
            };
            // The exponent (SDPT3's rule): 3 after long predictor steps, down to 1 after short ones, where an
            // aggressive σ would lose centrality (problems without strict complementarity, e.g. SDPLIB's hinf).
            let expon = (3.0 * ap.min(ad).powi(2)).max(1.0);
            let sigma = ((gap_aff / self.n) / mu)
                .clamp(0.0, 1.0)
                .powf(expon)
                .max(floor);
            // Corrector: second-order term sym(G ΔX_p ΔY_p).
            let corr: Vec<BlockMatrix> = (0..nb)
                .map(|k| sym_product3(&g[k], &dxp[k], &dyp[k]))
                .collect();
            let mut chosen = direction(&mut fs, sigma * mu, Some(&corr));
            let (mut ap, mut ad) = steps(&chosen.1, &chosen.2);
            // Centrality correctors (Gondzio): aim at the longer steps α + δ, move the eigenvalues of the scaled
            // complementarity product at that trial point back into [β_lo, β_hi]·σμ, and keep the corrected
            // direction if it lengthens the steps by a useful amount. Each costs one more solve with the factor.
            // Near the optimum the correction terms grow like X⁻¹ and cost accuracy in the dual residual, so
            // correctors stop once the iterate is within CENTRALITY_CUTOFF.
            let mut corr = corr;
            let correctors = if meas.worst() > CENTRALITY_CUTOFF && m >= self.s.centrality_min_vars
            {
                self.s.centrality_correctors
            } else {
                0
            };
            for _ in 0..correctors {
                if ap >= 1.0 && ad >= 1.0 {
                    break;
                }
                let delta = CENTRALITY_STEP_INCREASE;
                let (tp, td) = ((ap + delta).min(1.0), (ad + delta).min(1.0));
                let mut corr2 = corr.clone();
                for k in 0..nb {
                    let kk = fx[k].centrality_correction(
                        &it.xs[k],
                        &it.ys[k],
                        &chosen.1[k],
                        &chosen.2[k],
                        tp,
                        td,
                        sigma * mu,
                    );
                    corr2[k].axpy(-1.0, &kk);
                }
                let cand = direction(&mut fs, sigma * mu, Some(&corr2));
                let (ap2, ad2) = steps(&cand.1, &cand.2);
                if self.s.verbose {
                    eprintln!(
                        "      centrality corrector: steps ({ap:.3e}, {ad:.3e}) → ({ap2:.3e}, {ad2:.3e})"
                    );
                }
                if ap2.min(1.0) + ad2.min(1.0) >= ap.min(1.0) + ad.min(1.0) + 0.2 * delta {
                    chosen = cand;
                    (ap, ad) = (ap2, ad2);
                    corr = corr2;
                } else {
                    break;
                }
            }
            let (dx, dxs, dys, dw, refined) = refine_direction(&mut fs, chosen);
            // The step lengths of the direction taken: those just computed, unless the refinement changed it.
            let (ap, ad) = if refined { steps(&dxs, &dys) } else { (ap, ad) };
            // Fraction of the step to the boundary: from `step_fraction` after short steps up to 0.99 after full ones.
            let f = self.s.step_fraction.min(0.99);
            let gamma = f + (0.99 - f) * ap.min(ad).min(1.0);
            let ap = (gamma * ap).min(1.0);
            let ad = (gamma * ad).min(1.0);
            if !(ap.is_finite() && ad.is_finite()) || (ap < 1e-12 && ad < 1e-12) {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            }
            if std::env::var_os("POLYACT_DEBUG").is_some() {
                let ady = self.p.adjoint(&dys);
                let err: f64 = (1..=m)
                    .map(|i| (ady[i] - (self.p.objective[i] - aty[i])).powi(2))
                    .sum::<f64>()
                    .sqrt();
                eprintln!("      newton residual ‖A(ΔY) − r_d‖ = {err:.2e}");
            }
            if self.s.verbose {
                let (pp, pd) = predictor_steps;
                eprintln!(
                    "      predictor α_p {pp:.3e}  α_d {pd:.3e}   σ {sigma:.2e}  α_p {ap:.3e}  α_d {ad:.3e}"
                );
            }
            timing[2] += t2.elapsed().as_secs_f64();
            for (xi, di) in it.x.iter_mut().zip(&dx[1..]) {
                *xi += ap * di;
            }
            for (wi, di) in it.w.iter_mut().zip(&dw) {
                *wi += ad * di;
            }
            for k in 0..nb {
                it.xs[k].axpy(ap, &dxs[k]);
                it.ys[k].axpy(ad, &dys[k]);
            }
        }
        self.finish_best(
            best,
            SdpStatus::IterationLimit,
            self.s.max_iterations,
            start,
        )
    }

    /// B v = A(sym(G A*(v) Y)) applied from the data (v[0] is ignored; entry 0 of the result is 0).
    fn apply_schur(&self, g: &[BlockMatrix], ys: &[BlockMatrix], v: &[f64]) -> Vec<f64> {
        let mut v = v.to_vec();
        v[0] = 0.0;
        let mut out = vec![0.0; v.len()];
        for (k, blk) in self.p.blocks.iter().enumerate() {
            let w = sym_product3(&g[k], &blk.affine(&v), &ys[k]);
            blk.adjoint_add(&w, &mut out);
        }
        out[0] = 0.0;
        out
    }

    /// Solve B δ = r approximately by conjugate gradients preconditioned with the Cholesky factor of B;
    /// returns None when r is already below `target` or no iterate improves on δ = 0.
    fn refine(
        &self,
        fs: &mut FactoredSchur,
        g: &[BlockMatrix],
        ys: &[BlockMatrix],
        r0: &[f64],
        target: f64,
    ) -> Option<Vec<f64>> {
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let r0_norm = norm2(r0);
        if r0_norm.is_nan() || r0_norm <= target {
            return None;
        }
        let mut x = vec![0.0; r0.len()];
        let mut r = r0.to_vec();
        let mut z = fs.solve(&r);
        let mut p = z.clone();
        let mut rz = dot(&r, &z);
        let mut best: Option<Vec<f64>> = None;
        let mut best_norm = r0_norm;
        let mut stagnant = 0;
        for _ in 0..MAX_REFINEMENTS {
            let q = self.apply_schur(g, ys, &p);
            let pq = dot(&p, &q);
            if !(pq > 0.0 && rz.is_finite()) {
                break;
            }
            let alpha = rz / pq;
            for i in 0..x.len() {
                x[i] += alpha * p[i];
                r[i] -= alpha * q[i];
            }
            // Stop at the target, on divergence, or after three iterations without halving the residual.
            let rn = norm2(&r);
            stagnant = if rn < 0.5 * best_norm {
                0
            } else {
                stagnant + 1
            };
            if rn < best_norm {
                best_norm = rn;
                best = Some(x.clone());
            }
            if rn <= target || rn > 1e3 * r0_norm || stagnant >= 3 {
                break;
            }
            z = fs.solve(&r);
            let rz_new = dot(&r, &z);
            let beta = rz_new / rz;
            rz = rz_new;
            for i in 0..p.len() {
                p[i] = z[i] + beta * p[i];
            }
        }
        // Accept only if the true residual (recomputed) improved.
        let x = best?;
        let bx = self.apply_schur(g, ys, &x);
        let true_res: Vec<f64> = r0.iter().zip(&bx).map(|(a, b)| a - b).collect();
        if std::env::var_os("POLYACT_DEBUG").is_some() {
            eprintln!(
                "      refinement: Newton residual {r0_norm:.2e} → {:.2e} (recurrence {best_norm:.2e})",
                norm2(&true_res)
            );
        }
        (norm2(&true_res) < r0_norm).then_some(x)
    }

    fn finish_best(
        &self,
        best: Option<(Iterate, Measures)>,
        status: SdpStatus,
        iterations: usize,
        start: Instant,
    ) -> SdpSolution {
        let (it, meas) = best.expect("at least one iterate is measured");
        let status = if meas.worst() <= self.s.tolerance {
            SdpStatus::Optimal
        } else if meas.worst() <= 1e3 * self.s.tolerance {
            SdpStatus::NearOptimal
        } else {
            status
        };
        self.solution(it, meas, status, iterations, start)
    }
}

fn scale_block(b: &mut BlockMatrix, s: f64) {
    match b {
        BlockMatrix::Dense(a) => {
            for j in 0..a.ncols() {
                for v in a.col_as_slice_mut(j) {
                    *v *= s;
                }
            }
        }
        BlockMatrix::Diagonal(d) => d.iter_mut().for_each(|v| *v *= s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::block::symmetric_eigenvalues;

    /// The bisection step agrees with the eigenvalue step −1/λ_min(L⁻¹ΔL⁻ᵀ) (computed on the same block by the
    /// eigenvalue path) to its tolerance, from below, and is capped at STEP_CAP.
    #[test]
    fn bisection_step_matches_eigenvalue_step() {
        let n = 30;
        const { assert!(30 > STEP_EIGEN_MAX) };
        let mut rng = crate::rng::Rng::new(11);
        let mut checked = 0;
        for trial in 0..40 {
            let a = Mat::from_fn(n, n, |_, _| rng.normal());
            let mut x = &a * a.transpose();
            for i in 0..n {
                x[(i, i)] += 0.1;
            }
            let e = Mat::from_fn(n, n, |_, _| rng.normal());
            // Directions from very short to beyond the cap, and one with Δ ⪰ 0.
            let scale = 10f64.powf(-3.0 + 4.0 * rng.uniform());
            let d = if trial == 0 {
                &e * e.transpose()
            } else {
                Mat::from_fn(n, n, |i, j| scale * (e[(i, j)] + e[(j, i)]))
            };
            let (xb, db) = (BlockMatrix::Dense(x.clone()), BlockMatrix::Dense(d.clone()));
            let f = Factor::new(&xb).unwrap();
            let Factor::Dense { l, .. } = &f else {
                unreachable!()
            };
            // Reference through the eigenvalue path of a factor of the same matrix.
            let exact = {
                let mut t = d.clone();
                solve_lower_triangular_in_place(l.as_ref(), t.as_mut(), Par::Seq);
                let mut m = t.transpose().to_owned();
                solve_lower_triangular_in_place(l.as_ref(), m.as_mut(), Par::Seq);
                let sym = Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
                let lmin = symmetric_eigenvalues(sym.as_ref())[0];
                if lmin < 0.0 {
                    -1.0 / lmin
                } else {
                    f64::INFINITY
                }
            };
            let got = f.max_step(&xb, &db, STEP_CAP);
            // With a bound below the step, the bound itself; above, the step.
            if exact < STEP_CAP {
                assert_eq!(f.max_step(&xb, &db, 0.5 * exact), 0.5 * exact);
                let above = f.max_step(&xb, &db, (1.5 * exact).min(STEP_CAP));
                assert!(above <= exact && above >= exact * (1.0 - 1.1e-3));
            }
            if exact >= STEP_CAP {
                assert_eq!(got, STEP_CAP, "trial {trial}: exact {exact}");
            } else {
                assert!(
                    got <= exact * (1.0 + 1e-12),
                    "trial {trial}: {got} > {exact}"
                );
                assert!(
                    got >= exact * (1.0 - 1.1e-3),
                    "trial {trial}: {got} ≪ {exact}"
                );
                checked += 1;
            }
        }
        assert!(checked > 20);
    }

    /// The keeper of [`with_workers_awake`]: the value of `f` comes back, `f` runs on a worker (when the pool
    /// has two threads), its parallel work is done, and a panic in `f` reaches the caller instead of leaving
    /// the keeper spinning (the test would hang).
    #[test]
    fn busy_waiting_pool_returns_results_and_panics() {
        let (sum, on_worker) = with_workers_awake(true, || {
            let (a, b) = rayon::join(
                || (1..=1000u64).sum::<u64>(),
                || (1..=10u64).product::<u64>(),
            );
            (a + b, rayon::current_thread_index().is_some())
        });
        assert_eq!(sum, 500_500 + 3_628_800);
        if rayon::current_num_threads() >= 2 {
            assert!(on_worker, "f runs inside the pool");
        }
        let caught =
            std::panic::catch_unwind(|| with_workers_awake(true, || panic!("inside the solve")));
        assert!(caught.is_err());
        // Disabled: f runs on the calling thread.
        assert_eq!(with_workers_awake(false, rayon::current_thread_index), None);
    }

    /// Blocks up to STEP_EIGEN_MAX get the exact step −1/λ_min(L⁻¹ΔL⁻ᵀ): checked against faer's eigenvalues of
    /// the same congruence, and by X + αΔ being singular (its smallest eigenvalue ≈ 0) at that step.
    #[test]
    fn small_block_step_is_exact() {
        let mut rng = crate::rng::Rng::new(5);
        let mut checked = 0;
        for trial in 0..30 {
            let n = 2 + trial % (STEP_EIGEN_MAX - 1);
            let a = Mat::from_fn(n, n, |_, _| rng.normal());
            let mut x = &a * a.transpose();
            for i in 0..n {
                x[(i, i)] += 0.1;
            }
            let e = Mat::from_fn(n, n, |_, _| rng.normal());
            let d = Mat::from_fn(n, n, |i, j| e[(i, j)] + e[(j, i)]);
            let (xb, db) = (BlockMatrix::Dense(x.clone()), BlockMatrix::Dense(d.clone()));
            let f = Factor::new(&xb).unwrap();
            let got = f.max_step(&xb, &db, STEP_CAP);
            let Factor::Dense { l, .. } = &f else {
                unreachable!()
            };
            let mut linv = Mat::<f64>::identity(n, n);
            solve_lower_triangular_in_place(l.as_ref(), linv.as_mut(), Par::Seq);
            let m = &linv * &d * linv.transpose();
            let sym = Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
            let lmin = symmetric_eigenvalues(sym.as_ref())[0];
            assert!(lmin < 0.0);
            let want = -1.0 / lmin;
            if want >= STEP_CAP {
                assert_eq!(got, STEP_CAP);
                continue;
            }
            assert!((got - want).abs() <= 1e-10 * want, "n={n}: {got} vs {want}");
            checked += 1;
            let at = Mat::from_fn(n, n, |i, j| x[(i, j)] + got * d[(i, j)]);
            let lmin = symmetric_eigenvalues(at.as_ref())[0];
            let scale = symmetric_eigenvalues(x.as_ref())[n - 1];
            assert!(lmin.abs() <= 1e-10 * scale, "n={n}: λ_min(X + αΔ) = {lmin}");
        }
        assert!(checked >= 20);
    }
}
