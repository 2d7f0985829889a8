//! Fitting a network's activation coefficients: the loss as a POP (with the ball), the hierarchy, and the
//! report. This is the library entry point behind `polyact fit` and `polyact example`.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::hierarchy::{self, HierarchySettings, OrderResult};
use crate::network::Problem;
use crate::pop::loss::{Loss, loss_value, network_pop};
use crate::report::{FitReport, FitStatus, OrderSummary};

/// Default radius of the ball R² − ‖(c, θ)‖² ≥ 0.
///
/// The paper's normalization (c_{l,0} = 1 for inner layers, weights O(1)) keeps the coefficients O(1), and
/// θ* ≤ loss(c = 0) = ‖ŷ‖_∞. R = 10 contains every coefficient vector of norm < 10 with room to spare;
/// a larger radius weakens the conditioning of the relaxation (moments grow like R^{2k}). When the ball is
/// active at the answer, the report says so and suggests a larger radius.
pub const DEFAULT_RADIUS: f64 = 10.0;

/// Settings of a fit; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct FitSettings {
    /// The training loss.
    pub loss: Loss,
    /// Radius of the ball constraint; `None` = no ball (the paper's unbounded formulation).
    pub radius: Option<f64>,
    /// Hierarchy and solver settings.
    pub hierarchy: HierarchySettings,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            loss: Loss::MeanInf,
            radius: Some(DEFAULT_RADIUS),
            hierarchy: HierarchySettings::default(),
        }
    }
}

/// Fit the activation coefficients of `problem` globally. `on_order` sees each order as it finishes.
pub fn fit(
    problem: &Problem,
    settings: &FitSettings,
    on_order: &mut dyn FnMut(&OrderResult),
) -> Result<FitReport> {
    let start = Instant::now();
    if let Some(r) = settings.radius.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(Error::InvalidInput(format!(
            "the radius must be a positive number, got {r}"
        )));
    }
    let npop = network_pop(problem, settings.loss)?;
    let pop = match settings.radius {
        Some(r) => npop.pop.with_ball(r),
        None => npop.pop.clone(),
    };
    let upper = |z: &[f64]| {
        let v = loss_value(problem, &npop.coefficients(z), settings.loss);
        v.is_finite().then_some(v)
    };
    let result = hierarchy::run(&pop, &settings.hierarchy, &upper, on_order)?;

    // The answer: the certified order if any, else the order with the best candidate.
    let chosen = result
        .certified()
        .or_else(|| result.best())
        .unwrap_or_else(|| result.last());
    let z = chosen
        .best_candidate
        .map(|i| chosen.candidates[i].clone())
        .unwrap_or_else(|| chosen.candidates[0].clone());
    let coefficients = npop.coefficients(&z);
    let loss = loss_value(problem, &coefficients, settings.loss);
    let lower_bound = result.lower_bound();
    let gap = lower_bound.map(|lb| loss - lb);
    let status = if chosen.certified {
        FitStatus::Certified
    } else if lower_bound.is_some() {
        FitStatus::Uncertified
    } else {
        FitStatus::Failed
    };
    let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
    let ball_active = settings.radius.is_some_and(|r| norm >= 0.999 * r);
    let minimizers = if chosen.flat {
        chosen
            .candidates
            .iter()
            .map(|c| npop.coefficients(c))
            .collect()
    } else {
        vec![]
    };
    let coefficient_error = problem.true_coefficients.as_ref().map(|t| {
        t.iter()
            .flatten()
            .zip(coefficients.iter().flatten())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    });
    let mut notes = vec![];
    if ball_active {
        notes.push(format!(
            "the ball of radius {} is active at the answer (‖(c, θ)‖ = {norm:.4}): the true optimum may lie \
             outside it; rerun with a larger --radius (e.g. {})",
            settings.radius.unwrap_or(0.0),
            10.0 * settings.radius.unwrap_or(1.0)
        ));
    }
    if let Some(why) = &result.stopped_early {
        notes.push(format!("stopped before the maximal order: {why}"));
    }
    if status == FitStatus::Uncertified {
        notes.push(
            "global optimality is not certified: the gap between the loss and the lower bound remains; \
             try a higher --max-order"
                .into(),
        );
    }
    Ok(FitReport {
        status,
        loss_name: settings.loss,
        variables: npop.pop.variable_names.clone(),
        coefficients,
        minimizers,
        loss,
        lower_bound,
        gap,
        radius: settings.radius,
        ball_active,
        order: chosen.order,
        flat: chosen.flat,
        rank: chosen.rank,
        coefficient_error,
        hierarchy: result.orders.iter().map(OrderSummary::from).collect(),
        notes,
        seconds: start.elapsed().as_secs_f64(),
    })
}
