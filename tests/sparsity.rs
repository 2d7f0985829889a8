//! Term-sparse relaxations (TSSOS): each is a relaxation of the dense one, so its bound is at most the dense
//! bound, which is at most the optimum; on chained problems it reaches the optimum with smaller blocks.

use polyact::polynomial::Polynomial;
use polyact::pop::Pop;
use polyact::pop::file::pop_from_json;
use polyact::relax::MomentRelaxation;
use polyact::relax::certificate::Certificate;
use polyact::relax::hierarchy::{HierarchySettings, SolverChoice, feasible_objective, run};
use polyact::relax::moment::Structure;
use polyact::relax::sparsity::Sparsity;
use polyact::rng::Rng;

fn x(n: usize, i: usize) -> Polynomial {
    Polynomial::variable(n, i)
}

fn c(n: usize, v: f64) -> Polynomial {
    Polynomial::constant(n, v)
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("x{i}")).collect()
}

fn settings(sparsity: Sparsity, order: usize) -> HierarchySettings {
    structure_settings(
        Structure {
            sparsity,
            ..Structure::default()
        },
        order,
    )
}

fn structure_settings(structure: Structure, order: usize) -> HierarchySettings {
    HierarchySettings {
        min_order: Some(order),
        max_order: Some(order),
        structure,
        ..HierarchySettings::default()
    }
}

/// Correlative sparsity with dense clique blocks.
const CORRELATIVE: Structure = Structure {
    theta_free: false,
    sparsity: Sparsity::None,
    ts_steps: 1,
    correlative: true,
};

/// Correlative sparsity with chordal term sparsity inside the cliques (CS-TSSOS).
const CS_TSSOS: Structure = Structure {
    sparsity: Sparsity::Chordal,
    ..CORRELATIVE
};

fn solve(
    pop: &Pop,
    sparsity: Sparsity,
    order: usize,
) -> polyact::relax::hierarchy::HierarchyResult {
    solve_structured(pop, &settings(sparsity, order))
}

fn solve_structured(
    pop: &Pop,
    settings: &HierarchySettings,
) -> polyact::relax::hierarchy::HierarchyResult {
    let oracle = |z: &[f64]| feasible_objective(pop, z);
    run(pop, settings, &oracle, &mut |_| {}).unwrap()
}

/// The lower bound of `cert` (after a round trip through its JSON file) verified against `pop` by `verify`,
/// which must accept it.
fn verified_bound(cert: &Certificate, pop: &Pop) -> f64 {
    let cert = Certificate::from_json(&cert.to_json(), "cert.json").unwrap();
    let v = cert.verify(pop, 1e-6).unwrap();
    assert!(v.accepted(), "{:?}", v.problems);
    v.certified_lower_bound.unwrap()
}

/// The order-`order` relaxation of `pop` with chordal term sparsity.
fn chordal_relaxation(pop: &Pop, order: usize) -> MomentRelaxation {
    let structure = Structure {
        sparsity: Sparsity::Chordal,
        ..Structure::default()
    };
    MomentRelaxation::with_structure(pop, order, 1 << 32, structure).unwrap()
}

/// Generalized Rosenbrock Σ_{i<n} 100(x_{i+1} − x_i²)² + (1 − x_i)² on the ball of radius 2√n: optimum 0 at
/// the point of ones (inside the ball).
fn rosenbrock(n: usize) -> Pop {
    let mut f = Polynomial::zero(n);
    for i in 0..n - 1 {
        let a = &x(n, i + 1) - &x(n, i).pow(2);
        let b = &c(n, 1.0) - &x(n, i);
        f = &f + &(&a.pow(2).scale(100.0) + &b.pow(2));
    }
    let mut ball = c(n, 4.0 * n as f64);
    for i in 0..n {
        ball = &ball - &x(n, i).pow(2);
    }
    Pop::new(names(n), f, vec![ball], vec![]).unwrap()
}

#[test]
fn chained_rosenbrock_is_certified_with_small_blocks() {
    let n = 8;
    let pop = rosenbrock(n);
    let dense = MomentRelaxation::new(&pop, 2, 1 << 32).unwrap();
    let sparse = chordal_relaxation(&pop, 2);
    let (moment_blocks, _) = sparse.block_sides();
    let largest = moment_blocks.iter().copied().max().unwrap();
    assert!(largest < dense.sdp_block_rows(0).len(), "{moment_blocks:?}");
    assert!(sparse.num_moments() < dense.num_moments());
    let res = solve(&pop, Sparsity::Chordal, 2);
    let o = res.certified().expect("certified");
    assert!(o.lower_bound.abs() < 1e-5, "{}", o.lower_bound);
    let z = &o.candidates[o.best_candidate.unwrap()];
    assert!(z.iter().all(|v| (v - 1.0).abs() < 1e-3), "{z:?}");
}

/// Correlative sparsity on the chained Rosenbrock function: the cliques are the consecutive pairs, so the
/// moments are the 15 monomials of degree ≤ 4 in each pair less the 5 of the variable two neighbouring pairs
/// share; the ball is split into one per pair, and the relaxation certifies the optimum 0 at the point of
/// ones. Its SOS certificate (σ₀ gaining the split balls' dropped squares) verifies independently of the
/// solver, and the SDPA file names its structure.
#[test]
fn correlative_rosenbrock_has_pair_cliques_and_is_certified() {
    let n = 30;
    let pop = rosenbrock(n);
    let relax = MomentRelaxation::with_structure(&pop, 2, 1 << 32, CORRELATIVE).unwrap();
    let mut cliques = relax.cliques().expect("correlative").to_vec();
    cliques.sort();
    let pairs: Vec<Vec<usize>> = (0..n - 1).map(|i| vec![i, i + 1]).collect();
    assert_eq!(cliques, pairs);
    assert_eq!(relax.num_moments(), 15 * (n - 1) - 5 * (n - 2));
    let (moment_blocks, localizing) = relax.block_sides();
    assert_eq!(moment_blocks, vec![6; n - 1]);
    assert_eq!(
        localizing,
        vec![3; n - 1],
        "one ball per clique, rows 1, x_i, x_i+1"
    );
    let again = MomentRelaxation::from_sdpa(&relax.to_sdpa(), 1 << 32).expect("rebuilt");
    assert_eq!(again.cliques(), relax.cliques());

    let mut s = structure_settings(CORRELATIVE, 2);
    s.certificates = true;
    let res = solve_structured(&pop, &s);
    let o = res.certified().expect("certified");
    assert!(
        o.lower_bound <= 1e-9 && o.lower_bound > -1e-5,
        "{}",
        o.lower_bound
    );
    let z = &o.candidates[o.best_candidate.unwrap()];
    assert!(z.iter().all(|v| (v - 1.0).abs() < 1e-3), "{z:?}");
    let bound = verified_bound(o.certificate.as_ref().expect("asked for"), &pop);
    assert!(bound <= 1e-9 && bound > -1e-3, "{bound}");
}

/// On random chained quartics (terms in consecutive variables, a ball on all of them) the correlative bound
/// is at most the dense bound (each clique's moment matrix is a principal submatrix of the dense one, each
/// split ball implied by the ball), and it is a bound: below the objective at every feasible sample.
#[test]
fn correlative_bounds_are_below_the_dense_bound_and_the_samples() {
    let mut rng = Rng::new(11);
    for trial in 0..4 {
        let n = 4 + trial % 2;
        let mut f = Polynomial::zero(n);
        for i in 0..n {
            f = &f + &x(n, i).pow(4);
        }
        for i in 0..n - 1 {
            for (a, b) in [(1, 1), (2, 1), (1, 2), (1, 0), (3, 1)] {
                let term = x(n, i).pow(a).product(&x(n, i + 1).pow(b));
                f = &f + &term.scale(rng.normal());
            }
        }
        let mut ball = c(n, 4.0);
        for i in 0..n {
            ball = &ball - &x(n, i).pow(2);
        }
        let pop = Pop::new(names(n), f.clone(), vec![ball.clone()], vec![]).unwrap();
        let d = solve(&pop, Sparsity::None, 2);
        let cs = solve_structured(&pop, &structure_settings(CORRELATIVE, 2));
        let cs_ts = solve_structured(&pop, &structure_settings(CS_TSSOS, 2));
        let (d, cs, cs_ts) = (d.last(), cs.last(), cs_ts.last());
        assert!(d.status.is_solved() && cs.status.is_solved() && cs_ts.status.is_solved());
        let tol = 1e-6 * d.lower_bound.abs().max(1.0);
        assert!(
            cs.lower_bound <= d.lower_bound + tol,
            "trial {trial}: correlative {} > dense {}",
            cs.lower_bound,
            d.lower_bound
        );
        assert!(
            cs_ts.lower_bound <= cs.lower_bound + tol,
            "trial {trial}: with term sparsity {} > correlative {}",
            cs_ts.lower_bound,
            cs.lower_bound
        );
        for _ in 0..2000 {
            let z: Vec<f64> = (0..n)
                .map(|_| 2.0 * rng.normal() / (n as f64).sqrt())
                .collect();
            if ball.evaluate(&z) >= 0.0 {
                assert!(
                    cs.lower_bound <= f.evaluate(&z) + tol,
                    "trial {trial}: {z:?}"
                );
            }
        }
    }
}

/// Term sparsity inside the cliques (CS-TSSOS): on the chained Broyden tridiagonal function
/// Σᵢ ((3 − 2xᵢ)xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1)² (x₀ = xₙ₊₁ = 0; optimum 0 at a zero of the tridiagonal system), whose
/// cliques are consecutive triples, chordal term sparsity splits each clique's 10 × 10 moment matrix into
/// smaller blocks on the same moments. The relaxation certifies the optimum 0, and its SOS certificate (one
/// Gram matrix per block, split balls relaxed) verifies against the problem.
#[test]
fn term_sparsity_inside_cliques_certifies_broyden_tridiagonal() {
    let n = 12;
    let mut f = Polynomial::zero(n);
    for i in 0..n {
        let mut r = &(&c(n, 3.0) - &x(n, i).scale(2.0)).product(&x(n, i)) + &c(n, 1.0);
        if i > 0 {
            r = &r - &x(n, i - 1);
        }
        if i + 1 < n {
            r = &r - &x(n, i + 1).scale(2.0);
        }
        f = &f + &r.pow(2);
    }
    let mut ball = c(n, 4.0 * n as f64);
    for i in 0..n {
        ball = &ball - &x(n, i).pow(2);
    }
    let pop = Pop::new(names(n), f, vec![ball], vec![]).unwrap();
    let cs = MomentRelaxation::with_structure(&pop, 2, 1 << 32, CORRELATIVE).unwrap();
    let ts = MomentRelaxation::with_structure(&pop, 2, 1 << 32, CS_TSSOS).unwrap();
    assert_eq!(cs.cliques().unwrap().len(), n - 2);
    assert_eq!(ts.cliques(), cs.cliques());
    let (cs_blocks, _) = cs.block_sides();
    let (ts_blocks, _) = ts.block_sides();
    assert_eq!(cs_blocks, vec![10; n - 2]);
    assert!(
        ts_blocks.len() > cs_blocks.len() && ts_blocks.iter().all(|&s| s < 10),
        "{ts_blocks:?}"
    );
    assert!(ts.num_moments() <= cs.num_moments());

    let mut s = structure_settings(CS_TSSOS, 2);
    s.certificates = true;
    let res = solve_structured(&pop, &s);
    let o = res.certified().expect("certified");
    assert!(o.relaxation.contains("chordal") && o.relaxation.contains("correlative"));
    assert!(
        o.lower_bound <= 1e-9 && o.lower_bound > -1e-5,
        "{}",
        o.lower_bound
    );
    let bound = verified_bound(o.certificate.as_ref().expect("asked for"), &pop);
    assert!(bound <= 1e-9 && bound > -1e-3, "{bound}");
}

/// The default sparsity (auto) of a hierarchy is the dense relaxation where it is predicted to fit and be
/// cheap, and a structured one where it is not, by memory (a limit between the sparse and the dense
/// relaxation's size) or by time (a limit below the dense relaxation's predicted time), or where the dense one
/// is predicted to take longer than `cheap_dense_seconds`: correlative sparsity for the chained Rosenbrock
/// function (its variables form a chain of pair cliques), chordal term sparsity for the same function with a
/// constraint on the sum of all its variables (one clique). Each certifies the optimum 0.
#[test]
fn auto_sparsity_is_dense_where_it_fits_and_sparse_where_it_does_not() {
    use polyact::error::Error;
    use polyact::relax::cost::RelaxationSize;
    assert_eq!(
        HierarchySettings::default().structure.sparsity,
        Sparsity::Auto
    );
    let run_with = |pop: &Pop, settings: &HierarchySettings| {
        let oracle = |z: &[f64]| feasible_objective(pop, z);
        run(pop, settings, &oracle, &mut |_| {})
    };
    let order = |settings: HierarchySettings| HierarchySettings {
        min_order: Some(2),
        max_order: Some(2),
        ..settings
    };
    // Certified by the relaxation named, at the optimum 0.
    let certified_by = |name: &str, result: polyact::relax::hierarchy::HierarchyResult| {
        let o = result.certified().expect("certified");
        assert!(o.relaxation.contains(name), "{name}: {}", o.relaxation);
        assert!(o.lower_bound.abs() < 1e-5, "{}", o.lower_bound);
    };
    // The chain, and the chain with (n + 1) − Σ xᵢ ≥ 0 (which holds at the optimum, the point of ones).
    let chain = rosenbrock(10);
    let coupled = {
        let n = 10;
        let mut g = c(n, n as f64 + 1.0);
        for i in 0..n {
            g = &g - &x(n, i);
        }
        let mut inequalities = chain.inequalities.clone();
        inequalities.push(g);
        Pop::new(names(n), chain.objective.clone(), inequalities, vec![]).unwrap()
    };
    for (pop, name) in [
        (&chain, "correlative sparsity"),
        (&coupled, "term sparsity chordal"),
    ] {
        let dense_bytes = RelaxationSize::new(pop, 2).bytes;
        let sparse_bytes = if name.starts_with("correlative") {
            MomentRelaxation::with_structure(pop, 2, 1 << 32, CORRELATIVE)
                .unwrap()
                .size()
                .bytes
        } else {
            chordal_relaxation(pop, 2).size().bytes
        };
        assert!(
            4.0 * sparse_bytes < dense_bytes,
            "{sparse_bytes} vs {dense_bytes}"
        );

        // Memory for the dense relaxation, predicted to be cheap: dense, with the dense bound.
        assert!(
            RelaxationSize::new(pop, 2).seconds < HierarchySettings::default().cheap_dense_seconds
        );
        let auto = run_with(pop, &order(HierarchySettings::default())).unwrap();
        {
            let dense = solve(pop, Sparsity::None, 2);
            let (a, d) = (&auto.orders[0], &dense.orders[0]);
            assert!(!a.relaxation.contains("sparsity"), "{}", a.relaxation);
            assert_eq!(a.moments, d.moments);
            assert!(
                (a.lower_bound - d.lower_bound).abs() < 1e-9,
                "{} vs {}",
                a.lower_bound,
                d.lower_bound
            );
        }

        // Memory for the sparse relaxations only: dense is refused, auto is sparse and certifies.
        let mut small = order(HierarchySettings::default());
        small.sdp.max_memory_bytes = (2.0 * sparse_bytes) as usize;
        // (The interior-point method alone: `auto` would solve the dense relaxation by the low-rank path.)
        let mut none = small.clone();
        none.structure.sparsity = Sparsity::None;
        none.solver = SolverChoice::Ipm;
        assert!(matches!(run_with(pop, &none), Err(Error::TooLarge(_))));
        certified_by(name, run_with(pop, &small).unwrap());
    }

    // A dense relaxation predicted to take longer than `cheap_dense_seconds`: correlative sparsity first, which
    // certifies (no dense solve follows).
    let pop = rosenbrock(20);
    let predicted = RelaxationSize::new(&pop, 2).seconds;
    assert!(predicted > 20.0, "{predicted}");
    let auto = run_with(&pop, &order(HierarchySettings::default())).unwrap();
    assert_eq!(auto.orders.len(), 1);
    certified_by("correlative sparsity", auto);

    // Time: with less time than the dense relaxation is predicted to take, auto is correlative.
    let timed = HierarchySettings {
        time_limit: Some(predicted / 2.0),
        ..order(HierarchySettings::default())
    };
    certified_by("correlative sparsity", run_with(&pop, &timed).unwrap());
}

/// A ball couples variables that no term joins: splitting it across the cliques loosens the relaxation. For
/// f = −x₁² − x₃² + x₁x₂ + x₂x₃ on the unit ball (cliques {x₁, x₂} and {x₂, x₃}) the optimum is the least
/// eigenvalue of f's matrix, (−1 − √3)/2 (S-lemma: the dense relaxation is exact), while the split balls
/// x₁² + x₂² ≤ 1, x₂² + x₃² ≤ 1 allow f = −1 − √2. At order 2, automatic sparsity told that no dense
/// relaxation is cheap solves the correlative relaxation first, finds it does not certify, and solves the
/// dense relaxation of the same order, which does (flat, the two minimizers ±v).
#[test]
fn auto_sparsity_solves_densely_when_correlative_sparsity_does_not_certify() {
    let pop = pop_from_json(
        r#"{"variables": ["x1", "x2", "x3"], "objective": "-x1^2 - x3^2 + x1*x2 + x2*x3",
            "inequalities": ["1 - x1^2 - x2^2 - x3^2"]}"#,
        "split.json",
    )
    .unwrap()
    .pop;
    let settings = HierarchySettings {
        min_order: Some(2),
        max_order: Some(2),
        cheap_dense_seconds: 0.0,
        ..HierarchySettings::default()
    };
    let result = solve_structured(&pop, &settings);
    let optimum = (-1.0 - 3f64.sqrt()) / 2.0;
    assert_eq!(result.orders.len(), 2, "{:?}", result.orders);
    let (cs, dense) = (&result.orders[0], &result.orders[1]);
    assert!(cs.relaxation.contains("correlative"), "{}", cs.relaxation);
    assert!(!cs.certified);
    assert!(
        cs.lower_bound < -1.0 - 2f64.sqrt() + 1e-6,
        "{}",
        cs.lower_bound
    );
    assert_eq!(dense.order, 2);
    assert!(
        !dense.relaxation.contains("sparsity"),
        "{}",
        dense.relaxation
    );
    assert!(dense.certified);
    assert!(
        (dense.lower_bound - optimum).abs() < 1e-6,
        "{}",
        dense.lower_bound
    );
    let best = result.certified().expect("certified");
    assert!((best.upper_bound.unwrap() - optimum).abs() < 1e-6);
}

/// A random quartic with a ball: the bounds of the sparse relaxations are below the dense one (they are
/// relaxations of it), the dense one below the value at any feasible point, and block mode, iterated to its
/// fixed point, equals the dense bound.
#[test]
fn sparse_bounds_are_below_the_dense_bound() {
    let mut rng = Rng::new(3);
    for trial in 0..6 {
        let n = 3 + trial % 2;
        let mut f = Polynomial::zero(n);
        // A sparse quartic: a few random monomials, plus Σ x_i⁴ so that it is bounded below.
        for i in 0..n {
            f = &f + &x(n, i).pow(4);
        }
        for _ in 0..2 * n {
            let i = (rng.next_u64() % n as u64) as usize;
            let j = (rng.next_u64() % n as u64) as usize;
            let e = 1 + (rng.next_u64() % 2) as u32;
            f = &f + &x(n, i).pow(e).product(&x(n, j)).scale(rng.normal());
        }
        let mut ball = c(n, 4.0);
        for i in 0..n {
            ball = &ball - &x(n, i).pow(2);
        }
        let pop = Pop::new(names(n), f, vec![ball], vec![]).unwrap();
        let dense = solve(&pop, Sparsity::None, 2);
        let d = dense.last();
        assert!(d.status.is_solved(), "{:?}", d.status);
        let upper = d.upper_bound.unwrap();
        assert!(d.lower_bound <= upper + 1e-7 * upper.abs().max(1.0));
        for mode in [Sparsity::Chordal, Sparsity::Block] {
            let s = solve(&pop, mode, 2);
            let o = s.last();
            assert!(o.status.is_solved(), "{mode:?} {:?}", o.status);
            let tol = 1e-6 * d.lower_bound.abs().max(1.0);
            assert!(
                o.lower_bound <= d.lower_bound + tol,
                "trial {trial} {mode:?}: sparse {} > dense {}",
                o.lower_bound,
                d.lower_bound
            );
        }
        let mut fixed = settings(Sparsity::Block, 2);
        fixed.structure.ts_steps = 10;
        let oracle = |z: &[f64]| feasible_objective(&pop, z);
        let b = run(&pop, &fixed, &oracle, &mut |_| {}).unwrap();
        let tol = 1e-6 * d.lower_bound.abs().max(1.0);
        assert!(
            (b.last().lower_bound - d.lower_bound).abs() < tol,
            "trial {trial}: block fixed point {} vs dense {}",
            b.last().lower_bound,
            d.lower_bound
        );
    }
}

/// The SOS certificate of a chordal relaxation (one Gram matrix per block) verifies independently of the
/// solver, and its proved bound is below the optimum 0 and close to it.
#[test]
fn a_sparse_certificate_verifies() {
    let pop = rosenbrock(6);
    let mut s = settings(Sparsity::Chordal, 2);
    s.certificates = true;
    let oracle = |z: &[f64]| feasible_objective(&pop, z);
    let res = run(&pop, &s, &oracle, &mut |_| {}).unwrap();
    let o = res.certified().expect("certified");
    let cert = o.certificate.clone().expect("asked for");
    let sigma0_parts = cert
        .multipliers
        .iter()
        .filter(|m| m.constraint.is_none())
        .count();
    assert!(sigma0_parts > 1, "one SOS term per moment-matrix block");
    let bound = verified_bound(&cert, &pop);
    assert!(bound <= 1e-9 && bound > -1e-3, "{bound}");
}

/// A noiseless (2,2,2) network: the θ-free chordal relaxation of order 4 bounds the loss by ≈ 0, a refined
/// candidate meets it, and the coefficients found are the true ones (checked against the generator's, and the
/// loss by a forward pass). With 16 outputs the mean output's 16 equations determine the 7 unknowns.
#[test]
fn a_noiseless_deep_network_is_recovered_and_certified() {
    use polyact::fit::{FitSettings, fit};
    use polyact::model::synthetic::{SyntheticSpec, generate};
    use polyact::pop::loss::{Loss, loss_value};
    use polyact::report::FitStatus;
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 2, 2],
        widths: vec![8, 8, 8, 8, 16],
        samples: 40,
        test_samples: 0,
        noise: 0.0,
        seed: 3,
        biases: true,
    })
    .unwrap();
    let mut hierarchy = settings(Sparsity::Chordal, 4);
    hierarchy.structure.theta_free = true;
    let settings = FitSettings {
        hierarchy,
        ..FitSettings::default()
    };
    let report = fit(&problem, &settings, &mut |_| {}).unwrap();
    assert_eq!(report.status, FitStatus::Certified, "{report}");
    let lower = report.lower_bound.unwrap();
    assert!(lower <= report.loss + 1e-12, "{lower} > {}", report.loss);
    let forward = loss_value(&problem, &report.coefficients, Loss::MeanInf);
    assert!((forward - report.loss).abs() < 1e-12);
    assert!(report.loss < 1e-8, "{}", report.loss);
    let truth = problem.true_coefficients.as_ref().unwrap();
    for (l, (c, t)) in report.coefficients.iter().zip(truth).enumerate() {
        for (a, b) in c.iter().zip(t) {
            assert!((a - b).abs() < 1e-6, "layer {l}: {c:?} vs {t:?}");
        }
    }
}

/// The interior-point method factors the Schur complement of the correlative Rosenbrock relaxation (605
/// moments, a banded pattern) as a sparse matrix; it and the dense factorization of the same SDP both reach
/// its optimal value 0 (the relaxation is tight: the point of ones) and the same optimal moments, those of
/// the point of ones. (Their iterates differ by rounding, so their iteration counts may too.)
#[test]
fn sparse_and_dense_schur_factorizations_solve_alike() {
    let relax = MomentRelaxation::with_structure(&rosenbrock(60), 2, 1 << 32, CORRELATIVE).unwrap();
    let sdp = relax.sdp();
    let start = relax.gaussian_start();
    let ones: Vec<f64> = (1..relax.num_moments()).map(|_| 1.0).collect();
    for sparse_schur in [true, false] {
        let settings = polyact::sdp::SdpSettings {
            sparse_schur,
            ..Default::default()
        };
        let sol = polyact::sdp::solve_from(sdp, &settings, &start).unwrap();
        assert!(sol.status.is_solved(), "{sparse_schur}: {:?}", sol.status);
        for value in [sol.primal_objective, sol.dual_objective] {
            assert!(value.abs() < 1e-6, "{sparse_schur}: {value}");
        }
        let dx = sol
            .x
            .iter()
            .zip(&ones)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(dx < 1e-3, "{sparse_schur}: {dx}");
    }
}
