//! θ-free relaxations (docs/METHOD.md, "θ-free bases"): the bound of the dense relaxation with the ball on c,
//! the dense bound on single-output network POPs, capped by the convex-hull bound in general; smaller blocks,
//! points and certificates of the POP itself.

use polyact::model::example_3_4;
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::pop::loss::{Loss, network_pop};
use polyact::relax::certificate::Certificate;
use polyact::relax::hierarchy::{HierarchySettings, run};
use polyact::relax::moment::{MomentRelaxation, Structure, theta_free_variables};
use polyact::sdp::{SdpSettings, solve};

fn instances() -> Vec<(String, polyact::model::Problem)> {
    let mut out = vec![("example 3.4".to_string(), example_3_4())];
    for (degrees, widths, noise, seed) in [
        (vec![2], vec![2, 2, 1], 0.0, 3),
        (vec![2], vec![2, 3, 1], 0.05, 5),
        (vec![3], vec![2, 2, 1], 0.02, 7),
    ] {
        let spec = SyntheticSpec {
            degrees: degrees.clone(),
            widths: widths.clone(),
            samples: 12,
            test_samples: 0,
            noise,
            seed,
            biases: false,
        };
        out.push((
            format!("{degrees:?} {widths:?} noise {noise}"),
            generate(&spec).unwrap(),
        ));
    }
    out
}

/// One output: the image of r on the (connected) ball is an interval, so the convex-hull cap is the optimum
/// and the θ-free bound is the dense one.
#[test]
fn theta_free_bound_equals_the_dense_bound_on_single_output_network_pops() {
    let settings = SdpSettings::default();
    for (name, problem) in instances() {
        let npop = network_pop(&problem, Loss::MeanInf).unwrap();
        let pop = npop.pop.with_ball(3.0);
        let n = pop.nvars();
        // θ/s is the last variable and the only θ-free one.
        assert_eq!(theta_free_variables(&pop), vec![n - 1], "{name}");
        let k0 = pop.min_order();
        for k in [k0, k0 + 1] {
            let dense = MomentRelaxation::new(&pop, k, 1 << 31).unwrap();
            let free = MomentRelaxation::with_structure(
                &pop,
                k,
                1 << 31,
                Structure {
                    theta_free: true,
                    ..Structure::default()
                },
            )
            .unwrap();
            assert_eq!(free.free_variables(), &[n - 1]);
            // Rows: monomials of degree ≤ k in the n − 1 coefficients.
            assert_eq!(
                free.block_rows(None).len(),
                polyact::polynomial::monomial_count(n - 1, k)
            );
            assert!(free.num_moments() < dense.num_moments());
            let a = solve(dense.sdp(), &settings).unwrap();
            let b = solve(free.sdp(), &settings).unwrap();
            assert!(
                a.status.is_solved() && b.status.is_solved(),
                "{name} order {k}"
            );
            let scale = a.dual_objective.abs().max(b.dual_objective.abs()).max(1e-3);
            assert!(
                (a.dual_objective - b.dual_objective).abs() <= 1e-6 * scale.max(1.0),
                "{name} order {k}: dense {} θ-free {}",
                a.dual_objective,
                b.dual_objective
            );
        }
    }
}

#[test]
fn theta_free_points_and_certificates_belong_to_the_pop() {
    // The noiseless instance: the hierarchy on the θ-free relaxation recovers a zero-loss point (θ from the
    // constraints), and its SOS certificate verifies against the POP with its original ball on (c, θ/s).
    let (_, problem) = instances().remove(1);
    let npop = network_pop(&problem, Loss::MeanInf).unwrap();
    let pop = npop.pop.with_ball(3.0);
    let settings = HierarchySettings {
        certificates: true,
        structure: Structure {
            theta_free: true,
            ..Structure::default()
        },
        ..HierarchySettings::default()
    };
    let nu = npop.layout.num_unknowns();
    let upper = |z: &[f64]| Some(npop.loss_at(&z[..nu]));
    let res = run(&pop, &settings, &upper, &mut |_| {}).unwrap();
    let order = res.certified().expect("certified");
    assert!(order.lower_bound.abs() < 1e-6, "{}", order.lower_bound);
    let cert = order.certificate.clone().unwrap();
    let cert = Certificate::from_json(&cert.to_json(), "cert.json").unwrap();
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    assert_eq!(v.radius, Some(3.0));
    let bound = v.certified_lower_bound.unwrap();
    assert!(bound <= 1e-9 && bound > -1e-3, "{bound}");
    // The dense relaxation certifies the same bound.
    let dense = run(
        &pop,
        &HierarchySettings {
            structure: Structure::dense(),
            ..settings.clone()
        },
        &upper,
        &mut |_| {},
    )
    .unwrap();
    let d = dense.certified().expect("certified");
    assert!((d.lower_bound - order.lower_bound).abs() < 1e-6);
}

#[test]
fn theta_free_variables_are_detected_only_where_the_argument_holds() {
    use polyact::polynomial::Polynomial;
    use polyact::pop::Pop;
    let n = 2;
    let x = Polynomial::variable(n, 0);
    let t = Polynomial::variable(n, 1);
    let names = vec!["x".to_string(), "t".to_string()];
    // min t s.t. t − x² ≥ 0, t + x ≥ 0: t is θ-free.
    let ok = Pop::new(
        names.clone(),
        t.clone(),
        vec![&t - &x.pow(2), &t + &x],
        vec![],
    )
    .unwrap();
    assert_eq!(theta_free_variables(&ok), vec![1]);
    // A constraint −t + … (the sign of b changes), t·x (b not constant), or t in an equality: not free.
    for bad in [
        Pop::new(names.clone(), t.clone(), vec![&t - &x, &x - &t], vec![]),
        Pop::new(names.clone(), t.clone(), vec![&(&t * &x) - &x], vec![]),
        Pop::new(
            names.clone(),
            t.clone(),
            vec![&t - &x],
            vec![&t - &x.pow(2)],
        ),
        Pop::new(names.clone(), -&t, vec![&t - &x], vec![]),
    ] {
        assert!(theta_free_variables(&bad.unwrap()).is_empty());
    }
}

/// The exact claim of docs/METHOD.md: the θ-free relaxation of the POP with the ball on (c, t) (whose t-term it
/// drops) has the bound of the *dense* relaxation of the POP with the ball on c only. A weaker bound than the
/// dense relaxation with the ball on (c, t) is then the ball's doing, not a loss of the θ-free basis.
#[test]
fn theta_free_bound_equals_the_dense_bound_with_the_ball_on_c_only() {
    use polyact::polynomial::Polynomial;
    let settings = SdpSettings::default();
    let radius: f64 = 3.0;
    for (name, problem) in instances() {
        let npop = network_pop(&problem, Loss::MeanInf).unwrap();
        let n = npop.pop.nvars();
        let mut ball_on_c = Polynomial::constant(n, radius * radius);
        for i in 0..n - 1 {
            ball_on_c.add_scaled(&Polynomial::variable(n, i).pow(2), -1.0);
        }
        let mut on_c = npop.pop.clone();
        on_c.inequalities.push(ball_on_c);
        let on_all = npop.pop.with_ball(radius);
        let k0 = on_all.min_order();
        for k in [k0, k0 + 1] {
            let dense = MomentRelaxation::new(&on_c, k, 1 << 31).unwrap();
            let free = MomentRelaxation::with_structure(
                &on_all,
                k,
                1 << 31,
                Structure {
                    theta_free: true,
                    ..Structure::default()
                },
            )
            .unwrap();
            let a = solve(dense.sdp(), &settings).unwrap();
            let b = solve(free.sdp(), &settings).unwrap();
            assert!(
                a.status.is_solved() && b.status.is_solved(),
                "{name} order {k}"
            );
            let scale = a.dual_objective.abs().max(b.dual_objective.abs()).max(1.0);
            assert!(
                (a.dual_objective - b.dual_objective).abs() <= 1e-6 * scale,
                "{name} order {k}: dense (ball on c) {} θ-free {}",
                a.dual_objective,
                b.dual_objective
            );
        }
    }
}

/// The θ-free relaxation is capped by the convex-hull bound (docs/METHOD.md, "θ-free bases"): every multiplier
/// of an inequality linear in t is a constant, so at every order its bound is at most
/// min { ‖v‖_∞ : v in the convex hull of r(ball) }. For r(c) = (c, c² − 1/2) the POP
/// min t s.t. t ± c ≥ 0, t ± (c² − 1/2) ≥ 0 has the optimum (√3 − 1)/2 at c = ±(√3 − 1)/2, while the measure
/// ½δ_{−1/√2} + ½δ_{1/√2} has E r = 0: the θ-free bound is 0 at every order, and the dense relaxation (whose
/// ball R² − c² − t² ≥ 0 bounds t too) reaches the optimum.
#[test]
fn theta_free_bound_is_capped_by_the_convex_hull_bound() {
    use polyact::polynomial::Polynomial;
    use polyact::pop::Pop;
    let settings = SdpSettings::default();
    let c = Polynomial::variable(2, 0);
    let t = Polynomial::variable(2, 1);
    let half = Polynomial::constant(2, 0.5);
    let q = &c.pow(2) - &half;
    let pop = Pop::new(
        vec!["c".into(), "t".into()],
        t.clone(),
        vec![&t - &c, &t + &c, &t - &q, &t + &q],
        vec![],
    )
    .unwrap()
    .with_ball(2.0);
    let optimum = (3f64.sqrt() - 1.0) / 2.0;
    assert_eq!(theta_free_variables(&pop), vec![1]);
    let theta_free = Structure {
        theta_free: true,
        ..Structure::default()
    };
    for k in [1, 2, 3, 4] {
        let free = MomentRelaxation::with_structure(&pop, k, 1 << 30, theta_free).unwrap();
        // The four inequalities linear in t are scalars: one moment of t, and the moments of c to 2k.
        assert_eq!(free.num_moments(), 2 * k + 2, "order {k}");
        let b = solve(free.sdp(), &settings).unwrap();
        assert!(b.status.is_solved(), "order {k}: {:?}", b.status);
        assert!(
            b.dual_objective.abs() < 1e-6,
            "order {k}: {}",
            b.dual_objective
        );
    }
    let dense = MomentRelaxation::new(&pop, 3, 1 << 30).unwrap();
    let a = solve(dense.sdp(), &settings).unwrap();
    assert!(a.status.is_solved());
    assert!(
        (a.dual_objective - optimum).abs() < 1e-6,
        "dense order 3: {} against {optimum}",
        a.dual_objective
    );
}
