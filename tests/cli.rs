//! The command line: bad input ends with a one-line error and a non-zero exit, never a panic.

mod common;

use common::{assert_clean_failure, polyact, temp_file};

fn write(name: &str, text: &str) -> String {
    temp_file("cli", name, text)
}

const GOOD: &str = r#"{"weights": [[[1, 0], [0, 1]], [[1, 1]]], "degrees": [2],
 "inputs": [[1, 2], [0.5, -1]], "outputs": [[3], [1]]}"#;

/// Two outputs computed by the same row of W₂, with mean targets 2 and 0: every coefficient has loss ≥ 1.
const UNFIT: &str = r#"{"weights": [[[1, 0], [0, 1]], [[1, 1], [1, 1]]], "degrees": [2],
 "inputs": [[1, 2], [0.5, -1]], "outputs": [[3, 0], [1, 0]]}"#;

#[test]
fn a_small_problem_fits_and_writes_json() {
    let p = write("good.json", GOOD);
    let out = write("report.json", "");
    let (ok, stdout, err) = polyact(&["fit", &p, "--json", "--output", &out]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "status",
        "coefficients",
        "loss",
        "lower_bound",
        "gap",
        "radius",
        "ball_active",
        "order",
        "flat",
        "rank",
        "hierarchy",
        "seconds",
    ] {
        assert!(v.get(key).is_some(), "report lacks {key}");
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["coefficients"], v["coefficients"]);
    let h = &v["hierarchy"][0];
    for key in ["order", "bound", "ranks", "flat", "iterations", "seconds"] {
        assert!(h.get(key).is_some(), "hierarchy entry lacks {key}");
    }
}

#[test]
fn bad_inputs_fail_cleanly() {
    assert_clean_failure(
        &["fit", "/nonexistent/problem.json"],
        "/nonexistent/problem.json",
    );
    assert_clean_failure(
        &["fit", &write("garbage.json", "{ not json")],
        "garbage.json",
    );
    assert_clean_failure(
        &["fit", &write("nan.json", &GOOD.replace("0.5", "NaN"))],
        "nan.json",
    );
    assert_clean_failure(
        &["fit", &write("huge.json", &GOOD.replace("0.5", "1e400"))],
        "huge.json",
    );
    assert_clean_failure(
        &[
            "fit",
            &write("shape.json", &GOOD.replace("[[1, 1]]", "[[1, 1, 1]]")),
        ],
        "W_2",
    );
    assert_clean_failure(
        &[
            "fit",
            &write("rows.json", &GOOD.replace("[0.5, -1]", "[0.5]")),
        ],
        "row 2",
    );
    assert_clean_failure(
        &[
            "fit",
            &write(
                "empty.json",
                &GOOD
                    .replace(r#"[[1, 2], [0.5, -1]]"#, "[]")
                    .replace("[[3], [1]]", "[]"),
            ),
        ],
        "sample",
    );
    assert_clean_failure(
        &["fit", &write("deg.json", &GOOD.replace("[2]", "[2, 2]"))],
        "degree",
    );
    let good = write("good2.json", GOOD);
    assert_clean_failure(&["fit", &good, "--order", "40"], "GB");
    assert_clean_failure(&["fit", &good, "--order", "3", "--max-order", "2"], "order");
    assert_clean_failure(&["fit", &good, "--radius", "-1"], "radius");
    assert_clean_failure(
        &["fit", &good, "--output", "/nonexistent/dir/r.json"],
        "/nonexistent/dir/r.json",
    );
}

#[test]
fn example_prints_each_order() {
    let (ok, stdout, err) = polyact(&["example"]);
    assert!(ok, "{err}");
    assert!(stdout.contains("certified global optimum"), "{stdout}");
    assert!(
        stdout.contains("+1.00000000  +1.00000000  -2.00000000"),
        "{stdout}"
    );
}

#[test]
fn local_fit_and_comparison_with_histogram() {
    let p = write("local.json", GOOD);
    let (ok, stdout, err) = polyact(&["fit", &p, "--method", "local", "--starts", "4", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 4);
    let png = write("hist.png", "");
    let (ok, stdout, err) = polyact(&["compare", &p, "--starts", "5", "--plot", &png]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("local starts reached the global value"),
        "{stdout}"
    );
    let svg = png.replace(".png", ".svg");
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn example_can_be_saved_and_fitted_from_its_file() {
    let path = write("ex34.json", "");
    let (ok, _, err) = polyact(&["example", "--save", &path]);
    assert!(ok, "{err}");
    let (ok, stdout, err) = polyact(&["fit", &path, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "certified");
    let c = &v["coefficients"];
    assert!(
        (c[0][2].as_f64().unwrap() + 2.0).abs() < 1e-6
            && (c[1][1].as_f64().unwrap() + 1.0).abs() < 1e-6
    );
}

#[test]
fn csv_npy_and_json_data_give_the_same_fit() {
    let inputs = vec![vec![1.0, 2.0], vec![0.5, -1.0], vec![-0.3, 0.7]];
    let outputs = vec![vec![3.0], vec![1.0], vec![0.2]];
    let csv = |rows: &[Vec<f64>]| {
        let names: Vec<String> = (0..rows[0].len()).map(|j| format!("col{j}")).collect();
        let mut s = names.join(",") + "\n";
        for r in rows {
            s += &r
                .iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",");
            s += "\n";
        }
        s
    };
    write("x.csv", &csv(&inputs));
    write("y.csv", &csv(&outputs));
    let dir = std::path::Path::new(&write("x.npy", ""))
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(dir.join("x.npy"), polyact::model::data::npy_bytes(&inputs)).unwrap();
    std::fs::write(dir.join("y.npy"), polyact::model::data::npy_bytes(&outputs)).unwrap();
    let weights = r#""weights": [[[1, 0], [0, 1]], [[1, 1]]], "degrees": [2]"#;
    let json = write(
        "inline.json",
        &format!(r#"{{{weights}, "inputs": {inputs:?}, "outputs": {outputs:?}}}"#),
    );
    let by_csv = write(
        "csv.json",
        &format!(r#"{{{weights}, "inputs": "x.csv", "outputs": "y.csv"}}"#),
    );
    let by_npy = write(
        "npy.json",
        &format!(r#"{{{weights}, "inputs": "x.npy", "outputs": "y.npy"}}"#),
    );
    let coeffs = |p: &str| {
        let (ok, out, err) = polyact(&["fit", p, "--json"]);
        assert!(ok, "{p}: {err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["coefficients"].clone()
    };
    let c = coeffs(&json);
    assert_eq!(coeffs(&by_csv), c);
    assert_eq!(coeffs(&by_npy), c);
    // A ragged CSV names the file and the row.
    write("bad.csv", "1,2\n3\n");
    let bad = write(
        "bad.json",
        &format!(r#"{{{weights}, "inputs": "bad.csv", "outputs": "y.csv"}}"#),
    );
    assert_clean_failure(&["fit", &bad], "bad.csv: row 2 has 1 fields, expected 2");
}

#[test]
fn unknown_keys_are_named_with_the_nearest_known_key() {
    let typo = write(
        "typo.json",
        &GOOD.replace(
            "\"outputs\": [[3], [1]]",
            "\"outputs\": [[3], [1]], \"test_input\": [[1, 1]]",
        ),
    );
    assert_clean_failure(
        &["fit", &typo],
        "unknown key \"test_input\" (did you mean \"test_inputs\"?)",
    );
    // A typo in a required key names the key, not only the missing field.
    let typo = write("typo2.json", &GOOD.replace("\"weights\"", "\"weight\""));
    assert_clean_failure(
        &["fit", &typo],
        "unknown key \"weight\" (did you mean \"weights\"?)",
    );
    // reduce reads only the network of the file, and checks its keys too.
    let out = write("typo.stats.json", "");
    assert_clean_failure(
        &[
            "reduce",
            &typo,
            "--inputs",
            &typo,
            "--outputs",
            &typo,
            "-o",
            &out,
        ],
        "unknown key \"weight\"",
    );
    let pop = write(
        "typo.pop.json",
        r#"{"objective": "x^2", "inequalites": ["1 - x^2"]}"#,
    );
    assert_clean_failure(
        &["pop", &pop],
        "unknown key \"inequalites\" (did you mean \"inequalities\"?)",
    );
    let stats = write("typo.stats2.json", r#"{"formt": "polyact-statistics"}"#);
    let good = write("good3.json", GOOD);
    assert_clean_failure(
        &["fit", &good, "--stats", &stats],
        "unknown key \"formt\" (did you mean \"format\"?)",
    );
}

#[test]
fn file_errors_name_the_cause_once() {
    let p = write("npy.json", &GOOD.replace("[[1, 0], [0, 1]]", "\"W3x.npy\""));
    assert_clean_failure(&["fit", &p], "W3x.npy: No such file or directory");
    let (_, _, err) = polyact(&["fit", &p]);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let dir = std::env::temp_dir();
    let (ok, _, err) = polyact(&["fit", dir.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(err.matches("Is a directory").count(), 1, "{err}");
}

#[test]
fn negative_numbers_reach_the_real_checks() {
    let out = write("neg.json", "");
    let base = [
        "generate",
        "--degrees",
        "2",
        "--widths",
        "2,2,1",
        "-o",
        &out,
    ];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    assert_clean_failure(
        &with(&["--noise", "-0.1"]),
        "the noise level must be a nonnegative number",
    );
    // clap's own message (several lines) names the value instead of taking it for an option.
    let (ok, _, err) = polyact(&with(&["--samples", "-3"]));
    assert!(
        !ok && err.contains("invalid value '-3' for '--samples"),
        "{err}"
    );
    let good = write("good4.json", GOOD);
    assert_clean_failure(
        &["fit", &good, "--max-memory-gb", "-1"],
        "--max-memory-gb must be positive",
    );
}

#[test]
fn a_zero_width_is_named() {
    let out = write("zero-width.json", "");
    assert_clean_failure(
        &[
            "generate",
            "--degrees",
            "2,2",
            "--widths",
            "5,0,5,5",
            "-o",
            &out,
        ],
        "width m_1 is 0",
    );
}

#[test]
fn an_input_error_prints_nothing_on_stdout() {
    let p = write("good5.json", GOOD);
    let (ok, stdout, err) = polyact(&["fit", &p, "--radius", "-1"]);
    assert!(
        !ok && err.contains("radius must be a positive number"),
        "{err}"
    );
    assert_eq!(stdout, "");
}

/// A memory limit that no relaxation fits: the fit ends (exit code 0) with the best refined random start, the
/// trivial lower bound 0 and the status `failed`, and its note names the limit.
#[test]
fn a_memory_limit_no_relaxation_fits_ends_with_a_candidate_and_the_trivial_bound() {
    let p = write("unfit-memory.json", UNFIT);
    let (ok, stdout, err) = polyact(&["fit", &p, "--max-memory-gb", "1e-9", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "failed");
    assert_eq!(
        (v["order"].as_u64(), v["lower_bound"].as_f64()),
        (Some(0), Some(0.0))
    );
    assert!(v["loss"].as_f64().unwrap() >= 1.0 - 1e-12, "{stdout}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("no relaxation fits") && notes.contains("limit"),
        "{notes}"
    );
}

#[test]
fn example_prints_its_table_once_and_says_why_it_goes_on() {
    let (ok, stdout, err) = polyact(&["example"]);
    assert!(ok, "{err}");
    assert_eq!(stdout.matches("ranks M_0..M_k").count(), 1, "{stdout}");
    let row1 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("order 1 row");
    assert!(
        row1.contains("gap") && row1.contains("--stop flat"),
        "{row1}"
    );
    let row2 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("2 "))
        .expect("order 2 row");
    assert!(
        row2.contains("flat") && !row2.contains("--stop flat"),
        "{row2}"
    );
}

#[test]
fn eval_prints_the_reports_own_loss_first() {
    let p = write("lsq.json", GOOD);
    let r = write("lsq-report.json", "");
    let (ok, stdout, err) = polyact(&["fit", &p, "--loss", "lsq", "--json", "-o", &r]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let (ok, stdout, err) = polyact(&["eval", &p, &r, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["fitted_loss"], "lsq");
    // The fit computed its loss on its own path; eval recomputes it from forward passes.
    let fitted = report["loss"].as_f64().unwrap();
    let evaluated = v["train"]["lsq_loss"].as_f64().unwrap();
    assert!(
        (fitted - evaluated).abs() <= 1e-9 * (1.0 + fitted.abs()),
        "{fitted} vs {evaluated}"
    );
    let (ok, stdout, _) = polyact(&["eval", &p, &r]);
    assert!(ok);
    let header = stdout.lines().next().unwrap();
    let lsq = header.find("lsq (fitted)").expect(header);
    let mean_inf = header.find("mean-inf").expect(header);
    assert!(lsq < mean_inf, "{header}");
    assert!(
        stdout.contains("the loss the report was fitted with"),
        "{stdout}"
    );
}

#[test]
fn verbose_counts_the_shifted_blocks_out_of_the_right_total() {
    let p = write("verbose.json", GOOD);
    let (ok, _, err) = polyact(&["fit", &p, "--verbose", "--max-order", "1"]);
    assert!(ok, "{err}");
    let mut seen = 0;
    for line in err
        .lines()
        .filter(|l| l.contains("shifted into the interior"))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        let of = words.iter().position(|w| *w == "of").unwrap();
        let shifted: usize = words[of - 1].parse().unwrap();
        let total: usize = words[of + 1].parse().unwrap();
        assert!(shifted <= total, "{line}");
        seen += 1;
    }
    assert!(seen > 0, "{err}");
}

#[test]
fn each_subcommand_lists_only_its_own_options() {
    let help = |cmd: &str| polyact(&[cmd, "--help"]).1;
    let pop = help("pop");
    for opt in [
        "--loss",
        "--method",
        "--starts",
        "--optimizer",
        "--seed",
        "--no-ball",
        "--ball-retries",
    ] {
        assert!(!pop.contains(opt), "pop --help lists {opt}");
    }
    assert!(
        pop.contains("--radius") && pop.contains("--max-order"),
        "{pop}"
    );
    let compare = help("compare");
    for opt in ["--method", "--certificate", "--export-sdpa", "--output"] {
        assert!(!compare.contains(opt), "compare --help lists {opt}");
    }
    assert!(
        compare.contains("--starts") && compare.contains("--loss"),
        "{compare}"
    );
    let example = help("example");
    for opt in ["--method", "--starts", "--optimizer", "--seed", "--stats"] {
        assert!(!example.contains(opt), "example --help lists {opt}");
    }
    let fit = help("fit");
    for opt in [
        "--method",
        "--starts",
        "--loss",
        "--stats",
        "--certificate",
        "--radius",
    ] {
        assert!(fit.contains(opt), "fit --help lacks {opt}");
    }
}

/// `fit --time-limit 0` is not an error: it ends with exit code 0, the status "stopped by the time limit", the
/// trivial lower bound 0, and a note that names the order and what it would cost (the JSON report's status is
/// `time_limit`); where the candidate's loss is 0 that bound certifies it. A negative limit is refused.
#[test]
fn a_zero_time_limit_ends_with_the_best_answer_so_far() {
    let p = write("time-limit.json", UNFIT);
    let (ok, stdout, err) = polyact(&["fit", &p, "--time-limit", "0"]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("status        stopped by the time limit (no relaxation solved)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the time limit of 0 s ran out in order 1 after 0 SDP iterations"),
        "{stdout}"
    );
    assert!(stdout.contains("would take about"), "{stdout}");
    let (ok, stdout, err) = polyact(&["fit", &p, "--time-limit", "0", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "time_limit");
    assert_eq!(v["lower_bound"].as_f64(), Some(0.0));
    // Data fitted exactly: the candidate's loss attains the trivial bound, which certifies it.
    let good = write("time-limit-good.json", GOOD);
    let (ok, stdout, err) = polyact(&["fit", &good, "--time-limit", "0"]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("status        certified global optimum"),
        "{stdout}"
    );
    assert!(stdout.contains("which the loss attains"), "{stdout}");
    assert_clean_failure(
        &["fit", &p, "--time-limit", "-1"],
        "--time-limit must be a nonnegative number of seconds",
    );
}

#[test]
fn a_generated_network_with_biases_is_recovered_and_evaluated() {
    let p = write("biased.json", "");
    let (ok, _, err) = polyact(&[
        "generate",
        "--degrees",
        "2,1",
        "--widths",
        "5,5,5,2",
        "--samples",
        "20",
        "--noise",
        "0",
        "--seed",
        "3",
        "--biases",
        "-o",
        &p,
    ]);
    assert!(ok, "{err}");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let biases = file["biases"].as_array().expect("the file has biases");
    let lens: Vec<usize> = biases.iter().map(|b| b.as_array().unwrap().len()).collect();
    assert_eq!(lens, [5, 5, 2]);
    assert!(
        biases
            .iter()
            .flat_map(|b| b.as_array().unwrap())
            .all(|v| v.as_f64().unwrap() != 0.0)
    );
    let r = write("biased-report.json", "");
    // mean-inf matches only the mean output; lsq identifies the coefficients.
    let (ok, stdout, err) = polyact(&["fit", &p, "--loss", "lsq", "--json", "-o", &r]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["status"], "certified", "{stdout}");
    let e = report["coefficient_error"].as_f64().unwrap();
    assert!(e < 1e-6, "‖c_true − c‖ = {e}");
    // eval's forward passes use the biases too: the noiseless data are fitted exactly.
    let (ok, stdout, err) = polyact(&["eval", &p, &r, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let l = v["train"]["max_inf_loss"].as_f64().unwrap();
    assert!(l < 1e-8, "{stdout}");
}
