//! The first-order SDP path (`polyact::sdp::admm`): it reaches the interior-point method's optimum on small
//! moment relaxations, its valid bound is never above the optimum at any iterate, a relaxation whose
//! optimum has rank two is solved, and the hierarchy run on it certifies what the interior-point run does.

use std::ops::ControlFlow;

use polyact::polynomial::{Monomial, Polynomial};
use polyact::pop::Pop;
use polyact::relax::MomentRelaxation;
use polyact::relax::hierarchy::{
    HierarchySettings, SdpPath, SolverChoice, feasible_objective, run,
};
use polyact::rng::Rng;
use polyact::sdp::admm::AdmmSettings;
use polyact::sdp::lowrank::LowRankSettings;
use polyact::sdp::{IterationInfo, SdpSettings, SdpSolution, SdpSolver, SdpStatus, StartPoint};
use proptest::prelude::*;

/// A random quartic in two variables with a random quadratic constraint, on the ball of radius 1.5.
fn random_pop(seed: u64) -> Pop {
    let mut rng = Rng::new(seed);
    let mut terms = vec![(Monomial(vec![4, 0]), 1.0), (Monomial(vec![0, 4]), 1.0)];
    for a in 0..=3u16 {
        for b in 0..=(3 - a) {
            if a + b > 0 {
                terms.push((Monomial(vec![a, b]), rng.uniform_in(-1.0, 1.0)));
            }
        }
    }
    let f = Polynomial::from_terms(2, terms);
    let g = Polynomial::from_terms(
        2,
        [
            (Monomial(vec![0, 0]), 1.0),
            (Monomial(vec![1, 1]), rng.uniform_in(-1.0, 1.0)),
            (Monomial(vec![1, 0]), rng.uniform_in(-0.5, 0.5)),
        ],
    );
    Pop::new(vec!["a".into(), "b".into()], f, vec![g], vec![])
        .unwrap()
        .with_ball(1.5)
}

fn ipm(r: &MomentRelaxation) -> SdpSolution {
    let s = SdpSettings {
        tolerance: 1e-10,
        busy_wait: false,
        ..SdpSettings::default()
    };
    s.solve(r.sdp(), StartPoint::Standard, None, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap()
}

/// The first-order path, stopped by its monitor after `stop` iterations when given (a bound every iteration).
fn admm(r: &MomentRelaxation, stop: Option<usize>) -> SdpSolution {
    let s = AdmmSettings {
        bound_every: if stop.is_some() { 1 } else { 25 },
        ..AdmmSettings::default()
    };
    let bounds = r.feasible_set_bounds().expect("a ball");
    s.solve(
        r.sdp(),
        StartPoint::Standard,
        Some(&bounds),
        &mut |i: &IterationInfo| match stop {
            Some(k) if i.iteration >= k => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        },
    )
    .unwrap()
}

#[test]
fn reaches_the_interior_point_optimum_on_small_relaxations() {
    for seed in 1..=4 {
        let pop = random_pop(seed);
        for order in [2, 3] {
            let r = MomentRelaxation::new(&pop, order, 1 << 30).unwrap();
            let exact = ipm(&r);
            assert!(exact.status.is_solved());
            let p = exact.primal_objective;
            let sol = admm(&r, None);
            assert_eq!(sol.status, SdpStatus::Optimal, "seed {seed} order {order}");
            let scale = 1.0 + p.abs();
            assert!(
                (sol.primal_objective - p).abs() <= 1e-5 * scale
                    && (sol.dual_objective - p).abs() <= 1e-5 * scale,
                "seed {seed} order {order}: admm {} / {} vs ipm {p}",
                sol.primal_objective,
                sol.dual_objective
            );
            let b = sol.valid_bound.expect("a valid bound").value;
            assert!(b <= p + 1e-9 * scale, "bound {b} above the optimum {p}");
            assert!(b >= p - 1e-2 * scale, "bound {b} far below the optimum {p}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Stopped at any iteration, the path's bound is below the relaxation's optimum (the interior-point
    /// method's primal objective at 1e-10 is above it, up to its own feasibility tolerance).
    #[test]
    fn the_bound_is_valid_at_every_iterate(seed in 1u64..1000, stop in 1usize..400, order in 2usize..=3) {
        let pop = random_pop(seed);
        let r = MomentRelaxation::new(&pop, order, 1 << 30).unwrap();
        let exact = ipm(&r);
        prop_assume!(exact.status.is_solved());
        let p = exact.primal_objective;
        let sol = admm(&r, Some(stop));
        let b = sol.valid_bound.expect("a valid bound").value;
        prop_assert!(b <= p + 1e-9 * (1.0 + p.abs()), "bound {} above the optimum {} after {} iterations", b, p, stop);
    }
}

/// (z₁² − 1)² + z₂² on the ball of radius 2: minimum 0 at (±1, 0), so the optimal moment matrix has rank two.
fn two_minimizers() -> Pop {
    let f = Polynomial::from_terms(
        2,
        [
            (Monomial(vec![4, 0]), 1.0),
            (Monomial(vec![2, 0]), -2.0),
            (Monomial(vec![0, 0]), 1.0),
            (Monomial(vec![0, 2]), 1.0),
        ],
    );
    Pop::new(vec!["a".into(), "b".into()], f, vec![], vec![])
        .unwrap()
        .with_ball(2.0)
}

#[test]
fn an_optimum_of_rank_two_is_solved() {
    let r = MomentRelaxation::new(&two_minimizers(), 2, 1 << 30).unwrap();
    let sol = admm(&r, None);
    assert_eq!(sol.status, SdpStatus::Optimal);
    assert!(
        sol.primal_objective.abs() < 1e-5,
        "{}",
        sol.primal_objective
    );
    let b = sol.valid_bound.unwrap().value;
    assert!(b <= 1e-12 && b > -1e-2, "bound {b}");
    // The moments: y_{z₁²} = 1 (both minimizers have z₁² = 1), y_{z₁} = 0 (their average).
    let y = r.moments(&sol.x);
    let at = |m: Vec<_>| y[r.moment_index(&Monomial(m)).unwrap()];
    assert!((at(vec![2, 0]) - 1.0).abs() < 1e-3, "{}", at(vec![2, 0]));
    assert!(at(vec![1, 0]).abs() < 1e-3, "{}", at(vec![1, 0]));
}

#[test]
fn the_hierarchy_on_the_first_order_and_low_rank_paths_certifies_what_the_interior_point_run_does()
{
    for pop in [two_minimizers(), random_pop(7)] {
        let oracle = |z: &[f64]| feasible_objective(&pop, z);
        let ipm = HierarchySettings {
            solver: SolverChoice::Ipm,
            ..HierarchySettings::default()
        };
        let ipm_run = run(&pop, &ipm, &oracle, &mut |_| {}).unwrap();
        let a = ipm_run.certified().unwrap();
        assert!(ipm_run.orders.iter().all(|o| o.solver == SdpPath::Ipm));
        for (choice, path) in [
            (SolverChoice::Admm, SdpPath::Admm),
            (SolverChoice::LowRank, SdpPath::LowRank),
        ] {
            let settings = HierarchySettings {
                solver: choice,
                ..HierarchySettings::default()
            };
            let other = run(&pop, &settings, &oracle, &mut |_| {}).unwrap();
            let b = other.certified().unwrap();
            assert_eq!(a.order, b.order, "{path:?}");
            assert!((a.upper_bound.unwrap() - b.upper_bound.unwrap()).abs() < 1e-6);
            // The bound the run reports is below every feasible value found.
            assert!(b.lower_bound <= b.upper_bound.unwrap() + 1e-12);
            // Every order of the run that the path solved reports it.
            assert!(other.orders.iter().any(|o| o.solver == path), "{path:?}");
        }
    }
}

#[test]
fn a_low_rank_solve_that_stops_short_hands_the_relaxation_to_the_interior_point_method() {
    let pop = random_pop(3);
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let ipm = HierarchySettings {
        solver: SolverChoice::Ipm,
        ..HierarchySettings::default()
    };
    let ipm_run = run(&pop, &ipm, &oracle, &mut |_| {}).unwrap();
    // Three Newton steps cannot solve it: the interior-point method does, and the order says so.
    let settings = HierarchySettings {
        solver: SolverChoice::LowRank,
        lowrank: LowRankSettings {
            max_iterations: 3,
            ..LowRankSettings::default()
        },
        ..HierarchySettings::default()
    };
    let other = run(&pop, &settings, &oracle, &mut |_| {}).unwrap();
    let (a, b) = (&ipm_run.orders[0], &other.orders[0]);
    assert_eq!(b.solver, SdpPath::Ipm);
    let given_up = b.abandoned.expect("the abandoned low-rank solve");
    assert_eq!(given_up.path, SdpPath::LowRank);
    assert!(!given_up.status.is_solved(), "{:?}", given_up.status);
    assert!(given_up.iterations <= 3 && given_up.iterations > 0);
    assert_eq!(b.iterations, a.iterations + given_up.iterations);
    assert!((a.lower_bound - b.lower_bound).abs() <= 1e-7 * (1.0 + a.lower_bound.abs()));
    assert_eq!(a.certified, b.certified);
}

#[test]
fn auto_solves_by_the_low_rank_path_what_the_interior_point_method_cannot_hold() {
    let pop = random_pop(5);
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let reference = run(&pop, &HierarchySettings::default(), &oracle, &mut |_| {}).unwrap();
    assert!(reference.orders.iter().all(|o| o.solver == SdpPath::Ipm));
    let optimum = reference.certified().unwrap().upper_bound.unwrap();
    // No Schur complement fits in 1 kB; the low-rank path's memory limit is its own.
    let tight = |solver| HierarchySettings {
        solver,
        sdp: SdpSettings {
            max_memory_bytes: 1000,
            ..SdpSettings::default()
        },
        ..HierarchySettings::default()
    };
    let refused = run(&pop, &tight(SolverChoice::Ipm), &oracle, &mut |_| {});
    assert!(
        matches!(refused, Err(polyact::Error::TooLarge(_))),
        "{refused:?}"
    );
    let auto = run(&pop, &tight(SolverChoice::Auto), &oracle, &mut |_| {}).unwrap();
    assert!(
        auto.orders
            .iter()
            .all(|o| o.solver == SdpPath::LowRank && o.abandoned.is_none())
    );
    let c = auto.certified().expect("certified by the low-rank path");
    assert!((c.upper_bound.unwrap() - optimum).abs() <= 1e-6 * (1.0 + optimum.abs()));
    // Its bound is the valid bound, below the optimum.
    assert!(c.lower_bound <= optimum + 1e-12 && c.valid_bound == Some(c.lower_bound));
}

#[test]
fn auto_refuses_what_neither_path_can_hold() {
    // Without a ball the low-rank path has no bound on the feasible set: with no room for the interior-point
    // method either, the order is refused and the message says why.
    let vars = vec!["a".to_string(), "b".to_string()];
    let f = polyact::pop::parse::parse_polynomial("a^4 + b^4 - a*b", &vars).unwrap();
    let pop = Pop::new(vars, f, vec![], vec![]).unwrap();
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let settings = HierarchySettings {
        sdp: SdpSettings {
            max_memory_bytes: 1000,
            ..SdpSettings::default()
        },
        ..HierarchySettings::default()
    };
    match run(&pop, &settings, &oracle, &mut |_| {}) {
        Err(polyact::Error::TooLarge(why)) => assert!(why.contains("ball"), "{why}"),
        other => panic!("{other:?}"),
    }
}
