//! A first-order path for block SDPs: the alternating direction method of multipliers (ADMM) on (P), with a
//! lower bound that is valid by construction ([`crate::sdp::bound`]) computed every few iterations.
//!
//! (P) is written with a slack S = X(x) ⪰ 0 and the augmented Lagrangian
//! L_ρ(x, S, Y) = c·x − ⟨Y, C₀ + F(x) − S⟩ + (ρ/2)‖C₀ + F(x) − S‖² (F(x) = Σᵢ xᵢFᵢ, F* its adjoint):
//!
//! ```text
//!   x ← G⁻¹ (F*(S − C₀) + (F*(Y) − c)/ρ)          G = F*F, the m × m Gram matrix (⟨Fᵢ, Fⱼ⟩), factored once
//!   V ← α(C₀ + F(x)) + (1 − α)S − Y/ρ             α ∈ (0, 2): over-relaxation
//!   S ← V₊,  Y ← ρ·(−V)₊                          one eigendecomposition per block
//! ```
//!
//! so S ⪰ 0, Y ⪰ 0 and ⟨S, Y⟩ = 0 hold at every iterate; the primal residual C₀ + F(x) − S and the dual
//! residual c − F*(Y) go to zero (Wen, Goldfarb, Yin, Math. Prog. Comp. 2010, on the dual of their form).
//! ρ is balanced every [`AdmmSettings::rho_every`] iterations by the ratio of the two residuals.
//!
//! Unlike the interior-point method, no m × m matrix is formed per iteration: G is factored once, and an
//! iteration costs two triangular solves and an eigendecomposition of each block. Its answer is not accurate
//! to the interior-point method's 1e-8, and it does not need to be: with bounds Bᵢ ≥ |xᵢ| on the feasible
//! set (a ball, [`crate::relax::MomentRelaxation::moment_bounds`]), every dual iterate gives a rigorous lower
//! bound ([`valid_lower_bound`]), at Y and at Y + F(δ) with Gδ = c − F*(Y) (the dual residual projected out,
//! paid for by negative eigenvalues instead). The best such bound is [`SdpSolution::valid_bound`].

use std::ops::ControlFlow;
use std::time::Instant;

use faer::linalg::solvers::Solve;
use faer::{Mat, Par, Side};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::sdp::block::{blocks_norm, norm2};
use crate::sdp::bound::{FeasibleSetBounds, ValidBound};
use crate::sdp::{
    BlockMatrix, ConstraintBlock, IterationInfo, SdpProblem, SdpResiduals, SdpSolution, SdpStatus,
    StartPoint,
};

/// Settings of [`solve`]; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct AdmmSettings {
    /// Maximal number of iterations (default 20000).
    pub max_iterations: usize,
    /// Tolerance on the relative residuals and gap of the stopping test (default 1e-7).
    pub tolerance: f64,
    /// With variable bounds: stop as soon as the valid bound is within this of the primal objective,
    /// relatively (|p − b| ≤ tol·max(1, |p|, |b|); default 1e-7).
    pub bound_tolerance: f64,
    /// Stop as soon as the valid bound is at least this (default `None`): the caller's upper bound, when a
    /// bound that closes its gap is all it needs. The status is then `Optimal`.
    pub target: Option<f64>,
    /// Compute the valid bound every this many iterations (default 25).
    pub bound_every: usize,
    /// Balance ρ every this many iterations (default 50).
    pub rho_every: usize,
    /// Over-relaxation α (default 1.6).
    pub over_relaxation: f64,
    /// Declare a stall when neither the valid bound nor the residuals improved by 1% over this many
    /// iterations (default 3000).
    pub stall_iterations: usize,
    /// Wall-clock seconds after which the solve stops with `TimeLimit` (default `None`).
    pub time_limit: Option<f64>,
    /// Refuse problems whose G (8m² bytes) and blocks would exceed this (default 16 GiB).
    pub max_memory_bytes: usize,
    /// Print a line every [`Self::bound_every`] iterations to stderr (default false).
    pub verbose: bool,
}

impl Default for AdmmSettings {
    fn default() -> Self {
        AdmmSettings {
            max_iterations: 20000,
            tolerance: 1e-7,
            bound_tolerance: 1e-7,
            target: None,
            bound_every: 25,
            rho_every: 50,
            over_relaxation: 1.6,
            stall_iterations: 3000,
            time_limit: None,
            max_memory_bytes: 16 << 30,
            verbose: false,
        }
    }
}

/// Bytes [`solve`] allocates: two m × m matrices while G is formed (then G and its factor), plus a few
/// copies of the blocks.
pub fn memory_estimate(problem: &SdpProblem) -> usize {
    let m = problem.num_vars();
    8 * (2 * m * m + 10 * problem.block_entries() + 10 * m)
}

/// G = F*F over the variables 1..=m (row/column i−1 for variable i), and F*(C₀), for the blocks scaled by
/// `d` (block b's matrices multiplied by d_b).
fn gram(problem: &SdpProblem, d: &[f64]) -> (Mat<f64>, Vec<f64>) {
    let m = problem.num_vars();
    let blocks = problem.blocks();
    // Two halves of the blocks on the two sides of a join, each into its own m × m accumulator (memory: two
    // copies of G, [`memory_estimate`]).
    let half = blocks.len() / 2;
    let accumulate = |range: std::ops::Range<usize>| {
        let mut g = Mat::<f64>::zeros(m, m);
        let mut g0 = vec![0.0; m + 1];
        for k in range {
            gram_add(&blocks[k], d[k], &mut g, &mut g0);
        }
        (g, g0)
    };
    let ((mut g, mut g0), (g2, g02)) =
        rayon::join(|| accumulate(0..half), || accumulate(half..blocks.len()));
    g += &g2;
    drop(g2);
    for (a, b) in g0.iter_mut().zip(&g02) {
        *a += b;
    }
    for j in 0..m {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    (g, g0[1..].to_vec())
}

/// Add block `block`'s part of G (lower triangle) and of F*(C₀), scaled by db², to `g` and `g0`.
fn gram_add(block: &ConstraintBlock, db: f64, g: &mut Mat<f64>, g0: &mut [f64]) {
    // Entries grouped by position (i, j), duplicates of a variable merged.
    let n = block.dim();
    let mut entries: Vec<(u64, u32, f64)> = vec![];
    block.for_each_entry(|var, i, j, coef| {
        entries.push(((i * n + j) as u64, var as u32, coef));
    });
    entries.sort_unstable_by_key(|e| (e.0, e.1));
    let mut pos: Vec<(usize, f64)> = vec![];
    let mut k = 0;
    while k < entries.len() {
        let p = entries[k].0;
        pos.clear();
        while k < entries.len() && entries[k].0 == p {
            let (_, v, c) = entries[k];
            match pos.last_mut() {
                Some(last) if last.0 == v as usize => last.1 += c,
                _ => pos.push((v as usize, c)),
            }
            k += 1;
        }
        let (i, j) = ((p / n as u64) as usize, (p % n as u64) as usize);
        let w = if i == j { db * db } else { 2.0 * db * db };
        let c0 = pos.iter().find(|e| e.0 == 0).map_or(0.0, |e| e.1);
        for &(a, ca) in pos.iter().filter(|e| e.0 > 0) {
            g0[a] += w * ca * c0;
            for &(b, cb) in pos.iter().filter(|e| e.0 > 0) {
                if b >= a {
                    g[(b - 1, a - 1)] += w * ca * cb;
                }
            }
        }
    }
}

/// V₊ and (−V)₊ of a symmetric block, from one eigendecomposition.
fn split(v: &BlockMatrix) -> (BlockMatrix, BlockMatrix) {
    match v {
        BlockMatrix::Diagonal(d) => (
            BlockMatrix::Diagonal(d.iter().map(|x| x.max(0.0)).collect()),
            BlockMatrix::Diagonal(d.iter().map(|x| (-x).max(0.0)).collect()),
        ),
        BlockMatrix::Dense(a) => {
            let n = a.nrows();
            let sym = Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
            let Ok(eig) = sym.self_adjoint_eigen(Side::Lower) else {
                return (
                    BlockMatrix::Dense(Mat::zeros(n, n)),
                    BlockMatrix::Dense(Mat::zeros(n, n)),
                );
            };
            let q = eig.U();
            let lam = eig.S().column_vector();
            let part = |sign: f64| {
                let cols: Vec<usize> = (0..n).filter(|&i| sign * lam[i] > 0.0).collect();
                if cols.is_empty() {
                    return Mat::zeros(n, n);
                }
                let qs = Mat::from_fn(n, cols.len(), |i, k| q[(i, cols[k])]);
                let qd = Mat::from_fn(n, cols.len(), |i, k| q[(i, cols[k])] * sign * lam[cols[k]]);
                let mut p = Mat::<f64>::zeros(n, n);
                faer::linalg::matmul::matmul(
                    p.as_mut(),
                    faer::Accum::Replace,
                    qd.as_ref(),
                    qs.transpose(),
                    1.0,
                    Par::Seq,
                );
                Mat::from_fn(n, n, |i, j| 0.5 * (p[(i, j)] + p[(j, i)]))
            };
            (
                BlockMatrix::Dense(part(1.0)),
                BlockMatrix::Dense(part(-1.0)),
            )
        }
    }
}

/// F*(M) over the variables 1..=m, block b scaled by `d[b]`.
fn adjoint(problem: &SdpProblem, y: &[BlockMatrix], d: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; problem.num_vars() + 1];
    for ((b, m), &db) in problem.blocks().iter().zip(y).zip(d) {
        if db == 1.0 {
            b.adjoint_add(m, &mut out);
        } else {
            let mut scaled = m.clone();
            scaled.scale(db);
            b.adjoint_add(&scaled, &mut out);
        }
    }
    out.remove(0);
    out
}

/// C₀·`constant` + F(x) for x over the variables 1..=m, block b scaled by `d[b]`.
fn affine(problem: &SdpProblem, x: &[f64], constant: f64, d: &[f64]) -> Vec<BlockMatrix> {
    let mut full = Vec::with_capacity(x.len() + 1);
    full.push(constant);
    full.extend_from_slice(x);
    problem
        .blocks()
        .par_iter()
        .zip(d)
        .map(|(b, &db)| {
            let mut a = b.affine(&full);
            if db != 1.0 {
                a.scale(db);
            }
            a
        })
        .collect()
}

/// The scale of each block (ADMM's metric): d_b = (n_b / Σᵢ ‖F_bi‖²)^{1/2}, so that every block's
/// coefficient matrices have an entry of size one on average.
pub(crate) fn block_scales(problem: &SdpProblem) -> Vec<f64> {
    problem
        .blocks()
        .iter()
        .map(|b| {
            let mut norms = vec![0.0; problem.num_vars() + 1];
            b.squared_norms_add(&mut norms);
            let total: f64 = norms[1..].iter().sum();
            if total > 0.0 && total.is_finite() {
                (b.dim() as f64 / total).sqrt()
            } else {
                1.0
            }
        })
        .collect()
}

/// Solve `problem` by ADMM from `start` (a primal point x₀, or x = 0; a warm start of the interior-point
/// method is refused), showing `monitor` an [`IterationInfo`] every [`AdmmSettings::bound_every`] iterations.
/// With `bounds` (Bᵢ ≥ |xᵢ| on the feasible set), the solution's [`SdpSolution::valid_bound`] is the best
/// rigorous lower bound found, and the solve stops once it is within the bound tolerance of the primal
/// objective, or reaches [`AdmmSettings::target`]. Errors on a problem with equality constraints, on a
/// start or bounds of the wrong length, when G would not fit in memory, or when some variable appears in no
/// block (G singular).
pub fn solve(
    problem: &SdpProblem,
    settings: &AdmmSettings,
    start: StartPoint,
    bounds: Option<&FeasibleSetBounds>,
    monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
) -> Result<SdpSolution> {
    let t0 = Instant::now();
    let m = problem.num_vars();
    let mut x = crate::sdp::primal_start(problem, start, bounds, "first-order SDP path")?;
    let need = memory_estimate(problem);
    if need > settings.max_memory_bytes {
        return Err(Error::InvalidInput(format!(
            "the first-order path needs about {:.1} GB for an SDP with {m} variables (limit {:.1} GB)",
            need as f64 / 1e9,
            settings.max_memory_bytes as f64 / 1e9
        )));
    }
    let c = &problem.objective()[1..];
    let c0 = problem.objective()[0];
    let d = block_scales(problem);
    let (g, g0) = gram(problem, &d);
    let llt = match g.llt(Side::Lower) {
        Ok(l) => l,
        Err(_) => {
            return Err(Error::InvalidInput(
                "the first-order path needs every variable in some block (F*F is singular)".into(),
            ));
        }
    };
    drop(g);
    let solve_g = |rhs: &mut Vec<f64>| {
        let mut col = Mat::from_fn(m, 1, |i, _| rhs[i]);
        llt.solve_in_place(col.as_mut());
        for (i, r) in rhs.iter_mut().enumerate() {
            *r = col[(i, 0)];
        }
    };
    let c_const = affine(problem, &vec![0.0; m], 1.0, &d);
    let c0_norm = blocks_norm(&c_const);
    let c_norm = norm2(c);
    let alpha = settings.over_relaxation.clamp(0.1, 1.9);
    let mut rho = (1.0 + c_norm) / (1.0 + c0_norm);
    let mut s: Vec<BlockMatrix> = affine(problem, &x, 1.0, &d)
        .iter()
        .map(|a| split(a).0)
        .collect();
    let mut y: Vec<BlockMatrix> = s
        .iter()
        .map(|b| match b {
            BlockMatrix::Dense(a) => BlockMatrix::Dense(Mat::zeros(a.nrows(), a.nrows())),
            BlockMatrix::Diagonal(d) => BlockMatrix::Diagonal(vec![0.0; d.len()]),
        })
        .collect();
    let mut best: Option<ValidBound> = None;
    let mut best_x = x.clone();
    let mut status = SdpStatus::IterationLimit;
    let mut iterations = 0;
    let (mut pinf, mut dinf, mut gap, mut dobj) = (f64::INFINITY, f64::INFINITY, 1.0, 0.0);
    let mut last_progress = (0usize, f64::INFINITY, f64::NEG_INFINITY);
    let (mut pacc, mut dacc) = (0.0f64, 0.0f64);
    let every = settings.bound_every.max(1);
    // F*(Y) of the current Y: formed once per iteration, after the Y-step, and used by the next x-step.
    let mut fy = adjoint(problem, &y, &d);
    for it in 1..=settings.max_iterations {
        iterations = it;
        // x-step.
        let fs = adjoint(problem, &s, &d);
        let mut rhs: Vec<f64> = (0..m)
            .map(|i| fs[i] - g0[i] + (fy[i] - c[i]) / rho)
            .collect();
        solve_g(&mut rhs);
        x = rhs;
        // S- and Y-steps.
        let a = affine(problem, &x, 1.0, &d);
        let pairs: Vec<(BlockMatrix, BlockMatrix)> = a
            .par_iter()
            .zip(s.par_iter())
            .zip(y.par_iter())
            .map(|((a, s), y)| {
                let mut v = a.clone();
                if alpha != 1.0 {
                    match &mut v {
                        BlockMatrix::Dense(m) => *m *= faer::Scale(alpha),
                        BlockMatrix::Diagonal(d) => d.iter_mut().for_each(|x| *x *= alpha),
                    }
                    v.axpy(1.0 - alpha, s);
                }
                v.axpy(-1.0 / rho, y);
                let (p, n) = split(&v);
                (p, n)
            })
            .collect();
        let mut rp = 0.0;
        for (k, (p, mut n)) in pairs.into_iter().enumerate() {
            match &mut n {
                BlockMatrix::Dense(m) => *m *= faer::Scale(rho),
                BlockMatrix::Diagonal(d) => d.iter_mut().for_each(|x| *x *= rho),
            }
            let mut r = a[k].clone();
            r.axpy(-1.0, &p);
            rp += r.dot(&r);
            s[k] = p;
            y[k] = n;
        }
        fy = adjoint(problem, &y, &d);
        let rd = norm2(&(0..m).map(|i| c[i] - fy[i]).collect::<Vec<_>>());
        pinf = rp.sqrt() / (1.0 + c0_norm);
        dinf = rd / (1.0 + c_norm);
        let pobj = c0 + c.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>();
        let ay: f64 = c_const.iter().zip(&y).map(|(a, b)| a.dot(b)).sum();
        dobj = c0 - ay;
        gap = (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs());
        pacc += pinf.ln();
        dacc += dinf.ln();
        if it % settings.rho_every.max(1) == 0 {
            // Balance the geometric means of the residuals over the last stretch.
            let ratio = ((pacc - dacc) / settings.rho_every.max(1) as f64).exp();
            if ratio > 5.0 {
                rho *= 2.0;
            } else if ratio < 0.2 {
                rho /= 2.0;
            }
            pacc = 0.0;
            dacc = 0.0;
        }
        let converged =
            pinf <= settings.tolerance && dinf <= settings.tolerance && gap <= settings.tolerance;
        let check = it % every == 0 || converged || it == settings.max_iterations;
        if !check {
            continue;
        }
        if let Some(bounds) = bounds {
            let vb = bound_at(problem, &y, &d, &fy, c, bounds, &solve_g);
            if best.is_none_or(|b| vb.value > b.value) {
                best = Some(vb);
                best_x.clone_from(&x);
            }
        } else {
            best_x.clone_from(&x);
        }
        let lb = best.map_or(f64::NEG_INFINITY, |b| b.value);
        if settings.verbose {
            eprintln!(
                "admm {it:6}  pobj {pobj:+.10e}  dobj {dobj:+.10e}  bound {lb:+.10e}  pinf {pinf:.2e}  dinf {dinf:.2e}  gap {gap:.2e}  rho {rho:.2e}  {:.1}s",
                t0.elapsed().as_secs_f64()
            );
        }
        let info = IterationInfo {
            iteration: it,
            primal_objective: pobj,
            dual_objective: dobj,
            relative_gap: gap,
            complementarity: 0.0,
            primal_infeasibility: pinf,
            dual_infeasibility: dinf,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let bound_closed = best.is_some_and(|b| {
            let scale = 1.0f64.max(pobj.abs()).max(b.value.abs());
            pinf <= settings.tolerance && (pobj - b.value).abs() <= settings.bound_tolerance * scale
        });
        let target_met = settings.target.is_some_and(|t| lb >= t);
        if converged || bound_closed || target_met {
            status = SdpStatus::Optimal;
            break;
        }
        if monitor(&info).is_break() {
            status = SdpStatus::Interrupted;
            break;
        }
        if settings
            .time_limit
            .is_some_and(|t| t0.elapsed().as_secs_f64() >= t)
        {
            status = SdpStatus::TimeLimit;
            break;
        }
        let measure = pinf.max(dinf).max(gap);
        if measure < 0.99 * last_progress.1
            || lb > last_progress.2 + 0.01 * (pobj - last_progress.2).abs()
        {
            last_progress = (it, measure.min(last_progress.1), lb.max(last_progress.2));
        } else if it - last_progress.0 >= settings.stall_iterations {
            status = SdpStatus::Stalled;
            break;
        }
    }
    let primal_slack = affine(problem, &best_x, 1.0, &vec![1.0; d.len()]);
    for (yb, &db) in y.iter_mut().zip(&d) {
        yb.scale(db);
    }
    Ok(SdpSolution {
        status,
        primal_objective: c0 + c.iter().zip(&best_x).map(|(a, b)| a * b).sum::<f64>(),
        x: best_x,
        primal_slack,
        dual: y,
        equality_multipliers: vec![],
        dual_objective: dobj,
        residuals: SdpResiduals {
            primal_infeasibility: pinf,
            dual_infeasibility: dinf,
            relative_gap: gap,
        },
        iterations,
        seconds: t0.elapsed().as_secs_f64(),
        warm_start: None,
        valid_bound: best,
    })
}

/// The better valid bound of Y and of Y + F(δ), Gδ = c − F*(Y), for Y and F scaled by `d` (the bound is
/// that of the unscaled dual d_b·Y_b).
fn bound_at(
    problem: &SdpProblem,
    y: &[BlockMatrix],
    d: &[f64],
    fy: &[f64],
    c: &[f64],
    bounds: &FeasibleSetBounds,
    solve_g: &dyn Fn(&mut Vec<f64>),
) -> ValidBound {
    let worst = ValidBound {
        value: f64::NEG_INFINITY,
        dual_objective: f64::NAN,
        residual_correction: f64::NAN,
        eigenvalue_correction: f64::INFINITY,
    };
    let unscaled: Vec<BlockMatrix> = y
        .iter()
        .zip(d)
        .map(|(a, &db)| {
            let mut v = a.clone();
            v.scale(db);
            v
        })
        .collect();
    let plain = bounds
        .valid_lower_bound(problem, &unscaled, &[])
        .unwrap_or(worst);
    let mut delta: Vec<f64> = c.iter().zip(fy).map(|(a, b)| a - b).collect();
    solve_g(&mut delta);
    let fd = affine(problem, &delta, 0.0, d);
    let projected: Vec<BlockMatrix> = y
        .iter()
        .zip(&fd)
        .zip(d)
        .map(|((a, b), &db)| {
            let mut v = a.clone();
            v.axpy(1.0, b);
            v.scale(db);
            v
        })
        .collect();
    let proj = bounds
        .valid_lower_bound(problem, &projected, &[])
        .unwrap_or(worst);
    if proj.value > plain.value {
        proj
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::sdpa;

    fn check_gram(problem: &SdpProblem) {
        let m = problem.num_vars();
        let d: Vec<f64> = block_scales(problem)
            .iter()
            .enumerate()
            .map(|(b, s)| s * (1.0 + b as f64 / 3.0))
            .collect();
        let (g, g0) = gram(problem, &d);
        let v: Vec<f64> = (0..m)
            .map(|i| ((i * 7919 % 113) as f64 / 57.0) - 1.0)
            .collect();
        // F*(D² F(v)) by the blocks' own affine map and adjoint, D² = diag(d_b²).
        let ones = vec![1.0; d.len()];
        let squared = |mut blocks: Vec<BlockMatrix>| {
            for (b, db) in blocks.iter_mut().zip(&d) {
                b.scale(db * db);
            }
            problem.adjoint(&blocks)[1..].to_vec()
        };
        let ftfv = squared(affine(problem, &v, 0.0, &ones));
        let ftc0 = squared(affine(problem, &vec![0.0; m], 1.0, &ones));
        let scale = ftfv.iter().fold(1.0f64, |a, b| a.max(b.abs()));
        for i in 0..m {
            let gv: f64 = (0..m).map(|j| g[(i, j)] * v[j]).sum();
            assert!(
                (gv - ftfv[i]).abs() <= 1e-12 * scale,
                "row {i}: {gv} vs {}",
                ftfv[i]
            );
            assert!((g0[i] - ftc0[i]).abs() <= 1e-12 * (1.0 + ftc0[i].abs()));
        }
    }

    fn quartic() -> crate::relax::MomentRelaxation {
        use crate::polynomial::{Monomial, Polynomial};
        // f = z₁⁴ + z₂⁴ − 3z₁z₂ + z₁ on the ball of radius 2, with 1 − z₁z₂ ≥ 0.
        let f = Polynomial::from_terms(
            2,
            [
                (Monomial(vec![4, 0]), 1.0),
                (Monomial(vec![0, 4]), 1.0),
                (Monomial(vec![1, 1]), -3.0),
                (Monomial(vec![1, 0]), 1.0),
            ],
        );
        let g = Polynomial::from_terms(
            2,
            [(Monomial(vec![0, 0]), 1.0), (Monomial(vec![1, 1]), -1.0)],
        );
        let pop = crate::pop::Pop::new(vec!["a".into(), "b".into()], f, vec![g], vec![])
            .unwrap()
            .with_ball(2.0);
        crate::relax::MomentRelaxation::new(&pop, 3, 1 << 30).unwrap()
    }

    #[test]
    fn bad_input_is_an_error() {
        let r = quartic();
        let m = r.sdp().num_vars();
        let go = |start: StartPoint, bounds: Option<&FeasibleSetBounds>| {
            solve(
                r.sdp(),
                &AdmmSettings::default(),
                start,
                bounds,
                &mut |_| ControlFlow::Continue(()),
            )
        };
        assert!(go(StartPoint::Primal(&[0.0]), None).is_err());
        assert!(go(StartPoint::Primal(&vec![f64::NAN; m]), None).is_err());
        let one = FeasibleSetBounds {
            variables: vec![1.0],
            traces: vec![],
        };
        assert!(go(StartPoint::Standard, Some(&one)).is_err());
        let tiny = AdmmSettings {
            max_memory_bytes: 1000,
            ..AdmmSettings::default()
        };
        let e = solve(r.sdp(), &tiny, StartPoint::Standard, None, &mut |_| {
            ControlFlow::Continue(())
        });
        assert!(e.is_err());
        let with_eq = r
            .sdp()
            .clone()
            .with_equalities(vec![vec![(1, 1.0)]])
            .unwrap();
        let e = solve(
            &with_eq,
            &AdmmSettings::default(),
            StartPoint::Standard,
            None,
            &mut |_| ControlFlow::Continue(()),
        );
        assert!(e.is_err());
    }

    #[test]
    fn gram_is_the_adjoint_of_the_affine_map() {
        check_gram(quartic().sdp());
        for name in ["control1", "truss1", "hinf1"] {
            let path = format!("tests/data/sdplib/{name}.dat-s");
            if let Ok(p) = sdpa::read_file(&path) {
                check_gram(&p);
            }
        }
    }
}
