//! The conventional paradigm, for comparison: local training of the same coefficients on the same loss from
//! random starts.
//!
//! Two local methods:
//! - `adam`: Adam (Kingma & Ba) on the loss itself with its subgradient (for the ∞-norm loss: the gradient of
//!   the largest |r_j|), learning rate 0.05 · 0.998^t, 3000 steps — the usual first-order baseline.
//! - `lm`: a Gauss–Newton/Levenberg–Marquardt-type method for the ∞-norm: sequential linear programming on the
//!   epigraph min θ s.t. θ ± r_j(c) ≥ 0 with a trust region (see [`crate::relax::polish`]). Each step linearizes the
//!   residuals (their Jacobian, as Gauss–Newton does) and the trust region plays the role of LM's damping.
//!
//! Starts: the unknown coefficients drawn uniformly in [−1, 1] (seeded), θ = the loss there.

use std::time::Instant;

use serde::Serialize;

use crate::error::Result;
use crate::model::Problem;
use crate::polynomial::Polynomial;
use crate::pop::loss::{Loss, NetworkPop, mean_residual_polynomials, network_pop};
use crate::relax::polish::{PolishSettings, polish};
use crate::rng::Rng;

/// A local optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Adam on the loss (subgradient).
    Adam,
    /// Trust-region sequential linear programming on the epigraph (Gauss–Newton/LM-type).
    Lm,
}

/// One local run.
#[derive(Clone, Debug, Serialize)]
pub struct LocalRun {
    /// Final loss.
    pub loss: f64,
    /// Final coefficients (per layer, c_{l,0} first).
    pub coefficients: Vec<Vec<f64>>,
    /// Seconds.
    pub seconds: f64,
}

/// The outcome of local training from several starts.
#[derive(Clone, Debug, Serialize)]
pub struct LocalReport {
    /// The optimizer used.
    pub optimizer: Optimizer,
    /// Every run, in start order.
    pub runs: Vec<LocalRun>,
    /// Index of the run with the smallest loss.
    pub best: usize,
    /// Total seconds.
    pub seconds: f64,
}

/// The mean-inf loss and a subgradient from the residual polynomials and their gradients.
fn loss_and_subgradient(
    res: &[Polynomial],
    grads: &[Vec<Polynomial>],
    c: &[f64],
) -> (f64, Vec<f64>) {
    let (j, v) = res
        .iter()
        .map(|r| r.evaluate(c))
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .expect("at least one output");
    let s = v.signum();
    (
        v.abs(),
        grads[j].iter().map(|g| s * g.evaluate(c)).collect(),
    )
}

/// Train locally from `starts` random starts (seeded).
pub fn train(
    problem: &Problem,
    loss: Loss,
    optimizer: Optimizer,
    starts: usize,
    seed: u64,
) -> Result<LocalReport> {
    if loss != Loss::MeanInf {
        return Err(crate::error::Error::InvalidInput(format!(
            "local training supports the mean-inf loss only, not {loss}"
        )));
    }
    let t0 = Instant::now();
    let npop: NetworkPop = network_pop(problem, loss)?;
    let n = npop.layout.num_unknowns();
    let res = mean_residual_polynomials(problem)?;
    let grads: Vec<Vec<Polynomial>> = res.iter().map(Polynomial::gradient).collect();
    let mut rng = Rng::new(seed);
    let mut runs = vec![];
    for _ in 0..starts.max(1) {
        let start = Instant::now();
        let c0: Vec<f64> = (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
        let c = match optimizer {
            Optimizer::Adam => adam(&res, &grads, c0),
            Optimizer::Lm => {
                let (l0, _) = loss_and_subgradient(&res, &grads, &c0);
                let z = npop.point(&c0, l0);
                let p = polish(
                    &npop.pop,
                    &z,
                    &PolishSettings {
                        max_iterations: 200,
                        ..PolishSettings::default()
                    },
                );
                p.point[..n].to_vec()
            }
        };
        let coefficients = npop.layout.full_coefficients(&c);
        runs.push(LocalRun {
            loss: crate::pop::loss::loss_value(problem, &coefficients, loss),
            coefficients,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    let best = runs
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.loss.total_cmp(&b.1.loss))
        .map(|(i, _)| i)
        .unwrap_or(0);
    Ok(LocalReport {
        optimizer,
        runs,
        best,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

fn adam(res: &[Polynomial], grads: &[Vec<Polynomial>], mut c: Vec<f64>) -> Vec<f64> {
    let (b1, b2, eps) = (0.9, 0.999, 1e-12);
    let n = c.len();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let mut best = (f64::INFINITY, c.clone());
    for t in 1..=3000 {
        let (l, g) = loss_and_subgradient(res, grads, &c);
        if l < best.0 {
            best = (l, c.clone());
        }
        let lr = 0.05 * 0.998f64.powi(t);
        for i in 0..n {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m[i] / (1.0 - b1.powi(t));
            let vh = v[i] / (1.0 - b2.powi(t));
            c[i] -= lr * mh / (vh.sqrt() + eps);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::synthetic::{SyntheticSpec, generate};

    #[test]
    fn local_methods_decrease_the_loss_and_lm_converges_from_nearby() {
        let problem = generate(&SyntheticSpec {
            degrees: vec![2, 1],
            widths: vec![6, 6, 6, 6],
            samples: 20,
            test_samples: 0,
            noise: 0.0,
            seed: 4,
            biases: false,
        })
        .unwrap();
        let truth = problem.true_coefficients.clone().unwrap();
        let npop = network_pop(&problem, Loss::MeanInf).unwrap();
        let c_true = npop.layout.unknowns(&truth).unwrap();
        let res = mean_residual_polynomials(&problem).unwrap();
        let grads: Vec<Vec<Polynomial>> = res.iter().map(Polynomial::gradient).collect();
        // From a start near the known minimizer (loss 0), LM-type SLP converges to it.
        let start: Vec<f64> = c_true.iter().map(|v| v + 0.05).collect();
        let (l0, _) = loss_and_subgradient(&res, &grads, &start);
        let p = polish(
            &npop.pop,
            &npop.point(&start, l0),
            &PolishSettings::default(),
        );
        let err: f64 = p.point[..c_true.len()]
            .iter()
            .zip(&c_true)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err < 1e-6, "distance to the minimizer {err}");
        // Adam decreases the loss from the same start.
        let c = adam(&res, &grads, start.clone());
        let (l1, _) = loss_and_subgradient(&res, &grads, &c);
        assert!(l1 < l0, "{l1} ≥ {l0}");
        // The report's losses are the numeric ones.
        let rep = train(&problem, Loss::MeanInf, Optimizer::Lm, 3, 1).unwrap();
        for r in &rep.runs {
            let l = crate::pop::loss::loss_value(&problem, &r.coefficients, Loss::MeanInf);
            assert_eq!(l, r.loss);
        }
        assert!(
            rep.runs[rep.best].loss
                <= rep
                    .runs
                    .iter()
                    .map(|r| r.loss)
                    .fold(f64::INFINITY, f64::min)
        );
    }
}

/// Global (Moment-SOS) and local training side by side.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The global fit.
    pub global: crate::report::FitReport,
    /// The local runs.
    pub local: LocalReport,
    /// Number of local runs whose loss is within `1e-6 · (1 + loss*)` of the global loss.
    pub reached_global: usize,
    /// Losses of the local runs, sorted.
    pub local_losses: Vec<f64>,
    /// ‖c_true − c‖ of the best local run, when true coefficients are known.
    pub local_coefficient_error: Option<f64>,
}

/// Run the global fit and `starts` local runs on the same problem and loss.
pub fn compare(
    problem: &Problem,
    settings: &crate::fit::FitSettings,
    optimizer: Optimizer,
    starts: usize,
    seed: u64,
) -> Result<Comparison> {
    compare_monitored(problem, settings, optimizer, starts, seed, &mut |_| {})
}

/// [`compare`], with the global fit's events passed to `on_event` (as [`crate::fit::fit`] does).
pub fn compare_monitored(
    problem: &Problem,
    settings: &crate::fit::FitSettings,
    optimizer: Optimizer,
    starts: usize,
    seed: u64,
    on_event: &mut (dyn FnMut(&crate::relax::events::Event) + Send),
) -> Result<Comparison> {
    let global = crate::fit::fit(problem, settings, on_event)?;
    let local = train(problem, settings.loss, optimizer, starts, seed)?;
    let target = global.loss;
    let reached_global = local
        .runs
        .iter()
        .filter(|r| r.loss <= target + 1e-6 * (1.0 + target.abs()))
        .count();
    let mut local_losses: Vec<f64> = local.runs.iter().map(|r| r.loss).collect();
    local_losses.sort_by(f64::total_cmp);
    let local_coefficient_error = problem.coefficient_error(&local.runs[local.best].coefficients);
    Ok(Comparison {
        global,
        local,
        reached_global,
        local_losses,
        local_coefficient_error,
    })
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = &self.global;
        let n = self.local.runs.len();
        let median = self.local_losses[n / 2];
        writeln!(
            f,
            "{:<28} {:>14} {:>14} {:>10}",
            "", "loss", "‖c_true − c‖", "seconds"
        )?;
        writeln!(
            f,
            "{:<28} {:>14.6e} {:>14} {:>10.3}",
            format!(
                "global ({})",
                if g.status == crate::report::FitStatus::Certified {
                    "certified"
                } else {
                    "uncertified"
                }
            ),
            g.loss,
            g.coefficient_error
                .map(|e| format!("{e:.3e}"))
                .unwrap_or("-".into()),
            g.seconds
        )?;
        writeln!(
            f,
            "{:<28} {:>14.6e} {:>14} {:>10.3}",
            format!("local {:?}, best of {n}", self.local.optimizer).to_lowercase(),
            self.local_losses[0],
            self.local_coefficient_error
                .map(|e| format!("{e:.3e}"))
                .unwrap_or("-".into()),
            self.local.seconds
        )?;
        writeln!(f, "{:<28} {:>14.6e}", "local, median", median)?;
        if let Some(lb) = g.lower_bound {
            writeln!(f, "lower bound (relaxation)     {lb:.6e}")?;
        }
        write!(
            f,
            "{} of {n} local starts reached the global value within 1e-6 relative; {} ended at a non-global point",
            self.reached_global,
            n - self.reached_global
        )
    }
}
