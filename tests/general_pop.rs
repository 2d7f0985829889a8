//! The hierarchy on general POPs with known global minimizers (not networks).

use polyact::polynomial::Polynomial;
use polyact::pop::Pop;
use polyact::relax::hierarchy::{HierarchySettings, feasible_objective, run};

fn x(n: usize, i: usize) -> Polynomial {
    Polynomial::variable(n, i)
}

fn c(n: usize, v: f64) -> Polynomial {
    Polynomial::constant(n, v)
}

fn solve(pop: &Pop) -> polyact::relax::hierarchy::HierarchyResult {
    let oracle = |z: &[f64]| feasible_objective(pop, z);
    run(pop, &HierarchySettings::default(), &oracle, &mut |_| {}).unwrap()
}

fn assert_points(found: &[Vec<f64>], expected: &[[f64; 2]], tol: f64) {
    assert_eq!(found.len(), expected.len(), "{found:?}");
    for e in expected {
        assert!(
            found
                .iter()
                .any(|p| (p[0] - e[0]).abs() < tol && (p[1] - e[1]).abs() < tol),
            "{e:?} not among {found:?}"
        );
    }
}

#[test]
fn three_global_minimizers_are_all_extracted() {
    // Henrion–Lasserre (2005): min −(x1−1)² − (x1−x2)² − (x2−3)² on three slabs; value −2 at (1,2), (2,2), (2,3).
    let n = 2;
    let (x1, x2) = (x(n, 0), x(n, 1));
    let a = &x1 - &c(n, 1.0);
    let b = &x1 - &x2;
    let d = &x2 - &c(n, 3.0);
    let f = -(&(&a.pow(2) + &b.pow(2)) + &d.pow(2));
    let g = vec![
        &c(n, 1.0) - &a.pow(2),
        &c(n, 1.0) - &b.pow(2),
        &c(n, 1.0) - &d.pow(2),
    ];
    let pop = Pop::new(vec!["x1".into(), "x2".into()], f, g, vec![]).unwrap();
    let res = solve(&pop);
    let o = res.certified().expect("certified");
    assert!(o.flat, "{o:?}");
    assert_eq!(o.rank, Some(3));
    assert!((o.lower_bound + 2.0).abs() < 1e-6, "{}", o.lower_bound);
    assert_points(&o.candidates, &[[1.0, 2.0], [2.0, 2.0], [2.0, 3.0]], 1e-4);
    for p in &o.candidates {
        assert!((pop.objective_at(p) + 2.0).abs() < 1e-6);
        assert!(pop.violation(p).max() < 1e-6);
    }
}

#[test]
fn symmetric_quartic_has_two_minimizers() {
    // min (x1² − 1)² + x2² → 0 at (±1, 0).
    let n = 2;
    let f = &(&x(n, 0).pow(2) - &c(n, 1.0)).pow(2) + &x(n, 1).pow(2);
    let ball = &c(n, 9.0) - &(&x(n, 0).pow(2) + &x(n, 1).pow(2));
    let pop = Pop::new(vec!["x1".into(), "x2".into()], f, vec![ball], vec![]).unwrap();
    let res = solve(&pop);
    let o = res.certified().expect("certified");
    assert!(o.flat && o.rank == Some(2), "{o:?}");
    assert!(o.lower_bound.abs() < 1e-6);
    assert_points(&o.candidates, &[[1.0, 0.0], [-1.0, 0.0]], 1e-4);
}

#[test]
fn linear_objective_on_the_sphere() {
    // min x1 + x2 + x3 s.t. x1² + x2² + x3² = 1 → −√3 at −(1, 1, 1)/√3.
    let n = 3;
    let f = &(&x(n, 0) + &x(n, 1)) + &x(n, 2);
    let h = &(&(&x(n, 0).pow(2) + &x(n, 1).pow(2)) + &x(n, 2).pow(2)) - &c(n, 1.0);
    let pop = Pop::new(
        vec!["x1".into(), "x2".into(), "x3".into()],
        f,
        vec![],
        vec![h],
    )
    .unwrap();
    let res = solve(&pop);
    let o = res.certified().expect("certified");
    let v = -(3f64).sqrt();
    assert!((o.lower_bound - v).abs() < 1e-6, "{}", o.lower_bound);
    let z = &o.candidates[o.best_candidate.unwrap()];
    for zi in z {
        assert!((zi + 1.0 / (3f64).sqrt()).abs() < 1e-5, "{z:?}");
    }
}
