//! Every decision is invariant under the scale of the objective: the same problem in other units (a POP's
//! objective, or a network's outputs and last weight matrix W_{D+1}, times a factor) gives the same status,
//! order, minimizers and relative gap, and values times the factor.

use polyact::fit::{FitSettings, fit, solve_pop};
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::model::{Dataset, Network, Problem};
use polyact::polynomial::Polynomial;
use polyact::pop::Pop;
use polyact::pop::file::pop_from_json;
use polyact::pop::loss::{Loss, loss_value};
use polyact::relax::hierarchy::{HierarchySettings, feasible_objective, run};
use polyact::report::{FitReport, FitStatus, PopReport};
use proptest::prelude::*;

const SCALES: [f64; 5] = [1e-8, 1e-4, 1.0, 1e4, 1e8];

/// The six-hump camel function times `factor` on the box [−3, 3] × [−2, 2], with the ball of radius 5.
fn camel(factor: f64) -> Pop {
    let text = format!(
        r#"{{"objective": "{factor:e}*(4*x^2 - 2.1*x^4 + 0.3333333333333333*x^6 + x*y - 4*y^2 + 4*y^4)",
            "inequalities": ["9 - x^2", "4 - y^2"], "radius": 5}}"#
    );
    pop_from_json(&text, "camel").unwrap().pop
}

/// The camel's value at a point, evaluated directly.
fn camel_value(x: f64, y: f64) -> f64 {
    4.0 * x * x - 2.1 * x.powi(4) + x.powi(6) / 3.0 + x * y - 4.0 * y * y + 4.0 * y.powi(4)
}

fn assert_same_relative(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-3 * a.abs().max(b.abs()),
        "{what}: {a:e} vs {b:e}"
    );
}

#[test]
fn the_camel_is_solved_alike_at_every_scale() {
    let reports: Vec<PopReport> = SCALES
        .iter()
        .map(|&f| {
            solve_pop(&camel(f), &HierarchySettings::default(), &mut |_| {})
                .unwrap()
                .0
        })
        .collect();
    // The true minimum −1.0316284534898774 at (±0.0898420131003, ∓0.7126564030207) (the literature's
    // value), evaluated here directly; the reported minimizers must attain it.
    let min = camel_value(0.0898420131003, -0.7126564030207);
    assert!((min + 1.0316284534898774).abs() < 1e-12, "{min}");
    let unit = &reports[2];
    for (r, &f) in reports.iter().zip(&SCALES) {
        assert_eq!(r.status, FitStatus::Certified, "scale {f}: {r}");
        assert!(r.flat, "scale {f}: {r}");
        assert_eq!(r.order, unit.order, "scale {f}");
        assert_eq!(r.rank, Some(2), "scale {f}: {r}");
        assert_eq!(r.minimizers.len(), 2, "scale {f}: {r}");
        for z in &r.minimizers {
            assert!(
                (camel_value(z[0], z[1]) - min).abs() < 1e-6,
                "scale {f}: {z:?}"
            );
            assert!((z[0].abs() - 0.08984).abs() < 1e-4 && (z[1].abs() - 0.71266).abs() < 1e-4);
            assert!(z[0] * z[1] < 0.0, "scale {f}: {z:?}");
        }
        let objective = r.objective.unwrap();
        assert!((objective / f - min).abs() <= 1e-6 * min.abs(), "scale {f}");
        let lower = r.lower_bound.unwrap();
        assert!(lower <= objective + 1e-9 * f.abs() && (lower / f - min).abs() <= 1e-6);
        // The certificate's bound, checked on the problem in its own units.
        let c = r.certified_lower_bound.expect("a certified bound");
        assert!(
            c <= objective && (c / f - min).abs() <= 1e-5,
            "scale {f}: {c}"
        );
        let rg = r.relative_gap.unwrap();
        assert!(rg <= 1e-6, "scale {f}: {rg}");
        for (o, u) in r.hierarchy.iter().zip(&unit.hierarchy) {
            assert_eq!(
                (o.order, o.flat, o.certified),
                (u.order, u.flat, u.certified)
            );
            let (ob, ub) = (o.bound.expect("solved"), u.bound.expect("solved"));
            assert!((ob / f - ub).abs() <= 1e-7 * ub.abs());
        }
    }
}

/// `problem` in other units: outputs and W_{D+1} times `factor` (the coefficients do not change).
fn in_units(problem: &Problem, factor: f64) -> Problem {
    let mut weights: Vec<Vec<Vec<f64>>> = problem
        .network
        .weights()
        .iter()
        .map(|w| w.to_rows())
        .collect();
    for row in weights.last_mut().unwrap() {
        row.iter_mut().for_each(|v| *v *= factor);
    }
    let network = Network::new(weights, problem.network.degrees().to_vec()).unwrap();
    let scale = |d: &Dataset| Dataset {
        inputs: d.inputs.clone(),
        outputs: d
            .outputs
            .iter()
            .map(|y| y.iter().map(|v| v * factor).collect())
            .collect(),
    };
    Problem::new(
        network,
        scale(&problem.data),
        problem.true_coefficients.clone(),
        problem.test.as_ref().map(scale),
    )
    .unwrap()
}

fn assert_same_fit(reports: &[FitReport], problems: &[Problem]) {
    let unit = &reports[2];
    for ((r, p), &f) in reports.iter().zip(problems).zip(&SCALES) {
        assert_eq!(r.status, unit.status, "scale {f}: {r}\nat scale 1: {unit}");
        assert_eq!(r.order, unit.order, "scale {f}: {r}");
        assert_eq!(r.flat, unit.flat, "scale {f}: {r}");
        assert_eq!(r.ball_active, unit.ball_active, "scale {f}");
        // A flat answer names its (finitely many) minimizers: the same ones. Otherwise the minimizer need not
        // be unique (a face of the ℓ∞ epigraph), and only its loss is compared.
        if unit.flat {
            for (a, b) in r
                .coefficients
                .iter()
                .flatten()
                .zip(unit.coefficients.iter().flatten())
            {
                assert!(
                    (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                    "scale {f}: {a} vs {b}"
                );
            }
        }
        // The loss is the forward-pass loss of the scaled problem, and the unscaled loss times the factor.
        let loss = loss_value(p, &r.coefficients, Loss::MeanInf);
        assert!((r.loss - loss).abs() <= 1e-12 * loss, "scale {f}");
        assert_same_relative(r.loss / f, unit.loss, &format!("loss at scale {f}"));
        assert_same_relative(
            r.lower_bound.unwrap() / f,
            unit.lower_bound.unwrap(),
            &format!("bound at scale {f}"),
        );
        // Relative gaps to 1e-3 of themselves; below the solver's tolerance (1e-8) they are rounding, and
        // compared to that.
        let (g, gu) = (r.relative_gap.unwrap(), unit.relative_gap.unwrap());
        assert!(
            (g - gu).abs() <= 1e-3 * g.max(gu) + 1e-8,
            "relative gap at scale {f}: {g:e} vs {gu:e}"
        );
        assert_eq!(r.hierarchy.len(), unit.hierarchy.len(), "scale {f}");
        for (o, u) in r.hierarchy.iter().zip(&unit.hierarchy) {
            assert_eq!(
                (o.order, o.flat, o.certified),
                (u.order, u.flat, u.certified)
            );
        }
        if r.status == FitStatus::Certified {
            assert!(r.relative_gap.unwrap() <= 1e-4, "scale {f}: {r}");
        }
        // A bound below the loss, in every unit.
        assert!(r.lower_bound.unwrap() <= r.loss * (1.0 + 1e-9), "scale {f}");
    }
}

fn network_at_every_scale(spec: &SyntheticSpec, max_order: usize) {
    let problem = generate(spec).unwrap();
    let problems: Vec<Problem> = SCALES.iter().map(|&f| in_units(&problem, f)).collect();
    let mut settings = FitSettings::default();
    settings.hierarchy.max_order = Some(max_order);
    let reports: Vec<FitReport> = problems
        .iter()
        .map(|p| fit(p, &settings, &mut |_| {}).unwrap())
        .collect();
    assert_same_fit(&reports, &problems);
}

#[test]
fn a_noisy_2_2_network_is_fitted_alike_at_every_scale() {
    network_at_every_scale(
        &SyntheticSpec {
            degrees: vec![2, 2],
            widths: vec![4, 5, 5, 6],
            samples: 25,
            test_samples: 0,
            noise: 1e-2,
            seed: 3,
            biases: false,
        },
        3,
    );
}

#[test]
fn a_noisy_2_1_1_network_is_fitted_alike_at_every_scale() {
    network_at_every_scale(
        &SyntheticSpec {
            degrees: vec![2, 1, 1],
            widths: vec![4, 5, 5, 5, 6],
            samples: 20,
            test_samples: 0,
            noise: 1e-2,
            seed: 2,
            biases: false,
        },
        3,
    );
}

/// min Σ_i a_i (z_i − b_i)² + v on the box |z_i| ≤ 2 (|b_i| ≤ 1): minimum v at z = b.
fn shifted_quadratic(a: &[f64], b: &[f64], v: f64, factor: f64) -> Pop {
    let n = a.len();
    let mut f = Polynomial::constant(n, v);
    let mut ineq = vec![];
    for i in 0..n {
        let d = &Polynomial::variable(n, i) - &Polynomial::constant(n, b[i]);
        f = &f + &d.pow(2).scale(a[i]);
        ineq.push(&Polynomial::constant(n, 4.0) - &Polynomial::variable(n, i).pow(2));
    }
    let names = (0..n).map(|i| format!("z{}", i + 1)).collect();
    Pop::new(names, f.scale(factor), ineq, vec![])
        .unwrap()
        .with_ball(3.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn any_scale_gives_the_same_hierarchy(
        a in proptest::collection::vec(0.5f64..3.0, 2),
        b in proptest::collection::vec(-1.0f64..1.0, 2),
        v in -2.0f64..2.0,
        log_factor in -8.0f64..8.0,
    ) {
        let factor = 10f64.powf(log_factor);
        let settings = HierarchySettings::default();
        let solve = |p: &Pop| {
            let oracle = |z: &[f64]| feasible_objective(p, z);
            run(p, &settings, &oracle, &mut |_| {}).unwrap()
        };
        let unit = solve(&shifted_quadratic(&a, &b, v, 1.0));
        let scaled = solve(&shifted_quadratic(&a, &b, v, factor));
        let (u, s) = (unit.chosen(), scaled.chosen());
        prop_assert!(u.certified && s.certified);
        prop_assert_eq!((u.order, u.flat, u.rank), (s.order, s.flat, s.rank));
        prop_assert_eq!(unit.orders.len(), scaled.orders.len());
        // The known optimum v·factor at z = b.
        let ub = s.upper_bound.unwrap();
        prop_assert!((ub / factor - v).abs() <= 1e-6 * (1.0 + v.abs()), "{} vs {}", ub / factor, v);
        prop_assert!((s.lower_bound / factor - v).abs() <= 1e-6 * (1.0 + v.abs()));
        let z = &s.candidates[s.best_candidate.unwrap()];
        for i in 0..2 {
            prop_assert!((z[i] - b[i]).abs() < 1e-3, "{:?} vs {:?}", z, b);
        }
        if let (Some(gu), Some(gs)) = (u.relative_gap, s.relative_gap) {
            // Relative gaps are known to the solver's tolerance (1e-8), not better: two solves of one
            // problem at different scales agree to that (a gap of 2.8e-8 against 2.7e-8 was seen).
            prop_assert!((gu - gs).abs() <= 1e-3 * gu.abs().max(gs.abs()) + 1e-8, "{} vs {}", gu, gs);
        }
        prop_assert!((scaled.objective_scale / factor - unit.objective_scale).abs()
            <= 1e-12 * unit.objective_scale);
    }
}
