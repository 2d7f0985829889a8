//! Reproducing tables (`polyact reproduce`) and evaluating fits (`polyact eval`), on tiny instances.

mod common;

use common::polyact;

use polyact::experiments::evaluate::{evaluate, residuals};
use polyact::experiments::{Table, format_table, run_table, to_csv, to_json};
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::report::FitStatus;

/// A temporary directory, removed when the value is dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("polyact-exp-{name}-"))
        .tempdir()
        .unwrap()
}

/// A tiny noiseless table: every instance is solved exactly and certified.
#[test]
fn tiny_noiseless_table_recovers_the_coefficients() {
    for degrees in [vec![2, 2], vec![1, 1, 1]] {
        let table = Table {
            number: 0,
            degrees: degrees.clone(),
            sizes: vec![(20, 6)],
            noise: 0.0,
            seeds: 2,
            ..Table::paper(1).unwrap()
        };
        let mut events = 0;
        let rows = run_table(&table, &mut |_| events += 1).unwrap();
        assert_eq!(events, 4, "a start and an end per instance");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].runs.len(), 2);
        assert!(rows[0].paper.is_none());
        for run in &rows[0].runs {
            assert!(
                run.abs_err <= 1e-6,
                "{degrees:?}: AbsErr {} ({})",
                run.abs_err,
                run.status_label()
            );
            assert_eq!(run.status, FitStatus::Certified, "{degrees:?}");
            assert!(run.certified_order.is_some());
            assert_eq!(run.noise_norm, 0.0);
            assert!(run.rel_err.is_none());
            assert!(run.test_mse < 1e-12);
        }
        let text = format_table(&table, &rows);
        assert!(text.contains("AbsErr") && text.contains("status"), "{text}");
        assert!(text.contains("2/2 certified"), "{text}");
        // Machine outputs parse.
        let v: serde_json::Value = serde_json::from_str(&to_json(&table, &rows)).unwrap();
        assert_eq!(v["rows"][0]["runs"].as_array().unwrap().len(), 2);
        let csv = to_csv(&table, &rows);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        let ncols = lines[0].split(',').count();
        assert!(lines[1..].iter().all(|l| l.split(',').count() == ncols));
    }
}

/// The noise column: ‖ε‖₂ is the spectral norm of Y − f(X; c_true), between ‖ε‖_F/√min(N, m) and ‖ε‖_F.
#[test]
fn noise_norms_are_consistent() {
    let table = Table {
        sizes: vec![(12, 4)],
        max_order: 2,
        ..Table::paper(3).unwrap()
    };
    let rows = run_table(&table, &mut |_| {}).unwrap();
    let r = &rows[0].runs[0];
    assert!(r.noise_norm > 0.0 && r.noise_norm <= r.noise_frobenius * (1.0 + 1e-12));
    assert!(r.noise_norm >= r.noise_frobenius / 2.0 * (1.0 - 1e-12));
    assert!((r.rel_err.unwrap() - r.abs_err / r.noise_norm).abs() <= 1e-15);
    // σ = 0.01, 4 outputs: one sample's noise vector has norm about 0.02.
    assert!(
        r.noise_sample_rms > 0.005 && r.noise_sample_rms < 0.05,
        "{r:?}"
    );
}

fn write_problem_and_report(dir: &std::path::Path) -> (polyact::model::Problem, Vec<Vec<f64>>) {
    let problem = generate(&SyntheticSpec {
        degrees: vec![2, 1],
        widths: vec![3, 4, 4, 2],
        samples: 15,
        test_samples: 9,
        noise: 0.05,
        seed: 7,
        biases: false,
    })
    .unwrap();
    problem.save(dir.join("p.json")).unwrap();
    // Coefficients away from the truth, so the residuals are not just noise.
    let mut c = problem.true_coefficients.clone().unwrap();
    c[0][1] += 0.3;
    c[1][0] -= 0.2;
    let report = serde_json::json!({ "status": "certified", "coefficients": c });
    std::fs::write(dir.join("r.json"), report.to_string()).unwrap();
    (problem, c)
}

/// `polyact eval` computes MSE as (1/(N·m_out)) Σ ‖f(x_i; c) − y_i‖², checked against `Network::forward`.
#[test]
fn eval_mse_matches_forward_passes() {
    let tmp = temp_dir("eval");
    let dir = tmp.path();
    let (problem, c) = write_problem_and_report(dir);
    let mse_by_hand = |inputs: &[Vec<f64>], outputs: &[Vec<f64>]| {
        let mut s = 0.0;
        let mut count = 0;
        for (x, y) in inputs.iter().zip(outputs) {
            let f = problem.network.forward(&c, x);
            for (a, b) in f.iter().zip(y) {
                s += (a - b) * (a - b);
                count += 1;
            }
        }
        s / count as f64
    };
    let train = mse_by_hand(&problem.data.inputs, &problem.data.outputs);
    let t = problem.test.as_ref().unwrap();
    let test = mse_by_hand(&t.inputs, &t.outputs);
    assert!(train > 1e-4 && test > 1e-4);

    let p = dir.join("p.json");
    let r = dir.join("r.json");
    let (ok, out, err) = polyact(&["eval", p.to_str().unwrap(), r.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
    assert!(close(v["train"]["mse"].as_f64().unwrap(), train), "{out}");
    assert!(close(v["train"]["rmse"].as_f64().unwrap(), train.sqrt()));
    assert!(close(v["test"]["mse"].as_f64().unwrap(), test), "{out}");
    assert_eq!(v["train"]["samples"], 15);
    assert_eq!(v["test"]["samples"], 9);
    let loss = polyact::pop::loss::loss_value(&problem, &c, polyact::model::Loss::MeanInf);
    assert!(close(v["train"]["loss"].as_f64().unwrap(), loss));
    assert!(v["definition"].as_str().unwrap().contains("N·m_out"));

    // The library agrees, and the text output names the definition.
    let e = evaluate(&problem, &c).unwrap();
    assert!(close(e.train.mse, train));
    let (ok, out, _) = polyact(&["eval", p.to_str().unwrap(), r.to_str().unwrap()]);
    assert!(ok);
    assert!(
        out.contains("MSE = (1/(N·m_out))") && out.contains("train") && out.contains("test"),
        "{out}"
    );

    // A report that does not fit the network fails with a one-line error.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"coefficients": [[1, 2, 3]]}"#).unwrap();
    let (ok, _, err) = polyact(&["eval", p.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(
        !ok && err.starts_with("error: ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(err.contains("hidden layers"), "{err}");
    std::fs::write(&bad, r#"{"loss": 1}"#).unwrap();
    let (ok, _, err) = polyact(&["eval", p.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(!ok && err.contains("coefficients"), "{err}");
}

/// `polyact eval --plot` writes the residual figure as PNG and SVG.
#[test]
fn eval_plot_writes_png_and_svg() {
    let tmp = temp_dir("plot");
    let dir = tmp.path();
    let (problem, c) = write_problem_and_report(dir);
    let p = dir.join("p.json");
    let r = dir.join("r.json");
    let fig = dir.join("residuals.png");
    let (ok, out, err) = polyact(&[
        "eval",
        p.to_str().unwrap(),
        r.to_str().unwrap(),
        "--plot",
        fig.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("residuals.svg"), "{out}");
    let png = std::fs::read(&fig).unwrap();
    assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"));
    let svg = std::fs::read_to_string(dir.join("residuals.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("sample index i"));
    // One marker per residual entry in the top panel, one per sample in the bottom one.
    let n_res = residuals(&problem.network, &problem.data, &c).len() * 2;
    assert!(svg.matches("<circle").count() >= n_res + problem.data.len());
}

/// `polyact reproduce` prints CSV and JSON that parse, and rejects bad options.
#[test]
fn reproduce_cli_outputs_parse() {
    let args = [
        "reproduce",
        "--table",
        "3",
        "--sizes",
        "10x4",
        "--noise",
        "0.01",
        "--max-order",
        "2",
        "--quiet",
    ];
    let (ok, out, err) = polyact(&[&args[..], &["--csv"]].concat());
    assert!(ok, "{err}");
    assert!(err.is_empty(), "--quiet prints nothing on stderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let values: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(header.len(), values.len());
    let get = |k: &str| values[header.iter().position(|h| *h == k).unwrap()];
    assert_eq!(get("table"), "3");
    assert_eq!(get("degrees"), "1-1-1");
    assert_eq!(get("samples"), "10");
    for k in [
        "abs_err",
        "rel_err",
        "noise_norm",
        "seconds",
        "loss",
        "test_mse",
    ] {
        let x: f64 = get(k).parse().unwrap_or_else(|e| panic!("{k}: {e}"));
        assert!(x.is_finite() && x >= 0.0, "{k} = {x}");
    }

    let (ok, out, err) = polyact(&[&args[..], &["--json"]].concat());
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["table"]["degrees"], serde_json::json!([1, 1, 1]));
    assert_eq!(v["table"]["max_order"], 2);
    let run = &v["rows"][0]["runs"][0];
    for k in [
        "abs_err",
        "rel_err",
        "noise_norm",
        "seconds",
        "status",
        "order",
        "loss",
    ] {
        assert!(run.get(k).is_some(), "run lacks {k}");
    }

    let (ok, out, err) = polyact(&args);
    assert!(ok, "{err}");
    assert!(out.contains("Table 3") && out.contains("RelErr"), "{out}");

    for bad in [
        &["reproduce", "--table", "6"][..],
        &["reproduce", "--table", "1", "--sizes", "50"],
        &["reproduce", "--table", "1", "--sizes", "0x5"],
        &["reproduce", "--table", "1", "--json", "--csv"],
    ] {
        let (ok, _, err) = polyact(bad);
        assert!(!ok && !err.contains("panicked"), "{bad:?}: {err}");
    }
    let (ok, _, err) = polyact(&["reproduce", "--table", "1", "--noise", "-1"]);
    assert!(
        !ok && err.starts_with("error: ") && err.contains("--noise"),
        "{err}"
    );
}
