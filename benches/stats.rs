//! Throughput of the sufficient-statistics pass (see docs/BENCHMARKS.md, "Sufficient statistics"):
//! 10^6 samples, widths 40 (m_0 = … = m_3 = 40), degrees (2, 3), inputs x ~ N(0, I) generated in memory.
//!
//! Run: `cargo bench --bench stats` (POLYACT_BENCH_SAMPLES overrides the number of samples).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polyact::model::Loss;
use polyact::model::stats::StatisticsBuilder;
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::rng::Rng;

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("POLYACT_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 3],
        widths: vec![40; 4],
        samples: 1,
        test_samples: 0,
        noise: 0.01,
        seed: 1,
        biases: false,
    })
    .unwrap();
    let net = &problem.network;
    let mut rng = Rng::new(7);
    let x: Vec<f64> = (0..n * net.input_dim()).map(|_| rng.normal()).collect();
    let y: Vec<f64> = (0..n * net.output_dim()).map(|_| rng.normal()).collect();
    let mut group = c.benchmark_group("stats");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for loss in [Loss::MeanInf, Loss::Lsq] {
        group.bench_function(
            format!("{loss} {n} samples, widths 40, degrees (2,3)"),
            |b| {
                b.iter(|| {
                    let mut builder = StatisticsBuilder::new(net, loss);
                    builder.add_rows(&x, &y).unwrap();
                    builder.finish().unwrap()
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: plotters' PDF backend needs system fonts, which minimal machines lack.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
