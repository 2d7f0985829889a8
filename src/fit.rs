//! Fitting a network's activation coefficients: the loss as a POP (with the ball), the hierarchy, and the
//! report. This is the library entry point behind `polyact fit` and `polyact example`.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::model::stats::SufficientStatistics;
use crate::model::{Network, Problem, coefficient_distance};
use crate::pop::Pop;
use crate::pop::loss::{
    Loss, NetworkPop, loss_value, network_pop_from_stats, network_pop_with_upper_bound,
};
use crate::relax::certificate::{Certificate, NetworkTarget};
use crate::relax::events::Event;
use crate::relax::hierarchy::{self, HierarchyResult, HierarchySettings};
use crate::relax::polish::{PolishSettings, polish};
use crate::report::{FitReport, FitStatus, OrderSummary, PopReport};

/// Tolerance of the certificate check (residual coefficients relative to 1 + |γ|, eigenvalues relative).
pub const CERTIFICATE_TOLERANCE: f64 = 1e-6;

/// Default radius of the ball R² − ‖(c, θ/s)‖² ≥ 0 (s: [`NetworkPop::theta_scale`](crate::pop::loss::NetworkPop::theta_scale)).
///
/// The normalization c_{l,0} = 1 of the inner layers fixes the scale of the coefficients: with weights and
/// data of unit scale (as in the paper's experiments) they are O(1), so ‖c‖ ≈ √n for n unknowns of unit size,
/// and θ* is the residual level. R = 5 covers coefficient vectors up to about twice that size for the
/// paper's networks (n ≤ 7). The radius trades coverage against tightness and speed: measured on generated
/// (2,3) instances at order 3, R = 3 was flat after 36 iterations while R = 10 left a 6% gap after 68 (see
/// README). When the ball is active at the answer, [`fit`] retries with a radius four times larger (see
/// [`FitSettings::ball_retries`]) and the report says so.
pub const DEFAULT_RADIUS: f64 = 5.0;

/// Settings of a fit; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct FitSettings {
    /// The training loss.
    pub loss: Loss,
    /// Radius of the ball constraint; `None` = no ball (the paper's unbounded formulation).
    pub radius: Option<f64>,
    /// Hierarchy and solver settings.
    pub hierarchy: HierarchySettings,
    /// How many times to retry with a 4× larger radius when the ball is active at the answer (default 2).
    pub ball_retries: usize,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            loss: Loss::MeanInf,
            radius: Some(DEFAULT_RADIUS),
            hierarchy: HierarchySettings::default(),
            ball_retries: 2,
        }
    }
}

/// Fit the activation coefficients of `problem` globally. `on_event` sees each order's predicted cost before it
/// starts, every interior-point iteration and each order's result ([`Event`]).
///
/// When the ball is active at the answer, the fit is repeated with a four times larger radius, at most
/// `settings.ball_retries` times; the report's notes list the radii tried.
pub fn fit(
    problem: &Problem,
    settings: &FitSettings,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<FitReport> {
    let stats = SufficientStatistics::from_problem(problem, settings.loss)?;
    let target = Target {
        network: &problem.network,
        truth: problem.true_coefficients.as_deref(),
        stats: &stats,
        data: Some(problem),
    };
    fit_target(&target, settings, on_event)
}

/// Fit from (merged) [`SufficientStatistics`] instead of data: `network` must be the network the statistics
/// were computed for, and `settings.loss` their loss. `truth` (the true coefficients, if known) only feeds the
/// report's coefficient error. Losses are evaluated from the statistics' polynomials.
pub fn fit_statistics(
    network: &Network,
    truth: Option<&[Vec<f64>]>,
    stats: &SufficientStatistics,
    settings: &FitSettings,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<FitReport> {
    if stats.loss() != settings.loss {
        return Err(Error::InvalidInput(format!(
            "the statistics are for the {} loss but the fit asks for {} (use --loss {})",
            stats.loss(),
            settings.loss,
            stats.loss()
        )));
    }
    let target = Target {
        network,
        truth,
        stats,
        data: None,
    };
    fit_target(&target, settings, on_event)
}

/// What a fit works on: the network, the statistics of its data and, when available, the data themselves
/// (then losses are evaluated by forward passes, otherwise from the statistics).
struct Target<'a> {
    network: &'a Network,
    truth: Option<&'a [Vec<f64>]>,
    stats: &'a SufficientStatistics,
    data: Option<&'a Problem>,
}

fn fit_target(
    target: &Target,
    settings: &FitSettings,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<FitReport> {
    let start = Instant::now();
    if let Some(r) = settings.radius.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(Error::InvalidInput(format!(
            "the radius must be a positive number, got {r}"
        )));
    }
    let mut radius = settings.radius;
    let mut earlier = vec![];
    loop {
        // Retries share the time limit.
        let mut this = settings.clone();
        let left = settings
            .hierarchy
            .time_limit
            .map(|t| (t - start.elapsed().as_secs_f64()).max(0.0));
        this.hierarchy.time_limit = left;
        let mut report = fit_once(target, &this, radius, on_event)?;
        let out_of_time = report.ball_active
            && earlier.len() < settings.ball_retries
            && settings
                .hierarchy
                .time_limit
                .is_some_and(|t| start.elapsed().as_secs_f64() >= t);
        if out_of_time {
            report.notes.push(format!(
                "no retry with the radius {}: the time limit ran out",
                4.0 * radius.unwrap_or(1.0)
            ));
        }
        if !report.ball_active || earlier.len() >= settings.ball_retries || out_of_time {
            for r in earlier.iter().rev() {
                report.notes.insert(
                    0,
                    format!(
                        "the ball of radius {r} was active at the answer; retried with radius {}",
                        4.0 * r
                    ),
                );
            }
            report.seconds = start.elapsed().as_secs_f64();
            return Ok(report);
        }
        let r = radius.expect("an active ball has a radius");
        earlier.push(r);
        radius = Some(4.0 * r);
    }
}

fn fit_once(
    target: &Target,
    settings: &FitSettings,
    radius: Option<f64>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<FitReport> {
    let start = Instant::now();
    let npop = fit_pop(target.network, target.stats, radius)?;
    let pop = match radius {
        Some(r) => npop.pop.with_ball(r),
        None => npop.pop.clone(),
    };
    let nu = npop.layout.num_unknowns();
    let loss_of = |z: &[f64]| match target.data {
        Some(problem) => loss_value(problem, &npop.coefficients(z), settings.loss),
        None => npop.loss_at(&z[..nu]),
    };
    let upper = |z: &[f64]| {
        let v = loss_of(z);
        v.is_finite().then_some(v)
    };
    let hs = HierarchySettings {
        certificates: true,
        ..settings.hierarchy.clone()
    };
    let result = match hierarchy::run(&pop, &hs, &upper, on_event) {
        // No relaxation of the minimal order can be built: the answer is the best refined random start,
        // with the trivial bound.
        Err(Error::TooLarge(why)) if hs.min_order.is_none_or(|k| k == pop.min_order()) => {
            let note = format!(
                "no relaxation fits: {why}. For a network, the loss's degree grows with the product of the \
                 activation degrees and its variables are their coefficients: fewer hidden layers or lower \
                 degrees fit"
            );
            return unrelaxed_report(target, settings, &npop, &pop, radius, &upper, note, start);
        }
        r => r?,
    };
    let (mut certificate, certified_lower_bound) = verified_bound(&result, &pop)?;
    if let Some(c) = certificate.as_mut() {
        c.network = Some(NetworkTarget {
            loss: npop.loss,
            theta_scale: npop.theta_scale,
        });
    }

    // The answer: the certified order if any, else the order with the best candidate.
    let chosen = result.chosen();
    let z = chosen
        .best_candidate
        .map(|i| chosen.candidates[i].clone())
        .unwrap_or_else(|| chosen.candidates[0].clone());
    let coefficients = npop.coefficients(&z);
    let loss = loss_of(&z);
    // Without a solved relaxation, the trivial bound: every loss is nonnegative.
    let trivial = result.lower_bound().is_none();
    let lower_bound = result.lower_bound().or(Some(0.0));
    let gap = lower_bound.map(|lb| loss - lb);
    let relative_gap = lower_bound
        .map(|lb| hierarchy::relative_gap(loss, lb, hierarchy::GAP_FLOOR * result.objective_scale));
    let mut status = status_of(&result);
    if trivial && relative_gap.is_some_and(|g| g <= hs.gap_tolerance) {
        status = FitStatus::Certified;
    }
    let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
    let ball_active = radius.is_some_and(|r| norm >= 0.999 * r);
    let minimizers = if chosen.flat {
        chosen
            .candidates
            .iter()
            .map(|c| npop.coefficients(c))
            .collect()
    } else {
        vec![]
    };
    let coefficient_error = target.truth.map(|t| coefficient_distance(t, &coefficients));
    let mut notes = vec![];
    if ball_active {
        notes.push(format!(
            "the ball of radius {} is active at the answer (‖(c, θ/s)‖ = {norm:.4}): the true optimum may lie \
             outside it; rerun with a larger --radius (e.g. {})",
            radius.unwrap_or(0.0),
            4.0 * radius.unwrap_or(1.0)
        ));
    }
    if let Some(why) = &result.stopped_early {
        notes.push(format!("stopped before the maximal order: {why}"));
    }
    if trivial {
        notes.push(format!(
            "{}: the coefficients are the best candidate found so far, and {}",
            if result.time_limited {
                "the time limit ended the run before a relaxation was solved"
            } else {
                "no relaxation was solved"
            },
            trivial_bound_note(status == FitStatus::Certified)
        ));
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
        relative_gap,
        radius,
        ball_active,
        order: if trivial { 0 } else { chosen.order },
        flat: chosen.flat,
        rank: chosen.rank,
        coefficient_error,
        loss_before_polish: chosen.upper_bound_before_polish,
        certified_lower_bound,
        certificate,
        hierarchy: result.orders.iter().map(OrderSummary::from).collect(),
        notes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The report of a fit none of whose relaxations can be built: the best of the refined random starts
/// ([`hierarchy::local_candidates`]) with the trivial lower bound 0 (every loss is nonnegative): certified
/// when the loss attains it (noiseless data), else [`FitStatus::Failed`] (no relaxation solved); `note` says
/// why no relaxation was built.
#[allow(clippy::too_many_arguments)]
fn unrelaxed_report(
    target: &Target,
    settings: &FitSettings,
    npop: &NetworkPop,
    pop: &Pop,
    radius: Option<f64>,
    upper: &dyn Fn(&[f64]) -> Option<f64>,
    note: String,
    start: Instant,
) -> Result<FitReport> {
    let hs = &settings.hierarchy;
    // The refinement gets what is left of the time limit after the attempt to build a relaxation.
    let left = HierarchySettings {
        time_limit: hs
            .time_limit
            .map(|t| (t - start.elapsed().as_secs_f64()).max(0.0)),
        ..hs.clone()
    };
    let Some((z, loss)) = hierarchy::local_candidates(pop, &left, upper)
        .into_iter()
        .next()
    else {
        return Err(Error::Numerical(format!(
            "{note}; and no refined random start has a finite loss"
        )));
    };
    let coefficients = npop.coefficients(&z);
    let relative_gap =
        hierarchy::relative_gap(loss, 0.0, hierarchy::GAP_FLOOR * pop.objective_scale());
    let status = if relative_gap <= hs.gap_tolerance {
        FitStatus::Certified
    } else {
        FitStatus::Failed
    };
    let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut notes = vec![note];
    notes.push(format!(
        "the coefficients are the best of {} refined random starts, and {}",
        hs.random_starts.max(1),
        trivial_bound_note(status == FitStatus::Certified)
    ));
    Ok(FitReport {
        status,
        loss_name: settings.loss,
        variables: npop.pop.variable_names.clone(),
        coefficients: coefficients.clone(),
        minimizers: vec![],
        loss,
        lower_bound: Some(0.0),
        gap: Some(loss),
        relative_gap: Some(relative_gap),
        radius,
        ball_active: radius.is_some_and(|r| norm >= 0.999 * r),
        order: 0,
        flat: false,
        rank: None,
        coefficient_error: target.truth.map(|t| coefficient_distance(t, &coefficients)),
        loss_before_polish: None,
        certified_lower_bound: None,
        certificate: None,
        hierarchy: vec![],
        notes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// What a report without a solved relaxation says of its lower bound; `attained` when the loss meets it.
fn trivial_bound_note(attained: bool) -> &'static str {
    if attained {
        "the lower bound is the trivial one, 0 (the loss is nonnegative), which the loss attains: a global \
         minimizer"
    } else {
        "the lower bound is the trivial one, 0 (the loss is nonnegative)"
    }
}

/// How a hierarchy run ended, as reported.
fn status_of(result: &HierarchyResult) -> FitStatus {
    if result.chosen().certified {
        FitStatus::Certified
    } else if result.lower_bound().is_some() {
        FitStatus::Uncertified
    } else if result.time_limited {
        FitStatus::TimeLimit
    } else {
        FitStatus::Failed
    }
}

/// The POP that [`fit`] solves for `network` and its statistics, before the ball of `radius` is added (the
/// same one `polyact fit --export-sdpa` writes).
///
/// For the epigraph losses the scale s of θ = s·t comes from an upper bound on the optimal loss: the loss at
/// the point found by local refinement ([`polish`]) from c = 0 on the POP scaled by the outputs alone (with
/// the ball, if any). See [`NetworkPop`] for the rule; a small loss there gives a small s (at least 1% of the
/// loss at c = 0), which keeps the ball from being wider in θ than it needs to be (a wider ball weakens the
/// bound). The
/// refinement is cheap next to the relaxations (Table 5's N = 150 instance: 16 ms for mean-inf, 1.6 s
/// of a 103 s fit for max-inf, whose POP has 2·N·m_out constraints).
pub fn fit_pop(
    network: &Network,
    stats: &SufficientStatistics,
    radius: Option<f64>,
) -> Result<NetworkPop> {
    let by_outputs = network_pop_from_stats(network, stats)?;
    if !by_outputs.loss.has_theta() {
        return Ok(by_outputs);
    }
    let nu = by_outputs.layout.num_unknowns();
    let zero = vec![0.0; nu];
    let pop = match radius {
        Some(r) => by_outputs.pop.with_ball(r),
        None => by_outputs.pop.clone(),
    };
    // At c = 0 with θ = M (the loss there) the point is feasible; inside the ball when t = M/s ≤ 4 < R.
    // The refinement sees the objective divided by its scale, as the hierarchy's does.
    let pop = pop.with_objective_scaled(1.0 / pop.objective_scale());
    let start = by_outputs.point(&zero, by_outputs.loss_at(&zero));
    let refined = polish(&pop, &start, &PolishSettings::default());
    let upper = by_outputs.loss_at(&refined.point[..nu]);
    network_pop_with_upper_bound(network, stats, Some(upper))
}

/// The certificate of the best bound and, when it verifies, the bound it certifies on the ball.
fn verified_bound(
    result: &HierarchyResult,
    pop: &Pop,
) -> Result<(Option<Certificate>, Option<f64>)> {
    let cert = result.best_certificate().cloned();
    let bound = match &cert {
        Some(c) => {
            let v = c.verify(pop, CERTIFICATE_TOLERANCE)?;
            v.certified_lower_bound.filter(|_| v.accepted())
        }
        None => None,
    };
    Ok((cert, bound))
}

/// Run the hierarchy on a general POP and build its report (with the certificate of the best bound checked).
/// Returns the report and that certificate.
pub fn solve_pop(
    pop: &Pop,
    settings: &HierarchySettings,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<(crate::report::PopReport, Option<Certificate>)> {
    let start = Instant::now();
    let hs = HierarchySettings {
        certificates: true,
        ..settings.clone()
    };
    let oracle = |z: &[f64]| hierarchy::feasible_objective(pop, z);
    let result = hierarchy::run(pop, &hs, &oracle, on_event)?;
    let chosen = result.chosen();
    let minimizers = if chosen.flat {
        chosen.candidates.clone()
    } else {
        chosen
            .best_candidate
            .map(|i| vec![chosen.candidates[i].clone()])
            .unwrap_or_default()
    };
    let lower_bound = result.lower_bound();
    let (cert, certified_lower_bound) = verified_bound(&result, pop)?;
    let status = status_of(&result);
    let mut notes = vec![];
    if crate::relax::certificate::find_ball(pop).is_none() {
        notes.push(
            "no ball constraint R² − ‖z‖² ≥ 0: the relaxation may be ill-posed and no certified bound is \
             stated (add \"radius\" to the file or --radius)"
                .into(),
        );
    }
    if let Some(why) = &result.stopped_early {
        notes.push(format!("stopped before the maximal order: {why}"));
    }
    Ok((
        PopReport {
            status,
            variables: pop.variable_names.clone(),
            minimizers,
            objective: chosen.upper_bound,
            lower_bound,
            certified_lower_bound,
            gap: chosen.upper_bound.zip(lower_bound).map(|(u, l)| u - l),
            relative_gap: chosen.upper_bound.zip(lower_bound).map(|(u, l)| {
                hierarchy::relative_gap(u, l, hierarchy::GAP_FLOOR * result.objective_scale)
            }),
            order: chosen.order,
            flat: chosen.flat,
            rank: chosen.rank,
            hierarchy: result.orders.iter().map(OrderSummary::from).collect(),
            notes,
            seconds: start.elapsed().as_secs_f64(),
        },
        cert,
    ))
}

/// Solve an SDP given as SDPA sparse text (`name` names it in messages and the report), as `polyact sdp`
/// does: a file written by `polyact fit --export-sdpa` is rebuilt as its moment relaxation (checked to
/// reproduce every number of the file) so the structured Schur-complement kernels apply, started at the
/// moments of a Gaussian measure when `gaussian_start` is set; any other file (or any file with `general`) is
/// solved as a general SDP. `monitor` sees every iterate and may stop the solve ([`crate::sdp::solve_monitored`]).
/// Returns the report (with the independent check of the point) and the solution.
pub fn solve_sdpa(
    text: &str,
    name: &str,
    settings: &crate::sdp::SdpSettings,
    general: bool,
    gaussian_start: bool,
    monitor: &mut (dyn FnMut(&crate::sdp::IterationInfo) -> std::ops::ControlFlow<()> + Send),
) -> Result<(crate::sdp::sdpa::SdpReport, crate::sdp::SdpSolution)> {
    use crate::relax::moment::{MomentRelaxation, SDPA_RELAXATION_TAG};
    use crate::sdp::sdpa;
    let rebuilt = if general {
        None
    } else {
        MomentRelaxation::from_sdpa(text, settings.max_memory_bytes)
    };
    let (problem, structure) = match &rebuilt {
        Some(r) => (
            r.sdp().clone(),
            format!(
                "moment relaxation of order {} in {} variables (from the file's {} comment){}",
                r.order(),
                r.pop().nvars(),
                SDPA_RELAXATION_TAG,
                if gaussian_start {
                    ", started at the moments of a Gaussian measure"
                } else {
                    ""
                }
            ),
        ),
        None => (
            sdpa::parse(text, name)?,
            sdpa::GENERAL_STRUCTURE.to_string(),
        ),
    };
    let solution = match &rebuilt {
        Some(r) => hierarchy::solve_moment_sdp_monitored(
            r,
            &problem,
            settings,
            gaussian_start,
            None,
            monitor,
        )?,
        None => crate::sdp::solve_monitored(
            &problem,
            settings,
            crate::sdp::StartPoint::Standard,
            monitor,
        )?,
    };
    let report = sdpa::SdpReport::new(name, &structure, &problem, &solution);
    Ok((report, solution))
}
