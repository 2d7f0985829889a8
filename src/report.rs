//! Reports: the fit report (JSON for machines, a readable summary for people).
//!
//! JSON field names are a file format other tools read: `status`, `coefficients` (one list per hidden layer,
//! c_{l,0} first), `loss` (the loss at the returned coefficients: an upper bound), `lower_bound` (the
//! relaxation value; the trivial bound 0 with `order` 0 when no relaxation was solved), `gap`, `relative_gap`,
//! `radius`, `ball_active`, `order`, `flat`, `rank`, `hierarchy` (one entry per order: `order`, `bound` (null
//! when the order's solve did not finish), `ranks`, `flat`, `iterations`, `seconds`, `relative_gap`),
//! `seconds`.
//!
//! `relative_gap` is (upper − lower) / max(|upper|, |lower|, σ) with the floor σ the scale of the POP's
//! objective, its largest coefficient magnitude ([`Pop::objective_scale`](crate::Pop::objective_scale); for
//! a network's epigraph loss the scale s of θ, see [`NetworkPop`](crate::pop::loss::NetworkPop)): the same
//! number in every unit of the objective, and the measure the gap test certifies with.

use std::fmt;

use serde::Serialize;

use crate::model::Loss;
use crate::relax::hierarchy::{AbandonedSolve, OrderResult, SdpPath};
use crate::sdp::SdpStatus;

/// How a fit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// Global optimality certified (flat truncation, or a relative gap within tolerance).
    Certified,
    /// A lower bound and a candidate were found, but the gap between them remains.
    Uncertified,
    /// No relaxation could be solved.
    Failed,
    /// The time limit ended the run before any relaxation was solved; the answer is the best candidate found so
    /// far, with the trivial lower bound 0 (every loss is nonnegative).
    TimeLimit,
}

impl fmt::Display for FitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FitStatus::Certified => "certified global optimum",
            FitStatus::Uncertified => "not certified (gap remains)",
            FitStatus::Failed => "failed (no relaxation solved)",
            FitStatus::TimeLimit => "stopped by the time limit (no relaxation solved)",
        })
    }
}

/// One order of the hierarchy, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct OrderSummary {
    /// Relaxation order k.
    pub order: usize,
    /// The relaxation's lower bound (the interior-point dual objective, or the first-order path's valid bound);
    /// `None` when the relaxation's solve did not finish (a time limit, a stall): an unfinished solve's dual
    /// objective bounds nothing.
    pub bound: Option<f64>,
    /// A lower bound on the relaxation proved at its dual point, whatever the solver's accuracy (the weighted
    /// trace bounds of the ball; docs/METHOD.md, "A lower bound valid at any dual point"); `None` without a
    /// ball on every unknown and a dense basis.
    pub valid_bound: Option<f64>,
    /// The SDP method whose answer gave the bound ("ipm", "admm" or "lowrank").
    pub solver: SdpPath,
    /// The first-order or low-rank solve that ran first, when the interior-point method solved the relaxation
    /// after it: its path, status, iterations, seconds and valid bound.
    pub abandoned: Option<AbandonedSolve>,
    /// rank M_t for t = 0..=k.
    pub ranks: Vec<usize>,
    /// Flat truncation held.
    pub flat: bool,
    /// SDP iterations (of every solve of the order).
    pub iterations: usize,
    /// Seconds spent on this order.
    pub seconds: f64,
    /// Number of moments (SDP variables + 1).
    pub moments: usize,
    /// The relaxation's blocks and structure in words.
    pub relaxation: String,
    /// SDP status of the relaxation.
    pub sdp_status: SdpStatus,
    /// SDP status of the low-rank step, when it ran.
    pub low_rank_status: Option<SdpStatus>,
    /// (upper_bound − bound) / max(|upper_bound|, |bound|, objective scale) (see the module's notes).
    pub relative_gap: Option<f64>,
    /// Relative duality gap of the relaxation's SDP solve.
    pub sdp_relative_gap: f64,
    /// Primal infeasibility of the relaxation's solve.
    pub primal_infeasibility: f64,
    /// Dual infeasibility of the relaxation's solve.
    pub dual_infeasibility: f64,
    /// Best candidate's value (upper bound), if any.
    pub upper_bound: Option<f64>,
    /// Certified at this order.
    pub certified: bool,
}

impl From<&OrderResult> for OrderSummary {
    fn from(o: &OrderResult) -> Self {
        OrderSummary {
            order: o.order,
            bound: (o.status.is_solved() && o.lower_bound.is_finite()).then_some(o.lower_bound),
            valid_bound: o.valid_bound,
            solver: o.solver,
            abandoned: o.abandoned,
            ranks: o.ranks.clone(),
            flat: o.flat,
            iterations: o.iterations,
            seconds: o.seconds,
            moments: o.moments,
            relaxation: o.relaxation.clone(),
            sdp_status: o.status,
            low_rank_status: o.low_rank_status,
            relative_gap: o.relative_gap,
            sdp_relative_gap: o.residuals.relative_gap,
            primal_infeasibility: o.residuals.primal_infeasibility,
            dual_infeasibility: o.residuals.dual_infeasibility,
            upper_bound: o.upper_bound,
            certified: o.certified,
        }
    }
}

/// The result of `polyact fit`.
#[derive(Clone, Debug, Serialize)]
pub struct FitReport {
    /// How the fit ended.
    pub status: FitStatus,
    /// The loss minimized.
    #[serde(rename = "loss_function")]
    pub loss_name: Loss,
    /// Names of the POP variables (unknown coefficients, then θ).
    pub variables: Vec<String>,
    /// Coefficients per hidden layer, c_{l,0} first (fixed constants included).
    pub coefficients: Vec<Vec<f64>>,
    /// All extracted global minimizers (when flat), as coefficients per layer.
    pub minimizers: Vec<Vec<Vec<f64>>>,
    /// The loss at `coefficients` (an upper bound on the optimal loss).
    pub loss: f64,
    /// The best candidate's loss before the local refinement (polish), when it ran.
    pub loss_before_polish: Option<f64>,
    /// The best relaxation value (a lower bound on the optimal loss within the ball).
    pub lower_bound: Option<f64>,
    /// loss − lower_bound.
    pub gap: Option<f64>,
    /// gap / max(loss, |lower_bound|, objective scale) (see the module's notes).
    pub relative_gap: Option<f64>,
    /// Radius of the ball constraint (null: none).
    pub radius: Option<f64>,
    /// The ball constraint is active at the answer.
    pub ball_active: bool,
    /// The order of the answer.
    pub order: usize,
    /// Flat truncation held at that order.
    pub flat: bool,
    /// Rank of the flat moment matrix (number of minimizers).
    pub rank: Option<usize>,
    /// ‖c_true − c‖₂ when the problem file has true coefficients.
    pub coefficient_error: Option<f64>,
    /// The lower bound after verifying its SOS certificate and absorbing its residuals on the ball
    /// (see [`crate::relax::certificate`]); `None` without a ball or when the check failed.
    pub certified_lower_bound: Option<f64>,
    /// The SOS certificate of `lower_bound` (written by `--certificate`, not part of the JSON report).
    #[serde(skip)]
    pub certificate: Option<crate::relax::certificate::Certificate>,
    /// One entry per order tried.
    pub hierarchy: Vec<OrderSummary>,
    /// Remarks for the user (active ball, missing certificate, …).
    pub notes: Vec<String>,
    /// Total seconds.
    pub seconds: f64,
}

impl FitReport {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }
}

/// "relaxation    …" line: the blocks of the relaxation at `order` (from the hierarchy's entry for it).
fn write_relaxation(
    f: &mut fmt::Formatter<'_>,
    hierarchy: &[OrderSummary],
    order: usize,
) -> fmt::Result {
    match hierarchy.iter().rev().find(|o| o.order == order) {
        Some(o) if !o.relaxation.is_empty() => {
            let solver = match o.solver {
                SdpPath::Ipm => "interior-point method",
                SdpPath::Admm => "first-order path (ADMM), valid bound",
                SdpPath::LowRank => "low-rank path, valid bound",
            };
            write!(f, "relaxation    {}; solved by the {solver}", o.relaxation)?;
            if let Some(a) = &o.abandoned {
                write!(
                    f,
                    " after the {} path stopped ({}, {} iterations, {:.1} s)",
                    a.path.name(),
                    a.status,
                    a.iterations,
                    a.seconds
                )?;
            }
            writeln!(f)
        }
        _ => Ok(()),
    }
}

/// One line per order: the hierarchy table.
pub fn order_line(o: &OrderSummary) -> String {
    format!(
        "{:>5}  {:>8}  {:>15}  {:>15}  {:<18}  {:<5}  {:<9}  {:>5}  {:>8.3}",
        o.order,
        o.moments,
        o.bound
            .map(|b| format!("{b:+.8e}"))
            .unwrap_or_else(|| "-".into()),
        o.upper_bound
            .map(|u| format!("{u:+.8e}"))
            .unwrap_or_else(|| "-".into()),
        format!("{:?}", o.ranks),
        if o.flat { "yes" } else { "no" },
        match (o.certified, o.flat) {
            (true, true) => "flat",
            (true, false) => "gap",
            _ => "-",
        },
        o.iterations,
        o.seconds
    )
}

/// Header of the hierarchy table.
pub fn order_header() -> String {
    format!(
        "{:>5}  {:>8}  {:>15}  {:>15}  {:<18}  {:<5}  {:<9}  {:>5}  {:>8}",
        "order",
        "moments",
        "lower bound",
        "upper bound",
        "ranks M_0..M_k",
        "flat",
        "certified",
        "iters",
        "seconds"
    )
}

/// The hierarchy table, the notes and the total time, shared by the reports' summaries. The alternate form
/// (`{:#}`) leaves the table out, for a caller that printed its lines as the orders were solved.
fn write_tail(
    f: &mut fmt::Formatter<'_>,
    hierarchy: &[OrderSummary],
    notes: &[String],
    seconds: f64,
) -> fmt::Result {
    if !f.alternate() {
        writeln!(f, "hierarchy")?;
        writeln!(f, "  {}", order_header())?;
        for o in hierarchy {
            writeln!(f, "  {}", order_line(o))?;
        }
    }
    for n in notes {
        writeln!(f, "note: {n}")?;
    }
    write!(f, "total {seconds:.3} s")
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6e}")).unwrap_or_else(|| "-".into())
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "status        {}", self.status)?;
        writeln!(
            f,
            "loss          {:.6e}   ({}, at the returned coefficients: an upper bound)",
            self.loss,
            self.loss_name.description()
        )?;
        if self.order == 0 {
            writeln!(
                f,
                "lower bound   {}   (the loss is nonnegative; no relaxation was solved)",
                fmt_opt(self.lower_bound)
            )?;
        } else {
            writeln!(
                f,
                "lower bound   {}   (moment relaxation of order {})",
                fmt_opt(self.lower_bound),
                self.order
            )?;
        }
        write_relaxation(f, &self.hierarchy, self.order)?;
        writeln!(
            f,
            "gap           {}   (relative {})",
            fmt_opt(self.gap),
            fmt_opt(self.relative_gap)
        )?;
        if let Some(b) = self.loss_before_polish.filter(|b| *b != self.loss) {
            writeln!(f, "polish        loss {b:.6e} before the local refinement")?;
        }
        if let Some(c) = self.certified_lower_bound {
            writeln!(
                f,
                "certified     {c:.6e}   (lower bound after checking its SOS certificate, within the ball)"
            )?;
        }
        if let Some(v) = self
            .hierarchy
            .iter()
            .rev()
            .find(|o| o.order == self.order)
            .and_then(|o| o.valid_bound)
        {
            writeln!(
                f,
                "proved        {v:.6e}   (lower bound proved at the relaxation's dual point, within the ball)"
            )?;
        }
        match self.radius {
            Some(r) => writeln!(
                f,
                "ball          radius {r}, {}",
                if self.ball_active {
                    "ACTIVE at the answer"
                } else {
                    "inactive at the answer"
                }
            )?,
            None => writeln!(f, "ball          none")?,
        }
        writeln!(
            f,
            "flat          {}{}",
            if self.flat { "yes" } else { "no" },
            self.rank
                .map(|r| format!(" (rank {r})"))
                .unwrap_or_default()
        )?;
        writeln!(f, "coefficients  (c_l0, c_l1, … per hidden layer)")?;
        for (l, c) in self.coefficients.iter().enumerate() {
            let cs: Vec<String> = c.iter().map(|v| format!("{v:+.8}")).collect();
            writeln!(f, "  layer {}     {}", l + 1, cs.join("  "))?;
        }
        if self.minimizers.len() > 1 {
            writeln!(
                f,
                "minimizers    {} global minimizers were extracted",
                self.minimizers.len()
            )?;
        }
        if let Some(e) = self.coefficient_error {
            writeln!(f, "‖c_true − c‖  {e:.3e}")?;
        }
        write_tail(f, &self.hierarchy, &self.notes, self.seconds)
    }
}

/// The result of `polyact pop`: the hierarchy on a general POP.
#[derive(Clone, Debug, Serialize)]
pub struct PopReport {
    /// How it ended.
    pub status: FitStatus,
    /// Variable names.
    pub variables: Vec<String>,
    /// Every extracted global minimizer (when flat), else the best candidate found.
    pub minimizers: Vec<Vec<f64>>,
    /// Objective at the best feasible candidate (an upper bound), if any.
    pub objective: Option<f64>,
    /// The best relaxation value (a lower bound).
    pub lower_bound: Option<f64>,
    /// The lower bound after checking its SOS certificate (absorbing its residuals on the ball).
    pub certified_lower_bound: Option<f64>,
    /// objective − lower_bound.
    pub gap: Option<f64>,
    /// gap / max(|objective|, |lower_bound|, objective scale) (see the module's notes).
    pub relative_gap: Option<f64>,
    /// Order of the answer.
    pub order: usize,
    /// Flat truncation held there.
    pub flat: bool,
    /// Rank of the flat moment matrix.
    pub rank: Option<usize>,
    /// One entry per order.
    pub hierarchy: Vec<OrderSummary>,
    /// Remarks.
    pub notes: Vec<String>,
    /// Total seconds.
    pub seconds: f64,
}

impl PopReport {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }
}

impl fmt::Display for PopReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "status        {}", self.status)?;
        writeln!(
            f,
            "objective     {}   (best feasible point: an upper bound)",
            fmt_opt(self.objective)
        )?;
        writeln!(
            f,
            "lower bound   {}   (order {})",
            fmt_opt(self.lower_bound),
            self.order
        )?;
        write_relaxation(f, &self.hierarchy, self.order)?;
        if let Some(c) = self.certified_lower_bound {
            writeln!(
                f,
                "certified     {c:.6e}   (after checking its SOS certificate, within the ball)"
            )?;
        }
        writeln!(
            f,
            "gap           {}   (relative {})",
            fmt_opt(self.gap),
            fmt_opt(self.relative_gap)
        )?;
        writeln!(
            f,
            "flat          {}{}",
            if self.flat { "yes" } else { "no" },
            self.rank
                .map(|r| format!(" (rank {r})"))
                .unwrap_or_default()
        )?;
        writeln!(f, "minimizers    ({})", self.variables.join(", "))?;
        for z in &self.minimizers {
            let zs: Vec<String> = z.iter().map(|v| format!("{v:+.8}")).collect();
            writeln!(f, "  {}", zs.join("  "))?;
        }
        write_tail(f, &self.hierarchy, &self.notes, self.seconds)
    }
}
