//! Observing and limiting long solves: the solver's monitor and time limit, the hierarchy's events and time
//! limit, the predicted size of an order, and the message when even the minimal order cannot fit.

use std::ops::ControlFlow;

use polyact::Error;
use polyact::fit::{FitSettings, fit};
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::model::{Loss, example_3_4};
use polyact::polynomial::Polynomial;
use polyact::pop::Pop;
use polyact::pop::loss::loss_value;
use polyact::relax::cost::RelaxationSize;
use polyact::relax::events::{Event, SolveKind};
use polyact::relax::hierarchy::{HierarchySettings, StopRule, feasible_objective, run};
use polyact::relax::moment::{MomentRelaxation, Structure};
use polyact::report::FitStatus;
use polyact::sdp::{IterationInfo, SdpSettings, SdpStatus, StartPoint, solve, solve_monitored};

/// C(n + d, d) exactly, by Pascal's rule (independent of the library's product formula).
fn binomial(n: usize, d: usize) -> u128 {
    let mut row = vec![1u128; d + 1]; // row[j] = C(i + j, j) for i = 0
    for _ in 0..n {
        for j in 1..=d {
            row[j] += row[j - 1];
        }
    }
    row[d]
}

/// min Σ z_i z_{i+1} around an odd cycle on the box [−1, 1]ⁿ (order 1 leaves a gap: an odd cycle is not
/// bipartite), with a ball.
fn odd_cycle(n: usize) -> Pop {
    let z = |i: usize| Polynomial::variable(n, i % n);
    let mut f = Polynomial::constant(n, 0.0);
    for i in 0..n {
        f = &f + &(&z(i) * &z(i + 1));
    }
    let one = Polynomial::constant(n, 1.0);
    let box_: Vec<Polynomial> = (0..n).map(|i| &one - &(&z(i) * &z(i))).collect();
    let names = (1..=n).map(|i| format!("z{i}")).collect();
    Pop::new(names, f, box_, vec![])
        .unwrap()
        .with_ball(2.0 * (n as f64).sqrt())
}

/// The monitor sees iterations 0, 1, 2, … with the solver's measures; asked to stop at iteration k, the solve
/// ends with `Interrupted` at that iterate, whose reported objective and residuals are those the monitor saw and
/// agree with an independent check of the returned point.
#[test]
fn the_monitor_stops_the_solver_at_the_iterate_it_saw() {
    let pop = odd_cycle(5);
    let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
    let settings = SdpSettings::default();
    let full = solve(r.sdp(), &settings).unwrap();
    assert_eq!(full.status, SdpStatus::Optimal);
    let k = 4;
    assert!(full.iterations > k + 2);
    let mut seen: Vec<IterationInfo> = vec![];
    let sol = solve_monitored(r.sdp(), &settings, StartPoint::Standard, &mut |info| {
        seen.push(*info);
        if info.iteration == k {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(sol.status, SdpStatus::Interrupted);
    assert_eq!(sol.iterations, k);
    let its: Vec<usize> = seen.iter().map(|i| i.iteration).collect();
    assert_eq!(its, (0..=k).collect::<Vec<_>>());
    let last = seen[k];
    assert_eq!(sol.primal_objective, last.primal_objective);
    assert_eq!(sol.dual_objective, last.dual_objective);
    assert_eq!(sol.residuals.relative_gap, last.relative_gap);
    assert_eq!(sol.residuals.dual_infeasibility, last.dual_infeasibility);
    assert_eq!(
        sol.residuals.primal_infeasibility,
        last.primal_infeasibility
    );
    // The returned point is the iterate k, not the optimum: the gap is still open, and an independent check
    // of (x, Y) recomputes the reported objectives and dual residual.
    assert!(last.relative_gap > 1e-4, "{last:?}");
    let check = r.sdp().check(&sol.x, &sol.dual);
    assert!((check.primal_objective - sol.primal_objective).abs() < 1e-9);
    assert!((check.dual_objective - sol.dual_objective).abs() < 1e-9);
    assert!((check.dual_residual - sol.residuals.dual_infeasibility).abs() < 1e-9);
    // An uninterrupted monitored solve is the plain solve.
    let mut count = 0;
    let same = solve_monitored(r.sdp(), &settings, StartPoint::Standard, &mut |_| {
        count += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(same.iterations, full.iterations);
    assert_eq!(same.dual_objective, full.dual_objective);
    assert_eq!(count, full.iterations + 1);
}

/// `SdpSettings::time_limit`: 0 s stops at the starting point with `TimeLimit`; a negative limit is an error.
#[test]
fn the_solver_honours_its_time_limit() {
    let pop = odd_cycle(5);
    let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
    let s = SdpSettings {
        time_limit: Some(0.0),
        ..SdpSettings::default()
    };
    let sol = solve(r.sdp(), &s).unwrap();
    assert_eq!(sol.status, SdpStatus::TimeLimit);
    assert_eq!(sol.iterations, 0);
    assert!(!sol.status.is_solved());
    let bad = SdpSettings {
        time_limit: Some(-1.0),
        ..SdpSettings::default()
    };
    assert!(
        matches!(solve(r.sdp(), &bad), Err(Error::InvalidInput(m)) if m.contains("time limit"))
    );
}

/// A fit with a time limit of 0 s is not an error: it returns the candidate of the solver's starting point, with
/// the status `TimeLimit`, the trivial lower bound 0 (order 0: no relaxation solved) and a note, and the loss
/// reported is the loss of the coefficients reported.
#[test]
fn a_zero_time_limit_returns_the_best_answer_so_far() {
    let problem = example_3_4();
    let mut settings = FitSettings::default();
    settings.hierarchy.time_limit = Some(0.0);
    let mut events = vec![];
    let report = fit(&problem, &settings, &mut |e| {
        events.push(match e {
            Event::OrderStart { .. } => "start",
            Event::Iteration { .. } => "iteration",
            Event::OrderDone(_) => "done",
            Event::Stopped(_) => "stopped",
        })
    })
    .unwrap();
    assert_eq!(report.status, FitStatus::TimeLimit, "{report}");
    assert_eq!((report.order, report.lower_bound), (0, Some(0.0)));
    let loss = loss_value(&problem, &report.coefficients, settings.loss);
    assert!((report.loss - loss).abs() <= 1e-12 * (1.0 + loss.abs()));
    assert!(
        report.notes.iter().any(|n| n.contains("time limit")),
        "{:?}",
        report.notes
    );
    assert_eq!(events, ["start", "iteration", "done", "stopped"]);
    assert_eq!(report.hierarchy.len(), 1);
}

/// An order whose predicted time exceeds the time left is not started: the run keeps the orders solved and
/// says what the next one would cost (its true number of moments, C(n + 2k, 2k)). Events come in order.
#[test]
fn an_order_predicted_too_long_is_not_started() {
    let n = 29;
    let pop = odd_cycle(n);
    let settings = HierarchySettings {
        stop: StopRule::Flat,
        time_limit: Some(100.0),
        max_order: Some(3),
        // The dense relaxation (the default, auto, would fall back to a term-sparse one at order 2).
        structure: Structure::dense(),
        ..HierarchySettings::default()
    };
    let next = RelaxationSize::new(&pop, 2);
    assert_eq!(next.moments, binomial(n, 4) as f64);
    assert!(next.seconds > 100.0, "{}", next.describe());
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let mut log: Vec<String> = vec![];
    let result = run(&pop, &settings, &oracle, &mut |e| {
        log.push(match e {
            Event::OrderStart { size, .. } => format!("start {}", size.order),
            Event::Iteration {
                order,
                solve: SolveKind::Relaxation,
                ..
            } => format!("iteration {order}"),
            Event::Iteration { order, .. } => format!("low-rank iteration {order}"),
            Event::OrderDone(o) => format!("done {}", o.order),
            Event::Stopped(_) => "stopped".into(),
        })
    })
    .unwrap();
    assert_eq!(result.orders.len(), 1);
    assert!(!result.orders[0].certified);
    assert!(result.time_limited);
    let why = result.stopped_early.as_deref().unwrap();
    assert!(why.contains("time limit"), "{why}");
    assert!(
        why.contains(&format!("order 2 ({} moments", binomial(n, 4))),
        "{why}"
    );
    log.dedup();
    assert_eq!(log.first().map(String::as_str), Some("start 1"));
    assert_eq!(log[1], "iteration 1");
    assert_eq!(&log[log.len() - 2..], ["done 1", "stopped"]);
}

/// The size of order 50 is finite and right: the moments and the moment matrix are the binomials C(n + 100, 100)
/// and C(n + 50, 50), the bytes 8(m² + 12 Σ s² + 8m) exceed 2⁶⁴ (no saturation), and the error names the true
/// size. At a small order the prediction equals the built SDP's own memory estimate.
#[test]
fn the_size_of_a_high_order_does_not_overflow() {
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 2],
        widths: vec![3, 3, 3, 2],
        samples: 10,
        test_samples: 0,
        noise: 0.0,
        seed: 1,
        biases: false,
    })
    .unwrap();
    let stats =
        polyact::model::stats::SufficientStatistics::from_problem(&problem, Loss::MeanInf).unwrap();
    let pop = polyact::fit::fit_pop(&problem.network, &stats, Some(5.0))
        .unwrap()
        .pop
        .with_ball(5.0);
    let n = pop.nvars();
    let size = RelaxationSize::new(&pop, 50);
    let m = binomial(n, 100);
    let s = binomial(n, 50);
    assert_eq!(size.moments, m as f64);
    assert_eq!(size.moment_matrix, s as f64);
    // Every inequality except the ball (degree 2) has degree ≤ 2k: localizing blocks C(n + 50 − dj, 50 − dj).
    let loc: u128 = pop
        .inequalities
        .iter()
        .map(|g| {
            let dj = (g.degree() as usize).div_ceil(2);
            binomial(n, 50 - dj).pow(2)
        })
        .sum();
    let bytes = 8 * (m * m + 12 * (s * s + loc) + 8 * m);
    assert!(bytes > u64::MAX as u128);
    assert!(
        (size.bytes - bytes as f64).abs() <= 1e-12 * bytes as f64,
        "{} vs {bytes}",
        size.bytes
    );
    let Err(Error::TooLarge(msg)) = MomentRelaxation::new(&pop, 50, 16 << 30) else {
        panic!("order 50 must be refused")
    };
    assert!(!msg.contains("18446744073"), "{msg}");
    assert!(msg.contains(&format!("{m} moments")), "{msg}");
    let want = format!("{:.1} EB", bytes as f64 / 1e18);
    assert!(msg.contains(&want), "{want} in {msg}");
    assert!(msg.contains("lower the order"), "{msg}");
    for k in [pop.min_order(), pop.min_order() + 1] {
        let built = MomentRelaxation::new(&pop, k, 1 << 34).unwrap();
        let predicted = RelaxationSize::new(&pop, k);
        assert_eq!(predicted.bytes, built.sdp().memory_estimate() as f64);
        assert_eq!(predicted.moments, built.basis().len() as f64);
    }
}

/// A (2,2,2,2) network's minimal order is too large: the fit still ends, with the best refined random start
/// and the trivial lower bound 0, and its note says that no relaxation fits, that the order is already the
/// minimal one, and what can fit instead. The data are noiseless, so some coefficients fit them exactly: the
/// loss, recomputed here by a forward pass, is 0 to rounding, which the trivial bound certifies.
#[test]
fn a_network_whose_minimal_order_cannot_fit_ends_with_a_candidate_and_the_trivial_bound() {
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 2, 2, 2],
        widths: vec![2, 2, 2, 2, 2, 1],
        samples: 5,
        test_samples: 0,
        noise: 0.0,
        seed: 1,
        biases: false,
    })
    .unwrap();
    let report = fit(&problem, &FitSettings::default(), &mut |_| {}).unwrap();
    let notes = report.notes.join("\n");
    for needle in [
        "no relaxation fits",
        "dense moment relaxation of this problem cannot fit",
        "minimal order",
        "fewer hidden layers or lower degrees",
        "trivial one, 0",
    ] {
        assert!(notes.contains(needle), "{needle:?} in {notes}");
    }
    assert!(!notes.contains("lower the order"), "{notes}");
    assert_eq!((report.order, report.lower_bound), (0, Some(0.0)));
    assert!(report.hierarchy.is_empty() && report.certificate.is_none());
    // ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞ by a forward pass.
    let data = &problem.data;
    let n = data.inputs.len() as f64;
    let mut mean = vec![0.0; data.outputs[0].len()];
    for (x, y) in data.inputs.iter().zip(&data.outputs) {
        let f = problem.network.forward(&report.coefficients, x);
        for (m, (a, b)) in mean.iter_mut().zip(f.iter().zip(y)) {
            *m += (a - b) / n;
        }
    }
    let loss = mean.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(
        (loss - report.loss).abs() <= 1e-12 * (1.0 + loss),
        "{loss} vs {}",
        report.loss
    );
    assert!(loss < 1e-9, "{loss}");
    assert_eq!(report.status, FitStatus::Certified);
}
