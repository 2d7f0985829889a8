//! Option groups shared by several subcommands; each subcommand flattens only the groups that apply to it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use polyact::fit::{DEFAULT_RADIUS, FitSettings};
use polyact::model::Loss;
use polyact::relax::hierarchy::{HierarchySettings, SolverChoice, StopRule};
use polyact::relax::sparsity::Sparsity;
use polyact::sdp::SdpSettings;

/// The relaxation hierarchy: orders, solver start, low-rank step, polish, stop rule, memory (fit, pop,
/// compare, example).
#[derive(Args, Clone)]
pub struct HierarchyOptions {
    /// First relaxation order (default: the minimal order k0 = ⌈deg/2⌉).
    #[arg(long)]
    pub order: Option<usize>,
    /// Last relaxation order (default: first order + 2).
    #[arg(long)]
    pub max_order: Option<usize>,
    /// Skip the low-rank step (a second solve of the relaxation with a small trace penalty, run when the first
    /// point is neither flat nor closed by its candidate).
    #[arg(long)]
    pub no_low_rank: bool,
    /// Solve the low-rank step's SDP from scratch instead of from the first solve's iterate near its optimum
    /// (the same constraints; the warm start takes a quarter of the iterations).
    #[arg(long)]
    pub low_rank_cold_start: bool,
    /// Start the SDP solver at its standard point X = ξI, Y = ηI instead of the moments of a Gaussian measure.
    #[arg(long)]
    pub standard_start: bool,
    /// Leave the θ-free variables (linear in every constraint, the objective increasing in them, not in a ball
    /// except as −a·t²; θ of a network fit) out of every row basis and localize the constraints linear in
    /// them as scalars: the bound of the dense relaxation with the ball on c only, a much smaller SDP, and a
    /// valid bound that never exceeds the convex-hull bound min{‖v‖_∞ : v ∈ conv r(ball)} at any order
    /// (docs/METHOD.md, "θ-free bases"): it certifies noiseless fits, and stalls below the loss of noisy fits
    /// with several outputs. Default false (the dense relaxation, ball on (c, θ/s)).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    pub theta_free: bool,
    /// Term sparsity (TSSOS): split the moment and localizing matrices into blocks read off the problem's
    /// support. none: dense matrices; block: connected components (at its last step the dense bound);
    /// chordal: maximal cliques of a chordal extension (smaller blocks, a bound that can be lower); auto (the
    /// default): at each order the dense relaxation when it is predicted to fit --max-memory-gb and the time
    /// left — after correlative sparsity (--correlative), when the variables split into more than one clique
    /// and the dense relaxation is predicted to take over a second — else correlative sparsity, else chordal
    /// (when it makes the moment matrix smaller). Every choice gives a valid lower bound.
    #[arg(long, value_enum, default_value_t = SparsityOption::Auto)]
    pub sparsity: SparsityOption,
    /// The SDP method of every relaxation: auto (the interior-point method wherever its Schur complement fits
    /// --max-memory-gb, the low-rank path on larger dense relaxations), ipm (the interior-point method only),
    /// admm (the first-order path first) or lowrank (the low-rank path first, from the best candidate so far).
    /// The first-order and low-rank paths bound the relaxation by a lower bound valid at their dual point; the
    /// interior-point method takes over when they do not apply or do not reach their tolerance within a quarter
    /// of its predicted time. docs/BENCHMARKS.md ("The SDP path of each order") compares them.
    #[arg(long, value_enum, default_value_t = SolverOption::Auto)]
    pub solver: SolverOption,
    /// Steps of the term-sparsity iteration (each step's support is the moments the previous step's blocks
    /// use; it stops earlier when the support no longer grows).
    #[arg(long, default_value_t = 1)]
    pub ts_steps: usize,
    /// Correlative sparsity: one moment matrix per clique of variables that meet in a term or a constraint
    /// (a chordal extension's maximal cliques), each constraint in a clique holding its variables, a ball
    /// R² − ‖z‖² split into one per clique. A valid bound, at most the dense one; the cliques' matrices are
    /// dense with --sparsity none or auto and split by term sparsity with block or chordal (CS-TSSOS). For
    /// problems whose variables interact locally (chains, grids); a network's coefficients all meet in its
    /// output, so it gains nothing there.
    #[arg(long)]
    pub correlative: bool,
    /// When an order's candidates from the moments do not certify it, also refine this many random points
    /// and keep the best (0 = none; none with --no-polish).
    #[arg(long, default_value_t = 8)]
    pub random_starts: usize,
    /// Skip the local refinement (polish) of candidates.
    #[arg(long)]
    pub no_polish: bool,
    /// When to stop raising the order: at the first certified order (flat or gap), or only at flat
    /// truncation (the paper's rule; default for `example`).
    #[arg(long, value_enum)]
    pub stop: Option<Stop>,
    /// Print the SDP iterations (interior-point, or every 25th of the first-order path).
    #[arg(long)]
    pub verbose: bool,
    /// Memory limit for one relaxation, in GB.
    #[arg(long, default_value_t = 16.0, allow_negative_numbers = true)]
    pub max_memory_gb: f64,
    /// No progress on stderr (shown only when stderr is a terminal: each order's size and predicted time,
    /// then the interior-point iterations).
    #[arg(long, short)]
    pub quiet: bool,
    /// Wall-clock limit of the hierarchy, in seconds: an order predicted to take longer than the time left is
    /// not started, a solve that runs past it stops, and the fit ends with the best answer so far (exit code
    /// 0; the status and notes say what the next order would cost).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
          default_value_t = polyact::relax::hierarchy::DEFAULT_TIME_LIMIT)]
    pub time_limit: f64,
}

/// Term sparsity on the command line ([`Sparsity`]).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SparsityOption {
    /// Dense matrices.
    None,
    /// Connected components of the term-sparsity graph.
    Block,
    /// Maximal cliques of a chordal extension of the term-sparsity graph.
    Chordal,
    /// The dense relaxation when it is predicted to fit the memory and time left (after correlative sparsity
    /// when the variables split into cliques and it is not cheap), else correlative sparsity, else chordal
    /// (when its moment-matrix blocks are smaller than the dense matrix).
    Auto,
}

impl From<SparsityOption> for Sparsity {
    fn from(s: SparsityOption) -> Sparsity {
        match s {
            SparsityOption::None => Sparsity::None,
            SparsityOption::Block => Sparsity::Block,
            SparsityOption::Chordal => Sparsity::Chordal,
            SparsityOption::Auto => Sparsity::Auto,
        }
    }
}

/// The SDP method on the command line ([`polyact::relax::hierarchy::SolverChoice`]).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SolverOption {
    /// The interior-point method where it fits the memory limit, else the low-rank path.
    Auto,
    /// The interior-point method.
    Ipm,
    /// The first-order path (ADMM) with a valid lower bound.
    Admm,
    /// The low-rank path with a valid lower bound.
    Lowrank,
}

/// Stop rule on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Stop {
    /// At the first order certified by flat truncation or by the gap.
    Certified,
    /// At the first flat order.
    Flat,
}

impl HierarchyOptions {
    /// The hierarchy's settings; an error names a bad option.
    pub fn settings(&self) -> Result<HierarchySettings> {
        if self.max_memory_gb.is_nan() || self.max_memory_gb <= 0.0 {
            anyhow::bail!("--max-memory-gb must be positive");
        }
        if self.time_limit.is_nan() || self.time_limit < 0.0 {
            anyhow::bail!("--time-limit must be a nonnegative number of seconds");
        }
        Ok(HierarchySettings {
            min_order: self.order,
            max_order: self.max_order,
            low_rank_step: !self.no_low_rank,
            low_rank_warm_start: !self.low_rank_cold_start,
            gaussian_start: !self.standard_start,
            sdp: SdpSettings {
                verbose: self.verbose,
                max_memory_bytes: (self.max_memory_gb * 1e9) as usize,
                ..SdpSettings::default()
            },
            polish: (!self.no_polish).then(Default::default),
            stop: match self.stop {
                Some(Stop::Flat) => StopRule::Flat,
                Some(Stop::Certified) | None => StopRule::Certified,
            },
            time_limit: Some(self.time_limit),
            random_starts: self.random_starts,
            solver: match self.solver {
                SolverOption::Auto => SolverChoice::Auto,
                SolverOption::Ipm => SolverChoice::Ipm,
                SolverOption::Admm => SolverChoice::Admm,
                SolverOption::Lowrank => SolverChoice::LowRank,
            },
            admm: polyact::sdp::admm::AdmmSettings {
                verbose: self.verbose,
                max_memory_bytes: (self.max_memory_gb * 1e9) as usize,
                ..Default::default()
            },
            lowrank: polyact::sdp::lowrank::LowRankSettings {
                verbose: self.verbose,
                max_memory_bytes: (self.max_memory_gb * 1e9) as usize,
                ..Default::default()
            },
            structure: polyact::relax::moment::Structure {
                theta_free: self.theta_free,
                sparsity: self.sparsity.into(),
                ts_steps: self.ts_steps,
                correlative: self.correlative,
            },
            ..HierarchySettings::default()
        })
    }
}

/// The ball constraint of a network fit (fit, compare, example).
#[derive(Args, Clone)]
pub struct BallOptions {
    /// Radius R of the ball constraint R² − ‖z‖² ≥ 0 (default 5).
    #[arg(long, allow_negative_numbers = true)]
    pub radius: Option<f64>,
    /// Drop the ball constraint (the paper's unbounded formulation; may be ill-posed at order ≥ 3).
    #[arg(long)]
    pub no_ball: bool,
    /// Retries with a 4× larger radius when the ball is active at the answer.
    #[arg(long, default_value_t = 2)]
    pub ball_retries: usize,
}

/// The training loss (fit, compare, example).
#[derive(Args, Clone)]
pub struct LossOption {
    /// The training loss.
    #[arg(long, value_enum, default_value_t = Loss::MeanInf)]
    pub loss: Loss,
}

/// The settings of a global network fit.
pub fn fit_settings(
    hierarchy: &HierarchyOptions,
    ball: &BallOptions,
    loss: Loss,
) -> Result<FitSettings> {
    Ok(FitSettings {
        loss,
        radius: (!ball.no_ball).then_some(ball.radius.unwrap_or(DEFAULT_RADIUS)),
        hierarchy: hierarchy.settings()?,
        ball_retries: ball.ball_retries,
    })
}

/// What is printed and written after a solve (fit, pop, example).
#[derive(Args, Clone)]
pub struct ReportOptions {
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to this file.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Write the SOS certificate of the lower bound to this file (check it with `polyact verify`).
    #[arg(long, value_name = "CERT.json")]
    pub certificate: Option<PathBuf>,
}

/// The local method's random starts (fit --method local, compare).
#[derive(Args, Clone)]
pub struct LocalOptions {
    /// Local method: number of random starts.
    #[arg(long, default_value_t = 20)]
    pub starts: usize,
    /// Local method: optimizer (lm = trust-region SLP on the epigraph, adam = Adam on the subgradient).
    #[arg(long, value_enum, default_value_t = polyact::train::baseline::Optimizer::Lm)]
    pub optimizer: polyact::train::baseline::Optimizer,
    /// Local method: seed of the starts.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Write the SOS certificate of a solve to `path`.
pub fn write_certificate(
    cert: Option<&polyact::relax::certificate::Certificate>,
    path: &Path,
) -> Result<()> {
    let cert = cert.context("no relaxation was solved, so there is no certificate to write")?;
    std::fs::write(path, cert.to_json()).with_context(|| format!("cannot write {}", path.display()))
}
