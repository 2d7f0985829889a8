//! The valid lower bound (`polyact::sdp::valid_lower_bound`) along an interior-point solve of a moment
//! relaxation written by `polyact fit … --export-sdpa FILE`: per iterate, the dual objective, the valid
//! bound and its two corrections, and the time the bound takes; beside them, the bound with the moment
//! matrix's weighted trace bound (`valid_lower_bound_weighted`, `MomentRelaxation::trace_weights`). With
//! `--last`, only at the answer of one solve from the moments of a Gaussian measure (as `polyact fit` starts
//! it).
//!
//! ```sh
//! cargo run --release --example valid_bound -- FILE.dat-s [--last]
//! ```

use std::ops::ControlFlow;
use std::time::Instant;

use polyact::relax::MomentRelaxation;
use polyact::sdp::{
    IterationInfo, SdpSettings, StartPoint, solve_monitored, valid_lower_bound,
    valid_lower_bound_weighted,
};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: valid_bound FILE.dat-s");
    let text = std::fs::read_to_string(&path).expect("read the SDPA file");
    let r = MomentRelaxation::from_sdpa(&text, 16 << 30).expect("a polyact moment relaxation");
    let bounds = r.moment_bounds().expect("a ball among the inequalities");
    let settings = SdpSettings::default();
    let last = std::env::args().any(|a| a == "--last");
    let gaussian = r.gaussian_start();
    let start = if last {
        StartPoint::Primal(&gaussian)
    } else {
        StartPoint::Standard
    };
    let full = solve_monitored(r.sdp(), &settings, start, &mut |_: &IterationInfo| {
        ControlFlow::Continue(())
    })
    .expect("solve");
    println!(
        "m = {}, {} iterations, status {:?}, primal {:.10e}, dual {:.10e}",
        r.sdp().num_vars(),
        full.iterations,
        full.status,
        full.primal_objective,
        full.dual_objective
    );
    let weights = r.trace_weights();
    println!(
        "iterate  dual_objective     valid_bound        residual_corr  eigen_corr  seconds  \
         weighted_bound     weighted_eigen_corr"
    );
    let step = (full.iterations / 8).max(1);
    let mut stops: Vec<usize> = match last {
        true => vec![],
        false => (0..full.iterations).step_by(step).collect(),
    };
    stops.push(full.iterations);
    for stop in stops {
        let sol = if last {
            full.clone()
        } else {
            solve_monitored(
                r.sdp(),
                &settings,
                StartPoint::Standard,
                &mut |i: &IterationInfo| {
                    if i.iteration >= stop {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            )
            .expect("solve")
        };
        let t = Instant::now();
        let b = valid_lower_bound(r.sdp(), &sol.dual, &sol.equality_multipliers, &bounds)
            .expect("bound");
        let seconds = t.elapsed().as_secs_f64();
        let w = valid_lower_bound_weighted(
            r.sdp(),
            &sol.dual,
            &sol.equality_multipliers,
            &bounds,
            weights.as_ref(),
        )
        .expect("bound");
        println!(
            "{:7}  {:<17.10e}  {:<17.10e}  {:<13.3e}  {:<10.3e}  {:.3}    {:<17.10e}  {:<10.3e}",
            sol.iterations,
            b.dual_objective,
            b.value,
            b.residual_correction,
            b.eigenvalue_correction,
            seconds,
            w.value,
            w.eigenvalue_correction
        );
    }
}
