//! The interior-point method and the first-order path (`polyact::sdp::admm`) side by side on one moment
//! relaxation written by `polyact fit … --export-sdpa FILE`, each from the start the hierarchy gives it (the
//! interior-point method from the moments of a Gaussian measure, the first-order path from x = 0): time,
//! iterations, objective, valid bound.
//!
//! ```sh
//! cargo run --release --example first_order -- FILE.dat-s [--no-ipm] [--verbose] [--time-limit SECONDS]
//! ```

use std::ops::ControlFlow;
use std::time::Instant;

use polyact::relax::MomentRelaxation;
use polyact::sdp::admm::{self, AdmmSettings};
use polyact::sdp::{IterationInfo, SdpSettings, StartPoint, solve_monitored};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: first_order FILE.dat-s [--no-ipm] [--verbose]");
    let text = std::fs::read_to_string(path).expect("read the SDPA file");
    let r = MomentRelaxation::from_sdpa(&text, 16 << 30).expect("a polyact moment relaxation");
    let bounds = r
        .feasible_set_bounds()
        .expect("a ball among the inequalities");
    let (moment_sides, localizing_sides) = r.block_sides();
    println!(
        "m = {}, moment blocks {:?}, {} localizing blocks up to {}",
        r.sdp().num_vars(),
        moment_sides,
        localizing_sides.len(),
        localizing_sides.iter().max().unwrap_or(&0)
    );
    let x0 = r.gaussian_start();
    if !args.iter().any(|a| a == "--no-ipm") {
        let t = Instant::now();
        let sol = solve_monitored(
            r.sdp(),
            &SdpSettings::default(),
            StartPoint::Primal(&x0),
            &mut |_: &IterationInfo| ControlFlow::Continue(()),
        )
        .expect("solve");
        let b = bounds
            .valid_lower_bound(r.sdp(), &sol.dual, &sol.equality_multipliers)
            .expect("bound");
        println!(
            "ipm   {:?} {:5} its {:8.2} s  primal {:.10e}  dual {:.10e}  valid bound {:.10e}",
            sol.status,
            sol.iterations,
            t.elapsed().as_secs_f64(),
            sol.primal_objective,
            sol.dual_objective,
            b.value
        );
    }
    let settings = AdmmSettings {
        verbose: args.iter().any(|a| a == "--verbose"),
        time_limit: args
            .iter()
            .position(|a| a == "--time-limit")
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().expect("--time-limit SECONDS")),
        ..AdmmSettings::default()
    };
    let t = Instant::now();
    let sol = admm::solve(
        r.sdp(),
        &settings,
        StartPoint::Standard,
        Some(&bounds),
        &mut |_: &IterationInfo| ControlFlow::Continue(()),
    )
    .expect("solve");
    println!(
        "admm  {:?} {:5} its {:8.2} s  primal {:.10e}  dual {:.10e}  valid bound {:.10e}  pinf {:.1e} dinf {:.1e}",
        sol.status,
        sol.iterations,
        t.elapsed().as_secs_f64(),
        sol.primal_objective,
        sol.dual_objective,
        sol.valid_bound.map_or(f64::NEG_INFINITY, |b| b.value),
        sol.residuals.primal_infeasibility,
        sol.residuals.dual_infeasibility,
    );
}
