//! The SDP solver against closed-form optima and against its own certificates on random feasible SDPs.

use faer::Mat;
use polyact::rng::Rng;
use polyact::sdp::{
    BlockMatrix, ConstraintBlock, DiagonalBlock, SdpProblem, SdpSettings, SdpStatus, SparseBlock,
    solve, solve_warm,
};

fn settings() -> SdpSettings {
    SdpSettings::default()
}

#[test]
fn two_by_two_off_diagonal() {
    // min x  s.t. [[1, x], [x, 1]] ⪰ 0  → x* = −1, and the dual certificate Y = [[1/2, 1/2], [1/2, 1/2]] (⟨F₁,Y⟩ = 2Y₀₁ = 1).
    let blk = SparseBlock::new(
        2,
        vec![(0, vec![(0, 0, 1.0), (1, 1, 1.0)]), (1, vec![(0, 1, 1.0)])],
    );
    let p = SdpProblem::new(1, vec![0.0, 1.0], vec![ConstraintBlock::Sparse(blk)]).unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::Optimal);
    assert!((s.x[0] + 1.0).abs() < 1e-7, "x = {}", s.x[0]);
    assert!((s.dual_objective + 1.0).abs() < 1e-7);
    let BlockMatrix::Dense(y) = &s.dual[0] else {
        panic!()
    };
    assert!((y[(0, 1)] - 0.5).abs() < 1e-6 && (y[(0, 0)] - 0.5).abs() < 1e-6);
}

#[test]
fn linear_program_in_a_diagonal_block() {
    // min x1 + 2 x2  s.t. x1 ≥ 1, x2 ≥ 3, x1 + x2 ≥ 5  → (2, 3), value 8.
    let blk = DiagonalBlock::new(vec![
        vec![(0, -1.0), (1, 1.0)],
        vec![(0, -3.0), (2, 1.0)],
        vec![(0, -5.0), (1, 1.0), (2, 1.0)],
    ]);
    let p = SdpProblem::new(2, vec![0.0, 1.0, 2.0], vec![ConstraintBlock::Diagonal(blk)]).unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::Optimal);
    assert!((s.primal_objective - 8.0).abs() < 1e-7);
    assert!((s.x[0] - 2.0).abs() < 1e-6 && (s.x[1] - 3.0).abs() < 1e-6);
}

/// Symmetric matrix with entries from the generator.
fn random_symmetric(rng: &mut Rng, n: usize) -> Vec<(u32, u32, f64)> {
    let mut e = vec![];
    for i in 0..n {
        for j in i..n {
            e.push((i as u32, j as u32, rng.normal()));
        }
    }
    e
}

#[test]
fn largest_eigenvalue() {
    // min t  s.t.  t I − A ⪰ 0  → t* = λ_max(A).
    let mut rng = Rng::new(3);
    let n = 6;
    let a = random_symmetric(&mut rng, n);
    let neg: Vec<_> = a.iter().map(|&(i, j, v)| (i, j, -v)).collect();
    let ident: Vec<_> = (0..n as u32).map(|i| (i, i, 1.0)).collect();
    let blk = SparseBlock::new(n, vec![(0, neg), (1, ident)]);
    let p = SdpProblem::new(1, vec![0.0, 1.0], vec![ConstraintBlock::Sparse(blk)]).unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::Optimal);
    let am = Mat::from_fn(n, n, |i, j| {
        a.iter()
            .find(|&&(p, q, _)| (p as usize, q as usize) == (i.min(j), i.max(j)))
            .unwrap()
            .2
    });
    let lmax = *polyact::sdp::block::symmetric_eigenvalues(am.as_ref())
        .last()
        .unwrap();
    assert!(
        (s.x[0] - lmax).abs() < 1e-7 * (1.0 + lmax.abs()),
        "{} vs {lmax}",
        s.x[0]
    );
}

/// A random SDP with a known strictly feasible primal–dual pair: C₀ = X⁰ − Σ x⁰ᵢ Fᵢ, c = A(Y⁰).
fn random_feasible(seed: u64, m: usize, sizes: &[usize], lp: usize) -> SdpProblem {
    let mut rng = Rng::new(seed);
    let mut blocks = vec![];
    let x0: Vec<f64> = (0..m).map(|_| rng.normal()).collect();
    for &n in sizes {
        let mut mats = vec![];
        for v in 1..=m {
            // sparse-ish: keep about half of the entries
            let e: Vec<_> = random_symmetric(&mut rng, n)
                .into_iter()
                .filter(|_| rng.uniform() < 0.5)
                .collect();
            mats.push((v, e));
        }
        // C₀ = I·n − Σ x0ᵢ Fᵢ (so X(x0) = n I ≻ 0)
        let tmp = SparseBlock::new(n, mats.clone());
        let mut full = vec![0.0];
        full.extend(&x0);
        let BlockMatrix::Dense(ax) = ConstraintBlock::Sparse(tmp).affine(&full) else {
            unreachable!()
        };
        let mut c0 = vec![];
        for i in 0..n {
            for j in i..n {
                let d = if i == j { n as f64 } else { 0.0 };
                c0.push((i as u32, j as u32, d - ax[(i, j)]));
            }
        }
        mats.push((0, c0));
        blocks.push(ConstraintBlock::Sparse(SparseBlock::new(n, mats)));
    }
    if lp > 0 {
        let rows = (0..lp)
            .map(|_| {
                let mut r: Vec<(u32, f64)> = (1..=m).map(|v| (v as u32, rng.normal())).collect();
                let val: f64 = r.iter().map(|&(v, c)| c * x0[v as usize - 1]).sum();
                r.push((0, 1.0 - val));
                r
            })
            .collect();
        blocks.push(ConstraintBlock::Diagonal(DiagonalBlock::new(rows)));
    }
    // Y⁰ = I on every block → c = A(I).
    let tmp = SdpProblem::new(m, vec![0.0; m + 1], blocks.clone()).unwrap();
    let y0: Vec<BlockMatrix> = blocks
        .iter()
        .map(|b| BlockMatrix::identity(b.dim(), b.is_diagonal(), 1.0))
        .collect();
    let mut c = tmp.adjoint(&y0);
    c[0] = 0.0;
    SdpProblem::new(m, c, blocks).unwrap()
}

#[test]
fn random_feasible_sdps_satisfy_their_certificates() {
    for seed in 0..6 {
        let p = random_feasible(seed, 5 + seed as usize, &[4, 3, 5], 3);
        let s = solve(&p, &settings()).unwrap();
        assert_eq!(
            s.status,
            SdpStatus::Optimal,
            "seed {seed}: {:?}",
            s.residuals
        );
        let check = p.check(&s.x, &s.dual);
        assert!(check.holds(1e-7), "seed {seed}: {check:?}");
        assert!((check.primal_objective - s.primal_objective).abs() < 1e-9);
        // weak duality holds exactly as ⟨X(x), Y⟩ = primal − dual (when A(Y) = c).
        let xs = p.primal_slack(&s.x);
        let inner: f64 = xs.iter().zip(&s.dual).map(|(a, b)| a.dot(b)).sum();
        assert!(
            inner >= -1e-7
                && (inner - (check.primal_objective - check.dual_objective)).abs() < 1e-6
        );
    }
}

/// A warm start kept by one solve starts a solve of the same constraints with a slightly different objective:
/// it reaches the optimum a cold solve of that problem reaches, in fewer iterations, and satisfies its own
/// certificate; an SDP of another shape refuses it.
#[test]
fn warm_start_from_a_kept_iterate_reaches_the_cold_optimum() {
    for seed in 0..4 {
        let p = random_feasible(seed, 6 + seed as usize, &[4, 3, 5], 3);
        let keep = SdpSettings {
            warm_start_gap: 1e-4,
            ..settings()
        };
        let first = solve(&p, &keep).unwrap();
        assert_eq!(first.status, SdpStatus::Optimal, "seed {seed}");
        let kept = first
            .warm_start
            .as_ref()
            .expect("an iterate within 1e-4 was reached");
        // A nearby objective of the same constraints, still bounded: c' = c + 10⁻³A(Y¹) = A(Y⁰ + 10⁻³Y¹) for a
        // random Y¹ ≻ 0.
        let mut rng = Rng::new(100 + seed);
        let y1: Vec<BlockMatrix> = p
            .blocks()
            .iter()
            .map(|b| {
                let n = b.dim();
                if b.is_diagonal() {
                    BlockMatrix::Diagonal((0..n).map(|_| 0.5 + rng.uniform()).collect())
                } else {
                    let g = Mat::from_fn(n, n, |_, _| rng.normal());
                    BlockMatrix::Dense(&g * g.transpose() + Mat::<f64>::identity(n, n))
                }
            })
            .collect();
        let mut c: Vec<f64> = p
            .objective()
            .iter()
            .zip(p.adjoint(&y1))
            .map(|(a, b)| a + 1e-3 * b)
            .collect();
        c[0] = 0.0;
        let q = SdpProblem::new(p.num_vars(), c, p.blocks().to_vec()).unwrap();
        let cold = solve(&q, &settings()).unwrap();
        let warm = solve_warm(&q, &settings(), kept).unwrap();
        assert_eq!(cold.status, SdpStatus::Optimal, "seed {seed}");
        assert_eq!(warm.status, SdpStatus::Optimal, "seed {seed}");
        let scale = 1.0 + cold.primal_objective.abs();
        assert!(
            (warm.primal_objective - cold.primal_objective).abs() < 1e-6 * scale,
            "seed {seed}: warm {} cold {}",
            warm.primal_objective,
            cold.primal_objective
        );
        let check = q.check(&warm.x, &warm.dual);
        assert!(check.holds(1e-7), "seed {seed}: {check:?}");
        // It started where the first solve was: 4–5 iterations against 12–17 from scratch.
        assert!(
            warm.iterations < cold.iterations,
            "seed {seed}: warm {} cold {}",
            warm.iterations,
            cold.iterations
        );
        // The kept iterate does not fit an SDP with other blocks.
        let other = random_feasible(seed, 6 + seed as usize, &[4, 3], 3);
        let err = solve_warm(&other, &settings(), kept).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
    }
}

#[test]
fn detects_primal_infeasibility() {
    // x ≥ 1 and −x ≥ 0: no x.
    let blk = DiagonalBlock::new(vec![vec![(0, -1.0), (1, 1.0)], vec![(1, -1.0)]]);
    let p = SdpProblem::new(1, vec![0.0, 1.0], vec![ConstraintBlock::Diagonal(blk)]).unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::PrimalInfeasible);
}

#[test]
fn detects_dual_infeasibility() {
    // min −x s.t. [[1, 0], [0, x]] ⪰ 0: unbounded below.
    let blk = SparseBlock::new(2, vec![(0, vec![(0, 0, 1.0)]), (1, vec![(1, 1, 1.0)])]);
    let p = SdpProblem::new(1, vec![0.0, -1.0], vec![ConstraintBlock::Sparse(blk)]).unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::DualInfeasible);
}

#[test]
fn refuses_what_does_not_fit() {
    let blk = DiagonalBlock::new(vec![vec![(1, 1.0)]]);
    let p = SdpProblem::new(
        100_000,
        vec![0.0; 100_001],
        vec![ConstraintBlock::Diagonal(blk)],
    )
    .unwrap();
    let err = solve(
        &p,
        &SdpSettings {
            max_memory_bytes: 1 << 30,
            ..settings()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("GB"), "{err}");
}

#[test]
fn equality_constraints_and_their_multipliers() {
    // min x1 + x2 s.t. x1 ≥ 0, x2 ≥ 0, x1 + 2 x2 = 2 → (0, 1), value 1; multiplier w = 1/2 (x2's reduced cost 0).
    let blk = DiagonalBlock::new(vec![vec![(1, 1.0)], vec![(2, 1.0)]]);
    let p = SdpProblem::new(2, vec![0.0, 1.0, 1.0], vec![ConstraintBlock::Diagonal(blk)])
        .unwrap()
        .with_equalities(vec![vec![(0, -2.0), (1, 1.0), (2, 2.0)]])
        .unwrap();
    let s = solve(&p, &settings()).unwrap();
    assert_eq!(s.status, SdpStatus::Optimal);
    assert!(
        (s.primal_objective - 1.0).abs() < 1e-7,
        "{}",
        s.primal_objective
    );
    assert!(
        (s.x[0]).abs() < 1e-6 && (s.x[1] - 1.0).abs() < 1e-6,
        "{:?}",
        s.x
    );
    assert!((s.dual_objective - 1.0).abs() < 1e-7);
    let check = p.check_with_multipliers(&s.x, &s.dual, &s.equality_multipliers);
    assert!(check.holds(1e-7), "{check:?}");
}
