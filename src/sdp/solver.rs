//! Primal–dual interior-point method: infeasible start, HKM search direction, Mehrotra predictor–corrector.
//!
//! Per iteration, with G = X⁻¹: the Schur complement B_ij = tr(Fᵢ G Fⱼ Y) is assembled block by block from
//! the blocks' structure (see [`super::block`]), factored by a dense Cholesky (faer), and used twice
//! (predictor and corrector).

use std::time::Instant;

use faer::linalg::cholesky::llt::factor::{LltRegularization, cholesky_in_place};
use faer::linalg::solvers::DenseSolveCore;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::{Mat, MatMut, Par, Side};

use super::block::{BlockMatrix, SchurMatrix, symmetric_eigenvalues};
use super::{SdpProblem, SdpResiduals, SdpSettings, SdpSolution, SdpStatus, full_vector};
use crate::error::{Error, Result};

/// Iterations without a 10% improvement of the worst measure after which the solve is declared stalled.
const STALL_ITERATIONS: usize = 20;

/// Lower bound on the centering parameter σ while the iterate is infeasible.
const SIGMA_FLOOR_INFEASIBLE: f64 = 0.1;

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

    /// Largest α ≥ 0 with X + αΔ ⪰ 0 (∞ when Δ ⪰ 0).
    fn max_step(&self, x: &BlockMatrix, delta: &BlockMatrix) -> f64 {
        match (self, x, delta) {
            (Factor::Dense { l, .. }, _, BlockMatrix::Dense(d)) => {
                // M = L⁻¹ Δ L⁻ᵀ; α_max = −1/λ_min(M).
                let mut t = d.clone();
                solve_lower_triangular_in_place(l.as_ref(), t.as_mut(), Par::Seq);
                let mut m = t.transpose().to_owned();
                solve_lower_triangular_in_place(l.as_ref(), m.as_mut(), Par::Seq);
                let sym = Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
                let lmin = symmetric_eigenvalues(sym.as_ref())
                    .first()
                    .copied()
                    .unwrap_or(0.0);
                if lmin.is_nan() {
                    0.0
                } else if lmin < 0.0 {
                    -1.0 / lmin
                } else {
                    f64::INFINITY
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

/// The Cholesky-factored Schur complement (trailing m × m block of the (m+1)² buffer).
struct FactoredSchur<'a> {
    b: &'a mut SchurMatrix,
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

    /// Factor in place; on failure retry with a growing diagonal shift. Returns false if every try failed.
    fn factor(&mut self, par: Par) -> bool {
        let n = self.b.dim;
        let m = n - 1;
        let diag: Vec<f64> = (1..n).map(|i| self.b.data[i * n + i]).collect();
        let dmax = diag.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
        if !diag.iter().all(|d| d.is_finite()) || dmax == 0.0 {
            return false;
        }
        // Keep a copy of the lower triangle to retry with a shift.
        let backup = self.b.data.clone();
        for shift in [0.0, 1e-14, 1e-12, 1e-10] {
            if shift > 0.0 {
                self.b.data.copy_from_slice(&backup);
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

    /// Solve B z = rhs (rhs indexed 1..=m, entry 0 ignored); returns z with z[0] = 0.
    fn solve(&mut self, rhs: &[f64], par: Par) -> Vec<f64> {
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

/// Measures of an iterate.
#[derive(Clone, Copy, Debug)]
struct Measures {
    pobj: f64,
    dobj: f64,
    pinf: f64,
    dinf: f64,
    gap: f64,
}

impl Measures {
    fn worst(&self) -> f64 {
        self.pinf.max(self.dinf).max(self.gap)
    }
}

/// Solve an SDP. Never panics on numerical trouble: the status says how the solve ended, and the best iterate
/// found is returned. Errors only when the problem would not fit in `settings.max_memory_bytes`.
pub fn solve(problem: &SdpProblem, settings: &SdpSettings) -> Result<SdpSolution> {
    let need = problem.memory_estimate();
    if need > settings.max_memory_bytes {
        return Err(Error::TooLarge(format!(
            "the SDP has {} variables and needs about {:.1} GB (limit {:.1} GB)",
            problem.num_vars(),
            need as f64 / 1e9,
            settings.max_memory_bytes as f64 / 1e9
        )));
    }
    Ok(Ipm::new(problem, settings).run())
}

struct Ipm<'a> {
    p: &'a SdpProblem,
    s: &'a SdpSettings,
    par: Par,
    n: f64,
    c_norm: f64,
    c0_norm: f64,
}

struct Iterate {
    x: Vec<f64>,
    xs: Vec<BlockMatrix>,
    ys: Vec<BlockMatrix>,
}

impl<'a> Ipm<'a> {
    fn new(p: &'a SdpProblem, s: &'a SdpSettings) -> Self {
        let c0 = p.blocks.iter().map(|b| {
            let mut e = vec![0.0; p.num_vars + 1];
            e[0] = 1.0;
            b.affine(&e)
        });
        let c0_norm = c0.map(|b| b.norm().powi(2)).sum::<f64>().sqrt();
        Ipm {
            p,
            s,
            par: Par::rayon(0),
            n: p.total_dim() as f64,
            c_norm: norm2(&p.objective[1..]),
            c0_norm,
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
        }
    }

    /// Residuals of an iterate: R_p = X(x) − X (blocks), A(Y) (full), and the measures.
    fn measure(&self, it: &Iterate) -> (Vec<BlockMatrix>, Vec<f64>, Measures) {
        let full = full_vector(&it.x);
        let mut rp: Vec<BlockMatrix> = self.p.blocks.iter().map(|b| b.affine(&full)).collect();
        for (r, x) in rp.iter_mut().zip(&it.xs) {
            r.axpy(-1.0, x);
        }
        let aty = self.p.adjoint(&it.ys);
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
            pinf: blocks_norm(&rp) / (1.0 + self.c0_norm),
            dinf: rd / (1.0 + self.c_norm),
            gap: (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs()),
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
            primal_objective: meas.pobj,
            dual_objective: meas.dobj,
            residuals: SdpResiduals {
                primal_infeasibility: meas.pinf,
                dual_infeasibility: meas.dinf,
                relative_gap: meas.gap,
            },
            iterations,
            seconds: start.elapsed().as_secs_f64(),
        }
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

    fn run(&self) -> SdpSolution {
        let start = Instant::now();
        let m = self.p.num_vars;
        let nb = self.p.blocks.len();
        let mut it = self.initial();
        let mut schur = SchurMatrix::zeros(m + 1);
        let mut best: Option<(Iterate, Measures)> = None;
        let mut stall = 0usize;
        let mut progress = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
        let tol = self.s.tolerance;

        for iter in 0..=self.s.max_iterations {
            let (rp, aty, meas) = self.measure(&it);
            let mu_now = blocks_dot(&it.xs, &it.ys) / self.n;
            if self.s.verbose {
                eprintln!(
                    "{iter:3}  pobj {:+.9e}  dobj {:+.9e}  pinf {:.2e}  dinf {:.2e}  gap {:.2e}  μ {:.2e}",
                    meas.pobj, meas.dobj, meas.pinf, meas.dinf, meas.gap, mu_now
                );
            }
            // Progress: a 10% decrease of the infeasibility, the gap or μ below the best seen so far.
            let infeas = meas.pinf.max(meas.dinf);
            let improved = infeas < 0.9 * progress.0
                || meas.gap < 0.9 * progress.1
                || mu_now < 0.9 * progress.2;
            progress = (
                progress.0.min(infeas),
                progress.1.min(meas.gap),
                progress.2.min(mu_now),
            );
            if best.as_ref().is_none_or(|(_, b)| meas.worst() <= b.worst()) {
                best = Some((
                    Iterate {
                        x: it.x.clone(),
                        xs: it.xs.clone(),
                        ys: it.ys.clone(),
                    },
                    meas,
                ));
            }
            stall = if improved { 0 } else { stall + 1 };
            if meas.worst() <= tol {
                return self.solution(it, meas, SdpStatus::Optimal, iter, start);
            }
            if let Some(status) = self.infeasibility(&it, &aty) {
                return self.solution(it, meas, status, iter, start);
            }
            if iter == self.s.max_iterations {
                break;
            }
            if stall >= STALL_ITERATIONS {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            }

            // Factor X and Y; G = X⁻¹.
            let fx: Option<Vec<Factor>> = it.xs.iter().map(Factor::new).collect();
            let fy: Option<Vec<Factor>> = it.ys.iter().map(Factor::new).collect();
            let (Some(fx), Some(fy)) = (fx, fy) else {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            };
            let g: Vec<BlockMatrix> = fx.iter().map(Factor::inverse).collect();

            schur.clear();
            super::block::assemble_schur(&self.p.blocks, &g, &it.ys, &mut schur);
            let mut fs = FactoredSchur { b: &mut schur };
            if !fs.factor(self.par) {
                return self.finish_best(best, SdpStatus::Stalled, iter, start);
            }

            let mu = mu_now;
            // E = sym(Y R_p G), shared by predictor and corrector.
            let e: Vec<BlockMatrix> = (0..nb)
                .map(|k| sym_product3(&it.ys[k], &rp[k], &g[k]))
                .collect();

            // Direction for target μ_t and second-order term `corr` (blocks or none).
            let direction = |fs: &mut FactoredSchur,
                             mu_t: f64,
                             corr: Option<&[BlockMatrix]>|
             -> (Vec<f64>, Vec<BlockMatrix>, Vec<BlockMatrix>) {
                // rhs = A(μ_t G − corr − E) − c
                let mut rhs = vec![0.0; m + 1];
                for k in 0..nb {
                    let mut mk = g[k].clone();
                    scale_block(&mut mk, mu_t);
                    mk.axpy(-1.0, &e[k]);
                    if let Some(c) = corr {
                        mk.axpy(-1.0, &c[k]);
                    }
                    self.p.blocks[k].adjoint_add(&mk, &mut rhs);
                }
                for (r, c) in rhs.iter_mut().zip(&self.p.objective).skip(1) {
                    *r -= c;
                }
                let dx = fs.solve(&rhs, self.par);
                // ΔX = A*(Δx) + R_p ; ΔY = μ_t G − Y − sym(G ΔX Y) − corr
                let mut dxs = Vec::with_capacity(nb);
                let mut dys = Vec::with_capacity(nb);
                for k in 0..nb {
                    let mut dxk = self.p.blocks[k].affine(&dx);
                    dxk.axpy(1.0, &rp[k]);
                    let mut dyk = sym_product3(&g[k], &dxk, &it.ys[k]);
                    let mut t = g[k].clone();
                    scale_block(&mut t, mu_t);
                    scale_block(&mut dyk, -1.0);
                    dyk.axpy(1.0, &t);
                    dyk.axpy(-1.0, &it.ys[k]);
                    if let Some(c) = corr {
                        dyk.axpy(-1.0, &c[k]);
                    }
                    dxs.push(dxk);
                    dys.push(dyk);
                }
                (dx, dxs, dys)
            };
            let steps = |dxs: &[BlockMatrix], dys: &[BlockMatrix]| -> (f64, f64) {
                let ap = (0..nb)
                    .map(|k| fx[k].max_step(&it.xs[k], &dxs[k]))
                    .fold(f64::INFINITY, f64::min);
                let ad = (0..nb)
                    .map(|k| fy[k].max_step(&it.ys[k], &dys[k]))
                    .fold(f64::INFINITY, f64::min);
                (ap, ad)
            };

            // Predictor.
            let (_, dxp, dyp) = direction(&mut fs, 0.0, None);
            let (ap, ad) = steps(&dxp, &dyp);
            let (ap, ad) = (ap.min(1.0), ad.min(1.0));
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
            let sigma = ((gap_aff / self.n) / mu).clamp(0.0, 1.0).powi(3).max(floor);
            // Corrector: second-order term sym(G ΔX_p ΔY_p).
            let corr: Vec<BlockMatrix> = (0..nb)
                .map(|k| sym_product3(&g[k], &dxp[k], &dyp[k]))
                .collect();
            let (dx, dxs, dys) = direction(&mut fs, sigma * mu, Some(&corr));
            let (ap, ad) = steps(&dxs, &dys);
            let gamma = self.s.step_fraction;
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
                eprintln!("      σ {sigma:.2e}  α_p {ap:.3e}  α_d {ad:.3e}");
            }
            for (xi, di) in it.x.iter_mut().zip(&dx[1..]) {
                *xi += ap * di;
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
