//! Train and test metrics of a network at given activation coefficients (`polyact eval`).
//!
//! API: [`evaluate`] computes, for the training set and (when the problem has one) the test set, the mean
//! squared error MSE = (1/(N·m_out)) Σ_i ‖f(x_i; c) − y_i‖² (the mean over all N·m_out output entries), its
//! square root RMSE, and every training loss (the paper's ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞, lsq, max-inf). [`residuals`] gives the per-sample
//! residuals ε_i = f(x_i; c) − y_i (plotted by [`crate::experiments::plot`]); [`noise_matrix`] the noise y_i − f(x_i; c_true)
//! of a synthetic problem; [`spectral_norm`] the matrix 2-norm; [`read_report_coefficients`] the
//! `coefficients` of a fit report file.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Dataset, Loss, Network, Problem};

/// The definition of MSE used everywhere in polyact, for printing next to the numbers.
pub const MSE_DEFINITION: &str = "MSE = (1/(N·m_out)) Σ_i ‖f(x_i; c) − y_i‖₂² (mean over all N·m_out output \
                                  entries), RMSE = √MSE";

/// Metrics of one data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Number of samples N.
    pub samples: usize,
    /// Output dimension m_out.
    pub outputs: usize,
    /// (1/(N·m_out)) Σ_i ‖f(x_i; c) − y_i‖².
    pub mse: f64,
    /// √MSE.
    pub rmse: f64,
    /// The paper's loss ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞ (mean-inf) on this data set.
    pub loss: f64,
    /// The lsq loss (1/N) Σ_i ‖f(x_i; c) − y_i‖₂² on this data set.
    pub lsq_loss: f64,
    /// The max-inf loss max_i ‖f(x_i; c) − y_i‖_∞ on this data set.
    pub max_inf_loss: f64,
    /// max_i ‖f(x_i; c) − y_i‖₂.
    pub max_residual_norm: f64,
}

/// Train (and test) metrics at one coefficient vector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// How MSE and RMSE are defined.
    pub definition: String,
    /// Metrics on the training data.
    pub train: Metrics,
    /// Metrics on the held-out data, when the problem has some.
    pub test: Option<Metrics>,
    /// ‖c_true − c‖₂ when the problem has true coefficients.
    pub coefficient_error: Option<f64>,
    /// The loss the coefficients were fitted with (the report's `loss_function`), when known: printed first.
    pub fitted_loss: Option<Loss>,
}

impl Metrics {
    /// The value of `loss` on this data set.
    pub fn loss_of(&self, loss: Loss) -> f64 {
        match loss {
            Loss::MeanInf => self.loss,
            Loss::Lsq => self.lsq_loss,
            Loss::MaxInf => self.max_inf_loss,
        }
    }
}

/// Per-sample residuals ε_i = f(x_i; c) − y_i (N rows of length m_out).
pub fn residuals(network: &Network, data: &Dataset, coefficients: &[Vec<f64>]) -> Vec<Vec<f64>> {
    data.inputs
        .iter()
        .zip(&data.outputs)
        .map(|(x, y)| {
            network
                .forward(coefficients, x)
                .into_iter()
                .zip(y)
                .map(|(f, y)| f - y)
                .collect()
        })
        .collect()
}

/// Metrics of `data` at `coefficients` (which must fit the network, see [`check_coefficients`]).
pub fn metrics(network: &Network, data: &Dataset, coefficients: &[Vec<f64>]) -> Metrics {
    let r = residuals(network, data, coefficients);
    let n = r.len();
    let m = network.output_dim();
    let mut sum_sq = 0.0;
    let mut mean = vec![0.0; m];
    let mut max_norm: f64 = 0.0;
    let mut max_entry: f64 = 0.0;
    for ri in &r {
        let sq: f64 = ri.iter().map(|v| v * v).sum();
        max_entry = ri.iter().fold(max_entry, |a, v| a.max(v.abs()));
        sum_sq += sq;
        max_norm = max_norm.max(sq.sqrt());
        for (a, v) in mean.iter_mut().zip(ri) {
            *a += v;
        }
    }
    let mse = if n == 0 { 0.0 } else { sum_sq / (n * m) as f64 };
    let loss = if n == 0 {
        0.0
    } else {
        mean.iter().fold(0.0f64, |a, v| a.max((v / n as f64).abs()))
    };
    Metrics {
        samples: n,
        outputs: m,
        mse,
        rmse: mse.sqrt(),
        loss,
        lsq_loss: if n == 0 { 0.0 } else { sum_sq / n as f64 },
        max_inf_loss: max_entry,
        max_residual_norm: max_norm,
    }
}

/// Check that per-layer coefficients fit the network: one list per hidden layer, d_l + 1 finite entries each.
pub fn check_coefficients(network: &Network, coefficients: &[Vec<f64>]) -> Result<()> {
    let degrees = network.degrees();
    if coefficients.len() != degrees.len() {
        return Err(Error::InvalidInput(format!(
            "coefficients are given for {} hidden layers but the network has {}",
            coefficients.len(),
            degrees.len()
        )));
    }
    for (l, (c, &d)) in coefficients.iter().zip(degrees).enumerate() {
        if c.len() != d + 1 {
            return Err(Error::InvalidInput(format!(
                "coefficients of hidden layer {} have {} entries but its degree is {d} (expected {})",
                l + 1,
                c.len(),
                d + 1
            )));
        }
        if let Some(j) = c.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "coefficient c{}{j} is not a finite number",
                l + 1
            )));
        }
    }
    Ok(())
}

pub use crate::model::coefficient_distance;

/// Train and test metrics of `problem` at `coefficients`.
pub fn evaluate(problem: &Problem, coefficients: &[Vec<f64>]) -> Result<Evaluation> {
    check_coefficients(&problem.network, coefficients)?;
    let train = metrics(&problem.network, &problem.data, coefficients);
    let test = problem
        .test
        .as_ref()
        .map(|t| metrics(&problem.network, t, coefficients));
    let coefficient_error = problem
        .true_coefficients
        .as_ref()
        .map(|t| coefficient_distance(t, coefficients));
    Ok(Evaluation {
        definition: MSE_DEFINITION.to_string(),
        train,
        test,
        coefficient_error,
        fitted_loss: None,
    })
}

impl Evaluation {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("evaluations serialize")
    }
}

impl Evaluation {
    /// The losses in the order printed: the fitted loss first (when known), then the others.
    pub fn losses_in_order(&self) -> Vec<Loss> {
        let first = self.fitted_loss.unwrap_or(Loss::MeanInf);
        std::iter::once(first)
            .chain(Loss::ALL.iter().copied().filter(|&l| l != first))
            .collect()
    }
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let losses = self.losses_in_order();
        let label = |l: Loss| match self.fitted_loss {
            Some(x) if x == l => format!("{l} (fitted)"),
            _ => l.to_string(),
        };
        write!(
            f,
            "{:<6} {:>6} {:>6}  {:>12}  {:>12}",
            "set", "N", "m_out", "MSE", "RMSE"
        )?;
        for &l in &losses {
            write!(f, "  {:>16}", label(l))?;
        }
        writeln!(f, "  {:>14}", "max ‖ε_i‖₂")?;
        let line = |f: &mut std::fmt::Formatter<'_>, name: &str, m: &Metrics| {
            write!(
                f,
                "{:<6} {:>6} {:>6}  {:>12.4e}  {:>12.4e}",
                name, m.samples, m.outputs, m.mse, m.rmse
            )?;
            for &l in &losses {
                write!(f, "  {:>16.4e}", m.loss_of(l))?;
            }
            writeln!(f, "  {:>14.4e}", m.max_residual_norm)
        };
        line(f, "train", &self.train)?;
        match &self.test {
            Some(t) => line(f, "test", t)?,
            None => writeln!(
                f,
                "test   (the problem file has no test_inputs/test_outputs)"
            )?,
        }
        if let Some(e) = self.coefficient_error {
            writeln!(f, "‖c_true − c‖₂ = {e:.4e}")?;
        }
        write!(f, "{}", self.definition)?;
        for &l in &losses {
            let note = match self.fitted_loss {
                Some(x) if x == l => " (the loss the report was fitted with)",
                None if l == Loss::MeanInf => " (the paper's loss; the report names no loss)",
                _ => "",
            };
            write!(f, "\n{l} = {}{note}", l.description())?;
        }
        Ok(())
    }
}

/// The noise of a synthetic problem: ε_i = y_i − f(x_i; c_true) (N rows of length m_out); `None` without
/// true coefficients.
pub fn noise_matrix(problem: &Problem) -> Option<Vec<Vec<f64>>> {
    let c = problem.true_coefficients.as_ref()?;
    Some(
        residuals(&problem.network, &problem.data, c)
            .into_iter()
            .map(|r| r.into_iter().map(|v| -v).collect())
            .collect(),
    )
}

/// Frobenius norm of a matrix given as rows.
pub fn frobenius_norm(rows: &[Vec<f64>]) -> f64 {
    rows.iter().flatten().map(|v| v * v).sum::<f64>().sqrt()
}

/// Spectral norm (largest singular value) of a matrix given as rows: the square root of the largest
/// eigenvalue of AᵀA, computed by cyclic Jacobi rotations (exact to rounding; meant for ≤ a few hundred
/// columns).
pub fn spectral_norm(rows: &[Vec<f64>]) -> f64 {
    let Some(first) = rows.first() else {
        return 0.0;
    };
    let n = first.len();
    // G = AᵀA.
    let mut g = vec![0.0; n * n];
    for r in rows {
        for i in 0..n {
            if r[i] == 0.0 {
                continue;
            }
            for j in 0..n {
                g[i * n + j] += r[i] * r[j];
            }
        }
    }
    let scale = (0..n).map(|i| g[i * n + i]).sum::<f64>();
    if scale == 0.0 {
        return 0.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| g[i * n + j] * g[i * n + j])
            .sum();
        if off.sqrt() <= 1e-15 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = g[p * n + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (g[p * n + p], g[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (gkp, gkq) = (g[k * n + p], g[k * n + q]);
                    g[k * n + p] = c * gkp - s * gkq;
                    g[k * n + q] = s * gkp + c * gkq;
                }
                for k in 0..n {
                    let (gpk, gqk) = (g[p * n + k], g[q * n + k]);
                    g[p * n + k] = c * gpk - s * gqk;
                    g[q * n + k] = s * gpk + c * gqk;
                }
            }
        }
    }
    (0..n)
        .map(|i| g[i * n + i])
        .fold(0.0f64, f64::max)
        .max(0.0)
        .sqrt()
}

/// The `coefficients` field of a fit report (JSON) — or of any JSON object with that field.
pub fn read_report_coefficients(path: impl AsRef<Path>) -> Result<Vec<Vec<f64>>> {
    let path = path.as_ref();
    let text = crate::error::read_text(path)?;
    parse_report_coefficients(&text, &path.display().to_string())
}

/// [`read_report_coefficients`] from a string; `source` names it in errors.
pub fn parse_report_coefficients(text: &str, source: &str) -> Result<Vec<Vec<f64>>> {
    parse_report(text, source).map(|(c, _)| c)
}

/// The `coefficients` of a fit report file and the loss it was fitted with (`loss_function`, absent from a
/// local method's report).
pub fn read_report(path: impl AsRef<Path>) -> Result<(Vec<Vec<f64>>, Option<Loss>)> {
    let path = path.as_ref();
    let text = crate::error::read_text(path)?;
    parse_report(&text, &path.display().to_string())
}

/// [`read_report`] from a string; `source` names it in errors.
pub fn parse_report(text: &str, source: &str) -> Result<(Vec<Vec<f64>>, Option<Loss>)> {
    #[derive(serde::Deserialize)]
    struct ReportCoefficients {
        coefficients: Vec<Vec<f64>>,
        #[serde(default)]
        loss_function: Option<Loss>,
    }
    let r: ReportCoefficients = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "{source}: not a report with a `coefficients` field (one list per hidden layer): {e}"
        ))
    })?;
    Ok((r.coefficients, r.loss_function))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectral_norm_matches_known_values() {
        // diag(3, 1) rotated; singular values 3 and 1.
        let (c, s) = (0.6, 0.8);
        let a = vec![vec![3.0 * c, -s], vec![3.0 * s, c]];
        assert!((spectral_norm(&a) - 3.0).abs() < 1e-12);
        // A rank-one matrix u vᵀ has norm ‖u‖‖v‖.
        let u = [1.0, 2.0, 2.0];
        let v = [0.0, 3.0, 4.0, 0.0];
        let b: Vec<Vec<f64>> = u
            .iter()
            .map(|ui| v.iter().map(|vj| ui * vj).collect())
            .collect();
        assert!((spectral_norm(&b) - 15.0).abs() < 1e-12);
        assert_eq!(spectral_norm(&[vec![0.0; 3]]), 0.0);
        assert!((frobenius_norm(&b) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn report_coefficients_parse() {
        let c = parse_report_coefficients(r#"{"status": "x", "coefficients": [[1, 2], [3]]}"#, "r")
            .unwrap();
        assert_eq!(c, vec![vec![1.0, 2.0], vec![3.0]]);
        let e = parse_report_coefficients("{}", "r.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.json") && e.contains("coefficients"), "{e}");
    }
}
