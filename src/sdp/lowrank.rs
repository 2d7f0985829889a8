//! A low-rank path for block SDPs: a proximal augmented Lagrangian on a Burer–Monteiro factorization of the
//! large blocks of (P), with a lower bound valid by construction ([`crate::sdp::bound`]).
//!
//! A block larger than [`LowRankSettings::project_up_to`] is written X_b(x) = R_b R_bᵀ with R_b of few
//! columns; the others (and diagonal blocks) keep their X_b ⪰ 0, over which the Lagrangian is minimized in
//! closed form by a projection. With E_b = X_b(x) − R_b R_bᵀ (factored) or X_b(x) − Π₊(W_b),
//! W_b = X_b(x) − Y_b/σ (projected),
//!
//! ```text
//!   L_σ(x, R; Y) = cᵀx − Σ_b ⟨Y_b, E_b⟩ + (σ/2) Σ_b ‖E_b‖²  (+ τ/2 ‖x̃ − x̃ₖ‖², τ = proximal/σ).
//! ```
//!
//! An outer iteration minimizes L_σ plus the proximal term over (x, R) by truncated Newton steps
//! (preconditioned conjugate gradients on the generalized Hessian, the projection's derivative for the
//! projected blocks), then sets Y ← S = Y − σE. The gradient is (c − F*(S), 2 S_b R_b), so at an inner
//! minimum the dual equality c = F*(Y) holds up to the proximal term and S_b R_b = 0; a projected block's
//! S_b = −σ Π₋(W_b) is PSD. What is left is a factored block's Y_b ⪰ 0: a negative eigenvalue's eigenvector
//! is a direction of negative curvature, and a column along it is added to R_b (the rank grows as the problem
//! needs; the optimum of a tight moment relaxation has rank one). σ grows when the primal residual does not
//! halve or dominates the dual side.
//!
//! Along a direction (dx, dR) the factored blocks' E(t) = E + t·E₁ + t²·E₂ with E₁ = F(dx) − (R dRᵀ + dR Rᵀ)
//! and E₂ = −dR dRᵀ, so their part of L_σ is a quartic in t (as in SDPLR, Burer and Monteiro 2003); the
//! projected blocks add a convex piecewise quadratic. The line search takes the better of the quartic's
//! minimum with the projected X held fixed (a sure decrease) and the Newton step halved until it decreases
//! L_σ enough. A Hessian product applies F once and F* once and multiplies each factored block by its factor;
//! no m × m matrix is formed or factored.
//!
//! The blocks are scaled as the first-order path scales them (each block's coefficient matrices to an
//! average squared norm of one), the objective by 1/max(1, ‖c‖), and the variables by √(Σ_b ‖F_bi‖²) (a
//! diagonal preconditioner). The answer is reported in the problem's units, with the residuals of the
//! interior-point method ([`SdpResiduals`]), so the statuses mean the same on both paths.

use std::ops::ControlFlow;
use std::time::Instant;

use faer::{Mat, Side};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sdp::block::{blocks_norm, norm2};
use crate::sdp::bound::{FeasibleSetBounds, ValidBound};
use crate::sdp::{
    BlockMatrix, ConstraintBlock, IterationInfo, SdpProblem, SdpResiduals, SdpSolution, SdpStatus,
    StartPoint,
};

/// Settings of [`solve`]; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct LowRankSettings {
    /// Maximal number of Newton steps over all outer iterations (default 20000).
    pub max_iterations: usize,
    /// Maximal number of multiplier updates (default 300).
    pub max_outer: usize,
    /// Most Newton steps between two multiplier updates (default 500).
    pub max_inner: usize,
    /// Tolerance on relative gap and infeasibilities, the interior-point method's measures (default 1e-8).
    pub tolerance: f64,
    /// Columns of a block's factor started from a block that is zero at the start point (default 1).
    pub rank: usize,
    /// Blocks of at most this dimension (and diagonal blocks) are not factored: the augmented Lagrangian is
    /// minimized over their X ⪰ 0 in closed form, by a projection (default 40).
    pub project_up_to: usize,
    /// Most columns any factor may grow to (default 30).
    pub max_rank: usize,
    /// The proximal term of every inner minimization is (proximal/σ)/2·‖x̃ − x̃ₖ‖² (default 1).
    pub proximal: f64,
    /// σ is raised fourfold when the primal residual did not halve or exceeds this many times the dual side
    /// (dual infeasibility and gap) (default 5).
    pub balance: f64,
    /// Most conjugate-gradient steps (Hessian products) per Newton direction (default 50).
    pub max_cg: usize,
    /// Initial penalty σ (default 10), in the scaled units.
    pub penalty: f64,
    /// Stop with `Optimal` as soon as the valid bound (with variable bounds) is at least this (default `None`).
    pub target: Option<f64>,
    /// Wall-clock seconds after which the solve stops with `TimeLimit` (default `None`).
    pub time_limit: Option<f64>,
    /// Declare a stall when the measures have not improved tenfold in this many outer iterations
    /// (default 40).
    pub stall_outer: usize,
    /// Refuse problems whose estimated memory ([`memory_estimate`]) exceeds this many bytes (default 16 GiB).
    pub max_memory_bytes: usize,
    /// Print one line per outer iteration to stderr (default false).
    pub verbose: bool,
    /// Seed of the random columns (default 1).
    pub seed: u64,
}

impl Default for LowRankSettings {
    fn default() -> Self {
        LowRankSettings {
            max_iterations: 20000,
            max_outer: 300,
            max_inner: 500,
            tolerance: 1e-8,
            rank: 1,
            max_rank: 30,
            project_up_to: 40,
            max_memory_bytes: 16 << 30,
            max_cg: 50,
            balance: 5.0,
            proximal: 1.0,
            penalty: 10.0,
            target: None,
            time_limit: None,
            stall_outer: 40,
            verbose: false,
            seed: 1,
        }
    }
}

/// Bytes [`solve`] allocates: about sixteen copies of the blocks (values, residuals, multipliers, the
/// conjugate-gradient vectors' block images) and eight of the variables and factors.
pub fn memory_estimate(problem: &SdpProblem, settings: &LowRankSettings) -> usize {
    let m = problem.num_vars();
    let factors: usize = problem
        .blocks()
        .iter()
        .map(|b| b.dim() * settings.max_rank.min(b.dim()).max(1))
        .sum();
    8 * (16 * problem.block_entries() + 8 * (m + factors))
}

/// A point of the search space: scaled variables x̃ and one factor per block (n_b × r_b; n_b × 1 for a
/// diagonal block).
#[derive(Clone, Debug)]
struct Point {
    x: Vec<f64>,
    r: Vec<Mat<f64>>,
}

impl Point {
    fn dot(&self, o: &Point) -> f64 {
        let mut s: f64 = self.x.iter().zip(&o.x).map(|(a, b)| a * b).sum();
        for (a, b) in self.r.iter().zip(&o.r) {
            s += mat_dot(a, b);
        }
        s
    }

    fn axpy(&mut self, t: f64, o: &Point) {
        for (a, b) in self.x.iter_mut().zip(&o.x) {
            *a += t * b;
        }
        for (a, b) in self.r.iter_mut().zip(&o.r) {
            for j in 0..a.ncols() {
                for (p, q) in a.col_as_slice_mut(j).iter_mut().zip(b.col_as_slice(j)) {
                    *p += t * q;
                }
            }
        }
    }

    /// Multiply the x̃ part by `hx` and block b's factor by `hr[b]` (a diagonal preconditioner).
    fn scale_parts(&mut self, hx: f64, hr: &[f64]) {
        self.x.iter_mut().for_each(|v| *v *= hx);
        for (a, &h) in self.r.iter_mut().zip(hr) {
            for j in 0..a.ncols() {
                a.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= h);
            }
        }
    }

    fn scale(&mut self, t: f64) {
        self.x.iter_mut().for_each(|v| *v *= t);
        for a in &mut self.r {
            for j in 0..a.ncols() {
                a.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= t);
            }
        }
    }
}

fn mat_dot(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    (0..a.ncols())
        .map(|j| {
            a.col_as_slice(j)
                .iter()
                .zip(b.col_as_slice(j))
                .map(|(p, q)| p * q)
                .sum::<f64>()
        })
        .sum()
}

fn blocks_dot(a: &[BlockMatrix], b: &[BlockMatrix]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p.dot(q)).sum()
}

/// R Rᵀ (a diagonal block: u ∘ u).
fn product(diag: bool, r: &Mat<f64>) -> BlockMatrix {
    if r.ncols() == 0 {
        return BlockMatrix::identity(r.nrows(), diag, 0.0);
    }
    if diag {
        BlockMatrix::Diagonal(r.col_as_slice(0).iter().map(|u| u * u).collect())
    } else {
        BlockMatrix::Dense(r * r.transpose())
    }
}

/// R Dᵀ + D Rᵀ (a diagonal block: 2 u ∘ d).
fn cross(diag: bool, r: &Mat<f64>, d: &Mat<f64>) -> BlockMatrix {
    if r.ncols() == 0 {
        return BlockMatrix::identity(r.nrows(), diag, 0.0);
    }
    if diag {
        BlockMatrix::Diagonal(
            r.col_as_slice(0)
                .iter()
                .zip(d.col_as_slice(0))
                .map(|(u, v)| 2.0 * u * v)
                .collect(),
        )
    } else {
        let a = r * d.transpose();
        BlockMatrix::Dense(&a + a.transpose())
    }
}

/// S R (a diagonal block: s ∘ u).
fn times(s: &BlockMatrix, r: &Mat<f64>) -> Mat<f64> {
    if r.ncols() == 0 {
        return Mat::zeros(r.nrows(), 0);
    }
    match s {
        BlockMatrix::Dense(s) => s * r,
        BlockMatrix::Diagonal(s) => Mat::from_fn(r.nrows(), 1, |i, _| s[i] * r[(i, 0)]),
    }
}

fn scaled(mut b: BlockMatrix, s: f64) -> BlockMatrix {
    b.scale(s);
    b
}

/// The smallest eigenvalue of a block and its unit eigenvector.
fn min_eigenpair(b: &BlockMatrix) -> (f64, Vec<f64>) {
    match b {
        BlockMatrix::Diagonal(d) => {
            let (i, v) = d
                .iter()
                .copied()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, f64::INFINITY));
            let mut e = vec![0.0; d.len()];
            if !e.is_empty() {
                e[i] = 1.0;
            }
            (v, e)
        }
        BlockMatrix::Dense(m) => {
            if m.nrows() == 0
                || !(0..m.ncols()).all(|j| m.col_as_slice(j).iter().all(|v| v.is_finite()))
            {
                return (f64::NAN, vec![0.0; m.nrows()]);
            }
            match m.self_adjoint_eigen(Side::Lower) {
                Ok(eig) => {
                    let s = eig.S();
                    let u = eig.U();
                    let v = s.column_vector()[0];
                    (v, (0..m.nrows()).map(|i| u[(i, 0)]).collect())
                }
                Err(_) => (f64::NAN, vec![0.0; m.nrows()]),
            }
        }
    }
}

/// The problem in the scaled units of the solve.
struct Scaled<'a> {
    problem: &'a SdpProblem,
    /// Block scales d_b.
    d: Vec<f64>,
    /// Objective scale: c̃ = c / cs.
    cs: f64,
    /// Variable scales p_i = √(Σ_b d_b²‖F_bi‖²) (x̃ = p ∘ x), length m.
    p: Vec<f64>,
    diag: Vec<bool>,
    /// Blocks kept whole and projected onto the cone instead of factored.
    proj: Vec<bool>,
}

impl Scaled<'_> {
    /// d_b X_b(x) for x̃ (`constant`: 1 for the affine map, 0 for its linear part).
    fn apply(&self, xt: &[f64], constant: f64) -> Vec<BlockMatrix> {
        let mut full = Vec::with_capacity(xt.len() + 1);
        full.push(constant);
        full.extend(xt.iter().zip(&self.p).map(|(v, p)| v / p));
        self.problem
            .blocks()
            .par_iter()
            .zip(&self.d)
            .map(|(b, &d)| scaled(b.affine(&full), d))
            .collect()
    }

    /// (Σ_b d_b ⟨F_bi, S_b⟩)_i for i = 0..=m.
    fn adjoint(&self, s: &[BlockMatrix]) -> Vec<f64> {
        let m = self.problem.num_vars();
        self.problem
            .blocks()
            .par_iter()
            .zip(s)
            .zip(&self.d)
            .fold(
                || vec![0.0; m + 1],
                |mut acc, ((b, sb), &d)| {
                    let mut part = vec![0.0; m + 1];
                    b.adjoint_add(sb, &mut part);
                    for (a, v) in acc.iter_mut().zip(&part) {
                        *a += d * v;
                    }
                    acc
                },
            )
            .reduce(
                || vec![0.0; m + 1],
                |mut a, b| {
                    for (p, q) in a.iter_mut().zip(&b) {
                        *p += q;
                    }
                    a
                },
            )
    }

    /// c̃ᵀx for x̃.
    fn objective(&self, xt: &[f64]) -> f64 {
        let c = self.problem.objective();
        xt.iter()
            .zip(&self.p)
            .zip(&c[1..])
            .map(|((v, p), c)| c * v / p)
            .sum::<f64>()
            / self.cs
    }
}

/// The iterate kept as the best so far: its worst measure, point, multipliers and measures.
type Best = (f64, Point, Vec<BlockMatrix>, (f64, f64, f64));

/// A projected block's W = X(x) − Y/σ in its eigenbasis (a diagonal block: W itself), for the derivative of
/// the projection; `None` for a factored block.
enum Face {
    None,
    Dense {
        q: Mat<f64>,
        lam: Vec<f64>,
        w: BlockMatrix,
    },
    Diagonal(BlockMatrix),
}

impl Face {
    /// W itself (a projected block).
    fn w(&self) -> Option<&BlockMatrix> {
        match self {
            Face::None => None,
            Face::Dense { w, .. } | Face::Diagonal(w) => Some(w),
        }
    }
}

/// ‖Π₋(M)‖²: the sum of the squared negative eigenvalues.
fn negative_part_squared(m: &BlockMatrix) -> f64 {
    m.eigenvalues().iter().map(|v| v.min(0.0).powi(2)).sum()
}

/// The proximal term τ/2 ‖x̃ − x̃ₖ‖² of one inner minimization (x̃ₖ: the point it started from), which makes
/// it strongly convex in x.
struct Prox {
    center: Vec<f64>,
    tau: f64,
}

/// The problem in the scaled units of [`solve`].
fn scaled_problem<'a>(problem: &'a SdpProblem, settings: &LowRankSettings) -> Scaled<'a> {
    let m = problem.num_vars();
    let blocks = problem.blocks();
    let diag: Vec<bool> = blocks.iter().map(ConstraintBlock::is_diagonal).collect();
    let d = crate::sdp::admm::block_scales(problem);
    let mut sq = vec![0.0; m + 1];
    for (b, &db) in blocks.iter().zip(&d) {
        let mut part = vec![0.0; m + 1];
        b.squared_norms_add(&mut part);
        for (a, v) in sq.iter_mut().zip(&part) {
            *a += db * db * v;
        }
    }
    let p: Vec<f64> = sq[1..]
        .iter()
        .map(|v| if *v > 0.0 { v.sqrt() } else { 1.0 })
        .collect();
    let c = problem.objective();
    Scaled {
        problem,
        d,
        cs: norm2(&c[1..]).max(1.0),
        p,
        proj: blocks
            .iter()
            .map(|b| b.is_diagonal() || b.dim() <= settings.project_up_to)
            .collect(),
        diag,
    }
}

/// The state of one inner minimization at the current point.
struct Eval {
    /// E = X(x) − R Rᵀ per block (a projected block: X(x) − Π₊(W)).
    e: Vec<BlockMatrix>,
    /// The projected blocks' spectral data.
    faces: Vec<Face>,
    /// S = Y − σE.
    s: Vec<BlockMatrix>,
    /// L_σ at the point.
    value: f64,
    /// The gradient (in x̃ and R).
    grad: Point,
    /// ‖c̃ − F*(S)‖ in x (unscaled variables): the dual residual if Y became S.
    dual_residual: f64,
}

fn evaluate(
    sc: &Scaled,
    point: &Point,
    (e, faces): (Vec<BlockMatrix>, Vec<Face>),
    y: &[BlockMatrix],
    sigma: f64,
    prox: &Prox,
) -> Eval {
    let s: Vec<BlockMatrix> = y
        .iter()
        .zip(&e)
        .map(|(y, e)| {
            let mut s = y.clone();
            s.axpy(-sigma, e);
            s
        })
        .collect();
    let shift: Vec<f64> = point
        .x
        .iter()
        .zip(&prox.center)
        .map(|(a, b)| a - b)
        .collect();
    let value = sc.objective(&point.x) - blocks_dot(y, &e)
        + 0.5 * sigma * blocks_dot(&e, &e)
        + 0.5 * prox.tau * shift.iter().map(|v| v * v).sum::<f64>();
    let a = sc.adjoint(&s);
    let c = sc.problem.objective();
    let gx: Vec<f64> = (0..point.x.len())
        .map(|i| c[i + 1] / sc.cs - a[i + 1])
        .collect();
    let dual_residual = norm2(&gx);
    let gxt = gx
        .iter()
        .zip(&sc.p)
        .zip(&shift)
        .map(|((g, p), d)| g / p + prox.tau * d)
        .collect();
    let gr = s
        .par_iter()
        .zip(&point.r)
        .map(|(s, r)| {
            let mut g = times(s, r);
            for j in 0..g.ncols() {
                g.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= 2.0);
            }
            g
        })
        .collect();
    Eval {
        e,
        faces,
        s,
        value,
        grad: Point { x: gxt, r: gr },
        dual_residual,
    }
}

/// The smallest t > 0 minimizing a0 + a1 t + a2 t² + a3 t³ + a4 t⁴ (a1 < 0) among the critical points, or
/// `None` when it decreases without bound.
fn quartic_step(a1: f64, a2: f64, a3: f64, a4: f64) -> Option<f64> {
    let phi = |t: f64| t * (a1 + t * (a2 + t * (a3 + t * a4)));
    let dphi = |t: f64| a1 + t * (2.0 * a2 + t * (3.0 * a3 + t * 4.0 * a4));
    // Split (0, ∞) at the roots of φ'' = 2a2 + 6a3 t + 12a4 t², on each piece φ' is monotone.
    let mut cuts = vec![0.0];
    let (qa, qb, qc) = (12.0 * a4, 6.0 * a3, 2.0 * a2);
    if qa != 0.0 {
        let disc = qb * qb - 4.0 * qa * qc;
        if disc >= 0.0 {
            let sq = disc.sqrt();
            let mut r = [(-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa)];
            r.sort_by(f64::total_cmp);
            cuts.extend(r.into_iter().filter(|t| *t > 0.0));
        }
    } else if qb != 0.0 {
        let t = -qc / qb;
        if t > 0.0 {
            cuts.push(t);
        }
    }
    // A right end where φ' > 0 (or give up: unbounded below along the ray).
    let mut hi = cuts.last().copied().unwrap_or(0.0).max(1.0);
    let mut tries = 0;
    while dphi(hi) <= 0.0 {
        hi *= 4.0;
        tries += 1;
        if tries > 200 || !hi.is_finite() {
            return None;
        }
    }
    cuts.push(hi);
    let mut best: Option<(f64, f64)> = None;
    for w in cuts.windows(2) {
        let (mut lo, mut up) = (w[0], w[1]);
        if !(dphi(lo) < 0.0 && dphi(up) >= 0.0) {
            continue;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + up);
            if mid <= lo || mid >= up {
                break;
            }
            if dphi(mid) < 0.0 {
                lo = mid;
            } else {
                up = mid;
            }
        }
        let t = 0.5 * (lo + up);
        let v = phi(t);
        if best.is_none_or(|(_, b)| v < b) {
            best = Some((t, v));
        }
    }
    best.map(|(t, _)| t)
}

/// Solve `problem` from `start`: the moments of a point ([`StartPoint::Primal`], whose blocks give the
/// factors' first columns), or x = 0 with random factors ([`StartPoint::Standard`]); an interior-point warm
/// start is refused. `monitor` is shown an [`IterationInfo`] per outer iteration. With `bounds` (Bᵢ ≥ |xᵢ| on
/// the feasible set) the solution's [`SdpSolution::valid_bound`] is the rigorous lower bound at its dual
/// point. Errors on equality constraints, on a start or bounds of the wrong length, and when the solve
/// would not fit in memory.
pub fn solve(
    problem: &SdpProblem,
    settings: &LowRankSettings,
    start: StartPoint,
    bounds: Option<&FeasibleSetBounds>,
    monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
) -> Result<SdpSolution> {
    let t0 = Instant::now();
    let m = problem.num_vars();
    let x0 = crate::sdp::primal_start(problem, start, bounds, "low-rank SDP path")?;
    if settings.tolerance.is_nan()
        || settings.tolerance <= 0.0
        || settings.max_rank == 0
        || settings.max_cg == 0
    {
        return Err(Error::InvalidInput(
            "the low-rank path needs a positive tolerance, rank and memory".into(),
        ));
    }
    let need = memory_estimate(problem, settings);
    if need > settings.max_memory_bytes {
        return Err(Error::TooLarge(format!(
            "the low-rank path would need about {:.1} GB, over the limit of {:.1} GB",
            need as f64 / 1e9,
            settings.max_memory_bytes as f64 / 1e9
        )));
    }
    let blocks = problem.blocks();
    let sc = scaled_problem(problem, settings);
    let c = problem.objective();
    let cs = sc.cs;
    // ‖C̃₀‖ and ‖c̃‖ for the relative measures, in the scaled units.
    let c0 = sc.apply(&vec![0.0; m], 1.0);
    let c0_norm = blocks_norm(&c0);
    let c_norm = norm2(&c[1..]) / cs;

    // The start.
    let mut rng = Rng::new(settings.seed);
    let xt0: Vec<f64> = x0.iter().zip(&sc.p).map(|(v, p)| v * p).collect();
    let x_blocks = sc.apply(&xt0, 1.0);
    let r0: Vec<Mat<f64>> = x_blocks
        .iter()
        .zip(&sc.proj)
        .map(|(xb, &pr)| match pr {
            true => Mat::zeros(xb.dim(), 0),
            false => start_factor(xb, settings, &mut rng),
        })
        .collect();
    let mut point = Point { x: xt0, r: r0 };

    let mut y: Vec<BlockMatrix> = blocks
        .iter()
        .map(|b| BlockMatrix::identity(b.dim(), b.is_diagonal(), 0.0))
        .collect();
    let mut sigma = settings.penalty;
    let mut iterations = 0usize;
    let mut status = SdpStatus::IterationLimit;
    let mut best_bound: Option<ValidBound> = None;
    let mut history: Vec<f64> = vec![];
    // The iterate with the smallest worst measure, returned when the solve ends without reaching the
    // tolerance (the last iterates of a stalling solve can be far worse).
    let mut best: Option<Best> = None;
    let mut last_worst = f64::INFINITY;
    let mut last_pinf = f64::INFINITY;
    let mut measures = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let mut eta = 1e-2 * (1.0 + c_norm);
    let mut hessian_products = 0usize;

    'outer: for outer in 0..settings.max_outer {
        // Inner minimization of L_σ plus the proximal term by truncated Newton steps (preconditioned
        // conjugate gradients on the generalized Hessian) and the line search of `line_search`.
        let prox = Prox {
            center: point.x.clone(),
            tau: settings.proximal / sigma,
        };
        let e = residual(&sc, &point, &y, sigma);
        let mut ev = evaluate(&sc, &point, e, &y, sigma, &prox);
        // Inner tolerance: both parts of the gradient below a tenth of the worst measure of the last outer
        // iteration, halved at every outer iteration, and at least a hundredth of the tolerance.
        eta = (0.01 * settings.tolerance).max(eta.min(0.1 * last_worst * (1.0 + c_norm)));
        let mut inner = 0;
        loop {
            let gnorm = ev.grad.dot(&ev.grad).sqrt();
            let gx = norm2(&ev.grad.x);
            let gr = ev.grad.r.iter().map(|g| mat_dot(g, g)).sum::<f64>().sqrt();
            if (gx <= eta && gr <= eta) || !gnorm.is_finite() || inner >= settings.max_inner {
                break;
            }
            if iterations >= settings.max_iterations {
                break 'outer;
            }
            if settings
                .time_limit
                .is_some_and(|t| t0.elapsed().as_secs_f64() > t)
            {
                status = SdpStatus::TimeLimit;
                break 'outer;
            }
            // Diagonal preconditioner: the penalty's curvature is about σ in x̃ (unit diagonal of the scaled
            // F*F) and about 2σ‖R_b‖² in block b's factor.
            let hr: Vec<f64> = point
                .r
                .iter()
                .map(|r| 1.0 / (sigma * (2.0 * mat_dot(r, r) + 1e-8)))
                .collect();
            let (dir, products) =
                newton_direction(&sc, &point, &ev, sigma, prox.tau, &hr, settings.max_cg);
            hessian_products += products;
            let mut dir = dir;
            let mut slope = dir.dot(&ev.grad);
            if slope.is_nan() || slope >= 0.0 {
                dir = precondition(&ev.grad, sigma, &hr);
                dir.scale(-1.0);
                slope = dir.dot(&ev.grad);
            }
            let Some(t) = line_search(&sc, &point, &dir, &ev, sigma, prox.tau, slope) else {
                // No decrease along the direction: the inner problem is done to rounding.
                break;
            };
            point.axpy(t, &dir);
            let e = residual(&sc, &point, &y, sigma);
            let old_value = ev.value;
            ev = evaluate(&sc, &point, e, &y, sigma, &prox);
            iterations += 1;
            inner += 1;
            if ev.value.is_nan() || (ev.value >= old_value && inner > 5) {
                break;
            }
        }
        // The multiplier update, from a freshly computed residual.
        let e = residual(&sc, &point, &y, sigma);
        let no_prox = Prox {
            center: point.x.clone(),
            tau: 0.0,
        };
        let ev = evaluate(&sc, &point, e, &y, sigma, &no_prox);
        y = ev.s;
        let pinf = blocks_norm(&ev.e) / (1.0 + c0_norm);
        let dinf = ev.dual_residual / (1.0 + c_norm);
        // Y ⪰ 0: the most negative eigenvalue of each block, relative to 1 + ‖Y‖.
        let ynorm = blocks_norm(&y);
        let eig: Vec<(f64, Vec<f64>)> = y.par_iter().map(min_eigenpair).collect();
        let min_eig = eig.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
        let eig_inf = (-min_eig).max(0.0) / (1.0 + ynorm);
        let pobj = sc.objective(&point.x);
        let dobj = -blocks_dot(&c0, &y);
        let gap = (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs());
        measures = (pinf, dinf.max(eig_inf), gap);
        let worst = pinf.max(dinf).max(eig_inf).max(gap);
        if settings.verbose {
            eprintln!(
                "lowrank {outer:3} it {iterations:6} Hv {hessian_products:7} η {eta:.1e} σ {sigma:8.1e} pobj {pobj:+.10e} dobj {dobj:+.10e} \
                 pinf {pinf:.1e} dinf {dinf:.1e} λmin {eig_inf:.1e} gap {gap:.1e} rank {:?} {:.2}s",
                point.r.iter().map(|r| r.ncols()).max().unwrap_or(0),
                t0.elapsed().as_secs_f64()
            );
        }
        let info = IterationInfo {
            iteration: iterations,
            primal_objective: c[0] + cs * pobj,
            dual_objective: c[0] + cs * dobj,
            relative_gap: gap,
            complementarity: gap,
            primal_infeasibility: pinf,
            dual_infeasibility: dinf.max(eig_inf),
            seconds: t0.elapsed().as_secs_f64(),
        };
        if let (Some(b), Some(target)) = (bounds, settings.target) {
            let dual = unscaled_dual(&sc, &y);
            if let Ok(v) = b.valid_lower_bound(problem, &dual, &[])
                && best_bound.is_none_or(|old| v.value > old.value)
            {
                best_bound = Some(v);
            }
            if best_bound.is_some_and(|v| v.value >= target) {
                status = SdpStatus::Optimal;
                break;
            }
        }
        if worst <= settings.tolerance {
            status = SdpStatus::Optimal;
            break;
        }
        if monitor(&info).is_break() {
            status = SdpStatus::Interrupted;
            break;
        }
        if best.as_ref().is_none_or(|b| worst < b.0) {
            best = Some((worst, point.clone(), y.clone(), measures));
        }
        history.push(worst);
        if history.len() > settings.stall_outer {
            let before = history[history.len() - 1 - settings.stall_outer];
            if worst > 0.1 * before {
                status = if worst <= 1e3 * settings.tolerance {
                    SdpStatus::NearOptimal
                } else {
                    SdpStatus::Stalled
                };
                break;
            }
        }
        // Rank: a column along each negative eigenvector of Y, at the step the quartic gives.
        for ((r, (lam, v)), &pr) in point.r.iter_mut().zip(&eig).zip(&sc.proj) {
            if pr || lam.is_nan() || *lam >= -settings.tolerance.max(pinf) * (1.0 + ynorm) {
                continue;
            }
            let step = (-lam / sigma).sqrt();
            if r.ncols() < settings.max_rank.min(r.nrows()) {
                let n = r.nrows();
                let k = r.ncols();
                let mut wider = Mat::zeros(n, k + 1);
                for j in 0..k {
                    wider.col_as_slice_mut(j).copy_from_slice(r.col_as_slice(j));
                }
                for (i, vi) in v.iter().enumerate() {
                    wider[(i, k)] = step * vi;
                }
                *r = wider;
            }
        }
        eta *= 0.5;
        // Penalty: up when the primal residual did not halve, or dominates the dual side (the dual
        // infeasibility and the gap). Never down: with the proximal term (τ = proximal/σ) a smaller σ holds x
        // in place and the dual residual τ‖x̃ − x̃ₖ‖ stops falling.
        let dual_side = dinf.max(eig_inf).max(gap);
        if pinf > settings.tolerance
            && (pinf > 0.5 * last_pinf || pinf > settings.balance * dual_side)
        {
            sigma = (sigma * 4.0).min(1e10);
        }
        last_pinf = pinf;
        last_worst = pinf.max(dual_side);
        if settings
            .time_limit
            .is_some_and(|t| t0.elapsed().as_secs_f64() > t)
        {
            status = SdpStatus::TimeLimit;
            break;
        }
    }

    if !matches!(status, SdpStatus::Optimal | SdpStatus::Interrupted)
        && let Some((worst, p, yb, m)) = best
    {
        if matches!(status, SdpStatus::Stalled | SdpStatus::NearOptimal) {
            status = if worst <= 1e3 * settings.tolerance {
                SdpStatus::NearOptimal
            } else {
                SdpStatus::Stalled
            };
        }
        point = p;
        y = yb;
        measures = m;
    }
    // The answer in the problem's units.
    let x: Vec<f64> = point.x.iter().zip(&sc.p).map(|(v, p)| v / p).collect();
    let dual = unscaled_dual(&sc, &y);
    let primal_slack = problem.primal_slack(&x);
    let check = problem.check(&x, &dual);
    let pobj = problem.primal_objective(&x);
    let dobj = check.dual_objective;
    if let Some(b) = bounds
        && let Ok(v) = b.valid_lower_bound(problem, &dual, &[])
        && best_bound.is_none_or(|old| v.value > old.value)
    {
        best_bound = Some(v);
    }
    let residuals = SdpResiduals {
        primal_infeasibility: measures.0,
        dual_infeasibility: measures.1,
        relative_gap: (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs()),
    };
    Ok(SdpSolution {
        status,
        x,
        primal_slack,
        dual,
        equality_multipliers: vec![],
        primal_objective: pobj,
        dual_objective: dobj,
        residuals,
        iterations,
        seconds: t0.elapsed().as_secs_f64(),
        warm_start: None,
        valid_bound: best_bound,
    })
}

/// Y in the problem's units: cs · d_b · Y_b.
fn unscaled_dual(sc: &Scaled, y: &[BlockMatrix]) -> Vec<BlockMatrix> {
    y.iter()
        .zip(&sc.d)
        .map(|(b, &d)| scaled(b.clone(), d * sc.cs))
        .collect()
}

/// E = X(x) − R Rᵀ per block, computed afresh.
/// A factored block's E = X(x) − R Rᵀ; a projected one's E = X(x) − Π₊(W), W = X(x) − Y/σ, the residual at
/// the X ⪰ 0 that minimizes L_σ for this x (then S = Y − σE = −σ Π₋(W) ⪰ 0), with W's spectral data.
fn residual(
    sc: &Scaled,
    point: &Point,
    y: &[BlockMatrix],
    sigma: f64,
) -> (Vec<BlockMatrix>, Vec<Face>) {
    let mut x = sc.apply(&point.x, 1.0);
    let faces = x
        .par_iter_mut()
        .zip(&point.r)
        .zip(y)
        .zip(sc.diag.par_iter().zip(&sc.proj))
        .map(|(((xb, r), yb), (&dg, &pr))| {
            if pr {
                let mut w = xb.clone();
                w.axpy(-1.0 / sigma, yb);
                let (plus, face) = project_psd(&w);
                xb.axpy(-1.0, &plus);
                face
            } else {
                xb.axpy(-1.0, &product(dg, r));
                Face::None
            }
        })
        .collect();
    (x, faces)
}

/// The projection onto the cone, V max(Λ, 0) Vᵀ (a diagonal block: max(d, 0)), and the spectral data of its
/// argument.
fn project_psd(b: &BlockMatrix) -> (BlockMatrix, Face) {
    match b {
        BlockMatrix::Diagonal(d) => (
            BlockMatrix::Diagonal(d.iter().map(|v| v.max(0.0)).collect()),
            Face::Diagonal(b.clone()),
        ),
        BlockMatrix::Dense(m) => {
            let n = m.nrows();
            let Ok(eig) = m.self_adjoint_eigen(Side::Lower) else {
                let nan = Mat::from_fn(n, n, |_, _| f64::NAN);
                return (
                    BlockMatrix::Dense(nan.clone()),
                    Face::Dense {
                        q: nan,
                        lam: vec![f64::NAN; n],
                        w: b.clone(),
                    },
                );
            };
            let s = eig.S().column_vector();
            let u = eig.U().to_owned();
            let lam: Vec<f64> = (0..n).map(|j| s[j]).collect();
            let v = Mat::from_fn(n, n, |i, k| u[(i, k)] * lam[k].max(0.0).sqrt());
            (
                BlockMatrix::Dense(&v * v.transpose()),
                Face::Dense {
                    q: u,
                    lam,
                    w: b.clone(),
                },
            )
        }
    }
}

/// The derivative of H ↦ Π₋ at W (W's spectral data in `face`) applied to H: for W = Q diag(λ) Qᵀ,
/// Q ((1 − Ω) ∘ QᵀHQ) Qᵀ with Ω_ij = (λᵢ⁺ − λⱼ⁺)/(λᵢ − λⱼ) (1 or 0 when λᵢ = λⱼ, by the sign).
fn projection_derivative_minus(face: &Face, h: &BlockMatrix) -> BlockMatrix {
    match (face, h) {
        (Face::Diagonal(BlockMatrix::Diagonal(w)), BlockMatrix::Diagonal(h)) => {
            BlockMatrix::Diagonal(
                w.iter()
                    .zip(h)
                    .map(|(w, h)| if *w > 0.0 { 0.0 } else { *h })
                    .collect(),
            )
        }
        (Face::Dense { q, lam, .. }, BlockMatrix::Dense(h)) => {
            let mut t = q.transpose() * h * q;
            let n = lam.len();
            for j in 0..n {
                for i in 0..n {
                    let (a, b) = (lam[i], lam[j]);
                    let omega = if a == b {
                        if a > 0.0 { 1.0 } else { 0.0 }
                    } else {
                        (a.max(0.0) - b.max(0.0)) / (a - b)
                    };
                    t[(i, j)] *= 1.0 - omega;
                }
            }
            BlockMatrix::Dense(q * &t * q.transpose())
        }
        _ => h.clone(),
    }
}

/// The generalized Hessian of L_σ at the point of `ev` applied to `d`: with dE_b = F_b(dx) − (R dRᵀ + dR Rᵀ)
/// for a factored block and DΠ₋(W_b)[F_b(dx)] for a projected one, (σ F*(dE), −2σ dE R + 2 S dR).
fn hessian_product(
    sc: &Scaled,
    point: &Point,
    ev: &Eval,
    sigma: f64,
    tau: f64,
    d: &Point,
) -> Point {
    let mut de = sc.apply(&d.x, 0.0);
    de.par_iter_mut()
        .zip(&point.r)
        .zip(&d.r)
        .zip(sc.diag.par_iter().zip(&ev.faces))
        .for_each(|(((de, r), dr), (&dg, face))| match face {
            Face::None => de.axpy(-1.0, &cross(dg, r, dr)),
            _ => *de = projection_derivative_minus(face, de),
        });
    let a = sc.adjoint(&de);
    let x = (0..d.x.len())
        .map(|i| sigma * a[i + 1] / sc.p[i] + tau * d.x[i])
        .collect();
    let r = de
        .par_iter()
        .zip(&ev.s)
        .zip(point.r.par_iter().zip(&d.r))
        .map(|((de, s), (r, dr))| {
            times(de, r) * faer::Scale(-2.0 * sigma) + times(s, dr) * faer::Scale(2.0)
        })
        .collect();
    Point { x, r }
}

/// The diagonal preconditioner: 1/σ on x̃, `hr[b]` on block b's factor.
fn precondition(v: &Point, sigma: f64, hr: &[f64]) -> Point {
    let mut z = v.clone();
    z.scale_parts(1.0 / sigma, hr);
    z
}

/// A truncated Newton direction: preconditioned conjugate gradients on H d = −g, stopped at a relative
/// residual of min(0.5, √‖g‖), at negative curvature, or after `max_cg` products. Returns the direction and
/// the number of Hessian products.
fn newton_direction(
    sc: &Scaled,
    point: &Point,
    ev: &Eval,
    sigma: f64,
    tau: f64,
    hr: &[f64],
    max_cg: usize,
) -> (Point, usize) {
    let gnorm = ev.grad.dot(&ev.grad).sqrt();
    let mut r = ev.grad.clone();
    r.scale(-1.0);
    let mut z = precondition(&r, sigma, hr);
    let mut p = z.clone();
    let mut rz = r.dot(&z);
    let mut d = r.clone();
    d.scale(0.0);
    let forcing = 0.5f64.min(gnorm.sqrt());
    let mut products = 0;
    for _ in 0..max_cg {
        let hp = hessian_product(sc, point, ev, sigma, tau, &p);
        products += 1;
        let curvature = p.dot(&hp);
        if curvature.is_nan() || curvature <= 1e-14 * p.dot(&p) {
            if products == 1 {
                d = p;
            }
            break;
        }
        let alpha = rz / curvature;
        d.axpy(alpha, &p);
        r.axpy(-alpha, &hp);
        if r.dot(&r).sqrt() <= forcing * gnorm {
            break;
        }
        z = precondition(&r, sigma, hr);
        let rz_new = r.dot(&z);
        p.scale(rz_new / rz);
        p.axpy(1.0, &z);
        rz = rz_new;
    }
    (d, products)
}

/// The factor a block starts with: the positive part of its value at the start, V √Λ, or `settings.rank`
/// small random columns when that is zero.
fn start_factor(xb: &BlockMatrix, settings: &LowRankSettings, rng: &mut Rng) -> Mat<f64> {
    let n = xb.dim();
    let BlockMatrix::Dense(mat) = xb else {
        unreachable!("a factored block is dense")
    };
    let mut cols: Vec<Vec<f64>> = vec![];
    if let Ok(eig) = mat.self_adjoint_eigen(Side::Lower) {
        let s = eig.S().column_vector();
        let u = eig.U();
        let top = (0..n).map(|i| s[i]).fold(0.0f64, f64::max);
        for j in (0..n).rev() {
            if s[j] > 1e-9 * top && s[j] > 0.0 && cols.len() < settings.max_rank.min(n) {
                let w = s[j].sqrt();
                cols.push((0..n).map(|i| w * u[(i, j)]).collect());
            }
        }
    }
    if cols.is_empty() {
        for _ in 0..settings.rank.max(1).min(n) {
            cols.push(
                (0..n)
                    .map(|_| 1e-3 * rng.normal() / (n as f64).sqrt())
                    .collect(),
            );
        }
    }
    Mat::from_fn(n, cols.len(), |i, j| cols[j][i])
}

/// A step along `dir` from `point` that decreases L_σ. Along the line L_σ is a quartic in the factored blocks
/// (exact) plus σ/2 Σ ‖Π₋(W_b + t F_b(dx))‖² for the projected blocks (convex, piecewise quadratic). Two
/// candidates: the minimum of the quartic with the projected blocks' X held at its value (an upper bound on
/// L_σ, equal at t = 0, so a sure decrease), and the unit (Newton) step halved until it decreases L_σ
/// sufficiently; the better one is taken.
fn line_search(
    sc: &Scaled,
    point: &Point,
    dir: &Point,
    ev: &Eval,
    sigma: f64,
    tau: f64,
    slope: f64,
) -> Option<f64> {
    let lin = sc.apply(&dir.x, 0.0);
    let dx2 = dir.x.iter().map(|v| v * v).sum::<f64>();
    // The polynomial part: the objective, the proximal term and the factored blocks.
    let (mut a1, mut a2, mut a3, mut a4) = (slope, 0.5 * tau * dx2, 0.0, 0.0);
    // The projected blocks held fixed (the surrogate): their E moves by F_b(dx) alone.
    let mut frozen = 0.0;
    let mut projected: Vec<(&BlockMatrix, &BlockMatrix, f64)> = vec![];
    for ((((lin, r), dr), (&dg, face)), s) in lin
        .iter()
        .zip(&point.r)
        .zip(&dir.r)
        .zip(sc.diag.iter().zip(&ev.faces))
        .zip(&ev.s)
    {
        match face.w() {
            None => {
                let mut e1 = lin.clone();
                e1.axpy(-1.0, &cross(dg, r, dr));
                let e2 = scaled(product(dg, dr), -1.0);
                a2 += -s.dot(&e2) + 0.5 * sigma * e1.dot(&e1);
                a3 += sigma * e1.dot(&e2);
                a4 += 0.5 * sigma * e2.dot(&e2);
            }
            Some(w) => {
                // Its slope −⟨S_b, F_b(dx)⟩ leaves the polynomial.
                a1 += s.dot(lin);
                frozen += 0.5 * sigma * lin.dot(lin);
                projected.push((w, lin, negative_part_squared(w)));
            }
        }
    }
    let phi = |t: f64| {
        let mut v = t * (a1 + t * (a2 + t * (a3 + t * a4)));
        for (w, lin, base) in &projected {
            let mut wt = (*w).clone();
            wt.axpy(t, lin);
            v += 0.5 * sigma * (negative_part_squared(&wt) - base);
        }
        v
    };
    let sure = quartic_step(slope, a2 + frozen, a3, a4).filter(|t| t.is_finite() && *t > 0.0);
    if projected.is_empty() {
        return sure;
    }
    let mut t = 1.0f64.max(sure.unwrap_or(0.0));
    let mut newton = None;
    for _ in 0..40 {
        let v = phi(t);
        if v <= 1e-4 * t * slope {
            newton = Some((t, v));
            break;
        }
        t *= 0.5;
        if sure.is_some_and(|s| t < s) {
            break;
        }
    }
    match (sure, newton) {
        (Some(s), Some((t, v))) => Some(if phi(s) < v { s } else { t }),
        (None, Some((t, _))) => Some(t),
        (s, None) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::polynomial::{Monomial, Polynomial};
    use crate::relax::MomentRelaxation;
    use crate::relax::moment::GaussianStart;
    use crate::sdp::SdpSettings;

    /// f = z₁⁴ + z₂⁴ + a·z₁z₂ + b·z₁ on the ball of radius 2 with 1 − z₁z₂ ≥ 0, order `k`.
    fn quartic(k: usize, a: f64, b: f64) -> MomentRelaxation {
        let f = Polynomial::from_terms(
            2,
            [
                (Monomial(vec![4, 0]), 1.0),
                (Monomial(vec![0, 4]), 1.0),
                (Monomial(vec![1, 1]), a),
                (Monomial(vec![1, 0]), b),
            ],
        );
        let g = Polynomial::from_terms(
            2,
            [(Monomial(vec![0, 0]), 1.0), (Monomial(vec![1, 1]), -1.0)],
        );
        let pop = crate::pop::Pop::new(vec!["a".into(), "b".into()], f, vec![g], vec![])
            .unwrap()
            .with_ball(2.0);
        MomentRelaxation::new(&pop, k, 1 << 30).unwrap()
    }

    fn lowrank(
        r: &MomentRelaxation,
        settings: &LowRankSettings,
        start: StartPoint,
        stop_at: Option<usize>,
    ) -> SdpSolution {
        let mut outer = 0;
        solve(
            r.sdp(),
            settings,
            start,
            r.feasible_set_bounds().as_ref(),
            &mut |_| {
                outer += 1;
                match stop_at.is_some_and(|s| outer >= s) {
                    true => ControlFlow::Break(()),
                    false => ControlFlow::Continue(()),
                }
            },
        )
        .unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn quartic_step_finds_the_minimum() {
        // (t − 1)² − 1 = −2t + t²: minimum at 1.
        assert!((quartic_step(-2.0, 1.0, 0.0, 0.0).unwrap() - 1.0).abs() < 1e-12);
        // −10⁻³t − 8t² + t⁴ has its global minimum near t = 2.
        let t = quartic_step(-1e-3, -8.0, 0.0, 1.0).unwrap();
        assert!((t - 2.0).abs() < 1e-3, "{t}");
        // −t − t² + t³/3 … with two local minima along the ray: the lower one is taken.
        let (a1, a2, a3, a4) = (-0.1, 1.0, -1.0, 0.2);
        let t = quartic_step(a1, a2, a3, a4).unwrap();
        let phi = |t: f64| a1 * t + a2 * t * t + a3 * t.powi(3) + a4 * t.powi(4);
        for k in 1..4000 {
            let s = k as f64 * 1e-3;
            assert!(
                phi(t) <= phi(s) + 1e-12,
                "φ({t}) = {} > φ({s}) = {}",
                phi(t),
                phi(s)
            );
        }
        // Unbounded below: −t.
        assert!(quartic_step(-1.0, 0.0, 0.0, 0.0).is_none());
    }

    /// On the quartic's relaxations of orders 2 and 3, factored (no projected block) and with the small blocks
    /// projected, from x = 0 and from the moments of the minimizer, the path ends optimal at the
    /// interior-point method's bound, and its answer passes the independent check of `SdpProblem::check`.
    #[test]
    fn reaches_the_interior_point_bound() {
        for k in [2, 3] {
            let r = quartic(k, -3.0, 1.0);
            let ipm = crate::sdp::solve(r.sdp(), &SdpSettings::default()).unwrap();
            assert!(ipm.status.is_solved());
            let z = r.first_order_moments(&r.moments(&ipm.x));
            let dirac = r.gaussian_moments(&GaussianStart { center: z, sd: 0.0 });
            for project_up_to in [0, 40] {
                let settings = LowRankSettings {
                    project_up_to,
                    ..LowRankSettings::default()
                };
                for start in [StartPoint::Standard, StartPoint::Primal(&dirac)] {
                    let lr = lowrank(&r, &settings, start, None);
                    assert!(
                        lr.status.is_solved(),
                        "k {k}, projected ≤ {project_up_to}: {:?}",
                        lr.status
                    );
                    assert!(
                        close(lr.dual_objective, ipm.dual_objective, 1e-6),
                        "k {k}: {} vs {}",
                        lr.dual_objective,
                        ipm.dual_objective
                    );
                    let check = r.sdp().check(&lr.x, &lr.dual);
                    assert!(check.holds(1e-6), "{check:?}");
                    let bound = lr.valid_bound.unwrap().value;
                    assert!(bound <= ipm.primal_objective + 1e-9, "{bound}");
                }
            }
        }
    }

    /// Stopped at random outer iterations of random quartics, the valid bound is never above the optimum.
    #[test]
    fn the_valid_bound_holds_at_every_stop() {
        let mut rng = Rng::new(7);
        for trial in 0..12 {
            let (a, b) = (rng.uniform_in(-4.0, 4.0), rng.uniform_in(-2.0, 2.0));
            let r = quartic(2 + trial % 2, a, b);
            let ipm = crate::sdp::solve(r.sdp(), &SdpSettings::default()).unwrap();
            assert!(ipm.status.is_solved());
            let stop = 1 + (rng.next_u64() % 12) as usize;
            let settings = LowRankSettings {
                project_up_to: if trial % 3 == 0 { 0 } else { 40 },
                ..LowRankSettings::default()
            };
            let lr = lowrank(&r, &settings, StartPoint::Standard, Some(stop));
            let bound = lr.valid_bound.expect("a ball gives moment bounds").value;
            assert!(
                bound <= ipm.primal_objective + 1e-9 * (1.0 + ipm.primal_objective.abs()),
                "trial {trial} stopped after {stop}: bound {bound} above the optimum {}",
                ipm.primal_objective
            );
        }
    }

    /// (z₁² − 1)² + z₂² has two minimizers, (±1, 0): the optimal moment matrix has rank 2. The path either
    /// solves it, at the interior-point method's bound, or says it did not.
    #[test]
    fn an_optimum_of_rank_two_is_solved_or_handed_back() {
        let f = Polynomial::from_terms(
            2,
            [
                (Monomial(vec![4, 0]), 1.0),
                (Monomial(vec![2, 0]), -2.0),
                (Monomial(vec![0, 0]), 1.0),
                (Monomial(vec![0, 2]), 1.0),
            ],
        );
        let pop = crate::pop::Pop::new(vec!["a".into(), "b".into()], f, vec![], vec![])
            .unwrap()
            .with_ball(2.0);
        for k in [2, 3] {
            let r = MomentRelaxation::new(&pop, k, 1 << 30).unwrap();
            let ipm = crate::sdp::solve(r.sdp(), &SdpSettings::default()).unwrap();
            assert!(close(ipm.dual_objective, 0.0, 1e-6));
            let settings = LowRankSettings {
                project_up_to: 0,
                ..LowRankSettings::default()
            };
            let lr = lowrank(&r, &settings, StartPoint::Standard, None);
            if lr.status.is_solved() {
                assert!(
                    close(lr.dual_objective, ipm.dual_objective, 1e-6),
                    "{}",
                    lr.dual_objective
                );
                let m = r.moment_matrix(&r.moments(&lr.x), 1).unwrap();
                let ev = crate::sdp::block::symmetric_eigenvalues(m.as_ref());
                assert!(ev[ev.len() - 2] > 1e-3, "rank of M_1: {ev:?}");
            }
        }
    }

    /// The Hessian product is the derivative of the gradient (central differences), factored and projected.
    #[test]
    fn hessian_product_is_the_derivative_of_the_gradient() {
        let r = quartic(2, -3.0, 1.0);
        let problem = r.sdp();
        let m = problem.num_vars();
        let mut rng = Rng::new(3);
        for project_up_to in [0, 40] {
            let settings = LowRankSettings {
                project_up_to,
                ..LowRankSettings::default()
            };
            let sc = scaled_problem(problem, &settings);
            let point = Point {
                x: (0..m).map(|_| rng.normal()).collect(),
                r: problem
                    .blocks()
                    .iter()
                    .zip(&sc.proj)
                    .map(|(b, &pr)| {
                        let k = if pr { 0 } else { 2 };
                        Mat::from_fn(b.dim(), k, |_, _| rng.normal())
                    })
                    .collect(),
            };
            let y: Vec<BlockMatrix> = problem
                .blocks()
                .iter()
                .map(|b| {
                    let n = b.dim();
                    let a = Mat::from_fn(n, n, |_, _| rng.normal());
                    BlockMatrix::Dense(&a + a.transpose())
                })
                .collect();
            let (sigma, tau) = (3.0, 0.5);
            let prox = Prox {
                center: vec![0.1; m],
                tau,
            };
            let at = |p: &Point| evaluate(&sc, p, residual(&sc, p, &y, sigma), &y, sigma, &prox);
            let ev = at(&point);
            let mut d = point.clone();
            d.x.iter_mut().for_each(|v| *v = rng.normal());
            for f in &mut d.r {
                *f = Mat::from_fn(f.nrows(), f.ncols(), |_, _| rng.normal());
            }
            let hd = hessian_product(&sc, &point, &ev, sigma, tau, &d);
            let h = 1e-6;
            let (mut plus, mut minus) = (point.clone(), point.clone());
            plus.axpy(h, &d);
            minus.axpy(-h, &d);
            let mut fd = at(&plus).grad;
            fd.axpy(-1.0, &at(&minus).grad);
            fd.scale(0.5 / h);
            let mut diff = fd.clone();
            diff.axpy(-1.0, &hd);
            let rel = diff.dot(&diff).sqrt() / fd.dot(&fd).sqrt();
            assert!(
                rel < 1e-5,
                "projected ≤ {project_up_to}: relative difference {rel}"
            );
            // The line search's slope is the gradient along the direction.
            let slope = ev.grad.dot(&d);
            let fd_value = (at(&plus).value - at(&minus).value) / (2.0 * h);
            assert!(
                (slope - fd_value).abs() <= 1e-5 * (1.0 + slope.abs()),
                "{slope} vs {fd_value}"
            );
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let r = quartic(2, -3.0, 1.0);
        let m = r.sdp().num_vars();
        let go =
            |settings: &LowRankSettings, start: StartPoint, bounds: Option<&FeasibleSetBounds>| {
                solve(r.sdp(), settings, start, bounds, &mut |_| {
                    ControlFlow::Continue(())
                })
            };
        let d = LowRankSettings::default();
        assert!(go(&d, StartPoint::Primal(&[0.0]), None).is_err());
        assert!(go(&d, StartPoint::Primal(&vec![f64::NAN; m]), None).is_err());
        let one = FeasibleSetBounds {
            variables: vec![1.0],
            traces: vec![],
        };
        assert!(go(&d, StartPoint::Standard, Some(&one)).is_err());
        let tiny = LowRankSettings {
            max_memory_bytes: 1000,
            ..LowRankSettings::default()
        };
        assert!(matches!(
            go(&tiny, StartPoint::Standard, None),
            Err(Error::TooLarge(_))
        ));
        let zero = LowRankSettings {
            tolerance: 0.0,
            ..LowRankSettings::default()
        };
        assert!(go(&zero, StartPoint::Standard, None).is_err());
        let with_eq = r
            .sdp()
            .clone()
            .with_equalities(vec![vec![(1, 1.0)]])
            .unwrap();
        assert!(
            solve(&with_eq, &d, StartPoint::Standard, None, &mut |_| {
                ControlFlow::Continue(())
            })
            .is_err()
        );
    }
}
