//! Sufficient statistics and sharding: shards reduced separately and merged equal the whole data's statistics
//! (to summation order), `fit --stats` equals `fit`, and bad shards fail with a one-line error.

mod common;

use common::{assert_clean_failure, polyact, temp_file};
use polyact::model::stats::{SufficientStatistics, Sums};
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::model::{Dataset, Problem};
use polyact::pop::loss::{Loss, loss_value, network_pop_from_stats};

fn write(name: &str, text: &str) -> String {
    temp_file("stats", name, text)
}

fn problem(degrees: &[usize], widths: &[usize], samples: usize, seed: u64) -> Problem {
    generate(&SyntheticSpec {
        degrees: degrees.to_vec(),
        widths: widths.to_vec(),
        samples,
        test_samples: 0,
        noise: 0.01,
        seed,
        biases: false,
    })
    .unwrap()
}

/// Three shards of unequal sizes (one larger than a batch).
fn shards(p: &Problem) -> Vec<Dataset> {
    let n = p.data.len();
    let cuts = [0, n / 7, n / 7 + (3 * n) / 5, n];
    cuts.windows(2)
        .map(|w| Dataset {
            inputs: p.data.inputs[w[0]..w[1]].to_vec(),
            outputs: p.data.outputs[w[0]..w[1]].to_vec(),
        })
        .collect()
}

/// ‖a − b‖_∞ / ‖b‖_∞ over all numbers of the statistics.
fn relative_difference(a: &SufficientStatistics, b: &SufficientStatistics) -> f64 {
    let flat = |s: &SufficientStatistics| -> Vec<f64> {
        match &s.sums {
            Sums::MeanInf { outputs, targets } => {
                outputs.iter().flatten().chain(targets).copied().collect()
            }
            Sums::Lsq { gram } => gram.iter().flatten().copied().collect(),
            Sums::MaxInf { residuals } => residuals.iter().flatten().copied().collect(),
        }
    };
    let (x, y) = (flat(a), flat(b));
    assert_eq!(x.len(), y.len());
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    x.iter()
        .zip(&y)
        .fold(0.0f64, |m, (u, v)| m.max((u - v).abs()))
        / scale
}

#[test]
fn sharded_statistics_equal_the_whole() {
    for (degrees, widths) in [
        (&[2usize, 3][..], &[6usize, 5, 5, 4][..]),
        (&[2, 1, 1], &[3, 4, 3, 3, 2]),
    ] {
        let p = problem(degrees, widths, 700, 7);
        for &loss in Loss::ALL {
            let whole = SufficientStatistics::from_problem(&p, loss).unwrap();
            let mut merged: Option<SufficientStatistics> = None;
            for shard in shards(&p) {
                let s = SufficientStatistics::from_data(&p.network, &shard, loss).unwrap();
                match &mut merged {
                    None => merged = Some(s),
                    Some(m) => m.merge(&s).unwrap(),
                }
            }
            let merged = merged.unwrap();
            assert_eq!(merged.count, 700);
            assert_eq!(merged.loss(), loss);
            let d = relative_difference(&merged, &whole);
            assert!(
                d <= 1e-12,
                "{degrees:?} {loss}: merged vs whole differ by {d}"
            );
            // The JSON round trip is exact.
            let back = SufficientStatistics::from_json_str(&merged.to_json(), "m").unwrap();
            assert_eq!(back, merged);
            // The POP built from the statistics gives the forward-pass loss at random coefficients.
            let np = network_pop_from_stats(&p.network, &merged).unwrap();
            let mut rng = polyact::rng::Rng::new(3);
            for _ in 0..3 {
                let u: Vec<f64> = (0..np.layout.num_unknowns())
                    .map(|_| rng.uniform_in(-1.0, 1.0))
                    .collect();
                let want = loss_value(&p, &np.layout.full_coefficients(&u), loss);
                let got = np.loss_at(&u);
                assert!(
                    (got - want).abs() <= 1e-10 * want.abs(),
                    "{degrees:?} {loss}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn merging_refuses_other_networks_and_losses() {
    let p = problem(&[2, 1], &[4, 4, 4, 3], 50, 1);
    let q = problem(&[2, 1], &[4, 4, 4, 3], 50, 2);
    let mut a = SufficientStatistics::from_problem(&p, Loss::Lsq).unwrap();
    let b = SufficientStatistics::from_problem(&q, Loss::Lsq).unwrap();
    let e = a.merge(&b).unwrap_err().to_string();
    assert!(e.contains("different networks"), "{e}");
    let c = SufficientStatistics::from_problem(&p, Loss::MeanInf).unwrap();
    let e = a.merge(&c).unwrap_err().to_string();
    assert!(e.contains("different losses"), "{e}");
    let e = network_pop_from_stats(&q.network, &a)
        .unwrap_err()
        .to_string();
    assert!(e.contains("different network"), "{e}");
    let empty = Dataset::default();
    let e = SufficientStatistics::from_data(&p.network, &empty, Loss::Lsq)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no samples"), "{e}");
}

fn fit_json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    let (ok, out, err) = polyact(&a);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn cli_reduce_shards_then_fit_equals_fit_on_the_whole() {
    let p = problem(&[2, 1], &[4, 4, 4, 3], 600, 5);
    let whole = write("whole.json", &p.to_json_string());
    let dir = std::path::Path::new(&whole).parent().unwrap().to_path_buf();
    for loss in ["lsq", "mean-inf"] {
        let mut shard_files = vec![];
        for (i, s) in shards(&p).iter().enumerate() {
            // Shard 0 as CSV, the others as NPY.
            let (x, y) = if i == 0 {
                let csv = |rows: &[Vec<f64>]| -> String {
                    rows.iter()
                        .map(|r| {
                            r.iter()
                                .map(|v| format!("{v:?}"))
                                .collect::<Vec<_>>()
                                .join(",")
                                + "\n"
                        })
                        .collect()
                };
                (
                    write(&format!("x{i}.csv"), &csv(&s.inputs)),
                    write(&format!("y{i}.csv"), &csv(&s.outputs)),
                )
            } else {
                let x = dir.join(format!("x{i}.npy"));
                let y = dir.join(format!("y{i}.npy"));
                std::fs::write(&x, polyact::model::data::npy_bytes(&s.inputs)).unwrap();
                std::fs::write(&y, polyact::model::data::npy_bytes(&s.outputs)).unwrap();
                (
                    x.to_string_lossy().into_owned(),
                    y.to_string_lossy().into_owned(),
                )
            };
            let out = dir.join(format!("{loss}-{i}.json"));
            let out = out.to_string_lossy().into_owned();
            let (ok, _, err) = polyact(&[
                "reduce",
                &whole,
                "--inputs",
                &x,
                "--outputs",
                &y,
                "--loss",
                loss,
                "-o",
                &out,
            ]);
            assert!(ok, "{err}");
            shard_files.push(out);
        }
        // Merged shards = the whole problem's statistics.
        let all = dir.join(format!("{loss}-all.json"));
        let all = all.to_string_lossy().into_owned();
        let (ok, _, err) = polyact(&["reduce", &whole, "--loss", loss, "-o", &all]);
        assert!(ok, "{err}");
        let merged = SufficientStatistics::load_merged(&shard_files).unwrap();
        let total = SufficientStatistics::load(&all).unwrap();
        assert_eq!(merged.count, 600);
        let d = relative_difference(&merged, &total);
        assert!(d <= 1e-12, "{loss}: merged shards vs whole differ by {d}");
        // fit --stats = fit.
        let mut args = vec!["fit", whole.as_str(), "--loss", loss, "--stats"];
        args.extend(shard_files.iter().map(String::as_str));
        let a = fit_json(&args);
        let b = fit_json(&["fit", &whole, "--loss", loss]);
        assert_eq!(a["status"], b["status"], "{loss}");
        let num = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap();
        for key in ["loss", "lower_bound"] {
            let (x, y) = (num(&a, key), num(&b, key));
            assert!(
                (x - y).abs() <= 1e-7 * (1.0 + y.abs()),
                "{loss} {key}: {x} vs {y}"
            );
        }
        if loss == "lsq" {
            // The least-squares minimizer is unique here: the coefficients agree.
            let c = |v: &serde_json::Value| -> Vec<f64> {
                v["coefficients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|l| l.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                    .collect()
            };
            for (x, y) in c(&a).iter().zip(c(&b)) {
                assert!((x - y).abs() <= 1e-5, "{x} vs {y}");
            }
            assert!(a["coefficient_error"].is_number());
        }
    }
}

#[test]
fn cli_bad_shards_fail_cleanly() {
    let p = problem(&[2, 1], &[4, 4, 4, 3], 40, 8);
    let other = problem(&[2, 1], &[4, 4, 4, 3], 40, 9);
    let pf = write("p.json", &p.to_json_string());
    let of = write("other.json", &other.to_json_string());
    let dir = std::path::Path::new(&pf).parent().unwrap().to_path_buf();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (a, b, l) = (path("a.json"), path("b.json"), path("l.json"));
    assert!(polyact(&["reduce", &pf, "-o", &a]).0);
    assert!(polyact(&["reduce", &of, "-o", &b]).0);
    assert!(polyact(&["reduce", &pf, "--loss", "lsq", "-o", &l]).0);
    assert_clean_failure(&["fit", &pf, "--stats", &a, &b], "different networks");
    assert_clean_failure(&["fit", &of, "--stats", &a], "different network");
    assert_clean_failure(&["fit", &pf, "--stats", &a, &l], "different losses");
    assert_clean_failure(&["fit", &pf, "--stats", &l], "--loss lsq");
    let text = std::fs::read_to_string(&a).unwrap();
    let zero = write("zero.json", &text.replace("\"count\":40", "\"count\":0"));
    assert_clean_failure(&["fit", &pf, "--stats", &zero], "N = 0");
    let garbage = write("garbage.json", "{ \"format\": 1");
    assert_clean_failure(&["fit", &pf, "--stats", &garbage], "garbage.json");
    let short = write(
        "short.json",
        &text.replace("\"targets\":[", "\"targets\":[1.0,"),
    );
    assert_clean_failure(&["fit", &pf, "--stats", &short], "targets");
    assert_clean_failure(
        &["fit", &pf, "--stats", "/nonexistent/s.json"],
        "/nonexistent/s.json",
    );
    // Reduce: mismatched row counts and columns, empty data.
    let x = write("x.csv", "1,2,3,4\n5,6,7,8\n");
    let y1 = write("y1.csv", "1,2,3\n");
    let y4 = write("y4.csv", "1,2,3,4\n5,6,7,8\n");
    let out = path("r.json");
    assert_clean_failure(
        &["reduce", &pf, "--inputs", &x, "--outputs", &y1, "-o", &out],
        "different numbers of rows",
    );
    assert_clean_failure(
        &["reduce", &pf, "--inputs", &x, "--outputs", &y4, "-o", &out],
        "4 columns but the network has 3",
    );
    let hx = write("hx.csv", "a,b,c,d\n");
    let hy = write("hy.csv", "a,b,c\n");
    assert_clean_failure(
        &["reduce", &pf, "--inputs", &hx, "--outputs", &hy, "-o", &out],
        "no samples",
    );
}
