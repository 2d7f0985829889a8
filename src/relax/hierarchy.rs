//! The Moment-SOS hierarchy: solve the relaxations of orders k0, k0+1, … until global optimality is
//! certified, by flat truncation or by a vanishing gap between the relaxation's lower bound and the value
//! of a candidate point.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::polynomial::Polynomial;
use crate::pop::Pop;
use crate::relax::certificate::Certificate;
use crate::relax::cost::{RelaxationSize, format_seconds};
use crate::relax::events::{Event, SolveKind};
use crate::relax::extraction::{
    DEFAULT_RANK_TOLERANCE, FlatTruncation, eigenvector_points, extract_points,
};
use crate::relax::moment::{
    GaussianStart, MomentRelaxation, Structure, ball_radius, fill_smallest_levels,
    theta_free_variables,
};
use crate::relax::polish::{PolishSettings, polish};
use crate::relax::sparsity::{Sparsity, correlative_structure};
use crate::rng::Rng;
use crate::sdp::admm::AdmmSettings;
use crate::sdp::lowrank::LowRankSettings;
use crate::sdp::{
    IterationInfo, SdpProblem, SdpResiduals, SdpSettings, SdpSolution, SdpSolver, SdpStatus,
    StartPoint, solve_monitored,
};

/// The low-rank step's penalty may raise the objective by at most LOW_RANK_GIVE_ABS + LOW_RANK_GIVE_REL·|θ*|
/// above the optimum θ*, in the units of the objective divided by its scale ([`Pop::objective_scale`]), as
/// every decision of [`run`] is. With a hundredth or a tenth of that, Table 4's N = 250 instance (order 2 tight, the
/// solver's point of maximal rank) is certified only at order 3; with this, at order 2.
const LOW_RANK_GIVE_ABS: f64 = 1e-5;
const LOW_RANK_GIVE_REL: f64 = 1e-3;

/// The low-rank step starts from the first solve's first iterate whose infeasibilities and gap are below this.
/// On three uncertified order-3 relaxations (cold: 27 iterations each) the warm solve took 9–13 iterations from
/// 1e-3, 7–10 from 1e-4, 5–8 from 1e-5. Starts from 1e-3 and 1e-4 also lost the order-2 certification of
/// Table 4's N = 250 instance, which the low-rank step alone certifies (without eigenvector candidates); 1e-5
/// keeps it (docs/BENCHMARKS.md).
const LOW_RANK_WARM_GAP: f64 = 1e-5;

/// A flat point certifies when its extracted candidate's loss is within FLAT_GAP_TOLERANCE of the bound in
/// [`relative_gap`] (a loose check that guards against a flat but inaccurate moment matrix); the low-rank step's point
/// counts as flat only when its own objective is that close to the bound.
const FLAT_GAP_TOLERANCE: f64 = 1e-4;

/// Settings of the hierarchy; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct HierarchySettings {
    /// First order to solve (default: the minimal order k0).
    pub min_order: Option<usize>,
    /// Last order to solve (default: k0 + 2).
    pub max_order: Option<usize>,
    /// Relative eigenvalue threshold of the numerical rank (default 1e-6).
    pub rank_tolerance: f64,
    /// A candidate certifies global optimality when its [`relative_gap`] to the bound, (upper − lower) /
    /// max(|upper|, |lower|, objective scale), is at most gap_tolerance (default 1e-6).
    pub gap_tolerance: f64,
    /// After a solve that is neither flat nor closed by its candidate, solve the relaxation again with a
    /// small trace penalty ([`MomentRelaxation::low_rank_problem`]) to find a nearly optimal point of low rank,
    /// and take its candidates (default true).
    pub low_rank_step: bool,
    /// Start the low-rank step's solve from the first solve's first iterate within 1e-5 (infeasibilities and
    /// gap), which solves the same constraints, instead of from scratch (default true). On 65 generated
    /// instances at orders 2–3 every loss and bound stayed the same and the fits took 28% less time; the
    /// order-4 second solve of a (2,3) network took 9 iterations instead of 36 (docs/BENCHMARKS.md).
    pub low_rank_warm_start: bool,
    /// When a point is not flat, also refine and evaluate the candidates read off this many leading eigenvectors
    /// of M_1 ([`eigenvector_points`]), besides its first-order moments (default 1; 0 = none). On 65 generated
    /// instances of Tables 1, 2, 4 and 5, four fits of Table 4 were then certified at order 2 instead of 3, at
    /// no cost in total time; with 3, six were, but the extra refinements made the 65 fits 6% slower
    /// (docs/BENCHMARKS.md).
    pub eigenvector_candidates: usize,
    /// When an order's candidates from the moments do not certify it (not flat, gap above the tolerance), also
    /// refine this many random points (coordinates uniform in [−1, 1], θ-free variables at their smallest
    /// feasible level, seeded by the order) and evaluate them (default 8; 0 = none; none without `polish`). A
    /// term-sparse relaxation has no full moment matrix to extract from, and a dense one whose optimum is not
    /// of rank one gives only an average of the minimizers: on a noiseless (2,2,2) network both left a loss of
    /// 2.13 where local refinement from random points reached 7e-15 (docs/BENCHMARKS.md, "Term sparsity").
    pub random_starts: usize,
    /// Settings of the SDP solver.
    pub sdp: SdpSettings,
    /// Which SDP method solves each relaxation (default [`SolverChoice::Auto`]).
    pub solver: SolverChoice,
    /// Settings of the first-order path, when it runs (its time limit is the time left, its target the bound
    /// that certifies the best candidate so far).
    pub admm: AdmmSettings,
    /// Settings of the low-rank path, when it runs (its time limit and target as the first-order path's).
    pub lowrank: LowRankSettings,
    /// Refine candidates locally before evaluating them (default on); `None` disables.
    pub polish: Option<PolishSettings>,
    /// When to stop raising the order (default: at the first certified order).
    pub stop: StopRule,
    /// Keep the SOS certificate of every order's bound (default false).
    pub certificates: bool,
    /// Start every SDP solve at the moments of a Gaussian measure ([`MomentRelaxation::gaussian_start`])
    /// instead of the solver's standard X = ξI, Y = ηI (default true).
    pub gaussian_start: bool,
    /// Wall-clock seconds for the whole run (default [`DEFAULT_TIME_LIMIT`] = 300; `None`: no limit). An order
    /// after the first whose predicted time ([`RelaxationSize::seconds`]) exceeds the time left is not started:
    /// the run ends with the orders solved so far and [`HierarchyResult::stopped_early`] says what the next
    /// order would cost. The solver gets the time left as its own limit, so an order that runs past it stops
    /// there ([`SdpStatus::TimeLimit`]); the first order is always started, so a limit of 0 returns the
    /// solver's starting point and its candidates.
    pub time_limit: Option<f64>,
    /// A flag another thread may set to stop the run (default `None`): it is read at every interior-point
    /// iteration and before each order, and once set the run ends with [`Error::Interrupted`].
    pub interrupt: Option<Arc<AtomicBool>>,
    /// The structure the relaxations exploit ([`Structure`]; default: [`Sparsity::Auto`] without θ-free
    /// bases: the dense relaxation of every order predicted to fit the memory limit and the time left, after
    /// correlative sparsity where the variables split into cliques and the dense relaxation is not cheap,
    /// and correlative or chordal term sparsity for the others; see `resolve_structure`).
    pub structure: Structure,
    /// Under automatic sparsity, an order whose dense relaxation is predicted to take less than this many
    /// seconds (and fits the memory limit) is solved densely without trying correlative sparsity first: its
    /// flat truncation can extract every minimizer (default 1).
    pub cheap_dense_seconds: f64,
}

/// The SDP method whose answer gave an order's bound ([`OrderResult::solver`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SdpPath {
    /// The interior-point method ([`crate::sdp::ipm`]): its dual objective, checked by its residuals, is the
    /// bound.
    #[default]
    Ipm,
    /// The first-order path ([`crate::sdp::admm`]): its valid bound at its dual point is the bound.
    Admm,
    /// The low-rank path ([`crate::sdp::lowrank`]): its valid bound at its dual point is the bound.
    #[serde(rename = "lowrank")]
    LowRank,
}

impl SdpPath {
    /// Its name in reports (as on the command line).
    pub fn name(self) -> &'static str {
        match self {
            SdpPath::Ipm => "ipm",
            SdpPath::Admm => "admm",
            SdpPath::LowRank => "lowrank",
        }
    }
}

/// Which SDP method solves each relaxation ([`HierarchySettings::solver`]).
///
/// The first-order and low-rank paths run only on relaxations with bounds on the feasible set
/// ([`MomentRelaxation::feasible_set_bounds`]: a ball on every unknown, a dense basis) and without equality
/// constraints; their bound is the valid bound at their dual point. Where they do not apply, and when they
/// end without reaching their tolerance or the bound that certifies the best candidate so far, the
/// interior-point method solves the relaxation (when it fits the memory limit), and the order reports the
/// abandoned attempt ([`OrderResult::abandoned`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SolverChoice {
    /// The interior-point method wherever its Schur complement fits the memory limit
    /// ([`crate::relax::cost::RelaxationSize::bytes`]), the low-rank path (which never forms it) on the
    /// relaxations that do not fit it. That is the measured threshold: on every relaxation the interior-point
    /// method could solve, it was the faster (docs/BENCHMARKS.md, "The low-rank path").
    #[default]
    Auto,
    /// The interior-point method only.
    Ipm,
    /// The first-order path (ADMM) first.
    Admm,
    /// The low-rank path first, from the moments of the best candidate of the lower orders when there is one.
    LowRank,
}

impl SolverChoice {
    /// Every choice, in the order of the command line's help.
    pub const ALL: [SolverChoice; 4] = [
        SolverChoice::Auto,
        SolverChoice::Ipm,
        SolverChoice::Admm,
        SolverChoice::LowRank,
    ];

    /// Its name on the command line and in Python.
    pub fn name(self) -> &'static str {
        match self {
            SolverChoice::Auto => "auto",
            SolverChoice::Ipm => "ipm",
            SolverChoice::Admm => "admm",
            SolverChoice::LowRank => "lowrank",
        }
    }
}

impl std::str::FromStr for SolverChoice {
    type Err = Error;
    /// A choice by its [name](SolverChoice::name); an error lists the known names.
    fn from_str(s: &str) -> Result<SolverChoice> {
        SolverChoice::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = SolverChoice::ALL.iter().map(|p| p.name()).collect();
                Error::InvalidInput(format!(
                    "unknown solver \"{s}\" (known: {})",
                    names.join(", ")
                ))
            })
    }
}

/// A first-order or low-rank solve whose answer was not used: the interior-point method solved the
/// relaxation after it ([`OrderResult::abandoned`]).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct AbandonedSolve {
    /// The path that ran.
    pub path: SdpPath,
    /// How it ended.
    pub status: SdpStatus,
    /// Its iterations (also counted in [`OrderResult::iterations`]).
    pub iterations: usize,
    /// Its wall-clock seconds.
    pub seconds: f64,
    /// Its valid bound at the dual point where it stopped (in the POP's units), when one was proved.
    pub valid_bound: Option<f64>,
}

/// Default of [`HierarchySettings::time_limit`]: five minutes.
pub const DEFAULT_TIME_LIMIT: f64 = 300.0;

/// When the hierarchy stops raising the order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StopRule {
    /// At the first order certified by flat truncation or by the gap.
    #[default]
    Certified,
    /// At the first order where flat truncation holds (the paper's rule; a gap certificate alone does not
    /// stop it).
    Flat,
}

impl Default for HierarchySettings {
    fn default() -> Self {
        HierarchySettings {
            min_order: None,
            max_order: None,
            rank_tolerance: DEFAULT_RANK_TOLERANCE,
            gap_tolerance: 1e-6,
            low_rank_step: true,
            low_rank_warm_start: true,
            eigenvector_candidates: 1,
            random_starts: 8,
            sdp: SdpSettings::default(),
            solver: SolverChoice::Auto,
            admm: AdmmSettings::default(),
            lowrank: LowRankSettings::default(),
            polish: Some(PolishSettings::default()),
            stop: StopRule::Certified,
            certificates: false,
            gaussian_start: true,
            time_limit: Some(DEFAULT_TIME_LIMIT),
            interrupt: None,
            structure: Structure {
                sparsity: Sparsity::Auto,
                ..Structure::default()
            },
            cheap_dense_seconds: 1.0,
        }
    }
}

/// What happened at one order of the hierarchy.
#[derive(Clone, Debug, Serialize)]
pub struct OrderResult {
    /// Relaxation order k.
    pub order: usize,
    /// Number of moments (SDP variables + 1).
    pub moments: usize,
    /// The relaxation's blocks and its term sparsity, e.g. "order 4 (1,856 moments, M_4 in 57 blocks up to
    /// 36×36, …; about 60 MB), term sparsity chordal".
    pub relaxation: String,
    /// Status of the relaxation's SDP solve.
    pub status: SdpStatus,
    /// The SDP method whose answer gave the bound.
    pub solver: SdpPath,
    /// The first-order or low-rank solve that ran first and was abandoned for the interior-point method.
    pub abandoned: Option<AbandonedSolve>,
    /// The relaxation value: the interior-point method's dual objective (the SOS lower bound), or the
    /// first-order or low-rank path's valid bound.
    pub lower_bound: f64,
    /// The primal objective of the relaxation.
    pub primal_objective: f64,
    /// A lower bound on the relaxation's optimum proved at its solve's dual point, whatever the solver's
    /// accuracy ([`crate::sdp::valid_lower_bound_weighted`] with [`MomentRelaxation::feasible_set_bounds`];
    /// the first-order path's own valid bound): `None` without a ball on every unknown and a dense basis, or
    /// when no bound could be proved. It is a theorem about the relaxation as solved, whose objective is the
    /// POP's divided by its scale in doubles, multiplied back by the scale (rounded down).
    pub valid_bound: Option<f64>,
    /// Solver residuals of the relaxation's solve.
    pub residuals: SdpResiduals,
    /// Status of the low-rank (trace-minimization) solve, when it ran.
    pub low_rank_status: Option<SdpStatus>,
    /// rank M_t(y*) for t = 0..=k (of the low-rank solution when it succeeded).
    pub ranks: Vec<usize>,
    /// Flat truncation holds.
    pub flat: bool,
    /// Number of minimizers when flat.
    pub rank: Option<usize>,
    /// Extracted minimizers (flat), or the first-order moments (not flat).
    pub candidates: Vec<Vec<f64>>,
    /// Best value of a candidate (an upper bound on the optimum), when one was feasible.
    pub upper_bound: Option<f64>,
    /// Best value of a candidate before local refinement (when refinement ran).
    pub upper_bound_before_polish: Option<f64>,
    /// Index in `candidates` of the best candidate.
    pub best_candidate: Option<usize>,
    /// upper_bound − lower_bound.
    pub gap: Option<f64>,
    /// gap / max(|upper_bound|, |lower_bound|, the objective's scale): see [`relative_gap`].
    pub relative_gap: Option<f64>,
    /// Global optimality is certified at this order (flat, or gap within tolerance).
    pub certified: bool,
    /// Interior-point iterations (both solves).
    pub iterations: usize,
    /// Wall-clock seconds for this order.
    pub seconds: f64,
    /// The SOS certificate of `lower_bound` (when asked for).
    #[serde(skip)]
    pub certificate: Option<Certificate>,
}

/// The result of running the hierarchy.
#[derive(Clone, Debug)]
pub struct HierarchyResult {
    /// One entry per order solved, in order.
    pub orders: Vec<OrderResult>,
    /// Why the hierarchy stopped before the maximal order without certificate, if it did (memory, or the time
    /// limit: then also what the next order would cost).
    pub stopped_early: Option<String>,
    /// True when the time limit ended the run (an order not started, or a solve stopped by it).
    pub time_limited: bool,
    /// The objective's scale ([`Pop::objective_scale`]): the floor of every relative gap.
    pub objective_scale: f64,
}

impl HierarchyResult {
    /// The last order solved.
    pub fn last(&self) -> &OrderResult {
        self.orders.last().expect("at least one order")
    }

    /// The first order certified by flat truncation, else the first certified by the gap, if any.
    pub fn certified(&self) -> Option<&OrderResult> {
        self.orders
            .iter()
            .find(|o| o.certified && o.flat)
            .or_else(|| self.orders.iter().find(|o| o.certified))
    }

    /// The best lower bound over the orders whose solve succeeded.
    pub fn lower_bound(&self) -> Option<f64> {
        self.orders
            .iter()
            .filter(|o| o.status.is_solved())
            .map(|o| o.lower_bound)
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))))
    }

    /// The order whose answer is reported: the certified one (flat first), else the one with the best
    /// candidate, else the last.
    pub fn chosen(&self) -> &OrderResult {
        self.certified()
            .or_else(|| self.best())
            .unwrap_or_else(|| self.last())
    }

    /// The SOS certificate of the best lower bound, when certificates were kept.
    pub fn best_certificate(&self) -> Option<&Certificate> {
        self.orders
            .iter()
            .filter(|o| o.status.is_solved())
            .max_by(|a, b| a.lower_bound.total_cmp(&b.lower_bound))
            .and_then(|o| o.certificate.as_ref())
    }

    /// The order result holding the best (lowest) upper bound.
    pub fn best(&self) -> Option<&OrderResult> {
        self.orders
            .iter()
            .filter(|o| o.upper_bound.is_some())
            .min_by(|a, b| a.upper_bound.unwrap().total_cmp(&b.upper_bound.unwrap()))
    }
}

/// The floor of every relative gap, as a fraction of the objective's scale σ ([`Pop::objective_scale`]): gaps
/// are relative to max(|upper|, |lower|, GAP_FLOOR·σ). Its role is only to keep the rule meaningful when the
/// optimum is near zero (a noiseless network), where the solver's accuracy (about 1e-8 of the normalized
/// objective) must still pass 1e-6 × floor. For a network's epigraph POP σ is the θ scale s, which lies
/// between 1/4 and 900 times the loss on the paper's instances, so with this floor the gap is relative to the
/// loss itself, or at most 9 times looser.
pub const GAP_FLOOR: f64 = 1e-2;

/// The relative gap (upper − lower) / max(|upper|, |lower|, floor), floor > 0 the objective's scale
/// ([`Pop::objective_scale`]: its largest coefficient magnitude; for a network's epigraph POP the scale s of
/// θ, see [`NetworkPop`](crate::pop::loss::NetworkPop)). It is the same in every unit of the objective.
pub fn relative_gap(upper: f64, lower: f64, floor: f64) -> f64 {
    (upper - lower) / upper.abs().max(lower.abs()).max(floor)
}

/// Objective value of a candidate when it is feasible (violation ≤ 1e-7 · scale), else `None`.
pub fn feasible_objective(pop: &Pop, z: &[f64]) -> Option<f64> {
    let scale = 1.0 + z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    (pop.violation(z).max() <= 1e-7 * scale).then(|| pop.objective_at(z))
}

/// Run the hierarchy on `pop`. `upper_bound` maps a candidate point to a certified upper bound on the
/// optimal value (for a general POP: [`feasible_objective`]; for a network: the loss at the candidate's
/// coefficients). `on_event` sees each order's size and predicted cost before it starts, every interior-point
/// iteration, each order's result, and why the run stops early ([`Event`]; for progress output).
///
/// The relaxations are built for the objective divided by its scale σ ([`Pop::objective_scale`]), and the
/// oracle's values are divided by σ too: every decision (the SDP solver's stopping tests, the low-rank step,
/// refinement, flat truncation, the gap test) sees the same numbers whatever the objective's units, and the
/// results (bounds, values, gaps, certificates) are multiplied back by σ.
pub fn run(
    pop: &Pop,
    settings: &HierarchySettings,
    upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<HierarchyResult> {
    let started = Instant::now();
    if let Some(t) = settings.time_limit.filter(|t| t.is_nan() || *t < 0.0) {
        return Err(Error::InvalidInput(format!(
            "the time limit must be a nonnegative number of seconds, got {t}"
        )));
    }
    let deadline = settings
        .time_limit
        .map(|t| started + Duration::from_secs_f64(t.min(1e9)));
    let remaining = || deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    let k0 = pop.min_order();
    let first = settings.min_order.unwrap_or(k0);
    if first < k0 {
        return Err(Error::InvalidInput(format!(
            "order {first} is below the minimal order {k0} of this problem (⌈degree/2⌉)"
        )));
    }
    let last = settings.max_order.unwrap_or(first.max(k0 + 2));
    if last < first {
        return Err(Error::InvalidInput(format!(
            "maximal order {last} is below the first order {first}"
        )));
    }
    let d = pop
        .inequalities
        .iter()
        .chain(&pop.equalities)
        .map(|g| (g.degree() as usize).div_ceil(2))
        .max()
        .unwrap_or(1)
        .max(1);
    let scale = pop.objective_scale();
    let normalized = pop.with_objective_scaled(1.0 / scale);
    let oracle = |z: &[f64]| upper_bound(z).map(|v| v / scale);
    let mut orders = vec![];
    let mut stopped_early = None;
    let mut time_limited = false;
    // The relaxations to solve, in order: each order once, and again densely when automatic sparsity chose
    // correlative sparsity, which did not certify, where the dense relaxation fits.
    let mut steps: std::collections::VecDeque<(usize, Option<Structure>)> =
        (first..=last).map(|k| (k, None)).collect();
    while let Some((k, retry)) = steps.pop_front() {
        check_interrupt(settings)?;
        // Automatic sparsity: the dense relaxation when it is predicted to fit the memory limit and the time
        // left (after correlative sparsity when the variables split into cliques), else correlative sparsity
        // when they do, else term sparsity (chordal when it makes the moment matrix smaller).
        let (structure, dense_after) = match retry {
            Some(structure) => (structure, false),
            None => resolve_structure(settings, pop, k, remaining()),
        };
        // A dense relaxation's size is known before it is built; a structured one (θ-free, sparse) is
        // built first and measured.
        let build_with = |structure: Structure| {
            MomentRelaxation::with_structure(
                &normalized,
                k,
                settings.sdp.max_memory_bytes,
                structure,
            )
        };
        let build = || build_with(structure);
        let structured =
            structure.theta_free || structure.correlative || structure.sparsity != Sparsity::None;
        let built = structured.then(|| match build() {
            // When the sparse relaxation the dense one fell back to cannot be built either, the dense
            // relaxation's own answer (its refusal, which says why) is the one to give.
            Err(Error::TooLarge(_))
                if settings.structure.sparsity == Sparsity::Auto
                    && !settings.structure.correlative
                    && !structure.theta_free =>
            {
                // Correlative sparsity chosen by `Auto` falls back to term sparsity first.
                match structure.correlative {
                    true => match build_with(settings.structure) {
                        Err(Error::TooLarge(_)) => build_with(Structure::dense()),
                        r => r,
                    },
                    false => build_with(Structure::dense()),
                }
            }
            r => r,
        });
        let size = match &built {
            Some(Ok(r)) => Some(r.size()),
            Some(Err(_)) => None,
            None => Some(RelaxationSize::new(pop, k)),
        };
        // Where the interior-point method's Schur complement does not fit the memory limit, `auto` and
        // `lowrank` solve the dense relaxation by the low-rank path alone, when that one fits.
        let ipm_fits = match (&built, &size) {
            (Some(Err(Error::TooLarge(_))), _) => false,
            (_, Some(size)) => size.bytes <= settings.sdp.max_memory_bytes as f64,
            _ => true,
        };
        let dense = Structure {
            sparsity: Sparsity::None,
            correlative: false,
            ..structure
        };
        let low_rank_only = !ipm_fits
            && matches!(settings.solver, SolverChoice::Auto | SolverChoice::LowRank)
            && RelaxationSize::new(pop, k).low_rank_bytes(settings.lowrank.max_rank)
                <= settings.lowrank.max_memory_bytes as f64;
        // The predicted time is the interior-point method's; the low-rank path runs for the time left.
        if !low_rank_only
            && let Some(size) = &size
            && let Some(left) =
                remaining().filter(|left| !orders.is_empty() && size.seconds > *left)
        {
            if retry.is_some() {
                continue; // the dense retry no longer fits the time left: on to the next order
            }
            let why = format!(
                "the time limit: {} would take about {} and {} of the {} limit remain \
                 (raise the time limit to run it)",
                size.describe_size(),
                format_seconds(size.seconds),
                format_seconds(left),
                format_seconds(settings.time_limit.unwrap_or(0.0))
            );
            on_event(&Event::Stopped(&why));
            stopped_early = Some(why);
            time_limited = true;
            break;
        }
        let relax = match low_rank_only {
            // Built without the interior-point method's memory limit, which it does not use.
            true => MomentRelaxation::with_structure(&normalized, k, usize::MAX, dense),
            false => built.unwrap_or_else(build),
        };
        let relax = match relax {
            Ok(r) => r,
            Err(e @ Error::TooLarge(_)) if !orders.is_empty() => {
                let why = e.to_string();
                on_event(&Event::Stopped(&why));
                stopped_early = Some(why);
                break;
            }
            Err(e) => return Err(e),
        };
        let size = size.unwrap_or_else(|| relax.size());
        on_event(&Event::OrderStart {
            size: &size,
            remaining_seconds: remaining(),
        });
        // The best candidate so far, its value in the scaled units of the solve.
        let incumbent = orders
            .iter()
            .filter_map(|o: &OrderResult| {
                let i = o.best_candidate?;
                Some((o.upper_bound? / scale, o.candidates.get(i)?.as_slice()))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(value, point)| Incumbent { value, point });
        let plan = match low_rank_only {
            true => SolvePlan {
                first: Some(SdpPath::LowRank),
                ipm: false,
                first_seconds: None,
            },
            false => SolvePlan::of(settings.solver, size.seconds),
        };
        let mut res = match solve_order_monitored(
            &relax, d, settings, plan, &oracle, incumbent, deadline, on_event,
        ) {
            // A relaxation only the low-rank path could hold, where that path does not apply: after the first
            // order, the run stops as it does for a relaxation too large to build.
            Err(e @ Error::TooLarge(_)) if !orders.is_empty() => {
                let why = e.to_string();
                on_event(&Event::Stopped(&why));
                stopped_early = Some(why);
                break;
            }
            r => r?,
        };
        res.unscale(scale, pop);
        on_event(&Event::OrderDone(&res));
        let done = match settings.stop {
            StopRule::Certified => res.certified,
            StopRule::Flat => res.certified && res.flat,
        };
        let timed_out =
            res.status == SdpStatus::TimeLimit || res.low_rank_status == Some(SdpStatus::TimeLimit);
        let iterations = res.iterations;
        orders.push(res);
        if done {
            break;
        }
        if dense_after && !timed_out {
            steps.push_front((
                k,
                Some(Structure {
                    sparsity: Sparsity::None,
                    correlative: false,
                    ..settings.structure
                }),
            ));
            continue;
        }
        if timed_out {
            let why = format!(
                "the time limit of {} ran out in order {k} after {iterations} SDP iterations; \
                 {} would take about {} (raise the time limit to finish it)",
                format_seconds(settings.time_limit.unwrap_or(0.0)),
                size.describe_size(),
                format_seconds(size.seconds),
            );
            on_event(&Event::Stopped(&why));
            stopped_early = Some(why);
            time_limited = true;
            break;
        }
    }
    Ok(HierarchyResult {
        orders,
        stopped_early,
        time_limited,
        objective_scale: scale,
    })
}

/// The structure order `k` is built with, and whether to solve the dense relaxation of the order too when it
/// does not certify: `settings.structure` itself, except that [`Sparsity::Auto`] without θ-free bases or
/// correlative sparsity becomes
/// - the dense relaxation when it is predicted ([`RelaxationSize`]) to take less than
///   [`HierarchySettings::cheap_dense_seconds`] and to fit the memory limit (its flat truncation can extract
///   every minimizer);
/// - else correlative sparsity when the problem's variables split into more than one clique
///   ([`correlative_cliques`]), with the dense relaxation after it when that one is predicted to fit the
///   memory limit and the time left (`left`, `None`: no limit);
/// - else the dense relaxation when it is predicted to fit;
/// - else `Auto` (chordal term sparsity when it makes the moment matrix smaller, else dense).
///
/// So the default keeps the dense relaxation's bound wherever it can be afforded, tries the far smaller
/// correlative relaxation first where the problem has that structure and the dense one is not cheap, and
/// reaches problems the dense one cannot.
fn resolve_structure(
    settings: &HierarchySettings,
    pop: &Pop,
    k: usize,
    left: Option<f64>,
) -> (Structure, bool) {
    let structure = settings.structure;
    if structure.sparsity != Sparsity::Auto || structure.theta_free || structure.correlative {
        return (structure, false);
    }
    let dense = RelaxationSize::new(pop, k);
    let fits = dense.bytes <= settings.sdp.max_memory_bytes as f64
        && left.is_none_or(|left| dense.seconds <= left);
    let cheap = fits && dense.seconds < settings.cheap_dense_seconds;
    if !cheap && correlative_cliques(pop) > 1 {
        let correlative = Structure {
            sparsity: Sparsity::None,
            correlative: true,
            ..structure
        };
        (correlative, fits)
    } else if fits {
        let dense = Structure {
            sparsity: Sparsity::None,
            ..structure
        };
        (dense, false)
    } else {
        (structure, false)
    }
}

/// How many maximal cliques correlative sparsity finds in `pop` (over all its variables): 1 when every
/// variable meets every other one through the objective's terms and the constraints (as in a network's POP).
fn correlative_cliques(pop: &Pop) -> usize {
    let rows: Vec<usize> = (0..pop.nvars()).collect();
    let localized: Vec<(usize, Polynomial, usize)> = pop
        .inequalities
        .iter()
        .enumerate()
        .map(|(j, g)| (j, g.clone(), 0))
        .collect();
    correlative_structure(pop, &rows, &localized).cliques.len()
}

/// The solver's settings with the time left before `deadline` as its time limit (the smaller of that and its
/// own).
fn until(settings: &SdpSettings, deadline: Option<Instant>) -> SdpSettings {
    SdpSettings {
        time_limit: limit_until(settings.time_limit, deadline),
        ..settings.clone()
    }
}

/// A solver's time limit: the smaller of its own (`own`) and the time left before `deadline`.
fn limit_until(own: Option<f64>, deadline: Option<Instant>) -> Option<f64> {
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    match (own, left) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// [`Error::Interrupted`] once the flag of [`HierarchySettings::interrupt`] is set.
fn check_interrupt(settings: &HierarchySettings) -> Result<()> {
    match &settings.interrupt {
        Some(flag) if flag.load(Ordering::Relaxed) => Err(Error::Interrupted),
        _ => Ok(()),
    }
}

/// A monitor that passes every iteration on as an [`Event::Iteration`] and stops the solve once `interrupt`
/// is set.
fn forward<'a>(
    order: usize,
    solve: SolveKind,
    interrupt: Option<&'a AtomicBool>,
    on_event: &'a mut (dyn FnMut(&Event) + Send),
) -> impl FnMut(&IterationInfo) -> ControlFlow<()> + Send + 'a {
    move |info| {
        on_event(&Event::Iteration { order, solve, info });
        if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Solve an SDP over the moments of `relax` (its own, or one with the same variables such as
/// [`MomentRelaxation::low_rank_problem`]): from the moments of a Gaussian measure
/// ([`MomentRelaxation::gaussian_start`]) when `gaussian_start` is set, else from the solver's standard point.
/// The Gaussian start is a heuristic: if that solve stalls or reaches the iteration limit, the problem is
/// solved again from the standard start, and the second answer is kept when it is solved (the iterations of
/// both count).
pub fn solve_moment_sdp(
    relax: &MomentRelaxation,
    problem: &SdpProblem,
    settings: &SdpSettings,
    gaussian_start: bool,
) -> Result<SdpSolution> {
    solve_moment_sdp_monitored(relax, problem, settings, gaussian_start, None, &mut |_| {
        ControlFlow::Continue(())
    })
}

/// [`solve_moment_sdp`] with a monitor ([`solve_monitored`]) and a deadline: each solve's time limit is the
/// time left (the fallback solve is not tried after a solve stopped by the time limit).
pub fn solve_moment_sdp_monitored(
    relax: &MomentRelaxation,
    problem: &SdpProblem,
    settings: &SdpSettings,
    gaussian_start: bool,
    deadline: Option<Instant>,
    monitor: &mut (dyn FnMut(&IterationInfo) -> ControlFlow<()> + Send),
) -> Result<SdpSolution> {
    let x0 = gaussian_start
        .then(|| relax.gaussian_start())
        .filter(|x0| x0.iter().all(|v| v.is_finite()));
    let Some(x0) = x0 else {
        return solve_monitored(
            problem,
            &until(settings, deadline),
            StartPoint::Standard,
            monitor,
        );
    };
    let first = solve_monitored(
        problem,
        &until(settings, deadline),
        StartPoint::Primal(&x0),
        monitor,
    )?;
    if !matches!(first.status, SdpStatus::Stalled | SdpStatus::IterationLimit) {
        return Ok(first);
    }
    let mut second = solve_monitored(
        problem,
        &until(settings, deadline),
        StartPoint::Standard,
        monitor,
    )?;
    second.iterations += first.iterations;
    second.seconds += first.seconds;
    Ok(if second.status.is_solved() {
        second
    } else {
        SdpSolution {
            iterations: second.iterations,
            seconds: second.seconds,
            ..first
        }
    })
}

/// The best candidate found so far: its value (an upper bound on the optimum, in the units of the solve) and
/// the point.
#[derive(Clone, Copy, Debug)]
pub struct Incumbent<'a> {
    /// Its value.
    pub value: f64,
    /// The point, one value per variable of the POP.
    pub point: &'a [f64],
}

/// How one relaxation is solved: the path tried first, and whether the interior-point method may solve it
/// after that one (or alone). `Default`: the interior-point method alone.
#[derive(Clone, Copy, Debug)]
pub struct SolvePlan {
    /// The first-order or low-rank path to try first (`None`, or [`SdpPath::Ipm`]: none).
    pub first: Option<SdpPath>,
    /// The interior-point method solves the relaxation when there is no first path, when it does not apply,
    /// and when it ends without reaching its tolerance or target; without it, the first path's answer is the
    /// order's, solved or not.
    pub ipm: bool,
    /// Seconds the first path may take (besides its own limit and the deadline) before the interior-point
    /// method takes over (`None`: no such limit).
    pub first_seconds: Option<f64>,
}

impl Default for SolvePlan {
    fn default() -> Self {
        SolvePlan {
            first: None,
            ipm: true,
            first_seconds: None,
        }
    }
}

/// A first path gets this share of the interior-point method's predicted time of the order (at least
/// [`FIRST_PATH_MIN_SECONDS`]) before the interior-point method takes over ([`SolvePlan::of`]).
pub const FIRST_PATH_SHARE: f64 = 0.25;

/// The least time a first path gets before the interior-point method takes over ([`SolvePlan::of`]).
pub const FIRST_PATH_MIN_SECONDS: f64 = 1.0;

impl SolvePlan {
    /// The plan of `choice` for a relaxation the interior-point method can solve in about `ipm_seconds`
    /// ([`RelaxationSize::seconds`]): the first path, when there is one, gets [`FIRST_PATH_SHARE`] of that time
    /// (at least [`FIRST_PATH_MIN_SECONDS`]) before the interior-point method takes over, so a path that does
    /// not beat it costs at most that much more. With the whole predicted time, a low-rank solve of the
    /// order-4 relaxation of a (3,2) network took 232 s of a fit's 300 s, and the interior-point method ran out
    /// of time after it (docs/BENCHMARKS.md, "The SDP path of each order").
    pub fn of(choice: SolverChoice, ipm_seconds: f64) -> SolvePlan {
        let first = match choice {
            SolverChoice::Admm => Some(SdpPath::Admm),
            SolverChoice::LowRank => Some(SdpPath::LowRank),
            SolverChoice::Ipm | SolverChoice::Auto => None,
        };
        SolvePlan {
            first,
            ipm: true,
            first_seconds: first
                .map(|_| (FIRST_PATH_SHARE * ipm_seconds).max(FIRST_PATH_MIN_SECONDS)),
        }
    }
}

/// Solve one relaxation, try the low-rank step, test flat truncation, extract and evaluate candidates.
pub fn solve_order(
    relax: &MomentRelaxation,
    d: usize,
    settings: &HierarchySettings,
    upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
) -> Result<OrderResult> {
    let plan = SolvePlan::of(settings.solver, relax.size().seconds);
    solve_order_monitored(
        relax,
        d,
        settings,
        plan,
        upper_bound,
        None,
        None,
        &mut |_| {},
    )
}

/// [`solve_order`] by `plan`, with every solver iteration passed to `on_event`, and the solves limited to the
/// time left before `deadline`. `incumbent` is the best candidate found so far: the first-order and low-rank
/// paths stop once their valid bound certifies its value ([`HierarchySettings::gap_tolerance`]), and the
/// low-rank path starts from its moments.
#[allow(clippy::too_many_arguments)]
pub fn solve_order_monitored(
    relax: &MomentRelaxation,
    d: usize,
    settings: &HierarchySettings,
    plan: SolvePlan,
    upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
    incumbent: Option<Incumbent<'_>>,
    deadline: Option<Instant>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<OrderResult> {
    let start = Instant::now();
    let k = relax.order();
    // The first solve keeps an iterate for the low-rank step's solve to start from.
    let mut first = settings.sdp.clone();
    if settings.low_rank_step && settings.low_rank_warm_start {
        first.warm_start_gap = LOW_RANK_WARM_GAP;
    }
    let attempt = match plan.first {
        Some(path @ (SdpPath::Admm | SdpPath::LowRank)) => {
            let budget = plan
                .first_seconds
                .filter(|t| !t.is_nan())
                .map(|t| Instant::now() + Duration::from_secs_f64(t.clamp(0.0, 1e9)));
            let until = match (deadline, budget) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            solve_first_order(relax, path, settings, incumbent, until, &mut *on_event)?
                .map(|sol| (path, sol))
        }
        _ => None,
    };
    if attempt.is_none() && !plan.ipm {
        return Err(Error::TooLarge(format!(
            "the order-{k} relaxation's Schur complement would not fit the memory limit of the \
             interior-point method, and the low-rank path needs a ball on every unknown, a dense basis and \
             no equality constraints"
        )));
    }
    let ipm_solve = |on_event: &mut (dyn FnMut(&Event) + Send)| {
        solve_moment_sdp_monitored(
            relax,
            relax.sdp(),
            &first,
            settings.gaussian_start,
            deadline,
            &mut forward(
                k,
                SolveKind::Relaxation,
                settings.interrupt.as_deref(),
                on_event,
            ),
        )
    };
    // A first-order or low-rank solve that did not end solved hands the relaxation to the IPM (when it may
    // run); its iterations count.
    let (path, sol, abandoned) = match attempt {
        Some((path, sol))
            if !plan.ipm
                || (sol.status.is_solved()
                    && sol.valid_bound.is_some_and(|b| b.value.is_finite())) =>
        {
            (path, sol, None)
        }
        Some((path, sol)) => {
            check_interrupt(settings)?;
            let abandoned = AbandonedSolve {
                path,
                status: sol.status,
                iterations: sol.iterations,
                seconds: sol.seconds,
                valid_bound: sol.valid_bound.map(|b| b.value).filter(|v| v.is_finite()),
            };
            (SdpPath::Ipm, ipm_solve(&mut *on_event)?, Some(abandoned))
        }
        None => (SdpPath::Ipm, ipm_solve(&mut *on_event)?, None),
    };
    let given_up = abandoned.map_or(0, |a| a.iterations);
    check_interrupt(settings)?;
    let certificate = settings
        .certificates
        .then(|| Certificate::from_solution(relax, &sol));
    let mut iterations = sol.iterations + given_up;
    let solved = sol.status.is_solved();
    let lower = match path {
        SdpPath::Admm | SdpPath::LowRank => sol.valid_bound.map_or(f64::NEG_INFINITY, |b| b.value),
        SdpPath::Ipm => sol.dual_objective,
    };
    // Relative to the values, with floor GAP_FLOOR: a fraction of the objective's scale once `run` has divided
    // it out.
    let gap_ok = |u: Option<f64>| {
        solved && u.is_some_and(|u| relative_gap(u, lower, GAP_FLOOR) <= settings.gap_tolerance)
    };

    // The bound proved at the dual point, whatever the solver's accuracy.
    let valid_bound = match path {
        SdpPath::Admm | SdpPath::LowRank => sol.valid_bound.map(|b| b.value),
        SdpPath::Ipm => relax.feasible_set_bounds().and_then(|b| {
            b.valid_lower_bound(relax.sdp(), &sol.dual, &sol.equality_multipliers)
                .ok()
                .map(|v| v.value)
        }),
    }
    .filter(|v| v.is_finite());
    // Candidates from the relaxation's moments; when they do not certify, from the low-rank step's too.
    let first_solve_moments = relax.moments(&sol.x);
    let mut cand = Candidates::from_moments(relax, &first_solve_moments, d, settings, solved);
    cand.evaluate(relax, settings, upper_bound);
    // The best candidate of the lower orders is one of this order too, when the moments are not flat and it
    // is the better: when it closes the gap, neither the low-rank step nor random starts run.
    if !cand.flat.is_flat()
        && let Some(inc) = incumbent.filter(|u| u.point.len() == relax.pop().nvars())
        && let Some(v) = upper_bound(inc.point)
        && cand.upper().is_none_or(|u| v < u)
    {
        cand.points.push(inc.point.to_vec());
        cand.values.push(Some(v));
    }
    let mut low_rank_status = None;
    if solved
        && path == SdpPath::Ipm
        && !cand.flat.is_flat()
        && !gap_ok(cand.upper())
        && settings.low_rank_step
    {
        // The penalty may cost at most `give` of the objective (weight·tr M_k(y*), y* the point just found).
        let give = LOW_RANK_GIVE_ABS + LOW_RANK_GIVE_REL * sol.primal_objective.abs();
        let weight = give / relax.trace(&first_solve_moments).max(1.0);
        let low_problem = relax.low_rank_problem(weight)?;
        // From the first solve's kept iterate, the same constraints: a cold solve only if that one fails.
        let low = match &sol.warm_start {
            Some(kept) => {
                let warm = solve_monitored(
                    &low_problem,
                    &until(&settings.sdp, deadline),
                    StartPoint::Warm(kept),
                    &mut forward(
                        k,
                        SolveKind::LowRank,
                        settings.interrupt.as_deref(),
                        &mut *on_event,
                    ),
                )?;
                check_interrupt(settings)?;
                if warm.status.is_solved() || warm.status == SdpStatus::TimeLimit {
                    warm
                } else {
                    // As in solve_moment_sdp's fallback: the work of the failed start is counted.
                    let mut cold =
                        cold_low_rank(relax, &low_problem, settings, deadline, on_event)?;
                    cold.iterations += warm.iterations;
                    cold.seconds += warm.seconds;
                    cold
                }
            }
            None => cold_low_rank(relax, &low_problem, settings, deadline, on_event)?,
        };
        iterations += low.iterations;
        low_rank_status = Some(low.status);
        if low.status.is_solved() {
            let moments = relax.moments(&low.x);
            let mut other = Candidates::from_moments(relax, &moments, d, settings, true);
            // Flat truncation at the low-rank point says something about the bound only if the point is
            // optimal, to the tolerance with which a flat point certifies. Otherwise its atoms are candidates
            // like any others, and it is not reported as flat.
            if relative_gap(relax.objective_value(&moments), lower, GAP_FLOOR) > FLAT_GAP_TOLERANCE
            {
                other.flat.flat_order = None;
            }
            other.evaluate(relax, settings, upper_bound);
            // The low-rank point replaces the first when it is flat, or has the better candidate.
            let better = match (other.upper(), cand.upper()) {
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) => true,
                _ => false,
            };
            if other.flat.is_flat() || better {
                cand = other;
            }
        }
    }
    if solved
        && !cand.flat.is_flat()
        && !gap_ok(cand.upper())
        && settings.random_starts > 0
        && settings.polish.is_some()
    {
        cand.add_random_starts(relax, settings, upper_bound, deadline);
    }
    let Candidates {
        flat,
        points: candidates,
        values,
        extracted,
        before_polish: upper_bound_before_polish,
    } = cand;
    let best_candidate = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let upper = best_candidate.and_then(|i| values[i]);
    let gap = upper.filter(|_| solved).map(|u| u - lower);
    // Flat truncation certifies when the extracted points are feasible and their value agrees with the bound
    // (a loose check that guards against a flat but inaccurate moment matrix).
    let flat_ok = flat.is_flat()
        && extracted
        && values.iter().all(Option::is_some)
        && matches!(upper, Some(u) if solved && relative_gap(u, lower, GAP_FLOOR) <= FLAT_GAP_TOLERANCE);
    let gap_ok = gap_ok(upper);
    Ok(OrderResult {
        order: relax.order(),
        moments: relax.num_moments(),
        relaxation: relax.describe(),
        status: sol.status,
        solver: path,
        abandoned,
        lower_bound: lower,
        primal_objective: sol.primal_objective,
        valid_bound,
        residuals: sol.residuals,
        low_rank_status,
        ranks: flat.ranks.clone(),
        flat: solved && flat.is_flat(),
        rank: flat.rank().filter(|_| solved),
        candidates,
        upper_bound: upper,
        upper_bound_before_polish,
        best_candidate,
        gap,
        relative_gap: upper
            .filter(|_| solved)
            .map(|u| relative_gap(u, lower, GAP_FLOOR)),
        certified: solved && (flat_ok || gap_ok),
        iterations,
        seconds: start.elapsed().as_secs_f64(),
        certificate,
    })
}

/// The first-order or low-rank path (`path`) on `relax`: `None` when it does not apply (no bounds on the
/// feasible set, equality constraints). The caller hands the relaxation to the interior-point method when the
/// solve did not reach its tolerance or the bound that certifies the incumbent's value.
fn solve_first_order(
    relax: &MomentRelaxation,
    path: SdpPath,
    settings: &HierarchySettings,
    incumbent: Option<Incumbent<'_>>,
    deadline: Option<Instant>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<Option<SdpSolution>> {
    let Some(bounds) = relax.feasible_set_bounds() else {
        return Ok(None);
    };
    if !relax.sdp().equalities().is_empty() {
        return Ok(None);
    }
    // The bound that certifies the incumbent: relative_gap(value, b, GAP_FLOOR) ≤ gap_tolerance.
    let target = incumbent
        .map(|u| u.value - settings.gap_tolerance * u.value.abs().max(GAP_FLOOR) * (1.0 - 1e-3));
    let mut monitor = forward(
        relax.order(),
        SolveKind::Relaxation,
        settings.interrupt.as_deref(),
        on_event,
    );
    let sol = match path {
        SdpPath::LowRank => {
            let lowrank = LowRankSettings {
                time_limit: limit_until(settings.lowrank.time_limit, deadline),
                target,
                ..settings.lowrank.clone()
            };
            // From the moments of the incumbent (rank one, feasible), which the solve has to prove optimal
            // or improve on; else from x = 0 with random factors.
            let dirac = incumbent
                .filter(|u| {
                    u.point.len() == relax.pop().nvars() && u.point.iter().all(|v| v.is_finite())
                })
                .map(|u| {
                    relax.gaussian_moments(&GaussianStart {
                        center: u.point.to_vec(),
                        sd: 0.0,
                    })
                })
                .filter(|x| x.iter().all(|v| v.is_finite()));
            let start = dirac
                .as_deref()
                .map_or(StartPoint::Standard, StartPoint::Primal);
            lowrank.solve(relax.sdp(), start, Some(&bounds), &mut monitor)?
        }
        _ => {
            let admm = AdmmSettings {
                time_limit: limit_until(settings.admm.time_limit, deadline),
                target,
                ..settings.admm.clone()
            };
            // From x = 0: from the Gaussian start (the interior-point method's) the order-3 relaxation of a
            // (2,2) network took more than 20,000 iterations instead of 5,806 (docs/BENCHMARKS.md).
            admm.solve(
                relax.sdp(),
                StartPoint::Standard,
                Some(&bounds),
                &mut monitor,
            )?
        }
    };
    check_interrupt(settings)?;
    Ok(Some(sol))
}

/// The low-rank step's solve from the start of [`solve_moment_sdp`].
fn cold_low_rank(
    relax: &MomentRelaxation,
    problem: &SdpProblem,
    settings: &HierarchySettings,
    deadline: Option<Instant>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<SdpSolution> {
    solve_moment_sdp_monitored(
        relax,
        problem,
        &settings.sdp,
        settings.gaussian_start,
        deadline,
        &mut forward(
            relax.order(),
            SolveKind::LowRank,
            settings.interrupt.as_deref(),
            on_event,
        ),
    )
    .and_then(|sol| check_interrupt(settings).map(|()| sol))
}

impl OrderResult {
    /// Multiply the values of a result computed for the objective divided by `scale` back by `scale`
    /// (`pop`: the problem with its own objective, whose terms the certificate then states). Relative gaps,
    /// points and ranks do not change.
    fn unscale(&mut self, scale: f64, pop: &Pop) {
        self.lower_bound *= scale;
        self.primal_objective *= scale;
        self.valid_bound = self
            .valid_bound
            .map(|v| crate::verified::mul_down(v, scale));
        if let Some(a) = &mut self.abandoned {
            a.valid_bound = a.valid_bound.map(|v| crate::verified::mul_down(v, scale));
        }
        for v in [
            &mut self.upper_bound,
            &mut self.upper_bound_before_polish,
            &mut self.gap,
        ]
        .into_iter()
        .flatten()
        {
            *v *= scale;
        }
        if let Some(c) = &mut self.certificate {
            c.lower_bound *= scale;
            c.objective = pop
                .objective
                .terms()
                .map(|(m, v)| (m.0.clone(), v))
                .collect();
            for m in &mut c.multipliers {
                m.gram.iter_mut().flatten().for_each(|v| *v *= scale);
            }
            for t in c.equality_multipliers.iter_mut().flatten() {
                t.1 *= scale;
            }
        }
    }
}

/// Candidate minimizers read off one moment vector: extracted points when flat, else the first-order
/// moments; refined locally and evaluated by the upper-bound oracle.
struct Candidates {
    flat: FlatTruncation,
    points: Vec<Vec<f64>>,
    values: Vec<Option<f64>>,
    extracted: bool,
    before_polish: Option<f64>,
}

impl Candidates {
    fn from_moments(
        relax: &MomentRelaxation,
        moments: &[f64],
        d: usize,
        settings: &HierarchySettings,
        solved: bool,
    ) -> Candidates {
        let flat = FlatTruncation::test(relax, moments, d, settings.rank_tolerance);
        let mut points = vec![];
        if let (true, Some(t), Some(r)) = (solved, flat.flat_order, flat.rank())
            && let Some(p) = extract_points(relax, moments, t, r, 0x5eed)
        {
            points = p;
        }
        let extracted = !points.is_empty();
        if !extracted {
            points.push(relax.first_order_moments(moments));
            points.extend(eigenvector_points(
                relax,
                moments,
                settings.eigenvector_candidates,
                settings.rank_tolerance,
            ));
        }
        Candidates {
            flat,
            points,
            values: vec![],
            extracted,
            before_polish: None,
        }
    }

    /// Evaluate every point, refining it first when polishing is on (a refined point is kept only when its
    /// value is not worse).
    fn evaluate(
        &mut self,
        relax: &MomentRelaxation,
        settings: &HierarchySettings,
        upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
    ) {
        self.values = self.points.iter().map(|z| upper_bound(z)).collect();
        if let Some(ps) = &settings.polish {
            self.before_polish = self.upper();
            for (z, v) in self.points.iter_mut().zip(self.values.iter_mut()) {
                let p = polish(relax.pop(), z, ps);
                let pv = upper_bound(&p.point);
                if pv.is_some() && (v.is_none() || pv <= *v) {
                    *z = p.point;
                    *v = pv;
                }
            }
        }
    }

    /// Refine [`HierarchySettings::random_starts`] random points and add them with their values (only for a
    /// point that is not flat: a flat point's candidates are its atoms). No new start begins once the run is
    /// interrupted or past its deadline.
    fn add_random_starts(
        &mut self,
        relax: &MomentRelaxation,
        settings: &HierarchySettings,
        upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
        deadline: Option<Instant>,
    ) {
        let seed = 0x5eed_0000 + relax.order() as u64;
        for (p, v) in
            refine_random_starts(relax.pop(), seed, settings, upper_bound, deadline, false)
        {
            self.points.push(p);
            self.values.push(v);
        }
    }

    /// The best value.
    fn upper(&self) -> Option<f64> {
        self.values
            .iter()
            .flatten()
            .copied()
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.min(b))))
    }
}

/// [`HierarchySettings::random_starts`] random points (seeded by `seed`) refined on `pop` (first without its
/// ball, then with it), each with its value by `upper_bound`. No new start begins once the run is interrupted
/// or past `deadline` (with `at_least_one`, the first one does), and no refinement iteration after it but a
/// start's first.
fn refine_random_starts(
    pop: &Pop,
    seed: u64,
    settings: &HierarchySettings,
    upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
    deadline: Option<Instant>,
    at_least_one: bool,
) -> Vec<(Vec<f64>, Option<f64>)> {
    let free = theta_free_variables(pop);
    let mut rng = Rng::new(seed);
    // A random point is far from any minimizer: more iterations than a candidate from the moments needs.
    let refine = PolishSettings {
        max_iterations: 200,
        deadline,
        ..settings.polish.clone().unwrap_or_default()
    };
    // The starts are refined first without the ball a(R² − ‖z‖²) ≥ 0 (a random point with its θ-free level is
    // far outside it, where the ball's penalty stalls the refinement), then with it.
    let mut unbounded = pop.clone();
    unbounded
        .inequalities
        .retain(|g| ball_radius(g, pop.nvars()).is_none());
    let mut out = vec![];
    for _ in 0..settings.random_starts {
        let stopped = settings
            .interrupt
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed));
        let late = deadline.is_some_and(|d| Instant::now() >= d);
        if stopped || (late && !(at_least_one && out.is_empty())) {
            break;
        }
        let mut z: Vec<f64> = (0..pop.nvars())
            .map(|_| rng.uniform_in(-1.0, 1.0))
            .collect();
        fill_smallest_levels(pop, &free, &mut z);
        // Far from a minimizer the refinement crawls: up to 2000 iterations there (on a (2,2,2) network
        // 200 left 2e-3 where 440 reached 5e-15).
        let far = PolishSettings {
            max_iterations: 2000,
            ..refine.clone()
        };
        let p0 = polish(&unbounded, &z, &far);
        let p = polish(pop, &p0.point, &refine);
        let v = upper_bound(&p.point);
        out.push((p.point, v));
    }
    out
}

/// Candidates without any relaxation: [`HierarchySettings::random_starts`] random points refined on `pop`
/// (at least one, with the time limit of `settings` from now), each with its value by `upper_bound`, best
/// first. For a problem none of whose relaxations can be built or solved in time; refined on the objective
/// divided by its scale, as the hierarchy's are.
pub fn local_candidates(
    pop: &Pop,
    settings: &HierarchySettings,
    upper_bound: &dyn Fn(&[f64]) -> Option<f64>,
) -> Vec<(Vec<f64>, f64)> {
    let deadline = settings
        .time_limit
        .map(|t| Instant::now() + Duration::from_secs_f64(t.clamp(0.0, 1e9)));
    let scale = pop.objective_scale();
    let normalized = pop.with_objective_scaled(1.0 / scale);
    let settings = HierarchySettings {
        random_starts: settings.random_starts.max(1),
        ..settings.clone()
    };
    // At least one start (its refinement stopped at the deadline), however little time is left.
    let found = refine_random_starts(
        &normalized,
        0x5eed_0000,
        &settings,
        upper_bound,
        deadline,
        true,
    );
    let mut out: Vec<(Vec<f64>, f64)> = found
        .into_iter()
        .filter_map(|(p, v)| v.filter(|v| v.is_finite()).map(|v| (p, v)))
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::solve_from;

    /// Both starts reach the same certified bound; a Gaussian-start solve that runs out of iterations is
    /// repeated from the standard start, and the iterations of both are reported.
    #[test]
    fn moment_sdp_falls_back_to_the_standard_start() {
        let pop = crate::relax::moment::tests::example_3_4_pop().with_ball(5.0);
        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let settings = SdpSettings::default();
        let gauss = solve_moment_sdp(&r, r.sdp(), &settings, true).unwrap();
        let standard = solve_moment_sdp(&r, r.sdp(), &settings, false).unwrap();
        assert_eq!(gauss.status, SdpStatus::Optimal);
        assert_eq!(standard.status, SdpStatus::Optimal);
        assert!((gauss.dual_objective - standard.dual_objective).abs() < 1e-7);
        let direct = solve_from(r.sdp(), &settings, &r.gaussian_start()).unwrap();
        assert_eq!(gauss.iterations, direct.iterations);

        let short = SdpSettings {
            max_iterations: 3,
            ..SdpSettings::default()
        };
        let limited = solve_moment_sdp(&r, r.sdp(), &short, true).unwrap();
        assert_eq!(limited.status, SdpStatus::IterationLimit);
        assert_eq!(limited.iterations, 6, "both solves counted");
    }

    /// (x² + y² − 1)² is minimal (0) on the unit circle: the relaxation is tight but never flat, and its first
    /// moments (the centre) are a maximizer. A minimizer found earlier certifies the order at once; without
    /// it the order needs the low-rank step or random starts.
    #[test]
    fn the_incumbent_certifies_a_tight_order_that_is_not_flat() {
        let vars = vec!["x".to_string(), "y".to_string()];
        let f = crate::pop::parse::parse_polynomial("(x^2 + y^2 - 1)^2", &vars).unwrap();
        let pop = Pop::new(vars, f, vec![], vec![]).unwrap().with_ball(2.0);
        let oracle = |z: &[f64]| feasible_objective(&pop, z);
        let relax = MomentRelaxation::new(&pop, 3, 1 << 30).unwrap();
        let settings = HierarchySettings::default();
        let solve = |incumbent| {
            solve_order_monitored(
                &relax,
                1,
                &settings,
                SolvePlan::default(),
                &oracle,
                incumbent,
                None,
                &mut |_| {},
            )
            .unwrap()
        };
        let point = [0.6, 0.8];
        let value = oracle(&point).unwrap();
        assert!(value.abs() < 1e-15);
        let with = solve(Some(Incumbent {
            value,
            point: &point,
        }));
        assert!(with.certified && !with.flat, "{with:?}");
        assert_eq!(with.low_rank_status, None);
        assert_eq!(with.upper_bound, Some(value));
        assert!(with.candidates.iter().any(|c| c == &point));
        // Without it the same order runs the low-rank step.
        let without = solve(None);
        assert!(without.low_rank_status.is_some(), "{without:?}");
        assert!(without.iterations > with.iterations);
    }
}
