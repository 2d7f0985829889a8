//! Training losses of a network as polynomial optimization problems.
//!
//! The paper's loss ("mean-inf") is ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞. With the mean residuals
//! r_j(c) = f̂_j(c) − ŷ_j (polynomials in the unknown coefficients c, see
//! [`Network::mean_output_polynomials`](crate::model::Network::mean_output_polynomials)) it is the POP in
//! (c, θ): minimize θ s.t. θ − r_j(c) ≥ 0 and θ + r_j(c) ≥ 0 for every output j (in that order).
//!
//! Every POP is built from the data's [`SufficientStatistics`] ([`network_pop_from_stats`]); [`network_pop`]
//! computes them from a problem's data first, so fitting a problem and fitting merged shards share one path.

use crate::error::Result;
pub use crate::model::Loss;
use crate::model::stats::SufficientStatistics;
use crate::model::{CoefficientLayout, Network, Problem};
use crate::polynomial::Polynomial;
use crate::pop::Pop;

/// Bound on the scaled epigraph variable t = θ / s at c = 0 (see [`NetworkPop`]).
const THETA_BOUND: f64 = 4.0;

/// The epigraph scale s is at least THETA_FLOOR·M, M the loss at c = 0 (see [`NetworkPop`]).
const THETA_FLOOR: f64 = 1e-2;

/// A network's loss as a POP in the variables (unknown coefficients…, t) with t = θ / s.
///
/// The epigraph variable is scaled by s = max(M / 100, min(M / 4, U)), where M = max |r(0)| is the largest
/// |output| entering the residuals (the loss at c = 0, so θ* ≤ M) and U an optional upper bound on θ* (the
/// loss at some candidate, see [`network_pop_with_upper_bound`]); the objective is s·t, still the loss, and
/// the constraints are t ∓ r(c)/s ≥ 0 (θ ∓ r(c) ≥ 0 divided by s). So t* ≤ 4 (t* ≤ 1 from U) lies inside
/// the default ball (R = 5), and a scale no larger than needed keeps the ball narrow in θ (a wider ball
/// weakens the relaxation's bound); the floor M / 100 keeps t and the constraints well scaled when the loss
/// is near 0. Every term of s is proportional to the outputs: the same problem in other units (outputs and
/// W_{D+1} times a factor) gives the same constraints and the same t, and an objective times that factor.
/// (M = 0, outputs all zero, takes M from the residuals' largest coefficient instead, or 1.)
#[derive(Clone, Debug)]
pub struct NetworkPop {
    /// The POP; variables are the unknowns of `layout` followed by "theta" (= θ / `theta_scale`).
    pub pop: Pop,
    /// Where each unknown coefficient sits.
    pub layout: CoefficientLayout,
    /// The loss it encodes.
    pub loss: Loss,
    /// s: the POP's last variable is θ / s (1 for losses without θ).
    pub theta_scale: f64,
}

impl NetworkPop {
    /// Full per-layer coefficients from a POP point (θ and anything after the unknowns is ignored).
    pub fn coefficients(&self, z: &[f64]) -> Vec<Vec<f64>> {
        let n = self.layout.num_unknowns();
        assert!(
            z.len() >= n,
            "a POP point needs at least {n} entries, got {}",
            z.len()
        );
        self.layout.full_coefficients(&z[..n])
    }

    /// The POP point (unknowns…, θ / s) of the unknowns and the epigraph value θ.
    pub fn point(&self, unknowns: &[f64], theta: f64) -> Vec<f64> {
        assert_eq!(
            unknowns.len(),
            self.layout.num_unknowns(),
            "expected {} unknowns",
            self.layout.num_unknowns()
        );
        let mut z = unknowns.to_vec();
        if self.loss.has_theta() {
            z.push(theta / self.theta_scale);
        }
        z
    }

    /// Index of θ among the POP variables.
    pub fn theta_index(&self) -> usize {
        self.layout.num_unknowns()
    }

    /// The loss at the unknowns, from the POP's polynomials (no data needed): the objective for lsq, the largest
    /// |r| over the epigraph's residuals (t − r/s at t = 0 is −r/s) otherwise.
    pub fn loss_at(&self, unknowns: &[f64]) -> f64 {
        let z = self.point(unknowns, 0.0);
        if self.loss.has_theta() {
            self.theta_scale
                * self
                    .pop
                    .inequalities
                    .iter()
                    .step_by(2)
                    .map(|g| g.evaluate(&z).abs())
                    .fold(0.0, f64::max)
        } else {
            self.pop.objective_at(&z)
        }
    }
}

/// Mean residuals r_j(c) = f̂_j(c) − ŷ_j over the training data, polynomials in the unknowns only.
pub fn mean_residual_polynomials(problem: &Problem) -> Result<Vec<Polynomial>> {
    SufficientStatistics::from_problem(problem, Loss::MeanInf)?
        .mean_residuals(&problem.network.layout())
}

/// Build the POP of `loss` for a problem: the data's [`SufficientStatistics`], then
/// [`network_pop_from_stats`].
pub fn network_pop(problem: &Problem, loss: Loss) -> Result<NetworkPop> {
    let stats = SufficientStatistics::from_problem(problem, loss)?;
    network_pop_from_stats(&problem.network, &stats)
}

/// Build the POP of the statistics' loss for `network` (errors if the statistics belong to another network).
///
/// * mean-inf: minimize θ s.t. θ − r_j(c) ≥ 0, θ + r_j(c) ≥ 0 with the mean residuals r_j;
/// * lsq: minimize v(c)ᵀ G v(c) / N (unconstrained);
/// * max-inf: minimize θ s.t. θ ∓ r_ij(c) ≥ 0 for every sample i and output j.
pub fn network_pop_from_stats(
    network: &Network,
    stats: &SufficientStatistics,
) -> Result<NetworkPop> {
    network_pop_with_upper_bound(network, stats, None)
}

/// [`network_pop_from_stats`] with an upper bound U on the optimal loss θ* (the loss at a candidate; ignored
/// unless finite and ≥ 0), which caps the epigraph scale: s = max(1, min(M / 4, U)) (see [`NetworkPop`]).
pub fn network_pop_with_upper_bound(
    network: &Network,
    stats: &SufficientStatistics,
    upper: Option<f64>,
) -> Result<NetworkPop> {
    build_network_pop(network, stats, upper, None)
}

/// [`network_pop_from_stats`] with the epigraph scale s given (ignored for lsq): the POP a fit solved, rebuilt
/// from its recorded s (what `verify` does with a certificate's [`NetworkTarget`](crate::relax::certificate::NetworkTarget)).
pub fn network_pop_with_theta_scale(
    network: &Network,
    stats: &SufficientStatistics,
    theta_scale: f64,
) -> Result<NetworkPop> {
    build_network_pop(network, stats, None, Some(theta_scale))
}

fn build_network_pop(
    network: &Network,
    stats: &SufficientStatistics,
    upper: Option<f64>,
    fixed_scale: Option<f64>,
) -> Result<NetworkPop> {
    stats.validate()?;
    stats.check_network(network)?;
    let loss = stats.loss();
    let layout = network.layout();
    let nu = layout.num_unknowns();
    let mut names = layout.variable_names();
    let mut theta_scale = 1.0;
    let pop = match loss {
        Loss::MeanInf | Loss::MaxInf => {
            let n = nu + 1;
            names.push("theta".to_string());
            let map: Vec<usize> = (0..nu).collect();
            let residuals = match loss {
                Loss::MeanInf => stats.mean_residuals(&layout)?,
                _ => stats.sample_residuals(&layout)?,
            };
            // At c = 0 the network outputs b_{D+1}, so r(0) = b_{D+1} − y and the loss there is M = max |r(0)| ≥ θ*.
            // s = M / 4 keeps t* = θ*/s ≤ 4, inside the default ball (R = 5); s = U keeps t* ≤ 1, and is
            // smaller (a tighter ball in θ) when the candidate's loss U is below M / 4.
            let zero = vec![0.0; nu];
            let mut m = residuals
                .iter()
                .map(|r| r.evaluate(&zero).abs())
                .fold(0.0, f64::max);
            if m == 0.0 {
                m = residuals
                    .iter()
                    .map(Polynomial::max_abs_coefficient)
                    .fold(0.0, f64::max);
            }
            if !(m > 0.0 && m.is_finite()) {
                m = 1.0;
            }
            let at_zero = m / THETA_BOUND;
            theta_scale = fixed_scale.unwrap_or_else(|| {
                upper
                    .filter(|u| u.is_finite() && *u >= 0.0)
                    .map_or(at_zero, |u| at_zero.min(u))
                    .max(THETA_FLOOR * m)
            });
            // θ = s·t; the constraints (θ ∓ r)/s = t ∓ r/s.
            let t = Polynomial::variable(n, nu);
            let mut inequalities = Vec::with_capacity(2 * residuals.len());
            for r in residuals {
                let r = r.embed(n, &map).scale(1.0 / theta_scale);
                inequalities.push(&t - &r);
                inequalities.push(&t + &r);
            }
            Pop::new(names, t.scale(theta_scale), inequalities, vec![])?
        }
        Loss::Lsq => Pop::new(names, stats.least_squares(&layout)?, vec![], vec![])?,
    };
    Ok(NetworkPop {
        pop,
        layout,
        loss,
        theta_scale,
    })
}

/// The loss at full per-layer coefficients, computed numerically with forward passes.
pub fn loss_value(problem: &Problem, coefficients: &[Vec<f64>], loss: Loss) -> f64 {
    let net = &problem.network;
    let n = problem.data.len() as f64;
    // Residual vectors f(x_i; c) − y_i, one per sample.
    let residuals = problem
        .data
        .inputs
        .iter()
        .zip(&problem.data.outputs)
        .map(|(x, y)| {
            net.forward(coefficients, x)
                .into_iter()
                .zip(y)
                .map(|(f, y)| f - y)
                .collect::<Vec<f64>>()
        });
    match loss {
        Loss::MeanInf => {
            let mut mean = vec![0.0; net.output_dim()];
            for r in residuals {
                for (m, rj) in mean.iter_mut().zip(r) {
                    *m += rj;
                }
            }
            mean.iter().fold(0.0, |a, m| a.max((m / n).abs()))
        }
        Loss::Lsq => {
            residuals
                .map(|r| r.iter().map(|v| v * v).sum::<f64>())
                .sum::<f64>()
                / n
        }
        Loss::MaxInf => residuals.flatten().fold(0.0, |a, v| a.max(v.abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::network::tests::{Lcg, random_biased_network, random_network};
    use crate::model::{Dataset, example_3_4};

    /// Reference (per-sample implementation): residual polynomials r_ij(c) = f_j(x_i; c) − y_ij, sample by sample.
    fn sample_residual_polynomials_reference(problem: &Problem) -> Vec<Vec<Polynomial>> {
        problem
            .data
            .inputs
            .iter()
            .zip(&problem.data.outputs)
            .map(|(x, y)| {
                problem
                    .network
                    .mean_output_polynomials_reference(std::slice::from_ref(x))
                    .into_iter()
                    .zip(y)
                    .map(|(mut p, &yj)| {
                        let n = p.nvars();
                        p.add_scaled(&Polynomial::constant(n, yj), -1.0);
                        p
                    })
                    .collect()
            })
            .collect()
    }

    /// Reference (per-sample implementation): the lsq polynomial through the Gram matrix of the per-sample residual
    /// coefficient vectors over the union of their monomials.
    fn least_squares_polynomial_reference(problem: &Problem) -> Polynomial {
        let res = sample_residual_polynomials_reference(problem);
        let n = problem.network.layout().num_unknowns();
        let mut support: Vec<crate::polynomial::Monomial> = res
            .iter()
            .flatten()
            .flat_map(|p| p.terms().map(|(m, _)| m.clone()))
            .collect();
        support.sort();
        support.dedup();
        let t = support.len();
        let index = |m: &crate::polynomial::Monomial| support.binary_search(m).unwrap();
        let mut gram = vec![0.0; t * t];
        let mut a = vec![0.0; t];
        for p in res.iter().flatten() {
            a.iter_mut().for_each(|v| *v = 0.0);
            let nz: Vec<usize> = p
                .terms()
                .map(|(m, c)| {
                    let k = index(m);
                    a[k] = c;
                    k
                })
                .collect();
            for &i in &nz {
                for &j in &nz {
                    gram[i * t + j] += a[i] * a[j];
                }
            }
        }
        let scale = 1.0 / problem.data.len() as f64;
        let mut f = Polynomial::zero(n);
        for i in 0..t {
            for j in 0..t {
                let g = gram[i * t + j];
                if g != 0.0 {
                    f.add_term(support[i].times(&support[j]), scale * g);
                }
            }
        }
        f
    }

    fn random_problem(widths: &[usize], degrees: &[usize], n: usize, seed: u64) -> Problem {
        random_problem_biased(widths, degrees, n, seed, false)
    }

    /// A random problem (random biases in every layer when `biased`).
    fn random_problem_biased(
        widths: &[usize],
        degrees: &[usize],
        n: usize,
        seed: u64,
        biased: bool,
    ) -> Problem {
        let mut rng = Lcg(seed);
        let network = if biased {
            random_biased_network(&mut rng, widths, degrees)
        } else {
            random_network(&mut rng, widths, degrees)
        };
        let inputs = rng.matrix(n, widths[0]);
        let outputs = rng.matrix(n, *widths.last().unwrap());
        Problem::new(network, Dataset { inputs, outputs }, None, None).unwrap()
    }

    #[test]
    fn statistics_reproduce_the_per_sample_reference_polynomials() {
        for (widths, degrees, n, seed, biased) in [
            (&[3usize, 4, 2][..], &[2usize][..], 9usize, 31u64),
            (&[3, 3, 4, 2], &[2, 3], 300, 32),
            (&[2, 3, 2, 3, 2], &[1, 2, 2], 20, 33),
        ]
        .into_iter()
        .flat_map(|c| [(c, false), (c, true)])
        .map(|((w, d, n, seed), biased)| (w, d, n, seed, biased))
        {
            let problem = random_problem_biased(widths, degrees, n, seed, biased);
            assert_eq!(problem.network.has_biases(), biased);
            let close = |a: &Polynomial, b: &Polynomial| {
                let d = (a - b).max_abs_coefficient();
                assert!(
                    d <= 1e-12 * (1.0 + b.max_abs_coefficient()),
                    "{degrees:?}: differ by {d}"
                );
            };
            let lsq = network_pop(&problem, Loss::Lsq).unwrap();
            close(
                &lsq.pop.objective,
                &least_squares_polynomial_reference(&problem),
            );
            let mx = network_pop(&problem, Loss::MaxInf).unwrap();
            let reference: Vec<Polynomial> = sample_residual_polynomials_reference(&problem)
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(mx.pop.inequalities.len(), 2 * reference.len());
            let nu = mx.layout.num_unknowns();
            let map: Vec<usize> = (0..nu).collect();
            for (g, r) in mx.pop.inequalities.chunks(2).zip(&reference) {
                // g[1] − g[0] = 2 r / s.
                let r2 = (&g[1] - &g[0]).scale(0.5 * mx.theta_scale);
                close(&r2, &r.embed(nu + 1, &map));
            }
        }
    }

    #[test]
    fn lsq_statistics_equal_forward_passes_to_rounding() {
        // Many batches: the Gram route must equal (1/N) Σ ‖f(x_i; c) − y_i‖² at random c to 1e-10 relative.
        for biased in [false, true] {
            let problem = random_problem_biased(&[5, 6, 4, 3], &[2, 3], 1500, 41, biased);
            let pops: Vec<_> = Loss::ALL
                .iter()
                .map(|&loss| (network_pop(&problem, loss).unwrap(), loss))
                .collect();
            let mut rng = Lcg(42);
            for _ in 0..5 {
                let u: Vec<f64> = (0..pops[0].0.layout.num_unknowns())
                    .map(|_| rng.next())
                    .collect();
                let full = pops[0].0.layout.full_coefficients(&u);
                for (np, loss) in &pops {
                    let want = loss_value(&problem, &full, *loss);
                    let got = np.loss_at(&u);
                    assert!(
                        (got - want).abs() <= 1e-10 * want.abs().max(1e-300),
                        "{loss} (biases: {biased}): {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn statistics_of_other_biases_are_refused() {
        let biased = random_problem_biased(&[3, 4, 2], &[2], 9, 61, true);
        let mut plain = biased.clone();
        plain.network = random_problem(&[3, 4, 2], &[2], 9, 61).network;
        // Same weights (the generator draws them first), other biases.
        assert_eq!(plain.network.weights(), biased.network.weights());
        let plain_stats = SufficientStatistics::from_problem(&plain, Loss::Lsq).unwrap();
        let biased_stats = SufficientStatistics::from_problem(&biased, Loss::Lsq).unwrap();
        assert_ne!(plain_stats.network, biased_stats.network);
        let e = network_pop_from_stats(&biased.network, &plain_stats)
            .unwrap_err()
            .to_string();
        assert!(e.contains("different network"), "{e}");
        let mut merged = plain_stats.clone();
        let e = merged.merge(&biased_stats).unwrap_err().to_string();
        assert!(e.contains("different networks"), "{e}");
        assert!(network_pop_from_stats(&biased.network, &biased_stats).is_ok());
    }

    #[test]
    fn names_parse_and_serde() {
        assert_eq!(Loss::MeanInf.name(), "mean-inf");
        assert_eq!("mean-inf".parse::<Loss>().unwrap(), Loss::MeanInf);
        assert_eq!("lsq".parse::<Loss>().unwrap(), Loss::Lsq);
        assert_eq!("max-inf".parse::<Loss>().unwrap(), Loss::MaxInf);
        let e = "l1".parse::<Loss>().unwrap_err().to_string();
        assert!(
            e.contains("mean-inf") && e.contains("lsq") && e.contains("max-inf"),
            "{e}"
        );
        assert_eq!(
            serde_json::to_string(&Loss::MeanInf).unwrap(),
            "\"mean-inf\""
        );
        assert_eq!(
            serde_json::from_str::<Loss>("\"mean-inf\"").unwrap(),
            Loss::MeanInf
        );
        use clap::ValueEnum;
        assert_eq!(
            <Loss as ValueEnum>::from_str("mean-inf", false).unwrap(),
            Loss::MeanInf
        );
    }

    #[test]
    fn example_3_4_pop() {
        let p = example_3_4();
        let np = network_pop(&p, Loss::MeanInf).unwrap();
        assert_eq!(np.pop.variable_names, ["c11", "c12", "c20", "c21", "theta"]);
        assert_eq!(np.pop.inequalities.len(), 8);
        // The objective is θ = s·t, with s = max |ŷ_j| / 4 (no upper bound given).
        let mean =
            |j: usize| p.data.outputs.iter().map(|y| y[j]).sum::<f64>() / p.data.len() as f64;
        let m = (0..4).map(|j| mean(j).abs()).fold(0.0, f64::max);
        assert!((np.theta_scale - m / 4.0).abs() <= 1e-12 * m);
        assert_eq!(
            np.pop.objective,
            Polynomial::variable(5, 4).scale(np.theta_scale)
        );
        assert_eq!(np.pop.min_order(), 1);
        assert_eq!(np.pop.constraint_degree(), 2);
        let tc = p.true_coefficients.clone().unwrap();
        assert_eq!(loss_value(&p, &tc, Loss::MeanInf), 0.0);
        let u = np.layout.unknowns(&tc).unwrap();
        let z = np.point(&u, 0.0);
        assert_eq!(np.coefficients(&z), tc);
        assert!(np.pop.violation(&z).max() < 1e-12);
        for g in &np.pop.inequalities {
            assert!(g.evaluate(&z).abs() < 1e-12);
        }
        // (θ − r_j)/s and (θ + r_j)/s, output by output, with θ = s·t.
        let r = mean_residual_polynomials(&p).unwrap();
        let zz = [0.3, -0.7, 1.1, 0.4, 2.0];
        let s = np.theta_scale;
        let theta = 2.0 * s;
        for (j, rj) in r.iter().enumerate() {
            let v = rj.evaluate(&zz[..4]);
            assert!((s * np.pop.inequalities[2 * j].evaluate(&zz) - (theta - v)).abs() < 1e-12);
            assert!((s * np.pop.inequalities[2 * j + 1].evaluate(&zz) - (theta + v)).abs() < 1e-12);
        }
    }

    #[test]
    fn other_units_give_the_same_constraints_and_a_scaled_objective() {
        // Outputs and W_{D+1} times a factor: the same t ∓ r/s constraints, s and the objective times it.
        let problem = random_problem(&[3, 4, 2], &[2], 9, 51);
        for loss in [Loss::MeanInf, Loss::MaxInf] {
            let unit = network_pop(&problem, loss).unwrap();
            for factor in [1e-7, 3e5] {
                let mut w: Vec<Vec<Vec<f64>>> = problem
                    .network
                    .weights()
                    .iter()
                    .map(|m| m.to_rows())
                    .collect();
                w.last_mut()
                    .unwrap()
                    .iter_mut()
                    .flatten()
                    .for_each(|v| *v *= factor);
                let network = Network::new(w, problem.network.degrees().to_vec()).unwrap();
                let outputs = problem
                    .data
                    .outputs
                    .iter()
                    .map(|y| y.iter().map(|v| v * factor).collect());
                let data = Dataset {
                    inputs: problem.data.inputs.clone(),
                    outputs: outputs.collect(),
                };
                let scaled =
                    network_pop(&Problem::new(network, data, None, None).unwrap(), loss).unwrap();
                let s = scaled.theta_scale / factor;
                assert!(
                    (s - unit.theta_scale).abs() <= 1e-12 * s,
                    "{s} vs {}",
                    unit.theta_scale
                );
                let obj = scaled.pop.objective.scale(1.0 / factor);
                assert!((&obj - &unit.pop.objective).max_abs_coefficient() <= 1e-12 * s);
                for (a, b) in scaled.pop.inequalities.iter().zip(&unit.pop.inequalities) {
                    let d = (a - b).max_abs_coefficient();
                    assert!(d <= 1e-12 * b.max_abs_coefficient(), "{d}");
                }
            }
        }
    }

    #[test]
    fn symbolic_losses_equal_numeric_losses() {
        // lsq's polynomial (built from its Gram matrix) and max-inf's epigraph agree with forward passes.
        for (widths, degrees, seed) in [
            (&[3usize, 4, 2][..], &[2usize][..], 21u64),
            (&[3, 3, 4, 2], &[2, 1], 22),
        ] {
            let mut rng = Lcg(seed);
            let network = random_network(&mut rng, widths, degrees);
            let inputs = rng.matrix(5, widths[0]);
            let outputs = rng.matrix(5, *widths.last().unwrap());
            let problem = Problem::new(network, Dataset { inputs, outputs }, None, None).unwrap();
            let lsq = network_pop(&problem, Loss::Lsq).unwrap();
            let mx = network_pop(&problem, Loss::MaxInf).unwrap();
            assert_eq!(lsq.pop.nvars(), lsq.layout.num_unknowns());
            assert_eq!(mx.pop.inequalities.len(), 2 * 5 * widths.last().unwrap());
            for _ in 0..3 {
                let u: Vec<f64> = (0..lsq.layout.num_unknowns()).map(|_| rng.next()).collect();
                let full = lsq.layout.full_coefficients(&u);
                let want = loss_value(&problem, &full, Loss::Lsq);
                let got = lsq.pop.objective_at(&lsq.point(&u, 0.0));
                assert!((got - want).abs() <= 1e-9 * (1.0 + want), "{got} vs {want}");
                let theta = loss_value(&problem, &full, Loss::MaxInf);
                let z = mx.point(&u, theta);
                assert!(mx.pop.violation(&z).max() <= 1e-9 * (1.0 + theta));
                let z2 = mx.point(&u, theta * (1.0 - 1e-6) - 1e-9);
                assert!(mx.pop.violation(&z2).max() > 0.0);
            }
        }
    }

    #[test]
    fn pop_is_feasible_and_tight_at_the_loss_value() {
        for (widths, degrees, seed) in [
            (&[3usize, 4, 2][..], &[2usize][..], 11u64),
            (&[3, 3, 4, 2], &[2, 1], 12),
            (&[2, 3, 2, 3, 3], &[1, 2, 1], 13),
        ] {
            let mut rng = Lcg(seed);
            let network = random_network(&mut rng, widths, degrees);
            let inputs = rng.matrix(6, widths[0]);
            let outputs = rng.matrix(6, *widths.last().unwrap());
            let problem = Problem::new(network, Dataset { inputs, outputs }, None, None).unwrap();
            let np = network_pop(&problem, Loss::MeanInf).unwrap();
            assert_eq!(np.pop.nvars(), np.layout.num_unknowns() + 1);
            assert_eq!(np.theta_index(), np.layout.num_unknowns());
            for _ in 0..4 {
                let u: Vec<f64> = (0..np.layout.num_unknowns()).map(|_| rng.next()).collect();
                let full = np.layout.full_coefficients(&u);
                let theta = loss_value(&problem, &full, Loss::MeanInf);
                let z = np.point(&u, theta);
                assert!((np.pop.objective_at(&z) - theta).abs() <= 1e-15 * theta);
                let scale = 1.0 + theta;
                assert!(np.pop.violation(&z).max() <= 1e-9 * scale);
                let active = np
                    .pop
                    .inequalities
                    .iter()
                    .map(|g| g.evaluate(&z).abs())
                    .fold(f64::INFINITY, f64::min);
                assert!(active <= 1e-9 * scale, "no active constraint: {active}");
                // A smaller θ is infeasible.
                let z2 = np.point(&u, theta - 1e-6 * scale);
                assert!(np.pop.violation(&z2).max() > 0.0);
            }
        }
    }
}
