//! The lower bound valid at any dual point (`polyact::sdp::valid_lower_bound` with the moment bounds of the
//! ball): never above the relaxation's optimum, at early-stopped interior-point iterates and at perturbed dual
//! points of random relaxations, and equal to the optimum at an accurate dual point.

use std::ops::ControlFlow;

use polyact::polynomial::{Monomial, Polynomial};
use polyact::pop::Pop;
use polyact::relax::MomentRelaxation;
use polyact::rng::Rng;
use polyact::sdp::{
    BlockMatrix, SdpProblem, SdpSettings, SdpSolution, StartPoint, solve_monitored,
    valid_lower_bound, valid_lower_bound_weighted,
};
use proptest::prelude::*;

fn settings() -> SdpSettings {
    SdpSettings {
        tolerance: 1e-10,
        busy_wait: false,
        ..SdpSettings::default()
    }
}

fn relaxation(pop: &Pop, order: usize) -> MomentRelaxation {
    MomentRelaxation::new(pop, order, 1 << 30).unwrap()
}

/// Solve, stopping after `stop` iterations when given.
fn solve(r: &MomentRelaxation, stop: Option<usize>) -> SdpSolution {
    let mut monitor = |info: &polyact::sdp::IterationInfo| match stop {
        Some(s) if info.iteration >= s => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    solve_monitored(r.sdp(), &settings(), StartPoint::Standard, &mut monitor).unwrap()
}

/// The valid bound with the moment matrix's weighted trace bound; it is never below the plain one (its
/// correction is the smaller of the two), which is checked here too.
fn bound(r: &MomentRelaxation, dual: &[BlockMatrix], w: &[f64]) -> f64 {
    let b = r.moment_bounds().expect("a ball");
    let plain = valid_lower_bound(r.sdp(), dual, w, &b).unwrap().value;
    let weights = r.trace_weights();
    assert_eq!(weights.len(), 2, "the moment matrix and the ball");
    let weighted = valid_lower_bound_weighted(r.sdp(), dual, w, &b, &weights)
        .unwrap()
        .value;
    assert!(
        weighted >= plain || weighted.is_nan(),
        "weighted {weighted} < plain {plain}"
    );
    weighted
}

/// The weighted trace bounds hold on the relaxation: the maximum of tr(W X_b(y)) over its feasible set,
/// computed by the interior-point method, is at most the bound, for the moment matrix (T = Σ_{j≤k} R^{2j}) and
/// the ball's localizing matrix (R²·Σ_{j<k} R^{2j}); the moment matrix's is attained when the ball is the only
/// constraint (the Dirac measure at a point of the sphere).
#[test]
fn the_weighted_trace_bounds_hold_on_the_feasible_set() {
    for (seed, n, order, radius, extra) in [
        (1, 1, 2, 1.5, false),
        (2, 2, 2, 0.8, true),
        (3, 2, 3, 1.2, false),
        (4, 3, 2, 2.0, true),
    ] {
        let pop = random_pop(seed, n, order, radius, extra);
        let r = relaxation(&pop, order);
        let weights = r.trace_weights();
        assert_eq!(weights.len(), 2);
        for tw in &weights {
            let block = &r.sdp().blocks()[tw.block];
            let k = tw.weights.len();
            let d = BlockMatrix::Dense(faer::Mat::from_fn(k, k, |i, j| {
                if i == j { tw.weights[i] } else { 0.0 }
            }));
            // tr(D X_b(y)) = Σᵢ yᵢ⟨F_bi, D⟩ (y₀ = 1): maximize it.
            let mut objective = vec![0.0; r.sdp().num_vars() + 1];
            block.adjoint_add(&d, &mut objective);
            objective.iter_mut().for_each(|v| *v = -*v);
            let max_trace =
                SdpProblem::new(r.sdp().num_vars(), objective, r.sdp().blocks().to_vec()).unwrap();
            let sol = polyact::sdp::solve(&max_trace, &settings()).unwrap();
            assert!(sol.status.is_solved(), "{:?}", sol.status);
            let max = -sol.primal_objective;
            assert!(
                max <= tw.bound * (1.0 + 1e-8),
                "block {}: max {max} above the bound {}",
                tw.block,
                tw.bound
            );
            if tw.block == 0 {
                let expected: f64 = (0..=order as i32).map(|j| (radius * radius).powi(j)).sum();
                assert!(
                    tw.bound <= expected * (1.0 + 1e-12),
                    "T = {} vs {expected}",
                    tw.bound
                );
                if !extra {
                    assert!(
                        max >= expected * (1.0 - 1e-6),
                        "max {max} far below {expected}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_univariate_quartic_on_an_interval_gets_its_minimum() {
    // f = z⁴ − 3z² + z on [−2, 2] (the ball 4 − z²): the order-2 relaxation is exact (Lukács–Markov), so its
    // optimum is min f, found here on a grid refined by Newton's method.
    let f = Polynomial::from_terms(
        1,
        [
            (Monomial(vec![4]), 1.0),
            (Monomial(vec![2]), -3.0),
            (Monomial(vec![1]), 1.0),
        ],
    );
    let pop = Pop::new(vec!["z".into()], f.clone(), vec![], vec![])
        .unwrap()
        .with_ball(2.0);
    let mut z = (0..=4000)
        .map(|i| -2.0 + i as f64 * 1e-3)
        .min_by(|a, b| f.evaluate(&[*a]).total_cmp(&f.evaluate(&[*b])))
        .unwrap();
    for _ in 0..50 {
        z -= (4.0 * z * z * z - 6.0 * z + 1.0) / (12.0 * z * z - 6.0);
    }
    let fmin = f.evaluate(&[z]);
    let r = relaxation(&pop, 2);
    let sol = solve(&r, None);
    assert!(sol.status.is_solved());
    let lb = bound(&r, &sol.dual, &sol.equality_multipliers);
    assert!(lb <= fmin + 1e-13, "bound {lb} above the minimum {fmin}");
    assert!(lb >= fmin - 1e-7, "bound {lb} far below the minimum {fmin}");
    // The bound at an early iterate is below too, and well below.
    let early = solve(&r, Some(3));
    let lb3 = bound(&r, &early.dual, &early.equality_multipliers);
    assert!(lb3 <= fmin && lb3 < lb, "{lb3} vs {lb}");
}

#[test]
fn without_a_ball_there_are_no_moment_bounds() {
    let f = Polynomial::from_terms(1, [(Monomial(vec![2]), 1.0)]);
    let pop = Pop::new(vec!["z".into()], f, vec![], vec![]).unwrap();
    assert!(relaxation(&pop, 1).moment_bounds().is_none());
    assert!(relaxation(&pop, 1).trace_weights().is_empty());
}

/// A random POP in `n` variables of degree ≤ 2·order, with a ball of radius `radius` and, when `extra`, a
/// random quadratic inequality through a point of the ball (so the feasible set is not empty).
fn random_pop(seed: u64, n: usize, order: usize, radius: f64, extra: bool) -> Pop {
    let mut rng = Rng::new(seed);
    let basis = polyact::MonomialBasis::new(n, 2 * order);
    let mut f = Polynomial::zero(n);
    for i in 0..basis.len() {
        f.add_term(basis.monomial(i).clone(), rng.uniform_in(-1.0, 1.0));
    }
    // Coercive enough: + Σ zᵢ^{2·order}.
    for i in 0..n {
        f.add_scaled(&Polynomial::variable(n, i).pow(2 * order as u32), 1.0);
    }
    let mut ineq = vec![];
    if extra {
        let mut g = Polynomial::constant(n, 0.5);
        for i in 0..n {
            g.add_scaled(&Polynomial::variable(n, i), rng.uniform_in(-1.0, 1.0));
            g.add_scaled(
                &Polynomial::variable(n, i).pow(2),
                -rng.uniform_in(0.1, 1.0),
            );
        }
        ineq.push(g);
    }
    let names = (0..n).map(|i| format!("z{i}")).collect();
    Pop::new(names, f, ineq, vec![]).unwrap().with_ball(radius)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// At random early-stopped iterates and at random perturbations of the optimal dual point, the valid bound
    /// is below the optimum (the IPM's primal objective at 1e-10, minus 1e-8 relative for its own error); at
    /// the optimal dual point it is within 1e-6 relative of it.
    #[test]
    fn the_bound_is_below_the_optimum_at_every_dual_point(
        seed in 0u64..1_000_000,
        n in 1usize..=2,
        order in 2usize..=3,
        radius in 0.7f64..2.0,
        extra in any::<bool>(),
        stop_frac in 0.0f64..1.0,
        eps in -6.0f64..0.0,
    ) {
        let pop = random_pop(seed, n, order, radius, extra);
        let r = relaxation(&pop, order);
        let sol = solve(&r, None);
        prop_assume!(sol.status.is_solved());
        let opt = sol.primal_objective;
        let slack = 1e-8 * (1.0 + opt.abs());
        let lb = bound(&r, &sol.dual, &sol.equality_multipliers);
        prop_assert!(lb <= opt + slack, "optimal dual: bound {} above the optimum {}", lb, opt);
        prop_assert!(lb >= opt - 1e-6 * (1.0 + opt.abs()), "optimal dual: bound {} far below {}", lb, opt);
        // An early-stopped iterate.
        let stop = (stop_frac * sol.iterations as f64) as usize;
        let early = solve(&r, Some(stop));
        let lb_early = bound(&r, &early.dual, &early.equality_multipliers);
        prop_assert!(lb_early <= opt + slack,
            "iterate {}: bound {} above the optimum {} (dual objective {})",
            stop, lb_early, opt, early.dual_objective);
        // The optimal dual perturbed by a random symmetric matrix of relative size 10^eps (indefinite blocks,
        // a dual residual).
        let mut rng = Rng::new(seed ^ 0x5eed);
        let scale = 10f64.powf(eps);
        let perturbed: Vec<BlockMatrix> = sol.dual.iter().map(|z| match z {
            BlockMatrix::Dense(m) => {
                let k = m.nrows();
                let g = faer::Mat::from_fn(k, k, |_, _| rng.normal());
                BlockMatrix::Dense(faer::Mat::from_fn(k, k, |i, j| {
                    m[(i, j)] + scale * (1.0 + m[(i, j)].abs()) * (g[(i, j)] + g[(j, i)])
                }))
            }
            BlockMatrix::Diagonal(d) => {
                BlockMatrix::Diagonal(d.iter().map(|v| v + scale * rng.normal()).collect())
            }
        }).collect();
        let lb_p = bound(&r, &perturbed, &sol.equality_multipliers);
        prop_assert!(lb_p <= opt + slack, "perturbed: bound {} above the optimum {}", lb_p, opt);
    }
}

#[test]
fn a_dual_point_whose_objective_exceeds_the_optimum_gets_a_bound_below_it() {
    // The reason for the correction terms: off the dual feasible set c₀ − ⟨C₀, Y⟩ is no bound at all.
    // Lowering entry (0, 0) of the moment block's Y by ε raises the dual objective by ε (C₀ of the moment
    // block is the unit matrix at (0, 0)) and makes Y indefinite; the valid bound stays below the optimum.
    for seed in 0..6u64 {
        let pop = random_pop(seed, 2, 2, 1.5, seed % 2 == 0);
        let r = relaxation(&pop, 2);
        let sol = solve(&r, None);
        assert!(sol.status.is_solved());
        let opt = sol.primal_objective;
        for eps in [1e-4, 1e-2, 1.0] {
            let mut dual = sol.dual.clone();
            let BlockMatrix::Dense(m) = &mut dual[0] else {
                panic!("the moment block is dense")
            };
            m[(0, 0)] -= eps;
            let check = r
                .sdp()
                .check_with_multipliers(&sol.x, &dual, &sol.equality_multipliers);
            assert!(
                check.dual_objective > opt + 0.5 * eps,
                "{} vs {opt}",
                check.dual_objective
            );
            let lb = bound(&r, &dual, &sol.equality_multipliers);
            assert!(
                lb <= opt + 1e-8 * (1.0 + opt.abs()),
                "seed {seed}, ε {eps}: {lb} > {opt}"
            );
        }
    }
}

#[test]
fn mismatched_inputs_are_refused_with_an_error() {
    let f = Polynomial::from_terms(1, [(Monomial(vec![2]), 1.0), (Monomial(vec![1]), 1.0)]);
    let pop = Pop::new(vec!["z".into()], f, vec![], vec![])
        .unwrap()
        .with_ball(1.0);
    let r = relaxation(&pop, 2);
    let sol = solve(&r, None);
    let b = r.moment_bounds().unwrap();
    assert_eq!(b.len(), r.sdp().num_vars());
    let sdp = r.sdp();
    // Too few bounds, a negative bound, a missing block, a block of the wrong kind.
    assert!(valid_lower_bound(sdp, &sol.dual, &[], &b[1..]).is_err());
    let mut neg = b.clone();
    neg[0] = -1.0;
    assert!(valid_lower_bound(sdp, &sol.dual, &[], &neg).is_err());
    assert!(valid_lower_bound(sdp, &sol.dual[1..], &[], &b).is_err());
    let mut wrong = sol.dual.clone();
    wrong[0] = BlockMatrix::Diagonal(vec![1.0; sdp.blocks()[0].dim()]);
    assert!(valid_lower_bound(sdp, &wrong, &[], &b).is_err());
    // Trace weights of the wrong length, or not positive.
    let mut tw = r.trace_weights();
    tw[0].weights.pop();
    assert!(valid_lower_bound_weighted(sdp, &sol.dual, &[], &b, &tw).is_err());
    let mut tw = r.trace_weights();
    tw[0].weights[0] = 0.0;
    assert!(valid_lower_bound_weighted(sdp, &sol.dual, &[], &b, &tw).is_err());
    // A NaN in a dual block gives no bound (−∞), not a panic.
    let mut nan = sol.dual.clone();
    if let BlockMatrix::Dense(m) = &mut nan[0] {
        m[(0, 0)] = f64::NAN;
    }
    assert_eq!(
        valid_lower_bound(sdp, &nan, &[], &b).unwrap().value,
        f64::NEG_INFINITY
    );
}
