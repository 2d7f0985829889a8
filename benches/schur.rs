//! Per-iteration kernels of the interior-point method on the order-3 relaxations of the paper's networks (and
//! order 4 of the (2,3) network): Schur complement assembly from the moment structure, and its dense Cholesky
//! factorization.
//!
//! Run: `cargo bench --bench schur`.

use criterion::{Criterion, criterion_group, criterion_main};
use faer::Mat;
use polyact::fit::DEFAULT_RADIUS;
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::pop::loss::{Loss, network_pop};
use polyact::relax::moment::MomentRelaxation;
use polyact::rng::Rng;
use polyact::sdp::BlockMatrix;
use polyact::sdp::ipm::schur::{SchurMatrix, assemble_schur};

fn relaxation(degrees: &[usize], depth_widths: usize, order: usize) -> MomentRelaxation {
    let problem = generate(&SyntheticSpec {
        degrees: degrees.to_vec(),
        widths: vec![40; depth_widths],
        samples: 250,
        test_samples: 0,
        noise: 0.01,
        seed: 1,
        biases: false,
    })
    .unwrap();
    let pop = network_pop(&problem, Loss::MeanInf)
        .unwrap()
        .pop
        .with_ball(DEFAULT_RADIUS);
    MomentRelaxation::new(&pop, order, 8 << 30).unwrap()
}

fn random_pd(rng: &mut Rng, b: &BlockMatrix) -> BlockMatrix {
    match b {
        BlockMatrix::Dense(m) => {
            let n = m.nrows();
            let a = Mat::from_fn(n, n, |_, _| rng.normal());
            let mut p = &a * a.transpose();
            for i in 0..n {
                p[(i, i)] += n as f64;
            }
            BlockMatrix::Dense(p)
        }
        BlockMatrix::Diagonal(d) => {
            BlockMatrix::Diagonal(d.iter().map(|_| 1.0 + rng.uniform()).collect())
        }
    }
}

fn bench(c: &mut Criterion) {
    for (name, degrees, w, order) in [
        ("(1,1,1)", vec![1, 1, 1], 5, 3),
        ("(2,2)", vec![2, 2], 4, 3),
        ("(2,3)", vec![2, 3], 4, 3),
        ("(2,3)", vec![2, 3], 4, 4),
    ] {
        let r = relaxation(&degrees, w, order);
        let sdp = r.sdp();
        let mut rng = Rng::new(2);
        let shapes = sdp.primal_slack(&vec![0.0; sdp.num_vars()]);
        let g: Vec<BlockMatrix> = shapes.iter().map(|b| random_pd(&mut rng, b)).collect();
        let y: Vec<BlockMatrix> = shapes.iter().map(|b| random_pd(&mut rng, b)).collect();
        let n = sdp.num_vars() + 1;
        let mut schur = SchurMatrix::zeros(n);
        let mut group = c.benchmark_group(format!("order{order} {name} m={}", n - 1));
        group.sample_size(10);
        group.bench_function("assemble", |b| {
            b.iter(|| {
                assemble_schur(sdp.blocks(), &g, &y, &mut schur);
            })
        });
        group.bench_function("moment block only", |b| {
            b.iter(|| {
                assemble_schur(&sdp.blocks()[..1], &g[..1], &y[..1], &mut schur);
            })
        });
        group.bench_function("cholesky", |b| {
            let m = Mat::from_fn(n - 1, n - 1, |i, j| {
                if i == j {
                    n as f64
                } else {
                    1.0 / (1.0 + (i + j) as f64)
                }
            });
            b.iter(|| m.llt(faer::Side::Lower).unwrap())
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
