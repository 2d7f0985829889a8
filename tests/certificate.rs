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
