//! The SDP solver on SDPLIB 1.2 (the subset in tests/data/sdplib): every feasible problem must reach its
//! published optimal value, infp1 / infd1 must be reported infeasible (SDPA's convention), and every solution
//! is checked independently with `SdpProblem::check`. Also the `polyact sdp` command and `--export-sdpa`.

mod common;

use common::polyact;
use std::path::{Path, PathBuf};

use polyact::sdp::{BlockMatrix, SdpProblem, SdpSettings, SdpSolution, SdpStatus, sdpa, solve};

fn sdplib_dir() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sdplib"));
    assert!(
        dir.join("README.md").is_file(),
        "SDPLIB is missing: expected the SDPLIB 1.2 subset (the .dat-s files and README.md with the published \
         optimal values) in {}; it is part of the repository",
        dir.display()
    );
    dir.to_path_buf()
}

/// What the README publishes for a problem.
#[derive(Debug)]
enum Published {
    /// The optimal value and the unit of its last printed digit.
    Value {
        value: f64,
        unit: f64,
    },
    PrimalInfeasible,
    DualInfeasible,
}

/// The table of tests/data/sdplib/README.md: `| problem | m | n | optimal objective |`.
fn published(name: &str) -> Published {
    let readme = std::fs::read_to_string(sdplib_dir().join("README.md")).unwrap();
    let row = readme
        .lines()
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
        .find(|cells| cells.len() > 4 && cells[1] == name)
        .unwrap_or_else(|| panic!("{name} is not in the README's table"));
    let text = row[4];
    match text {
        "primal infeasible" => return Published::PrimalInfeasible,
        "dual infeasible" => return Published::DualInfeasible,
        _ => {}
    }
    let value: f64 = text.parse().unwrap_or_else(|_| panic!("{name}: {text:?}"));
    // Precision given: digits after the decimal point of the mantissa, and the exponent.
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
    let exponent: i32 = exponent.parse().unwrap();
    Published::Value {
        value,
        unit: 10f64.powi(exponent - decimals),
    }
}

fn load(name: &str) -> SdpProblem {
    sdpa::read_file(sdplib_dir().join(format!("{name}.dat-s")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn solve_named(name: &str) -> (SdpProblem, SdpSolution) {
    let p = load(name);
    let s = solve(&p, &SdpSettings::default()).unwrap();
    eprintln!(
        "{name}: {:?} primal {:.10e} dual {:.10e} in {} iterations, {:.2} s",
        s.status, s.primal_objective, s.dual_objective, s.iterations, s.seconds
    );
    (p, s)
}

/// A feasible problem: solved, both objectives at the published value (to relative 1e-6, or to the precision
/// the value is printed with when that is coarser), and the solution passes the independent check.
fn assert_reaches_published(name: &str) {
    let Published::Value { value, unit } = published(name) else {
        panic!("{name} is published as infeasible");
    };
    let (p, s) = solve_named(name);
    let tol = SdpSettings::default().tolerance;
    // Optimal; only SDPLIB's hinf problems, which lack strict complementarity, may end NearOptimal (CSDP
    // solves the others to its tolerance too), a status within 1e3 × tol.
    assert!(
        s.status == SdpStatus::Optimal || (name.starts_with("hinf") && s.status.is_solved()),
        "{name}: status {:?}, residuals {:?}",
        s.status,
        s.residuals
    );
    let achieved = if s.status == SdpStatus::Optimal {
        tol
    } else {
        1e3 * tol
    };
    // One unit of the last printed digit: some values are truncated rather than rounded (gpp100's
    // −4.49435e1 is −44.943551 to more digits).
    let allowed = unit.max(1e-6 * value.abs());
    // The primal objective is a true upper bound (X(x) ⪰ 0 is checked below): it must be at the value.
    let err = (s.primal_objective - value).abs();
    assert!(
        err <= allowed,
        "{name}: primal objective {:.10e} vs published {value:e}: error {err:.2e} > {allowed:.2e}",
        s.primal_objective
    );
    // The dual objective, up to what the status promises.
    let err = (s.dual_objective - value).abs();
    let allowed_dual = allowed + achieved * (1.0 + value.abs());
    assert!(
        err <= allowed_dual,
        "{name}: dual objective {:.10e} vs published {value:e}: error {err:.2e} > {allowed_dual:.2e}",
        s.dual_objective
    );
    let check = p.check(&s.x, &s.dual);
    assert!(check.holds(achieved), "{name}: {check:?}");
    assert!((check.primal_objective - s.primal_objective).abs() <= 1e-9 * (1.0 + value.abs()));
    assert!((check.dual_objective - s.dual_objective).abs() <= 1e-9 * (1.0 + value.abs()));
}

macro_rules! feasible {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                assert_reaches_published(stringify!($name));
            }
        )*
    };
}

// Each takes well under a few seconds in release (arch0, the largest, about 1–2 s on two cores).
feasible!(
    arch0, control1, control2, gpp100, hinf1, hinf2, mcp100, qap5, theta1, theta2, truss1, truss3,
    truss4,
);

fn min_eigenvalue(blocks: &[BlockMatrix]) -> f64 {
    blocks
        .iter()
        .map(BlockMatrix::min_eigenvalue)
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn infp1_is_primal_infeasible() {
    assert!(matches!(published("infp1"), Published::PrimalInfeasible));
    let (p, s) = solve_named("infp1");
    assert_eq!(s.status, SdpStatus::PrimalInfeasible, "{:?}", s.residuals);
    // The certificate, recomputed: Y ⪰ 0, ⟨F_i, Y⟩ ≈ 0 for i ≥ 1, ⟨C₀, Y⟩ < 0 (so no x has X(x) ⪰ 0).
    let aty = p.adjoint(&s.dual);
    let tau = -aty[0];
    assert!(tau > 0.0, "⟨C₀, Y⟩ = {}", aty[0]);
    let rest = aty[1..].iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!(rest / tau <= 1e-7, "‖A(Y)‖/τ = {:.2e}", rest / tau);
    assert!(min_eigenvalue(&s.dual) >= 0.0);
}

#[test]
fn infd1_is_dual_infeasible() {
    assert!(matches!(published("infd1"), Published::DualInfeasible));
    let (p, s) = solve_named("infd1");
    assert_eq!(s.status, SdpStatus::DualInfeasible, "{:?}", s.residuals);
    // The certificate, recomputed: d = x/τ with τ = −c·x > 0 and Σ dᵢFᵢ ⪰ 0 (so no Y is dual feasible).
    let c = p.objective();
    let tau = -c[1..].iter().zip(&s.x).map(|(a, b)| a * b).sum::<f64>();
    assert!(tau > 0.0, "c·x = {}", -tau);
    let mut d = vec![0.0];
    d.extend(s.x.iter().map(|v| v / tau));
    let lin: Vec<BlockMatrix> = p.blocks().iter().map(|b| b.affine(&d)).collect();
    let norm = lin.iter().map(|b| b.norm().powi(2)).sum::<f64>().sqrt();
    let lmin = min_eigenvalue(&lin);
    assert!(
        lmin >= -1e-7 * norm,
        "λ_min(Σ dᵢFᵢ) = {lmin:.2e}, ‖·‖ = {norm:.2e}"
    );
}

#[test]
fn sdplib_files_survive_a_round_trip() {
    for name in ["truss1", "qap5", "control1", "hinf1"] {
        let p = load(name);
        let q = sdpa::parse(&sdpa::write_sdpa(&p), "written").unwrap();
        assert_eq!(p.objective(), q.objective());
        let x: Vec<f64> = (0..p.num_vars()).map(|i| (i as f64 * 0.37).sin()).collect();
        assert_eq!(p.primal_slack(&x), q.primal_slack(&x), "{name}");
    }
}

// ---------------------------------------------------------------- the command line
fn temp_file(name: &str, text: &str) -> String {
    common::temp_file("sdplib", name, text)
}

#[test]
fn sdp_command_solves_and_checks() {
    let file = sdplib_dir().join("truss1.dat-s");
    let (ok, stdout, err) = polyact(&["sdp", file.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "optimal");
    let pobj = v["primal_objective"].as_f64().unwrap();
    assert!((pobj + 8.999996).abs() < 1e-6, "{pobj}");
    for key in [
        "dual_objective",
        "relative_gap",
        "primal_infeasibility",
        "dual_infeasibility",
        "iterations",
        "seconds",
    ] {
        assert!(v.get(key).is_some(), "no {key}");
    }
    for key in [
        "primal_min_eigenvalue",
        "dual_min_eigenvalue",
        "dual_residual",
    ] {
        assert!(v["check"].get(key).is_some(), "no check.{key}");
    }
    let (ok, stdout, _) = polyact(&["sdp", file.to_str().unwrap()]);
    assert!(ok && stdout.contains("status") && stdout.contains("optimal"));
    // A tighter --tolerance is honoured: the reported gap and the independently recomputed one fall below it.
    let (ok, stdout, err) = polyact(&[
        "sdp",
        file.to_str().unwrap(),
        "--json",
        "--tolerance",
        "1e-11",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "optimal");
    assert!(v["relative_gap"].as_f64().unwrap() <= 1e-11, "{v}");
    assert!(v["check"]["relative_gap"].as_f64().unwrap() <= 1e-11, "{v}");
    for bad in ["0", "-1e-8", "NaN", "2"] {
        let flag = format!("--tolerance={bad}");
        let (ok, _, err) = polyact(&["sdp", file.to_str().unwrap(), &flag]);
        assert!(
            !ok && err.starts_with("error: ") && err.contains("--tolerance"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn sdp_command_rejects_malformed_files() {
    let bad = temp_file("bad.dat-s", "1\n1\n2\n1.0\n1 1 1 3 1.0\n");
    let (ok, _, err) = polyact(&["sdp", &bad]);
    assert!(!ok);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("line 5") && err.contains("column index 3"),
        "{err}"
    );
    let (ok, _, err) = polyact(&["sdp", "/nonexistent/file.dat-s"]);
    assert!(!ok && err.starts_with("error: "), "{err}");
}

#[test]
fn exported_relaxation_has_the_bound_of_the_fit() {
    // Example 3.4's first relaxation, exported and solved as a file, gives the fit's order-1 bound.
    let out = temp_file("example.dat-s", "");
    let (ok, stdout, err) = polyact(&[
        "example",
        "--json",
        "--max-order",
        "1",
        "--export-sdpa",
        &out,
    ]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let order1 = &report["hierarchy"][0];
    assert_eq!(order1["order"], 1);
    let bound = order1["bound"].as_f64().unwrap();
    let p = sdpa::read_file(&out).unwrap();
    let s = solve(&p, &SdpSettings::default()).unwrap();
    assert_eq!(s.status, SdpStatus::Optimal);
    assert!(
        (s.dual_objective - bound).abs() <= 1e-6 * (1.0 + bound.abs()),
        "file {} vs fit {bound}",
        s.dual_objective
    );
    // `polyact sdp` recognizes the relaxation from the file's comment (structured kernels) unless told
    // --general; both give the fit's bound.
    for (flag, structure) in [
        (None, "moment relaxation of order 1"),
        (Some("--general"), "general"),
    ] {
        let mut args = vec!["sdp", out.as_str(), "--json"];
        args.extend(flag);
        let (ok, stdout, err) = polyact(&args);
        assert!(ok, "{err}");
        let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(
            r["structure"].as_str().unwrap().starts_with(structure),
            "{r}"
        );
        assert_eq!(r["status"], "optimal");
        let d = r["dual_objective"].as_f64().unwrap();
        assert!(
            (d - bound).abs() <= 1e-6 * (1.0 + bound.abs()),
            "{flag:?}: {d} vs {bound}"
        );
    }
}
