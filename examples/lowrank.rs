//! The low-rank path (`polyact::sdp::lowrank`) against the interior-point method on one moment relaxation
//! written by `polyact fit … --export-sdpa FILE`, one after the other in one run. The low-rank path starts
//! from the moments of the minimizer read off the interior-point answer (the first-order moments), as the
//! hierarchy starts it from its best candidate.
//!
//! ```sh
//! cargo run --release --example lowrank -- FILE.dat-s [--verbose] [--time-limit SECONDS]
//! ```
//!
//! The low-rank solve is limited to 120 s unless `--time-limit` says otherwise.

use std::ops::ControlFlow;
use std::time::Instant;

use polyact::relax::MomentRelaxation;
use polyact::relax::moment::GaussianStart;
use polyact::sdp::lowrank::LowRankSettings;
use polyact::sdp::{IterationInfo, SdpSettings, StartPoint, solve_monitored};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: lowrank FILE.dat-s [--verbose]");
    let verbose = args.iter().any(|a| a == "--verbose");
    let text = std::fs::read_to_string(path).expect("read the SDPA file");
    let r = MomentRelaxation::from_sdpa(&text, 16 << 30).expect("a polyact moment relaxation");
    let bounds = r.feasible_set_bounds();
    let t = Instant::now();
    let ipm = solve_monitored(
        r.sdp(),
        &SdpSettings::default(),
        StartPoint::Primal(&r.gaussian_start()),
        &mut |_: &IterationInfo| ControlFlow::Continue(()),
    )
    .expect("ipm");
    let ipm_s = t.elapsed().as_secs_f64();
    println!(
        "ipm     m = {} status {:?} its {} {:.2} s primal {:.10e} dual {:.10e}",
        r.sdp().num_vars(),
        ipm.status,
        ipm.iterations,
        ipm_s,
        ipm.primal_objective,
        ipm.dual_objective
    );
    // Strict complementarity at the IPM's answer: blocks where rank X_b + rank Y_b < n_b, eigenvalues counted
    // above 1e-6 of the largest of X_b's and Y_b's (after scaling each by its norm over all blocks).
    let norm = |v: &[polyact::sdp::BlockMatrix]| v.iter().map(|b| b.dot(b)).sum::<f64>().sqrt();
    let (xn, yn) = (norm(&ipm.primal_slack), norm(&ipm.dual));
    let degenerate: Vec<(usize, usize, usize)> = ipm
        .primal_slack
        .iter()
        .zip(&ipm.dual)
        .filter_map(|(x, y)| {
            let ex: Vec<f64> = x.eigenvalues().iter().map(|v| v / xn).collect();
            let ey: Vec<f64> = y.eigenvalues().iter().map(|v| v / yn).collect();
            let top = ex.iter().chain(&ey).fold(0.0f64, |a, v| a.max(v.abs()));
            let rank = |e: &[f64]| e.iter().filter(|v| **v > 1e-6 * top).count();
            let (rx, ry) = (rank(&ex), rank(&ey));
            (rx + ry < x.dim()).then_some((x.dim(), rx, ry))
        })
        .collect();
    println!(
        "ipm     strict complementarity fails in {} of {} blocks (size, rank X, rank Y): {:?}",
        degenerate.len(),
        ipm.dual.len(),
        degenerate
    );
    let z = r.first_order_moments(&r.moments(&ipm.x));
    let x0 = r.gaussian_moments(&GaussianStart { center: z, sd: 0.0 });
    let time_limit = args
        .iter()
        .position(|a| a == "--time-limit")
        .and_then(|i| args.get(i + 1))
        .map_or(120.0, |v| v.parse().expect("--time-limit SECONDS"));
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<f64>().expect("a number"))
    };
    let d = LowRankSettings::default();
    let settings = LowRankSettings {
        project_up_to: flag("--project").map_or(d.project_up_to, |v| v as usize),
        penalty: flag("--penalty").unwrap_or(d.penalty),
        max_inner: flag("--max-inner").map_or(d.max_inner, |v| v as usize),
        proximal: flag("--proximal").unwrap_or(d.proximal),
        max_cg: flag("--max-cg").map_or(d.max_cg, |v| v as usize),
        verbose,
        time_limit: Some(time_limit),
        ..LowRankSettings::default()
    };
    let t = Instant::now();
    let lr = polyact::sdp::lowrank::solve(
        r.sdp(),
        &settings,
        StartPoint::Primal(&x0),
        bounds.as_ref(),
        &mut |_| ControlFlow::Continue(()),
    )
    .expect("lowrank");
    let lr_s = t.elapsed().as_secs_f64();
    println!(
        "lowrank status {:?} its {} {:.2} s primal {:.10e} dual {:.10e} valid {:?} resid {:?}",
        lr.status,
        lr.iterations,
        lr_s,
        lr.primal_objective,
        lr.dual_objective,
        lr.valid_bound.map(|b| b.value),
        lr.residuals
    );
    let check = r.sdp().check(&lr.x, &lr.dual);
    println!("lowrank check {check:?}");
    println!(
        "ratio ipm/lowrank {:.2}, |dual difference| / (1 + |dual|) {:.2e}",
        ipm_s / lr_s,
        (ipm.dual_objective - lr.dual_objective).abs() / (1.0 + ipm.dual_objective.abs())
    );
}
