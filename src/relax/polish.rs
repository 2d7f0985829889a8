//! Local refinement of a candidate point of a POP: sequential linear programming (SLP) with a trust region
//! and an ℓ∞ penalty merit function.
//!
//! Each step solves the LP  min ∇f·d  s.t.  g_j(z) + ∇g_j(z)·d ≥ 0,  h_k(z) + ∇h_k(z)·d = 0 (as two
//! inequalities),  |d_i| ≤ ρ  with polyact's own interior-point solver (a diagonal block), and accepts the step
//! when the merit φ(z) = f(z) + M·violation(z) decreases by a fair share of the predicted decrease. For
//! epigraph problems such as min θ s.t. θ ± r_j(c) ≥ 0 (the paper's loss) SLP converges fast, because the
//! minimizer is typically a vertex of the linearized feasible set.
//!
//! Polishing never weakens a certificate: the lower bound is the relaxation's; the polished point only gives
//! a better (smaller) upper bound, and is returned only when its merit is not worse than the start's.

use crate::polynomial::Polynomial;
use crate::pop::Pop;
use crate::sdp::{ConstraintBlock, DiagonalBlock, SdpProblem, SdpSettings, solve};

/// Settings of the local refinement.
#[derive(Clone, Debug)]
pub struct PolishSettings {
    /// Maximal number of SLP iterations (default 50).
    pub max_iterations: usize,
    /// Initial trust-region radius (default 0.1, relative to 1 + ‖z‖∞).
    pub initial_radius: f64,
    /// Stop when the trust region is below this (default 1e-12).
    pub min_radius: f64,
    /// Penalty weight M of the constraint violation (default 100).
    pub penalty: f64,
    /// No iteration starts after this instant (default `None`: no limit); the point reached is returned.
    pub deadline: Option<std::time::Instant>,
}

impl Default for PolishSettings {
    fn default() -> Self {
        PolishSettings {
            max_iterations: 50,
            initial_radius: 0.1,
            min_radius: 1e-12,
            penalty: 100.0,
            deadline: None,
        }
    }
}

/// The outcome of a refinement.
#[derive(Clone, Debug)]
pub struct Polished {
    /// The refined point.
    pub point: Vec<f64>,
    /// Merit at the start and at the end.
    pub merit_before: f64,
    /// Merit at the refined point (≤ merit_before).
    pub merit_after: f64,
    /// SLP iterations taken.
    pub iterations: usize,
}

struct Linearized {
    f: f64,
    grad_f: Vec<f64>,
    /// (value, gradient) of every constraint written as ≥ 0 (equalities give two rows).
    rows: Vec<(f64, Vec<f64>)>,
}

/// Refine `start` locally; never returns a point with a larger merit than `start`.
pub fn polish(pop: &Pop, start: &[f64], settings: &PolishSettings) -> Polished {
    let n = pop.nvars();
    let grad = |p: &Polynomial| p.gradient();
    let gf = grad(&pop.objective);
    let gg: Vec<Vec<Polynomial>> = pop.inequalities.iter().map(grad).collect();
    let gh: Vec<Vec<Polynomial>> = pop.equalities.iter().map(grad).collect();
    let eval_grad =
        |g: &[Polynomial], z: &[f64]| -> Vec<f64> { g.iter().map(|p| p.evaluate(z)).collect() };
    let merit = |z: &[f64]| pop.objective_at(z) + settings.penalty * pop.violation(z).max();
    let linearize = |z: &[f64]| -> Linearized {
        let mut rows = vec![];
        for (g, dg) in pop.inequalities.iter().zip(&gg) {
            rows.push((g.evaluate(z), eval_grad(dg, z)));
        }
        for (h, dh) in pop.equalities.iter().zip(&gh) {
            let (v, d) = (h.evaluate(z), eval_grad(dh, z));
            rows.push((-v, d.iter().map(|x| -x).collect()));
            rows.push((v, d));
        }
        Linearized {
            f: pop.objective_at(z),
            grad_f: eval_grad(&gf, z),
            rows,
        }
    };

    let mut z = start.to_vec();
    let merit_before = merit(&z);
    let mut phi = merit_before;
    let mut rho = settings.initial_radius * (1.0 + z.iter().fold(0.0f64, |a, b| a.max(b.abs())));
    let mut iterations = 0;
    let lp_settings = SdpSettings {
        tolerance: 1e-10,
        ..SdpSettings::default()
    };
    while iterations < settings.max_iterations
        && rho > settings.min_radius
        && settings
            .deadline
            .is_none_or(|d| iterations == 0 || std::time::Instant::now() < d)
    {
        iterations += 1;
        let lin = linearize(&z);
        let Some((d, predicted_merit)) = slp_step(&lin, n, rho, settings.penalty, &lp_settings)
        else {
            break;
        };
        let predicted = phi - predicted_merit;
        if predicted.is_nan() || predicted <= 1e-15 * (1.0 + phi.abs()) {
            break; // no predicted decrease: a stationary point of the merit
        }
        let trial: Vec<f64> = z.iter().zip(&d).map(|(a, b)| a + b).collect();
        let phi_t = merit(&trial);
        let ratio = (phi - phi_t) / predicted;
        if ratio > 0.1 {
            z = trial;
            phi = phi_t;
            if ratio > 0.75 {
                rho *= 2.0;
            }
        } else {
            rho /= 4.0;
        }
    }
    if pop.objective.degree() >= 2 {
        iterations += newton(pop, &mut z, &mut phi, &merit);
    }
    if phi <= merit_before {
        Polished {
            point: z,
            merit_before,
            merit_after: phi,
            iterations,
        }
    } else {
        Polished {
            point: start.to_vec(),
            merit_before,
            merit_after: merit_before,
            iterations,
        }
    }
}

/// Levenberg–Marquardt-damped Newton steps on the objective, kept only when the merit decreases (so they
/// stay feasible where SLP left the point feasible). Where no constraint is active at the minimizer (the
/// least-squares loss) this converges quadratically, while SLP's linear models converge at best linearly on
/// a curved objective. Returns the number of steps taken.
fn newton(pop: &Pop, z: &mut Vec<f64>, phi: &mut f64, merit: &dyn Fn(&[f64]) -> f64) -> usize {
    let n = pop.nvars();
    let grad = pop.objective.gradient();
    let hess: Vec<Vec<Polynomial>> = grad.iter().map(Polynomial::gradient).collect();
    let mut lambda = 0.0;
    let mut steps = 0;
    for _ in 0..30 {
        let gz: Vec<f64> = grad.iter().map(|p| p.evaluate(z)).collect();
        let gnorm = gz.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        if gnorm.is_nan() || gnorm <= 1e-15 * (1.0 + phi.abs()) {
            break;
        }
        let h = faer::Mat::from_fn(n, n, |i, j| hess[i][j].evaluate(z));
        let hmax = (0..n).map(|i| h[(i, i)].abs()).fold(0.0f64, f64::max);
        let mut accepted = false;
        for _ in 0..8 {
            let shifted =
                faer::Mat::from_fn(n, n, |i, j| h[(i, j)] + if i == j { lambda } else { 0.0 });
            let Ok(llt) = shifted.llt(faer::Side::Lower) else {
                lambda = (10.0 * lambda).max(1e-10 * hmax.max(1e-300));
                continue;
            };
            let rhs = faer::Mat::from_fn(n, 1, |i, _| -gz[i]);
            let d = faer::linalg::solvers::Solve::solve(&llt, &rhs);
            let trial: Vec<f64> = (0..n).map(|i| z[i] + d[(i, 0)]).collect();
            let phi_t = merit(&trial);
            if phi_t < *phi {
                *z = trial;
                *phi = phi_t;
                lambda *= 0.1;
                accepted = true;
                break;
            }
            lambda = (10.0 * lambda).max(1e-10 * hmax.max(1e-300));
        }
        if !accepted {
            break;
        }
        steps += 1;
    }
    steps
}

/// Solve the SLP subproblem with elastic constraints so it is always feasible:
/// min ∇f·d + M·s  s.t. g_j + ∇g_j·d + s ≥ 0, s ≥ 0, |d_i| ≤ ρ. Returns d and the predicted merit f + ∇f·d + M·s.
fn slp_step(
    lin: &Linearized,
    n: usize,
    rho: f64,
    penalty: f64,
    settings: &SdpSettings,
) -> Option<(Vec<f64>, f64)> {
    // Variables 1..=n: d; n+1: s.
    let s = n + 1;
    let mut rows: Vec<Vec<(u32, f64)>> = vec![];
    for (g, dg) in &lin.rows {
        let mut r: Vec<(u32, f64)> = vec![(0, *g), (s as u32, 1.0)];
        r.extend(
            dg.iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, v)| (i as u32 + 1, *v)),
        );
        rows.push(r);
    }
    rows.push(vec![(s as u32, 1.0)]);
    for i in 1..=n {
        rows.push(vec![(0, rho), (i as u32, -1.0)]);
        rows.push(vec![(0, rho), (i as u32, 1.0)]);
    }
    let mut c = vec![0.0; n + 2];
    c[1..=n].copy_from_slice(&lin.grad_f);
    c[s] = penalty;
    let lp = SdpProblem::new(
        n + 1,
        c,
        vec![ConstraintBlock::Diagonal(DiagonalBlock::new(rows))],
    )
    .ok()?;
    let sol = solve(&lp, settings).ok()?;
    if !sol.status.is_solved() {
        return None;
    }
    let d = sol.x[..n].to_vec();
    Some((d, lin.f + sol.primal_objective))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_to_a_known_minimax_point() {
        // min θ s.t. θ ± (z − 1) ≥ 0, θ ± (2z − 1) ≥ 0 → z* = 2/3, θ* = 1/3 (equioscillation).
        let n = 2;
        let z = Polynomial::variable(n, 0);
        let t = Polynomial::variable(n, 1);
        let one = Polynomial::constant(n, 1.0);
        let r1 = &z - &one;
        let r2 = &z.scale(2.0) - &one;
        let pop = Pop::new(
            vec!["z".into(), "t".into()],
            t.clone(),
            vec![&t - &r1, &t + &r1, &t - &r2, &t + &r2],
            vec![],
        )
        .unwrap();
        let p = polish(&pop, &[0.0, 1.0], &PolishSettings::default());
        assert!((p.point[0] - 2.0 / 3.0).abs() < 1e-8, "{:?}", p.point);
        assert!((p.point[1] - 1.0 / 3.0).abs() < 1e-8);
        assert!(p.merit_after <= p.merit_before);
    }

    #[test]
    fn never_increases_the_merit() {
        // A nonconvex objective: from a local minimizer nothing better is found nearby, and the start is kept.
        let n = 1;
        let z = Polynomial::variable(n, 0);
        let f = &(&z.pow(4) - &z.pow(2).scale(2.0)) + &z.scale(0.3);
        let pop = Pop::new(vec!["z".into()], f.clone(), vec![], vec![]).unwrap();
        for start in [-2.0, -0.5, 0.0, 0.7, 1.5] {
            let p = polish(&pop, &[start], &PolishSettings::default());
            assert!(p.merit_after <= p.merit_before + 1e-15);
            assert!(f.evaluate(&p.point) <= f.evaluate(&[start]) + 1e-15);
        }
        // From a point in the basin of the global minimizer it approaches it: f'(z) = 4z³ − 4z + 0.3 = 0.
        // (SLP is first-order on smooth unconstrained problems: linear convergence, so a loose check.)
        let p = polish(&pop, &[-1.2], &PolishSettings::default());
        let g = 4.0 * p.point[0].powi(3) - 4.0 * p.point[0] + 0.3;
        assert!(
            g.abs() < 1e-4 && p.point[0] < -1.0,
            "gradient {g} at {:?}",
            p.point
        );
    }
}
