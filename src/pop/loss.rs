//! Training losses of a network as polynomial optimization problems.
//!
//! The paper's loss ("mean-inf") is ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞. With the mean residuals
//! r_j(c) = f̂_j(c) − ŷ_j (polynomials in the unknown coefficients c, see
//! [`Network::mean_output_polynomials`](crate::network::Network::mean_output_polynomials)) it is the POP in
//! (c, θ): minimize θ s.t. θ − r_j(c) ≥ 0 and θ + r_j(c) ≥ 0 for every output j (in that order).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::network::{CoefficientLayout, Problem};
use crate::polynomial::Polynomial;
use crate::pop::Pop;

/// A training loss.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
pub enum Loss {
    /// ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞ (the paper's loss).
    #[default]
    #[serde(rename = "mean-inf")]
    #[value(name = "mean-inf")]
    MeanInf,
    /// (1/N) Σ_i ‖f(x_i; c) − y_i‖₂² (least squares; an unconstrained POP of degree 2·deg f).
    #[serde(rename = "lsq")]
    #[value(name = "lsq")]
    Lsq,
    /// max_i ‖f(x_i; c) − y_i‖_∞ (minimax over samples: θ ± r_ij ≥ 0 for every sample and output).
    #[serde(rename = "max-inf")]
    #[value(name = "max-inf")]
    MaxInf,
}

impl Loss {
    /// Every loss.
    pub const ALL: &'static [Loss] = &[Loss::MeanInf, Loss::Lsq, Loss::MaxInf];

    /// True when the POP is in epigraph form (a variable θ after the unknowns).
    pub fn has_theta(self) -> bool {
        !matches!(self, Loss::Lsq)
    }

    /// The loss's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanInf => "mean-inf",
            Loss::Lsq => "lsq",
            Loss::MaxInf => "max-inf",
        }
    }

    /// One-line formula for reports.
    pub fn description(self) -> &'static str {
        match self {
            Loss::MeanInf => "‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞",
            Loss::Lsq => "(1/N) Σ_i ‖f(x_i; c) − y_i‖₂²",
            Loss::MaxInf => "max_i ‖f(x_i; c) − y_i‖_∞",
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Loss {
    type Err = Error;
    fn from_str(s: &str) -> Result<Loss> {
        Loss::ALL
            .iter()
            .copied()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Loss::ALL.iter().map(|l| l.name()).collect();
                Error::InvalidInput(format!(
                    "unknown loss \"{s}\" (known: {})",
                    names.join(", ")
                ))
            })
    }
}

/// A network's loss as a POP in the variables (unknown coefficients…, θ).
#[derive(Clone, Debug)]
pub struct NetworkPop {
    /// The POP; variables are the unknowns of `layout` followed by "theta".
    pub pop: Pop,
    /// Where each unknown coefficient sits.
    pub layout: CoefficientLayout,
    /// The loss it encodes.
    pub loss: Loss,
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

    /// The POP point (unknowns…, θ).
    pub fn point(&self, unknowns: &[f64], theta: f64) -> Vec<f64> {
        assert_eq!(
            unknowns.len(),
            self.layout.num_unknowns(),
            "expected {} unknowns",
            self.layout.num_unknowns()
        );
        let mut z = unknowns.to_vec();
        if self.loss.has_theta() {
            z.push(theta);
        }
        z
    }

    /// Index of θ among the POP variables.
    pub fn theta_index(&self) -> usize {
        self.layout.num_unknowns()
    }
}

/// Mean residuals r_j(c) = f̂_j(c) − ŷ_j over the training data, polynomials in the unknowns only.
pub fn mean_residual_polynomials(problem: &Problem) -> Vec<Polynomial> {
    let polys = problem
        .network
        .mean_output_polynomials(&problem.data.inputs);
    let ybar = problem.data.mean_output();
    polys
        .into_iter()
        .zip(ybar)
        .map(|(mut p, y)| {
            let n = p.nvars();
            p.add_scaled(&Polynomial::constant(n, y), -1.0);
            p
        })
        .collect()
}

/// Build the POP of `loss` for a problem.
pub fn network_pop(problem: &Problem, loss: Loss) -> Result<NetworkPop> {
    let layout = problem.network.layout();
    let nu = layout.num_unknowns();
    let mut names = layout.variable_names();
    let pop = match loss {
        Loss::MeanInf | Loss::MaxInf => {
            let n = nu + 1;
            names.push("theta".to_string());
            let map: Vec<usize> = (0..nu).collect();
            let theta = Polynomial::variable(n, nu);
            let residuals = match loss {
                Loss::MeanInf => mean_residual_polynomials(problem),
                _ => sample_residual_polynomials(problem)
                    .into_iter()
                    .flatten()
                    .collect(),
            };
            let mut inequalities = Vec::new();
            for r in residuals {
                let r = r.embed(n, &map);
                inequalities.push(&theta - &r);
                inequalities.push(&theta + &r);
            }
            Pop::new(names, theta.clone(), inequalities, vec![])?
        }
        Loss::Lsq => Pop::new(names, least_squares_polynomial(problem), vec![], vec![])?,
    };
    Ok(NetworkPop { pop, layout, loss })
}

/// Residual polynomials r_ij(c) = f_j(x_i; c) − y_ij, one list per sample.
pub fn sample_residual_polynomials(problem: &Problem) -> Vec<Vec<Polynomial>> {
    problem
        .data
        .inputs
        .iter()
        .zip(&problem.data.outputs)
        .map(|(x, y)| {
            problem
                .network
                .mean_output_polynomials(std::slice::from_ref(x))
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

/// (1/N) Σ_i ‖f(x_i; c) − y_i‖₂² through its Gram matrix: with a_ij the coefficient vector of r_ij over the
/// union of their monomials v, the loss is vᵀ ((1/N) Σ_ij a_ij a_ijᵀ) v.
pub fn least_squares_polynomial(problem: &Problem) -> Polynomial {
    let res = sample_residual_polynomials(problem);
    let n = problem.network.layout().num_unknowns();
    let mut support: Vec<crate::polynomial::Monomial> = res
        .iter()
        .flatten()
        .flat_map(|p| p.terms().map(|(m, _)| m.clone()))
        .collect();
    support.sort();
    support.dedup();
    let t = support.len();
    let index = |m: &crate::polynomial::Monomial| support.binary_search(m).expect("in the support");
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
    use crate::network::tests::{Lcg, random_network};
    use crate::network::{Dataset, example_3_4};

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
        assert_eq!(np.pop.objective, Polynomial::variable(5, 4));
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
        // θ − r_j and θ + r_j, output by output.
        let r = mean_residual_polynomials(&p);
        let zz = [0.3, -0.7, 1.1, 0.4, 2.0];
        for (j, rj) in r.iter().enumerate() {
            let v = rj.evaluate(&zz[..4]);
            assert!((np.pop.inequalities[2 * j].evaluate(&zz) - (2.0 - v)).abs() < 1e-12);
            assert!((np.pop.inequalities[2 * j + 1].evaluate(&zz) - (2.0 + v)).abs() < 1e-12);
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
                assert_eq!(np.pop.objective_at(&z), theta);
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
