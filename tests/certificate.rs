//! SOS certificates: written by the hierarchy, checked by `Certificate::verify` independently of the solver.

use polyact::pop::file::pop_from_json;
use polyact::relax::certificate::Certificate;
use polyact::relax::hierarchy::{HierarchySettings, feasible_objective, run};

const THREE_MINIMA: &str = r#"{
  "variables": ["x1", "x2"],
  "objective": "-(x1 - 1)^2 - (x1 - x2)^2 - (x2 - 3)^2",
  "inequalities": ["1 - (x1 - 1)^2", "1 - (x1 - x2)^2", "1 - (x2 - 3)^2"],
  "radius": 10
}"#;

fn certificate_for(json: &str) -> (polyact::pop::Pop, Certificate) {
    let pop = pop_from_json(json, "test.json").unwrap().pop;
    let settings = HierarchySettings {
        certificates: true,
        ..HierarchySettings::default()
    };
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let res = run(&pop, &settings, &oracle, &mut |_| {}).unwrap();
    let cert = res.certified().unwrap().certificate.clone().unwrap();
    (pop, cert)
}

#[test]
fn a_written_certificate_verifies_and_bounds_the_optimum() {
    let (pop, cert) = certificate_for(THREE_MINIMA);
    // Round trip through JSON, as `polyact verify` reads it.
    let cert = Certificate::from_json(&cert.to_json(), "cert.json").unwrap();
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    assert_eq!(v.radius, Some(10.0));
    let bound = v.certified_lower_bound.unwrap();
    // The optimum is −2: the certified bound is below it and close to it.
    assert!(bound <= -2.0 + 1e-9, "{bound}");
    assert!(bound > -2.0 - 1e-3, "{bound}");
    assert!((v.claimed_bound + 2.0).abs() < 1e-6);
    // Independent check of what it claims: f ≥ bound on a grid of feasible points.
    for i in 0..=40 {
        for j in 0..=40 {
            let z = [0.0 + 3.0 * i as f64 / 40.0, 1.0 + 3.0 * j as f64 / 40.0];
            if pop.violation(&z).max() == 0.0 {
                assert!(pop.objective_at(&z) >= bound);
            }
        }
    }
}

#[test]
fn a_changed_coefficient_is_rejected() {
    let (pop, mut cert) = certificate_for(THREE_MINIMA);
    cert.multipliers[0].gram[1][1] += 1e-3;
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(!v.accepted());
    assert!(
        v.problems.iter().any(|p| p.contains("identity")),
        "{:?}",
        v.problems
    );
}

#[test]
fn an_indefinite_gram_matrix_is_rejected() {
    let (pop, mut cert) = certificate_for(THREE_MINIMA);
    let m = cert
        .multipliers
        .iter_mut()
        .find(|m| m.gram.len() > 1)
        .unwrap();
    // Make it indefinite but keep the identity: move mass between a diagonal pair with the same monomial sum.
    let big = m
        .gram
        .iter()
        .map(|r| r.iter().fold(0.0f64, |a, b| a.max(b.abs())))
        .fold(0.0, f64::max);
    m.gram[0][0] -= 10.0 * big;
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(!v.accepted());
    assert!(
        v.problems.iter().any(|p| p.contains("indefinite")),
        "{:?}",
        v.problems
    );
}

#[test]
fn a_certificate_for_another_problem_is_refused() {
    let (_, cert) = certificate_for(THREE_MINIMA);
    let other = pop_from_json(
        &THREE_MINIMA.replace("- (x2 - 3)^2\"", "- (x2 - 4)^2\""),
        "o.json",
    )
    .unwrap()
    .pop;
    let e = cert.verify(&other, 1e-6).unwrap_err().to_string();
    assert!(e.contains("another problem"), "{e}");
}

#[test]
fn certificates_with_equality_multipliers_verify() {
    // min x1 + x2 + x3 on the unit sphere (inside a ball of radius 2): value −√3.
    let json =
        r#"{ "objective": "x1 + x2 + x3", "equalities": ["x1^2 + x2^2 + x3^2 - 1"], "radius": 2 }"#;
    let (pop, cert) = certificate_for(json);
    assert_eq!(cert.equality_multipliers.len(), 1);
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    let bound = v.certified_lower_bound.unwrap();
    let opt = -(3f64).sqrt();
    assert!(bound <= opt + 1e-9 && bound > opt - 1e-3, "{bound}");
    // Tampering with the equality multiplier breaks the identity.
    let mut bad = cert.clone();
    bad.equality_multipliers[0][0].1 += 1e-2;
    assert!(!bad.verify(&pop, 1e-6).unwrap().accepted());
}

/// f = (x + 1)² on the ball |x| ≤ 2 (minimum 0 at x = −1), with the claimed bound γ = 2⁻⁵⁰ ≈ 8.9e-16 and
/// σ₀ = [1, x]·[[1 − 2⁻⁵⁰, 1], [1, 1]]·[1, x]ᵀ: the identity f − γ = σ₀ holds exactly, but the Gram matrix
/// has determinant −2⁻⁵⁰ (smallest eigenvalue ≈ −4.4e-16): it is PSD only up to 1e-15.
#[test]
fn a_gram_matrix_psd_only_up_to_1e_15_is_handled_conservatively() {
    let pop = pop_from_json(
        r#"{"variables": ["x"], "objective": "x^2 + 2*x + 1", "inequalities": ["4 - x^2"]}"#,
        "sq.json",
    )
    .unwrap()
    .pop;
    let a = 1.0 - 2f64.powi(-50);
    let gamma = 1.0 - a;
    assert_eq!(gamma, 2f64.powi(-50));
    let cert = Certificate {
        variables: vec!["x".into()],
        order: 1,
        lower_bound: gamma,
        objective: vec![(vec![2], 1.0), (vec![1], 2.0), (vec![0], 1.0)],
        inequalities: vec![vec![(vec![0], 4.0), (vec![2], -1.0)]],
        multipliers: vec![
            polyact::relax::certificate::SosMultiplier {
                constraint: None,
                basis: vec![vec![0], vec![1]],
                gram: vec![vec![a, 1.0], vec![1.0, 1.0]],
                relaxed: vec![],
            },
            polyact::relax::certificate::SosMultiplier {
                constraint: Some(0),
                basis: vec![vec![0]],
                gram: vec![vec![0.0]],
                relaxed: vec![],
            },
        ],
        equalities: vec![],
        equality_multipliers: vec![],
        network: None,
    };
    let v = cert.verify(&pop, 1e-6).unwrap();
    // The residual is exactly zero (the identity is exact in binary64).
    assert_eq!(v.max_residual, 0.0);
    // σ₀'s proved eigenvalue bound is below the true λ_min = (tr − √(tr² + 4·2⁻⁵⁰))/2 < −2⁻⁵¹.
    let mu = v.gram_lower_bounds[0].unwrap();
    assert!(mu < -(2f64.powi(-51)), "{mu}");
    // Either rejected or a bound below γ and below the true minimum 0; never γ as is.
    if v.accepted() {
        let b = v.certified_lower_bound.unwrap();
        assert!(b < gamma && b <= 0.0, "{b}");
        // It absorbs |μ|·max ‖(1, x)‖² on the ball = |μ|·(1 + 4), and no more than ten times that.
        assert!(b >= gamma - 10.0 * 5.0 * mu.abs(), "{b}");
    }
    // The same certificate with an exactly PSD Gram matrix (γ = 0, [[1, 1], [1, 1]]) certifies 0 up to the
    // rounding of the proof only (a few 1e-15).
    let mut exact = cert.clone();
    exact.lower_bound = 0.0;
    exact.multipliers[0].gram = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
    let v = exact.verify(&pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    let b = v.certified_lower_bound.unwrap();
    assert!((-1e-13..=0.0).contains(&b), "{b}");
}

#[test]
fn a_perturbed_certificate_loses_at_least_the_perturbations_effect() {
    let (pop, cert) = certificate_for(THREE_MINIMA);
    let v = cert.verify(&pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    let bound = v.certified_lower_bound.unwrap();
    let r = v.radius.unwrap();
    // Add δ to S₁₁ of σ₀: the residual's coefficient at z^{2u₁} moves by −δ, so on the ball the bound must
    // drop by at least (δ − 2·max|r_α|)·R^{2|u₁|} (its old coefficient could at most cancel part of δ).
    let delta = 1e-7;
    let mut bad = cert.clone();
    bad.multipliers[0].gram[1][1] += delta;
    let d1: i32 = bad.multipliers[0].basis[1].iter().map(|&e| e as i32).sum();
    let effect = (delta - 2.0 * v.max_residual) * r.powi(2 * d1);
    assert!(effect > 0.5 * delta * r.powi(2 * d1));
    let vb = bad.verify(&pop, 1e-6).unwrap();
    assert!(vb.accepted(), "{:?}", vb.problems);
    let drop = bound - vb.certified_lower_bound.unwrap();
    assert!(
        drop >= effect * (1.0 - 1e-9),
        "drop {drop:e}, effect {effect:e}"
    );
    // Claiming a higher bound by ε cannot raise the certified bound by more than the old constant residual.
    let mut greedy = cert.clone();
    greedy.lower_bound += 1e-7;
    let vg = greedy.verify(&pop, 1e-6).unwrap();
    assert!(vg.certified_lower_bound.unwrap() <= bound + 2.0 * v.max_residual);
}

/// The certificate of a network fit verifies against the problem file (`polyact verify P.json cert.json`)
/// for every loss, bounds the fit's loss from below, and is rejected when its recorded target is altered.
#[test]
fn network_fit_certificates_verify_against_the_problem_file() {
    use polyact::fit::{FitSettings, fit};
    use polyact::model::Loss;
    use polyact::model::synthetic::{SyntheticSpec, generate};
    use polyact::relax::certificate::verify_texts;
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 1],
        widths: vec![4, 5, 5, 2],
        samples: 40,
        test_samples: 0,
        noise: 0.05,
        seed: 3,
        biases: true,
    })
    .unwrap();
    let text = problem.to_json_string();
    for &loss in Loss::ALL {
        let settings = FitSettings {
            loss,
            ..FitSettings::default()
        };
        let report = fit(&problem, &settings, &mut |_| {}).unwrap();
        let cert = report.certificate.clone().expect("a certificate");
        let target = cert.network.expect("the fit records its target");
        assert_eq!(target.loss, loss);
        let v = verify_texts(&text, "p.json", &cert.to_json(), "c.json", 1e-6).unwrap();
        assert!(v.accepted(), "{loss}: {:?}", v.problems);
        let bound = v.certified_lower_bound.expect("a ball");
        assert!(
            bound <= report.loss * (1.0 + 1e-9) + 1e-12,
            "{loss}: bound {bound} above the loss {}",
            report.loss
        );
        if loss.has_theta() {
            // Another scale is another POP (its objective s·t differs): rejected, not silently accepted.
            let mut wrong = cert.clone();
            wrong.network.as_mut().unwrap().theta_scale *= 2.0;
            assert!(verify_texts(&text, "p.json", &wrong.to_json(), "c.json", 1e-6).is_err());
        } else {
            // The lsq certificate checked as a mean-inf one has the wrong number of variables.
            let mut wrong = cert.clone();
            wrong.network.as_mut().unwrap().loss = Loss::MeanInf;
            assert!(verify_texts(&text, "p.json", &wrong.to_json(), "c.json", 1e-6).is_err());
        }
    }
}

/// A multiplier may relax its constraint only by dropping terms −a·t² (a > 0), which makes the constraint
/// larger: f = 2 − y² on 1 − x² − y² ≥ 0 (minimum 1 at y² = 1) has the certificate f − 1 = 1·(1 − x² − y²) + x²
/// (σ₀ = x², σ₁ = 1); relaxing x² out of the ball gives f − 1 = 1·(1 − y²), accepted; relaxing x in the
/// second constraint 1 + x² (whose x² is not a negative term), a variable the problem lacks, or σ₀, is
/// refused.
#[test]
fn a_relaxed_multiplier_may_drop_only_negative_squares() {
    let pop = pop_from_json(
        r#"{"variables": ["x", "y"], "objective": "2 - y^2", "inequalities": ["1 - x^2 - y^2", "1 + x^2"]}"#,
        "ball.json",
    )
    .unwrap()
    .pop;
    let multiplier = |constraint: Option<usize>, basis: Vec<Vec<u16>>, relaxed: Vec<usize>| {
        polyact::relax::certificate::SosMultiplier {
            constraint,
            basis,
            gram: vec![vec![1.0]],
            relaxed,
        }
    };
    let certificate = |multipliers| Certificate {
        variables: vec!["x".into(), "y".into()],
        order: 1,
        lower_bound: 1.0,
        objective: vec![(vec![0, 0], 2.0), (vec![0, 2], -1.0)],
        inequalities: vec![
            vec![(vec![0, 0], 1.0), (vec![2, 0], -1.0), (vec![0, 2], -1.0)],
            vec![(vec![0, 0], 1.0), (vec![2, 0], 1.0)],
        ],
        multipliers,
        equalities: vec![],
        equality_multipliers: vec![],
        network: None,
    };
    let plain = certificate(vec![
        multiplier(None, vec![vec![1, 0]], vec![]),
        multiplier(Some(0), vec![vec![0, 0]], vec![]),
    ]);
    assert!(plain.verify(&pop, 1e-9).unwrap().accepted());
    let relaxed = certificate(vec![multiplier(Some(0), vec![vec![0, 0]], vec![0])]);
    let v = relaxed.verify(&pop, 1e-9).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    assert_eq!(v.max_residual, 0.0);
    // Without the relaxation the same multipliers leave the residual x².
    let unrelaxed = certificate(vec![multiplier(Some(0), vec![vec![0, 0]], vec![])]);
    assert!(!unrelaxed.verify(&pop, 1e-9).unwrap().accepted());
    for bad in [
        certificate(vec![multiplier(Some(1), vec![vec![0, 0]], vec![0])]),
        certificate(vec![multiplier(Some(0), vec![vec![0, 0]], vec![2])]),
        certificate(vec![multiplier(None, vec![vec![0, 0]], vec![0])]),
    ] {
        assert!(bad.verify(&pop, 1e-9).is_err());
    }
}
